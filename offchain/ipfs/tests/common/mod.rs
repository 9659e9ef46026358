//! Shared by the daemon tests: real js-ipfs daemons started by `scripts/ipfs.sh` (through
//! [`cairn_ipfs::local_net`]), deterministic test data, CIDs nobody has.
#![allow(dead_code, clippy::expect_used)]

use cairn_ipfs::{local_net::LocalIpfs, Cid, KuboClient};
use std::sync::atomic::{AtomicU64, Ordering};

/// `n` connected daemons, stopped when the returned guard drops (also when the test panics).
/// Fails the test, never skips it, when the js-ipfs npm package is not installed.
pub fn network(n: usize) -> LocalIpfs {
	match LocalIpfs::start(n) {
		Ok(net) => net,
		Err(e) => panic!("cannot start {n} local IPFS daemon(s): {e}"),
	}
}

/// A client for daemon `i` of `net`.
pub fn client(net: &LocalIpfs, i: usize) -> KuboClient {
	net.client(i).expect("client for a daemon the script reported")
}

/// A seed that differs between calls and test processes: every test adds content no other
/// daemon has seen.
pub fn fresh_seed() -> u64 {
	static N: AtomicU64 = AtomicU64::new(0);
	let nanos = std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|d| d.as_nanos() as u64)
		.unwrap_or(0);
	nanos ^ (u64::from(std::process::id()) << 32) ^ N.fetch_add(0x9E37_79B9, Ordering::Relaxed)
}

/// An endless deterministic byte stream (xorshift64*), as a reader and as a reference.
#[derive(Clone)]
pub struct Bytes {
	state: u64,
	left: u64,
}

impl Bytes {
	pub fn new(seed: u64, len: u64) -> Self {
		Self { state: seed | 1, left: len }
	}

	fn next_byte(&mut self) -> u8 {
		self.state ^= self.state >> 12;
		self.state ^= self.state << 25;
		self.state ^= self.state >> 27;
		(self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
	}

	pub fn into_vec(mut self) -> Vec<u8> {
		let mut out = Vec::with_capacity(self.left as usize);
		while self.left > 0 {
			out.push(self.next_byte());
			self.left -= 1;
		}
		out
	}
}

impl std::io::Read for Bytes {
	fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
		let n = buf.len().min(self.left as usize);
		for b in &mut buf[..n] {
			*b = self.next_byte();
		}
		self.left -= n as u64;
		Ok(n)
	}
}

/// Random bytes (`len` of them), different on every call.
pub fn random_bytes(len: usize) -> Vec<u8> {
	Bytes::new(fresh_seed(), len as u64).into_vec()
}

/// A well-formed CIDv1 (raw, sha2-256) of a random digest: a block no daemon has.
pub fn missing_cid() -> Cid {
	let digest = random_bytes(32);
	let mh = cid::multihash::Multihash::<64>::wrap(0x12, &digest).expect("32-byte sha2-256 digest");
	Cid::new_v1(0x55, mh)
}
