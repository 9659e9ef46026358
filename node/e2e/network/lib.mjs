// Helpers for the whole-network tests (node/e2e/network/*.test.mjs), which run against the local
// network `scripts/start.sh --detach` starts (see scripts/network-test.sh):
//
// - `readNetwork()`: .cairn/net/network.json (user, worker and operators: suri, region, agent
//   pid, IPFS daemon {api, swarm, peer_id, pid, repo}; the `cairn` binary; the logs directory);
// - `openNetwork()`: that, a polkadot.js API, an sr25519 keyring and a running `EventLog`;
// - `EventLog`: follows finalized blocks one by one (none skipped) and records every `storage.*`
//   event with its block number and the time it was seen, plus the leaf and proof of every
//   `storage.submitProof` that passed its audit; `waitFor(predicate)` resolves with the first
//   recorded event (past or future) that matches;
// - `view()`: the pallet's view functions through the `RuntimeViewFunction` runtime API, with
//   every type taken from the metadata;
// - IPFS over the Kubo RPC API with Node's fetch (`ipfsAdd` uses exactly the options of
//   `cairn-ipfs`'s `add`: CIDv1, raw leaves, pinned, 256 KiB chunks, sha2-256);
// - process control (`signal`, `killAndWait`, `pauseAgent`): SIGKILL / SIGSTOP / SIGCONT by
//   pid; every process this test process stopped is continued again when it exits, whatever
//   happened; `operatorProblems` / `agentDisconnected` read the agents' logs for an agent whose
//   RPC connection died (an agent paused for about two minutes never reconnects: keep pauses
//   short and check);
// - the `cairn` binary (`runCairn`, `cairnHasFlag`);
// - money: `escrowFlow` (what a block's storage events moved into or out of the pallet's pot),
//   `paidToOperators` (what a file paid its operators, era by era, as the pallet's lazy
//   accounting does).
//
// Everything is loopback: the RPC and the IPFS APIs listed in network.json.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { Keyring } from '@polkadot/keyring';
import { stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { base32Decode, base32Encode, base58Decode, cryptoWaitReady } from '@polkadot/util-crypto';

import { connect, submitFinalized, withTimeout } from '../lib/chain.mjs';
import { pidAlive } from '../lib/node.mjs';

export { submitFinalized, withTimeout };

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..', '..');
export const UNIT = 10n ** 12n;

// ---- the network ------------------------------------------------------------------------------

/** The running network's description, as scripts/start.sh wrote it. */
export function readNetwork(file = process.env.CAIRN_NETWORK_JSON) {
	const where = file || path.join(REPO_ROOT, '.cairn', 'net', 'network.json');
	if (!fs.existsSync(where)) {
		throw new Error(`${where} not found: start the network first (CAIRN_NO_BUILD=1 scripts/start.sh --detach)`);
	}
	return JSON.parse(fs.readFileSync(where, 'utf8'));
}

/**
 * Connects to the network: `{ net, api, keyring, log, consts }`, with the event log following
 * finalized blocks from the current finalized head on. `name` names the event dump in the logs
 * directory (every recorded event, one JSON line each).
 */
export async function openNetwork(name) {
	const net = readNetwork();
	const api = await connect(net.rpc);
	await cryptoWaitReady();
	const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
	for (const op of net.operators) op.address = keyring.addFromUri(op.suri).address;
	const dump = net.logs ? path.join(net.logs, `e2e-${name}-events.jsonl`) : null;
	const log = new EventLog(api, dump);
	await log.start();
	const c = api.consts.storage;
	const consts = {
		eraLength: c.eraLength.toNumber(),
		responseWindow: c.responseWindow.toNumber(),
		maxReverifyCount: c.maxReverifyCount.toNumber(),
		slashFraction: c.slashFraction.toBigInt(), // Perbill: parts per billion
		offlineReportThreshold: c.offlineReportThreshold.toNumber(),
		offlineReportWindow: c.offlineReportWindow.toNumber(),
		repairRetryDelay: c.repairRetryDelay.toNumber(),
		blockMs: api.consts.babe.expectedBlockTime.toNumber(),
	};
	return { net, api, keyring, log, consts };
}

/** Disconnects what `openNetwork` opened. */
export async function closeNetwork(ctx) {
	if (!ctx) return;
	ctx.log?.stop();
	await ctx.api?.disconnect().catch(() => {});
}

/** The operator of network.json whose account is `address`. */
export function operatorByAddress(net, address) {
	const op = net.operators.find((o) => o.address === address.toString());
	if (!op) throw new Error(`${address} is not one of the network's operators`);
	return op;
}

// ---- CIDs -------------------------------------------------------------------------------------

/**
 * The binary CIDv1 of a text CIDv1, as hex: multibase base32 (`b...`) or base58btc (`z...`,
 * what js-ipfs prints for CIDv1).
 */
export function cidToHex(text) {
	if (text.startsWith('b')) return u8aToHex(base32Decode(text, true));
	if (text.startsWith('z')) return u8aToHex(base58Decode(text.slice(1)));
	// CIDv0: a bare sha2-256 multihash; its CIDv1 is dag-pb (0x70) around it, as the chain keeps it.
	if (text.startsWith('Qm')) return u8aToHex(u8aConcat([0x01, 0x70], base58Decode(text)));
	throw new Error(`expected a CID (b..., z... or Qm...), got ${text}`);
}

/** The base32 text (`b...`) of a binary CID (hex, bytes or a polkadot.js Bytes). */
export function cidToText(binary) {
	const bytes = typeof binary === 'string' ? binary : binary.toU8a ? binary.toU8a(true) : binary;
	return base32Encode(bytes, true);
}

/** Whether two text CIDs (any of the spellings cidToHex reads) name the same content. */
export function sameCidText(a, b) {
	return cidToHex(a) === cidToHex(b);
}

/** Whether a chain CID (Bytes) is the CID `text`. */
export function sameCid(chainCid, text) {
	return chainCid.toHex() === cidToHex(text);
}

/** A random, well-formed CIDv1 (raw, sha2-256) that nobody pinned. */
export function randomCid() {
	const digest = new Uint8Array(32);
	crypto.getRandomValues(digest);
	return base32Encode(u8aConcat([0x01, 0x55, 0x12, 0x20], digest), true);
}

// ---- chain reads ------------------------------------------------------------------------------

/**
 * Calls the `Storage` view function `name` (snake_case as in the metadata, e.g. `pin_price`)
 * with `args`, at block `at` (hash) or the best block. Inputs and output are typed from the
 * metadata; returns the decoded output codec.
 */
export async function view(api, name, args = [], at = undefined) {
	const pallet = api.runtimeMetadata.asLatest.pallets.find((p) => p.name.toString() === 'Storage');
	const fn = pallet?.viewFunctions.find((v) => v.name.toString() === name);
	if (!fn) throw new Error(`view function Storage.${name} is not in the metadata`);
	if (fn.inputs.length !== args.length) {
		throw new Error(`Storage.${name} takes ${fn.inputs.length} arguments, got ${args.length}`);
	}
	const lookup = (id) => api.registry.createLookupType(id);
	const input = u8aConcat(...fn.inputs.map((inp, i) => api.registry.createType(lookup(inp.type), args[i]).toU8a()));
	const target = at ? await api.at(at) : api;
	const id = api.registry.createType('FrameSupportViewFunctionsViewFunctionId', fn.id.toU8a());
	// `input` is a Vec<u8>: as hex, polkadot.js adds the length prefix (as a Uint8Array it would
	// take the bytes for an already length-prefixed encoding).
	const result = await target.call.runtimeViewFunction.executeViewFunction(id, u8aToHex(input));
	if (result.isErr) throw new Error(`view function Storage.${name} failed: ${result.asErr.toString()}`);
	return api.registry.createType(lookup(fn.output), result.asOk.toU8a(true));
}

/** `file(cid)` at `at`: `{ fileId, record, pieces: [{ index, operator, confirmed, content, previous, repair }] }` or null. */
export async function fileInfo(api, cid, at = undefined) {
	const info = await view(api, 'file', [cid], at);
	if (info.isNone) return null;
	const { fileId, record, pieces } = info.unwrap();
	return {
		fileId: fileId.toNumber(),
		record,
		size: (record.get('size') ?? record.get('size_')).toBigInt(),
		state: record.state.type,
		pieceReward: record.pieceReward.toBigInt(),
		pieces: pieces.map(([index, p]) => ({
			index: index.toNumber(),
			operator: p.operator.toString(),
			confirmed: p.confirmed.isTrue,
			content: p.content.isSome ? p.content.unwrap() : null,
			previous: p.previous.isSome ? p.previous.unwrap().toString() : null,
			repair: p.repair.isTrue,
		})),
	};
}

/** `pin_price(size, tier, eras)` at `at` as a bigint (throws if None). */
export async function pinPrice(api, size, tier, eras, at = undefined) {
	const price = await view(api, 'pin_price', [size, tier, eras], at);
	if (price.isNone) throw new Error(`pin_price(${size}, ${tier}, ${eras}) is None`);
	return price.unwrap().toBigInt();
}

/** The `operator(who)` view at `at`: `{ record, claimable }` or null. */
export async function operatorInfo(api, who, at = undefined) {
	const info = await view(api, 'operator', [who], at);
	return info.isSome ? info.unwrap() : null;
}

/** Block hash of block number `n`. */
export async function hashOf(api, n) {
	return (await api.rpc.chain.getBlockHash(n)).toHex();
}

/** Number of the finalized head. */
export async function finalizedNumber(api) {
	const head = await api.rpc.chain.getFinalizedHead();
	return (await api.rpc.chain.getHeader(head)).number.toNumber();
}

/** `{ free, reserved }` (bigints) of `who` at block `at` (hash). */
export async function accountAt(api, at, who) {
	const { data } = await (await api.at(at)).query.system.account(who);
	return { free: data.free.toBigInt(), reserved: data.reserved.toBigInt() };
}

/** The pallet's pot account ("modl" ++ PalletId, zero-padded to 32 bytes). */
export function potAccount(api) {
	const pot = new Uint8Array(32);
	pot.set(stringToU8a('modl'));
	pot.set(api.consts.storage.palletId.toU8a(), 4);
	return pot;
}

/** The pot's free + held balance at block `at`. */
export async function potTotalAt(api, at) {
	const { free, reserved } = await accountAt(api, at, potAccount(api));
	return free + reserved;
}

/**
 * What `events` (one block's) moved into (+) or out of (-) the pallet's pot, by the storage
 * events that say so: pin payments in; rewards and refunds out. A block's pot balance changes
 * by exactly this (a refund that failed stays in the pot, and audit slashes burn bonds, not
 * escrow).
 */
export function escrowFlow(api, events) {
	const ev = api.events.storage;
	let flow = 0n;
	for (const e of events) {
		if (ev.PinRequested.is(e)) flow += e.data.cost.toBigInt();
		else if (ev.PinRenewed.is(e)) flow += e.data.cost.toBigInt();
		else if (ev.TierChanged.is(e)) flow += e.data.charged.toBigInt() - e.data.refunded.toBigInt();
		else if (ev.RewardsClaimed.is(e)) flow -= e.data.amount.toBigInt();
		else if (ev.BondWithdrawn.is(e)) flow -= e.data.rewards.toBigInt();
		else if (ev.PinRemoved.is(e)) flow -= e.data.refund.toBigInt();
		else if (ev.PinExpired.is(e)) flow -= e.data.refund.toBigInt();
	}
	return flow;
}

/** Every event of block `at`, as polkadot.js event codecs. */
export async function blockEvents(api, at) {
	return (await (await api.at(at)).query.system.events()).map(({ event }) => event);
}

/** The `Module` error of a failed extrinsic as `section.name`, or null if it succeeded. */
export function moduleError(api, events) {
	const failed = events.find((e) => api.events.system.ExtrinsicFailed.is(e));
	if (!failed) return null;
	const err = failed.data.dispatchError;
	if (!err.isModule) return err.type;
	const { section, name } = api.registry.findMetaError(err.asModule);
	return `${section}.${name}`;
}

/** The fee an extrinsic paid, from its `transactionPayment.TransactionFeePaid` event. */
export function feePaid(api, events, who) {
	const paid = events.filter((e) => api.events.transactionPayment.TransactionFeePaid.is(e));
	if (paid.length !== 1) throw new Error(`expected one TransactionFeePaid, found ${paid.length}`);
	if (who && paid[0].data.who.toString() !== who.toString()) {
		throw new Error(`the fee was paid by ${paid[0].data.who}, not ${who}`);
	}
	// `actualFee` includes the tip (pallet-transaction-payment).
	return paid[0].data.actualFee.toBigInt();
}

/**
 * Signs and submits `tx`, waits for it in a finalized block, and returns what `submitFinalized`
 * gives plus `number`, `parent` (the parent block's hash), `fee`, `error` (`section.name` or
 * null) and the signer's `{ free, reserved }` before (parent) and after (block).
 */
export async function submit(api, tx, signer, timeoutMs = 180_000) {
	const r = await submitFinalized(api, tx, signer, timeoutMs);
	const parent = r.header.parentHash.toHex();
	const [before, after] = await Promise.all([
		accountAt(api, parent, signer.address),
		accountAt(api, r.blockHash, signer.address),
	]);
	return {
		...r,
		number: r.header.number.toNumber(),
		parent,
		fee: feePaid(api, r.events, signer.address),
		error: moduleError(api, r.events),
		before,
		after,
	};
}

/** Signs `call` with sudo as `sudoer`, and checks that the sudo dispatch itself succeeded. */
export async function sudo(api, call, sudoer) {
	const r = await submit(api, api.tx.sudo.sudo(call), sudoer);
	if (r.error) throw new Error(`sudo extrinsic failed: ${r.error}`);
	const done = r.events.find((e) => api.events.sudo.Sudid.is(e));
	if (!done) throw new Error('no sudo.Sudid event');
	const result = done.data.sudoResult;
	if (result.isErr) {
		const err = result.asErr;
		let name = err.type;
		if (err.isModule) {
			const { section, name: error } = api.registry.findMetaError(err.asModule);
			name = `${section}.${error}`;
		}
		throw new Error(`sudo call failed: ${name}`);
	}
	return r;
}

/** Funds a fresh account from `from` with `amount` and returns its key pair. */
export async function freshAccount(api, keyring, from, label, amount) {
	const pair = keyring.addFromUri(`//CairnNetworkE2E//${label}//${Date.now()}//${Math.random()}`);
	const r = await submit(api, api.tx.balances.transferKeepAlive(pair.address, amount), from);
	if (r.error) throw new Error(`funding ${label} failed: ${r.error}`);
	return pair;
}

/**
 * What a pin paid its operators from era `fromEra` (the era it was created or last paid from)
 * up to era `toEra` excluded, by the pallet's accounting: every completed era is paid at the
 * rate in force at its end, `confirmed pieces x piece reward` (README: "an era is credited by
 * the rates in force at its end"), read from `file(cid)` at the last block of each era.
 */
export async function paidToOperators(api, cid, fromEra, toEra, eraLength) {
	let paid = 0n;
	for (let era = fromEra; era < toEra; era++) {
		const info = await fileInfo(api, cid, await hashOf(api, (era + 1) * eraLength - 1));
		if (!info || info.state === 'Expired') continue;
		paid += BigInt(info.pieces.filter((p) => p.confirmed).length) * info.pieceReward;
	}
	return paid;
}

/** `confirmed pieces x piece reward` of `cid` at block `at`: what it pays per era there. */
export async function fileRateAt(api, cid, at) {
	const info = await fileInfo(api, cid, at);
	if (!info) throw new Error(`${cid} is not pinned at ${at}`);
	return BigInt(info.pieces.filter((p) => p.confirmed).length) * info.pieceReward;
}

// ---- the event log ----------------------------------------------------------------------------

/**
 * Records every `storage.*` event of every finalized block, in order, as
 * `{ seq, block, hash, time, phase, method, event, data }` (`event` is the polkadot.js codec, so
 * `api.events.storage.X.is(entry.event)` works), and `proofs`: `{ block, challenge, cid, index,
 * operator, leafIndex, leaf, proof }` for every `storage.submitProof` that passed its audit.
 */
export class EventLog {
	constructor(api, dumpFile = null) {
		this.api = api;
		this.dumpFile = dumpFile;
		this.events = [];
		this.proofs = [];
		this.waiters = new Set();
		this.next = null;
		this.target = null;
		this.lastBlock = null;
		this.pumping = false;
		this.stopped = false;
		this.failures = 0;
	}

	/** Starts following finalized blocks, from `fromBlock` (default: the finalized head). */
	async start(fromBlock = undefined) {
		this.next = fromBlock ?? (await finalizedNumber(this.api));
		this.target = this.next;
		this.unsub = await this.api.rpc.chain.subscribeFinalizedHeads((header) => {
			this.target = Math.max(this.target, header.number.toNumber());
			this.pump();
		});
		this.pump();
	}

	stop() {
		this.stopped = true;
		if (this.unsub) this.unsub();
		for (const w of this.waiters) w.reject(new Error('event log stopped'));
		this.waiters.clear();
	}

	/** A position: `waitFor`/`find` with `since: mark()` see only events recorded after it. */
	mark() {
		return this.events.length;
	}

	async pump() {
		if (this.pumping || this.stopped) return;
		this.pumping = true;
		try {
			while (!this.stopped && this.next <= this.target) {
				try {
					await this.processBlock(this.next);
					this.next += 1;
					this.failures = 0;
				} catch (e) {
					// A transient RPC failure: try the same block again.
					this.failures += 1;
					if (this.failures > 20) throw e;
					await sleep(1000);
				}
			}
		} catch (e) {
			for (const w of this.waiters) w.reject(new Error(`event log failed at block ${this.next}: ${e.message}`));
			this.waiters.clear();
			this.error = e;
		} finally {
			this.pumping = false;
		}
	}

	async processBlock(number) {
		const api = this.api;
		const hash = await hashOf(api, number);
		const at = await api.at(hash);
		const records = await at.query.system.events();
		const time = Date.now();
		const added = [];
		const passed = [];
		records.forEach(({ phase, event }) => {
			if (event.section !== 'storage') return;
			const entry = {
				seq: this.events.length + added.length,
				block: number,
				hash,
				time,
				phase: phase.isApplyExtrinsic ? phase.asApplyExtrinsic.toNumber() : phase.type,
				method: event.method,
				event,
				data: event.data,
			};
			added.push(entry);
			if (api.events.storage.AuditPassed.is(event) && phase.isApplyExtrinsic) passed.push(entry);
		});
		if (passed.length) {
			const block = await api.rpc.chain.getBlock(hash);
			for (const entry of passed) {
				const xt = block.block.extrinsics[entry.phase];
				if (!xt || !api.tx.storage.submitProof.is(xt.method)) continue;
				const [challenge, leaf, proof] = xt.method.args;
				this.proofs.push({
					block: number,
					challenge: challenge.toBigInt(),
					cid: entry.data.cid.toHex(),
					index: entry.data.index.toNumber(),
					operator: entry.data.operator.toString(),
					leafIndex: entry.data.leafIndex.toNumber(),
					leaf,
					proof,
				});
			}
		}
		this.events.push(...added);
		this.lastBlock = number;
		if (this.dumpFile && added.length) {
			const lines = added.map((e) =>
				JSON.stringify({ block: e.block, time: new Date(e.time).toISOString(), event: `storage.${e.method}`, data: e.event.toHuman()?.data ?? null }),
			);
			try {
				fs.appendFileSync(this.dumpFile, `${lines.join('\n')}\n`);
			} catch {
				/* the dump is a debugging aid only */
			}
		}
		for (const w of [...this.waiters]) w.check();
	}

	/** Recorded events since `since` matching `predicate(entry)`. */
	find(predicate, since = 0) {
		return this.events.slice(since).filter(predicate);
	}

	/**
	 * Resolves with the first recorded event at or after position `since` for which
	 * `predicate(entry)` holds, waiting for new finalized blocks up to `timeoutMs`.
	 */
	waitFor(predicate, { since = 0, timeoutMs = 180_000, what = 'event' } = {}) {
		return new Promise((resolve, reject) => {
			let pos = since;
			const waiter = {
				check: () => {
					for (; pos < this.events.length; pos++) {
						if (predicate(this.events[pos])) {
							done();
							resolve(this.events[pos]);
							return;
						}
					}
				},
				reject: (e) => {
					done();
					reject(e);
				},
			};
			const timer = setTimeout(() => {
				done();
				reject(new Error(`${what}: not seen within ${timeoutMs / 1000} s (finalized blocks followed up to #${this.lastBlock})`));
			}, timeoutMs);
			const done = () => {
				clearTimeout(timer);
				this.waiters.delete(waiter);
			};
			if (this.error) {
				waiter.reject(this.error);
				return;
			}
			this.waiters.add(waiter);
			waiter.check();
		});
	}

	/** Resolves once block `n` is finalized and its events recorded. */
	async waitForBlock(n, timeoutMs = 600_000) {
		const started = Date.now();
		while (this.lastBlock === null || this.lastBlock < n) {
			if (this.error) throw this.error;
			if (Date.now() - started > timeoutMs) throw new Error(`block #${n} not finalized within ${timeoutMs / 1000} s`);
			await sleep(500);
		}
	}

	/** Waits until `count` more blocks than the latest recorded one are finalized and recorded. */
	async waitBlocks(count, timeoutMs = 600_000) {
		await this.waitForBlock((this.lastBlock ?? (await finalizedNumber(this.api))) + count, timeoutMs);
	}
}

/** An event predicate: `storage.<method>` (checked with the metadata's `is`) and `where(data)`. */
export function storageEvent(api, method, where = () => true) {
	const ev = api.events.storage[method];
	if (!ev) throw new Error(`storage.${method} is not an event in the metadata`);
	return (entry) => ev.is(entry.event) && where(entry.data, entry);
}

// ---- IPFS (Kubo RPC API) ----------------------------------------------------------------------

/** The query `cairn-ipfs` sends with `add` (offchain/ipfs/src/kubo/requests.rs, `Add`). */
export const ADD_QUERY = 'cid-version=1&raw-leaves=true&pin=true&chunker=size-262144&hash=sha2-256&progress=false';

async function ipfsPost(apiUrl, pathAndQuery, { body, timeoutMs = 60_000 } = {}) {
	const res = await fetch(`${apiUrl}/api/v0/${pathAndQuery}`, { method: 'POST', body, signal: AbortSignal.timeout(timeoutMs) });
	const text = await res.text();
	if (!res.ok) throw new Error(`IPFS ${pathAndQuery.split('?')[0]} at ${apiUrl}: HTTP ${res.status}: ${text.slice(0, 300)}`);
	return text;
}

/** Adds `bytes` to the daemon at `apiUrl`: `{ cid, dagSize }` (CIDv1 text; the size of the whole DAG). */
export async function ipfsAdd(apiUrl, bytes, name = 'data') {
	const form = new FormData();
	form.append('file', new Blob([bytes]), name);
	const text = await ipfsPost(apiUrl, `add?${ADD_QUERY}`, { body: form, timeoutMs: 300_000 });
	const lines = text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
	const last = lines[lines.length - 1];
	return { cid: last.Hash, dagSize: Number(last.Size) };
}

/** `cat` of `cid` from the daemon at `apiUrl` (bytes). */
export async function ipfsCat(apiUrl, cid, timeoutMs = 60_000) {
	const res = await fetch(`${apiUrl}/api/v0/cat?arg=${cid}`, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
	if (!res.ok) throw new Error(`IPFS cat ${cid}: HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
	return new Uint8Array(await res.arrayBuffer());
}

/** CIDs pinned recursively on the daemon at `apiUrl` (as the daemon spells them). */
export async function ipfsPins(apiUrl) {
	const text = await ipfsPost(apiUrl, 'pin/ls?type=recursive');
	const body = JSON.parse(text);
	return Object.keys(body.Keys ?? {});
}

/** Whether `cid` (any spelling) is pinned recursively on the daemon at `apiUrl`. */
export async function ipfsIsPinned(apiUrl, cid) {
	return (await ipfsPins(apiUrl)).some((pinned) => sameCidText(pinned, cid));
}

/** `pin/rm` (recursive) of `cid` on the daemon at `apiUrl`. */
export async function ipfsPinRm(apiUrl, cid) {
	return ipfsPost(apiUrl, `pin/rm?arg=${cid}&recursive=true`);
}

/** `repo/gc` on the daemon at `apiUrl`; returns the CIDs it removed. */
export async function ipfsRepoGc(apiUrl) {
	const text = await ipfsPost(apiUrl, 'repo/gc', { timeoutMs: 300_000 });
	return text
		.trim()
		.split('\n')
		.filter(Boolean)
		.map((l) => JSON.parse(l))
		.map((x) => x.Key?.['/'] ?? x.Key ?? x.Error);
}

/**
 * Whether the daemon at `apiUrl` can get block `cid` within `timeoutMs` (locally or from any
 * connected peer by Bitswap).
 */
export async function ipfsHasBlock(apiUrl, cid, timeoutMs = 5000) {
	try {
		await ipfsPost(apiUrl, `block/stat?arg=${cid}&timeout=${timeoutMs}ms`, { timeoutMs: timeoutMs + 5000 });
		return true;
	} catch {
		return false;
	}
}

// ---- processes --------------------------------------------------------------------------------

const stopped = new Set();
process.on('exit', () => {
	// Never leave a process of the network stopped behind us.
	for (const pid of stopped) {
		try {
			process.kill(pid, 'SIGCONT');
		} catch {
			/* gone */
		}
	}
});

/** Sends `sig` ('SIGKILL', 'SIGSTOP', 'SIGCONT') to `pid`; remembers stopped ones. */
export function signal(pid, sig) {
	process.kill(pid, sig);
	if (sig === 'SIGSTOP') stopped.add(pid);
	if (sig === 'SIGCONT' || sig === 'SIGKILL') stopped.delete(pid);
}

/** An operator agent's log file (scripts/start.sh writes logs/operator-<name>.log). */
export function agentLogFile(net, op) {
	return path.join(net.logs, `operator-${op.name}.log`);
}

/** The size of `file` (0 if it does not exist): an offset for `agentLogSince`. */
export function fileSize(file) {
	try {
		return fs.statSync(file).size;
	} catch {
		return 0;
	}
}

/** What an agent logged from byte `offset` on. */
export function agentLogSince(net, op, offset = 0) {
	try {
		const fd = fs.openSync(agentLogFile(net, op), 'r');
		try {
			const size = fs.fstatSync(fd).size;
			const buf = Buffer.alloc(Math.max(0, size - offset));
			fs.readSync(fd, buf, 0, buf.length, offset);
			return buf.toString('utf8');
		} finally {
			fs.closeSync(fd);
		}
	} catch {
		return '';
	}
}

/**
 * The agent's RPC client gave up for good (it logs "restart required" on every call once its
 * WebSocket closed and never reconnects: see the report in scripts/network-test.sh). Returns
 * the first such log line since `offset`, or null.
 */
export function agentDisconnected(net, op, offset = 0) {
	const line = agentLogSince(net, op, offset)
		.split('\n')
		.find((l) => l.includes('restart required'));
	return line ?? null;
}

/**
 * What is wrong with the network's operators for tests that need all of them: agents or IPFS
 * daemons that are gone, agents whose RPC connection is dead. Empty when all are fine.
 */
export function operatorProblems(net) {
	const problems = [];
	for (const op of net.operators) {
		if (!alive(op.pid)) problems.push(`${op.name}: agent (pid ${op.pid}) is not running`);
		if (!alive(op.ipfs.pid)) problems.push(`${op.name}: IPFS daemon (pid ${op.ipfs.pid}) is not running`);
		const lost = agentDisconnected(net, op);
		if (lost) problems.push(`${op.name}: agent lost its RPC connection: ${lost.slice(0, 200)}`);
	}
	return problems;
}

/**
 * Pauses (SIGSTOP) an operator's agent: `{ offset, pausedAt, resume() }`. `resume()` continues
 * it (SIGCONT; idempotent). Keep pauses well under two minutes: an agent paused longer loses its
 * RPC connection and never gets it back (see agentDisconnected).
 */
export function pauseAgent(net, op) {
	const offset = fileSize(agentLogFile(net, op));
	signal(op.pid, 'SIGSTOP');
	const pausedAt = Date.now();
	let resumed = false;
	return {
		offset,
		pausedAt,
		resume() {
			if (resumed) return (Date.now() - pausedAt) / 1000;
			resumed = true;
			signal(op.pid, 'SIGCONT');
			return (Date.now() - pausedAt) / 1000;
		},
	};
}

/** True if a process with this pid exists. */
export const alive = pidAlive;

/** SIGKILLs `pid` and waits until it is gone. */
export async function killAndWait(pid, timeoutMs = 10_000) {
	if (!alive(pid)) return;
	signal(pid, 'SIGKILL');
	const started = Date.now();
	while (alive(pid) && Date.now() - started < timeoutMs) await sleep(100);
	if (alive(pid)) throw new Error(`process ${pid} survived SIGKILL`);
}

/** Runs the `cairn` binary: `{ code, stdout, stderr }`. */
export function runCairn(net, args, { timeoutMs = 600_000, env = {} } = {}) {
	return new Promise((resolve) => {
		execFile(
			net.cairn,
			['--url', net.rpc, ...args],
			{ timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, ...env } },
			(error, stdout, stderr) => {
				resolve({ code: error ? (error.code ?? error.signal ?? 1) : 0, stdout, stderr });
			},
		);
	});
}

/** Whether `cairn <sub> --help` lists `flag` (the CLI grows options, e.g. `put --public`). */
export async function cairnHasFlag(net, sub, flag) {
	const { stdout } = await runCairn(net, [sub, '--help'], { timeoutMs: 30_000 });
	return stdout.includes(flag);
}

/** Polls `fn` until it returns a truthy value; returns it. */
export async function until(fn, { timeoutMs = 60_000, intervalMs = 1000, what = 'condition' } = {}) {
	const started = Date.now();
	for (;;) {
		const value = await fn();
		if (value) return value;
		if (Date.now() - started > timeoutMs) throw new Error(`${what}: not true within ${timeoutMs / 1000} s`);
		await sleep(intervalMs);
	}
}

/** Random bytes. */
export function randomBytes(n) {
	const out = new Uint8Array(n);
	for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
	return out;
}

/** A short human description of a recorded event (for assertion messages). */
export function describeEvents(entries) {
	return entries.map((e) => `#${e.block} storage.${e.method} ${JSON.stringify(e.event.toHuman().data)}`).join('\n');
}

export { sleep };
