//! Piece Merkle trees and proofs: every leaf of random pieces proves, and any tampering fails.

#![allow(clippy::expect_used)] // Tests state what they expect.

use cairn_storage_primitives::{
	hash_leaf, hash_node, leaf_count, merkle::hash_leaves_into, piece_root,
	proof::root_of_leaf_hashes, prove, prove_piece, root_from_proof, verify, Hash, MerkleError,
	MerkleProof, RootBuilder, LEAF_SIZE, MAX_PROOF_DEPTH,
};
use codec::{Decode, Encode, MaxEncodedLen};
use proptest::prelude::*;

/// A piece of `leaves` leaves of pseudo-random bytes from `seed` (splitmix64).
fn piece(seed: u64, leaves: usize) -> Vec<u8> {
	let mut state = seed;
	let mut bytes = Vec::with_capacity(leaves * LEAF_SIZE);
	while bytes.len() < leaves * LEAF_SIZE {
		state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
		let mut z = state;
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		bytes.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
	}
	bytes
}

fn leaf(piece: &[u8], index: u32) -> &[u8] {
	let start = index as usize * LEAF_SIZE;
	&piece[start..start + LEAF_SIZE]
}

/// Reference tree, written as plainly as possible: hash pairs level by level, promote a last
/// odd node.
fn naive_root(leaf_hashes: &[Hash]) -> Hash {
	let mut level = leaf_hashes.to_vec();
	while level.len() > 1 {
		level = level
			.chunks(2)
			.map(|pair| if pair.len() == 2 { hash_node(&pair[0], &pair[1]) } else { pair[0] })
			.collect();
	}
	level[0]
}

fn leaf_hashes(piece: &[u8]) -> Vec<Hash> {
	piece.chunks(LEAF_SIZE).map(hash_leaf).collect()
}

#[test]
fn known_small_trees() {
	let p = piece(1, 3);
	let h: Vec<Hash> = leaf_hashes(&p);
	assert_eq!(piece_root(&p[..LEAF_SIZE]), Ok(h[0]));
	assert_eq!(piece_root(&p[..2 * LEAF_SIZE]), Ok(hash_node(&h[0], &h[1])));
	// Three leaves: the third is promoted, not paired with itself.
	assert_eq!(piece_root(&p), Ok(hash_node(&hash_node(&h[0], &h[1]), &h[2])));
	assert_eq!(prove(&h, 2).map(|p| p.siblings.into_inner()), Ok(vec![hash_node(&h[0], &h[1])]));
}

#[test]
fn leaf_and_node_hashes_are_separated() {
	let a = hash_leaf(b"a");
	let b = hash_leaf(b"b");
	let mut concatenated = a.to_vec();
	concatenated.extend_from_slice(&b);
	// The node's preimage hashed as a leaf gives another value.
	assert_ne!(hash_node(&a, &b), hash_leaf(&concatenated));
	// Neither is plain, unpersonalized BLAKE2b-256.
	let plain = blake2b_256(&concatenated);
	assert_ne!(hash_node(&a, &b), plain);
	assert_ne!(hash_leaf(b"a"), blake2b_256(b"a"));
}

fn blake2b_256(bytes: &[u8]) -> Hash {
	let hash = blake2b_simd::Params::new().hash_length(32).hash(bytes);
	let mut out = [0u8; 32];
	out.copy_from_slice(hash.as_bytes());
	out
}

#[test]
fn refuses_empty_and_unaligned_pieces() {
	assert_eq!(piece_root(&[]), Err(MerkleError::EmptyTree));
	assert_eq!(piece_root(&[0; LEAF_SIZE + 1]), Err(MerkleError::UnalignedPiece));
	assert_eq!(prove(&[], 0), Err(MerkleError::EmptyTree));
	assert_eq!(prove_piece(&[0; LEAF_SIZE], 1), Err(MerkleError::LeafIndexOutOfRange));
	assert_eq!(leaf_count(3 * LEAF_SIZE as u64), Ok(3));
	assert_eq!(
		leaf_count((u64::from(u32::MAX) + 1) * LEAF_SIZE as u64),
		Err(MerkleError::TooManyLeaves)
	);
	assert_eq!(RootBuilder::new().finish(), Err(MerkleError::EmptyTree));
	let mut out = [[0u8; 32]; 2];
	assert_eq!(hash_leaves_into(&[0; LEAF_SIZE], &mut out), Err(MerkleError::UnalignedPiece));
}

#[test]
fn verify_checks_its_arguments() {
	let p = piece(2, 4);
	let root = piece_root(&p).expect("aligned");
	let proof = prove_piece(&p, 1).expect("in range");
	assert_eq!(verify(&root, 4, 1, leaf(&p, 1), &proof), Ok(()));
	assert_eq!(verify(&root, 4, 1, &leaf(&p, 1)[1..], &proof), Err(MerkleError::WrongLeafSize));
	assert_eq!(verify(&root, 4, 4, leaf(&p, 1), &proof), Err(MerkleError::LeafIndexOutOfRange));
	assert_eq!(verify(&root, 0, 0, leaf(&p, 1), &proof), Err(MerkleError::EmptyTree));
	let mut short = proof.clone();
	short.siblings.pop();
	assert_eq!(verify(&root, 4, 1, leaf(&p, 1), &short), Err(MerkleError::WrongProofLength));
	let mut long = proof.clone();
	long.siblings.try_push([0; 32]).expect("below the bound");
	assert_eq!(verify(&root, 4, 1, leaf(&p, 1), &long), Err(MerkleError::WrongProofLength));
}

#[test]
fn proof_encoding_is_bounded() {
	assert_eq!(MerkleProof::max_encoded_len(), 1 + 32 * MAX_PROOF_DEPTH as usize);
	let p = piece(3, 37);
	let proof = prove_piece(&p, 36).expect("in range");
	let encoded = proof.encode();
	assert_eq!(MerkleProof::decode(&mut &encoded[..]), Ok(proof));
	// 33 siblings: the length prefix alone makes decoding fail, before any allocation.
	let too_long = (vec![[7u8; 32]; 33]).encode();
	assert!(MerkleProof::decode(&mut &too_long[..]).is_err());
	let at_bound = (vec![[7u8; 32]; 32]).encode();
	assert!(MerkleProof::decode(&mut &at_bound[..]).is_ok());
}

#[test]
fn deepest_tree_shape_is_handled() {
	// A proof path in a tree of u32::MAX leaves has at most 32 siblings: check with
	// `root_from_proof` on hashes alone (the tree itself would be 8 TiB).
	let leaf_bytes = [1u8; LEAF_SIZE];
	let mut proof = MerkleProof::default();
	for _ in 0..32 {
		proof.siblings.try_push([2; 32]).expect("32 fit");
	}
	// Index 0 of u32::MAX leaves has a sibling at every one of the 32 levels.
	assert!(root_from_proof(u32::MAX, 0, &leaf_bytes, &proof).is_ok());
	// The last index of u32::MAX leaves (even) is promoted at level 0 and has 31 siblings.
	assert_eq!(
		root_from_proof(u32::MAX, u32::MAX - 1, &leaf_bytes, &proof),
		Err(MerkleError::WrongProofLength)
	);
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(64))]

	#[test]
	fn builders_agree_with_reference(seed in any::<u64>(), leaves in 1usize..300) {
		let p = piece(seed, leaves);
		let hashes = leaf_hashes(&p);
		let expected = naive_root(&hashes);
		prop_assert_eq!(piece_root(&p), Ok(expected));
		prop_assert_eq!(root_of_leaf_hashes(&hashes), Ok(expected));
		let mut one_by_one = RootBuilder::new();
		for leaf in p.chunks(LEAF_SIZE) {
			one_by_one.push_leaf(leaf).expect("few leaves");
		}
		prop_assert_eq!(one_by_one.finish(), Ok(expected));
		prop_assert_eq!(one_by_one.leaf_count(), leaves as u64);
		let mut batched = vec![[0u8; 32]; leaves];
		hash_leaves_into(&p, &mut batched).expect("aligned");
		prop_assert_eq!(batched, hashes);
	}

	#[test]
	fn every_leaf_proves(seed in any::<u64>(), leaves in 1u32..70) {
		let p = piece(seed, leaves as usize);
		let root = piece_root(&p).expect("aligned");
		let hashes = leaf_hashes(&p);
		for index in 0..leaves {
			let proof = prove(&hashes, index).expect("in range");
			prop_assert_eq!(verify(&root, leaves, index, leaf(&p, index), &proof), Ok(()));
			prop_assert!(proof.siblings.len() <= 7);
		}
	}

	#[test]
	fn flipped_bit_fails(seed in any::<u64>(), leaves in 1u32..70, pick in any::<u32>(), bit in 0usize..LEAF_SIZE * 8) {
		let p = piece(seed, leaves as usize);
		let root = piece_root(&p).expect("aligned");
		let index = pick % leaves;
		let proof = prove_piece(&p, index).expect("in range");
		let mut tampered = leaf(&p, index).to_vec();
		tampered[bit / 8] ^= 1 << (bit % 8);
		prop_assert_eq!(verify(&root, leaves, index, &tampered, &proof), Err(MerkleError::RootMismatch));

		// A flipped bit in any sibling hash fails too.
		for position in 0..proof.siblings.len() {
			let mut bad = proof.clone();
			bad.siblings[position][(bit / 8) % 32] ^= 1 << (bit % 8);
			prop_assert_eq!(verify(&root, leaves, index, leaf(&p, index), &bad), Err(MerkleError::RootMismatch));
		}
	}

	#[test]
	fn wrong_index_fails(seed in any::<u64>(), leaves in 2u32..70, pick in any::<u32>(), other in any::<u32>()) {
		let p = piece(seed, leaves as usize);
		let root = piece_root(&p).expect("aligned");
		let index = pick % leaves;
		let wrong = (index + 1 + other % (leaves - 1)) % leaves;
		prop_assert_ne!(index, wrong);
		let proof = prove_piece(&p, index).expect("in range");
		// The right leaf and proof, claimed at another index.
		prop_assert!(verify(&root, leaves, wrong, leaf(&p, index), &proof).is_err());
		// Another leaf of the same piece, with this leaf's proof.
		prop_assert!(verify(&root, leaves, index, leaf(&p, wrong), &proof).is_err());
	}

	#[test]
	fn wrong_root_fails(seed in any::<u64>(), leaves in 1u32..70, pick in any::<u32>(), root_bit in 0usize..256) {
		let p = piece(seed, leaves as usize);
		let mut root = piece_root(&p).expect("aligned");
		let index = pick % leaves;
		let proof = prove_piece(&p, index).expect("in range");
		root[root_bit / 8] ^= 1 << (root_bit % 8);
		prop_assert_eq!(verify(&root, leaves, index, leaf(&p, index), &proof), Err(MerkleError::RootMismatch));
	}

	#[test]
	fn proof_for_another_piece_fails(seed in any::<u64>(), leaves in 1u32..70, pick in any::<u32>()) {
		let a = piece(seed, leaves as usize);
		let b = piece(seed.wrapping_add(1), leaves as usize);
		let root_a = piece_root(&a).expect("aligned");
		let index = pick % leaves;
		let proof_b = prove_piece(&b, index).expect("in range");
		prop_assert_eq!(verify(&root_a, leaves, index, leaf(&b, index), &proof_b), Err(MerkleError::RootMismatch));
		// Piece a's leaf with piece b's proof fails too (unless a single leaf needs no siblings).
		if leaves > 1 {
			prop_assert_eq!(verify(&root_a, leaves, index, leaf(&a, index), &proof_b), Err(MerkleError::RootMismatch));
		}
	}
}
