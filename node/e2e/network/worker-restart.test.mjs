// The storage worker restarted in the middle of a placement, on the running network: the file
// still gets stored, exactly once.
//
// The worker runs inside Alice's node (`cairn-node --dev --storage-worker ...`). A user pins a
// 64 MiB file with `storage.requestPin` (content added to the user's IPFS daemon first); as
// soon as the node's log shows the worker fetching it to encode, the node is killed (SIGKILL:
// no clean shut-down) and started again with the same command line, database and worker
// directory. Then the chain must reach `Stored` for that file once, with every piece reported
// once (`PlacementReported` naming each index exactly once), one `PinRequested`, and no
// `PinFailed`.
//
// Needs the network of scripts/start.sh (scripts/network-test.sh runs it). The restarted node
// replaces the old one in .cairn/pids and network.json, so scripts/stop.sh still stops it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
	EventLog,
	REPO_ROOT,
	alive,
	cidToHex,
	cidToText,
	closeNetwork,
	describeEvents,
	finalizedNumber,
	ipfsAdd,
	killAndWait,
	openNetwork,
	randomBytes,
	sameCid,
	sleep,
	storageEvent,
	submit,
	until,
} from './lib.mjs';

const SIZE = 64 * 1024 * 1024;

/** The node's command line, from /proc. */
function commandLine(pid) {
	return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

/** Starts `argv` detached, appending to `logFile`; records its pid for scripts/stop.sh. */
function restart(argv, logFile, oldPid) {
	const out = fs.openSync(logFile, 'a');
	const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', out, out] });
	child.unref();
	const pids = path.join(REPO_ROOT, '.cairn', 'pids');
	const kept = fs.readFileSync(pids, 'utf8').split('\n').filter((p) => p && Number(p) !== oldPid);
	fs.writeFileSync(pids, [...kept, String(child.pid)].join('\n') + '\n');
	const netFile = path.join(REPO_ROOT, '.cairn', 'net', 'network.json');
	const net = JSON.parse(fs.readFileSync(netFile, 'utf8'));
	net.node_pid = child.pid;
	fs.writeFileSync(netFile, JSON.stringify(net, null, 2));
	return child.pid;
}

describe('storage worker restarted mid-placement', { timeout: 1_200_000 }, () => {
	let ctx;

	before(async () => {
		ctx = await openNetwork('worker-restart');
	});

	after(async () => {
		await closeNetwork(ctx);
	});

	test('the file is stored exactly once', async () => {
		const { net, api, keyring } = ctx;
		const user = keyring.addFromUri(net.user.suri);
		const { cid } = await ipfsAdd(net.user.ipfs.api, randomBytes(SIZE), 'worker-restart.bin');
		const nodeLog = path.join(net.logs, 'node-alice.log');
		const logStart = fs.statSync(nodeLog).size;

		const { number: pinBlock, error } = await submit(api, api.tx.storage.requestPin(cid, SIZE, 'Standard', 2), user);

		assert.equal(error, null, 'requestPin succeeded');
		// Kill the node as soon as its worker starts on this file (its log names the CID in
		// base32, whatever spelling IPFS gave us).
		const shown = cidToText(cidToHex(cid));
		await until(
			() => {
				// Bytes, not characters: the log has multi-byte emoji.
				const fresh = fs.readFileSync(nodeLog).subarray(logStart).toString('utf8');
				return fresh.split('\n').some((line) => line.includes('placing:') && line.includes(shown));
			},
			{ timeoutMs: 120_000, intervalMs: 200, what: 'the worker starting on the file' },
		);
		const oldPid = net.node_pid;
		const argv = commandLine(oldPid);
		await closeNetwork(ctx);
		ctx = null;
		await killAndWait(oldPid);
		const placedBeforeKill = fs.readFileSync(nodeLog).subarray(logStart).toString('utf8').includes('placement reported');
		const newPid = restart(argv, nodeLog, oldPid);
		await sleep(2000);
		assert.ok(alive(newPid), 'the node restarted');
		ctx = await until(() => openNetwork('worker-restart').catch(() => null), {
			timeoutMs: 180_000,
			intervalMs: 2000,
			what: 'RPC after the restart',
		});

		// Every event since the pin, in block order, until the file is stored.
		const log = new EventLog(ctx.api);
		await log.start(pinBlock);
		const mine = (entry) => entry.data.cid !== undefined && sameCid(entry.data.cid, cid);
		await log.waitFor((e) => storageEvent(ctx.api, 'FileStateChanged')(e) && mine(e) && e.data.to.isStored, {
			timeoutMs: 900_000,
			what: 'FileStateChanged to Stored after the worker restart',
		});
		// A few more blocks: nothing is reported again after the file is stored.
		await log.waitForBlock((await finalizedNumber(ctx.api)) + 3);
		log.stop();

		const events = log.find(mine);
		const named = (method) => events.filter((e) => e.method === method);
		assert.equal(named('PinRequested').length, 1, describeEvents(events));
		assert.equal(named('PinFailed').length, 0, describeEvents(events));
		assert.equal(named('FileStateChanged').filter((e) => e.data.to.isStored).length, 1, describeEvents(events));
		const reported = named('PlacementReported').flatMap((e) => e.data.indices.map((i) => i.toNumber()));
		const n = (await ctx.api.query.storage.tierConfigs('Standard')).unwrap().n.toNumber();
		assert.deepEqual(
			[...reported].sort((a, b) => a - b),
			[...Array(n).keys()],
			`every piece reported exactly once (placement reported before the kill: ${placedBeforeKill})\n${describeEvents(events)}`,
		);
	});
});

