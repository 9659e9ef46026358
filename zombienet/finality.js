// zombienet js-script (CommonJS): the validators agree on the finalized chain, and more than one
// of them authors blocks.
//
// Used from local.zndsl as `alice: js-script ./finality.js return is 1 within N seconds`.
// Only raw JSON-RPC calls are made (no metadata decoding), so the @polkadot/api version bundled
// with zombienet does not matter. Returns 1 on success, throws with an explanation otherwise.

const MIN_FINALIZED = 3;
// Enough blocks that a chain authored by a single validator is not a matter of chance
// (BABE gives each slot to a pseudo-random validator: 3 validators, 8 blocks).
const MIN_AUTHORED = 8;

async function rpc(provider, method, params = []) {
	return provider.send(method, params);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// BABE pre-runtime digest: DigestItem::PreRuntime (0x06) + engine id "BABE" + compact length
// + PreDigest, whose first byte is the variant (1 primary, 2 secondary plain, 3 secondary VRF)
// followed by the authority index as a little-endian u32.
function babeAuthorityIndex(logHex) {
	const b = Buffer.from(logHex.replace(/^0x/, ''), 'hex');
	if (b[0] !== 0x06 || b.subarray(1, 5).toString('latin1') !== 'BABE') return null;
	const mode = b[5] & 3;
	const lenBytes = mode === 0 ? 1 : mode === 1 ? 2 : 4;
	const data = b.subarray(5 + lenBytes);
	if (![1, 2, 3].includes(data[0])) return null;
	return data.readUInt32LE(1);
}

async function run(nodeName, networkInfo) {
	const { WsProvider } = zombie;
	const names = Object.keys(networkInfo.nodesByName).sort();
	const providers = {};
	try {
		for (const name of names) {
			const provider = new WsProvider(networkInfo.nodesByName[name].wsUri);
			await provider.isReady;
			providers[name] = provider;
		}

		// Wait until every node has finalized at least MIN_FINALIZED blocks.
		const finalized = {};
		for (;;) {
			for (const name of names) {
				const hash = await rpc(providers[name], 'chain_getFinalizedHead');
				const header = await rpc(providers[name], 'chain_getHeader', [hash]);
				finalized[name] = { hash, number: parseInt(header.number, 16) };
			}
			if (names.every((n) => finalized[n].number >= MIN_FINALIZED)) break;
			await sleep(2000);
		}
		console.log(`finalized heads: ${JSON.stringify(finalized)}`);

		// Every node's finalized head is on every other node's canonical chain.
		for (const name of names) {
			const { hash, number } = finalized[name];
			for (const other of names) {
				const theirs = await rpc(providers[other], 'chain_getBlockHash', [number]);
				if (theirs !== hash) {
					throw new Error(
						`${name} finalized #${number} ${hash}, but ${other} has ${theirs} at #${number}`,
					);
				}
			}
		}

		// Blocks 1..MIN_AUTHORED were authored by more than one validator.
		for (;;) {
			const best = parseInt((await rpc(providers[nodeName], 'chain_getHeader')).number, 16);
			if (best >= MIN_AUTHORED) break;
			await sleep(2000);
		}
		const upTo = MIN_AUTHORED;
		const authors = new Set();
		for (let n = 1; n <= upTo; n++) {
			const hash = await rpc(providers[nodeName], 'chain_getBlockHash', [n]);
			const header = await rpc(providers[nodeName], 'chain_getHeader', [hash]);
			const idx = header.digest.logs.map(babeAuthorityIndex).find((i) => i !== null);
			if (idx === undefined) throw new Error(`block #${n} has no BABE pre-runtime digest`);
			authors.add(idx);
		}
		console.log(`BABE authority indices of blocks 1..${upTo}: ${[...authors].sort()}`);
		if (authors.size < 2) {
			throw new Error(`blocks 1..${upTo} were all authored by authority ${[...authors]}`);
		}
		return 1;
	} finally {
		for (const p of Object.values(providers)) await p.disconnect().catch(() => {});
	}
}

module.exports = { run };
