//! Encode then decode gives the file back, from every `k` of the `n` pieces, for the sizes
//! that matter: 1 byte, exactly one segment, several segments with and without a short tail.

#![allow(clippy::expect_used)] // Tests state what they expect.

mod common;

use cairn_erasure::{piece_root, Coder, LayoutError, LEAF_SIZE};
use cairn_storage_primitives::piece_root as primitives_root;
use common::{coder, data, subsets, SHAPES};

/// File sizes worth checking for `coder`: 1 byte, one leaf per data shard, exactly one
/// segment, one segment and one byte, three segments and a bit.
fn sizes(coder: &Coder) -> Vec<usize> {
	let segment = coder.layout().segment_size() as usize;
	let k = usize::from(coder.layout().data_shards());
	vec![1, k * LEAF_SIZE, segment, segment + 1, 3 * segment + 777, 2 * segment]
}

fn check_encoding(coder: &Coder, file: &[u8]) -> Vec<Vec<u8>> {
	let encoded = coder.encode_bytes(file).expect("encodes");
	let plan = coder.layout().plan(file.len() as u64).expect("fits");
	assert_eq!(encoded.plan, plan);
	assert_eq!(encoded.pieces.len(), usize::from(coder.layout().total_shards()));
	for (piece, root) in encoded.pieces.iter().zip(&encoded.roots) {
		assert_eq!(piece.len() as u64, plan.piece_size());
		assert_eq!(primitives_root(piece).as_ref(), Ok(root));
		assert_eq!(piece_root(&piece[..]).expect("aligned"), (*root, plan.piece_size()));
	}
	// Systematic: the data pieces, segment by segment, are the file and its padding.
	let mut rebuilt = Vec::new();
	for segment in plan.segments() {
		let shard = segment.shard_size as usize;
		let offset = segment.piece_offset as usize;
		for piece in encoded.pieces.iter().take(usize::from(coder.layout().data_shards())) {
			rebuilt.extend_from_slice(&piece[offset..offset + shard]);
		}
	}
	assert_eq!(&rebuilt[..file.len()], file);
	assert!(rebuilt[file.len()..].iter().all(|byte| *byte == 0));
	assert_eq!(rebuilt.len() as u64, file.len() as u64 + plan.padding());
	encoded.pieces
}

#[test]
fn every_k_of_n_decodes_small_tiers() {
	for (k, n) in SHAPES.into_iter().take(3) {
		let coder = coder(k, n, 2);
		for (seed, size) in sizes(&coder).into_iter().enumerate() {
			let file = data(seed as u64, size);
			let pieces = check_encoding(&coder, &file);
			let encoded = coder.encode_bytes(&file).expect("encodes");
			for subset in subsets(usize::from(n), usize::from(k)) {
				let chosen: Vec<(usize, &[u8])> =
					subset.iter().map(|&i| (i, &pieces[i][..])).collect();
				let decoded = coder
					.decode_bytes(size as u64, &chosen, Some(&encoded.roots))
					.expect("k pieces decode");
				assert_eq!(decoded, file, "k={k} n={n} size={size} pieces={subset:?}");
			}
		}
	}
}

#[test]
fn every_10_of_16_decodes() {
	let coder = coder(10, 16, 1);
	for size in [1, 10 * LEAF_SIZE - 5] {
		let file = data(size as u64, size);
		let encoded = coder.encode_bytes(&file).expect("encodes");
		for subset in subsets(16, 10) {
			let chosen: Vec<(usize, &[u8])> =
				subset.iter().map(|&i| (i, &encoded.pieces[i][..])).collect();
			let decoded = coder.decode_bytes(size as u64, &chosen, None).expect("k pieces decode");
			assert_eq!(decoded, file, "size={size} pieces={subset:?}");
		}
	}
}

#[test]
fn multi_segment_10_of_16() {
	let coder = coder(10, 16, 2);
	for size in sizes(&coder) {
		let file = data(size as u64 + 99, size);
		let pieces = check_encoding(&coder, &file);
		// Some subsets: all data, all parity plus the first data pieces, a mix.
		for subset in [
			(0..10).collect::<Vec<_>>(),
			(6..16).collect(),
			vec![0, 2, 4, 6, 8, 10, 11, 13, 14, 15],
		] {
			let chosen: Vec<(usize, &[u8])> = subset.iter().map(|&i| (i, &pieces[i][..])).collect();
			assert_eq!(coder.decode_bytes(size as u64, &chosen, None).expect("decodes"), file);
		}
	}
}

#[test]
fn every_missing_set_is_rebuilt() {
	for (k, n) in SHAPES.into_iter().take(3) {
		let coder = coder(k, n, 1);
		let size = 3 * coder.layout().segment_size() as usize + 5;
		let file = data(u64::from(k), size);
		let encoded = coder.encode_bytes(&file).expect("encodes");
		for subset in subsets(usize::from(n), usize::from(k)) {
			let chosen: Vec<(usize, &[u8])> =
				subset.iter().map(|&i| (i, &encoded.pieces[i][..])).collect();
			let missing: Vec<usize> = (0..usize::from(n)).filter(|i| !subset.contains(i)).collect();
			let rebuilt = coder
				.reconstruct_bytes(size as u64, &chosen, Some(&encoded.roots), &missing)
				.expect("rebuilds");
			for (index, piece) in missing.iter().zip(&rebuilt) {
				assert_eq!(piece, &encoded.pieces[*index], "k={k} n={n} from {subset:?}");
			}
		}
	}
}

#[test]
fn rebuild_of_single_pieces_and_of_present_ones() {
	let coder = coder(4, 6, 1);
	let file = data(5, 50_000);
	let encoded = coder.encode_bytes(&file).expect("encodes");
	let chosen: Vec<(usize, &[u8])> =
		[1, 2, 4, 5].iter().map(|&i| (i, &encoded.pieces[i][..])).collect();
	for wanted in [vec![0], vec![3], vec![2], vec![0, 3], vec![5, 0]] {
		let rebuilt = coder
			.reconstruct_bytes(file.len() as u64, &chosen, Some(&encoded.roots), &wanted)
			.expect("rebuilds");
		for (index, piece) in wanted.iter().zip(&rebuilt) {
			assert_eq!(piece, &encoded.pieces[*index]);
		}
	}
}

#[test]
fn empty_file_is_refused() {
	let coder = coder(2, 4, 1);
	assert!(matches!(
		coder.encode_bytes(&[]),
		Err(cairn_erasure::Error::Layout(LayoutError::EmptyFile))
	));
	let mut sinks = vec![Vec::new(); 4];
	assert!(matches!(
		coder.encode(&[][..], &mut sinks),
		Err(cairn_erasure::Error::Layout(LayoutError::EmptyFile))
	));
	assert!(matches!(
		coder.decode_bytes(0, &[], None),
		Err(cairn_erasure::Error::Layout(LayoutError::EmptyFile))
	));
}

#[test]
fn one_byte_file_has_one_leaf_pieces() {
	for (k, n) in SHAPES {
		let coder = coder(k, n, 4);
		let encoded = coder.encode_bytes(&[42]).expect("encodes");
		assert!(encoded.pieces.iter().all(|piece| piece.len() == LEAF_SIZE));
		assert_eq!(encoded.pieces[0][0], 42);
		let last = usize::from(n) - 1;
		let decoded = coder
			.decode_bytes(1, &[(last, &encoded.pieces[last][..])], None)
			.map(|bytes| bytes == [42]);
		// One parity piece alone is enough only when k = 1.
		if k == 1 {
			assert!(decoded.expect("k = 1 decodes from any piece"));
		} else {
			assert!(matches!(
				decoded,
				Err(cairn_erasure::Error::TooFewPieces { available: 1, .. })
			));
		}
	}
}
