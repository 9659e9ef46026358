//! Answers to audit challenges: one leaf of a stored piece and its Merkle proof.
//!
//! The chain challenges an operator for leaf `leaf_index` of piece `piece_index` of a file; the
//! operator answers with `submit_proof(challenge_id, leaf, proof)` before `deadline`, and the
//! runtime checks the proof against the piece root recorded at placement
//! (`cairn_storage_primitives::verify`).
//!
//! This module builds the answer from the locally pinned piece. It streams the piece once,
//! keeping only the leaf hashes (32 bytes per 2 KiB leaf, 1/64 of the piece) and the one leaf
//! asked for, and checks the proof against the on-chain root before returning it, so an answer
//! that would fail on-chain is reported here instead. Wiring it to the chain (the challenge
//! event and the `submit_proof` call) is [`crate::agent`]'s job: decode the event into a [`Challenge`], look up the piece's CID and
//! root from `file(cid)`, call [`answer`], submit `(challenge.id, answer.leaf, answer.proof)`.

use cairn_ipfs::{Cid, Ipfs};
use cairn_storage_primitives::{
	hash_leaf, prove, verify, Hash, MerkleError, MerkleProof, LEAF_SIZE,
};
use std::io::Write;

/// An audit challenge, as the chain issues it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
	/// The challenge's id, to quote in `submit_proof`.
	pub id: u64,
	/// The file (canonical binary CID).
	pub cid: Vec<u8>,
	/// The piece challenged.
	pub piece_index: u32,
	/// The leaf asked for.
	pub leaf_index: u32,
	/// Last block at which an answer counts.
	pub deadline: u32,
}

/// What `submit_proof` sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
	/// The challenge answered.
	pub challenge_id: u64,
	/// The leaf's bytes (exactly [`LEAF_SIZE`]).
	pub leaf: Vec<u8>,
	/// Sibling hashes from the leaf up to the root.
	pub proof: MerkleProof,
}

/// Why no answer could be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
	/// The piece is not a whole number of leaves, is empty, or the leaf is past its end.
	#[error("piece of {size} bytes cannot answer leaf {leaf_index}: {reason}")]
	Piece {
		/// Bytes read.
		size: u64,
		/// Leaf asked for.
		leaf_index: u32,
		/// Why.
		reason: MerkleError,
	},
	/// The local copy does not match the root recorded on-chain: the answer would fail.
	#[error("the local copy of the piece does not match its on-chain root")]
	RootMismatch,
	/// Reading the piece failed.
	#[error("reading the piece: {0}")]
	Io(#[from] std::io::Error),
	/// The local IPFS daemon could not give the piece.
	#[error("reading the piece from IPFS: {0}")]
	Ipfs(#[from] cairn_ipfs::Error),
}

/// Builds an answer while the piece streams through it (an [`std::io::Write`] sink).
#[derive(Debug)]
pub struct ProofBuilder {
	leaf_index: u32,
	hashes: Vec<Hash>,
	partial: Vec<u8>,
	leaf: Option<Vec<u8>>,
	size: u64,
}

impl ProofBuilder {
	/// A builder for leaf `leaf_index`.
	pub fn new(leaf_index: u32) -> Self {
		Self {
			leaf_index,
			hashes: Vec::new(),
			partial: Vec::with_capacity(LEAF_SIZE),
			leaf: None,
			size: 0,
		}
	}

	fn take_leaf(&mut self) {
		if self.hashes.len() == self.leaf_index as usize {
			self.leaf = Some(self.partial.clone());
		}
		self.hashes.push(hash_leaf(&self.partial));
		self.partial.clear();
	}

	/// The leaf and its proof, checked against `root` when given.
	pub fn finish(self, challenge_id: u64, root: Option<&Hash>) -> Result<Answer, Error> {
		let fail = |reason| Error::Piece { size: self.size, leaf_index: self.leaf_index, reason };
		if !self.partial.is_empty() {
			return Err(fail(MerkleError::UnalignedPiece));
		}
		let proof = prove(&self.hashes, self.leaf_index).map_err(fail)?;
		let leaf = self.leaf.clone().ok_or_else(|| fail(MerkleError::LeafIndexOutOfRange))?;
		if let Some(root) = root {
			let count =
				u32::try_from(self.hashes.len()).map_err(|_| fail(MerkleError::TooManyLeaves))?;
			verify(root, count, self.leaf_index, &leaf, &proof).map_err(|_| Error::RootMismatch)?;
		}
		Ok(Answer { challenge_id, leaf, proof })
	}
}

impl Write for ProofBuilder {
	fn write(&mut self, mut buf: &[u8]) -> std::io::Result<usize> {
		let written = buf.len();
		self.size = self.size.saturating_add(written as u64);
		while !buf.is_empty() {
			let room = LEAF_SIZE - self.partial.len();
			let (head, rest) = buf.split_at(room.min(buf.len()));
			self.partial.extend_from_slice(head);
			buf = rest;
			if self.partial.len() == LEAF_SIZE {
				self.take_leaf();
			}
		}
		Ok(written)
	}

	fn flush(&mut self) -> std::io::Result<()> {
		Ok(())
	}
}

/// The answer to `challenge` from the piece's bytes read from `reader`, checked against `root`.
pub fn answer_from_reader<R: std::io::Read>(
	challenge: &Challenge,
	mut reader: R,
	root: Option<&Hash>,
) -> Result<Answer, Error> {
	let mut builder = ProofBuilder::new(challenge.leaf_index);
	std::io::copy(&mut reader, &mut builder)?;
	builder.finish(challenge.id, root)
}

/// The answer to `challenge` from the piece `piece_cid` pinned on the local IPFS daemon,
/// checked against the piece's on-chain `root`.
pub async fn answer<I: Ipfs>(
	ipfs: &I,
	piece_cid: &Cid,
	root: &Hash,
	challenge: &Challenge,
) -> Result<Answer, Error> {
	tracing::info!(
		challenge = challenge.id,
		piece = %piece_cid,
		leaf = challenge.leaf_index,
		"answering an audit challenge from the local copy of the piece"
	);
	let mut builder = ProofBuilder::new(challenge.leaf_index);
	ipfs.cat_to(piece_cid, &mut builder).await?;
	builder.finish(challenge.id, Some(root))
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
	use super::*;
	use cairn_storage_primitives::{piece_root, prove_piece};

	fn piece(leaves: usize) -> Vec<u8> {
		(0..leaves * LEAF_SIZE).map(|i| (i * 31 % 251) as u8).collect()
	}

	fn challenge(leaf_index: u32) -> Challenge {
		Challenge { id: 7, cid: vec![1], piece_index: 2, leaf_index, deadline: 100 }
	}

	#[test]
	fn answers_verify_against_the_piece_root_for_every_leaf() {
		for leaves in [1usize, 2, 3, 5, 8, 13] {
			let piece = piece(leaves);
			let root = piece_root(&piece).expect("root");
			for index in 0..leaves as u32 {
				// Odd read sizes, so leaves straddle writes.
				let reader = std::io::BufReader::with_capacity(777, &piece[..]);
				let answer =
					answer_from_reader(&challenge(index), reader, Some(&root)).expect("answers");
				assert_eq!(answer.challenge_id, 7);
				let start = index as usize * LEAF_SIZE;
				assert_eq!(answer.leaf, piece[start..start + LEAF_SIZE]);
				assert_eq!(answer.proof, prove_piece(&piece, index).expect("proof"));
				verify(&root, leaves as u32, index, &answer.leaf, &answer.proof).expect("verifies");
			}
		}
	}

	#[test]
	fn a_corrupt_local_copy_is_caught_before_submitting() {
		let good = piece(4);
		let root = piece_root(&good).expect("root");
		let mut bad = good.clone();
		bad[3 * LEAF_SIZE + 5] ^= 1;
		// The challenged leaf is intact but a sibling is not: the proof would still fail.
		let error = answer_from_reader(&challenge(0), &bad[..], Some(&root)).expect_err("caught");
		assert!(matches!(error, Error::RootMismatch), "{error}");
	}

	#[test]
	fn bad_shapes_are_errors_not_panics() {
		let piece = piece(2);
		let out_of_range = answer_from_reader(&challenge(2), &piece[..], None).expect_err("range");
		assert!(matches!(
			out_of_range,
			Error::Piece { reason: MerkleError::LeafIndexOutOfRange, .. }
		));
		let unaligned =
			answer_from_reader(&challenge(0), &piece[..100], None).expect_err("unaligned");
		assert!(matches!(unaligned, Error::Piece { reason: MerkleError::UnalignedPiece, .. }));
		let empty = answer_from_reader(&challenge(0), &[][..], None).expect_err("empty");
		assert!(matches!(empty, Error::Piece { reason: MerkleError::EmptyTree, .. }));
	}
}
