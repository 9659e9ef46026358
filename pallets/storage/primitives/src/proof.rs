//! Inclusion proofs: made off-chain by an operator, verified on-chain by the runtime.

use crate::{
	merkle::{hash_leaf, hash_node, leaf_count, RootBuilder},
	Hash, MerkleError, LEAF_SIZE,
};
use alloc::vec::Vec;
use bounded_collections::{BoundedVec, ConstU32};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Most sibling hashes a proof can hold: a tree of at most `u32::MAX` leaves is at most 32
/// levels deep.
pub const MAX_PROOF_DEPTH: u32 = 32;

/// The sibling hashes on the path from one leaf to the root, leaf level first.
///
/// Compact: neither the leaf, its index, the leaf count nor the root is inside. The verifier
/// takes those from its own records (the challenge it issued, the piece size and root recorded
/// at placement), so a prover cannot choose them. The length is bounded, so decoding a proof
/// from an extrinsic never allocates more than `32 * 32` bytes; its SCALE encoding is at most
/// 1 + 32 * 32 bytes.
#[derive(
	Clone,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct MerkleProof {
	/// Sibling hashes, from the leaf's sibling up to the root's child.
	pub siblings: BoundedVec<Hash, ConstU32<MAX_PROOF_DEPTH>>,
}

/// The proof for leaf `leaf_index` of the tree whose leaf hashes are `leaf_hashes`.
///
/// Takes `O(n)` time and a copy of the leaf hashes (32 bytes per leaf, 1/64 of the piece).
pub fn prove(leaf_hashes: &[Hash], leaf_index: u32) -> Result<MerkleProof, MerkleError> {
	if leaf_hashes.is_empty() {
		return Err(MerkleError::EmptyTree);
	}
	if leaf_hashes.len() as u64 > crate::merkle::MAX_LEAVES {
		return Err(MerkleError::TooManyLeaves);
	}
	let mut position = leaf_index as usize;
	if position >= leaf_hashes.len() {
		return Err(MerkleError::LeafIndexOutOfRange);
	}
	let mut level: Vec<Hash> = leaf_hashes.to_vec();
	let mut siblings = BoundedVec::new();
	while level.len() > 1 {
		let width = level.len();
		let sibling = if position % 2 == 1 {
			level.get(position.wrapping_sub(1))
		} else {
			// `None` for a last odd node: it is promoted and has no sibling at this level.
			level.get(position.saturating_add(1))
		};
		if let Some(sibling) = sibling {
			siblings.try_push(*sibling).map_err(|_| MerkleError::TooManyLeaves)?;
		}
		// Build the next level in place: node `i` only reads nodes `2i` and `2i + 1`.
		let next_width = width.div_ceil(2);
		for i in 0..next_width {
			let node = match (level.get(2 * i), level.get(2 * i + 1)) {
				(Some(left), Some(right)) => hash_node(left, right),
				(Some(left), None) => *left,
				// `2i < width` for every `i < next_width`.
				(None, _) => break,
			};
			if let Some(slot) = level.get_mut(i) {
				*slot = node;
			}
		}
		level.truncate(next_width);
		position /= 2;
	}
	Ok(MerkleProof { siblings })
}

/// The proof for leaf `leaf_index` of a whole piece held in memory.
pub fn prove_piece(piece: &[u8], leaf_index: u32) -> Result<MerkleProof, MerkleError> {
	let count = leaf_count(piece.len() as u64)?;
	let mut hashes = alloc::vec![[0u8; 32]; count as usize];
	crate::merkle::hash_leaves_into(piece, &mut hashes)?;
	prove(&hashes, leaf_index)
}

/// The root that `leaf`, at `leaf_index` in a tree of `leaf_count` leaves, and `proof` lead to.
///
/// Fails if the leaf is not [`LEAF_SIZE`] bytes, the index is outside the tree, or the proof
/// does not have exactly the number of siblings that this index in a tree of this size needs.
pub fn root_from_proof(
	leaf_count: u32,
	leaf_index: u32,
	leaf: &[u8],
	proof: &MerkleProof,
) -> Result<Hash, MerkleError> {
	if leaf.len() != LEAF_SIZE {
		return Err(MerkleError::WrongLeafSize);
	}
	if leaf_count == 0 {
		return Err(MerkleError::EmptyTree);
	}
	if leaf_index >= leaf_count {
		return Err(MerkleError::LeafIndexOutOfRange);
	}
	let mut siblings = proof.siblings.iter();
	let mut hash = hash_leaf(leaf);
	let mut position = leaf_index;
	let mut width = leaf_count;
	while width > 1 {
		if position % 2 == 1 {
			let sibling = siblings.next().ok_or(MerkleError::WrongProofLength)?;
			hash = hash_node(sibling, &hash);
		} else if position.saturating_add(1) < width {
			let sibling = siblings.next().ok_or(MerkleError::WrongProofLength)?;
			hash = hash_node(&hash, sibling);
		}
		position /= 2;
		width = width.div_ceil(2);
	}
	if siblings.next().is_some() {
		return Err(MerkleError::WrongProofLength);
	}
	Ok(hash)
}

/// Check that `leaf` is leaf `leaf_index` of the piece with `root` and `leaf_count` leaves.
///
/// This is what the runtime runs on `submit_proof`: cost is one leaf hash plus at most 32
/// node hashes, independent of the piece size beyond `log2(leaf_count)`.
pub fn verify(
	root: &Hash,
	leaf_count: u32,
	leaf_index: u32,
	leaf: &[u8],
	proof: &MerkleProof,
) -> Result<(), MerkleError> {
	let computed = root_from_proof(leaf_count, leaf_index, leaf, proof)?;
	if &computed != root {
		return Err(MerkleError::RootMismatch);
	}
	Ok(())
}

/// Helper kept next to the proofs: the root of `leaf_hashes`, using the same tree as [`prove`].
pub fn root_of_leaf_hashes(leaf_hashes: &[Hash]) -> Result<Hash, MerkleError> {
	let mut builder = RootBuilder::new();
	for hash in leaf_hashes {
		builder.push_leaf_hash(*hash)?;
	}
	builder.finish()
}
