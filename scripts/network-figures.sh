#!/usr/bin/env bash
# Measures the network figures (not a test): for each file size (default 1, 64 and 256 MiB) it
# starts a fresh local network with 7 operators (scripts/start.sh --detach --operators 7: the
# file's n - k = 2 killed holders leave enough live operators to re-place both pieces), runs
# node/e2e/figures.mjs against it and stops it. Per size: a bare `ipfs add` next to `cairn put`
# (MiB/s, same file, same daemon), requestPin inclusion -> Stored and operator loss ->
# FileRepaired (blocks and seconds), and the peak memory of the node (with the storage worker)
# and of the operator agents. Writes the table to .cairn/figures/network.txt (rows of sizes not
# measured in this run are kept from earlier runs, in .cairn/figures/network.jsonl).
#
#   scripts/network-figures.sh [SIZE_MIB ...]       e.g. scripts/network-figures.sh 1 64 256
#
# About 20 minutes for the three default sizes on 2 cores (most of it offline detection:
# three probe rounds of 30 s, and moving 256 MiB through js-ipfs).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CAIRN_ROOT"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1 64 256)
out=$CAIRN_ROOT/.cairn/figures
mkdir -p "$out"
results=$out/network.jsonl
# Rows of the sizes measured now are replaced; those of other sizes are kept.
touch "$results"
for size in "${sizes[@]}"; do
	grep -v "^{\"size_mib\":$size," "$results" >"$results.tmp" || true
	mv "$results.tmp" "$results"
done
trap 'scripts/stop.sh >/dev/null 2>&1 || true' EXIT

scripts/bootstrap.sh >/dev/null
[ "${CAIRN_NO_BUILD:-0}" = 1 ] || cargo build -p cairn-node -p cairn-cli
for size in "${sizes[@]}"; do
	echo "[network-figures] $size MiB: starting a fresh network ..." >&2
	CAIRN_NO_BUILD=1 scripts/start.sh --detach --operators 7 >"$out/start-$size.log" 2>&1 ||
		{ tail -30 "$out/start-$size.log" >&2; exit 1; }
	(cd node/e2e && node figures.mjs "$CAIRN_ROOT/.cairn/net/network.json" "$size" "$out/scratch") |
		tee -a "$out/figures-$size.log" | grep '^FIGURES ' | sed 's/^FIGURES //' >>"$results"
	scripts/stop.sh >/dev/null
	rm -rf "$out/scratch"
done

node -e '
	const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse)
		.sort((a, b) => a.size_mib - b.size_mib);
	const f = (x, d = 1) => (x === null || x === undefined ? "-" : Number(x).toFixed(d));
	const lines = [
		`network figures, ${new Date().toISOString().slice(0, 10)}, 2 cores, dev chain (3 s blocks), js-ipfs, 7 operators`,
		"size MiB | ipfs add MiB/s | cairn put MiB/s | ratio | pin->Stored blocks / s | loss->FileRepaired blocks / s | node peak MiB | agent peak MiB",
	];
	for (const r of rows) {
		lines.push([r.size_mib, f(r.bare_add_mib_s), f(r.put_upload_mib_s), f(r.put_upload_mib_s / r.bare_add_mib_s, 2),
			`${r.pin_blocks} / ${f(r.pin_s, 0)}`, `${r.repair_blocks} / ${f(r.repair_s, 0)}`,
			f(r.node_peak_mib, 0), f(r.agent_peak_mib, 0)].join(" | "));
	}
	console.log(lines.join("\n"));
' "$results" | tee "$out/network.txt"
