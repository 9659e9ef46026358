#!/usr/bin/env bash
# Regenerates the raw chain specs under chain-specs/ from the runtime's genesis presets.
#   chain-specs/dev.json    one validator (Alice)          = `--dev`
#   chain-specs/local.json  three validators (Alice, Bob, Charlie) = `--chain local`
# Builds the node first if needed.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CAIRN_ROOT"
if [ "${CAIRN_NO_BUILD:-0}" != 1 ]; then
	cargo build -q -p cairn-node
fi
mkdir -p chain-specs
for c in dev local; do
	"$CAIRN_NODE" export-chain-spec --chain "$c" --raw >"chain-specs/$c.json.tmp" 2>/dev/null
	mv "chain-specs/$c.json.tmp" "chain-specs/$c.json"
	echo "wrote chain-specs/$c.json"
done
