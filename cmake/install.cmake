# Install rules: the library, the headers (with the generated version.hpp), the CMake
# package (find_package(pickle)) and the tool. Included by the top-level
# CMakeLists.txt when PICKLE_INSTALL is on (by default only when pickle++ is the
# top-level project, so add_subdirectory and FetchContent users install nothing).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS pickle EXPORT pickleTargets)
install(DIRECTORY include/pickle DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PICKLE_GENERATED_INCLUDE_DIR}/pickle/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/pickle)

# The CMake package. A version is compatible within one minor version (0.1.x).
set(PICKLE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/pickle)
install(EXPORT pickleTargets NAMESPACE pickle:: DESTINATION ${PICKLE_CMAKE_DIR})
configure_package_config_file(cmake/pickleConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/pickleConfig.cmake
  INSTALL_DESTINATION ${PICKLE_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/pickleConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pickleConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/pickleConfigVersion.cmake
  DESTINATION ${PICKLE_CMAKE_DIR})

if(TARGET pickle_cli)
  install(TARGETS pickle_cli)
endif()
