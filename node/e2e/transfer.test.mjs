// End-to-end: a `cairn-node --dev` authors and finalizes blocks, and a signed balance transfer
// goes through with the right balances, fee and events.
//
// Run: npm test (in node/e2e), with the node binary built (see lib/node.mjs for CAIRN_NODE).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { mnemonicGenerate } from '@polkadot/util-crypto';

import {
	freeAt,
	oneEvent,
	signAndWaitFinalized,
	submitFinalized,
	waitForFinalizedNumber,
} from './lib/chain.mjs';
import { startDevChain, stopDevChain } from './lib/dev.mjs';

const UNIT = 10n ** 12n; // CAIRN has 12 decimals
const ENDOWMENT = 1_000_000n * UNIT; // every dev account at genesis
const DEV_ACCOUNTS = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];

describe('cairn-node --dev', { timeout: 420_000 }, () => {
	let chain;
	let api;
	let keyring;
	let alice;

	before(async () => {
		chain = await startDevChain('transfer');
		({ api, keyring } = chain);
		alice = keyring.addFromUri('//Alice');
	});

	after(() => stopDevChain(chain));

	test('genesis: chain properties, runtime and endowments', async () => {
		const props = await api.rpc.system.properties();
		assert.equal(props.tokenSymbol.unwrap()[0].toString(), 'CAIRN');
		assert.equal(props.tokenDecimals.unwrap()[0].toNumber(), 12);
		assert.equal(api.runtimeVersion.specName.toString(), 'cairn');
		assert.equal((await api.rpc.system.chainType()).isDevelopment, true);
		// 3-second blocks
		assert.equal(api.consts.babe.expectedBlockTime.toBigInt(), 3000n);

		const genesis = api.genesisHash.toHex();
		for (const who of DEV_ACCOUNTS) {
			const { address } = keyring.addFromUri(`//${who}`);
			assert.equal(await freeAt(api, genesis, address), ENDOWMENT, `${who} at genesis`);
		}
	});

	test('blocks are authored and finalized', async () => {
		const finalized = await waitForFinalizedNumber(api, 3, 120_000);
		assert.ok(finalized.number.toNumber() >= 3);

		// The finalized head is on the canonical chain and not ahead of the best block.
		const headHash = await api.rpc.chain.getFinalizedHead();
		const head = await api.rpc.chain.getHeader(headHash);
		const best = await api.rpc.chain.getHeader();
		assert.ok(head.number.toNumber() >= 3, `finalized #${head.number}`);
		assert.ok(best.number.toNumber() >= head.number.toNumber());
		const canonical = await api.rpc.chain.getBlockHash(head.number.toNumber());
		assert.equal(canonical.toHex(), headHash.toHex());

		// Each block carries a BABE pre-runtime digest and a seal (not Aura).
		const logs = head.digest.logs;
		assert.ok(
			logs.some((l) => l.isPreRuntime && l.asPreRuntime[0].isBabe),
			`no BABE pre-runtime digest in #${head.number}: ${logs.map((l) => l.type).join(',')}`,
		);
		assert.ok(logs.some((l) => l.isSeal && l.asSeal[0].isBabe));

		const health = await api.rpc.system.health();
		assert.equal(health.isSyncing.isFalse, true);
	});

	test('balances.transferKeepAlive from //Alice to a fresh account is finalized', async () => {
		const recipient = keyring.addFromUri(mnemonicGenerate());
		const amount = 10n * UNIT + 123_456_789n;
		assert.ok(amount >= api.consts.balances.existentialDeposit.toBigInt());

		const tx = api.tx.balances.transferKeepAlive(recipient.address, amount);
		const estimate = (await tx.paymentInfo(alice)).partialFee.toBigInt();
		assert.ok(estimate > 0n, 'fee estimate should be positive');

		const { blockHash, statuses, index, header, events } = await submitFinalized(api, tx, alice);
		assert.ok(statuses.includes('InBlock'), `statuses: ${statuses}`);

		// Really finalized: on the canonical chain at or below the finalized head.
		const finalizedHead = await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead());
		assert.ok(finalizedHead.number.toNumber() >= header.number.toNumber());
		assert.equal(
			(await api.rpc.chain.getBlockHash(header.number.toNumber())).toHex(),
			blockHash,
		);
		assert.ok(index > 0, 'the timestamp inherent comes first');

		// Fee, as charged by pallet-transaction-payment.
		const feePaid = oneEvent(events, 'transactionPayment', 'TransactionFeePaid');
		assert.equal(feePaid.data.who.toString(), alice.address);
		assert.equal(feePaid.data.tip.toBigInt(), 0n);
		const fee = feePaid.data.actualFee.toBigInt();
		assert.ok(fee > 0n, 'a signed transfer pays a fee');
		assert.ok(fee <= estimate, `actual fee ${fee} above the estimate ${estimate}`);

		// Events of the transfer itself.
		const transfer = oneEvent(events, 'balances', 'Transfer');
		assert.equal(transfer.data.from.toString(), alice.address);
		assert.equal(transfer.data.to.toString(), recipient.address);
		assert.equal(transfer.data.amount.toBigInt(), amount);

		const endowed = oneEvent(events, 'balances', 'Endowed');
		assert.equal(endowed.data.account.toString(), recipient.address);
		assert.equal(endowed.data.freeBalance.toBigInt(), amount);
		assert.equal(oneEvent(events, 'system', 'NewAccount').data.account.toString(), recipient.address);

		const success = oneEvent(events, 'system', 'ExtrinsicSuccess');
		assert.ok(success.data.dispatchInfo.class.isNormal);
		assert.ok(success.data.dispatchInfo.paysFee.isYes);
		assert.ok(!events.some((e) => e.section === 'system' && e.method === 'ExtrinsicFailed'));

		// Balances: before = state of the parent block, after = state of the including block.
		const parent = header.parentHash.toHex();
		assert.equal(await freeAt(api, parent, recipient.address), 0n);
		assert.equal(await freeAt(api, blockHash, recipient.address), amount);
		const aliceBefore = await freeAt(api, parent, alice.address);
		const aliceAfter = await freeAt(api, blockHash, alice.address);
		assert.equal(aliceBefore - aliceAfter, amount + fee, 'Alice pays exactly amount + fee');

		// Alice's nonce went up by one.
		const nonceBefore = (await (await api.at(parent)).query.system.account(alice.address)).nonce;
		const nonceAfter = (await (await api.at(blockHash)).query.system.account(alice.address)).nonce;
		assert.equal(nonceAfter.toNumber(), nonceBefore.toNumber() + 1);
	});

	test('a transfer the sender cannot afford fails on chain and moves nothing but the fee', async () => {
		// Fund a fresh sender with 2 CAIRN, then let it try to send 5 CAIRN to Bob.
		const sender = keyring.addFromUri(mnemonicGenerate());
		const bob = keyring.addFromUri('//Bob');
		await signAndWaitFinalized(api.tx.balances.transferKeepAlive(sender.address, 2n * UNIT), alice);

		const tx = api.tx.balances.transferKeepAlive(bob.address, 5n * UNIT);
		const { blockHash, header, events } = await submitFinalized(api, tx, sender);

		const failed = oneEvent(events, 'system', 'ExtrinsicFailed');
		assert.ok(
			failed.data.dispatchError.isModule || failed.data.dispatchError.isToken,
			`unexpected dispatch error ${failed.data.dispatchError.toString()}`,
		);
		assert.ok(!events.some((e) => e.section === 'balances' && e.method === 'Transfer'));
		const fee = oneEvent(events, 'transactionPayment', 'TransactionFeePaid').data.actualFee.toBigInt();
		assert.ok(fee > 0n);

		const parent = header.parentHash.toHex();
		assert.equal(
			(await freeAt(api, parent, sender.address)) - (await freeAt(api, blockHash, sender.address)),
			fee,
		);
		assert.equal(await freeAt(api, blockHash, bob.address), await freeAt(api, parent, bob.address));
	});
});
