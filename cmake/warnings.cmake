# Compiler warnings for cnnlab targets (STYLE.md 4.9).
function(cnnlab_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Wnull-dereference)
  if(CNNLAB_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
