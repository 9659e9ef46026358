// Failures on the whole network scripts/start.sh runs (see scripts/network-test.sh): audits that
// catch cheating, slow and forgetful operators, then operators that die. The audit tests run
// first (they need every operator); the kill tests last (what they kill stays dead). Each test
// says what it stops or kills; every paused agent is continued again, also on failure.
//
//   c. audits (concurrently, on three different operators, with the Critical tier's audit period
//      shortened by sudo so that its pieces are challenged every few blocks):
//      i.   an agent paused, its challenge answered with another piece's proof: AuditFailed
//           {InvalidProof}, the bond shrinks by exactly SlashFraction;
//      ii.  an agent paused past the response window: contained, then passes, not slashed;
//      iii. a piece deleted from the operator's IPFS daemon: contained MaxReverifyCount times,
//           then AuditFailed{Unanswered}, slashed;
//   a. repair: the agents and IPFS daemons of 2 (= n - k) operators of a Standard file are killed:
//      offline, Degraded, repaired as far as live operators allow (the rest deferred, README), the
//      file Stored again and byte-identical through `cairn get`; nothing lost;
//   b. loss: both operators of a Temporary file (k = 1, n = 2) are killed: FileLost for exactly
//      that file and nothing else, its owner refunded what the operators did not earn.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
	accountAt,
	agentDisconnected,
	blockEvents,
	cairnHasFlag,
	cidToHex,
	cidToText,
	closeNetwork,
	describeEvents,
	fileInfo,
	finalizedNumber,
	ipfsAdd,
	ipfsHasBlock,
	ipfsPinRm,
	ipfsIsPinned,
	ipfsRepoGc,
	killAndWait,
	openNetwork,
	operatorByAddress,
	operatorProblems,
	paidToOperators,
	pauseAgent,
	randomBytes,
	runCairn,
	sameCid,
	sleep,
	storageEvent,
	submit,
	sudo,
	until,
} from './lib.mjs';

// Blocks between two audits of the same Critical piece during the audit tests (the dev preset
// has 300). Short enough that a piece is challenged within seconds, long enough that every agent
// answers its challenges (one answer takes it about three blocks: read the piece, submit, wait
// for finality).
const AUDIT_PERIOD = 8;

describe('Cairn network: failures', { timeout: 60 * 60_000 }, () => {
	let ctx;
	let api;
	let net;
	let log;
	let keyring;
	let consts;
	let alice;
	let putPublic;
	let getSuri;
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-network-'));

	const eraOf = (block) => Math.floor(block / consts.eraLength);
	const blocks = (n) => n * consts.blockMs;
	const bondOf = async (who, at) => (await (await api.at(at)).query.storage.operators(who)).unwrap().bond.toBigInt();
	const slashOf = (bond) => (bond * consts.slashFraction) / 1_000_000_000n;

	/** `cairn put` of `bytes` (public if the CLI can), waited until stored: the CID. */
	async function put(bytes, tier, eras) {
		const file = path.join(tmp, `${tier}-${Date.now()}.bin`);
		fs.writeFileSync(file, bytes);
		const args = ['put', file, '--tier', tier, '--eras', String(eras), '--suri', net.user.suri, '--ipfs', net.user.ipfs.api];
		if (putPublic) args.push('--public');
		const r = await runCairn(net, args, { timeoutMs: 15 * 60_000 });
		assert.equal(r.code, 0, `cairn put failed:\n${r.stderr.slice(-3000)}`);
		const cid = r.stdout.trim().split('\n').pop().trim();
		assert.match(cid, /^b[a-z2-7]+$/, `cairn put printed a CID: ${r.stdout}`);
		return cid;
	}

	/** `cairn get` of `cid`: the bytes it wrote. */
	async function get(cid) {
		const out = path.join(tmp, `get-${Date.now()}.bin`);
		const args = ['get', cid, '-o', out, '--ipfs', net.user.ipfs.api];
		if (getSuri) args.push('--suri', net.user.suri);
		const r = await runCairn(net, args, { timeoutMs: 10 * 60_000 });
		assert.equal(r.code, 0, `cairn get failed:\n${r.stderr.slice(-3000)}`);
		return new Uint8Array(fs.readFileSync(out));
	}

	/** Kills (SIGKILL) an operator's agent and its IPFS daemon. */
	async function killOperator(op) {
		await killAndWait(op.pid);
		await killAndWait(op.ipfs.pid);
		op.dead = true;
	}

	const storedEvent = (cid, since, timeoutMs = 5 * 60_000) =>
		log.waitFor(storageEvent(api, 'FileStateChanged', (d) => sameCid(d.cid, cid) && d.to.type === 'Stored'), {
			since,
			timeoutMs,
			what: `${cid} Stored`,
		});

	before(async () => {
		ctx = await openNetwork('failures');
		({ api, net, log, keyring, consts } = ctx);
		alice = keyring.addFromUri(net.user.suri);
		// `cairn put` encrypts by default once client-side encryption is in; these tests pin
		// public files when the CLI offers it, and give `get` the owner's secret when it asks.
		putPublic = await cairnHasFlag(net, 'put', '--public');
		getSuri = await cairnHasFlag(net, 'get', '--suri');
		assert.deepEqual(operatorProblems(net), [], 'every operator agent and IPFS daemon is up and connected');
	});

	after(async () => {
		await closeNetwork(ctx);
		fs.rmSync(tmp, { recursive: true, force: true });
	});

	describe('c. audits on the network', { concurrency: true }, () => {
		// A Critical file (n = 5): one piece on every operator. Piece 0 is X's (i), piece 1 Y's
		// (ii), piece 2 Z's (iii): a parity piece (index >= k), so no block of it is shared with
		// the original file on the user's daemon.
		let F = null;
		let original = null;
		const role = {};

		before(async () => {
			const size = 200_000;
			const { cid } = await ipfsAdd(net.user.ipfs.api, randomBytes(size), 'audited.bin');
			const mark = log.mark();
			const r = await submit(api, api.tx.storage.requestPin(cid, size, 'Critical', 2), alice);
			assert.equal(r.error, null, 'requestPin (Critical) succeeded');
			await storedEvent(cid, mark);

			// The audit period is read from the tier's configuration each time a piece is drawn
			// (pallet audit.rs, issue_challenge), so shortening it applies to pins made before.
			original = (await api.query.storage.tierConfigs('Critical')).unwrap().toJSON();
			const set = await sudo(api, api.tx.storage.setTierConfig('Critical', { ...original, auditPeriod: AUDIT_PERIOD }), alice);
			assert.ok(set.events.some((e) => api.events.storage.TierConfigSet.is(e)));
			assert.equal((await api.query.storage.tierConfigs('Critical')).unwrap().auditPeriod.toNumber(), AUDIT_PERIOD);

			const info = await fileInfo(api, cid);
			assert.equal(info.pieces.length, 5);
			assert.equal(new Set(info.pieces.map((p) => p.operator)).size, 5, 'one piece on each of the 5 operators');
			F = { cid, hex: cidToHex(cid), info };
			const ops = ['X', 'Y', 'Z'];
			info.pieces.slice(0, 3).forEach((p, i) => {
				const op = operatorByAddress(net, p.operator);
				role[ops[i]] = { op, index: p.index, address: p.operator, pair: keyring.addFromUri(op.suri), piece: p };
			});
		});

		after(async () => {
			// Unpin the audited file (its piece of Z is gone) and restore the tier.
			if (F) await submit(api, api.tx.storage.unpin(F.cid), alice).catch(() => {});
			if (original) await sudo(api, api.tx.storage.setTierConfig('Critical', original), alice).catch(() => {});
		});

		test('i. a challenge answered with another piece\'s valid proof: AuditFailed{InvalidProof}, bond slashed by exactly SlashFraction', { timeout: 10 * 60_000 }, async () => {
			const { op, index, address, pair } = role.X;
			// A leaf and Merkle path that passed an audit of another piece of the same file.
			const other = await until(() => log.proofs.find((p) => p.cid === F.hex && p.index !== index), {
				timeoutMs: 5 * 60_000,
				what: 'an AuditPassed submitProof of another piece of the audited file',
			});
			// Pause X's agent (SIGSTOP) so that it does not answer the challenge itself; only
			// challenges in blocks finalized after the pause are used (the agent follows finalized
			// blocks, so it cannot have seen them). Pauses are short (a challenge comes within
			// about AUDIT_PERIOD blocks; if none does within 45 s, resume and pause again): an
			// agent paused for about two minutes loses its RPC connection for good (agent bug).
			let offset = null;
			let done = false;
			for (let attempt = 0; attempt < 6 && !done; attempt++) {
				const pause = pauseAgent(net, op);
				offset ??= pause.offset;
				try {
					const pausedAt = await finalizedNumber(api);
					const challenge = await log
						.waitFor(
							storageEvent(api, 'ChallengeIssued', (d, e) => e.block > pausedAt && sameCid(d.cid, F.cid) && d.operator.toString() === address),
							{ timeoutMs: 45_000, what: `a challenge to ${op.name} for the audited file` },
						)
						.catch(() => null);
					if (challenge) {
						assert.equal(challenge.data.index.toNumber(), index);
						const r = await submit(api, api.tx.storage.submitProof(challenge.data.challenge, other.leaf, other.proof), pair);
						// A wrong proof does not make the call fail: it records the failed audit.
						assert.equal(r.error, null);
						const failed = r.events.filter((e) => api.events.storage.AuditFailed.is(e));
						assert.equal(failed.length, 1, 'one AuditFailed');
						const d = failed[0].data;
						assert.equal(d.challenge.toBigInt(), challenge.data.challenge.toBigInt());
						assert.equal(d.operator.toString(), address);
						assert.equal(d.index.toNumber(), index);
						assert.equal(d.reason.type, 'InvalidProof');
						assert.equal(r.events.filter((e) => api.events.storage.AuditPassed.is(e)).length, 0);
						const bondBefore = await bondOf(address, r.parent);
						const bondAfter = await bondOf(address, r.blockHash);
						assert.equal(d.slashed.toBigInt(), slashOf(bondBefore), 'slashed = SlashFraction x bond');
						assert.equal(bondAfter, bondBefore - slashOf(bondBefore), 'the recorded bond shrank by the slash');
						assert.equal(r.after.reserved, r.before.reserved - slashOf(bondBefore), 'the slash was burnt from the held bond');
						assert.equal(r.after.free, r.before.free - r.fee, 'free balance: only the fee');
						done = true;
					}
				} finally {
					pause.resume();
				}
				if (!done) await sleep(15_000);
			}
			assert.ok(done, `${op.name} was challenged while paused`);
			await sleep(5000);
			assert.equal(agentDisconnected(net, op, offset), null, `${op.name}'s agent is still connected after its pauses`);
		});

		test('ii. an agent paused past the response window is contained, then passes the re-verification unslashed', { timeout: 10 * 60_000 }, async () => {
			const { op, index, address } = role.Y;
			// Pause Y's agent (SIGSTOP) until one of its challenges passes its deadline (about
			// ResponseWindow blocks after it is issued); if no challenge comes within 45 s, resume
			// and pause again, so that no pause gets near two minutes (agent bug, see above).
			let offset = null;
			let contained = null;
			let challenge = null;
			let bondBefore = null;
			let mark = null;
			for (let attempt = 0; attempt < 6 && !contained; attempt++) {
				const pause = pauseAgent(net, op);
				offset ??= pause.offset;
				try {
					const pausedAt = await finalizedNumber(api);
					bondBefore = await bondOf(address, await api.rpc.chain.getFinalizedHead());
					mark = log.mark();
					challenge = await log
						.waitFor(
							storageEvent(api, 'ChallengeIssued', (d, e) => e.block > pausedAt && sameCid(d.cid, F.cid) && d.operator.toString() === address),
							{ since: mark, timeoutMs: 45_000, what: `a challenge to ${op.name}` },
						)
						.catch(() => null);
					if (challenge) {
						const id = challenge.data.challenge.toBigInt();
						contained = await log.waitFor(
							storageEvent(api, 'OperatorContained', (d) => d.challenge.toBigInt() === id),
							{ since: challenge.seq, timeoutMs: blocks(consts.responseWindow + 20), what: `OperatorContained for challenge ${id}` },
						);
					}
				} finally {
					pause.resume();
				}
				if (!contained) await sleep(15_000);
			}
			assert.ok(contained, `${op.name} was challenged while paused`);
			assert.equal(contained.data.operator.toString(), address);
			assert.equal(contained.data.attempt.toNumber(), challenge.data.attempt.toNumber() + 1);

			const passed = await log.waitFor(
				storageEvent(api, 'AuditPassed', (d) => d.operator.toString() === address && sameCid(d.cid, F.cid) && d.index.toNumber() === index),
				{ since: contained.seq, timeoutMs: blocks(consts.responseWindow * (consts.maxReverifyCount + 2)), what: `AuditPassed for ${op.name} after containment` },
			);
			const reissued = log.find(storageEvent(api, 'ChallengeIssued', (d) => d.challenge.toBigInt() === passed.data.challenge.toBigInt()), mark);
			assert.equal(reissued.length, 1);
			assert.ok(reissued[0].data.attempt.toNumber() >= 1, 'the passed challenge is a re-verification');
			assert.equal(reissued[0].data.leafIndex.toNumber(), challenge.data.leafIndex.toNumber(), 'of the same leaf');
			const failures = log.find(storageEvent(api, 'AuditFailed', (d) => d.operator.toString() === address), mark);
			assert.deepEqual(failures, [], `no failed audit for ${op.name}:\n${describeEvents(failures)}`);
			assert.equal(await bondOf(address, passed.hash), bondBefore, 'bond unchanged');
			assert.equal(agentDisconnected(net, op, offset), null, `${op.name}'s agent is still connected after its pause`);
		});

		test('iii. a piece deleted from the operator\'s daemon: contained MaxReverifyCount times, then AuditFailed{Unanswered}, slashed', { timeout: 15 * 60_000 }, async () => {
			const { op, index, address, piece } = role.Z;
			const pieceCid = cidToText(piece.content.cid);
			// Delete the piece: unpin it from Z's daemon and garbage-collect, and garbage-collect the
			// worker's daemon too (the worker unpinned its copy once the file was stored, but the
			// blocks stay until a gc, and Bitswap would serve them to Z again).
			assert.ok(await ipfsIsPinned(op.ipfs.api, pieceCid), `${op.name} pinned its piece`);
			await ipfsPinRm(op.ipfs.api, pieceCid);
			assert.equal(await ipfsIsPinned(op.ipfs.api, pieceCid), false, `${op.name} unpinned its piece`);
			if (await ipfsIsPinned(net.worker.ipfs.api, pieceCid)) await ipfsPinRm(net.worker.ipfs.api, pieceCid);
			await ipfsRepoGc(op.ipfs.api);
			await ipfsRepoGc(net.worker.ipfs.api);
			assert.equal(await ipfsHasBlock(op.ipfs.api, pieceCid, 5000), false, 'no daemon of the network has the piece any more');
			const mark = log.mark();

			const failed = await log.waitFor(
				storageEvent(api, 'AuditFailed', (d) => d.operator.toString() === address && sameCid(d.cid, F.cid) && d.index.toNumber() === index),
				{ since: mark, timeoutMs: blocks(AUDIT_PERIOD * 4 + consts.responseWindow * (consts.maxReverifyCount + 1) + 60), what: `AuditFailed for ${op.name}'s deleted piece` },
			);
			assert.equal(failed.data.reason.type, 'Unanswered');
			// The failed challenge was the MaxReverifyCount-th re-verification of one leaf: a chain
			// of containments, each re-issuing the same leaf with the next attempt.
			const issued = log.find(storageEvent(api, 'ChallengeIssued', (d) => d.operator.toString() === address && sameCid(d.cid, F.cid) && d.index.toNumber() === index), mark);
			const last = issued.find((e) => e.data.challenge.toBigInt() === failed.data.challenge.toBigInt());
			assert.ok(last, 'the failed challenge was issued after the deletion');
			assert.equal(last.data.attempt.toNumber(), consts.maxReverifyCount);
			const contained = log.find(storageEvent(api, 'OperatorContained', (d) => d.operator.toString() === address && sameCid(d.cid, F.cid) && d.index.toNumber() === index), mark);
			const chain = contained.filter((e) => e.data.leafIndex.toNumber() === failed.data.leafIndex.toNumber()).map((e) => e.data.attempt.toNumber());
			assert.deepEqual(chain.slice(-consts.maxReverifyCount), Array.from({ length: consts.maxReverifyCount }, (_, i) => i + 1), 'contained with attempts 1..MaxReverifyCount');
			// Slashed by SlashFraction of the bond it had then.
			const parent = (await api.rpc.chain.getHeader(failed.hash)).parentHash.toHex();
			const bondBefore = await bondOf(address, parent);
			assert.equal(failed.data.slashed.toBigInt(), slashOf(bondBefore));
			assert.equal(await bondOf(address, failed.hash), bondBefore - slashOf(bondBefore));
		});
	});

	describe('operators that die', () => {
		let repaired = null;

		test('a. 2 (= n - k) operators of a Standard file killed: offline, Degraded, repaired as far as operators allow, byte-identical through cairn get', { timeout: 20 * 60_000 }, async () => {
			const data = randomBytes(300_000);
			const mark0 = log.mark();
			const cid = await put(data, 'standard', 3);
			await storedEvent(cid, mark0);
			const info = await fileInfo(api, cid);
			assert.equal(info.state, 'Stored');
			const holders = info.pieces.map((p) => p.operator);
			// Kill (SIGKILL) the agents and IPFS daemons of the operators of pieces 0 and 1.
			const victims = info.pieces.slice(0, 2).map((p) => ({ ...p, op: operatorByAddress(net, p.operator) }));
			const mark = log.mark();
			for (const v of victims) await killOperator(v.op);

			// The worker's probes fail: both are marked offline.
			for (const v of victims) {
				await log.waitFor(storageEvent(api, 'OperatorMarkedOffline', (d) => d.who.toString() === v.operator), {
					since: mark,
					timeoutMs: 8 * 60_000,
					what: `OperatorMarkedOffline for ${v.op.name}`,
				});
			}
			// Health 2 < m = 3: Degraded, then repair.
			await log.waitFor(storageEvent(api, 'FileStateChanged', (d) => sameCid(d.cid, cid) && d.to.type === 'Degraded'), {
				since: mark,
				timeoutMs: 3 * 60_000,
				what: `${cid} Degraded`,
			});
			const scheduled = await log.waitFor(storageEvent(api, 'RepairScheduled', (d) => sameCid(d.cid, cid)), {
				since: mark,
				timeoutMs: 3 * 60_000,
				what: `RepairScheduled for ${cid}`,
			});
			const moved = scheduled.data.indices.map((i) => i.toNumber());
			const movedTo = scheduled.data.operators.map((w) => w.toString());
			assert.ok(moved.length >= 1, 'at least one piece moved');
			for (const i of moved) assert.ok(victims.some((v) => v.index === i), `moved piece ${i} is a dead operator's`);
			for (const who of movedTo) assert.ok(!holders.includes(who), 'to an operator without a piece of the file');
			// README: "Without enough eligible operators the moves that fit are made and the rest
			// retried after RepairRetryDelay blocks (RepairDeferred)". Eligible replacements: the
			// eligible operators holding no piece of the file, just before the repair.
			const parent = (await api.rpc.chain.getHeader(scheduled.hash)).parentHash.toHex();
			const eligible = (await (await api.at(parent)).query.storage.eligibleOperators()).map((a) => a.toString());
			const candidates = eligible.filter((w) => !holders.includes(w));
			assert.equal(moved.length, Math.min(victims.length, candidates.length), `moved as many pieces as there were replacements (${candidates.length})`);
			if (moved.length < victims.length) {
				const deferred = log.find(storageEvent(api, 'RepairDeferred', (d) => sameCid(d.cid, cid)), mark).filter((e) => e.block === scheduled.block);
				assert.equal(deferred.length, 1, 'RepairDeferred in the same block');
				assert.equal(deferred[0].data.missing.toNumber(), victims.length - moved.length);
				assert.equal(deferred[0].data.healthy.toNumber(), holders.length - victims.length);
			}

			// The worker rebuilds, the new operator confirms: FileRepaired, Stored.
			await log.waitFor(storageEvent(api, 'RepairReported', (d) => sameCid(d.cid, cid)), { since: scheduled.seq, timeoutMs: 5 * 60_000, what: 'RepairReported' });
			const repairedEvent = await log.waitFor(storageEvent(api, 'FileRepaired', (d) => sameCid(d.cid, cid)), {
				since: scheduled.seq,
				timeoutMs: 8 * 60_000,
				what: `FileRepaired for ${cid}`,
			});
			await storedEvent(cid, scheduled.seq);
			const final = await fileInfo(api, cid, repairedEvent.hash);
			assert.equal(final.state, 'Stored');
			const dead = new Set(victims.map((v) => v.operator));
			const healthy = final.pieces.filter((p) => p.confirmed && !dead.has(p.operator)).length;
			assert.ok(healthy >= final.record.m.toNumber(), `health ${healthy} >= m again`);
			for (const [i, to] of moved.map((idx, j) => [idx, movedTo[j]])) {
				const p = final.pieces.find((x) => x.index === i);
				assert.equal(p.operator, to, `piece ${i} is with its new operator`);
				assert.ok(p.confirmed, `piece ${i} confirmed by its new operator`);
			}

			assert.deepEqual(await get(cid), data, 'cairn get returns the original bytes');
			const lost = log.find(storageEvent(api, 'FileLost'), mark0);
			assert.deepEqual(lost, [], `nothing lost:\n${describeEvents(lost)}`);
			repaired = cid;
		});

		test('b. both operators of a Temporary file (k = 1, n = 2) killed: FileLost for exactly that file, owner refunded', { timeout: 20 * 60_000 }, async () => {
			// Nothing else may depend on the operators killed here: unpin (a)'s file first.
			if (repaired && (await fileInfo(api, repaired))) {
				const r = await submit(api, api.tx.storage.unpin(repaired), alice);
				assert.equal(r.error, null, 'unpinned the repaired file');
			}
			const mark0 = log.mark();
			const cid = await put(randomBytes(100_000), 'temporary', 2);
			await storedEvent(cid, mark0);
			const requested = log.find(storageEvent(api, 'PinRequested', (d) => sameCid(d.cid, cid)), mark0);
			assert.equal(requested.length, 1);
			const cost = requested[0].data.cost.toBigInt();
			const info = await fileInfo(api, cid);
			assert.equal(info.pieces.length, 2);
			const victims = info.pieces.map((p) => operatorByAddress(net, p.operator));
			const victimSet = new Set(victims.map((v) => v.address));

			// Control: no other live file may be left with fewer than k readable pieces once the
			// victims are gone (readable: confirmed on an operator that is not offline, and the
			// previous holders of pieces being repaired); unpin any that would.
			const readableAfter = async (fileId, k) => {
				let readable = 0;
				for (const [, piece] of await api.query.storage.pieces.entries(fileId)) {
					const p = piece.unwrap();
					const usable = async (who) => {
						if (victimSet.has(who)) return false;
						const rec = await api.query.storage.operators(who);
						return rec.isSome && rec.unwrap().offlineSince.isNone && !net.operators.find((o) => o.address === who)?.dead;
					};
					if (p.confirmed.isTrue && (await usable(p.operator.toString()))) readable += 1;
					else if (p.previous.isSome && !p.confirmed.isTrue && (await usable(p.previous.unwrap().toString()))) readable += 1;
				}
				return readable >= k;
			};
			for (const [key, record] of await api.query.storage.files.entries()) {
				const file = record.unwrap();
				const other = cidToText(file.cid);
				if (other === cid) continue;
				if (!(await readableAfter(key.args[0], file.k.toNumber()))) {
					assert.equal(file.owner.toString(), alice.address, `${other} would be lost and is not ours to unpin`);
					const r = await submit(api, api.tx.storage.unpin(other), alice);
					assert.equal(r.error, null, `unpinned ${other}, which would be lost too`);
				}
			}

			// Kill (SIGKILL) both operators' agents and IPFS daemons.
			const mark = log.mark();
			for (const v of victims) await killOperator(v);
			const marked = [];
			for (const v of victims) {
				marked.push(
					await log.waitFor(storageEvent(api, 'OperatorMarkedOffline', (d) => d.who.toString() === v.address), {
						since: mark,
						timeoutMs: 8 * 60_000,
						what: `OperatorMarkedOffline for ${v.name}`,
					}),
				);
			}
			const lost = await log.waitFor(storageEvent(api, 'FileLost', (d) => sameCid(d.cid, cid)), { since: mark, timeoutMs: 3 * 60_000, what: `FileLost for ${cid}` });
			assert.equal(lost.data.healthy.toNumber(), 0, 'no readable piece left');
			assert.equal(lost.data.k.toNumber(), 1);

			// README: the pin is removed and its unused escrow refunded (PinRemoved { reason: Lost
			// }): its cost less what the operators earned in the completed eras (a lost file pays
			// nothing for the current one), plus any reward forfeited back to its escrow by a failed
			// audit (a dead operator's piece challenged after the kill fails Unanswered).
			const removed = (await blockEvents(api, lost.hash)).filter((e) => api.events.storage.PinRemoved.is(e));
			assert.equal(removed.length, 1, 'one pin removed in that block');
			assert.ok(sameCid(removed[0].data.cid, cid));
			assert.equal(removed[0].data.reason.type, 'Lost');
			const earned = await paidToOperators(api, cid, eraOf(requested[0].block), eraOf(lost.block), consts.eraLength);
			const forfeited = log
				.find(storageEvent(api, 'AuditFailed', (d) => sameCid(d.cid, cid)), mark0)
				.reduce((sum, e) => sum + e.data.forfeited.toBigInt(), 0n);
			const expected = cost - earned + forfeited;
			assert.equal(removed[0].data.refund.toBigInt(), expected, `refund = cost (${cost}) - earned (${earned}) + forfeited (${forfeited})`);
			const parent = (await api.rpc.chain.getHeader(lost.hash)).parentHash.toHex();
			const [before, afterLoss] = await Promise.all([accountAt(api, parent, alice.address), accountAt(api, lost.hash, alice.address)]);
			assert.equal(afterLoss.free - before.free, expected, 'the owner received the refund');
			assert.equal(await fileInfo(api, cid, lost.hash), null, 'the pin is gone');

			// Nothing else is lost: wait until both victims' pieces were surely swept, then look.
			await log.waitForBlock(Math.max(...marked.map((e) => e.block)) + 20);
			const allLost = log.find(storageEvent(api, 'FileLost'), mark);
			assert.deepEqual(allLost.map((e) => e.data.cid.toHex()), [cidToHex(cid)], `only ${cid} lost:\n${describeEvents(allLost)}`);
		});
	});
});
