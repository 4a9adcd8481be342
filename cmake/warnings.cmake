function(pickle_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # g++ 12 false positives: -Wrestrict in libstdc++ string code at -O2,
    # -Wmaybe-uninitialized through std::optional at -O1, and
    # -Wmissing-field-initializers on designated initializers (GCC bug 96868).
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-maybe-uninitialized
                                             -Wno-missing-field-initializers)
  endif()
  if(PICKLE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
