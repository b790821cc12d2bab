# Install layout of neuroc (included from the top-level CMakeLists.txt after
# the subdirectories, which install their own targets). docs/cmake.md.
include(CMakePackageConfigHelpers)

set(NEUROC_INSTALL_BINDIR bin)
set(NEUROC_INSTALL_CMAKEDIR lib/cmake/neuroc)
set(NEUROC_INSTALL_TARGETSDIR share/neuroc/targets)

install(EXPORT neurocTargets NAMESPACE neuroc:: DESTINATION ${NEUROC_INSTALL_CMAKEDIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/neurocConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/neurocConfig.cmake
  INSTALL_DESTINATION ${NEUROC_INSTALL_CMAKEDIR}
  PATH_VARS NEUROC_INSTALL_BINDIR NEUROC_INSTALL_TARGETSDIR)
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/neurocConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
configure_file(${CMAKE_CURRENT_LIST_DIR}/neuroc-rt.pc.in
  ${PROJECT_BINARY_DIR}/cmake/neuroc-rt.pc @ONLY)

install(FILES
  ${PROJECT_BINARY_DIR}/cmake/neurocConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/neurocConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/neurocFunctions.cmake
  DESTINATION ${NEUROC_INSTALL_CMAKEDIR})
install(FILES ${PROJECT_BINARY_DIR}/cmake/neuroc-rt.pc DESTINATION lib/pkgconfig)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/targets/ DESTINATION ${NEUROC_INSTALL_TARGETSDIR}
  FILES_MATCHING PATTERN "*.yaml")

# Cross targets (docs/cmake.md, "Installing cross runtimes"): with a cross build
# tree named, cmake --install copies its runtime and agent to
# lib/neuroc/<target>/ and installs the target's spec with its build-tree paths
# rewritten (cmake/install_cross.cmake). The environment variable of the same
# name, set at install time, overrides the cache variable. Unset: the specs are
# installed as they are, naming the user's own build trees.
set(NEUROC_INSTALL_AARCH64_BUILD "" CACHE PATH
  "aarch64 cross build tree (scripts/build_aarch64.sh) whose runtime and agent cmake --install installs")
set(NEUROC_INSTALL_MCU_BUILD "" CACHE PATH
  "MPS2 firmware build dir (make -C runtime-min/mcu BUILD=...; the M7 one in its m7/) that cmake --install installs")

# The installed spec sits in share/neuroc/targets/: the prefix is ../../../ from it.
set(_nc_up ../../..)
# neuroc_install_cross(TARGET BUILD ENV SUBDIR OPTIONAL FILES EXTRA REPLACE):
# one install(CODE) running cmake/install_cross.cmake at install time.
function(neuroc_install_cross target build env subdir optional files extra replace)
  install(CODE "set(_nc_target \"${target}\")
set(_nc_build \"${build}\")
set(_nc_env \"${env}\")
set(_nc_subdir \"${subdir}\")
set(_nc_optional ${optional})
set(_nc_files \"${files}\")
set(_nc_extra \"${extra}\")
set(_nc_spec \"${PROJECT_SOURCE_DIR}/targets/${target}.yaml\")
set(_nc_replace \"${replace}\")
include(\"${CMAKE_CURRENT_FUNCTION_LIST_DIR}/install_cross.cmake\")")
endfunction()

set(_nc_lib ${_nc_up}/lib/neuroc)
neuroc_install_cross(aarch64-linux "${NEUROC_INSTALL_AARCH64_BUILD}" NEUROC_INSTALL_AARCH64_BUILD
  runtime-min FALSE "libneuroc_rt.a;agent/neuroc-agent" ""
  "library: ../build-aarch64/runtime-min/libneuroc_rt.a;library: ${_nc_lib}/aarch64-linux/libneuroc_rt.a;include: ../runtime-min/include;include: ${_nc_up}/include;../build-aarch64/runtime-min/agent/neuroc-agent --stdio;${_nc_lib}/aarch64-linux/neuroc-agent --stdio")
# The firmware example (examples/digits-mcu) links the routine and board
# libraries with the board's linker script and board.h; the agent is the firmware image.
set(_nc_fw_files "neuroc-agent-fw.elf;?libneuroc_rt.a;?libneuroc_board.a")
set(_nc_fw_extra "${PROJECT_SOURCE_DIR}/runtime-min/mcu/mps2_an386.ld;${PROJECT_SOURCE_DIR}/runtime-min/mcu/board.h")
neuroc_install_cross(cortex-m4-mps2 "${NEUROC_INSTALL_MCU_BUILD}" NEUROC_INSTALL_MCU_BUILD
  "" FALSE "${_nc_fw_files}" "${_nc_fw_extra}"
  "-kernel ../build-mcux/neuroc-agent-fw.elf;-kernel ${_nc_lib}/cortex-m4-mps2/neuroc-agent-fw.elf")
# `make CPU=cortex-m7` writes to m7/ of the default build dir; optional, as
# an M4-only build is complete on its own.
neuroc_install_cross(cortex-m7-mps2 "${NEUROC_INSTALL_MCU_BUILD}" NEUROC_INSTALL_MCU_BUILD
  m7 TRUE "${_nc_fw_files}" "${_nc_fw_extra}"
  "-kernel ../build-mcux/m7/neuroc-agent-fw.elf;-kernel ${_nc_lib}/cortex-m7-mps2/neuroc-agent-fw.elf")
