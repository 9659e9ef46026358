#!/usr/bin/env bash
# Measures the storage worker's peak memory placing one large file: `place_file` against one real
# js-ipfs daemon on 127.0.0.1 and the in-memory FakeChain (offchain/cli/examples/worker_memory.rs).
# A measurement, not a test: scripts/test.sh does not run it.
#
#   scripts/worker-memory.sh                 256 MiB, shape 2/4 (the dev chain's Standard tier)
#   scripts/worker-memory.sh 64              64 MiB
#   scripts/worker-memory.sh 256 2/4 10/16   several shapes, one process each
#
# Prints, per shape: wall time, MiB/s, the worker process's VmRSS/VmHWM before placement (after
# setup) and its peak during placement (VmHWM reset right before, and VmRSS sampled every 50 ms),
# then checks the reported pieces. Each run ends with a `RESULT key=value ...` line.
# Needs the js-ipfs daemon (scripts/bootstrap.sh) and about 6x the file size of free disk in
# the temp dir (scratch files and the daemon's repo). Release build: minutes the first time.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CAIRN_ROOT"
export SKIP_WASM_BUILD=1

mib=${1:-256}
shift || true
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(2/4)

for shape in "${shapes[@]}"; do
	echo "==> worker_memory: $mib MiB, k/n = $shape"
	cargo run --release -p cairn-cli --features testing --example worker_memory -- "$mib" "$shape"
done
