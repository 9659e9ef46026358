//! The one error type of the crate. Messages are written for the person running `cairn`.

use crate::{CHUNK_SIZE_EXPONENT, WRAPPED_KEY_LEN};

/// Everything that can go wrong while encrypting, decrypting or (un)wrapping a key.
#[derive(thiserror::Error, Debug)]
#[non_exhaustive]
pub enum Error {
	/// The data does not start with the `CAIRNENC` magic.
	#[error("this is not a Cairn encrypted file: it does not start with the \"CAIRNENC\" header")]
	NotEncrypted,
	/// The stream header or the wrapped key names a format version this build does not know.
	#[error("unsupported encryption format version {0}: this build of cairn reads version 1 only; a newer cairn may read it")]
	UnsupportedVersion(u8),
	/// The stream header or the wrapped key names an algorithm this build does not know.
	#[error("unsupported encryption algorithm {0}: this build of cairn knows algorithm 1 (AES-256-GCM) only; a newer cairn may read it")]
	UnsupportedAlgorithm(u8),
	/// The stream header is cut short or has a field that format v1 does not allow.
	#[error("malformed encryption header: {0}")]
	MalformedHeader(&'static str),
	/// The wrapped key does not have the length of a v1 wrapped key.
	#[error("malformed wrapped file key: it is {len} bytes long, a version 1 wrapped key is {WRAPPED_KEY_LEN} bytes")]
	MalformedWrappedKey {
		/// Length of the wrapped key that was given.
		len: usize,
	},
	/// The wrapped key does not authenticate under the key derived from this secret.
	#[error("the file key cannot be unlocked with this account's secret: the file was encrypted by another account (or another derivation path of it), or its wrapped key was altered")]
	WrongSecret,
	/// A chunk failed authentication.
	#[error("chunk {index} failed authentication: the ciphertext was tampered with, reordered or spliced (or cut short inside this chunk)")]
	ChunkRejected {
		/// Position of the chunk in the stream (0-based).
		index: u64,
	},
	/// The stream ended at a chunk boundary before its final chunk.
	#[error("the encrypted file is truncated: it ends after {chunks} complete chunk(s) without its final chunk")]
	Truncated {
		/// Chunks that were present (and authentic) before the cut.
		chunks: u64,
	},
	/// More bytes follow the final chunk.
	#[error("the encrypted file has extra bytes after its final chunk")]
	TrailingData,
	/// The file has more chunks than the 32-bit chunk counter allows.
	#[error("the file is too large to encrypt: format v1 holds at most 2^32 chunks of {} KiB (256 TiB)", (1u64 << CHUNK_SIZE_EXPONENT) / 1024)]
	TooLarge,
	/// No stream of format v1 has this many bytes.
	#[error("{len} bytes is not the size of any Cairn encrypted file (format v1)")]
	ImpossibleLength {
		/// The length that was given.
		len: u64,
	},
	/// The operating system's random number generator failed.
	#[error("could not get random bytes from the operating system: {0}")]
	Randomness(String),
	/// The cryptography library refused an operation that cannot fail with this crate's
	/// sizes (a bug, never expected).
	#[error("internal error in the cryptography library: {0}")]
	Internal(&'static str),
	/// Reading the input or writing the output failed.
	#[error("I/O error: {0}")]
	Io(#[from] std::io::Error),
}

impl From<Error> for std::io::Error {
	/// For [`EncryptReader`](crate::EncryptReader), which can only fail with an `io::Error`:
	/// I/O errors pass through unchanged, the others travel inside one (get them back with
	/// [`std::io::Error::downcast`]).
	fn from(error: Error) -> Self {
		match error {
			Error::Io(error) => error,
			other => std::io::Error::other(other),
		}
	}
}
