# Runs PROGRAM with ARGS ('|'-separated) in WORKDIR and fails unless it exits 0 and its
# standard output is exactly the contents of EXPECTED.
#   cmake -DPROGRAM=... [-DARGS=a|b] -DEXPECTED=file -DWORKDIR=dir -P check_output.cmake
string(REPLACE "|" ";" _args "${ARGS}")
execute_process(COMMAND "${PROGRAM}" ${_args}
  WORKING_DIRECTORY "${WORKDIR}"
  OUTPUT_VARIABLE _out ERROR_VARIABLE _err RESULT_VARIABLE _rc)
file(READ "${EXPECTED}" _want)
if(NOT _rc EQUAL 0)
  message(NOTICE "--- stdout\n${_out}--- stderr\n${_err}")
  message(FATAL_ERROR "${PROGRAM} exited with ${_rc}")
endif()
if(NOT _out STREQUAL _want)
  message(NOTICE "--- expected\n${_want}--- got\n${_out}--- stderr\n${_err}")
  message(FATAL_ERROR "the output differs from ${EXPECTED}")
endif()
message(STATUS "the output matches ${EXPECTED}")
