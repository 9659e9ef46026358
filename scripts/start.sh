#!/usr/bin/env bash
# Starts a local Cairn chain on this machine, loopback only, and keeps it in the foreground:
#   scripts/start.sh           one validator (`--dev`: Alice), RPC on 127.0.0.1:9944
#   scripts/start.sh --local   three validators (Alice, Bob, Charlie), RPC on 9944/9945/9946
# Ctrl-C (or scripts/stop.sh from another shell) stops every process it started.
# Chain data lives under .cairn/ in the work tree and is wiped at each start.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CAIRN_ROOT"

mode=dev
case "${1:-}" in
	"" | --dev) mode=dev ;;
	--local) mode=local ;;
	*) echo "usage: $0 [--dev|--local]" >&2; exit 2 ;;
esac

CAIRN_SKIP_NPM=1 scripts/bootstrap.sh
echo "building cairn-node (first build on a 2-core machine: about 15 min) ..."
cargo build -p cairn-node

run=$CAIRN_ROOT/.cairn
"$CAIRN_ROOT/scripts/stop.sh" >/dev/null 2>&1 || true
rm -rf "$run/$mode"
mkdir -p "$run/$mode"
: >"$run/pids"

cleanup() {
	trap - INT TERM EXIT
	"$CAIRN_ROOT/scripts/stop.sh"
}
trap cleanup INT TERM EXIT

start_node() { # name rpc_port p2p_port args...
	local name=$1 rpc=$2 p2p=$3
	shift 3
	"$CAIRN_NODE" --base-path "$run/$mode/$name" --rpc-port "$rpc" --rpc-cors all \
		--listen-addr "/ip4/127.0.0.1/tcp/$p2p" --no-telemetry --no-prometheus --no-mdns \
		--name "$name" "$@" >"$run/$mode/$name.log" 2>&1 &
	echo $! >>"$run/pids"
}

wait_rpc() { # port
	for _ in $(seq 1 240); do
		if curl -s -H 'Content-Type: application/json' \
			-d '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' \
			"http://127.0.0.1:$1" 2>/dev/null | grep -q result; then
			return 0
		fi
		sleep 1
	done
	echo "node on port $1 did not answer RPC within 240 s; see logs under $run/$mode" >&2
	return 1
}

if [ "$mode" = dev ]; then
	start_node alice 9944 30333 --dev
	wait_rpc 9944
else
	# Fixed node keys: a validator on a non-dev chain needs a persistent network key, and the
	# others find Alice by hers. Alice's key 0x..01 has the well-known peer id below.
	key() { printf '%064x' "$1"; }
	alice_peer=12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp
	boot="/ip4/127.0.0.1/tcp/30333/p2p/$alice_peer"
	start_node alice 9944 30333 --chain local --alice --validator --node-key "$(key 1)"
	start_node bob 9945 30334 --chain local --bob --validator --node-key "$(key 2)" --bootnodes "$boot"
	start_node charlie 9946 30335 --chain local --charlie --validator --node-key "$(key 3)" \
		--bootnodes "$boot"
	wait_rpc 9944
	wait_rpc 9945
	wait_rpc 9946
fi

cat <<EOT

Cairn is running ($mode). Logs: $run/$mode/*.log
  RPC (polkadot.js / Apps):  ws://127.0.0.1:9944
  polkadot.js Apps:          https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A9944
                             (or any Apps build you serve locally; it needs only this endpoint)
  Dev accounts:              //Alice .. //Ferdie, 1,000,000 CAIRN each; //Alice is sudo
Stop: Ctrl-C here, or scripts/stop.sh from another shell.
EOT

wait
