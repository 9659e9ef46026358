#!/usr/bin/env bash
# The whole-network end-to-end suite: starts the local network of scripts/start.sh --detach (dev
# chain with the storage worker inside the node, 7 js-ipfs daemons, 5 operator agents; loopback
# only), runs node/e2e/network/*.test.mjs against it with polkadot.js, and stops it again, also
# when a test fails or this script is interrupted.
#
#   flows.test.mjs     a 1 MiB file added over HTTP and pinned: assigned, Stored on 4 distinct
#                      operators; bad input fails with the documented error and moves only the
#                      fee; changeTier and unpin charge and refund exactly as the pallet README
#                      computes; an operator claims exactly its claimable rewards once the era of
#                      the pin completes (it waits for that era: ~10 min after the chain started)
#   failures.test.mjs  audits on the network (a wrong proof slashed, a paused agent contained then
#                      passing, a deleted piece failing unanswered); two operators of a Standard
#                      file killed: offline, Degraded, repaired, byte-identical through `cairn
#                      get`; both operators of a Temporary file killed: FileLost for exactly that
#                      file, the owner refunded
#   worker-restart.test.mjs  Alice's node (with the storage worker inside) killed while it
#                      encodes a 64 MiB file and started again: stored exactly once, every piece
#                      reported once, no PinFailed; the agents reconnect by themselves
#   any other *.test.mjs there: after those two, each on a fresh network of its own
#
# flows runs first (it needs every operator), failures next on the same network (what it kills
# stays dead): one `node --test` per file, since node sorts the files it is given. Prints one
# closing line, `network: N passed, N failed` (cancelled tests count as failed), and exits
# non-zero if any test failed.
#
#   scripts/network-test.sh [NAME...]   NAME: a test file of node/e2e/network without .test.mjs
#                                       (e.g. `flows failures`); default: all of them
#
# Takes about 25 minutes on 2 cores: `scripts/network-test.sh flows failures` measured 23 min
# 20 s wall on 2026-11-22 (network start 1 min, flows 10.6 min, most of it waiting for the first
# era to end, failures 11.6 min; a machine busy with cargo adds a minute or two to the start).
# Every other test file adds a network start (1-2 min) and its own time.
#
# CAIRN_NO_BUILD=1 skips the cargo build in scripts/start.sh (the binaries must exist). The
# network's ports are fixed: only one network can run on the machine at a time, and starting
# this one stops any other scripts/start.sh network first.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$CAIRN_ROOT"

log() { printf '[network-test] %s\n' "$*" >&2; }

logdir=$(mktemp -d)
# Each network's logs (nodes, agents, the tests' event dumps) are kept here: scripts/start.sh
# wipes .cairn/net when it starts the next one.
keep=$CAIRN_ROOT/.cairn/network-test
rm -rf "$keep"
runs=0
keep_logs() {
	[ -d "$CAIRN_ROOT/.cairn/net/logs" ] || return 0
	mkdir -p "$keep/network-$runs"
	cp -r "$CAIRN_ROOT/.cairn/net/logs/." "$keep/network-$runs/" 2>/dev/null || true
}
cleanup() {
	trap - INT TERM EXIT
	log "stopping the network"
	"$CAIRN_ROOT/scripts/stop.sh" >&2 || true
	[ "$runs" -gt 0 ] && keep_logs && log "logs of each network kept in $keep"
	rm -rf "$logdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$(date +%s)
elapsed() { echo "$(($(date +%s) - started))s"; }

start_network() {
	[ "$runs" -gt 0 ] && keep_logs
	runs=$((runs + 1))
	log "starting the network (scripts/start.sh --detach) ..."
	if ! CAIRN_NO_BUILD=${CAIRN_NO_BUILD:-0} scripts/start.sh --detach >"$logdir/start.log" 2>&1; then
		cat "$logdir/start.log" >&2
		log "the network did not start"
		return 1
	fi
	log "network up after $(elapsed); logs in .cairn/net/logs"
}

passed=0
failed=0
run_file() { # network/<file>.test.mjs
	local f=$1 out p f_ c rc
	log "running $f ($(elapsed))"
	out="$logdir/$(basename "$f").log"
	(cd node/e2e && node --test --test-concurrency=1 --test-reporter=spec "$f" 2>&1) | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -E '^ℹ pass ' "$out" | awk '{print $3}' | tail -1)
	f_=$(grep -E '^ℹ fail ' "$out" | awk '{print $3}' | tail -1)
	c=$(grep -E '^ℹ cancelled ' "$out" | awk '{print $3}' | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f_:-0} + ${c:-0}))
	if [ "$rc" -ne 0 ] && [ "$((${f_:-0} + ${c:-0}))" -eq 0 ]; then failed=$((failed + 1)); fi
}

# Which tests: the names given (`flows failures` ...), or every node/e2e/network/*.test.mjs.
all=()
for f in node/e2e/network/*.test.mjs; do all+=("$(basename "$f" .test.mjs)"); done
selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=("${all[@]}")
for name in "${selected[@]}"; do
	[ -f "node/e2e/network/$name.test.mjs" ] || { log "no test node/e2e/network/$name.test.mjs"; exit 2; }
done
wanted() { local n; for n in "${selected[@]}"; do [ "$n" = "$1" ] && return 0; done; return 1; }
others=()
for name in "${selected[@]}"; do
	case "$name" in flows | failures) ;; *) others+=("$name") ;; esac
done

# flows first (it needs every operator), failures next on the same network (what it kills stays
# dead).
if wanted flows || wanted failures; then
	if ! start_network; then
		echo "network: 0 passed, 1 failed"
		exit 1
	fi
	for f in flows failures; do
		if wanted "$f"; then run_file "network/$f.test.mjs"; fi
	done
fi
# Any other test file gets a fresh network of its own: after failures.test.mjs only one
# operator is left, and a test that restarts the node leaves the agents disconnected.
for f in ${others[@]+"${others[@]}"}; do
	"$CAIRN_ROOT/scripts/stop.sh" >&2 || true
	if start_network; then
		run_file "network/$f.test.mjs"
	else
		failed=$((failed + 1))
	fi
done

log "done after $(elapsed)"
echo "network: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
