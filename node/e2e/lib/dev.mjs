// A dev chain for one test file: a `cairn-node --dev` with a connected polkadot.js API and an
// sr25519 keyring, and a clean shutdown that fails the suite if the node did not exit cleanly.

import assert from 'node:assert/strict';

import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';

import { connect } from './chain.mjs';
import { startNode } from './node.mjs';

/** Starts a dev node named `name` and connects to it: `{ node, api, keyring }`. */
export async function startDevChain(name) {
	const node = await startNode({ name });
	let api;
	try {
		api = await connect(node.wsUrl);
	} catch (e) {
		await node.stop();
		throw new Error(node.describeFailure(e.message));
	}
	await cryptoWaitReady();
	const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
	return { node, api, keyring };
}

/** Disconnects and stops the node; a node that died during the tests fails the suite. */
export async function stopDevChain(chain) {
	if (!chain) return;
	await chain.api?.disconnect().catch(() => {});
	const exit = await chain.node.stop();
	assert.ok(
		exit && (exit.signal === 'SIGINT' || exit.code === 0 || exit.code === 130),
		chain.node.describeFailure(`cairn-node did not exit cleanly on SIGINT: ${JSON.stringify(exit)}`),
	);
}
