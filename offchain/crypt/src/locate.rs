//! Where does the last chunk end? A diagnosis for streams with bytes appended.
//!
//! When the last read of a stream fails to open as the final chunk, either it was damaged or
//! it is the true final chunk followed by extra bytes (`Error::TrailingData`). Telling them
//! apart means finding a prefix of the read that carries a valid tag. Trying each length with
//! the AEAD costs one GHASH of the prefix per length, quadratic in the chunk size: on a full
//! 64 KiB chunk with no valid prefix, opening every length with `aes-gcm` took 1.1-1.2 s in a
//! release build and about 62 s in a debug build, against 3 ms and 0.12 s for this module
//! (measured 2026-11-22 on the benchmark machine). GCM's tag is a polynomial hash (GHASH) of
//! the ciphertext, so the tag of every prefix follows from one pass: keep the hash state after
//! each whole block and finish a copy of it for each length. `aes-gcm` does not expose its
//! GHASH, so this module rebuilds the tag from RustCrypto's `aes` and `ghash` (the crates
//! `aes-gcm` is built on); a length it finds is then opened with `aes-gcm` like any chunk, so
//! the stream's authenticity never depends on this code (if it were wrong, a stream with bytes
//! appended would only be reported as a rejected chunk).

use crate::TAG_LEN;
use aes::{
	cipher::{BlockEncrypt, KeyInit},
	Aes256,
};
use ghash::{universal_hash::UniversalHash, Block, GHash};
use zeroize::Zeroize;

/// The lengths `len <= max_len` (longest first) at which `chunk[..len]`, read as an
/// AES-256-GCM ciphertext followed by its 16-byte tag, has a valid tag under `key`, `nonce`
/// and `aad` (NIST SP 800-38D: tag = GHASH_H(aad, ciphertext, lengths) xor E_K(nonce || 1),
/// H = E_K(0)). Linear in `chunk.len()`.
pub(crate) fn tagged_prefixes(
	key: &[u8; 32],
	nonce: &[u8; 12],
	aad: &[u8],
	chunk: &[u8],
	max_len: usize,
) -> Vec<usize> {
	let Some(max_body) = max_len.min(chunk.len()).checked_sub(TAG_LEN) else {
		return Vec::new();
	};
	let aes = Aes256::new(key.into());
	let mut h = Block::default();
	aes.encrypt_block(&mut h);
	let mut mask = Block::default();
	mask[..12].copy_from_slice(nonce);
	mask[15] = 1;
	aes.encrypt_block(&mut mask);
	// GHASH of the associated data and of the whole ciphertext blocks before `body`.
	let mut whole = GHash::new(&h);
	whole.update_padded(aad);
	let aad_bits = (aad.len() as u64 * 8).to_be_bytes();
	let mut found = Vec::new();
	for body in 0..=max_body {
		let start = body - body % 16;
		if body > 0 && start == body {
			whole.update(&[Block::clone_from_slice(&chunk[body - 16..body])]);
		}
		let mut hash = whole.clone();
		hash.update_padded(&chunk[start..body]);
		let mut lengths = Block::default();
		lengths[..8].copy_from_slice(&aad_bits);
		lengths[8..].copy_from_slice(&(body as u64 * 8).to_be_bytes());
		hash.update(&[lengths]);
		let tag = hash.finalize();
		let given = &chunk[body..body + TAG_LEN];
		let diff =
			tag.iter().zip(mask.iter()).zip(given).fold(0u8, |d, ((t, m), g)| d | (t ^ m ^ g));
		if diff == 0 {
			found.push(body + TAG_LEN);
		}
	}
	// The AES key schedule is wiped when `aes` drops (`aes`'s `zeroize` feature); the GHASH
	// states are not (see the README, "Security notes").
	h.as_mut_slice().zeroize();
	mask.as_mut_slice().zeroize();
	found.reverse();
	found
}

#[cfg(test)]
#[allow(clippy::expect_used)] // Tests state what they expect.
mod tests {
	use super::*;
	use aes_gcm::{aead::AeadInPlace, Aes256Gcm};

	#[test]
	fn finds_exactly_the_end_of_a_sealed_message_followed_by_junk() {
		let key = [5u8; 32];
		let nonce = [9u8; 12];
		let aad = [1u8; 32];
		let cipher = Aes256Gcm::new(&key.into());
		for len in [0usize, 1, 15, 16, 17, 100, 4096] {
			let mut sealed: Vec<u8> = (0..len).map(|i| i as u8).collect();
			let tag =
				cipher.encrypt_in_place_detached(&nonce.into(), &aad, &mut sealed).expect("seals");
			sealed.extend_from_slice(&tag);
			let end = sealed.len();
			sealed.extend((0..300).map(|i| (i * 7) as u8));
			let total = sealed.len();
			assert_eq!(tagged_prefixes(&key, &nonce, &aad, &sealed, total), vec![end], "{len}");
			// Not found when the limit is below the end, nor under another nonce.
			assert!(tagged_prefixes(&key, &nonce, &aad, &sealed, end - 1).is_empty());
			assert!(tagged_prefixes(&key, &[8; 12], &aad, &sealed, total).is_empty());
		}
	}
}
