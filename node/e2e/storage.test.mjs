// End-to-end through polkadot.js, reading every name and type from chain metadata: operators
// register with a bond, a user requests a pin and sees the on-chain placement, and bad input
// fails with the documented pallet error without moving any funds but the fee.
//
// Run: npm test (in node/e2e), with the node binary built (see lib/node.mjs for CAIRN_NODE).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { base58Decode } from '@polkadot/util-crypto';

import { freeAt, oneEvent, submitFinalized } from './lib/chain.mjs';
import { startDevChain, stopDevChain } from './lib/dev.mjs';

const UNIT = 10n ** 12n;
// Four operators in three regions: the dev preset's Standard tier places n = 4 pieces.
const OPERATORS = [
	['Bob', 'eu-west'],
	['Charlie', 'us-east'],
	['Dave', 'ap-south'],
	['Eve', 'eu-west'],
];
const CID = 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG';
// The chain keys pins by the canonical binary CIDv1 of what was submitted: CIDv0 `Qm…` is the
// bare sha2-256 multihash, so its CIDv1 is version 1, codec dag-pb (0x70), then the multihash.
const CANONICAL_CID = u8aToHex(u8aConcat([0x01, 0x70], base58Decode(CID)));

/** The `Module` error of a failed extrinsic as `section.name`, or null if it succeeded. */
function moduleError(api, events) {
	const failed = events.find((e) => e.section === 'system' && e.method === 'ExtrinsicFailed');
	if (!failed) return null;
	const err = failed.data[0];
	if (!err.isModule) return err.type;
	const { section, name } = api.registry.findMetaError(err.asModule);
	return `${section}.${name}`;
}

describe('storage pallet through polkadot.js', { timeout: 600_000 }, () => {
	let chain;
	let api;
	let keyring;

	before(async () => {
		chain = await startDevChain('storage');
		({ api, keyring } = chain);
	});

	after(() => stopDevChain(chain));

	test('the Storage pallet, its calls and its tiers are in the metadata', async () => {
		for (const call of ['registerOperator', 'requestPin', 'reportPlacement', 'confirmPiece', 'claimRewards']) {
			assert.equal(typeof api.tx.storage[call], 'function', `storage.${call} missing`);
		}
		const standard = (await api.query.storage.tierConfigs('Standard')).unwrap();
		assert.equal(standard.k.toNumber(), 2);
		assert.equal(standard.n.toNumber(), 4);
	});

	test('operators register with a held bond', async () => {
		const bond = api.consts.storage.minOperatorBond.toBigInt();
		const results = await Promise.all(
			OPERATORS.map(([name, region]) => {
				const who = keyring.addFromUri(`//${name}`);
				const tx = api.tx.storage.registerOperator(bond, 10n * 2n ** 30n, region, `/ip4/127.0.0.1/tcp/4001`);
				return submitFinalized(api, tx, who).then((r) => ({ ...r, who }));
			}),
		);
		for (const { events, who } of results) {
			assert.equal(moduleError(api, events), null);
			const ev = oneEvent(events, 'storage', 'OperatorRegistered');
			assert.equal(ev.data[0].toString(), who.address);
			const record = (await api.query.storage.operators(who.address)).unwrap();
			assert.equal(record.bond.toBigInt(), bond);
			const { data } = await api.query.system.account(who.address);
			assert.ok(data.reserved.toBigInt() >= bond, `bond of ${who.address} is not held`);
		}
	});

	test('a pin request is charged into escrow and placed on distinct operators', async () => {
		const alice = keyring.addFromUri('//Alice');
		// The pallet's pot account: "modl" ++ PalletId, zero-padded to 32 bytes.
		const pot = new Uint8Array(32);
		pot.set(stringToU8a('modl'));
		pot.set(api.consts.storage.palletId.toU8a(), 4);
		const total = ({ data }) => data.free.toBigInt() + data.reserved.toBigInt();
		const before = await api.query.system.account(alice.address);
		const potBefore = total(await api.query.system.account(pot));

		const { blockHash, events } = await submitFinalized(api, api.tx.storage.requestPin(CID, 1n << 20n, 'Standard', 2), alice);
		assert.equal(moduleError(api, events), null);

		const requested = oneEvent(events, 'storage', 'PinRequested');
		assert.equal(u8aToHex(requested.data.cid.toU8a(true)), CANONICAL_CID);
		const assigned = oneEvent(events, 'storage', 'PiecesAssigned');
		const operators = assigned.data.operators.map(([index, who]) => [index.toNumber(), who.toString()]);
		assert.deepEqual(operators.map(([i]) => i), [0, 1, 2, 3]);
		const registered = OPERATORS.map(([name]) => keyring.addFromUri(`//${name}`).address);
		const chosen = operators.map(([, who]) => who);
		assert.equal(new Set(chosen).size, 4, 'operators are distinct');
		for (const who of chosen) assert.ok(registered.includes(who), `${who} is not a registered operator`);

		// Escrow: what Alice paid beyond the fee is held by the pallet, not burned.
		const fee = oneEvent(events, 'transactionPayment', 'TransactionFeePaid').data.actualFee.toBigInt();
		const after = await freeAt(api, blockHash, alice.address);
		const charged = before.data.free.toBigInt() - after - fee;
		assert.ok(charged > 0n, 'the pin was charged');
		const potAfter = total(await (await api.at(blockHash)).query.system.account(pot));
		assert.equal(potAfter - potBefore, charged, 'the pot holds exactly what was charged');

		// The assignment is readable from storage, as the operator agent reads it.
		const fileId = (await api.query.storage.fileIds(CANONICAL_CID)).unwrap();
		const pieces = await api.query.storage.pieces.entries(fileId);
		const stored = pieces
			.map(([key, piece]) => [key.args[1].toNumber(), piece.unwrap().operator.toString()])
			.sort((a, b) => a[0] - b[0]);
		assert.deepEqual(stored, operators);
	});

	test('bad input fails with the documented error and moves no funds but the fee', async () => {
		const ferdie = keyring.addFromUri('//Ferdie');
		const cases = [
			[api.tx.storage.requestPin('not-a-cid', 1024, 'Standard', 1), 'storage.InvalidCid'],
			[api.tx.storage.requestPin(CID.replace('Qm', 'Qn'), 1024, 'Standard', 1), 'storage.InvalidCid'],
			[api.tx.storage.requestPin('QmTz3oc4gdpRMKP2sdGUPZTAGRngqjsi99BPoztyP53JMM', 0, 'Standard', 1), 'storage.InvalidFileSize'],
		];
		for (const [tx, expected] of cases) {
			const before = (await api.query.system.account(ferdie.address)).data;
			const { blockHash, events } = await submitFinalized(api, tx, ferdie);
			assert.equal(moduleError(api, events), expected);
			const fee = oneEvent(events, 'transactionPayment', 'TransactionFeePaid').data.actualFee.toBigInt();
			assert.equal(await freeAt(api, blockHash, ferdie.address), before.free.toBigInt() - fee);
			const { data } = await (await api.at(blockHash)).query.system.account(ferdie.address);
			assert.equal(data.reserved.toBigInt(), before.reserved.toBigInt());
		}
	});
});
