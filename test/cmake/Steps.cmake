# run_step(<description> COMMAND ...): runs one step of a ctest script and stops the test if it fails.
function(run_step description)
  cmake_parse_arguments(STEP "" "" "COMMAND" ${ARGN})
  message(STATUS "${description}")
  execute_process(COMMAND ${STEP_COMMAND} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${description}: failed (${result})")
  endif()
endfunction()
