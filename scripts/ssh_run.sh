#!/usr/bin/env bash
# `run:` wrapper for a real board over ssh (targets/aarch64-linux.yaml):
#   ssh_run.sh [USER@]BOARD PROGRAM ARGS...
# Copies PROGRAM and every ARG that names an existing local file to a fresh
# temporary directory on the board, runs PROGRAM there with the same ARGS,
# copies back every ARG that did not exist locally before (the outputs), and
# removes the directory. Exit status: the program's. Needs key-based ssh.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: ssh_run.sh [USER@]BOARD PROGRAM ARGS..." >&2; exit 2; }
board=$1 prog=$2
shift 2
ship=("$prog") fetch=()
for a in "$@"; do
  if [ -f "$a" ]; then ship+=("$a"); elif [[ "$a" != -* && "$a" == *.* ]]; then fetch+=("$a"); fi
done
rdir=$(ssh "$board" mktemp -d /tmp/neuroc-run.XXXXXX)
trap 'ssh "$board" rm -rf "$rdir" >/dev/null 2>&1 || true' EXIT
scp -q "${ship[@]}" "$board:$rdir/"
rc=0
ssh "$board" "cd $rdir && ./$(basename "$prog") $*" || rc=$?
for f in "${fetch[@]}"; do
  scp -q "$board:$rdir/$(basename "$f")" "$f" || { [ $rc -ne 0 ] || rc=1; }
done
exit $rc
