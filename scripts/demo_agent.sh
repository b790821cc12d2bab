#!/usr/bin/env bash
# Profiling through the agent, end to end (docs/profiling.md records a run):
#  1. resnet50 profiled through neuroc-agent over TCP; the agent is killed
#     (SIGKILL) part-way: neuroc stops with a clear error, the database keeps
#     every measurement that had arrived;
#  2. the run resumed through the agent over stdio: only what is missing is
#     measured;
#  3. the plan from the resumed database equals the plan of an uninterrupted
#     tune on the same database content (written in another order);
#  4. resnet18 profiled with the same database: only the shapes it adds;
#  5. neuroc bench on resnet50: measured vs predicted time.
# usage: scripts/demo_agent.sh [--kill-after N]   (env: BUILD=build, WORK=out/demo_agent)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
WORK=${WORK:-out/demo_agent}
KILL_AFTER=200
[ "${1:-}" = --kill-after ] && KILL_AFTER=$2
NEUROC=$BUILD/compiler/neuroc
AGENT=$PWD/$BUILD/runtime-min/agent/neuroc-agent
R50=tests/models/onnx/resnet50.onnx
R18=tests/models/onnx/resnet18.onnx

[ -x "$NEUROC" ] && [ -x "$AGENT" ] || { echo "build first: scripts/build.sh (or BUILD=dir)" >&2; exit 1; }
for m in resnet50 resnet18; do
  [ -f tests/models/onnx/$m.onnx ] || /usr/bin/python3 tests/models/export_torchvision.py $m
done
rm -rf "$WORK"
mkdir -p "$WORK"
DB=$WORK/profile-db.yaml
entries() { if [ -f "$1" ]; then grep -c '^- {' "$1" || true; else echo 0; fi; }
step() { printf '\n== %s\n' "$*"; }
stamp() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(stamp)" 'BEGIN { printf "%.1f s", b - a }'; }

# The agent on a free loopback port; the repository's target specs with
# that port and with this build's agent.
"$AGENT" --listen 127.0.0.1:0 --port-file "$WORK/port" --quiet &
AGENT_PID=$!
trap 'kill $AGENT_PID 2>/dev/null || true' EXIT
while [ ! -s "$WORK/port" ]; do sleep 0.1; done
PORT=$(cat "$WORK/port")
sed "s#address: .*#address: \"127.0.0.1:$PORT\"#" targets/host-agent-tcp.yaml > "$WORK/tcp.yaml"
sed "s#command: .*#command: \"$AGENT --stdio --quiet\"#" targets/host-agent-stdio.yaml > "$WORK/stdio.yaml"

step "1. resnet50 through the agent over TCP (127.0.0.1:$PORT); SIGKILL the agent after $KILL_AFTER results"
t0=$(stamp)
"$NEUROC" profile "$R50" -t "$WORK/tcp.yaml" --db "$DB" > "$WORK/step1.log" 2>&1 &
NEUROC_PID=$!
while [ "$(entries "$DB")" -lt "$KILL_AFTER" ] && kill -0 $NEUROC_PID 2>/dev/null; do sleep 0.2; done
killed_at=$(entries "$DB")
kill -9 $AGENT_PID
wait $AGENT_PID 2>/dev/null || true # reaped quietly: the shell would report "Killed"
echo "agent killed with SIGKILL when the database held $killed_at measurements"
set +e
wait $NEUROC_PID
rc=$?
set -e
echo "neuroc profile exited with status $rc after $(elapsed "$t0"):"
sed 's/^/  /' "$WORK/step1.log"
KEPT=$(entries "$DB")
echo "the database holds $KEPT measurements"

step "2. resume through the agent over stdio"
t0=$(stamp)
"$NEUROC" profile "$R50" -t "$WORK/stdio.yaml" --db "$DB" | tee "$WORK/step2.log"
echo "($(elapsed "$t0"); the database now holds $(entries "$DB") measurements)"

step "3. plan from the resumed database vs an uninterrupted tune on the same content"
"$NEUROC" tune "$R50" -t "$WORK/stdio.yaml" --db "$DB" -o "$WORK/resumed"
{ head -3 "$DB"; grep '^- {' "$DB" | tac; } > "$WORK/same-content.yaml"
"$NEUROC" tune "$R50" -t "$WORK/stdio.yaml" --db "$WORK/same-content.yaml" -o "$WORK/uninterrupted"
# the DPRS wall-clock time is the one line that may differ
if diff <(grep -v '^  seconds:' "$WORK/resumed/plan.yaml") \
        <(grep -v '^  seconds:' "$WORK/uninterrupted/plan.yaml"); then
  echo "plans identical ($(grep -c '^  - layer:' "$WORK/resumed/plan.yaml") layers," \
       "$(grep -c '^  - adapter:' "$WORK/resumed/plan.yaml") adapters)"
else
  echo "PLANS DIFFER" >&2
  exit 1
fi

step "4. resnet18 with the same database: only the shapes it adds"
t0=$(stamp)
"$NEUROC" profile "$R18" -t "$WORK/stdio.yaml" --db "$DB"
echo "($(elapsed "$t0"))"

step "5. bench resnet50: measured vs DPRS-predicted"
"$NEUROC" bench "$R50" -t "$WORK/stdio.yaml" --plan "$WORK/resumed/plan.yaml" --repeat 10
