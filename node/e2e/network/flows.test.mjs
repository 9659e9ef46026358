// Whole-network flows through polkadot.js, against the network scripts/start.sh runs (the dev
// chain with the storage worker inside the node, 7 js-ipfs daemons, 5 operator agents; see
// scripts/network-test.sh). Every name and type comes from the chain's metadata: calls from
// api.tx.storage, events checked with api.events.storage.X.is(), errors with
// api.registry.findMetaError, prices and operator records from the pallet's view functions
// (runtime API RuntimeViewFunction).
//
//   a. a user adds a 1 MiB file to their IPFS daemon over HTTP and pins it (Standard, 3 eras):
//      pieces assigned in the inclusion block, Stored later, on 4 distinct operators;
//   b. bad input fails with the documented error and moves nothing but the fee;
//   c. changeTier (charged, then refunded) and unpin (refund) exactly as the README computes them;
//   d. (last: it waits for the era of (a) to complete, up to ~10 min after the network started)
//      an operator claims its rewards: paid exactly what the `operator` view said, a second
//      claim pays nothing.
//
// Nothing here kills anything; failures.test.mjs does.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
	agentDisconnected,
	blockEvents,
	closeNetwork,
	escrowFlow,
	fileInfo,
	fileRateAt,
	freshAccount,
	ipfsAdd,
	ipfsCat,
	openNetwork,
	operatorByAddress,
	operatorInfo,
	operatorProblems,
	paidToOperators,
	pauseAgent,
	pinPrice,
	potTotalAt,
	randomBytes,
	randomCid,
	sameCid,
	sleep,
	storageEvent,
	submit,
	UNIT,
} from './lib.mjs';

describe('Cairn network: storage flows through polkadot.js', { timeout: 40 * 60_000 }, () => {
	let ctx;
	let api;
	let net;
	let log;
	let keyring;
	let consts;
	let alice;
	// Set by (a), used by (d).
	let fileA = null;

	const eraOf = (block) => Math.floor(block / consts.eraLength);

	/** The pot changed by exactly what the block's storage events say (escrow conservation). */
	async function assertPotFollowsEvents(r) {
		const delta = (await potTotalAt(api, r.blockHash)) - (await potTotalAt(api, r.parent));
		assert.equal(delta, escrowFlow(api, await blockEvents(api, r.blockHash)), `pot balance change in block #${r.number}`);
	}

	before(async () => {
		ctx = await openNetwork('flows');
		({ api, net, log, keyring, consts } = ctx);
		alice = keyring.addFromUri(net.user.suri);
		assert.deepEqual(operatorProblems(net), [], 'every operator agent and IPFS daemon is up and connected');
	});

	after(async () => {
		// Leave the network as we found it for the next suite: unpin what (a) pinned.
		if (fileA && api) {
			const info = await fileInfo(api, fileA.cid).catch(() => null);
			if (info) await submit(api, api.tx.storage.unpin(fileA.cid), alice).catch(() => {});
		}
		await closeNetwork(ctx);
	});

	test('a. a 1 MiB file added over HTTP and pinned (Standard, 3 eras) is assigned, then Stored on 4 distinct operators', { timeout: 6 * 60_000 }, async () => {
		const size = 1 << 20;
		const data = randomBytes(size);
		const { cid } = await ipfsAdd(net.user.ipfs.api, data, 'a.bin');
		assert.deepEqual(await ipfsCat(net.user.ipfs.api, cid), data, 'the user daemon serves what was added');

		const mark = log.mark();
		const r = await submit(api, api.tx.storage.requestPin(cid, size, 'Standard', 3), alice);
		assert.equal(r.error, null, 'requestPin succeeded');

		// In the inclusion block: PinRequested and PiecesAssigned.
		const requested = r.events.filter((e) => api.events.storage.PinRequested.is(e));
		assert.equal(requested.length, 1);
		const req = requested[0].data;
		assert.ok(sameCid(req.cid, cid), 'PinRequested carries the canonical binary CID');
		assert.equal(req.who.toString(), alice.address);
		assert.equal(req.size_.toBigInt(), BigInt(size)); // polkadot.js names the field `size` `size_`
		assert.equal(req.tier.type, 'Standard');
		assert.equal(req.eras.toNumber(), 3);
		const price = await pinPrice(api, size, 'Standard', 3, r.parent);
		assert.equal(req.cost.toBigInt(), price, 'charged the pin_price view');
		assert.equal(r.after.free, r.before.free - price - r.fee, 'Alice paid price + fee');
		assert.equal(r.after.reserved, r.before.reserved);
		await assertPotFollowsEvents(r);

		const assignedEvents = r.events.filter((e) => api.events.storage.PiecesAssigned.is(e));
		assert.equal(assignedEvents.length, 1, 'PiecesAssigned in the inclusion block');
		const assigned = assignedEvents[0].data.operators.map(([i, who]) => [i.toNumber(), who.toString()]);
		assert.deepEqual(assigned.map(([i]) => i), [0, 1, 2, 3]);
		const operators = assigned.map(([, who]) => who);
		assert.equal(new Set(operators).size, 4, 'the 4 pieces are on 4 distinct operators');
		// Regions first (README, Placement): with every operator in the same vetting state (a
		// fresh network: all vetting), the 4 pieces cover all 3 regions. (With some vetted and
		// some not, the vetting rule may put vetted operators of a used region first.)
		const at = await api.at(r.parent);
		const vetting = await Promise.all(net.operators.map(async (o) => (await at.query.storage.operators(o.address)).unwrap().status.isVetting));
		if (vetting.every((v) => v === vetting[0])) {
			const regions = new Set(operators.map((who) => operatorByAddress(net, who).region));
			assert.equal(regions.size, new Set(net.operators.map((o) => o.region)).size, 'the pieces spread over every region');
		}

		// Later: each operator confirms its piece, then the file is Stored.
		const stored = await log.waitFor(
			storageEvent(api, 'FileStateChanged', (d) => sameCid(d.cid, cid) && d.to.type === 'Stored'),
			{ since: mark, timeoutMs: 180_000, what: `FileStateChanged to Stored for ${cid}` },
		);
		assert.ok(stored.block > r.number, 'Stored in a later block than the pin');
		const confirmed = log.find(storageEvent(api, 'PieceConfirmed', (d) => sameCid(d.cid, cid)), mark);
		assert.deepEqual(
			confirmed.map((e) => [e.data.index.toNumber(), e.data.operator.toString()]).sort((x, y) => x[0] - y[0]),
			assigned,
			'every assigned operator confirmed its own piece',
		);
		const info = await fileInfo(api, cid, stored.hash);
		assert.equal(info.state, 'Stored');
		assert.deepEqual(info.pieces.map((p) => [p.index, p.operator]), assigned);
		assert.ok(info.pieces.every((p) => p.confirmed && p.content));
		fileA = { cid, size, storedBlock: stored.block, operators, fileId: info.fileId, pieceReward: info.pieceReward };
	});

	test('b. bad input fails with the documented storage error and moves nothing but the fee', { timeout: 5 * 60_000 }, async () => {
		// A fresh account with 1 CAIRN: plenty for fees, far from the price of the last case.
		const funded = UNIT;
		const user = await freshAccount(api, keyring, alice, 'bad-input', funded);
		const big = 1n << 30n; // 1 GiB
		const bigPrice = await pinPrice(api, big, 'Standard', 10);
		assert.ok(bigPrice > funded, `a 1 GiB Standard pin for 10 eras (${bigPrice}) costs more than ${funded}`);

		const cases = [
			['malformed CID', api.tx.storage.requestPin('not-a-cid', 1024, 'Standard', 1), 'storage.InvalidCid'],
			['text that is not base32', api.tx.storage.requestPin('bafyNOT-BASE32!', 1024, 'Standard', 1), 'storage.InvalidCid'],
			// CIDv1, raw, identity "hash" of the 5 bytes "hello": refused (README: identity-hash CIDs).
			['identity-hash CID', api.tx.storage.requestPin('0x015500056865 6c6c6f'.replace(/ /g, ''), 1024, 'Standard', 1), 'storage.InvalidCid'],
			['size 0', api.tx.storage.requestPin(randomCid(), 0, 'Standard', 1), 'storage.InvalidFileSize'],
			['0 eras', api.tx.storage.requestPin(randomCid(), 1024, 'Standard', 0), 'storage.InvalidEras'],
			['too little balance', api.tx.storage.requestPin(randomCid(), big, 'Standard', 10), 'storage.InsufficientBalance'],
		];
		for (const [what, tx, expected] of cases) {
			const r = await submit(api, tx, user);
			assert.equal(r.error, expected, `${what}: fails with ${expected}`);
			const failed = r.events.find((e) => api.events.system.ExtrinsicFailed.is(e));
			const name = expected.split('.')[1];
			assert.ok(api.errors.storage[name].is(failed.data.dispatchError.asModule), `${what}: the metadata's ${expected}`);
			assert.ok(r.fee > 0n);
			assert.equal(r.after.free, r.before.free - r.fee, `${what}: only the fee left the account`);
			assert.equal(r.after.reserved, r.before.reserved, `${what}: nothing held`);
			assert.equal(r.events.filter((e) => e.section === 'storage').length, 0, `${what}: no storage event`);
			await assertPotFollowsEvents(r);
		}

		// TierNotConfigured cannot be reached on this chain: the dev preset configures all three
		// tiers and the pallet has no call that removes a configuration (setTierConfig only sets a
		// valid one). So: every tier is configured (pin_price is Some), and a tier that is not a
		// PinTier variant is refused by the metadata's type layer before anything is submitted.
		for (const tier of ['Critical', 'Standard', 'Temporary']) {
			assert.ok((await api.query.storage.tierConfigs(tier)).isSome, `${tier} is configured`);
			assert.ok((await pinPrice(api, 1024, tier, 1)) > 0n);
		}
		assert.throws(() => api.tx.storage.requestPin(randomCid(), 1024, 'Archive', 1), /Archive/);
	});

	test('c. changeTier charges and refunds the re-priced remaining eras; unpin refunds what operators did not earn', { timeout: 8 * 60_000 }, async () => {
		const owner = await freshAccount(api, keyring, alice, 'tier-owner', 100n * UNIT);
		const size = 300_000;
		const eras = 4;
		const { cid } = await ipfsAdd(net.user.ipfs.api, randomBytes(size), 'c.bin');

		// Pin (Standard) and wait until it is stored.
		let mark = log.mark();
		const pin = await submit(api, api.tx.storage.requestPin(cid, size, 'Standard', eras), owner);
		assert.equal(pin.error, null);
		const requested = pin.events.find((e) => api.events.storage.PinRequested.is(e)).data;
		const cost = requested.cost.toBigInt();
		const expiresAt = requested.expiresAt.toNumber();
		const pinEra = eraOf(pin.number);
		assert.equal(expiresAt, pinEra + eras);
		assert.equal(pin.after.free, pin.before.free - cost - pin.fee);
		const storedIn = (since) =>
			log.waitFor(storageEvent(api, 'FileStateChanged', (d) => sameCid(d.cid, cid) && d.to.type === 'Stored'), {
				since,
				timeoutMs: 180_000,
				what: `${cid} Stored`,
			});
		await storedIn(mark);
		const holders = (await fileInfo(api, cid)).pieces.map((p) => p.operator);

		// Standard -> Critical (same k = 2): the remaining eras are re-priced; the difference is
		// charged and a fifth piece is placed.
		mark = log.mark();
		const up = await submit(api, api.tx.storage.changeTier(cid, 'Critical'), owner);
		assert.equal(up.error, null, 'changeTier to Critical succeeded');
		const remUp = expiresAt - eraOf(up.number);
		const charged = (await pinPrice(api, size, 'Critical', remUp, up.parent)) - (await pinPrice(api, size, 'Standard', remUp, up.parent));
		const changedUp = up.events.find((e) => api.events.storage.TierChanged.is(e)).data;
		assert.equal(changedUp.from.type, 'Standard');
		assert.equal(changedUp.to.type, 'Critical');
		assert.equal(changedUp.charged.toBigInt(), charged, 'charged: new price - old price of the remaining eras');
		assert.equal(changedUp.refunded.toBigInt(), 0n);
		assert.equal(up.after.free, up.before.free - charged - up.fee, 'the owner paid the difference and the fee');
		await assertPotFollowsEvents(up);
		const added = up.events.find((e) => api.events.storage.PiecesAssigned.is(e)).data.operators.map(([i, w]) => [i.toNumber(), w.toString()]);
		assert.equal(added.length, 1);
		assert.equal(added[0][0], 4, 'piece 4 is the new one');
		assert.ok(!holders.includes(added[0][1]), 'on an operator that holds no other piece of the file');
		await storedIn(mark);

		// Critical -> Temporary changes k: refused, nothing but the fee.
		const layout = await submit(api, api.tx.storage.changeTier(cid, 'Temporary'), owner);
		assert.equal(layout.error, 'storage.LayoutChange');
		assert.equal(layout.after.free, layout.before.free - layout.fee);
		assert.equal((await fileInfo(api, cid, layout.blockHash)).record.tier.type, 'Critical');

		// Critical -> Standard: the difference comes back, piece 4 is released.
		const down = await submit(api, api.tx.storage.changeTier(cid, 'Standard'), owner);
		assert.equal(down.error, null, 'changeTier back to Standard succeeded');
		const remDown = expiresAt - eraOf(down.number);
		const refunded = (await pinPrice(api, size, 'Critical', remDown, down.parent)) - (await pinPrice(api, size, 'Standard', remDown, down.parent));
		const changedDown = down.events.find((e) => api.events.storage.TierChanged.is(e)).data;
		assert.equal(changedDown.charged.toBigInt(), 0n);
		assert.equal(changedDown.refunded.toBigInt(), refunded, 'refunded: old price - new price of the remaining eras');
		assert.equal(down.after.free, down.before.free + refunded - down.fee, 'the owner got the difference back, less the fee');
		await assertPotFollowsEvents(down);
		const released = down.events.find((e) => api.events.storage.PiecesReleased.is(e)).data.operators.map(([i, w]) => [i.toNumber(), w.toString()]);
		assert.deepEqual(released, added, 'piece 4 released from the operator that got it');

		// Unpin. README: "operators are paid the current era, the rest of the escrow (unused whole
		// eras and shares nobody earned) is refunded". What went into the escrow: the pin's cost,
		// what changeTier charged, less what it refunded, plus any reward forfeited back by a
		// failed audit. What operators earned: every completed era at the rate in force at its
		// end (confirmed pieces x piece reward), and the current era at the current rate.
		const unpin = await submit(api, api.tx.storage.unpin(cid), owner);
		assert.equal(unpin.error, null, 'unpin succeeded');
		const unpinEra = eraOf(unpin.number);
		const forfeited = log
			.find(storageEvent(api, 'AuditFailed', (d) => sameCid(d.cid, cid)))
			.reduce((sum, e) => sum + e.data.forfeited.toBigInt(), 0n);
		const paidIn = cost + charged - refunded + forfeited;
		const earned = (await paidToOperators(api, cid, pinEra, unpinEra, consts.eraLength)) + (await fileRateAt(api, cid, unpin.parent));
		const expected = paidIn - earned;
		const removed = unpin.events.find((e) => api.events.storage.PinRemoved.is(e)).data;
		assert.equal(removed.reason.type, 'Unpinned');
		assert.equal(removed.refund.toBigInt(), expected, 'refund = escrow paid in - what the operators earned');
		assert.equal(unpin.after.free, unpin.before.free + expected - unpin.fee, 'the owner got the refund, less the fee');
		await assertPotFollowsEvents(unpin);
		if (unpinEra === pinEra && forfeited === 0n) {
			// Everything happened within one era: the operators earned that one era only.
			assert.equal(expected, await pinPrice(api, size, 'Standard', eras - 1, unpin.parent));
		}
		const releasedAll = unpin.events.find((e) => api.events.storage.PiecesReleased.is(e)).data.operators.map(([i]) => i.toNumber());
		assert.deepEqual(releasedAll, [0, 1, 2, 3]);
		assert.equal(await fileInfo(api, cid, unpin.blockHash), null, 'the pin is gone');
	});

	test('d. after the era of (a) completes, an operator claims exactly its claimable rewards; a second claim pays nothing', { timeout: 25 * 60_000 }, async () => {
		assert.ok(fileA, 'test (a) stored a file');
		// Take an operator holding a piece of (a) whose only pieces were already audited (so no
		// challenge falls while its agent is paused: the next audit of a Standard piece is an
		// auditPeriod, hundreds of blocks, later) and none is outstanding.
		let chosen = null;
		for (const who of fileA.operators) {
			const keys = await api.query.storage.operatorPieces.keys(who);
			let ok = keys.length > 0;
			for (const key of keys) {
				const [fileId, index] = key.args[1];
				if ((await api.query.storage.lastAudit(fileId, index)).isNone) ok = false;
				if ((await api.query.storage.pieceChallenge(fileId, index)).isSome) ok = false;
			}
			if (ok) {
				chosen = operatorByAddress(net, who);
				break;
			}
		}
		if (!chosen) chosen = operatorByAddress(net, fileA.operators[0]);
		const pair = keyring.addFromUri(chosen.suri);

		// The agent claims every 300 s by itself (--claim-interval 300): a claim of its own between
		// our reading of `claimable` and our claim would make the amounts differ. So its agent
		// is paused (SIGSTOP) from just before the era boundary until both claims are in, and
		// continued (SIGCONT) afterwards, whatever happens. The pause is kept short (well under a
		// minute): the operator's IPFS daemon keeps running, so the worker's probes still reach
		// it, but an agent paused for about two minutes or more loses its RPC connection for good
		// (a bug of the agent, see scripts/network-test.sh), which the end of this test checks.
		let boundary = (eraOf(fileA.storedBlock) + 1) * consts.eraLength;
		let pause = null;
		for (let attempt = 0; ; attempt++) {
			// With the agent running, wait until a few blocks before the era ends.
			if (log.lastBlock < boundary - 3) await log.waitForBlock(boundary - 3, 15 * 60_000);
			pause = pauseAgent(net, chosen);
			try {
				// The era is complete once a block of the next one is finalized.
				await log.waitForBlock(Math.max(boundary, log.lastBlock) + 2, 120_000);
				const now = await api.rpc.chain.getFinalizedHead();
				if ((await operatorInfo(api, pair.address, now)).claimable.toBigInt() === 0n) {
					// The agent claimed after the era completed and before it was paused: the
					// next era pays (a)'s piece again.
					assert.ok(attempt === 0, 'the operator has something to claim after a completed era');
					boundary = (eraOf(log.lastBlock) + 1) * consts.eraLength;
					continue;
				}

				const r = await submit(api, api.tx.storage.claimRewards(), pair);
				assert.equal(r.error, null, 'claimRewards succeeded');
				const claimable = (await operatorInfo(api, pair.address, r.parent)).claimable.toBigInt();
				assert.ok(claimable >= fileA.pieceReward, `claimable (${claimable}) includes at least one era of (a)'s piece (${fileA.pieceReward})`);
				const claimed = r.events.filter((e) => api.events.storage.RewardsClaimed.is(e));
				assert.equal(claimed.length, 1);
				assert.equal(claimed[0].data.who.toString(), pair.address);
				assert.equal(claimed[0].data.amount.toBigInt(), claimable, 'RewardsClaimed.amount = the claimable the operator view gave just before');
				assert.equal(r.after.free, r.before.free + claimable - r.fee, 'free balance rose by claimable - fee');
				await assertPotFollowsEvents(r);
				assert.equal((await operatorInfo(api, pair.address, r.blockHash)).claimable.toBigInt(), 0n);

				// Again: nothing left. The pallet refuses it (NoRewards) and keeps the fee.
				const again = await submit(api, api.tx.storage.claimRewards(), pair);
				assert.equal(again.error, 'storage.NoRewards');
				assert.equal(again.events.filter((e) => api.events.storage.RewardsClaimed.is(e)).length, 0);
				assert.equal(again.after.free, again.before.free - again.fee, 'the second claim cost only its fee');
				break;
			} finally {
				pause.resume();
			}
		}
		// The agent is back and still connected to the node.
		await sleep(5000);
		const lost = agentDisconnected(net, chosen, pause.offset);
		assert.equal(lost, null, `${chosen.name}'s agent lost its RPC connection while paused and did not reconnect: ${lost}`);
	});
});
