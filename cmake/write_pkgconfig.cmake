# Writes pickle.pc from cmake/pickle.pc.in at install time (install(CODE) in
# cmake/install.cmake), when CMAKE_INSTALL_PREFIX is the prefix really installed to:
# `cmake --install --prefix DIR` changes it after configuring. The paths are absolute,
# as pkg-config users expect (a path relative to ${pcfiledir} would make `-I/usr/include`
# unrecognisable as a system directory when installed to /usr). Input variables:
# PICKLE_PC_TEMPLATE, PICKLE_PC_OUTPUT, PICKLE_PC_VERSION, and PICKLE_PC_LIBDIR and
# PICKLE_PC_INCLUDEDIR as GNUInstallDirs gives them (relative to the prefix, or
# absolute).
set(PICKLE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
foreach(dir LIBDIR INCLUDEDIR)
  if(NOT IS_ABSOLUTE "${PICKLE_PC_${dir}}")
    set(PICKLE_PC_${dir} "\${prefix}/${PICKLE_PC_${dir}}")
  endif()
endforeach()
configure_file("${PICKLE_PC_TEMPLATE}" "${PICKLE_PC_OUTPUT}" @ONLY)
