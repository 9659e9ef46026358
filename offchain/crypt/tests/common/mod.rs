//! Helpers shared by the integration tests.

#![allow(dead_code, clippy::expect_used)] // Not every test file uses every helper.

use cairn_crypt::{decrypt, encrypt, Error, FileKey, ENCRYPTED_CHUNK_LEN, HEADER_LEN};

/// `len` bytes of cheap pseudo-random data, different for each seed.
pub fn data(seed: u64, len: usize) -> Vec<u8> {
	let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
	(0..len)
		.map(|_| {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			state as u8
		})
		.collect()
}

/// A fixed key, different for each seed.
pub fn key(seed: u8) -> FileKey {
	FileKey::from_bytes([seed; 32])
}

/// `plaintext` encrypted under `key`.
pub fn sealed(key: &FileKey, plaintext: &[u8]) -> Vec<u8> {
	let mut out = Vec::new();
	let written = encrypt(key, plaintext, &mut out).expect("encrypts");
	assert_eq!(written, out.len() as u64);
	out
}

/// Decrypt `ciphertext`: the result and everything the writer received.
pub fn open(key: &FileKey, ciphertext: &[u8]) -> (Result<u64, Error>, Vec<u8>) {
	let mut out = Vec::new();
	let result = decrypt(key, ciphertext, &mut out);
	(result, out)
}

/// Byte range of encrypted chunk `index` in a stream.
pub fn chunk_range(ciphertext: &[u8], index: usize) -> std::ops::Range<usize> {
	let start = HEADER_LEN + index * ENCRYPTED_CHUNK_LEN;
	start..(start + ENCRYPTED_CHUNK_LEN).min(ciphertext.len())
}
