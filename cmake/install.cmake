# Install rules: the library, the headers (with the generated version.hpp), the CMake
# package (find_package(pickle)), a pkg-config file and the tool. Included by the
# top-level CMakeLists.txt when PICKLE_INSTALL is on (by default only when pickle++ is
# the top-level project, so add_subdirectory and FetchContent users install nothing).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS pickle EXPORT pickleTargets)
install(DIRECTORY include/pickle DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PICKLE_GENERATED_INCLUDE_DIR}/pickle/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/pickle)

# The CMake package. A version is compatible within one minor version until 1.0 (see
# [NOTE soversion] in cmake/library.cmake), within one major version after.
set(PICKLE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/pickle)
install(EXPORT pickleTargets NAMESPACE pickle:: DESTINATION ${PICKLE_CMAKE_DIR})
configure_package_config_file(cmake/pickleConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/pickleConfig.cmake
  INSTALL_DESTINATION ${PICKLE_CMAKE_DIR})
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_pickle_compatibility SameMinorVersion)
else()
  set(_pickle_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/pickleConfigVersion.cmake
  COMPATIBILITY ${_pickle_compatibility})
unset(_pickle_compatibility)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pickleConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/pickleConfigVersion.cmake
  DESTINATION ${PICKLE_CMAKE_DIR})

# pickle.pc, written at install time so that its prefix is the one installed to
# (`cmake --install build --prefix DIR` included); see cmake/write_pkgconfig.cmake.
install(CODE "
  set(PICKLE_PC_TEMPLATE \"${PROJECT_SOURCE_DIR}/cmake/pickle.pc.in\")
  set(PICKLE_PC_OUTPUT \"${CMAKE_CURRENT_BINARY_DIR}/pickle.pc\")
  set(PICKLE_PC_VERSION \"${PROJECT_VERSION}\")
  set(PICKLE_PC_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
  set(PICKLE_PC_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
  include(\"${PROJECT_SOURCE_DIR}/cmake/write_pkgconfig.cmake\")")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pickle.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(TARGET pickle_cli)
  # A shared libpickle is found from the installed tool, wherever the prefix is.
  get_target_property(_pickle_type pickle TYPE)
  if(_pickle_type STREQUAL "SHARED_LIBRARY" AND NOT IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
    file(RELATIVE_PATH _pickle_bin_to_lib ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}
      ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR})
    set_target_properties(pickle_cli PROPERTIES INSTALL_RPATH "$ORIGIN/${_pickle_bin_to_lib}")
    unset(_pickle_bin_to_lib)
  endif()
  unset(_pickle_type)
  install(TARGETS pickle_cli)
endif()
