#!/usr/bin/env bash
# Stops every process scripts/start.sh started (by PID), politely first.
set -uo pipefail
source "$(dirname "$0")/env.sh"
pids_file=$CAIRN_ROOT/.cairn/pids
[ -f "$pids_file" ] || { echo "nothing to stop"; exit 0; }
pids=$(cat "$pids_file")
for p in $pids; do kill -INT "$p" 2>/dev/null || true; done
for _ in $(seq 1 30); do
	alive=""
	for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
	[ -z "$alive" ] && break
	sleep 1
done
for p in $alive; do kill -KILL "$p" 2>/dev/null || true; done
rm -f "$pids_file"
echo "stopped"
