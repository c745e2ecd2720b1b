# ctest fuzz.short_pass: builds the harnesses with clang and runs each for RUNS inputs (or SECONDS,
# whichever ends first) from its seed corpus fuzz/corpus/<harness>, with fuzz/<harness>.dict when there
# is one. A crash, leak or sanitizer report fails the step.
#   cmake -DSOURCE_DIR=. -DWORK_DIR=build/fuzz -DRUNS=-1 -DSECONDS=600 -P fuzz/run.cmake   (10 minutes each)
include("${SOURCE_DIR}/test/cmake/Steps.cmake")
if(NOT DEFINED SECONDS)
  set(SECONDS 0) # no time limit
endif()
run_step("configure the harnesses with clang" COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/fuzz" -B "${WORK_DIR}/build"
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo)
run_step("build the harnesses" COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" -j 2)
foreach(harness model result_file request_line error_body server_request webhook)
  file(MAKE_DIRECTORY "${WORK_DIR}/found/${harness}")
  set(dictionary "")
  if(EXISTS "${SOURCE_DIR}/fuzz/${harness}.dict")
    set(dictionary "-dict=${SOURCE_DIR}/fuzz/${harness}.dict")
  endif()
  run_step("fuzz ${harness} (runs: ${RUNS}, seconds: ${SECONDS})" COMMAND "${WORK_DIR}/build/${harness}_fuzzer" -runs=${RUNS}
    -max_total_time=${SECONDS} -max_len=65536 ${dictionary} -print_final_stats=1
    -artifact_prefix=${WORK_DIR}/found/${harness}/ "${WORK_DIR}/found/${harness}" "${SOURCE_DIR}/fuzz/corpus/${harness}")
endforeach()
