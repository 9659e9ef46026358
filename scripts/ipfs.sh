#!/usr/bin/env bash
# Runs local IPFS daemons (js-ipfs 0.66.1, Kubo RPC API) for Cairn's test networks, loopback only.
#
#   scripts/ipfs.sh start N [--dir D] [--base-port P] [--owner-pid PID]
#                                                       N fresh repos, N daemons, all connected
#   scripts/ipfs.sh stop [--dir D]                      stop the daemons of D (by PID)
#   scripts/ipfs.sh status [--dir D]                    one line per daemon; exit 1 if any is down
#
#   --dir D          where repos, logs and daemons.json live (default: .cairn/ipfs in the work tree)
#   --base-port P    fixed ports: daemon i gets API P+4i, Gateway P+4i+1, Swarm P+4i+2, gRPC P+4i+3;
#                    without it the kernel picks free ports (several networks can run side by side)
#   --owner-pid PID  stop the daemons when process PID ends (a test run killed before its clean-up)
#
# `start` creates every repo before starting anything: `jsipfs init --profile test --empty-repo`,
# then a config with API, Gateway, Swarm and gRPC on 127.0.0.1 only, no bootstrap peers, no
# announce addresses or delegates, MDNS and webRTCStar discovery off, no NAT port mapping, routing
# "none" and pubsub off. Daemons start with preload off. When every API answers, every pair is
# connected with `swarm connect` (with routing "none" Bitswap asks only connected peers), and
# D/daemons.json is written (machine-readable; tests read it):
#   {"daemons": [{"name": "ipfs0", "api": "http://127.0.0.1:PORT",
#                 "api_multiaddr": "/ip4/127.0.0.1/tcp/PORT",
#                 "swarm": "/ip4/127.0.0.1/tcp/PORT/p2p/PEERID", "gateway": "http://127.0.0.1:PORT",
#                 "peer_id": "12D3Koo...", "pid": 1234, "repo": "D/ipfs0", "log": "D/ipfs0.log"}]}
# If any step fails, the daemons already started are stopped again. `start` refuses to run over a
# live network in D. The daemons outlive this script; `stop` ends them (SIGTERM, then SIGKILL).
#
# The daemon comes from offchain/ipfs/daemon (npm, pinned by its package-lock.json), installed by
# scripts/bootstrap.sh. On 2 cores: `start 1` about 5 s, `start 2` about 8 s (repo init ~2 s and
# daemon start-up ~2.5 s, mostly Node.js); 160-200 MB RSS per daemon.
set -euo pipefail
source "$(dirname "$0")/env.sh"

log() { printf '[ipfs.sh] %s\n' "$*" >&2; }
die() { printf '[ipfs.sh] ERROR: %s\n' "$*" >&2; exit 1; }
usage() {
	sed -n '3,7p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

daemon_dir=$CAIRN_ROOT/offchain/ipfs/daemon
jsipfs=$daemon_dir/node_modules/.bin/jsipfs
loopback=127.0.0.1

# ---- arguments -------------------------------------------------------------------------------
cmd=${1:-}
[ -n "$cmd" ] || usage
shift
count=""
if [ "$cmd" = start ]; then
	count=${1:-}
	[[ "$count" =~ ^[1-9][0-9]*$ ]] || usage
	shift
fi
dir=$CAIRN_ROOT/.cairn/ipfs
base_port=0
owner_pid=""
while [ $# -gt 0 ]; do
	case "$1" in
		--dir) [ $# -ge 2 ] || usage; dir=$2; shift 2 ;;
		--owner-pid)
			[ $# -ge 2 ] && [[ "$2" =~ ^[1-9][0-9]*$ ]] || usage
			owner_pid=$2
			shift 2
			;;
		--base-port)
			[ $# -ge 2 ] && [[ "$2" =~ ^[1-9][0-9]*$ ]] || usage
			base_port=$2
			shift 2
			;;
		*) usage ;;
	esac
done
if [ "$cmd" = start ]; then mkdir -p "$dir"; fi
if [ -d "$dir" ]; then dir=$(cd "$dir" && pwd); fi
state=$dir/daemons.json
pids_file=$dir/pids # "PID REPO" per line, written as each daemon starts

# ---- helpers ---------------------------------------------------------------------------------
# A PID is one of ours only while that process still has our repo as its IPFS_PATH: a PID reused
# by an unrelated process after a crash is never signalled.
is_ours() { # pid repo
	grep -qzxF "IPFS_PATH=$2" "/proc/$1/environ" 2>/dev/null
}

# Until it execs node, a daemon just started does not have IPFS_PATH in /proc/PID/environ yet;
# while this script is its parent, the PID cannot belong to anyone else.
is_child() { # pid
	[ -n "$started_here" ] && kill -0 "$1" 2>/dev/null
}
started_here=""

stop_all() {
	[ -f "$pids_file" ] || return 0
	local pid repo alive=() i
	while read -r pid repo; do
		if is_ours "$pid" "$repo" || is_child "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true
			alive+=("$pid:$repo")
		fi
	done <"$pids_file"
	for i in $(seq 1 100); do
		local still=()
		for entry in ${alive[@]+"${alive[@]}"}; do
			if is_ours "${entry%%:*}" "${entry#*:}" || is_child "${entry%%:*}"; then
				still+=("$entry")
			fi
		done
		alive=(${still[@]+"${still[@]}"})
		[ ${#alive[@]} -eq 0 ] && break
		sleep 0.1
	done
	for entry in ${alive[@]+"${alive[@]}"}; do
		log "daemon ${entry%%:*} did not stop within 10 s; killing it"
		kill -KILL "${entry%%:*}" 2>/dev/null || true
	done
	rm -f "$pids_file" "$state"
}

api_answers() { # api_url
	curl -sf -m 5 -X POST "$1/api/v0/id" 2>/dev/null | grep -q '"ID"'
}

# ---- status ----------------------------------------------------------------------------------
if [ "$cmd" = status ]; then
	[ -f "$state" ] || { echo "no IPFS daemons in $dir"; exit 1; }
	down=0
	while IFS=$'\t' read -r name pid repo api swarm; do
		if is_ours "$pid" "$repo" && api_answers "$api"; then
			printf '%s\tup\tpid %s\t%s\t%s\n' "$name" "$pid" "$api" "$swarm"
		else
			printf '%s\tDOWN\tpid %s\t%s\t%s\n' "$name" "$pid" "$api" "$swarm"
			down=1
		fi
	done < <(node -e '
		const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		for (const d of s.daemons) console.log([d.name, d.pid, d.repo, d.api, d.swarm].join("\t"));
	' "$state")
	exit "$down"
fi

# ---- stop ------------------------------------------------------------------------------------
if [ "$cmd" = stop ]; then
	if [ -f "$pids_file" ]; then stop_all; echo "stopped"; else echo "nothing to stop in $dir"; fi
	exit 0
fi

[ "$cmd" = start ] || usage

# ---- start -----------------------------------------------------------------------------------
command -v node >/dev/null || die "node (Node.js >= 20) not found"
command -v curl >/dev/null || die "curl not found"
[ -x "$jsipfs" ] || die "js-ipfs is not installed ($jsipfs missing): run scripts/bootstrap.sh (it runs \`npm ci --ignore-scripts\` in offchain/ipfs/daemon)"
if [ -f "$pids_file" ]; then
	while read -r pid repo; do
		is_ours "$pid" "$repo" && die "IPFS daemons are already running in $dir (pid $pid): scripts/ipfs.sh stop --dir $dir"
	done <"$pids_file"
	rm -f "$pids_file"
fi
rm -f "$state"
if [ "$base_port" -ne 0 ] && [ $((base_port + 4 * count)) -gt 65535 ]; then
	die "--base-port $base_port leaves no room for $count daemons"
fi

trap 'status=$?; if [ $status -ne 0 ]; then stop_all; fi; exit $status' EXIT
export NO_UPDATE_NOTIFIER=1

port() { # daemon_index offset -> port (0: the kernel picks one)
	if [ "$base_port" -eq 0 ]; then echo 0; else echo $((base_port + 4 * $1 + $2)); fi
}

# 1. every repo, before any daemon runs (inits in parallel: each is mostly Node.js start-up)
init_pids=()
for i in $(seq 0 $((count - 1))); do
	repo=$dir/ipfs$i
	rm -rf "$repo" "$dir/ipfs$i.log"
	IPFS_PATH=$repo "$jsipfs" init --profile test --empty-repo >"$dir/ipfs$i.init.log" 2>&1 </dev/null &
	init_pids+=($!)
done
for i in $(seq 0 $((count - 1))); do
	wait "${init_pids[$i]}" || die "jsipfs init of $dir/ipfs$i failed: $(tail -5 "$dir/ipfs$i.init.log")"
	rm -f "$dir/ipfs$i.init.log"
	node -e '
		const fs = require("fs");
		const [file, ip, api, gateway, swarm, grpc] = process.argv.slice(1);
		const c = JSON.parse(fs.readFileSync(file, "utf8"));
		const tcp = (p) => `/ip4/${ip}/tcp/${p}`;
		c.Addresses = { ...c.Addresses, API: tcp(api), Gateway: tcp(gateway), RPC: tcp(grpc),
			Swarm: [tcp(swarm)], Announce: [], NoAnnounce: [], Delegates: [] };
		c.Bootstrap = [];
		c.Discovery = { ...c.Discovery, MDNS: { Enabled: false, Interval: 10 },
			webRTCStar: { Enabled: false } };
		c.Swarm = { ...c.Swarm, DisableNatPortMap: true };
		c.Routing = { Type: "none" };
		c.Pubsub = { ...c.Pubsub, Enabled: false };
		fs.writeFileSync(file, JSON.stringify(c, null, 2));
	' "$dir/ipfs$i/config" "$loopback" "$(port "$i" 0)" "$(port "$i" 1)" "$(port "$i" 2)" "$(port "$i" 3)"
done

# 2. the daemons. Output goes to a log and stdin is closed, so that a caller reading this script's
# output (a test helper) sees EOF when the script ends.
: >"$pids_file"
started_here=1
# A watcher that stops the daemons if the owner dies first (even during start-up); it leaves
# once they are stopped.
if [ -n "$owner_pid" ]; then
	bash -c 'while kill -0 "$1" 2>/dev/null && [ -f "$2" ]; do sleep 1; done
		if [ -f "$2" ]; then "$3" stop --dir "$4"; fi' ipfs-owner-watch \
		"$owner_pid" "$pids_file" "$CAIRN_ROOT/scripts/ipfs.sh" "$dir" >/dev/null 2>&1 </dev/null &
fi

for i in $(seq 0 $((count - 1))); do
	repo=$dir/ipfs$i
	IPFS_PATH=$repo "$jsipfs" daemon --enable-preload=false >"$dir/ipfs$i.log" 2>&1 </dev/null &
	echo "$! $repo" >>"$pids_file"
done

# 3. wait until every API answers. The daemon writes its API multiaddr to REPO/api once listening.
declare -a pids apis gateways swarms peers
i=0
while read -r pid repo; do
	pids[i]=$pid
	ok=0
	for _ in $(seq 1 600); do
		is_child "$pid" || die "daemon ipfs$i exited during start-up: $(tail -20 "$dir/ipfs$i.log")"
		if [ -f "$repo/api" ] && grep -q 'Daemon is ready' "$dir/ipfs$i.log"; then
			api_ma=$(cat "$repo/api")
			api_port=$(sed -n 's#^/ip4/127\.0\.0\.1/tcp/\([0-9]*\).*#\1#p' <<<"$api_ma")
			[ -n "$api_port" ] || die "daemon ipfs$i API is not on $loopback: $api_ma"
			apis[i]=http://$loopback:$api_port
			if api_answers "${apis[i]}"; then ok=1; break; fi
		fi
		sleep 0.1
	done
	[ "$ok" = 1 ] || die "daemon ipfs$i did not answer within 60 s: $(tail -20 "$dir/ipfs$i.log")"
	i=$((i + 1))
done <"$pids_file"

# 4. addresses, read back and checked: nothing may listen anywhere but 127.0.0.1.
for i in $(seq 0 $((count - 1))); do
	repo=$dir/ipfs$i
	is_ours "${pids[i]}" "$repo" || die "daemon ipfs$i (pid ${pids[i]}) cannot be told by its IPFS_PATH"
	peers[i]=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).Identity.PeerID)' "$repo/config")
	while read -r addr what; do
		case "$addr" in
			/ip4/127.0.0.1/tcp/*) ;;
			*) die "daemon ipfs$i listens on $addr ($what), not on $loopback only" ;;
		esac
	done < <(sed -n 's/^\(.*\) listening on \([^ ]*\).*$/\2 \1/p' "$dir/ipfs$i.log")
	swarm_port=$(sed -n 's#^Swarm listening on /ip4/127\.0\.0\.1/tcp/\([0-9]*\)/.*#\1#p' "$dir/ipfs$i.log" | head -1)
	gw_port=$(sed -n 's#^Gateway .*listening on /ip4/127\.0\.0\.1/tcp/\([0-9]*\).*#\1#p' "$dir/ipfs$i.log" | head -1)
	[ -n "$swarm_port" ] || die "daemon ipfs$i reported no swarm address on $loopback"
	swarms[i]=/ip4/$loopback/tcp/$swarm_port/p2p/${peers[i]}
	gateways[i]=${gw_port:+http://$loopback:$gw_port}
	if command -v ss >/dev/null; then
		bad=$(ss -ltnpH 2>/dev/null | grep "pid=${pids[i]}," | awk '{print $4}' | grep -v "^$loopback:" || true)
		[ -z "$bad" ] || die "daemon ipfs$i listens on $bad"
	fi
done

# 5. connect every pair (one direction is enough: libp2p connections are bidirectional)
for i in $(seq 0 $((count - 1))); do
	for j in $(seq $((i + 1)) $((count - 1))); do
		out=$(curl -s -m 30 -X POST "${apis[i]}/api/v0/swarm/connect?arg=${swarms[j]}&timeout=20s" || true)
		grep -q success <<<"$out" || die "ipfs$i could not connect to ipfs$j (${swarms[j]}): $out"
	done
done

# 6. the state file, written atomically
tmp=$state.tmp
{
	printf '{"daemons": [\n'
	for i in $(seq 0 $((count - 1))); do
		[ "$i" -eq 0 ] || printf ',\n'
		printf '  {"name": "ipfs%s", "api": "%s", "api_multiaddr": "/ip4/%s/tcp/%s", "swarm": "%s", "gateway": "%s", "peer_id": "%s", "pid": %s, "repo": "%s", "log": "%s"}' \
			"$i" "${apis[i]}" "$loopback" "${apis[i]##*:}" "${swarms[i]}" "${gateways[i]}" "${peers[i]}" \
			"${pids[i]}" "$dir/ipfs$i" "$dir/ipfs$i.log"
	done
	printf '\n]}\n'
} >"$tmp"
node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$tmp" ||
	die "wrote an invalid $state (unusual characters in --dir?)"
mv "$tmp" "$state"

log "$count IPFS daemon(s) up and connected; state in $state"
for i in $(seq 0 $((count - 1))); do
	log "  ipfs$i  pid ${pids[i]}  api ${apis[i]}  swarm ${swarms[i]}"
done
