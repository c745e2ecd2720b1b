# ctest generator.spec_2026_08: generates the model layer from OpenAI's newest spec (OpenAPI 3.1, kept
# unmodified in test/specs/), compiles it with a GoogleTest suite, and runs it.
include("${CMAKE_CURRENT_LIST_DIR}/../cmake/Steps.cmake")
set(generated "${WORK_DIR}/generated")
file(REMOVE_RECURSE "${generated}")
file(MAKE_DIRECTORY "${generated}")
run_step("generate from openai-openapi-batch-2026-08.yaml" COMMAND
  "${PYTHON}" "${SOURCE_DIR}/generator/generate.py"
  --spec "${SOURCE_DIR}/test/specs/openai-openapi-batch-2026-08.yaml" --out "${generated}")
run_step("configure" COMMAND "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}" -B "${WORK_DIR}/build"
  -DGENERATED_DIR=${generated} -DCMAKE_BUILD_TYPE=Debug)
run_step("build" COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" -j 2)
run_step("run" COMMAND "${WORK_DIR}/build/spec2026_tests")
