# Cross build for 64-bit Arm Linux with Debian's cross toolchain
# (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross) and arm64 multiarch libraries
# (libprotobuf-c-dev:arm64, libyaml-dev:arm64; installed by
# scripts/cross_setup.sh). Tests registered in a cross tree run under qemu-user
# (ctest does this through CMAKE_CROSSCOMPILING_EMULATOR); Criterion unit tests
# are not built there (no arm64 Criterion: it hangs under qemu-user and is not
# co-installable with the host's). See docs/targets.md.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;/usr/aarch64-linux-gnu)
# Generators (protoc-c) come from the build machine; libraries and headers
# from the target's multiarch directories.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
