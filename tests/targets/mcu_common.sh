# Sourced by the Cortex-M target tests (mcu_e2e.sh, mcu_parallel.sh): skips
# (exit 77, ctest: skipped) unless the firmware toolchain, newlib-nano and the
# emulator are installed (scripts/cross_setup.sh), then makes the work
# directory $work afresh (absolute) and defines fail().
# Needs $work; $mcu_tools lists the programs to require (default: the
# compiler and the emulator).
for tool in ${mcu_tools:-arm-none-eabi-gcc qemu-system-arm}; do
  if ! command -v $tool >/dev/null 2>&1; then
    echo "SKIP: $tool not found (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)"
    exit 77
  fi
done
if ! echo 'int main(void){return 0;}' | arm-none-eabi-gcc --specs=nano.specs -x c -c -o /dev/null - 2>/dev/null; then
  echo "SKIP: newlib-nano not found (Debian: libnewlib-arm-none-eabi)"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work"
work=$(realpath "$work")
fail() { echo "FAIL: $*"; exit 1; }
