# Install-time helper of cmake/install.cmake (install(CODE) includes it; docs/cmake.md,
# "Installing cross runtimes"): copies one cross target's runtime and agent from
# its own build tree into PREFIX/lib/neuroc/<target>/ and installs the target's
# spec into PREFIX/share/neuroc/targets/ with the build-tree paths rewritten to
# the installed ones. Included, not called, so that file(INSTALL) records the
# files in the install manifest of the calling scope.
#
# Input variables (set by the install(CODE) line before the include):
#   _nc_target    target name, e.g. aarch64-linux (the spec is <target>.yaml)
#   _nc_build     the cross build tree given at configure time (may be empty)
#   _nc_env       environment variable that, when set at install time, names the
#                 build tree instead (so a test or packager need not reconfigure)
#   _nc_subdir    sub directory of the build tree holding this target's files
#   _nc_files     files of the build tree to install (relative to _nc_build/_nc_subdir);
#                 a leading `?` marks one as optional
#   _nc_extra     further files (absolute paths), e.g. the firmware linker script
#   _nc_spec      the spec in the source tree
#   _nc_replace   FROM;TO;FROM;TO... exact strings of the spec to rewrite; each
#                 FROM must occur, so a spec edit cannot silently break the install
#   _nc_optional  TRUE: skip with a message when the sub directory does not exist

if(DEFINED ENV{${_nc_env}} AND NOT "$ENV{${_nc_env}}" STREQUAL "")
  set(_nc_build "$ENV{${_nc_env}}")
endif()
if("${_nc_build}" STREQUAL "")
  # nothing to install: share/neuroc/targets/<target>.yaml stays the source
  # spec with its build-tree paths (docs/cmake.md says so)
  return()
endif()
get_filename_component(_nc_build "${_nc_build}" ABSOLUTE)
set(_nc_dir "${_nc_build}")
if(NOT "${_nc_subdir}" STREQUAL "")
  set(_nc_dir "${_nc_build}/${_nc_subdir}")
endif()
if(NOT IS_DIRECTORY "${_nc_dir}")
  if(_nc_optional)
    message(STATUS "neuroc: ${_nc_dir} does not exist, ${_nc_target} is not installed")
    return()
  endif()
  message(FATAL_ERROR "neuroc: the ${_nc_target} build tree ${_nc_dir} (from ${_nc_env}) does not exist")
endif()

# the spec first: a failed rewrite leaves nothing half installed
file(READ "${_nc_spec}" _nc_text)
list(LENGTH _nc_replace _nc_n)
math(EXPR _nc_last "${_nc_n} - 1")
foreach(_nc_i RANGE 0 ${_nc_last} 2)
  math(EXPR _nc_j "${_nc_i} + 1")
  list(GET _nc_replace ${_nc_i} _nc_from)
  list(GET _nc_replace ${_nc_j} _nc_to)
  string(FIND "${_nc_text}" "${_nc_from}" _nc_at)
  if(_nc_at EQUAL -1)
    message(FATAL_ERROR "neuroc: ${_nc_spec} no longer contains \"${_nc_from}\", which the "
      "install rewrites to \"${_nc_to}\": update the rewrite in cmake/install.cmake")
  endif()
  string(REPLACE "${_nc_from}" "${_nc_to}" _nc_text "${_nc_text}")
endforeach()
set(_nc_dest "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/lib/neuroc/${_nc_target}")
set(_nc_srcs ${_nc_extra})
foreach(_nc_f IN LISTS _nc_files)
  string(REGEX REPLACE "^\\?" "" _nc_rel "${_nc_f}")
  if(EXISTS "${_nc_dir}/${_nc_rel}")
    list(APPEND _nc_srcs "${_nc_dir}/${_nc_rel}")
  elseif(_nc_rel STREQUAL _nc_f)
    message(FATAL_ERROR "neuroc: ${_nc_dir}/${_nc_rel} does not exist: build the ${_nc_target} "
      "runtime first (docs/cmake.md, \"Installing cross runtimes\")")
  endif()
endforeach()
# USE_SOURCE_PERMISSIONS keeps the agent executable
if(_nc_srcs)
  file(INSTALL DESTINATION "${_nc_dest}" TYPE FILE USE_SOURCE_PERMISSIONS FILES ${_nc_srcs})
endif()

set(_nc_out "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/share/neuroc/targets/${_nc_target}.yaml")
message(STATUS "Installing: ${_nc_out} (build-tree paths rewritten to lib/neuroc/${_nc_target}/)")
file(WRITE "${_nc_out}"
  "# Installed by cmake --install from targets/${_nc_target}.yaml of the neuroc source:\n"
  "# its build-tree paths are rewritten to the installed ones (cmake/install_cross.cmake).\n"
  "${_nc_text}")
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${_nc_out}")
