#!/usr/bin/env bash
# Measures pallet-storage's calls and hooks on this machine and regenerates
# pallets/storage/src/weights.rs from the results (never edit that file by hand).
#
#   scripts/benchmark.sh            build (release, --features runtime-benchmarks) and run
#   STEPS=50 REPEAT=20 scripts/benchmark.sh    more samples (default 20 x 10)
#   CAIRN_NO_BUILD=1 scripts/benchmark.sh      reuse the benchmark node already built
#
# It also measures `balances.transfer_allow_death` in the same run, as the yardstick Cairn's
# weights are compared with, and keeps every raw result under .cairn/benchmarks/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CAIRN_ROOT"

steps="${STEPS:-20}"
repeat="${REPEAT:-10}"
node="$CARGO_TARGET_DIR/release/cairn-node"
out=".cairn/benchmarks"
mkdir -p "$out"

if [ "${CAIRN_NO_BUILD:-0}" != 1 ]; then
	"$CAIRN_ROOT/scripts/bootstrap.sh"
	echo "==> building the benchmark node (release, runtime-benchmarks; ~40 min cold on 2 cores)"
	cargo build --release -p cairn-node --features runtime-benchmarks
fi
[ -x "$node" ] || { echo "error: $node missing: run without CAIRN_NO_BUILD=1" >&2; exit 1; }

bench() {
	local pallet="$1" extrinsic="$2"
	shift 2
	"$node" benchmark pallet \
		--chain dev \
		--pallet "$pallet" \
		--extrinsic "$extrinsic" \
		--wasm-execution compiled \
		--steps "$steps" \
		--repeat "$repeat" \
		--heap-pages 4096 \
		--json-file "$out/$pallet.json" \
		"$@" 2>&1 | tee "$out/$pallet.log"
}

echo "==> pallet_storage (steps $steps, repeat $repeat)"
bench pallet_storage '*' \
	--template scripts/benchmark/pallet-weights.hbs \
	--output pallets/storage/src/weights.rs
echo "==> pallet_balances::transfer_allow_death (the yardstick)"
bench pallet_balances transfer_allow_death

echo "==> wrote pallets/storage/src/weights.rs; raw results in $out/"
python3 scripts/benchmark/summary.py "$out" | tee "$out/summary.txt"
