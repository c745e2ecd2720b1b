# ctest package.find_package_consumer: installs the built package into a scratch prefix, then builds
# and runs a separate project that finds it with find_package(<Package> CONFIG REQUIRED).
include("${CMAKE_CURRENT_LIST_DIR}/../cmake/Steps.cmake")
set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")
run_step("install into ${prefix}" COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
run_step("configure the consumer" COMMAND "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}" -B "${WORK_DIR}/build"
  -DCMAKE_PREFIX_PATH=${prefix} -DPACKAGE=${PACKAGE})
run_step("build the consumer" COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
run_step("run the consumer" COMMAND "${WORK_DIR}/build/consumer")
