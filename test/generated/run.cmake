# ctest generator.spec_*: generates the model and API layers from one spec in test/specs/ (SPEC, kept as
# its publisher wrote it), compiles them with -Werror together with a GoogleTest suite (TEST_SOURCES),
# and runs it. The spec is read with generator/config.yaml's selection, as openapi.yaml is.
include("${CMAKE_CURRENT_LIST_DIR}/../cmake/Steps.cmake")
set(generated "${WORK_DIR}/generated")
file(REMOVE_RECURSE "${generated}")
file(MAKE_DIRECTORY "${generated}")
run_step("generate from ${SPEC}" COMMAND
  "${PYTHON}" "${SOURCE_DIR}/generator/generate.py" --spec "${SOURCE_DIR}/test/specs/${SPEC}" --out "${generated}")
run_step("configure" COMMAND "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}" -B "${WORK_DIR}/build"
  "-DGENERATED_DIR=${generated}" "-DTEST_SOURCES=${TEST_SOURCES}" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_UNITY_BUILD=ON)
run_step("build" COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" -j 2)
run_step("run" COMMAND "${WORK_DIR}/build/generated_spec_tests")
