//! Round trips at the chunk boundaries and beyond, the length functions, and what the
//! ciphertext must not reveal.

#![allow(clippy::expect_used)] // Tests state what they expect.

mod common;

use cairn_crypt::{
	ciphertext_len, decrypt, is_encrypted_header, plaintext_len, EncryptReader, Error, FileKey,
	CHUNK_SIZE, ENCRYPTED_CHUNK_LEN, HEADER_LEN, TAG_LEN,
};
use common::{data, key, open, sealed};
use proptest::prelude::*;
use std::io::Read;

fn round_trip(len: usize) {
	let key = key(1);
	let plaintext = data(len as u64, len);
	let ciphertext = sealed(&key, &plaintext);
	assert_eq!(ciphertext.len() as u64, ciphertext_len(len as u64), "length {len}");
	assert_eq!(plaintext_len(ciphertext.len() as u64).expect("possible"), len as u64);
	assert!(is_encrypted_header(&ciphertext));
	let (result, out) = open(&key, &ciphertext);
	assert_eq!(result.expect("decrypts"), len as u64, "length {len}");
	assert!(out == plaintext, "length {len}: decrypted bytes differ");
}

#[test]
fn empty_file_is_the_header_and_one_empty_chunk() {
	round_trip(0);
	assert_eq!(sealed(&key(1), b"").len(), HEADER_LEN + TAG_LEN);
}

#[test]
fn round_trips_at_chunk_boundaries() {
	for len in [1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE] {
		round_trip(len);
	}
}

#[test]
fn full_last_chunk_has_no_empty_chunk_after_it() {
	let ciphertext = sealed(&key(1), &data(2, 2 * CHUNK_SIZE));
	assert_eq!(ciphertext.len(), HEADER_LEN + 2 * ENCRYPTED_CHUNK_LEN);
}

#[test]
fn multi_mib_file_round_trips() {
	round_trip(5 * 1024 * 1024 + 12_345);
}

#[test]
fn encrypt_reader_feeds_a_reader_pipeline() {
	// As `cairn put` uses it: read in large blocks (here 1 MiB, not a multiple of a chunk).
	let key = key(2);
	let plaintext = data(3, 3 * 1024 * 1024 + 7);
	let mut reader = EncryptReader::new(&key, &plaintext[..]).expect("creates");
	let mut ciphertext = Vec::new();
	let mut block = vec![0u8; 1024 * 1024];
	loop {
		let n = reader.read(&mut block).expect("reads");
		if n == 0 {
			break;
		}
		ciphertext.extend_from_slice(&block[..n]);
	}
	assert_eq!(ciphertext.len() as u64, ciphertext_len(plaintext.len() as u64));
	let mut out = Vec::new();
	decrypt(&key, &ciphertext[..], &mut out).expect("decrypts");
	assert!(out == plaintext);
}

#[test]
fn erasure_coding_an_encrypt_reader_round_trips() {
	// The `cairn put` pipeline: the worker's coder reads the encrypted stream; `cairn get`
	// decodes the pieces (here only parity pieces) and decrypts.
	use cairn_erasure::{Coder, Layout};
	let coder =
		Coder::new(Layout::with_shard_size(2, 4, 256 * 1024).expect("shape")).expect("coder");
	let key = key(6);
	let plaintext = data(13, 3 * CHUNK_SIZE + 999);
	let reader = EncryptReader::new(&key, &plaintext[..]).expect("creates");
	let mut pieces: Vec<Vec<u8>> = vec![Vec::new(); 4];
	let encoded = coder.encode(reader, &mut pieces).expect("encodes");
	let size = encoded.plan.file_size();
	assert_eq!(size, ciphertext_len(plaintext.len() as u64));
	let parity = [(2, &pieces[2][..]), (3, &pieces[3][..])];
	let ciphertext = coder.decode_bytes(size, &parity, Some(&encoded.roots)).expect("decodes");
	let (result, out) = open(&key, &ciphertext);
	assert_eq!(result.expect("decrypts"), plaintext.len() as u64);
	assert!(out == plaintext);
}

#[test]
fn length_functions_agree_and_reject_impossible_lengths() {
	let chunk = CHUNK_SIZE as u64;
	let lens = [0, 1, 15, 16, 17, chunk - 1, chunk, chunk + 1, 2 * chunk, 7 * chunk + 3];
	for len in lens {
		assert_eq!(plaintext_len(ciphertext_len(len)).expect("possible"), len);
	}
	// Every ciphertext length around the boundaries is either impossible or the image of
	// exactly the plaintext length it maps back to.
	let mut possible = 0;
	for c in 0..(HEADER_LEN as u64 + 3 * ENCRYPTED_CHUNK_LEN as u64 + 40) {
		match plaintext_len(c) {
			Ok(p) => {
				assert_eq!(ciphertext_len(p), c, "ciphertext length {c}");
				possible += 1;
			}
			Err(Error::ImpossibleLength { len }) => assert_eq!(len, c),
			Err(other) => panic!("unexpected error {other}"),
		}
	}
	// One for each plaintext length 0..3 * chunk + 24 (the range ends 40 bytes past three
	// full chunks: 16 of them are the fourth chunk's tag).
	assert_eq!(possible, 3 * chunk + 24);
	// Too short, a last chunk shorter than its tag, an empty last chunk after full ones.
	let one_chunk = HEADER_LEN as u64 + ENCRYPTED_CHUNK_LEN as u64;
	for c in [0, 47, one_chunk + 5, one_chunk + 16] {
		assert!(matches!(plaintext_len(c), Err(Error::ImpossibleLength { .. })), "{c}");
	}
	// The largest stream: 2^32 chunks; one more byte of plaintext is one chunk too many.
	let most = (1u64 << 32) * chunk;
	assert_eq!(plaintext_len(ciphertext_len(most)).expect("possible"), most);
	assert!(plaintext_len(ciphertext_len(most + 1)).is_err());
}

#[test]
fn different_keys_give_different_ciphertexts() {
	let plaintext = data(4, 3 * CHUNK_SIZE);
	let (a, b) = (FileKey::generate().expect("random"), FileKey::generate().expect("random"));
	assert!(a != b);
	let (first, second) = (sealed(&a, &plaintext), sealed(&b, &plaintext));
	assert_eq!(first.len(), second.len());
	// Past the header no aligned 16-byte block is equal.
	let equal = first[HEADER_LEN..]
		.chunks(16)
		.zip(second[HEADER_LEN..].chunks(16))
		.filter(|(x, y)| x == y)
		.count();
	assert_eq!(equal, 0);
	// Each key opens only its own.
	assert!(matches!(open(&b, &first).0, Err(Error::ChunkRejected { index: 0 })));
}

#[test]
fn a_marker_in_the_plaintext_never_appears_in_the_ciphertext() {
	let marker = b"CAIRN-SECRET-MARKER-7f3a";
	let mut plaintext = Vec::new();
	while plaintext.len() < 3 * CHUNK_SIZE {
		plaintext.extend_from_slice(marker);
		plaintext.extend_from_slice(&data(plaintext.len() as u64, 100));
	}
	let ciphertext = sealed(&key(5), &plaintext);
	assert!(plaintext.windows(marker.len()).any(|w| w == marker));
	// Nor any 8-byte piece of it.
	for piece in marker.windows(8) {
		assert!(!ciphertext.windows(8).any(|w| w == piece), "{:?}", String::from_utf8_lossy(piece));
	}
}

#[test]
fn magic_check() {
	assert!(is_encrypted_header(b"CAIRNENC\x01"));
	assert!(is_encrypted_header(b"CAIRNENC"));
	assert!(!is_encrypted_header(b"CAIRNEN"));
	assert!(!is_encrypted_header(b"%PDF-1.7 ..."));
	assert!(!is_encrypted_header(b""));
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(32))]

	/// Random lengths, random read sizes: the reader's stream always decrypts to the file.
	#[test]
	fn reader_streams_decrypt_for_any_read_sizes(
		len in 0usize..4 * CHUNK_SIZE,
		seed in any::<u64>(),
		size in prop_oneof![1usize..100, 1usize..3 * ENCRYPTED_CHUNK_LEN],
	) {
		let key = key(seed as u8);
		let plaintext = data(seed, len);
		let mut reader = EncryptReader::new(&key, &plaintext[..]).expect("creates");
		let mut ciphertext = Vec::new();
		let mut buf = vec![0u8; size];
		loop {
			let n = reader.read(&mut buf).expect("reads");
			if n == 0 { break; }
			ciphertext.extend_from_slice(&buf[..n]);
		}
		prop_assert_eq!(ciphertext.len() as u64, ciphertext_len(len as u64));
		let (result, out) = open(&key, &ciphertext);
		prop_assert_eq!(result.expect("decrypts"), len as u64);
		prop_assert!(out == plaintext);
	}
}
