// polkadot.js helpers shared by the end-to-end tests.

import { ApiPromise, WsProvider } from '@polkadot/api';

/**
 * Connects to a node (no custom types: everything comes from the runtime metadata).
 * Gives up after `timeoutMs` instead of letting the provider retry forever.
 */
export async function connect(wsUrl, timeoutMs = 60_000) {
	const provider = new WsProvider(wsUrl, 1000, {}, 30_000);
	try {
		return await withTimeout(
			ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true }),
			timeoutMs,
			`could not connect polkadot.js to ${wsUrl}`,
		);
	} catch (e) {
		await provider.disconnect().catch(() => {});
		// The provider rejects with a bare WebSocket error event on connection failures.
		const why = e instanceof Error ? e.message : e?.message || e?.type || String(e);
		throw new Error(`could not connect polkadot.js to ${wsUrl}: ${why}`);
	}
}

/** Rejects with `message` if `promise` has not settled within `ms`. */
export function withTimeout(promise, ms, message) {
	let timer;
	return Promise.race([
		promise.finally(() => clearTimeout(timer)),
		new Promise((_, reject) => {
			timer = setTimeout(() => reject(new Error(`${message} (after ${ms / 1000} s)`)), ms);
		}),
	]);
}

/**
 * Signs and submits `tx`, and resolves once it is in a finalized block.
 * Rejects if the pool reports it dropped, invalid or usurped, or after `timeoutMs`.
 * @returns {Promise<{ blockHash: string, statuses: string[], result: object }>}
 */
export function signAndWaitFinalized(tx, signer, timeoutMs = 120_000) {
	return new Promise((resolve, reject) => {
		const statuses = [];
		let unsub = null;
		let done = false;
		const finish = (fn, value) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			if (unsub) unsub();
			fn(value);
		};
		const timer = setTimeout(
			() =>
				finish(
					reject,
					new Error(
						`extrinsic not finalized within ${timeoutMs / 1000} s; statuses seen: ${statuses.join(' -> ')}`,
					),
				),
			timeoutMs,
		);
		tx.signAndSend(signer, (result) => {
			const { status } = result;
			statuses.push(status.type);
			if (status.isFinalized) {
				finish(resolve, { blockHash: status.asFinalized.toHex(), statuses, result });
			} else if (status.isDropped || status.isInvalid || status.isUsurped || status.isFinalityTimeout) {
				finish(reject, new Error(`extrinsic ${status.type}; statuses seen: ${statuses.join(' -> ')}`));
			}
		})
			.then((u) => {
				unsub = u;
				if (done) u();
			})
			.catch((e) => finish(reject, e));
	});
}

/** Resolves with the first finalized header whose number is >= `n`. */
export function waitForFinalizedNumber(api, n, timeoutMs) {
	let unsub = null;
	let cancelled = false;
	const p = new Promise((resolve, reject) => {
		api.rpc.chain
			.subscribeFinalizedHeads((header) => {
				if (header.number.toNumber() >= n) {
					cancelled = true;
					if (unsub) unsub();
					resolve(header);
				}
			})
			.then((u) => {
				unsub = u;
				if (cancelled) u();
			})
			.catch(reject);
	});
	return withTimeout(p, timeoutMs, `finalized head did not reach #${n}`).finally(() => {
		cancelled = true;
		if (unsub) unsub();
	});
}

/** Free balance (bigint) of `address` in the state of block `blockHash`. */
export async function freeAt(api, blockHash, address) {
	const at = await api.at(blockHash);
	const { data } = await at.query.system.account(address);
	return data.free.toBigInt();
}

/**
 * The events the extrinsic with hash `txHash` emitted in block `blockHash`, as
 * `{ index, events: [{ section, method, data }] }` (index = its position in the block).
 */
export async function extrinsicEvents(api, blockHash, txHash) {
	const signed = await api.rpc.chain.getBlock(blockHash);
	const index = signed.block.extrinsics.findIndex((x) => x.hash.toHex() === txHash);
	if (index < 0) throw new Error(`extrinsic ${txHash} is not in block ${blockHash}`);
	const at = await api.at(blockHash);
	const all = await at.query.system.events();
	const events = all
		.filter(({ phase }) => phase.isApplyExtrinsic && phase.asApplyExtrinsic.toNumber() === index)
		.map(({ event }) => event);
	return { index, header: signed.block.header, events };
}

/**
 * Signs and submits `tx`, waits for it in a finalized block, and returns that block's hash, the
 * pool statuses seen, and what `extrinsicEvents` gives for it (`index`, `header`, `events`).
 */
export async function submitFinalized(api, tx, signer, timeoutMs = 120_000) {
	const { blockHash, statuses, result } = await signAndWaitFinalized(tx, signer, timeoutMs);
	const included = await extrinsicEvents(api, blockHash, result.txHash.toHex());
	return { blockHash, statuses, ...included };
}

/** The single event `section.method` in `events`; throws listing what was there otherwise. */
export function oneEvent(events, section, method) {
	const found = events.filter((e) => e.section === section && e.method === method);
	if (found.length !== 1) {
		const seen = events.map((e) => `${e.section}.${e.method}`).join(', ');
		throw new Error(`expected exactly one ${section}.${method} event, found ${found.length} (events: ${seen})`);
	}
	return found[0];
}
