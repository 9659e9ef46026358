//! The Merkle tree over a piece's leaves: domain-separated hashes and a streaming root builder.
//!
//! The tree is the "left-balanced" binary tree of RFC 6962 (Certificate Transparency): the left
//! subtree of every node holds the largest power of two of leaves that is smaller than the
//! node's leaf count. Built level by level, that is the same as pairing nodes from the left and
//! promoting a last odd node unchanged to the next level (never duplicating it, which would let
//! two different leaf lists share a root).

use crate::{Hash, MerkleError, LEAF_SIZE};
use blake2b_simd::{many::HashManyJob, Params};

/// BLAKE2b personalization of leaf hashes (exactly 16 bytes, the parameter's size).
pub const LEAF_PERSONAL: &[u8; 16] = b"cairn:piece:leaf";
/// BLAKE2b personalization of inner node hashes (exactly 16 bytes).
pub const NODE_PERSONAL: &[u8; 16] = b"cairn:piece:node";

/// Largest number of leaves a tree may have: leaf indices are `u32`.
pub const MAX_LEAVES: u64 = u32::MAX as u64;

fn params(personal: &[u8; 16]) -> Params {
	let mut params = Params::new();
	params.hash_length(32).personal(personal);
	params
}

fn to_hash(hash: blake2b_simd::Hash) -> Hash {
	let mut out = [0u8; 32];
	// `hash_length(32)` makes the digest exactly 32 bytes.
	out.copy_from_slice(&hash.as_bytes()[..32]);
	out
}

/// Hash of one leaf: BLAKE2b-256 personalized with [`LEAF_PERSONAL`].
///
/// Any byte string hashes; the tree functions only ever pass [`LEAF_SIZE`]-byte leaves.
pub fn hash_leaf(leaf: &[u8]) -> Hash {
	to_hash(params(LEAF_PERSONAL).hash(leaf))
}

/// Hash of an inner node: BLAKE2b-256 personalized with [`NODE_PERSONAL`] over `left || right`.
pub fn hash_node(left: &Hash, right: &Hash) -> Hash {
	let mut state = params(NODE_PERSONAL).to_state();
	state.update(left);
	state.update(right);
	to_hash(state.finalize())
}

/// Hashes of several leaves at once, using the SIMD lanes of the CPU where it has them
/// (AVX2 hashes four leaves in parallel). Same results as [`hash_leaf`] on each leaf.
///
/// `out` receives one hash per `LEAF_SIZE`-byte chunk of `bytes`; `bytes.len()` must be a
/// multiple of `LEAF_SIZE` and `out.len()` must be `bytes.len() / LEAF_SIZE`.
pub fn hash_leaves_into(bytes: &[u8], out: &mut [Hash]) -> Result<(), MerkleError> {
	if !bytes.len().is_multiple_of(LEAF_SIZE) || bytes.len() / LEAF_SIZE != out.len() {
		return Err(MerkleError::UnalignedPiece);
	}
	const BATCH: usize = 8;
	let params = params(LEAF_PERSONAL);
	for (leaves, hashes) in bytes.chunks(LEAF_SIZE * BATCH).zip(out.chunks_mut(BATCH)) {
		let mut jobs: [Option<HashManyJob<'_>>; BATCH] = Default::default();
		for (job, leaf) in jobs.iter_mut().zip(leaves.chunks(LEAF_SIZE)) {
			*job = Some(HashManyJob::new(&params, leaf));
		}
		blake2b_simd::many::hash_many(jobs.iter_mut().flatten());
		for (hash, job) in hashes.iter_mut().zip(jobs.iter().flatten()) {
			*hash = to_hash(job.to_hash());
		}
	}
	Ok(())
}

/// Builds a Merkle root from leaves pushed one at a time, in `O(log n)` memory and no heap.
///
/// Keeps one subtree root per set bit of the leaf count (a binary counter): pushing a leaf
/// merges equal-sized subtrees, and [`RootBuilder::finish`] folds the remaining ones from the
/// smallest up, which yields exactly the promote-the-odd-node tree described in the module docs.
#[derive(Clone, Debug)]
pub struct RootBuilder {
	/// Subtree roots, largest first; `stack[i]` covers `2^heights[i]` leaves.
	stack: [Hash; 32],
	heights: [u8; 32],
	depth: usize,
	leaves: u64,
}

impl Default for RootBuilder {
	fn default() -> Self {
		Self::new()
	}
}

impl RootBuilder {
	/// An empty builder.
	pub fn new() -> Self {
		Self { stack: [[0; 32]; 32], heights: [0; 32], depth: 0, leaves: 0 }
	}

	/// Number of leaves pushed so far.
	pub fn leaf_count(&self) -> u64 {
		self.leaves
	}

	/// Push the next leaf's bytes.
	pub fn push_leaf(&mut self, leaf: &[u8]) -> Result<(), MerkleError> {
		self.push_leaf_hash(hash_leaf(leaf))
	}

	/// Push the next leaves, `bytes` holding a whole number of [`LEAF_SIZE`]-byte leaves.
	///
	/// Hashes them in parallel batches; the result is the same as pushing them one by one.
	pub fn push_leaves(&mut self, bytes: &[u8]) -> Result<(), MerkleError> {
		if !bytes.len().is_multiple_of(LEAF_SIZE) {
			return Err(MerkleError::UnalignedPiece);
		}
		const BATCH: usize = 64;
		let mut hashes = [[0u8; 32]; BATCH];
		for chunk in bytes.chunks(LEAF_SIZE * BATCH) {
			let count = chunk.len() / LEAF_SIZE;
			let hashes = &mut hashes[..count];
			hash_leaves_into(chunk, hashes)?;
			for hash in hashes.iter() {
				self.push_leaf_hash(*hash)?;
			}
		}
		Ok(())
	}

	/// Push the next leaf's hash (from [`hash_leaf`]).
	pub fn push_leaf_hash(&mut self, leaf_hash: Hash) -> Result<(), MerkleError> {
		if self.leaves >= MAX_LEAVES {
			return Err(MerkleError::TooManyLeaves);
		}
		let mut node = leaf_hash;
		let mut height = 0u8;
		// Merge while the top subtree has the same size as the new one.
		while let Some(top) = self.depth.checked_sub(1) {
			if self.heights[top] != height {
				break;
			}
			node = hash_node(&self.stack[top], &node);
			height = height.saturating_add(1);
			self.depth = top;
		}
		// At most one subtree per bit of a count below 2^32: depth < 32 here.
		let slot = self.stack.get_mut(self.depth).ok_or(MerkleError::TooManyLeaves)?;
		*slot = node;
		self.heights[self.depth] = height;
		self.depth = self.depth.saturating_add(1);
		self.leaves = self.leaves.saturating_add(1);
		Ok(())
	}

	/// The root of all leaves pushed; an error if none were.
	pub fn finish(&self) -> Result<Hash, MerkleError> {
		let mut nodes = self.stack[..self.depth].iter().rev();
		let mut root = *nodes.next().ok_or(MerkleError::EmptyTree)?;
		for left in nodes {
			root = hash_node(left, &root);
		}
		Ok(root)
	}
}

/// Number of leaves of a piece of `piece_len` bytes; an error unless it is a whole, non-zero
/// number of leaves and at most [`MAX_LEAVES`].
pub fn leaf_count(piece_len: u64) -> Result<u32, MerkleError> {
	if piece_len == 0 {
		return Err(MerkleError::EmptyTree);
	}
	if !piece_len.is_multiple_of(LEAF_SIZE as u64) {
		return Err(MerkleError::UnalignedPiece);
	}
	u32::try_from(piece_len / LEAF_SIZE as u64).map_err(|_| MerkleError::TooManyLeaves)
}

/// The Merkle root of a whole piece held in memory.
pub fn piece_root(piece: &[u8]) -> Result<Hash, MerkleError> {
	leaf_count(piece.len() as u64)?;
	let mut builder = RootBuilder::new();
	builder.push_leaves(piece)?;
	builder.finish()
}
