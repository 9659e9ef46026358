#!/usr/bin/env bash
# Starts a local Cairn storage network on this machine, loopback only:
#   - the chain: one validator (`--dev`, Alice) or three (`--local`: Alice, Bob, Charlie);
#     RPC for polkadot.js on ws://127.0.0.1:9944
#   - IPFS daemons (js-ipfs, Kubo RPC API): yours (API http://127.0.0.1:5001, what `cairn put`
#     and `cairn get` use by default), the storage worker's, and one per operator, connected
#   - the storage worker inside Alice's node (`--storage-worker`), signing as //Alice//stash
#   - five operator agents, //Bob .. //Ferdie, in three regions, registered and bonded
#     (--operators N: up to 10, the dev chain's //Bob//stash .. //Ferdie//stash joining)
# then prints what runs where and how to pin a file.
#
#   scripts/start.sh [--dev|--local] [--detach] [--operators N]
#
# In the foreground (default), Ctrl-C stops every process it started. With --detach it returns
# once the network is up; scripts/stop.sh stops it. Either way scripts/stop.sh cleans up after a
# run that was killed. Everything it writes lives under .cairn/net (wiped at each start), and
# .cairn/net/network.json describes the running network for scripts and tests.
# CAIRN_NO_BUILD=1 skips the cargo build (the binaries must exist).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CAIRN_ROOT"

mode=dev
detach=0
count=5
usage() { echo "usage: $0 [--dev|--local] [--detach] [--operators N (5..10)]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
		--dev) mode=dev ;;
		--local) mode=local ;;
		--detach) detach=1 ;;
		--operators)
			[ $# -ge 2 ] && [[ "$2" =~ ^([5-9]|10)$ ]] || usage
			count=$2
			shift
			;;
		*) usage ;;
	esac
	shift
done

log() { printf '[start.sh] %s\n' "$*" >&2; }

scripts/bootstrap.sh
if [ "${CAIRN_NO_BUILD:-0}" = 1 ]; then
	log "CAIRN_NO_BUILD=1: using the binaries already built"
else
	log "building cairn-node and cairn (first build on a 2-core machine: about 15 min) ..."
	cargo build -p cairn-node -p cairn-cli
fi
cairn=$CARGO_TARGET_DIR/debug/cairn

net=$CAIRN_ROOT/.cairn/net
"$CAIRN_ROOT/scripts/stop.sh" >/dev/null 2>&1 || true
rm -rf "$net"
mkdir -p "$net/logs"
pids_file=$CAIRN_ROOT/.cairn/pids
: >"$pids_file"

cleanup() {
	trap - INT TERM EXIT
	echo
	"$CAIRN_ROOT/scripts/stop.sh"
}
trap cleanup INT TERM EXIT

# Operators: account (SURI without the leading //), region, IPFS daemon index. Daemon 0 is the
# user's, 1 the worker's. Beyond five, the dev chain's endowed //X//stash accounts join
# (not //Alice//stash: the storage worker signs with it).
all_operators=(
	"Bob eu-west" "Charlie us-east" "Dave ap-south" "Eve eu-west" "Ferdie us-east"
	"Bob//stash ap-south" "Charlie//stash eu-west" "Dave//stash us-east" "Eve//stash ap-south"
	"Ferdie//stash eu-west"
)
operators=()
for i in $(seq 0 $((count - 1))); do operators+=("${all_operators[$i]} $((i + 2))"); done
bond=$((1000 * 10 ** 12))   # 1,000 CAIRN
capacity=16G

# ---- IPFS daemons ----------------------------------------------------------------------------
# Fixed ports from 5001: daemon i has API 5001+4i, gateway +1, swarm +2, gRPC +3.
log "starting $((count + 2)) IPFS daemons (yours, the storage worker's, $count operators') ..."
owner=()
[ "$detach" = 1 ] || owner=(--owner-pid $$)
scripts/ipfs.sh start $((count + 2)) --dir "$net/ipfs" --base-port 5001 "${owner[@]}" >/dev/null
daemon() { # index field -> value from daemons.json
	node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).daemons;
		console.log(d[+process.argv[2]][process.argv[3]])' "$net/ipfs/daemons.json" "$1" "$2"
}

# ---- chain -----------------------------------------------------------------------------------
start_node() { # name rpc_port p2p_port args...
	local name=$1 rpc=$2 p2p=$3
	shift 3
	"$CAIRN_NODE" --base-path "$net/chain/$name" --rpc-port "$rpc" --rpc-cors all \
		--listen-addr "/ip4/127.0.0.1/tcp/$p2p" --no-telemetry --no-prometheus --no-mdns \
		--name "$name" "$@" >"$net/logs/node-$name.log" 2>&1 </dev/null &
	echo $! >>"$pids_file"
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
	log "node on port $1 did not answer RPC within 240 s; see $net/logs"
	return 1
}

worker=(--storage-worker --ipfs-api "$(daemon 1 api)" --storage-worker-key //Alice//stash
	--storage-worker-probe-interval 30 --storage-worker-dir "$net/worker")
log "starting the chain ($mode) with the storage worker in Alice's node ..."
if [ "$mode" = dev ]; then
	start_node alice 9944 30333 --dev "${worker[@]}"
	wait_rpc 9944
	validators="alice (ws://127.0.0.1:9944)"
else
	# Fixed node keys: a validator on a non-dev chain needs a persistent network key, and the
	# others find Alice by hers. Alice's key 0x..01 has the well-known peer id below.
	key() { printf '%064x' "$1"; }
	boot="/ip4/127.0.0.1/tcp/30333/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp"
	start_node alice 9944 30333 --chain local --alice --validator --node-key "$(key 1)" "${worker[@]}"
	start_node bob 9945 30334 --chain local --bob --validator --node-key "$(key 2)" --bootnodes "$boot"
	start_node charlie 9946 30335 --chain local --charlie --validator --node-key "$(key 3)" \
		--bootnodes "$boot"
	wait_rpc 9944
	wait_rpc 9945
	wait_rpc 9946
	validators="alice (ws://127.0.0.1:9944), bob (:9945), charlie (:9946)"
fi

# ---- operators -------------------------------------------------------------------------------
log "starting $count operator agents; each registers with a ${bond%000000000000} CAIRN bond ..."
agent_pids=()
for entry in "${operators[@]}"; do
	read -r who region index <<<"$entry"
	name=$(echo "$who" | tr '[:upper:]/' '[:lower:]-')
	"$cairn" --url ws://127.0.0.1:9944 operator run --suri "//$who" --ipfs "$(daemon "$index" api)" \
		--peer "$(daemon "$index" swarm)" --bond "$bond" --capacity "$capacity" --region "$region" \
		--state-dir "$net/operators/$name" --claim-interval 300 --pin-timeout 120 \
		>"$net/logs/operator-$name.log" 2>&1 </dev/null &
	echo $! >>"$pids_file"
	agent_pids+=("$!")
done
for entry in "${operators[@]}"; do
	read -r who _ <<<"$entry"
	name=$(echo "$who" | tr '[:upper:]/' '[:lower:]-')
	for i in $(seq 1 180); do
		grep -qE 'INFO registered|already registered as an operator' \
			"$net/logs/operator-$name.log" 2>/dev/null && break
		if [ "$i" = 180 ]; then
			log "operator $who did not register within 180 s:"
			tail -20 "$net/logs/operator-$name.log" >&2
			exit 1
		fi
		sleep 1
	done
done

# ---- what is running -------------------------------------------------------------------------
# network.json: for scripts and tests (the failure tests stop operators by these PIDs).
ops_json=()
for i in "${!operators[@]}"; do ops_json+=("${operators[$i]} ${agent_pids[$i]}"); done
node -e '
	const fs = require("fs");
	const [file, ipfs, mode, cairn, node, ...ops] = process.argv.slice(1);
	const d = JSON.parse(fs.readFileSync(ipfs, "utf8")).daemons;
	const net = {
		mode, rpc: "ws://127.0.0.1:9944", cairn, node_pid: +node, logs: file.replace(/[^/]*$/, "logs"),
		user: { suri: "//Alice", ipfs: d[0] },
		worker: { suri: "//Alice//stash", node: "alice", ipfs: d[1] },
		operators: ops.map((o) => {
			const [name, region, i, pid] = o.split(" ");
			return { name: name.toLowerCase().replace(/\//g, "-"), suri: "//" + name, region, pid: +pid,
				ipfs: d[+i] };
		}),
	};
	fs.writeFileSync(file, JSON.stringify(net, null, 2));
' "$net/network.json" "$net/ipfs/daemons.json" "$mode" "$cairn" "$(head -1 "$pids_file")" "${ops_json[@]}"

cat <<EOT

Cairn is running ($mode), on 127.0.0.1 only. Logs: $net/logs/
  chain        validators $validators; BABE + GRANDPA
  polkadot.js  ws://127.0.0.1:9944  (Apps: https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A9944,
               or any Apps build you serve locally; it needs only this endpoint)
  worker       inside alice's node, signing as //Alice//stash, IPFS $(daemon 1 api)
  your IPFS    $(daemon 0 api)  (the default of cairn put/get)
  operators    $(for e in "${operators[@]}"; do read -r w r _ <<<"$e"; printf '//%s %s, ' "$w" "$r"; done | sed 's/, $//')
               (IPFS APIs $(daemon 2 api) .. $(daemon $((count + 1)) api); logs operator-*.log)
  accounts     //Alice .. //Ferdie hold 1,000,000 CAIRN each; //Alice is sudo and your account

Pin a file (encrypted for you; --public to pin it as-is), fetch it back, look at it:
  $cairn put ./my-file --tier standard --eras 10 --suri //Alice
  $cairn get <CID it printed> -o ./my-file.copy --suri //Alice
  $cairn status <CID>
Claim an operator's rewards:  $cairn operator claim --suri //Bob

Stop: Ctrl-C here, or scripts/stop.sh from another shell.
EOT

if [ "$detach" = 1 ]; then
	trap - INT TERM EXIT
	exit 0
fi
# If this script is killed outright (no trap runs), a watcher still stops what it started.
bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; "$2"' start-watch $$ \
	"$CAIRN_ROOT/scripts/stop.sh" >/dev/null 2>&1 </dev/null &
# Wait for the network's processes (not the watcher); scripts/stop.sh from elsewhere ends them.
mapfile -t started <"$pids_file"
wait "${started[@]}" || true
