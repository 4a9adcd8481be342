# Properties of the library target `pickle` beyond its sources: the generated version
# header, what a shared build exports, and `pickle_internal` for the code that reaches
# into src/. Included by the top-level CMakeLists.txt right after add_library(pickle).

# include/pickle/version.hpp, generated into the build tree and installed beside the
# other headers. PICKLE_VERSION is major * 10000 + minor * 100 + patch.
math(EXPR PICKLE_VERSION_NUMBER
  "${PROJECT_VERSION_MAJOR} * 10000 + ${PROJECT_VERSION_MINOR} * 100 + ${PROJECT_VERSION_PATCH}")
set(PICKLE_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/include)
configure_file(${PROJECT_SOURCE_DIR}/cmake/version.hpp.in
  ${PICKLE_GENERATED_INCLUDE_DIR}/pickle/version.hpp @ONLY)
target_include_directories(pickle PUBLIC $<BUILD_INTERFACE:${PICKLE_GENERATED_INCLUDE_DIR}>)

# BUILD_SHARED_LIBS=ON makes `pickle` a shared library. [NOTE soversion] Until 1.0 the
# ABI may change with every minor version, so the SONAME carries major.minor
# (libpickle.so.0.1); from 1.0 on it carries the major version only.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(PICKLE_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
else()
  set(PICKLE_SOVERSION ${PROJECT_VERSION_MAJOR})
endif()
# [NOTE visibility] Everything is compiled with hidden visibility; each public header
# in include/pickle/ opens with `#pragma GCC visibility push(default)` and ends with
# `#pragma GCC visibility pop`, so exactly what the public headers declare is exported
# from libpickle.so and nothing of src/ (pickle::detail of the private headers, the
# anonymous namespaces). A new public header needs the same two lines;
# tests/package checks every header and the symbols a shared build exports.
set_target_properties(pickle PROPERTIES
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PICKLE_SOVERSION}
  CXX_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON)

# `pickle_internal`: what the unit tests and the fuzz targets link, since they call
# functions of src/'s private headers (text, bigint, the decoder). In a static build it
# is `pickle` itself; in a shared build, whose internals are hidden, it is a static
# archive of the same object files (nothing is compiled twice). Everything else (the
# tool, the examples, the other tests) links `pickle::pickle`, so in a shared build it
# runs on libpickle.so.
get_target_property(_pickle_type pickle TYPE)
if(_pickle_type STREQUAL "SHARED_LIBRARY")
  add_library(pickle_internal STATIC EXCLUDE_FROM_ALL $<TARGET_OBJECTS:pickle>)
  target_include_directories(pickle_internal PUBLIC
    $<TARGET_PROPERTY:pickle,INTERFACE_INCLUDE_DIRECTORIES>)
  target_compile_features(pickle_internal PUBLIC cxx_std_20)
  target_link_libraries(pickle_internal PUBLIC $<TARGET_PROPERTY:pickle,LINK_LIBRARIES>)
else()
  add_library(pickle_internal ALIAS pickle)
endif()
unset(_pickle_type)
