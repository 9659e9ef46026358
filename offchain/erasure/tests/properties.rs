//! Property tests: random shapes, sizes and piece subsets round-trip; arbitrary pieces never
//! make decode or rebuild panic (a cheap, always-on cousin of a fuzz target).

#![allow(clippy::expect_used)] // Tests state what they expect.

mod common;

use cairn_erasure::{Coder, Layout, LEAF_SIZE};
use common::data;
use proptest::prelude::*;

fn coders() -> impl Strategy<Value = Coder> {
	(1u16..=12, 1u16..=6, 1u32..=3).prop_map(|(k, parity, leaves)| {
		let layout =
			Layout::with_shard_size(k, k + parity, leaves * LEAF_SIZE as u32).expect("valid shape");
		Coder::new(layout).expect("valid codec")
	})
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(48))]

	#[test]
	fn any_k_pieces_round_trip(coder in coders(), size in 1usize..200_000, seed in any::<u64>(), shuffle in any::<u64>()) {
		let file = data(seed, size);
		let encoded = coder.encode_bytes(&file).expect("encodes");
		let n = usize::from(coder.layout().total_shards());
		let k = usize::from(coder.layout().data_shards());
		// A pseudo-random k-subset, given in a pseudo-random order.
		let mut order: Vec<usize> = (0..n).collect();
		let mut state = shuffle;
		for i in (1..n).rev() {
			state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
			order.swap(i, (state >> 33) as usize % (i + 1));
		}
		let chosen: Vec<(usize, &[u8])> = order[..k].iter().map(|&i| (i, &encoded.pieces[i][..])).collect();
		let decoded = coder.decode_bytes(size as u64, &chosen, Some(&encoded.roots)).expect("decodes");
		prop_assert_eq!(decoded, file);
		let missing: Vec<usize> = order[k..].to_vec();
		let rebuilt = coder
			.reconstruct_bytes(size as u64, &chosen, Some(&encoded.roots), &missing)
			.expect("rebuilds");
		for (index, piece) in missing.iter().zip(rebuilt) {
			prop_assert_eq!(&piece, &encoded.pieces[*index]);
		}
	}

	#[test]
	fn arbitrary_pieces_never_panic(
		coder in coders(),
		size in 0u64..100_000,
		pieces in proptest::collection::vec((0usize..20, proptest::collection::vec(any::<u8>(), 0..20_000)), 0..14),
		roots in proptest::option::of(proptest::collection::vec(any::<[u8; 32]>(), 0..20)),
		wanted in proptest::collection::vec(0usize..20, 0..4),
	) {
		let given: Vec<(usize, &[u8])> = pieces.iter().map(|(i, bytes)| (*i, &bytes[..])).collect();
		// Any outcome is fine, as long as it is a value and not a panic.
		let _ = coder.decode_bytes(size, &given, roots.as_deref());
		let _ = coder.reconstruct_bytes(size, &given, roots.as_deref(), &wanted);
	}

	#[test]
	fn random_pieces_of_the_right_size_decode_to_something(
		coder in coders(),
		size in 1u64..60_000,
		seed in any::<u64>(),
		indices in proptest::collection::btree_set(0usize..18, 0..18),
	) {
		let n = usize::from(coder.layout().total_shards());
		let k = usize::from(coder.layout().data_shards());
		let piece_size = coder.layout().piece_size(size).expect("fits") as usize;
		let indices: Vec<usize> = indices.into_iter().filter(|i| *i < n).collect();
		let pieces: Vec<Vec<u8>> =
			indices.iter().map(|i| data(seed ^ *i as u64, piece_size)).collect();
		let given: Vec<(usize, &[u8])> = indices.iter().copied().zip(pieces.iter().map(|p| &p[..])).collect();
		let decoded = coder.decode_bytes(size, &given, None);
		if indices.len() >= k {
			prop_assert_eq!(decoded.expect("k pieces of the right size decode").len() as u64, size);
		} else {
			let too_few = matches!(decoded, Err(cairn_erasure::Error::TooFewPieces { .. }));
			prop_assert!(too_few);
		}
	}
}
