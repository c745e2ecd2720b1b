# run_step(<description> COMMAND ... [WORKING_DIRECTORY dir]): runs one step of a ctest script and stops
# the test if it fails.
function(run_step description)
  cmake_parse_arguments(STEP "" "WORKING_DIRECTORY" "COMMAND" ${ARGN})
  if(NOT STEP_WORKING_DIRECTORY)
    set(STEP_WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  message(STATUS "${description}")
  execute_process(COMMAND ${STEP_COMMAND} WORKING_DIRECTORY "${STEP_WORKING_DIRECTORY}" RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${description}: failed (${result})")
  endif()
endfunction()
