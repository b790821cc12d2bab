#!/usr/bin/env bash
# Quantization benchmark (issue 5): f32, int8 and auto per model, beside
# ONNX Runtime f32 and ONNX Runtime running neuroc's exported QDQ models.
#
#   tests/models/run_quant.sh [--no-digits] [MODEL ...]
#
# Models: vgg16 resnet50 mobilenet_v2 mobilenet_v3_large by default (ONNX
# files from tests/models/setup.sh). Per model: a calibration set and a
# disjoint evaluation set of random ImageNet-normalised images
# (quant/data.py); `neuroc compile` for --dtype f32, int8 and auto (one
# profile DB for the three, --export-qdq for int8 and auto); the emitted
# model.c built with tests/bench/quant_runner.c, run on every evaluation
# input, then timed single-threaded on one (median of REPEAT); ONNX Runtime
# (1 thread) on the original model and on the QDQ exports (quant/ort_batch.js).
# Errors are against neuroc's f32 outputs: relative L2 over the whole batch
# and top-1 agreement. Then the digits CNN (examples/digits): held-out
# accuracy for f32, int8, auto and ONNX Runtime on the QDQ export.
# Writes QUANT_WORK/quant.md (a markdown table) and a log per step.
#
# Environment: NEUROC (default build/compiler/neuroc), RT_LIB (default: the
# libneuroc_rt.a beside NEUROC), TARGET (targets/host.yaml), REPEAT (20),
# N_EVAL (100), N_CALIB (8), AUTO_ARGS (extra args for --dtype auto, e.g.
# '--accuracy 0.05'; default none: the fastest mix), QUANT_WORK
# (tests/models/work-quant), STEP_TIMEOUT seconds per step (3600).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
NEUROC=${NEUROC:-$ROOT/build/compiler/neuroc}
RT_LIB=${RT_LIB:-$(dirname "$(dirname "$NEUROC")")/runtime-min/libneuroc_rt.a}
TARGET=${TARGET:-$ROOT/targets/host.yaml}
REPEAT=${REPEAT:-20}
N_EVAL=${N_EVAL:-100}
N_CALIB=${N_CALIB:-8}
AUTO_ARGS=${AUTO_ARGS:-}
STEP_TIMEOUT=${STEP_TIMEOUT:-3600}
WORK=${QUANT_WORK:-$HERE/work-quant}
REPORT=$WORK/quant.md

digits=1
models=()
for arg in "$@"; do
  case "$arg" in
    --no-digits) digits=0 ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run_quant: unknown option '$arg'" >&2; exit 2 ;;
    *) models+=("$arg") ;;
  esac
done
[ ${#models[@]} -eq 0 ] && models=(vgg16 resnet50 mobilenet_v2 mobilenet_v3_large)

die() { echo "run_quant: $*" >&2; exit 2; }
[ -x "$NEUROC" ] || die "no neuroc at $NEUROC (build it, or set NEUROC)"
[ -f "$RT_LIB" ] || die "no runtime library at $RT_LIB (set RT_LIB)"
[ -f "$TARGET" ] || die "no target spec at $TARGET (set TARGET)"
[ -d "$HERE/ort/node_modules/onnxruntime-node" ] \
  || die "onnxruntime-node is not installed: run tests/models/setup.sh"
mkdir -p "$WORK" || die "cannot create $WORK"
DB=$WORK/profile-db.yaml
cflags=$(awk '$1 == "cflags:" { $1 = ""; print }' "$TARGET")
ldflags=$(awk '$1 == "ldflags:" { $1 = ""; print }' "$TARGET")

kv() { awk -v k="$1" '$1 == k { v = $2 } END { print v }' "$2" 2>/dev/null; }
ratio() {
  LC_ALL=C awk -v a="$2" -v b="$3" -v f="$1" \
    'BEGIN { if (a == "" || b == "" || b + 0 == 0) printf "-"; else printf f, a / b }'
}
# shellcheck disable=SC2059  # the format is the point of this helper
fmt() { if [ -n "$2" ]; then LC_ALL=C printf "$1" "$2"; else printf -- '-'; fi; }
reason() { tail -n 2 "$1" 2>/dev/null | tr '\n|' ' /' | cut -c1-200; }
step() { timeout -s KILL "$STEP_TIMEOUT" "$@"; }

# compile MODEL.onnx DIR MODE CALIB [QDQ]: neuroc compile + quant_runner build.
compile_mode() {
  local model=$1 dir=$2 mode=$3 calib=$4 qdq=${5:-} extra=()
  [ "$mode" != f32 ] && extra+=(--calibrate "$calib")
  [ -n "$qdq" ] && extra+=(--export-qdq "$qdq")
  # shellcheck disable=SC2206  # AUTO_ARGS is a list of words on purpose
  [ "$mode" = auto ] && extra+=($AUTO_ARGS)
  local t0 t1
  t0=$(date +%s.%N)
  step "$NEUROC" compile "$model" -t "$TARGET" -o "$dir" --db "$DB" --dtype "$mode" \
    "${extra[@]}" > "$dir.compile.log" 2>&1 || return 1
  t1=$(date +%s.%N)
  LC_ALL=C awk -v a="$t0" -v b="$t1" 'BEGIN { printf "compile_s %.1f\n", b - a }' >> "$dir.compile.log"
  # shellcheck disable=SC2086  # flags from the target spec are word lists
  cc -std=c11 $cflags -I"$dir" -I"$ROOT/runtime-min/include" "$ROOT/tests/bench/quant_runner.c" \
    "$dir/model.c" "$RT_LIB" $ldflags -o "$dir/quant_runner" > "$dir.cc.log" 2>&1
}

# Row cells for a run log + error log.
quant_layers() { sed -n 's/^quantized \([0-9]*\) of \([0-9]*\) layers.*/\1\/\2/p' "$1" 2>/dev/null; }

row() { # model mode ms ref_ms f32_ms errlog layers compile_s note
  local rel top1
  rel=$(kv rel_l2 "$6"); top1=$(kv top1 "$6")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$(fmt %.2f "$3")" \
    "$(ratio %.2f "$3" "$4")" "$(ratio %.2f "$3" "$5")" "$(fmt %.3g "$rel")" \
    "$(fmt %.3f "$top1")" "${7:--}" "${8:--}" >> "$REPORT"
}

{
  echo "# Quantization benchmark"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), single thread;"
  echo "$N_EVAL evaluation inputs, $N_CALIB calibration inputs (disjoint random ImageNet-normalised images), median of $REPEAT timed runs."
  echo "Errors are against neuroc f32 on the evaluation inputs. ms/ORT: time over ONNX Runtime f32 (1 thread); ms/f32: over neuroc f32."
  echo
  echo "| model | run | ms | ms/ORT | ms/f32 | rel L2 | top-1 | quantized layers | compile s |"
  echo "|---|---|---|---|---|---|---|---|---|"
} > "$REPORT"

goals=()
status=0
for m in "${models[@]}"; do
  onnx=$HERE/onnx/$m.onnx
  w=$WORK/$m
  mkdir -p "$w"
  if [ ! -f "$onnx" ]; then
    echo "| $m | missing | $onnx: run tests/models/setup.sh | | | | | | |" >> "$REPORT"; status=1; continue
  fi
  echo "run_quant: $m" >&2
  "$PY" "$HERE/quant/data.py" inputs "$HERE/onnx/$m.input.npy" "$w/calib" "$N_CALIB" \
    "$w/eval.npy" "$N_EVAL" > "$w/data.log" 2>&1 || { echo "| $m | inputs failed | $(reason "$w/data.log") | | | | | | |" >> "$REPORT"; status=1; continue; }
  node "$HERE/quant/ort_batch.js" "$onnx" "$w/eval.npy" "$w/ort-f32.npy" "$REPEAT" 1 \
    > "$w/ort-f32.log" 2>&1 || status=1
  ort_ms=$(kv median_ms "$w/ort-f32.log")
  declare -A ms=()
  for mode in f32 int8 auto; do
    qdq=""
    [ "$mode" != f32 ] && qdq=$w/$mode.qdq.onnx
    rm -rf "${w:?}/$mode"
    if ! compile_mode "$onnx" "$w/$mode" "$mode" "$w/calib" "$qdq"; then
      echo "| $m | neuroc $mode failed | $(reason "$w/$mode.compile.log") $(reason "$w/$mode.cc.log") | | | | | | |" >> "$REPORT"
      status=1; continue
    fi
    step "$w/$mode/quant_runner" "$w/eval.npy" "$w/$mode.npy" "$REPEAT" > "$w/$mode.run.log" 2>&1 || status=1
    ms[$mode]=$(kv median_ms "$w/$mode.run.log")
    "$PY" "$HERE/quant/data.py" error "$w/f32.npy" "$w/$mode.npy" > "$w/$mode.err.log" 2>&1
    row "$m" "neuroc $mode" "${ms[$mode]}" "$ort_ms" "${ms[f32]:-}" "$w/$mode.err.log" \
      "$(quant_layers "$w/$mode.compile.log")" "$(kv compile_s "$w/$mode.compile.log")"
  done
  "$PY" "$HERE/quant/data.py" error "$w/f32.npy" "$w/ort-f32.npy" > "$w/ort-f32.err.log" 2>&1
  row "$m" "ORT f32" "$ort_ms" "$ort_ms" "${ms[f32]:-}" "$w/ort-f32.err.log"
  for mode in int8 auto; do
    [ -f "$w/$mode.qdq.onnx" ] || continue
    node "$HERE/quant/ort_batch.js" "$w/$mode.qdq.onnx" "$w/eval.npy" "$w/ort-qdq-$mode.npy" \
      "$REPEAT" 1 > "$w/ort-qdq-$mode.log" 2>&1 || status=1
    "$PY" "$HERE/quant/data.py" error "$w/f32.npy" "$w/ort-qdq-$mode.npy" > "$w/ort-qdq-$mode.err.log" 2>&1
    row "$m" "ORT QDQ ($mode export)" "$(kv median_ms "$w/ort-qdq-$mode.log")" "$ort_ms" \
      "${ms[f32]:-}" "$w/ort-qdq-$mode.err.log"
  done
  best=$(LC_ALL=C awk -v a="${ms[f32]:-}" -v b="${ms[int8]:-}" -v c="${ms[auto]:-}" 'BEGIN {
    if (a == "" || b == "" || c == "") { print "unknown"; exit }
    m = a < b ? a : b; printf "%s (auto %.2f ms, min(f32, int8) %.2f ms)", c <= m ? "met" : "missed", c, m }')
  goals+=("$m: auto <= min(f32, int8): $best")
  case "$m" in
    resnet50|vgg16)
      r=$(ratio %.3f "${ms[auto]:-}" "$ort_ms")
      v=$(LC_ALL=C awk -v r="$r" 'BEGIN { print (r == "-" ? "unknown" : (r + 0 <= 0.35 ? "met" : "missed")) }')
      goals+=("$m: auto / ORT f32 <= 0.35: $v ($r)") ;;
  esac
  unset ms
done

if [ $digits -eq 1 ]; then
  d=$ROOT/examples/digits
  w=$WORK/digits
  mkdir -p "$w"
  {
    echo
    echo "## Digits CNN: held-out accuracy (360 images, calibration: examples/digits/calib)"
    echo
    echo "| run | accuracy | ms |"
    echo "|---|---|---|"
  } >> "$REPORT"
  declare -A acc=()
  for mode in f32 int8 auto; do
    qdq=""
    [ "$mode" != f32 ] && qdq=$w/$mode.qdq.onnx
    rm -rf "${w:?}/$mode"
    if compile_mode "$d/digits.onnx" "$w/$mode" "$mode" "$d/calib" "$qdq" \
       && step "$w/$mode/quant_runner" "$d/test_x.npy" "$w/$mode.npy" "$REPEAT" > "$w/$mode.run.log" 2>&1; then
      acc[$mode]=$(kv accuracy <("$PY" "$HERE/quant/data.py" accuracy "$w/$mode.npy" "$d/test_y.npy"))
    else
      status=1
    fi
    echo "| neuroc $mode | $(fmt %.4f "${acc[$mode]:-}") | $(fmt %.4f "$(kv median_ms "$w/$mode.run.log")") |" >> "$REPORT"
  done
  for mode in int8 auto; do
    [ -f "$w/$mode.qdq.onnx" ] || continue
    node "$HERE/quant/ort_batch.js" "$w/$mode.qdq.onnx" "$d/test_x.npy" "$w/ort-qdq-$mode.npy" \
      "$REPEAT" 1 > "$w/ort-qdq-$mode.log" 2>&1 || status=1
    a=$(kv accuracy <("$PY" "$HERE/quant/data.py" accuracy "$w/ort-qdq-$mode.npy" "$d/test_y.npy"))
    echo "| ORT QDQ ($mode export) | $(fmt %.4f "$a") | $(fmt %.4f "$(kv median_ms "$w/ort-qdq-$mode.log")") |" >> "$REPORT"
  done
  for mode in int8 auto; do
    v=$(LC_ALL=C awk -v a="${acc[f32]:-}" -v b="${acc[$mode]:-}" 'BEGIN {
      if (a == "" || b == "") print "unknown"; else printf "%s (%.2f points)", (a - b) * 100 <= 0.5 ? "met" : "missed", (a - b) * 100 }')
    goals+=("digits: $mode within 0.5 points of f32: $v")
  done
fi

{
  echo
  echo "## Goals"
  echo
  for g in "${goals[@]}"; do echo "- $g"; done
} >> "$REPORT"
cat "$REPORT"
exit $status
