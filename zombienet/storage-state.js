// zombienet js-script (CommonJS): every node serves the same Storage pallet state at a common
// finalized block — every key under the pallet's prefix and every value — and that state is
// not empty (the genesis tiers and storage workers are in it).
//
// Used from restart.zndsl after a validator was killed and restarted: the restarted node must
// have kept (or re-synced) the chain and answer for the finalized state like the others.
// Raw JSON-RPC only (no metadata decoding), as finality.js. Returns 1, or throws.

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// twox128("Storage"): the prefix of every storage item of the pallet named `Storage`.
const PREFIX = '0x' + Buffer.from(zombie.util.xxhashAsU8a('Storage', 128)).toString('hex');

async function pairs(provider, at) {
	const out = new Map();
	let start = null;
	for (;;) {
		const keys = await provider.send('state_getKeysPaged', [PREFIX, 1000, start, at]);
		for (const key of keys) {
			out.set(key, await provider.send('state_getStorage', [key, at]));
		}
		if (keys.length < 1000) return out;
		start = keys[keys.length - 1];
	}
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
		// The lowest finalized head among the nodes is finalized on all of them.
		let common = null;
		for (;;) {
			const numbers = [];
			for (const name of names) {
				const hash = await providers[name].send('chain_getFinalizedHead', []);
				const header = await providers[name].send('chain_getHeader', [hash]);
				numbers.push(parseInt(header.number, 16));
			}
			common = Math.min(...numbers);
			if (common > 0) break;
			await sleep(2000);
		}
		const hash = await providers[nodeName].send('chain_getBlockHash', [common]);
		const reference = await pairs(providers[nodeName], hash);
		if (reference.size === 0) throw new Error(`no Storage pallet state at #${common}`);
		for (const name of names) {
			const theirs = await providers[name].send('chain_getBlockHash', [common]);
			if (theirs !== hash) throw new Error(`${name} has ${theirs} at #${common}, ${nodeName} ${hash}`);
			const state = await pairs(providers[name], hash);
			if (state.size !== reference.size) {
				throw new Error(`${name}: ${state.size} Storage keys at #${common}, ${nodeName}: ${reference.size}`);
			}
			for (const [key, value] of reference) {
				if (state.get(key) !== value) throw new Error(`${name}: ${key} differs at #${common}`);
			}
		}
		console.log(`Storage pallet state at #${common}: ${reference.size} keys, identical on ${names}`);
		return 1;
	} finally {
		for (const p of Object.values(providers)) await p.disconnect().catch(() => {});
	}
}

module.exports = { run };
