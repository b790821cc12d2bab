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
