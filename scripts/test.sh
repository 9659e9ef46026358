#!/usr/bin/env bash
# The whole Cairn test suite. Installs what it needs (scripts/bootstrap.sh), builds, then runs:
#   1. cargo test --workspace   unit, pallet and runtime tests (audits with real BABE VRF
#                               pre-digests, repair), a bounded run of the pallet fuzzer, the
#                               node test (a real `cairn-node --dev` finalizing blocks) and the
#                               cairn-cli tests against a real dev node and js-ipfs daemons
#                               (put/get, corruption, repair, the worker inside the node)
#   2. node/e2e                 polkadot.js tests against a real dev node (transfer, storage)
#   3. zombienet/local.zndsl    three validators on loopback, finality on all of them;
#      zombienet/restart.zndsl  one of them killed and restarted: finality resumes on all, and
#                               all serve the same Storage pallet state
# Ends with one summary line: "cairn: N passed, N failed".
# Set CAIRN_SKIP_ZOMBIENET=1 to skip step 3.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$CAIRN_ROOT"

"$CAIRN_ROOT/scripts/bootstrap.sh" || { echo "cairn: 0 passed, 1 failed"; exit 1; }

logdir=$(mktemp -d)
passed=0
failed=0
started=$(date +%s)

section() { printf '\n==== %s (%ss)\n' "$1" "$(($(date +%s) - started))"; }

section "cargo test --workspace"
cargo test --workspace 2>&1 | tee "$logdir/cargo.log"
cargo_rc=${PIPESTATUS[0]}
read -r p f < <(awk '/^test result:/ { for (i = 1; i < NF; i++) {
	if ($(i + 1) ~ /^passed/) p += $i; if ($(i + 1) ~ /^failed/) f += $i } }
	END { print p + 0, f + 0 }' "$logdir/cargo.log")
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0}))
if [ "$cargo_rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then failed=$((failed + 1)); fi

if [ -x "$CAIRN_NODE" ]; then
	section "polkadot.js end-to-end (node/e2e)"
	(cd node/e2e && node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs 2>&1) | tee "$logdir/e2e.log"
	e2e_rc=${PIPESTATUS[0]}
	p=$(grep -E '^ℹ pass ' "$logdir/e2e.log" | awk '{print $3}' | tail -1)
	f=$(grep -E '^ℹ fail ' "$logdir/e2e.log" | awk '{print $3}' | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$e2e_rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then failed=$((failed + 1)); fi

	if [ "${CAIRN_SKIP_ZOMBIENET:-0}" != 1 ]; then
		for zndsl in local restart; do
			section "zombienet: three validators (zombienet/$zndsl.zndsl)"
			if "$CAIRN_ROOT/scripts/zombienet.sh" "$CAIRN_ROOT/zombienet/$zndsl.zndsl"; then
				passed=$((passed + 1))
			else
				failed=$((failed + 1))
			fi
		done
	fi
else
	echo "cairn-node was not built ($CAIRN_NODE missing): end-to-end suites not run"
	failed=$((failed + 1))
fi

section "done"
rm -rf "$logdir"
echo "cairn: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
