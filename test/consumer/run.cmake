# ctest package.*_consumer: builds and runs examples/consumer/ (the project the README shows) as a separate
# project that takes the package one way (HOW), then runs its program with this build's version:
#   find_package      installs the built package into a scratch prefix, then find_package(<Package> CONFIG)
#   add_subdirectory  this source tree, linked in as the project's third_party/openai-batch
#   FetchContent      fetches this repository's HEAD commit with git (committed files only)
#   pkg-config        installs, then runs the example's build_with_pkg_config.sh
include("${CMAKE_CURRENT_LIST_DIR}/../cmake/Steps.cmake")
set(example "${SOURCE_DIR}/examples/consumer")
set(prefix "${WORK_DIR}/prefix")
set(project "${WORK_DIR}/src")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${project}")
file(COPY "${example}/CMakeLists.txt" "${example}/main.cpp" "${example}/build_with_pkg_config.sh" DESTINATION "${project}")

if(HOW STREQUAL "find_package" OR HOW STREQUAL "pkg-config")
  run_step("install into ${prefix}" COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
endif()

if(HOW STREQUAL "pkg-config")
  set(ENV{PKG_CONFIG_PATH} "${prefix}/lib/pkgconfig")
  set(ENV{CXX} "${CXX}")
  run_step("build_with_pkg_config.sh" COMMAND sh build_with_pkg_config.sh WORKING_DIRECTORY "${project}")
  set(app "${project}/app")
else()
  set(extra "")
  if(HOW STREQUAL "find_package")
    set(extra -DCMAKE_PREFIX_PATH=${prefix})
  elseif(HOW STREQUAL "add_subdirectory")
    # These two compile the package from source inside the consumer's build; as a unity build that takes a
    # third of the time, and it shows the sources build that way too (the main build compiles each alone).
    list(APPEND extra -DCMAKE_UNITY_BUILD=ON)
    file(MAKE_DIRECTORY "${project}/third_party")
    file(CREATE_LINK "${SOURCE_DIR}" "${project}/third_party/openai-batch" SYMBOLIC)
  elseif(HOW STREQUAL "FetchContent")
    execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse HEAD OUTPUT_VARIABLE commit RESULT_VARIABLE result
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT result EQUAL 0)
      message(FATAL_ERROR "${SOURCE_DIR} is not a git checkout, so FetchContent has nothing to fetch")
    endif()
    set(extra -DOPENAI_BATCH_GIT_REPOSITORY=${SOURCE_DIR} -DOPENAI_BATCH_GIT_TAG=${commit} -DCMAKE_UNITY_BUILD=ON)
  endif()
  run_step("configure the consumer (${HOW})" COMMAND "${CMAKE_COMMAND}" -S "${project}" -B "${WORK_DIR}/build"
    -DOPENAI_BATCH_FROM=${HOW} -DCMAKE_CXX_COMPILER=${CXX} ${extra})
  run_step("build the consumer" COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" -j 2)
  set(app "${WORK_DIR}/build/app")
endif()
run_step("run the consumer" COMMAND "${app}" "${VERSION}")
