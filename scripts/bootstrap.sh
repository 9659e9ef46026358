#!/usr/bin/env bash
# Installs, idempotently, everything a fresh machine needs to build and test Cairn:
#   - Debian packages: protobuf-compiler, clang, libclang-dev (litep2p, bindgen)
#   - a wasm32 toolchain for the runtime: Debian's rustc-web/cargo-web 1.96 with library
#     sources and lld-22, linked into rustup as the `debian` toolchain, plus core/alloc/
#     compiler_builtins rlibs for wasm32-unknown-unknown built once from those sources
#   - the npm packages the end-to-end tests use (node/e2e, zombienet)
# Safe to run any number of times; each step checks before it acts and fails with a clear
# message when something cannot be installed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
log() { printf '[bootstrap] %s\n' "$*"; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		die "need root (or sudo) to run: $*"
	fi
}

# ---- 1. Debian packages ---------------------------------------------------------------
apt_pkgs=(protobuf-compiler clang libclang-dev rustc-web cargo-web rust-web-src lld-22 curl)
missing=()
for p in "${apt_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	command -v apt-get >/dev/null || die "apt-get not found; install by hand: ${missing[*]}"
	log "installing Debian packages: ${missing[*]}"
	as_root apt-get update -q >/dev/null || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed (are Debian's bookworm-security packages reachable?)"
else
	log "Debian packages present"
fi
[ -x /usr/bin/rust-lld ] || die "/usr/bin/rust-lld missing after installing lld-22"
[ -d /usr/lib/rustlib/src/rust/library ] || die "rust-web-src did not install /usr/lib/rustlib/src/rust"

# ---- 2. rustup toolchain `debian` -> /usr ---------------------------------------------
command -v rustup >/dev/null || die "rustup not found"
if ! rustup toolchain list | grep -q '^debian'; then
	log "linking Debian's rustc as rustup toolchain 'debian'"
	rustup toolchain link debian /usr
fi
rustc +debian --version >/dev/null || die "rustc +debian does not run"

# ---- 3. wasm32 sysroot rlibs ----------------------------------------------------------
# substrate-wasm-builder compiles a dummy no_std crate for wasm32 without build-std to
# check the target is installed, so core/alloc/compiler_builtins rlibs must be present.
sysroot_lib=/usr/lib/rustlib/wasm32-unknown-unknown/lib
stamp="$sysroot_lib/.cairn-$(rustc +debian --version | tr ' ()' '___')"
if [ ! -f "$stamp" ]; then
	log "building core/alloc/compiler_builtins for wasm32-unknown-unknown (once, ~1 min)"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/src"
	cat >"$tmp/Cargo.toml" <<'TOML'
[package]
name = "wasm-sysroot"
version = "0.0.0"
edition = "2021"
[lib]
crate-type = ["cdylib"]
path = "src/lib.rs"
[profile.release]
panic = "abort"
TOML
	cat >"$tmp/src/lib.rs" <<'RS'
#![no_std]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! { loop {} }
RS
	(cd "$tmp" && RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$tmp/target" \
		cargo +debian build -q --release --target wasm32-unknown-unknown -Zbuild-std=core,alloc) ||
		die "building the wasm32 sysroot with -Zbuild-std failed"
	as_root mkdir -p "$sysroot_lib"
	for c in core alloc compiler_builtins; do
		f=$(ls "$tmp"/target/wasm32-unknown-unknown/release/deps/lib${c}-*.rlib 2>/dev/null | head -1)
		[ -n "$f" ] || die "no lib$c rlib produced"
		as_root cp "$f" "$sysroot_lib/"
	done
	as_root touch "$stamp"
else
	log "wasm32 sysroot rlibs present"
fi

# ---- 4. npm packages for the end-to-end and network tests --------------------------------
# offchain/ipfs/daemon is js-ipfs, the IPFS daemon scripts/ipfs.sh runs (Kubo cannot be installed
# here); --ignore-scripts matters there too: install steps of its optional deps try downloads.
if [ "${CAIRN_SKIP_NPM:-0}" != 1 ]; then
	command -v npm >/dev/null || die "npm not found (Node.js 20 is expected on this machine)"
	for dir in node/e2e zombienet offchain/ipfs/daemon; do
		[ -f "$root/$dir/package.json" ] || continue
		if [ ! -d "$root/$dir/node_modules" ] ||
			[ "$root/$dir/package-lock.json" -nt "$root/$dir/node_modules/.package-lock.json" ]; then
			log "installing npm packages for $dir"
			(cd "$root/$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) ||
				die "npm ci in $dir failed"
		else
			log "npm packages for $dir present"
		fi
	done
fi

log "done"
