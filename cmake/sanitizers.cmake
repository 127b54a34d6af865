# CNNLAB_SANITIZE="address;undefined" builds everything with those sanitizers; UBSan findings abort.
if(CNNLAB_SANITIZE)
  string(REPLACE ";" "," _cnnlab_sanitizers "${CNNLAB_SANITIZE}")
  add_compile_options(-fsanitize=${_cnnlab_sanitizers} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_cnnlab_sanitizers})
endif()
