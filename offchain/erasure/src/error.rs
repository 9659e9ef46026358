//! The one error type of the crate.

use crate::Kernel;
use cairn_storage_primitives::{Hash, LayoutError, MerkleError};

/// Everything that can go wrong while coding a file. No function of this crate panics: every
/// failure comes back as one of these.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
	/// The layout or the file size is impossible, or the file is empty.
	#[error("layout: {0}")]
	Layout(#[from] LayoutError),
	/// A piece is not a whole number of leaves, or has too many.
	#[error("merkle tree: {0}")]
	Merkle(#[from] MerkleError),
	/// The Reed-Solomon codec refused its input. Shapes are checked before any call, so this
	/// means a bug in this crate rather than bad input.
	#[error("reed-solomon: {0}")]
	ReedSolomon(reed_solomon_erasure::Error),
	/// Fewer than `k` distinct pieces were given: the file cannot be rebuilt.
	#[error("too few pieces: {available} given, {required} required")]
	TooFewPieces {
		/// Distinct pieces given.
		available: usize,
		/// Pieces needed (`k`).
		required: usize,
	},
	/// A piece index is not below `n`.
	#[error("piece index {index} out of range: the layout has {total} pieces")]
	PieceIndexOutOfRange {
		/// The index given.
		index: usize,
		/// Pieces in the layout (`n`).
		total: usize,
	},
	/// The same piece index was given twice.
	#[error("piece {index} given twice")]
	DuplicatePiece {
		/// The repeated index.
		index: usize,
	},
	/// The number of output sinks is not the number of pieces `n`.
	#[error("{given} sinks given for {expected} pieces")]
	WrongSinkCount {
		/// Sinks given.
		given: usize,
		/// Pieces to write (`n`).
		expected: usize,
	},
	/// The number of expected roots is not the number of pieces `n`.
	#[error("{given} roots given for {expected} pieces")]
	WrongRootCount {
		/// Roots given.
		given: usize,
		/// Pieces in the layout (`n`).
		expected: usize,
	},
	/// A piece is shorter or longer than the layout says a piece of this file is.
	#[error("piece {index} has the wrong size: expected {expected} bytes, {actual}")]
	PieceSize {
		/// Index of the piece.
		index: usize,
		/// Bytes the layout gives a piece of this file.
		expected: u64,
		/// What was found ("only N bytes" or "more").
		actual: SizeFound,
	},
	/// The input stream's length is not the declared file size.
	#[error("input has the wrong size: expected {expected} bytes, {actual}")]
	FileSize {
		/// Declared file size.
		expected: u64,
		/// What was found ("only N bytes" or "more").
		actual: SizeFound,
	},
	/// A piece's bytes do not hash to its expected root: it is corrupt (or another piece).
	#[error("piece {index} is corrupt: root {} expected, {} found", hex(expected), hex(found))]
	CorruptPiece {
		/// Index of the piece.
		index: usize,
		/// Root recorded for the piece.
		expected: Hash,
		/// Root of the bytes read.
		found: Hash,
	},
	/// This CPU cannot run the kernel asked for (see [`Kernel::accelerated_runs_here`]).
	#[error("this CPU cannot run the {0:?} GF(2^8) kernel")]
	UnsupportedKernel(Kernel),
	/// Reading or writing failed.
	#[error("i/o: {0}")]
	Io(#[from] std::io::Error),
}

/// How much of a stream was there, when its size was wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeFound {
	/// The stream ended after this many bytes.
	Short(u64),
	/// The stream went on past the expected size.
	Long,
}

impl std::fmt::Display for SizeFound {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Short(bytes) => write!(f, "only {bytes}"),
			Self::Long => write!(f, "more"),
		}
	}
}

fn hex(hash: &Hash) -> String {
	hash.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl From<reed_solomon_erasure::Error> for Error {
	fn from(error: reed_solomon_erasure::Error) -> Self {
		Self::ReedSolomon(error)
	}
}

/// Result of this crate's functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;
