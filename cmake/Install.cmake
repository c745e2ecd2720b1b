# Install rules and an exported package, so that consumers can write:
#   find_package(OpenAIBatch CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE OpenAIBatch::openai_batch)
#   #include "model/Batch.h"
#   #include "api/BatchApi.h"
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(OPENAI_BATCH_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/${PROJECT_NAME}")

install(TARGETS openai_batch EXPORT ${PROJECT_NAME}Targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${OPENAI_BATCH_MODEL_HEADERS} DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/${PROJECT_NAME}/model")
install(FILES ${OPENAI_BATCH_API_HEADERS} DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/${PROJECT_NAME}/api")
install(FILES ${OPENAI_BATCH_WORKFLOW_HEADERS} DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/${PROJECT_NAME}/workflow")
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/include/openai_batch_version.h" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/${PROJECT_NAME}")

# For builds without CMake: pkg-config --cflags --libs <package>
configure_file("${CMAKE_CURRENT_SOURCE_DIR}/cmake/PackageConfig.pc.in" "${CMAKE_CURRENT_BINARY_DIR}/${PROJECT_NAME}.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/${PROJECT_NAME}.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
install(EXPORT ${PROJECT_NAME}Targets NAMESPACE ${PROJECT_NAME}:: DESTINATION "${OPENAI_BATCH_CMAKE_DIR}")

configure_package_config_file("${CMAKE_CURRENT_SOURCE_DIR}/cmake/PackageConfig.cmake.in"
  "${CMAKE_CURRENT_BINARY_DIR}/${PROJECT_NAME}Config.cmake"
  INSTALL_DESTINATION "${OPENAI_BATCH_CMAKE_DIR}")
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/${PROJECT_NAME}ConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/${PROJECT_NAME}Config.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/${PROJECT_NAME}ConfigVersion.cmake"
        DESTINATION "${OPENAI_BATCH_CMAKE_DIR}")
