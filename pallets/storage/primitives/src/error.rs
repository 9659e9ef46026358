//! Errors of the Merkle functions and of proof verification.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt;
use scale_info::TypeInfo;

/// Why a root or a proof could not be built, or why a proof was rejected.
///
/// SCALE-encodable so that the runtime can put the reason a proof failed into the event that
/// reports the failed audit.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum MerkleError {
	/// The tree has no leaves: a piece is never empty, so neither is its tree.
	EmptyTree,
	/// The piece is not a whole number of [`LEAF_SIZE`](crate::LEAF_SIZE)-byte leaves.
	UnalignedPiece,
	/// More than `u32::MAX` leaves: leaf indices are `u32`.
	TooManyLeaves,
	/// The leaf index is not below the leaf count.
	LeafIndexOutOfRange,
	/// The submitted leaf is not exactly [`LEAF_SIZE`](crate::LEAF_SIZE) bytes.
	WrongLeafSize,
	/// The proof has fewer or more sibling hashes than this leaf index in a tree of this many
	/// leaves needs (each index has exactly one valid path length).
	WrongProofLength,
	/// The leaf and proof lead to another root: wrong bytes, wrong path, or another piece.
	RootMismatch,
}

impl fmt::Display for MerkleError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		let text = match self {
			Self::EmptyTree => "the tree has no leaves",
			Self::UnalignedPiece => "the piece is not a whole number of leaves",
			Self::TooManyLeaves => "more than u32::MAX leaves",
			Self::LeafIndexOutOfRange => "leaf index out of range",
			Self::WrongLeafSize => "the leaf has the wrong size",
			Self::WrongProofLength => "the proof has the wrong number of siblings",
			Self::RootMismatch => "the proof leads to another root",
		};
		f.write_str(text)
	}
}

impl core::error::Error for MerkleError {}
