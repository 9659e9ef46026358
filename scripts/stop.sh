#!/usr/bin/env bash
# Stops every process scripts/start.sh started: the nodes and operator agents (by PID, SIGINT
# first, SIGKILL after 30 s) and the IPFS daemons (scripts/ipfs.sh stop). Safe to run when
# nothing is running.
set -uo pipefail
source "$(dirname "$0")/env.sh"
pids_file=$CAIRN_ROOT/.cairn/pids
stopped=""
if [ -f "$pids_file" ]; then
	pids=$(cat "$pids_file")
	for p in $pids; do kill -INT "$p" 2>/dev/null || true; done
	alive=""
	for _ in $(seq 1 30); do
		alive=""
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && break
		sleep 1
	done
	for p in $alive; do kill -KILL "$p" 2>/dev/null || true; done
	rm -f "$pids_file"
	stopped="chain and agents"
fi
if [ -f "$CAIRN_ROOT/.cairn/net/ipfs/pids" ]; then
	"$CAIRN_ROOT/scripts/ipfs.sh" stop --dir "$CAIRN_ROOT/.cairn/net/ipfs" >/dev/null 2>&1 || true
	stopped="${stopped:+$stopped, }IPFS daemons"
fi
echo "stopped${stopped:+: $stopped}"
