#!/usr/bin/env bash
# Run one fuzz target of fuzz/ (cargo-fuzz, libFuzzer) for a bounded time.
#
#   scripts/fuzz.sh <target> [seconds]      default 60 seconds; scripts/fuzz.sh --list
#
# Installs what it needs, once: cargo-fuzz (from crates.io, pinned) and a toolchain that takes
# nightly flags: rustup's `nightly` if it is installed (then with AddressSanitizer), else the
# Debian rustc linked as the `debian` toolchain with RUSTC_BOOTSTRAP=1 (it ships no sanitizer
# runtimes, so without a sanitizer; Rust's own checks and debug assertions still apply).
# Builds into $CAIRN_FUZZ_TARGET_DIR (default ~/.cache/cairn/fuzz-target). The corpus grows in
# fuzz/corpus/<target>/ across runs; a crash leaves its input in fuzz/artifacts/<target>/.
# Ends with one line: "fuzz <target>: N runs in S s, C crashes" (exit 1 on a crash).
#
# Settings: FUZZ_TOOLCHAIN (nightly|debian), FUZZ_SANITIZER (address|none|...),
# FUZZ_ARGS (more libFuzzer flags, e.g. "-max_len=65536").
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CAIRN_ROOT/fuzz"

CARGO_FUZZ_VERSION=0.13.2

if [ "${1:-}" = "--list" ]; then
	sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^cairn-fuzz$'
	exit 0
fi
target=${1:?"usage: scripts/fuzz.sh <target> [seconds] (scripts/fuzz.sh --list)"}
seconds=${2:-60}
if [ ! -f "fuzz_targets/$target.rs" ]; then
	echo "fuzz: no target $target; have: $(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^cairn-fuzz$' | tr '\n' ' ')" >&2
	exit 2
fi

if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
	echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
	CARGO_TARGET_DIR="$HOME/.cache/cairn/fuzz-target/install" \
		cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked >&2
fi

toolchain=${FUZZ_TOOLCHAIN:-}
if [ -z "$toolchain" ]; then
	if rustup run nightly rustc --version >/dev/null 2>&1; then
		toolchain=nightly
	else
		toolchain=debian
	fi
fi
if [ "$toolchain" = debian ]; then
	if ! rustup run debian rustc --version >/dev/null 2>&1; then
		[ -x /usr/bin/rustc ] || { echo "fuzz: no nightly toolchain and no /usr/bin/rustc (apt-get install rustc-web cargo-web)" >&2; exit 2; }
		rustup toolchain link debian /usr
	fi
	export RUSTC_BOOTSTRAP=1
	sanitizer=${FUZZ_SANITIZER:-none}
else
	sanitizer=${FUZZ_SANITIZER:-address}
fi

export CARGO_TARGET_DIR="${CAIRN_FUZZ_TARGET_DIR:-$HOME/.cache/cairn/fuzz-target}"
mkdir -p "corpus/$target" "artifacts/$target"
crashes_before=$(find "artifacts/$target" -type f | wc -l)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "fuzz: $target for ${seconds}s (toolchain $toolchain, sanitizer $sanitizer)" >&2
started=$(date +%s)
set +e
# shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags.
cargo "+$toolchain" fuzz run --release --debug-assertions --sanitizer "$sanitizer" "$target" \
	"corpus/$target" -- -max_total_time="$seconds" -print_final_stats=1 ${FUZZ_ARGS:-} \
	2>&1 | tee "$log" | grep -E '^(#[0-9]+ +(INITED|DONE|pulse))|^==|ERROR|panicked|^Done|^SUMMARY|error(\[E[0-9]+\])?:' >&2
status=${PIPESTATUS[0]}
set -e
elapsed=$(($(date +%s) - started))

runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
[ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
crashes=$(($(find "artifacts/$target" -type f | wc -l) - crashes_before))
if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
	if [ -z "$runs" ]; then
		tail -30 "$log" >&2
		echo "fuzz $target: build or start failed (exit $status)"
		exit 1
	fi
	crashes=1
fi
echo "fuzz $target: ${runs:-0} runs in ${elapsed} s, $crashes crashes"
if [ "$crashes" -ne 0 ]; then
	echo "  inputs: $(find "artifacts/$target" -type f -newer "$log" -o -type f -cnewer "$log" | tr '\n' ' ')" >&2
	echo "  replay one: (cd fuzz && RUSTC_BOOTSTRAP=1 cargo +$toolchain fuzz run -s $sanitizer $target <input>)" >&2
	exit 1
fi
