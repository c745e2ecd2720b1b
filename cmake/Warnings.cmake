# -Wall -Wextra on everything we compile; -Werror when building this project on its own, so that the
# generated code stays warning-free.
function(openai_batch_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra)
    if(OPENAI_BATCH_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()
