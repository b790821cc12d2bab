#!/usr/bin/env bash
# Model zoo: torchvision architectures (random weights) through neuroc,
# checked against ONNX Runtime and timed beside it.
#
#   tests/models/run_zoo.sh [--ort-only] [MODEL ...]
#
# Per model: export to ONNX if missing, run ONNX Runtime (1 thread) as the
# reference, run `neuroc run`, compare outputs (relative L2 <= ZOO_TOL), and
# add a row to tests/models/work/zoo.md. A failing model is recorded and the
# run goes on; the exit status is 1 if any model failed.
#
# Environment: NEUROC (default build/compiler/neuroc), TARGET (default
# targets/host.yaml), REPEAT timed runs (default 10), ZOO_TOL (default 1e-4),
# STEP_TIMEOUT seconds per step (default 3600), ZOO_WORK (default
# tests/models/work), NEUROC_ARGS extra arguments for `neuroc run`.
# The run starts with a single-core FMA peak probe (tests/bench/fma_peak.c);
# each row reports neuroc's achieved GFLOP/s against it.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
NEUROC=${NEUROC:-$ROOT/build/compiler/neuroc}
TARGET=${TARGET:-$ROOT/targets/host.yaml}
REPEAT=${REPEAT:-10}
ZOO_TOL=${ZOO_TOL:-1e-4}
STEP_TIMEOUT=${STEP_TIMEOUT:-3600}
WORK=${ZOO_WORK:-$HERE/work}
ONNX_DIR=$HERE/onnx
REPORT=$WORK/zoo.md

ort_only=0
models=()
for arg in "$@"; do
  case "$arg" in
    --ort-only) ort_only=1 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run_zoo: unknown option '$arg'" >&2; exit 2 ;;
    *) models+=("$arg") ;;
  esac
done
if [ ${#models[@]} -eq 0 ]; then
  mapfile -t models < <("$PY" "$HERE/export_torchvision.py" --list)
fi

die() { echo "run_zoo: $*" >&2; exit 2; }
[ -d "$HERE/ort/node_modules/onnxruntime-node" ] \
  || die "onnxruntime-node is not installed: run tests/models/setup.sh"
if [ $ort_only -eq 0 ]; then
  [ -x "$NEUROC" ] || die "no neuroc at $NEUROC (build it, or set NEUROC)"
  [ -f "$TARGET" ] || die "no target spec at $TARGET (set TARGET)"
fi
mkdir -p "$WORK" || die "cannot create $WORK"
NEUROC_ARGS=${NEUROC_ARGS:-}

# Single-core FMA peak of this machine, measured now, beside the models.
peak=""
peak_isa=""
if cc -O2 -o "$WORK/fma_peak" "$ROOT/tests/bench/fma_peak.c" 2> "$WORK/fma_peak.log"; then
  "$WORK/fma_peak" > "$WORK/fma_peak.txt" 2>&1
  peak=$(awk '$1 == "peak_gflops_avx512" { print $2 }' "$WORK/fma_peak.txt")
  peak_isa=avx512
  if [ -z "$peak" ]; then
    peak=$(awk '$1 == "peak_gflops_avx2" { print $2 }' "$WORK/fma_peak.txt"); peak_isa=avx2
  fi
fi

# Last value of `KEY value` lines in a log ("" if absent).
kv() { awk -v k="$1" '$1 == k { v = $2 } END { print v }' "$2" 2>/dev/null; }
# printf-style formatting that leaves a missing value as "-".
# shellcheck disable=SC2059  # the format is the point of this helper
fmt() { if [ -n "$2" ]; then LC_ALL=C printf "$1" "$2"; else printf -- '-'; fi; }
# a / b with a format, "-" when either is missing or b is zero.
ratio() {
  LC_ALL=C awk -v a="$2" -v b="$3" -v f="$1" \
    'BEGIN { if (a == "" || b == "" || b + 0 == 0) printf "-"; else printf f, a / b }'
}
mib() { ratio '%.1f' "$1" 1048576; }
# One-line reason from the tail of a log, safe inside a markdown table.
reason() { tail -n 3 "$1" 2>/dev/null | tr '\n|' ' /' | cut -c1-300; }

rows=()
errors=()
failed=0

write_report() {
  {
    echo "# neuroc model zoo"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- host: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores"
    echo "- neuroc: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), target $(basename "$TARGET")"
    echo "- ONNX Runtime: ${ort_version:-?} (onnxruntime-node, 1 thread, graph optimization 'all')"
    echo "- timing: median of $REPEAT runs after 1 warm-up; pass if rel L2 <= $ZOO_TOL"
    echo "- single-core FMA peak (tests/bench/fma_peak.c, $peak_isa): ${peak:-?} GFLOP/s"
    echo
    echo "| model | params (M) | GFLOP | compile_s | cc_s | DPRS ms | arena MiB (lower bound) | neuroc ms | ORT 1T ms | neuroc/ORT | ORT all-threads ms | neuroc GFLOP/s (% of peak) | rel L2 | result |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${rows[@]}"
    if [ ${#errors[@]} -gt 0 ]; then
      echo
      echo "## Errors"
      echo
      printf -- '- %s\n' "${errors[@]}"
    fi
  } > "$REPORT"
}

run_model() {
  local m=$1 dir=$WORK/$1
  local onnx=$ONNX_DIR/$m.onnx input=$ONNX_DIR/$m.input.npy
  local params="" compile_s="" cc_s="" arena="" lower="" nc_ms="" ort_ms="" rel="" status=""
  local flops="" dprs_s="" ortn_ms=""
  case "$m" in
    ''|*[!A-Za-z0-9_]*)  # the name becomes a path under $WORK, which is wiped
      failed=1; rows+=("| $m | - | - | - | - | - | - (-) | - | - | - | - | - | - | FAIL (bad model name) |")
      return ;;
  esac
  rm -rf "$dir" && mkdir -p "$dir"

  if [ ! -f "$onnx" ] || [ ! -f "$input" ]; then
    echo "== $m: export"
    if ! timeout "$STEP_TIMEOUT" "$PY" "$HERE/export_torchvision.py" "$m" > "$dir/export.log" 2>&1; then
      status="FAIL (export)"; errors+=("$m export: $(reason "$dir/export.log")")
    fi
  fi
  if [ -z "$status" ]; then
    "$PY" "$HERE/onnx_params.py" "$onnx" > "$dir/params.log" 2>&1
    params=$(kv params "$dir/params.log")

    echo "== $m: onnxruntime"
    if timeout "$STEP_TIMEOUT" node "$HERE/ort/run_ort.js" "$onnx" --input "input=$input" \
         -o "$dir/ort" --repeat "$REPEAT" > "$dir/ort.log" 2>&1; then
      ort_ms=$(kv median_ms "$dir/ort.log")
      ort_version=$(kv ort_version "$dir/ort.log")
    else
      status="FAIL (ORT: exit $?)"; errors+=("$m ORT: $(reason "$dir/ort.log")")
    fi
    if timeout "$STEP_TIMEOUT" node "$HERE/ort/run_ort.js" "$onnx" --input "input=$input" \
         -o "$dir/ort-all" --repeat "$REPEAT" --threads all > "$dir/ort-all.log" 2>&1; then
      ortn_ms=$(kv median_ms "$dir/ort-all.log")
    fi
  fi
  if [ -z "$status" ] && [ $ort_only -eq 1 ]; then
    status="ORT only"
  elif [ -z "$status" ]; then
    echo "== $m: neuroc run"
    "$NEUROC" inspect "$onnx" > "$dir/inspect.log" 2>&1
    flops=$(awk '$1 == "flops:" { print $2 }' "$dir/inspect.log")
    # shellcheck disable=SC2086  # NEUROC_ARGS is a list of words
    if timeout "$STEP_TIMEOUT" "$NEUROC" run "$onnx" -t "$TARGET" --input "input=$input" \
         -o "$dir/neuroc" --repeat "$REPEAT" $NEUROC_ARGS > "$dir/neuroc.log" 2>&1; then
      :
    else
      status="FAIL (neuroc: exit $?)"; errors+=("$m neuroc: $(reason "$dir/neuroc.log")")
    fi
    # Whatever neuroc reported before a failure still goes in the row.
    compile_s=$(kv compile_s "$dir/neuroc.log"); cc_s=$(kv cc_s "$dir/neuroc.log")
    nc_ms=$(kv median_ms "$dir/neuroc.log")
    arena=$(kv arena_bytes "$dir/neuroc.log"); lower=$(kv arena_lower_bound_bytes "$dir/neuroc.log")
    dprs_s=$(awk '/^dprs:/ { in_dprs = 1; next } in_dprs && $1 == "seconds:" { print $2; exit }' \
      "$dir/neuroc/plan.yaml" 2>/dev/null)
  fi
  if [ -z "$status" ]; then
    echo "== $m: compare"
    "$PY" "$HERE/compare.py" "$dir/neuroc" "$dir/ort" --tol "$ZOO_TOL" > "$dir/compare.log" 2>&1
    case $? in
      0) status="pass" ;;
      1) status="FAIL (mismatch)"; errors+=("$m compare: $(grep '^output' "$dir/compare.log" | tr '\n' ' ')") ;;
      *) status="FAIL (compare)"; errors+=("$m compare: $(reason "$dir/compare.log")") ;;
    esac
    rel=$(kv rel_l2 "$dir/compare.log")
  fi
  case "$status" in FAIL*) failed=1 ;; esac

  local gflops pct
  gflops=$(LC_ALL=C awk -v f="$flops" -v t="$nc_ms" 'BEGIN { if (f == "" || t == "" || t + 0 == 0) print ""; else printf "%.1f", f / (t * 1e6) }')
  pct=$(ratio '%.0f%%' "$(LC_ALL=C awk -v g="$gflops" 'BEGIN { if (g != "") print g * 100 }')" "$peak")
  rows+=("| $m | $(ratio '%.2f' "$params" 1000000) | $(ratio '%.2f' "$flops" 1e9) | $(fmt '%.2f' "$compile_s") | $(fmt '%.2f' "$cc_s") | $(ratio '%.2f' "$dprs_s" 0.001) | $(mib "$arena") ($(mib "$lower")) | $(fmt '%.2f' "$nc_ms") | $(fmt '%.2f' "$ort_ms") | $(ratio '%.2f' "$nc_ms" "$ort_ms") | $(fmt '%.2f' "$ortn_ms") | $(fmt '%s' "$gflops") ($pct) | $(fmt '%s' "$rel") | $status |")
  echo "== $m: $status"
}

ort_version=""
for m in "${models[@]}"; do
  run_model "$m"
  write_report   # after every model, so an interrupted run keeps its rows
done

echo
cat "$REPORT"
exit $failed
