#!/usr/bin/env bash
# Runs zombienet/local.zndsl: three Cairn validators (alice, bob, charlie) on 127.0.0.1 with
# zombienet's native provider, asserting that every node is up, imports blocks and finalizes them.
#
#   scripts/zombienet.sh [TEST.zndsl]     (default: zombienet/local.zndsl)
#
# Environment:
#   CAIRN_NODE        node binary (default: ${CARGO_TARGET_DIR:-$HOME/.cache/cairn/target}/debug/cairn-node)
#   CAIRN_CHAIN_SPEC  raw `--chain local` spec to use (default: exported from $CAIRN_NODE now,
#                     so genesis always matches the binary under test)
#   CAIRN_ZOMBIENET_KEEP=1  keep the network directory (node logs, databases) after a success
#
# Installs the zombienet npm package (zombienet/node_modules) if it is missing; never runs
# `zombienet setup` (that downloads binaries). Exits non-zero if any assertion fails and leaves
# no process behind: zombienet and every node it spawns run in one process group, which is
# killed on exit, whatever happens.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
zdir="$root/zombienet"
zndsl=$(realpath "${1:-$zdir/local.zndsl}")
log() { printf '[zombienet.sh] %s\n' "$*"; }
die() { printf '[zombienet.sh] ERROR: %s\n' "$*" >&2; exit 1; }

# ---- the zombienet CLI (npm, pinned by zombienet/package-lock.json) ------------------------
command -v node >/dev/null || die "node (Node.js >= 20) not found"
command -v npm >/dev/null || die "npm not found"
if [ ! -x "$zdir/node_modules/.bin/zombienet" ]; then
	log "installing @zombienet/cli into zombienet/node_modules"
	if [ -f "$zdir/package-lock.json" ]; then
		(cd "$zdir" && npm ci --ignore-scripts --no-audit --no-fund) || die "npm ci in zombienet/ failed"
	else
		(cd "$zdir" && npm install --ignore-scripts --no-audit --no-fund) || die "npm install in zombienet/ failed"
	fi
fi

# ---- the node binary -----------------------------------------------------------------------
# shellcheck source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh" # the CARGO_TARGET_DIR and CAIRN_NODE defaults
CAIRN_NODE=$(realpath -m "$CAIRN_NODE")
[ -f "$zndsl" ] || die "no such test file: $zndsl"
[ -x "$CAIRN_NODE" ] || die "cairn-node binary not found at $CAIRN_NODE (build it, or set CAIRN_NODE)"
export CAIRN_NODE

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-zombienet.XXXXXX")
pgid=""

# Live (not zombie) processes of zombienet's process group, one "pid stat args" line each.
# (pgrep -g is the process group; ps -g would be the session.)
group_alive() {
	local pids
	pids=$(pgrep -g "$pgid" 2>/dev/null | paste -sd, -) || true
	[ -n "$pids" ] || return 0
	ps -o pid=,stat=,args= -p "$pids" 2>/dev/null | awk '$2 !~ /^Z/' || true
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "$pgid" ] && [ -n "$(group_alive)" ]; then
		kill -TERM -- "-$pgid" 2>/dev/null || true
		for _ in $(seq 1 20); do
			[ -n "$(group_alive)" ] || break
			sleep 0.5
		done
		kill -KILL -- "-$pgid" 2>/dev/null || true
	fi
	if [ "$rc" -eq 0 ] && [ "${CAIRN_ZOMBIENET_KEEP:-0}" != 1 ]; then
		rm -rf "$work"
	else
		log "network directory kept: $work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- the raw chain spec --------------------------------------------------------------------
if [ -n "${CAIRN_CHAIN_SPEC:-}" ]; then
	CAIRN_CHAIN_SPEC=$(realpath "$CAIRN_CHAIN_SPEC")
else
	CAIRN_CHAIN_SPEC="$work/local-raw.json"
	log "exporting the raw local chain spec from $CAIRN_NODE"
	if ! "$CAIRN_NODE" export-chain-spec --chain local --raw >"$CAIRN_CHAIN_SPEC" 2>"$work/export-chain-spec.log"; then
		"$CAIRN_NODE" build-spec --chain local --raw --disable-default-bootnode \
			>"$CAIRN_CHAIN_SPEC" 2>>"$work/export-chain-spec.log" ||
			{ cat "$work/export-chain-spec.log" >&2; die "could not export the local chain spec"; }
	fi
fi
node -e '
	const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	if (!s.genesis || !s.genesis.raw || !s.genesis.raw.top) {
		console.error(`${process.argv[1]} is not a raw chain spec (no genesis.raw.top)`);
		process.exit(1);
	}' "$CAIRN_CHAIN_SPEC" || die "bad chain spec $CAIRN_CHAIN_SPEC"
export CAIRN_CHAIN_SPEC

# ---- run the test --------------------------------------------------------------------------
log "test:       $zndsl"
log "node:       $CAIRN_NODE"
log "chain spec: $CAIRN_CHAIN_SPEC"
log "network:    $work/network"
started=$(date +%s)
cd "$root"
# Job control gives the background job its own process group (pgid = its pid), so that
# zombienet and the nodes it spawns can all be killed together.
set -m
"$zdir/node_modules/.bin/zombienet" -p native -l text -d "$work/network" test "$zndsl" &
pid=$!
set +m
pgid=$pid
set +e
wait "$pid"
rc=$?
set -e
log "zombienet exited with $rc after $(($(date +%s) - started)) s"

if [ "$rc" -ne 0 ]; then
	for f in "$work"/network/*.log; do
		[ -f "$f" ] || continue
		printf '\n---- last lines of %s ----\n' "$f"
		tail -n 40 "$f"
	done
fi
# zombienet kills its nodes with SIGKILL when it stops the network; anything of its process
# group still running now (zombies awaiting their reaper excepted) is killed by cleanup().
leftover=$(group_alive)
if [ -n "$leftover" ]; then
	log "processes left behind by zombienet (killing them):"
	printf '%s\n' "$leftover"
fi
exit "$rc"
