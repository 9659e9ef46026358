# Sourced by the other scripts: the settings every Cairn build and run shares.
# The target directory lives outside the work tree so that clean clones (CI) build incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cairn/target}"
CAIRN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CAIRN_ROOT
export CAIRN_NODE="${CAIRN_NODE:-$CARGO_TARGET_DIR/debug/cairn-node}"
