# neuroc_add_model(<target> MODEL model.onnx TARGET_SPEC spec.yaml
#                  [PLAN plan.yaml] [CALIBRATE dir] [DTYPE f32|int8|auto]
#                  [NAME prefix] [DB profile-db.yaml])
#
# Generates <NAME>.c/<NAME>.h (NAME defaults to "model") at build time with
# `neuroc compile` into ${CMAKE_CURRENT_BINARY_DIR}/<target>/ and builds them
# into the static library <target>, linked to neuroc::rt, with the generated
# header's directory public. The command re-runs only when the model, the
# spec, the plan, the calibration files or the neuroc executable change.
# With PLAN the output is byte-identical from build to build and nothing is
# measured; without it neuroc measures routines on the build machine (through
# the profile DB), so the generated code can differ between machines.
# Relative paths are taken from CMAKE_CURRENT_SOURCE_DIR. See docs/cmake.md.
function(neuroc_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 NC "" "MODEL;TARGET_SPEC;PLAN;CALIBRATE;DTYPE;NAME;DB" "")
  if(NC_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "neuroc_add_model(${target}): unknown arguments: ${NC_UNPARSED_ARGUMENTS}")
  endif()
  foreach(required MODEL TARGET_SPEC)
    if(NOT NC_${required})
      message(FATAL_ERROR "neuroc_add_model(${target}): ${required} is required")
    endif()
  endforeach()
  if(NOT NEUROC_EXECUTABLE)
    message(FATAL_ERROR "neuroc_add_model(${target}): NEUROC_EXECUTABLE is not set (use find_package(neuroc))")
  endif()
  if(NC_DTYPE AND NOT NC_DTYPE MATCHES "^(f32|int8|auto)$")
    message(FATAL_ERROR "neuroc_add_model(${target}): DTYPE must be f32, int8 or auto, not '${NC_DTYPE}'")
  endif()
  if(NOT NC_NAME)
    set(NC_NAME model)
  endif()

  set(deps "${NEUROC_EXECUTABLE}")
  foreach(key MODEL TARGET_SPEC PLAN CALIBRATE DB)
    if(NC_${key})
      get_filename_component(NC_${key} "${NC_${key}}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
      if(NOT key STREQUAL "DB" AND NOT EXISTS "${NC_${key}}")
        message(FATAL_ERROR "neuroc_add_model(${target}): ${key} '${NC_${key}}' does not exist")
      endif()
    endif()
  endforeach()
  list(APPEND deps "${NC_MODEL}" "${NC_TARGET_SPEC}")

  set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}")
  set(args compile "${NC_MODEL}" -t "${NC_TARGET_SPEC}" -o "${out}" --name "${NC_NAME}" -q)
  if(NC_PLAN)
    list(APPEND args --plan "${NC_PLAN}")
    list(APPEND deps "${NC_PLAN}")
  endif()
  if(NC_CALIBRATE)
    list(APPEND args --calibrate "${NC_CALIBRATE}")
    # The calibration files as they are at configure time: re-run cmake after
    # adding or removing files there.
    file(GLOB calib_files "${NC_CALIBRATE}/*.npy" "${NC_CALIBRATE}/*.bin")
    list(APPEND deps ${calib_files})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${NC_CALIBRATE}")
  endif()
  if(NC_DTYPE)
    list(APPEND args --dtype "${NC_DTYPE}")
  endif()
  if(NC_DB)
    list(APPEND args --db "${NC_DB}")
  endif()

  add_custom_command(
    OUTPUT "${out}/${NC_NAME}.c" "${out}/${NC_NAME}.h"
    BYPRODUCTS "${out}/plan.yaml"
    COMMAND "${NEUROC_EXECUTABLE}" ${args}
    DEPENDS ${deps}
    COMMENT "neuroc: generating ${target}/${NC_NAME}.c from ${NC_MODEL}"
    VERBATIM)
  add_library(${target} STATIC "${out}/${NC_NAME}.c" "${out}/${NC_NAME}.h")
  target_include_directories(${target} PUBLIC "${out}")
  target_link_libraries(${target} PUBLIC neuroc::rt)
endfunction()
