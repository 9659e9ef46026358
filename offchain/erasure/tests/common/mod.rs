//! Helpers shared by the integration tests.

#![allow(dead_code)] // Each test binary uses its own subset.

use cairn_erasure::{Coder, Layout, LEAF_SIZE};

/// `len` pseudo-random bytes from `seed` (splitmix64).
pub fn data(seed: u64, len: usize) -> Vec<u8> {
	let mut state = seed;
	let mut bytes = Vec::with_capacity(len + 8);
	while bytes.len() < len {
		state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
		let mut z = state;
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		bytes.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
	}
	bytes.truncate(len);
	bytes
}

/// A coder for `k` of `n` with shards of `leaves` leaves.
pub fn coder(k: u16, n: u16, leaves: u32) -> Coder {
	let layout = Layout::with_shard_size(k, n, leaves * LEAF_SIZE as u32).expect("valid shape");
	Coder::new(layout).expect("valid codec")
}

/// Every `k`-element subset of `0..n`, in lexicographic order.
pub fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
	let mut all = Vec::new();
	let mut current: Vec<usize> = (0..k).collect();
	loop {
		all.push(current.clone());
		// Find the rightmost element that can still move right.
		let Some(i) = (0..k).rev().find(|&i| current[i] < n - k + i) else { return all };
		current[i] += 1;
		for j in i + 1..k {
			current[j] = current[j - 1] + 1;
		}
	}
}

/// The dev tiers' shapes and the production-like one.
pub const SHAPES: [(u16, u16); 4] = [(1, 3), (2, 4), (4, 6), (10, 16)];
