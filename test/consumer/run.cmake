# ctest package.*_consumer: builds and runs test/consumer/main.cpp as a separate project that takes the
# package one way (HOW):
#   find_package      installs the built package into a scratch prefix, then find_package(<Package> CONFIG)
#   add_subdirectory  adds this source tree to the consumer's build
#   FetchContent      fetches this repository's HEAD commit with git (committed files only)
#   pkg-config        installs, then compiles with the flags `pkg-config --cflags --libs <Package>` gives
include("${CMAKE_CURRENT_LIST_DIR}/../cmake/Steps.cmake")
set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(consumer "${WORK_DIR}/build/consumer")

if(HOW STREQUAL "find_package" OR HOW STREQUAL "pkg-config")
  run_step("install into ${prefix}" COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
endif()

if(HOW STREQUAL "pkg-config")
  set(ENV{PKG_CONFIG_PATH} "${prefix}/lib/pkgconfig")
  execute_process(COMMAND pkg-config --cflags --libs ${PACKAGE} OUTPUT_VARIABLE flags RESULT_VARIABLE result
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "pkg-config does not know ${PACKAGE}")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  file(MAKE_DIRECTORY "${WORK_DIR}/build")
  run_step("compile with ${flags}" COMMAND "${CXX}" "${CMAKE_CURRENT_LIST_DIR}/main.cpp" -o "${consumer}" ${flags})
else()
  set(extra "")
  if(HOW STREQUAL "find_package")
    set(extra -DCMAKE_PREFIX_PATH=${prefix})
  elseif(HOW STREQUAL "FetchContent")
    execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse HEAD OUTPUT_VARIABLE commit RESULT_VARIABLE result
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT result EQUAL 0)
      message(FATAL_ERROR "${SOURCE_DIR} is not a git checkout, so FetchContent has nothing to fetch")
    endif()
    set(extra -DPACKAGE_COMMIT=${commit})
  endif()
  run_step("configure the consumer (${HOW})" COMMAND "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}" -B "${WORK_DIR}/build"
    -DHOW=${HOW} -DPACKAGE=${PACKAGE} -DPACKAGE_SOURCE=${SOURCE_DIR} -DCMAKE_CXX_COMPILER=${CXX} ${extra})
  run_step("build the consumer" COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" -j 2)
endif()
run_step("run the consumer" COMMAND "${consumer}" "${VERSION}")
