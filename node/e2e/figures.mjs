// Network figures, measured on a running local network (scripts/network-figures.sh starts one
// per file size and runs this against it). Not a test: it prints what it measures.
//
// For one file size:
//   1. upload throughput: a bare `ipfs add` (curl, the Kubo RPC API, the options cairn uses)
//      of a random file on the user's daemon, its blocks then removed (pin rm + repo gc), and
//      `cairn put` of the same file on the same daemon (encrypting, as by default): MiB/s of
//      each until the daemon has the content, and their ratio;
//   2. requestPin inclusion -> Stored: blocks and seconds (block timestamps) between the block
//      with `PinRequested` and the block with `FileStateChanged { to: Stored }`;
//   3. operator loss -> FileRepaired: n - k operators holding pieces of the file are killed
//      (agent and IPFS daemon, SIGKILL); blocks and seconds from the kill to `FileRepaired`;
//   4. peak memory (VmHWM) of the node (the chain with the storage worker in it) and of the
//      operator agents.
// Prints one JSON line `FIGURES {...}` at the end.
//
// Usage: node figures.mjs <network.json> <size MiB> <scratch dir>

import { spawn, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { u8aToHex } from '@polkadot/util';

import { connect } from './lib/chain.mjs';

const [netFile, sizeMiB, scratch] = process.argv.slice(2);
const net = JSON.parse(fs.readFileSync(netFile, 'utf8'));
const size = Number(sizeMiB) * 1024 * 1024;
const MiB = 1024 * 1024;
const log = (...a) => console.error(`[figures ${sizeMiB} MiB]`, ...a);

/** Peak resident memory of `pid` in KiB, from /proc (null if it is gone). */
function vmHwm(pid) {
	try {
		const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
		return m ? Number(m[1]) : null;
	} catch {
		return null;
	}
}

/** Runs `cmd args`, resolving with {code, stdout, lines: [[ms since start, line]...]} */
function run(cmd, args, env = {}) {
	return new Promise((resolve) => {
		const t0 = Date.now();
		const child = spawn(cmd, args, { env: { ...process.env, ...env } });
		const lines = [];
		let stdout = '';
		let buf = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => {
			buf += d;
			let i;
			while ((i = buf.indexOf('\n')) >= 0) {
				lines.push([Date.now() - t0, buf.slice(0, i)]);
				buf = buf.slice(i + 1);
			}
		});
		child.on('close', (code) => resolve({ code, stdout, lines, ms: Date.now() - t0 }));
	});
}

const api = await connect(net.rpc);
// Every finalized storage event, with its block number and the block's timestamp.
const seen = [];
const times = new Map();
const unsub = await api.rpc.chain.subscribeFinalizedHeads(async (header) => {
	const number = header.number.toNumber();
	const at = await api.at(header.hash);
	const [events, now] = await Promise.all([at.query.system.events(), at.query.timestamp.now()]);
	times.set(number, now.toNumber());
	for (const { event } of events) {
		if (event.section === 'storage') seen.push({ number, event });
	}
});

async function waitFor(predicate, timeoutMs, what) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const hit = seen.find(predicate);
		if (hit) return hit;
		if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs / 1000} s`);
		await new Promise((r) => setTimeout(r, 500));
	}
}

// 1. The file, a bare `ipfs add`, then `cairn put`.
fs.mkdirSync(scratch, { recursive: true });
const file = path.join(scratch, `figures-${sizeMiB}MiB.bin`);
{
	const fd = fs.openSync(file, 'w');
	const block = Buffer.alloc(MiB);
	for (let i = 0; i < Number(sizeMiB); i++) fs.writeSync(fd, randomFillSync(block));
	fs.closeSync(fd);
}
const userApi = net.user.ipfs.api;
const addQuery =
	'cid-version=1&raw-leaves=true&pin=true&chunker=size-262144&hash=sha2-256&progress=false';
const bare = await run('curl', ['-sS', '-X', 'POST', '-F', `file=@${file}`, `${userApi}/api/v0/add?${addQuery}`]);
if (bare.code !== 0) throw new Error(`ipfs add failed: ${bare.lines.map((l) => l[1]).join('\n')}`);
const bareCid = JSON.parse(bare.stdout.trim().split('\n').pop()).Hash;
for (const call of [`pin/rm?arg=${bareCid}`, 'repo/gc']) {
	await run('curl', ['-sS', '-X', 'POST', `${userApi}/api/v0/${call}`]);
}
log(`bare ipfs add: ${(bare.ms / 1000).toFixed(2)} s`);

const put = await run(net.cairn, ['--url', net.rpc, 'put', file, '--tier', 'standard', '--eras', '3',
	'--suri', net.user.suri, '--ipfs', userApi, '--timeout', '3600'], { RUST_LOG: 'cairn_cli=info' });
if (put.code !== 0) throw new Error(`cairn put failed:\n${put.lines.map((l) => l[1]).join('\n')}`);
const added = put.lines.find(([, l]) => l.includes('added to IPFS'));
const putUploadMs = added[0];
log(`cairn put: added to IPFS after ${(putUploadMs / 1000).toFixed(2)} s, stored after ${(put.ms / 1000).toFixed(1)} s`);

// 2. Inclusion -> Stored, from the chain's own blocks.
const requested = await waitFor(
	(e) => api.events.storage.PinRequested.is(e.event) && e.event.data[3].toNumber() > size,
	120_000,
	'PinRequested',
);
const cid = requested.event.data.cid.toHex();
const sameCid = (e) => u8aToHex(e.event.data.cid) === cid;
const stored = await waitFor(
	(e) => api.events.storage.FileStateChanged.is(e.event) && sameCid(e) && e.event.data.to.isStored,
	600_000,
	'Stored',
);
const pinBlocks = stored.number - requested.number;
const pinSecs = (times.get(stored.number) - times.get(requested.number)) / 1000;
log(`requestPin inclusion (#${requested.number}) -> Stored (#${stored.number}): ${pinBlocks} blocks, ${pinSecs} s`);

// 3. Kill n - k holders of the file's pieces, then wait for FileRepaired.
// The holders, from the PiecesAssigned event of the pin.
const assigned = await waitFor(
	(e) => api.events.storage.PiecesAssigned.is(e.event) && sameCid(e),
	60_000,
	'PiecesAssigned',
);
const holders = assigned.event.data.operators.map(([, who]) => who.toString());
const keyring = (await import('@polkadot/keyring')).Keyring;
const ring = new keyring({ type: 'sr25519' });
const byAccount = new Map(net.operators.map((o) => [ring.addFromUri(o.suri).address, o]));
const tier = (await api.query.storage.tierConfigs('Standard')).unwrap();
const victims = holders.slice(0, tier.n.toNumber() - tier.k.toNumber()).map((a) => byAccount.get(a));
const header = await api.rpc.chain.getHeader();
const killBlock = header.number.toNumber();
const killedAt = Date.now();
for (const v of victims) {
	process.kill(v.pid, 'SIGKILL');
	process.kill(v.ipfs.pid, 'SIGKILL');
}
log(`killed ${victims.map((v) => v.suri).join(', ')} (agents and IPFS daemons) at block #${killBlock}`);
const repaired = await waitFor(
	(e) => api.events.storage.FileRepaired.is(e.event) && sameCid(e),
	1_800_000,
	'FileRepaired',
);
const repairBlocks = repaired.number - killBlock;
const repairSecs = (times.get(repaired.number) - killedAt) / 1000;
log(`operator loss -> FileRepaired (#${repaired.number}): ${repairBlocks} blocks, ${repairSecs.toFixed(1)} s`);
const marked = seen.filter((e) => api.events.storage.OperatorMarkedOffline.is(e.event));
const lost = seen.filter((e) => api.events.storage.FileLost.is(e.event));

// 4. Peak memory.
const nodeKiB = vmHwm(net.node_pid);
const agentKiB = Math.max(...net.operators.map((o) => vmHwm(o.pid) ?? 0));

const figures = {
	size_mib: Number(sizeMiB),
	bare_add_s: bare.ms / 1000,
	bare_add_mib_s: Number(sizeMiB) / (bare.ms / 1000),
	put_upload_s: putUploadMs / 1000,
	put_upload_mib_s: Number(sizeMiB) / (putUploadMs / 1000),
	put_to_stored_s: put.ms / 1000,
	pin_blocks: pinBlocks,
	pin_s: pinSecs,
	repair_blocks: repairBlocks,
	repair_s: repairSecs,
	marked_offline_first_block: marked.length ? marked[0].number - killBlock : null,
	files_lost: lost.length,
	node_peak_mib: nodeKiB / 1024,
	agent_peak_mib: agentKiB / 1024,
};
console.log(`FIGURES ${JSON.stringify(figures)}`);
unsub();
await api.disconnect();
process.exit(0);
