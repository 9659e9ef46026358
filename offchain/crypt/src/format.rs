//! Format v1: the stream header, chunk nonces and the lengths they imply.

use crate::{
	Error, CHUNK_SIZE, CHUNK_SIZE_EXPONENT, ENCRYPTED_CHUNK_LEN, HEADER_LEN, MAGIC,
	NONCE_PREFIX_LEN, TAG_LEN,
};

/// Format version written in the stream header and in wrapped keys.
pub(crate) const VERSION: u8 = 1;
/// Algorithm id of AES-256-GCM, the only one of format v1.
pub(crate) const ALGORITHM_AES_256_GCM: u8 = 1;
/// Offsets of the header fields (see the README's format table).
const VERSION_AT: usize = 8;
const ALGORITHM_AT: usize = 9;
const EXPONENT_AT: usize = 10;
const PREFIX_AT: usize = 11;
const PADDING_AT: usize = PREFIX_AT + NONCE_PREFIX_LEN;
/// The chunk counter is 32 bits: at most 2^32 chunks per stream.
const MAX_CHUNKS: u64 = 1 << 32;

/// A parsed stream header: its bytes (the associated data of every chunk) and nonce prefix.
pub(crate) struct Header {
	pub(crate) bytes: [u8; HEADER_LEN],
	pub(crate) prefix: [u8; NONCE_PREFIX_LEN],
}

impl Header {
	/// The header of a new stream with this nonce prefix.
	pub(crate) fn new(prefix: [u8; NONCE_PREFIX_LEN]) -> Self {
		let mut bytes = [0u8; HEADER_LEN];
		bytes[..MAGIC.len()].copy_from_slice(MAGIC);
		bytes[VERSION_AT] = VERSION;
		bytes[ALGORITHM_AT] = ALGORITHM_AES_256_GCM;
		bytes[EXPONENT_AT] = CHUNK_SIZE_EXPONENT;
		bytes[PREFIX_AT..PADDING_AT].copy_from_slice(&prefix);
		// The rest is zero padding.
		Self { bytes, prefix }
	}

	/// Parse the first bytes of a stream (at most `HEADER_LEN` of them; fewer if it is
	/// shorter). Every field is checked here except the nonce prefix, which (like the whole
	/// header) is authenticated by every chunk.
	pub(crate) fn parse(first: &[u8]) -> Result<Self, Error> {
		if !is_encrypted_header(first) {
			return Err(Error::NotEncrypted);
		}
		let bytes: [u8; HEADER_LEN] = first
			.get(..HEADER_LEN)
			.and_then(|bytes| bytes.try_into().ok())
			.ok_or(Error::MalformedHeader("the data ends inside the 32-byte header"))?;
		if bytes[VERSION_AT] != VERSION {
			return Err(Error::UnsupportedVersion(bytes[VERSION_AT]));
		}
		if bytes[ALGORITHM_AT] != ALGORITHM_AES_256_GCM {
			return Err(Error::UnsupportedAlgorithm(bytes[ALGORITHM_AT]));
		}
		if bytes[EXPONENT_AT] != CHUNK_SIZE_EXPONENT {
			return Err(Error::MalformedHeader(
				"the chunk size is not 64 KiB (exponent 16), the only size version 1 allows",
			));
		}
		if bytes[PADDING_AT..].iter().any(|&byte| byte != 0) {
			return Err(Error::MalformedHeader("the reserved header bytes are not zero"));
		}
		let mut prefix = [0u8; NONCE_PREFIX_LEN];
		prefix.copy_from_slice(&bytes[PREFIX_AT..PADDING_AT]);
		Ok(Self { bytes, prefix })
	}

	/// The 96-bit nonce of chunk `index`: prefix || big-endian u32 index || last-chunk flag.
	/// `None` past the 2^32nd chunk.
	pub(crate) fn nonce(&self, index: u64, last: bool) -> Option<[u8; 12]> {
		let counter = u32::try_from(index).ok()?;
		let mut nonce = [0u8; 12];
		nonce[..NONCE_PREFIX_LEN].copy_from_slice(&self.prefix);
		nonce[NONCE_PREFIX_LEN..11].copy_from_slice(&counter.to_be_bytes());
		nonce[11] = u8::from(last);
		Some(nonce)
	}
}

/// True if `first_bytes` (the start of a file, at least 8 bytes of it) begins with the
/// `CAIRNENC` magic of an encrypted stream. Says nothing about the rest of the header.
pub fn is_encrypted_header(first_bytes: &[u8]) -> bool {
	first_bytes.starts_with(MAGIC)
}

/// Chunks in the stream of a `plaintext_len`-byte file: all full but the last, which holds
/// 1..=`CHUNK_SIZE` bytes (an empty file has one empty chunk).
fn chunk_count(plaintext_len: u64) -> u64 {
	plaintext_len.div_ceil(CHUNK_SIZE as u64).max(1)
}

/// Bytes of the encrypted stream of a `plaintext_len`-byte file: header, plaintext and one
/// tag per chunk. Past the 256 TiB (2^32 chunks) a stream can hold, the same formula
/// (saturating at `u64::MAX`) gives a length no stream has.
pub fn ciphertext_len(plaintext_len: u64) -> u64 {
	chunk_count(plaintext_len)
		.saturating_mul(TAG_LEN as u64)
		.saturating_add(plaintext_len)
		.saturating_add(HEADER_LEN as u64)
}

/// Plaintext bytes in an encrypted stream of `ciphertext_len` bytes, or
/// [`Error::ImpossibleLength`] if no file encrypts to that length (the exact inverse of
/// [`ciphertext_len`] on every length a stream can have).
pub fn plaintext_len(ciphertext_len: u64) -> Result<u64, Error> {
	let impossible = || Error::ImpossibleLength { len: ciphertext_len };
	let body = ciphertext_len.checked_sub(HEADER_LEN as u64).ok_or_else(impossible)?;
	let chunk = ENCRYPTED_CHUNK_LEN as u64;
	let (full, rest) = (body / chunk, body % chunk);
	let (chunks, plaintext) = match rest {
		// Only full chunks: the last one is full too (there is at least one, as body >= 16).
		0 if full > 0 => (full, full * CHUNK_SIZE as u64),
		// A short last chunk: it holds 1.. bytes, or none if it is the only chunk.
		_ if rest > TAG_LEN as u64 || (rest == TAG_LEN as u64 && full == 0) => {
			(full + 1, full * CHUNK_SIZE as u64 + rest - TAG_LEN as u64)
		}
		_ => return Err(impossible()),
	};
	if chunks > MAX_CHUNKS {
		return Err(impossible());
	}
	Ok(plaintext)
}
