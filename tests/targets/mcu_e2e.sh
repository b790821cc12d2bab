#!/bin/sh
# End to end on the Cortex-M4F target under qemu-system-arm (docs/mcu.md):
# builds the firmware agent, tunes examples/digits through it (the agent
# under qemu, UART on TCP), builds examples/digits-mcu from that plan, runs
# it under qemu and checks: logits within 1e-3 of PyTorch's, the measured
# instructions of one inference within 5% of neuroc's prediction, and the
# model's RAM/flash in the linked image against plan.yaml; the agent's
# answers to bad requests (mcu_agent_errors.py). Then the int8 DSP
# routines against their c99 twins (tests/targets/mcu_dsp_check.c, bytes
# equal) and the int8 flow: tune --dtype int8 picks DSP routines, the
# firmware agrees with PyTorch on every image and its instruction count is
# within 5% of the prediction.
# usage: tests/targets/mcu_e2e.sh NEUROC WORKDIR
# Exit 77 (ctest: skipped) when the toolchain or qemu is missing.
set -eu
neuroc=$(realpath "$1")
work=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
mcu_tools="arm-none-eabi-gcc qemu-system-arm python3 cmake"
. "$root/tests/targets/mcu_common.sh"

echo "== firmware agent"
make -s -C "$root/runtime-min/mcu" -j2 all lib BUILD="$work/fw" >"$work/fw.log" 2>&1 ||
  { cat "$work/fw.log"; fail "building the firmware"; }
tail -2 "$work/fw.log"

echo "== the agent's error handling (tests/targets/mcu_agent_errors.py)"
python3 "$root/tests/targets/mcu_agent_errors.py" "$work/fw/neuroc-agent-fw.elf" >"$work/errors.log" 2>&1 ||
  { cat "$work/errors.log"; fail "agent error handling"; }
tail -1 "$work/errors.log"

# the spec, with the agent firmware of this build
sed "s|../build-mcux/neuroc-agent-fw.elf|$work/fw/neuroc-agent-fw.elf|" \
  "$root/targets/cortex-m4-mps2.yaml" >"$work/cortex-m4-mps2.yaml"
grep -q "$work/fw/neuroc-agent-fw.elf" "$work/cortex-m4-mps2.yaml" || fail "spec command not rewritten"

echo "== tune through the firmware agent under qemu"
"$neuroc" tune "$root/examples/digits/digits.onnx" -t "$work/cortex-m4-mps2.yaml" \
  --db "$work/db.yaml" -o "$work/tune" 2>&1 | tee "$work/tune.log"
plan=$work/tune/plan.yaml
grep -q '^cost_source: agent-tcp' "$plan" || fail "plan not measured through the agent"
grep -q 'cpu=Arm Cortex-M4' "$plan" || fail "fingerprint is not the firmware's"
grep -q 'measured [1-9][0-9]* new' "$work/tune.log" || fail "nothing measured"
predicted=$(sed -n 's/^predicted_ms: //p' "$plan")

echo "== firmware example from the plan"
make -s -C "$root/examples/digits-mcu" NEUROC="$neuroc" SPEC="$work/cortex-m4-mps2.yaml" \
  PLAN="$plan" MCU_BUILD="$work/fw" BUILD="$work/digits" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log"; fail "building examples/digits-mcu"; }
grep -v '^arm-none-eabi\|^python3\|^  ' "$work/build.log" || true
cmp -s "$work/tune/plan.yaml" "$work/digits/model/plan.yaml" || fail "compile --plan changed the plan"

echo "== run under qemu"
status=0
timeout 60 qemu-system-arm -M mps2-an386 -nographic -monitor none -icount shift=0 \
  -semihosting-config enable=on,target=native -serial stdio \
  -kernel "$work/digits/digits.elf" >"$work/run.log" 2>&1 </dev/null || status=$?
tr -d '\r' <"$work/run.log" | tail -3
[ $status -eq 0 ] || fail "firmware exited with status $status"
grep -q ': PASS' "$work/run.log" || fail "logits differ from PyTorch's"

# one inference (instructions, SysTick) against the DPRS prediction (ms =
# millions of instructions under -icount shift=0): the profile's purpose
instr=$(sed -n 's/.*= \([0-9]*\) instructions.*/\1/p' "$work/run.log")
[ -n "$instr" ] || fail "no instruction count in the output"
python3 - "$instr" "$predicted" <<'PY' || fail "prediction off"
import sys
measured, predicted = int(sys.argv[1]) / 1e6, float(sys.argv[2])
ratio = measured / predicted
print(f"one inference: {measured:.6f} M instructions, predicted {predicted:.6f}: ratio {ratio:.4f}")
sys.exit(0 if 0.95 <= ratio <= 1.05 else 1)
PY

# the model's RAM (static arena) and flash (weights) against plan.yaml
set -- $(arm-none-eabi-size "$work/digits/model.o" | awk 'NR == 2 {print $1, $2, $3}')
arena=$(sed -n 's/^arena_bytes: //p' "$plan")
weights=$(sed -n 's/^weights_bytes: //p' "$plan")
ram=$(($2 + $3))
flash=$(($1 + $2))
echo "model.o: RAM $ram bytes (plan arena $arena), flash $flash bytes (plan weights $weights)"
[ "$ram" -ge "$arena" ] && [ "$ram" -le $((arena + 64)) ] || fail "model RAM $ram vs arena $arena"
[ "$flash" -ge "$weights" ] || fail "model flash $flash below the packed weights $weights"
qemu_run() { # ELF LOG
  status=0
  timeout 60 qemu-system-arm -M mps2-an386 -nographic -monitor none -icount shift=0 \
    -semihosting-config enable=on,target=native -serial stdio -kernel "$1" >"$2" 2>&1 </dev/null ||
    status=$?
  tr -d '\r' <"$2" | tail -2
  return $status
}

echo "== int8 DSP routines against c99 (firmware)"
arm-none-eabi-gcc -std=c11 -O2 -Wall -Wextra -Werror -Wno-missing-field-initializers \
  -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -ffunction-sections -fdata-sections \
  -I"$root/runtime-min/include" -I"$root/runtime-min/mcu" "$root/tests/targets/mcu_dsp_check.c" \
  --specs=nano.specs -nostartfiles -T"$root/runtime-min/mcu/mps2_an386.ld" -Wl,--gc-sections \
  "$work/fw/libneuroc_board.a" "$work/fw/libneuroc_rt.a" -lm -o "$work/dsp_check.elf"
qemu_run "$work/dsp_check.elf" "$work/dsp_check.log" || fail "DSP routines differ from c99"
grep -q 'PASS' "$work/dsp_check.log" || fail "no PASS from the DSP check"

echo "== int8: tune, firmware, run"
"$neuroc" tune "$root/examples/digits/digits.onnx" -t "$work/cortex-m4-mps2.yaml" \
  --db "$work/db.yaml" --dtype int8 --calibrate "$root/examples/digits/calib" \
  -o "$work/tune8" 2>&1 | tail -2
plan8=$work/tune8/plan.yaml
grep -q 'routine: cpu:u8:.*/dsp/4x16' "$plan8" || fail "no DSP routine chosen for int8"
make -s -C "$root/examples/digits-mcu" NEUROC="$neuroc" SPEC="$work/cortex-m4-mps2.yaml" \
  PLAN="$plan8" MCU_BUILD="$work/fw" BUILD="$work/digits8" TOLERANCE=0.5 >"$work/build8.log" 2>&1 ||
  { cat "$work/build8.log"; fail "building the int8 firmware"; }
qemu_run "$work/digits8/digits.elf" "$work/run8.log" || fail "int8 firmware failed"
grep -q '20/20 agree with PyTorch' "$work/run8.log" || fail "int8 predictions differ from PyTorch's"
instr8=$(sed -n 's/.*= \([0-9]*\) instructions.*/\1/p' "$work/run8.log")
python3 - "$instr8" "$(sed -n 's/^predicted_ms: //p' "$plan8")" <<'PY' || fail "int8 prediction off"
import sys
measured, predicted = int(sys.argv[1]) / 1e6, float(sys.argv[2])
print(f"int8 inference: {measured:.6f} M instructions, predicted {predicted:.6f}: ratio {measured / predicted:.4f}")
sys.exit(0 if 0.95 <= measured / predicted <= 1.05 else 1)
PY
echo "PASS"
