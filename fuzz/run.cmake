# ctest fuzz.short_pass: builds the harnesses with clang and runs each for RUNS inputs from its seed
# corpus (fuzz/corpus/<harness>). A crash, leak or sanitizer report fails the step.
#   cmake -DSOURCE_DIR=... -DWORK_DIR=... -DRUNS=20000 -P fuzz/run.cmake
include("${SOURCE_DIR}/test/cmake/Steps.cmake")
run_step("configure the harnesses with clang" COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/fuzz" -B "${WORK_DIR}/build"
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo)
run_step("build the harnesses" COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" -j 2)
foreach(harness result_file request_line)
  file(MAKE_DIRECTORY "${WORK_DIR}/found/${harness}")
  run_step("fuzz ${harness} for ${RUNS} runs" COMMAND "${WORK_DIR}/build/${harness}_fuzzer" -runs=${RUNS} -max_len=65536
    -artifact_prefix=${WORK_DIR}/found/${harness}/ "${WORK_DIR}/found/${harness}" "${SOURCE_DIR}/fuzz/corpus/${harness}")
endforeach()
