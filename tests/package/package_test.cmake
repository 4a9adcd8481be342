# One step of the packaging tests (tests/package/CMakeLists.txt registers each as
# `package.<STEP>`), run as `cmake -DSTEP=... -P package_test.cmake`:
#
#   install_static, install_shared  stage an install of a static or shared build with
#       `cmake --install --prefix`: of the enclosing build when it has that type (it is
#       built already), else (OWN_BUILD) of a build of the library alone in LIB_BUILD_DIR
#   find_package_static, find_package_shared  configure, build and run find_package/
#       against that staging prefix
#   pkg_config_static, pkg_config_shared  compile consumer.cpp with the compiler and
#       `pkg-config --cflags --libs pickle`, nothing else
#   exports  the symbols the staged libpickle.so exports, and its SONAME
#   add_subdirectory  configure, build and run add_subdirectory/, which builds pickle++
#       from SOURCE_DIR inside its own tree, and install it: nothing of pickle++ may come
#   headers  every public header opens and closes the visibility pragma
#
# Build directories stay in WORK_DIR between runs, so a rerun only rebuilds what
# changed; the consumers' caches are made afresh each time. Other inputs: GENERATOR,
# MAKE_PROGRAM, CXX_COMPILER, BUILD_TYPE, JOBS, VERSION (the project's), PKG_CONFIG,
# EXPECTED (the consumer's expected output).
cmake_minimum_required(VERSION 3.25)

set(here ${CMAKE_CURRENT_LIST_DIR})

function(run)
  string(JOIN " " line ${ARGV})
  message(STATUS "$ ${line}")
  execute_process(COMMAND ${ARGV} COMMAND_ERROR_IS_FATAL ANY)
endfunction()

function(fail)
  string(JOIN "" text ${ARGV})
  message(FATAL_ERROR "${text}")
endfunction()

# The enclosing build's toolchain, so that everything is built with the same compiler.
set(toolchain -G ${GENERATOR} -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}
              -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=${BUILD_TYPE})

# Runs PROGRAM and compares what it prints with EXPECTED.
function(check_consumer program)
  execute_process(COMMAND ${program} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  message(STATUS "${program} printed:\n${out}")
  file(READ ${EXPECTED} expected)
  if(NOT rc EQUAL 0 OR NOT out STREQUAL expected)
    fail("${program} exited with ${rc}; expected this output:\n${expected}")
  endif()
endfunction()

# The shared library's SONAME: major.minor until 1.0, then major ([NOTE soversion]).
string(REPLACE "." ";" version_parts ${VERSION})
list(GET version_parts 0 major)
list(GET version_parts 1 minor)
if(major EQUAL 0)
  set(soname libpickle.so.${major}.${minor})
else()
  set(soname libpickle.so.${major})
endif()

if(STEP MATCHES "_(static|shared)$")
  set(type ${CMAKE_MATCH_1})
  set(stage ${WORK_DIR}/stage-${type})
endif()

# The staged file whose name matches REGEX, relative to the stage (the library
# directory depends on GNUInstallDirs: lib, lib64 or lib/<multiarch>).
function(staged out regex)
  file(GLOB_RECURSE files RELATIVE ${stage} ${stage}/*)
  list(FILTER files INCLUDE REGEX "${regex}")
  list(LENGTH files n)
  if(NOT n EQUAL 1)
    fail("${stage}: expected one file matching ${regex}, found: ${files}")
  endif()
  set(${out} ${files} PARENT_SCOPE)
endfunction()

if(STEP MATCHES "^install_")
  if(OWN_BUILD)
    if(type STREQUAL "shared")
      set(shared ON)
    else()
      set(shared OFF)
    endif()
    run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${LIB_BUILD_DIR} ${toolchain}
        -DBUILD_SHARED_LIBS=${shared} -DPICKLE_WERROR=ON -DPICKLE_BUILD_TESTS=OFF
        -DPICKLE_BUILD_CLI=OFF -DPICKLE_BUILD_EXAMPLES=OFF -DPICKLE_INSTALL=ON)
    run(${CMAKE_COMMAND} --build ${LIB_BUILD_DIR} -j ${JOBS})
  endif()
  file(REMOVE_RECURSE ${stage})
  run(${CMAKE_COMMAND} --install ${LIB_BUILD_DIR} --prefix ${stage})

  # What a user of the package needs is there, and nothing of the library's build.
  foreach(regex "^include/pickle/pickle\\.hpp$" "^include/pickle/version\\.hpp$"
                "^include/pickle/opcodes\\.def$" "/cmake/pickle/pickleConfig\\.cmake$"
                "/cmake/pickle/pickleConfigVersion\\.cmake$" "/pkgconfig/pickle\\.pc$")
    staged(file "${regex}")
  endforeach()
  if(type STREQUAL "shared")
    staged(lib "/libpickle\\.so\\.${VERSION}$")
    staged(link "/${soname}$")
    staged(dev "/libpickle\\.so$")
  else()
    staged(lib "/libpickle\\.a$")
    file(GLOB_RECURSE so ${stage}/libpickle.so*)
    if(so)
      fail("a static build installed ${so}")
    endif()
  endif()
  # The headers are those of include/pickle/ and the generated version.hpp.
  file(GLOB_RECURSE installed RELATIVE ${stage}/include ${stage}/include/*)
  file(GLOB_RECURSE sources RELATIVE ${SOURCE_DIR}/include ${SOURCE_DIR}/include/*)
  list(APPEND sources pickle/version.hpp)
  list(SORT installed)
  list(SORT sources)
  if(NOT installed STREQUAL sources)
    fail("installed headers: ${installed}\nexpected: ${sources}")
  endif()

  # The tool, when the build has it, runs from the prefix.
  if(EXISTS ${stage}/bin/pickle)
    execute_process(COMMAND ${stage}/bin/pickle --version OUTPUT_VARIABLE out
                    COMMAND_ERROR_IS_FATAL ANY)
    if(NOT out MATCHES "^pickle ${VERSION}\n$")
      fail("${stage}/bin/pickle --version printed: ${out}")
    endif()
  endif()

elseif(STEP MATCHES "^find_package_")
  set(build ${WORK_DIR}/find_package-${type})
  file(REMOVE_RECURSE ${build})
  run(${CMAKE_COMMAND} -S ${here}/find_package -B ${build} ${toolchain}
      -DCMAKE_PREFIX_PATH=${stage})
  run(${CMAKE_COMMAND} --build ${build} -j ${JOBS})
  if(type STREQUAL "shared")
    # Linked to the staged shared library (found through the build RPATH).
    execute_process(COMMAND readelf -d ${build}/consumer OUTPUT_VARIABLE dynamic
                    COMMAND_ERROR_IS_FATAL ANY)
    if(NOT dynamic MATCHES "NEEDED[^\n]*\\[${soname}\\]")
      fail("consumer does not need ${soname}:\n${dynamic}")
    endif()
  endif()
  check_consumer(${build}/consumer)

elseif(STEP MATCHES "^pkg_config_")
  if(NOT PKG_CONFIG)
    fail("pkg-config was not found (scripts/install-deps.sh installs it)")
  endif()
  staged(pc "/pkgconfig/pickle\\.pc$")
  get_filename_component(pc_dir ${stage}/${pc} DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} ${pc_dir})
  unset(ENV{PKG_CONFIG_LIBDIR})
  function(pkg_config out)
    execute_process(COMMAND ${PKG_CONFIG} ${ARGN} pickle OUTPUT_VARIABLE value
                    OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
    message(STATUS "pkg-config ${ARGN} pickle: ${value}")
    set(${out} "${value}" PARENT_SCOPE)
  endfunction()
  pkg_config(modversion --modversion)
  pkg_config(prefix --variable=prefix)
  pkg_config(libdir --variable=libdir)
  # The prefix is the one given to `cmake --install --prefix`, not the configured one.
  if(NOT modversion STREQUAL VERSION OR NOT prefix STREQUAL stage)
    fail("pickle.pc has version ${modversion} and prefix ${prefix}")
  endif()
  if(type STREQUAL "static")
    pkg_config(flags --cflags --libs --static)
  else()
    pkg_config(flags --cflags --libs)
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  set(build ${WORK_DIR}/pkg_config-${type})
  file(REMOVE_RECURSE ${build})
  file(MAKE_DIRECTORY ${build})
  # -std=c++20 is the consumer's choice, as it would be in any build (see pickle.pc.in).
  set(compile ${CXX_COMPILER} -std=c++20 -Wall -Wextra -Wpedantic -Werror
      ${here}/consumer.cpp -o ${build}/consumer ${flags})
  if(type STREQUAL "shared")
    list(APPEND compile -Wl,-rpath,${libdir})
  endif()
  run(${compile})
  check_consumer(${build}/consumer)

elseif(STEP STREQUAL "exports")
  set(stage ${WORK_DIR}/stage-shared)
  staged(lib "/libpickle\\.so\\.${VERSION}$")
  execute_process(COMMAND readelf -d ${stage}/${lib} OUTPUT_VARIABLE dynamic
                  COMMAND_ERROR_IS_FATAL ANY)
  if(NOT dynamic MATCHES "SONAME[^\n]*\\[${soname}\\]")
    fail("${lib} does not have the SONAME ${soname}:\n${dynamic}")
  endif()
  execute_process(COMMAND nm -D --defined-only -C ${stage}/${lib} OUTPUT_VARIABLE symbols
                  COMMAND_ERROR_IS_FATAL ANY)
  foreach(symbol "T pickle::version()" "T pickle::loads" "T pickle::dumps"
                 "V typeinfo for pickle::UnpicklingError")
    string(FIND "${symbols}" "${symbol}" at)
    if(at EQUAL -1)
      fail("${lib} does not export ${symbol}:\n${symbols}")
    endif()
  endforeach()
  if(symbols MATCHES "anonymous namespace")
    fail("${lib} exports anonymous-namespace symbols")
  endif()
  # [NOTE visibility]: a pickle::detail name may be exported only when a public header
  # declares it (opcodes.hpp's op_table, used by inline code); src/'s private headers'
  # pickle::detail must stay hidden.
  file(GLOB_RECURSE headers ${stage}/include/pickle/*)
  set(public "")
  foreach(header IN LISTS headers)
    file(READ ${header} text)
    string(APPEND public "${text}")
  endforeach()
  string(REGEX MATCHALL "pickle::detail::[A-Za-z_][A-Za-z_0-9]*" names "${symbols}")
  list(REMOVE_DUPLICATES names)
  set(leaked "")
  foreach(name IN LISTS names)
    string(REPLACE "pickle::detail::" "" id ${name})
    if(NOT public MATCHES "[^A-Za-z_0-9]${id}[^A-Za-z_0-9]")
      list(APPEND leaked ${name})
    endif()
  endforeach()
  if(leaked)
    string(REPLACE ";" "\n  " leaked "${leaked}")
    fail("${lib} exports internals of src/:\n  ${leaked}")
  endif()
  string(REGEX MATCHALL "\n[0-9a-f]+ [A-Za-z] pickle::" public_symbols "${symbols}")
  list(LENGTH public_symbols n)
  message(STATUS "${lib}: SONAME ${soname}; ${n} pickle:: symbols exported, of "
                 "pickle::detail only what the public headers declare: ${names}")

elseif(STEP STREQUAL "add_subdirectory")
  set(build ${WORK_DIR}/add_subdirectory)
  # A fresh cache (pickle++'s options at their subproject defaults), the objects kept.
  file(REMOVE ${build}/CMakeCache.txt)
  run(${CMAKE_COMMAND} -S ${here}/add_subdirectory -B ${build} ${toolchain}
      -DPICKLE_SOURCE_DIR=${SOURCE_DIR})
  run(${CMAKE_COMMAND} --build ${build} -j ${JOBS})
  check_consumer(${build}/consumer)
  set(prefix ${WORK_DIR}/add_subdirectory-install)
  file(REMOVE_RECURSE ${prefix})
  run(${CMAKE_COMMAND} --install ${build} --prefix ${prefix})
  file(GLOB_RECURSE installed RELATIVE ${prefix} ${prefix}/*)
  if(NOT installed STREQUAL "bin/consumer")
    fail("installing a project that embeds pickle++ installed: ${installed}")
  endif()

elseif(STEP STREQUAL "headers")
  # [NOTE visibility]: each public header declares its API between
  # `#pragma GCC visibility push(default)` and `#pragma GCC visibility pop`.
  file(GLOB_RECURSE headers RELATIVE ${SOURCE_DIR} ${SOURCE_DIR}/include/pickle/*.hpp)
  set(bad "")
  foreach(header IN LISTS headers)
    file(READ ${SOURCE_DIR}/${header} text)
    string(REGEX MATCHALL "#pragma GCC visibility" pragmas "${text}")
    list(LENGTH pragmas n)
    string(FIND "${text}" "\n#pragma GCC visibility push(default)" push)
    string(FIND "${text}" "\nnamespace " first_namespace)
    # (A header of includes alone, as typed.hpp, has no namespace.)
    if(NOT n EQUAL 2 OR push EQUAL -1
       OR (NOT first_namespace EQUAL -1 AND first_namespace LESS push)
       OR NOT text MATCHES "\n#pragma GCC visibility pop\n$")
      list(APPEND bad ${header})
    endif()
  endforeach()
  if(bad)
    string(REPLACE ";" "\n  " bad "${bad}")
    fail("public headers without `#pragma GCC visibility push(default)` before their "
         "first namespace and `#pragma GCC visibility pop` as their last line "
         "(see [NOTE visibility] in cmake/library.cmake):\n  ${bad}")
  endif()
  list(LENGTH headers n)
  message(STATUS "${n} public headers, each between push(default) and pop")

else()
  fail("unknown STEP ${STEP}")
endif()
