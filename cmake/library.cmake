# Properties of the library target `pickle` beyond its sources: the generated version
# header. Included by the top-level CMakeLists.txt right after add_library(pickle).

# include/pickle/version.hpp, generated into the build tree and installed beside the
# other headers. PICKLE_VERSION is major * 10000 + minor * 100 + patch.
math(EXPR PICKLE_VERSION_NUMBER
  "${PROJECT_VERSION_MAJOR} * 10000 + ${PROJECT_VERSION_MINOR} * 100 + ${PROJECT_VERSION_PATCH}")
set(PICKLE_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/include)
configure_file(${PROJECT_SOURCE_DIR}/cmake/version.hpp.in
  ${PICKLE_GENERATED_INCLUDE_DIR}/pickle/version.hpp @ONLY)
target_include_directories(pickle PUBLIC $<BUILD_INTERFACE:${PICKLE_GENERATED_INCLUDE_DIR}>)
