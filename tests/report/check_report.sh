#!/bin/sh
# Renders the `neuroc report` page of examples/tiny_cnn in headless Chromium
# and checks the DOM its script built: one node per plan step (layers and the
# adapters, adapters with their own class), one time bar per layer/adapter,
# one arena rectangle per arena buffer, the edges, the constraint list, a
# measured bar per step given in a --measured file, and
# for an int8 plan one error bar per layer with an error estimate.
# Expected counts come from plan.yaml (read here with grep), not from the page.
# Usage: check_report.sh NEUROC_EXE SOURCE_DIR WORK_DIR
set -eu
exe=$1 src=$2 work=$3
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "SKIP: chromium not installed (apt-get install chromium); report page not rendered"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work"
plan=$work/tiny
# Constrained on purpose: conv1 forced to a c99 routine, so an adapter is likely and
# the plan records a constraint.
"$exe" compile "$src/examples/tiny_cnn/model.onnx" -t "$src/targets/host.yaml" -o "$plan" \
  --db "$work/db.yaml" --routine 'cpu:f32:nhwc/*@conv1' -q
# measured times for every layer and adapter step (made up here: the page's
# drawing is under test, not the profiler, which tests/python checks)
awk '/^steps:/ {on = 1; next} on && /^  - (layer|adapter|copy):/ {
       if ($2 != "copy:") { if (!n++) print "runs: 1\nsteps:"; printf "  - {step: %d, ms: 0.%03d}\n", k, k + 1 }
       k++ }' "$plan/plan.yaml" > "$work/measured.yaml"
"$exe" report "$plan" -o "$work/report.html" --dot "$work/plan.dot" --measured "$work/measured.yaml" -q
timeout 60 "$browser" --headless --no-sandbox --disable-gpu --dump-dom \
  "file://$work/report.html" > "$work/dom.html" 2> "$work/chromium.log" || {
  echo "FAIL: chromium could not render the page"; cat "$work/chromium.log"; exit 1; }

count() { grep -o "$1" "$2" | wc -l | tr -d ' '; }
layers=$(count '^  - layer: ' "$plan/plan.yaml")
adapters=$(count '^  - adapter: ' "$plan/plan.yaml")
arena=$(count 'place: arena' "$plan/plan.yaml")
fail=0
check() { # what expected got
  if [ "$2" != "$3" ]; then echo "FAIL: $1: expected $2, the rendered page has $3"; fail=1
  else echo "ok: $1 = $3"; fi
}
check "rendered by the script" 1 "$(count 'data-rendered="yes"' "$work/dom.html")"
check "layer nodes" "$layers" "$(count 'class="node layer"' "$work/dom.html")"
check "adapter nodes (highlighted class)" "$adapters" "$(count 'class="node adapter"' "$work/dom.html")"
check "time bars" "$((layers + adapters))" "$(count 'class="bar predicted' "$work/dom.html")"
check "arena rectangles" "$arena" "$(count 'class="arena-rect' "$work/dom.html")"
check "measured bars" "$((layers + adapters))" "$(count 'class="bar measured"' "$work/dom.html")"
check "constraint listed" 1 "$(count '<code>cpu:f32:nhwc/\*@conv1</code>' "$work/dom.html")"
[ "$adapters" -ge 1 ] || { echo "FAIL: the constrained plan was expected to need an adapter"; fail=1; }
edges=$(count 'class="edge"' "$work/dom.html")
[ "$edges" -ge "$((layers + adapters))" ] || { echo "FAIL: only $edges edges for $((layers + adapters)) steps"; fail=1; }
# conv1 must show the pinned routine
grep -q 'data-routine="cpu:f32:nhwc/' "$work/dom.html" || { echo "FAIL: pinned nhwc routine not shown"; fail=1; }
# mixed precision: one error bar per layer that records an error estimate
"$exe" compile "$src/examples/tiny_cnn/model.onnx" -t "$src/targets/host.yaml" -o "$work/int8" \
  --db "$work/db.yaml" --dtype int8 -q
"$exe" report "$work/int8" -q
timeout 60 "$browser" --headless --no-sandbox --disable-gpu --dump-dom \
  "file://$work/int8/report.html" > "$work/int8/dom.html" 2>> "$work/chromium.log" || {
  echo "FAIL: chromium could not render the int8 page"; exit 1; }
errs=$(count '^    err: ' "$work/int8/plan.yaml")
[ "$errs" -ge 1 ] || { echo "FAIL: the int8 plan records no error estimate"; fail=1; }
check "error bars (int8 plan)" "$errs" "$(count 'class="err-bar"' "$work/int8/dom.html")"
check "error bars (f32 plan)" 0 "$(count 'class="err-bar"' "$work/dom.html")"
if command -v dot > /dev/null; then
  dot -Tsvg "$work/plan.dot" > "$work/plan.svg" || { echo "FAIL: dot rejected plan.dot"; fail=1; }
fi
[ $fail = 0 ] && echo "report page OK ($work/report.html)"
exit $fail
