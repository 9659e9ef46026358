//! Every way of damaging a stream gives its own error, and the writer never receives a byte
//! of a chunk that did not authenticate (nor of anything after it).

#![allow(clippy::expect_used, clippy::panic)] // Tests state what they expect.

mod common;

use cairn_crypt::{Error, CHUNK_SIZE, ENCRYPTED_CHUNK_LEN, HEADER_LEN};
use common::{chunk_range, data, key, open, sealed};

/// 3.5 chunks: three full middle chunks and a half-full last one.
fn file() -> Vec<u8> {
	data(7, 3 * CHUNK_SIZE + CHUNK_SIZE / 2)
}

/// Decrypting `ciphertext` fails with a chunk rejection at `index`, and the writer holds
/// exactly the plaintext of the chunks before it.
fn assert_rejected_at(ciphertext: &[u8], plaintext: &[u8], index: u64) {
	let (result, out) = open(&key(1), ciphertext);
	match result {
		Err(Error::ChunkRejected { index: got }) => assert_eq!(got, index),
		other => panic!("expected chunk {index} rejected, got {other:?}"),
	}
	assert!(out == plaintext[..index as usize * CHUNK_SIZE], "wrote {} bytes", out.len());
}

#[test]
fn a_flipped_bit_in_any_chunk_is_rejected_at_that_chunk() {
	let plaintext = file();
	let ciphertext = sealed(&key(1), &plaintext);
	for index in 0..4 {
		let range = chunk_range(&ciphertext, index);
		// First and last byte of the body, and the last byte of the tag.
		for at in [range.start, range.end - 17, range.end - 1] {
			let mut damaged = ciphertext.clone();
			damaged[at] ^= 0x01;
			assert_rejected_at(&damaged, &plaintext, index as u64);
		}
	}
}

#[test]
fn every_byte_of_a_small_stream_is_protected() {
	let plaintext = data(8, 40);
	let ciphertext = sealed(&key(1), &plaintext);
	for at in 0..ciphertext.len() {
		let mut damaged = ciphertext.clone();
		damaged[at] ^= 0x80;
		let (result, out) = open(&key(1), &damaged);
		assert!(out.is_empty(), "byte {at}: wrote {} bytes", out.len());
		match (at, result) {
			(0..=7, Err(Error::NotEncrypted)) => {}
			(8, Err(Error::UnsupportedVersion(0x81))) => {}
			(9, Err(Error::UnsupportedAlgorithm(0x81))) => {}
			(10, Err(Error::MalformedHeader(_))) => {}
			// The nonce prefix and the chunk itself: only authentication sees these.
			(11..=17, Err(Error::ChunkRejected { index: 0 })) => {}
			(18..=31, Err(Error::MalformedHeader(_))) => {}
			(32.., Err(Error::ChunkRejected { index: 0 })) => {}
			(at, other) => panic!("byte {at}: unexpected {other:?}"),
		}
	}
}

#[test]
fn swapped_chunks_are_rejected() {
	let plaintext = file();
	let ciphertext = sealed(&key(1), &plaintext);
	let (one, two) = (chunk_range(&ciphertext, 1), chunk_range(&ciphertext, 2));
	let mut swapped = ciphertext.clone();
	swapped[one.clone()].copy_from_slice(&ciphertext[two.clone()]);
	swapped[two].copy_from_slice(&ciphertext[one]);
	assert_rejected_at(&swapped, &plaintext, 1);
}

#[test]
fn the_short_last_chunk_moved_forward_is_rejected() {
	let plaintext = file();
	let ciphertext = sealed(&key(1), &plaintext);
	let (two, last) = (chunk_range(&ciphertext, 2), chunk_range(&ciphertext, 3));
	let mut moved = ciphertext[..two.start].to_vec();
	moved.extend_from_slice(&ciphertext[last]);
	moved.extend_from_slice(&ciphertext[two]);
	assert_rejected_at(&moved, &plaintext, 2);
}

#[test]
fn a_chunk_from_another_position_is_rejected() {
	let plaintext = file();
	let ciphertext = sealed(&key(1), &plaintext);
	let mut spliced = ciphertext.clone();
	spliced.copy_within(chunk_range(&ciphertext, 0), chunk_range(&ciphertext, 2).start);
	assert_rejected_at(&spliced, &plaintext, 2);
}

#[test]
fn a_chunk_from_another_file_is_rejected() {
	let plaintext = file();
	let ciphertext = sealed(&key(1), &plaintext);
	// Another file under another key, and another file under the same key (a key must not be
	// reused, but even then the random nonce prefix keeps the streams apart).
	for other_key in [key(2), key(1)] {
		let other = sealed(&other_key, &data(9, 2 * CHUNK_SIZE + 10));
		let mut spliced = ciphertext.clone();
		let one = chunk_range(&ciphertext, 1);
		spliced[one.clone()].copy_from_slice(&other[chunk_range(&other, 1)]);
		assert_rejected_at(&spliced, &plaintext, 1);
	}
}

#[test]
fn a_stream_cut_at_a_chunk_boundary_is_truncated() {
	let plaintext = file();
	let ciphertext = sealed(&key(1), &plaintext);
	// Cut after the header, after each middle chunk (the last cut drops just the final chunk).
	for kept in 0..=3 {
		let cut = HEADER_LEN + kept * ENCRYPTED_CHUNK_LEN;
		let (result, out) = open(&key(1), &ciphertext[..cut]);
		match result {
			Err(Error::Truncated { chunks }) => assert_eq!(chunks, kept as u64),
			other => panic!("kept {kept} chunks: expected truncation, got {other:?}"),
		}
		// Only the chunks before the cut were written (all of them authentic).
		assert!(out == plaintext[..kept * CHUNK_SIZE], "kept {kept}: wrote {}", out.len());
	}
}

#[test]
fn dropping_a_full_final_chunk_is_truncated() {
	let plaintext = data(10, 3 * CHUNK_SIZE);
	let ciphertext = sealed(&key(1), &plaintext);
	let (result, out) = open(&key(1), &ciphertext[..HEADER_LEN + 2 * ENCRYPTED_CHUNK_LEN]);
	assert!(matches!(result, Err(Error::Truncated { chunks: 2 })), "{result:?}");
	assert!(out == plaintext[..2 * CHUNK_SIZE]);
}

#[test]
fn a_stream_cut_inside_a_chunk_rejects_that_chunk() {
	let plaintext = file();
	let ciphertext = sealed(&key(1), &plaintext);
	for cut in [chunk_range(&ciphertext, 2).start + 100, chunk_range(&ciphertext, 3).end - 1] {
		let index = ((cut - HEADER_LEN) / ENCRYPTED_CHUNK_LEN) as u64;
		assert_rejected_at(&ciphertext[..cut], &plaintext, index);
	}
	// Inside the header.
	let (result, out) = open(&key(1), &ciphertext[..20]);
	assert!(matches!(result, Err(Error::MalformedHeader(_))), "{result:?}");
	assert!(out.is_empty());
}

#[test]
fn bytes_after_the_final_chunk_are_trailing_data() {
	let junk = data(11, 3 * ENCRYPTED_CHUNK_LEN);
	// Short, full and empty final chunks; one byte to more than a chunk of junk, and a whole
	// second encrypted file appended.
	for len in [100, 3 * CHUNK_SIZE + CHUNK_SIZE / 2, 2 * CHUNK_SIZE, 0] {
		let plaintext = data(12, len);
		let ciphertext = sealed(&key(1), &plaintext);
		let second = sealed(&key(1), b"another file");
		for extra in [&junk[..1], &junk[..16], &junk[..1000], &junk[..], &second[..]] {
			let mut longer = ciphertext.clone();
			longer.extend_from_slice(extra);
			let (result, out) = open(&key(1), &longer);
			assert!(
				matches!(result, Err(Error::TrailingData)),
				"length {len}, {} extra bytes: {result:?}",
				extra.len()
			);
			// Every chunk authenticated, so all of the file was written before the error.
			assert!(out == plaintext, "length {len}, {} extra bytes", extra.len());
		}
	}
}

#[test]
fn the_header_is_checked_before_any_chunk() {
	let plaintext = file();
	let ciphertext = sealed(&key(1), &plaintext);
	for (at, value) in [(0, b'X'), (8, 2), (9, 7), (10, 20)] {
		let mut damaged = ciphertext.clone();
		damaged[at] = value;
		let (result, out) = open(&key(1), &damaged);
		match (at, result) {
			(0, Err(Error::NotEncrypted)) => {}
			(8, Err(Error::UnsupportedVersion(2))) => {}
			(9, Err(Error::UnsupportedAlgorithm(7))) => {}
			(10, Err(Error::MalformedHeader(_))) => {}
			(_, other) => panic!("byte {at} = {value}: {other:?}"),
		}
		assert!(out.is_empty());
	}
	// Not encrypted at all, or empty.
	for input in [&b"just some text, long enough to be a header......"[..], b""] {
		let (result, out) = open(&key(1), input);
		assert!(matches!(result, Err(Error::NotEncrypted)), "{result:?}");
		assert!(out.is_empty());
	}
}

#[test]
fn the_wrong_key_is_rejected_at_the_first_chunk() {
	let plaintext = file();
	let ciphertext = sealed(&key(1), &plaintext);
	let (result, out) = open(&key(2), &ciphertext);
	assert!(matches!(result, Err(Error::ChunkRejected { index: 0 })), "{result:?}");
	assert!(out.is_empty());
}

#[test]
fn error_messages_explain_themselves() {
	let rejected = Error::ChunkRejected { index: 3 }.to_string();
	assert!(rejected.starts_with("chunk 3 failed authentication"), "{rejected}");
	assert!(rejected.contains("tampered with, reordered or spliced"), "{rejected}");
	let truncated = Error::Truncated { chunks: 2 }.to_string();
	assert!(truncated.contains("truncated") && truncated.contains('2'), "{truncated}");
	assert!(Error::TrailingData.to_string().contains("extra bytes after its final chunk"));
	assert!(Error::UnsupportedVersion(9).to_string().contains("version 9"));
	assert!(Error::MalformedWrappedKey { len: 3 }.to_string().contains("3 bytes"));
}
