//! The streaming API: odd readers, declared sizes, piece selection, and every typed error.

#![allow(clippy::expect_used)] // Tests state what they expect.

mod common;

use cairn_erasure::{verify_piece, Error, PieceReader, PieceWriter, SizeFound, LEAF_SIZE};
use common::{coder, data};
use std::io::{self, Read};

/// Yields its bytes a few at a time, with an `Interrupted` error before every read.
struct Trickle<'a> {
	bytes: &'a [u8],
	interrupt: bool,
}

impl Read for Trickle<'_> {
	fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
		self.interrupt = !self.interrupt;
		if self.interrupt {
			return Err(io::ErrorKind::Interrupted.into());
		}
		let len = buf.len().min(self.bytes.len()).min(1 + self.bytes.len() % 7);
		buf[..len].copy_from_slice(&self.bytes[..len]);
		self.bytes = &self.bytes[len..];
		Ok(len)
	}
}

/// Fails every read: proves a piece is never touched.
struct Untouchable;

impl Read for Untouchable {
	fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
		Err(io::Error::other("this piece must not be read"))
	}
}

#[test]
fn trickling_reader_gives_the_same_pieces() {
	let coder = coder(4, 6, 1);
	let file = data(1, 3 * 4 * LEAF_SIZE + 1000);
	let expected = coder.encode_bytes(&file).expect("encodes");
	let mut sinks = vec![Vec::new(); 6];
	let encoded =
		coder.encode(Trickle { bytes: &file, interrupt: false }, &mut sinks).expect("encodes");
	assert_eq!(encoded.roots, expected.roots);
	assert_eq!(sinks, expected.pieces);

	let mut readers: Vec<_> = (2..6)
		.map(|i| PieceReader::new(i, Trickle { bytes: &expected.pieces[i], interrupt: false }))
		.collect();
	let mut out = Vec::new();
	coder
		.decode(file.len() as u64, &mut readers, Some(&expected.roots), &mut out)
		.expect("decodes");
	assert_eq!(out, file);
}

#[test]
fn unhashed_encode_writes_the_same_pieces() {
	let coder = coder(2, 4, 2);
	let file = data(2, 20_000);
	let expected = coder.encode_bytes(&file).expect("encodes");
	let mut sinks = vec![Vec::new(); 4];
	let plan = coder.encode_unhashed(&file[..], &mut sinks).expect("encodes");
	assert_eq!(plan, expected.plan);
	assert_eq!(sinks, expected.pieces);
}

#[test]
fn encode_exact_checks_the_declared_size() {
	let coder = coder(2, 4, 1);
	let file = data(3, 10_000);
	let mut sinks = vec![Vec::new(); 4];
	let encoded = coder.encode_exact(&file[..], 10_000, &mut sinks).expect("right size");
	assert_eq!(encoded.plan.file_size(), 10_000);
	for declared in [9_999, 4_096, 1] {
		let mut sinks = vec![Vec::new(); 4];
		let result = coder.encode_exact(&file[..], declared, &mut sinks);
		assert!(
			matches!(result, Err(Error::FileSize { expected, actual: SizeFound::Long }) if expected == declared)
		);
	}
	for declared in [10_001, 1 << 40] {
		let mut sinks = vec![Vec::new(); 4];
		let result = coder.encode_exact(&file[..], declared, &mut sinks);
		assert!(matches!(
			result,
			Err(Error::FileSize { expected, actual: SizeFound::Short(10_000) }) if expected == declared
		));
	}
}

#[test]
fn wrong_sink_count_is_refused() {
	let coder = coder(2, 4, 1);
	let mut sinks = vec![Vec::new(); 3];
	assert!(matches!(
		coder.encode(&[1u8][..], &mut sinks),
		Err(Error::WrongSinkCount { given: 3, expected: 4 })
	));
}

#[test]
fn decode_reads_only_the_lowest_k_pieces() {
	let coder = coder(2, 4, 1);
	let file = data(4, 9_000);
	let encoded = coder.encode_bytes(&file).expect("encodes");
	let mut readers: Vec<PieceReader<Box<dyn Read + '_>>> = vec![
		PieceReader::new(3, Box::new(Untouchable)),
		PieceReader::new(1, Box::new(&encoded.pieces[1][..])),
		PieceReader::new(2, Box::new(&encoded.pieces[2][..])),
	];
	let mut out = Vec::new();
	coder.decode(file.len() as u64, &mut readers, Some(&encoded.roots), &mut out).expect("decodes");
	assert_eq!(out, file);
}

#[test]
fn bad_piece_sets_are_refused() {
	let coder = coder(2, 4, 1);
	let file = data(5, 5_000);
	let encoded = coder.encode_bytes(&file).expect("encodes");
	let piece = |i: usize| (i, &encoded.pieces[i][..]);
	let size = file.len() as u64;
	assert!(matches!(
		coder.decode_bytes(size, &[piece(1)], None),
		Err(Error::TooFewPieces { available: 1, required: 2 })
	));
	assert!(matches!(
		coder.decode_bytes(size, &[piece(1), piece(1)], None),
		Err(Error::DuplicatePiece { index: 1 })
	));
	assert!(matches!(
		coder.decode_bytes(size, &[piece(1), (4, &encoded.pieces[0][..])], None),
		Err(Error::PieceIndexOutOfRange { index: 4, total: 4 })
	));
	assert!(matches!(
		coder.decode_bytes(size, &[piece(1), piece(2)], Some(&encoded.roots[..3])),
		Err(Error::WrongRootCount { given: 3, expected: 4 })
	));
	assert!(matches!(
		coder.reconstruct_bytes(size, &[piece(1), piece(2)], None, &[0, 0]),
		Err(Error::DuplicatePiece { index: 0 })
	));
	assert!(matches!(
		coder.reconstruct_bytes(size, &[piece(1), piece(2)], None, &[7]),
		Err(Error::PieceIndexOutOfRange { index: 7, total: 4 })
	));
}

#[test]
fn corrupt_piece_is_detected_by_its_root() {
	let coder = coder(4, 6, 1);
	let file = data(6, 40_000);
	let encoded = coder.encode_bytes(&file).expect("encodes");
	let size = file.len() as u64;
	for corrupt in 0..6 {
		let mut bad = encoded.pieces[corrupt].clone();
		let at = bad.len() / 2 + corrupt;
		bad[at] ^= 0x10;
		let mut pieces: Vec<(usize, &[u8])> = (0..6).map(|i| (i, &encoded.pieces[i][..])).collect();
		pieces[corrupt].1 = &bad;
		// The corrupt piece and three others: exactly k, so all four are read.
		let others = pieces.iter().copied().filter(|(i, _)| *i != corrupt).take(3);
		let chosen: Vec<(usize, &[u8])> = others.chain([pieces[corrupt]]).collect();
		let result = coder.decode_bytes(size, &chosen, Some(&encoded.roots));
		assert!(
			matches!(result, Err(Error::CorruptPiece { index, .. }) if index == corrupt),
			"piece {corrupt}: {result:?}"
		);
		assert!(matches!(
			verify_piece(corrupt, &bad[..], bad.len() as u64, &encoded.roots[corrupt]),
			Err(Error::CorruptPiece { index, .. }) if index == corrupt
		));
		// Left out, the other pieces still give the file.
		let good: Vec<(usize, &[u8])> =
			pieces.iter().copied().filter(|(i, _)| *i != corrupt).collect();
		assert_eq!(coder.decode_bytes(size, &good, Some(&encoded.roots)).expect("decodes"), file);
		// A rebuild from a corrupt piece is caught too.
		let missing = if corrupt == 0 { 1 } else { 0 };
		let from: Vec<(usize, &[u8])> =
			pieces.iter().copied().filter(|(i, _)| *i != missing).take(4).collect();
		if from.iter().any(|(i, _)| *i == corrupt) {
			assert!(matches!(
				coder.reconstruct_bytes(size, &from, Some(&encoded.roots), &[missing]),
				Err(Error::CorruptPiece { .. })
			));
		}
	}
}

#[test]
fn pieces_of_the_wrong_size_are_refused() {
	let coder = coder(2, 4, 1);
	let file = data(7, 3 * 2 * LEAF_SIZE);
	let encoded = coder.encode_bytes(&file).expect("encodes");
	let size = file.len() as u64;
	let piece_size = encoded.plan.piece_size();
	let short = &encoded.pieces[0][..LEAF_SIZE + 3];
	assert!(matches!(
		coder.decode_bytes(size, &[(0, short), (1, &encoded.pieces[1][..])], None),
		Err(Error::PieceSize { index: 0, expected, actual: SizeFound::Short(_) }) if expected == piece_size
	));
	let mut long = encoded.pieces[1].clone();
	long.push(0);
	assert!(matches!(
		coder.decode_bytes(size, &[(0, &encoded.pieces[0][..]), (1, &long)], None),
		Err(Error::PieceSize { index: 1, actual: SizeFound::Long, .. })
	));
	assert!(matches!(
		verify_piece(1, &long[..], piece_size, &encoded.roots[1]),
		Err(Error::PieceSize { index: 1, actual: SizeFound::Long, .. })
	));
	assert!(matches!(
		verify_piece(0, short, piece_size, &encoded.roots[0]),
		Err(Error::PieceSize { index: 0, actual: SizeFound::Short(n), .. }) if n == short.len() as u64
	));
	verify_piece(0, &encoded.pieces[0][..], piece_size, &encoded.roots[0]).expect("intact");
	// Pieces of the right size for another file size.
	assert!(matches!(
		coder.decode_bytes(
			size + 10 * LEAF_SIZE as u64,
			&[(0, &encoded.pieces[0][..]), (1, &encoded.pieces[1][..])],
			None
		),
		Err(Error::PieceSize { .. })
	));
}

#[test]
fn rebuild_writes_to_any_writer() {
	let coder = coder(2, 4, 1);
	let file = data(8, 12_345);
	let encoded = coder.encode_bytes(&file).expect("encodes");
	let mut readers = vec![
		PieceReader::new(3, &encoded.pieces[3][..]),
		PieceReader::new(0, &encoded.pieces[0][..]),
	];
	let mut targets = vec![PieceWriter::new(1, Vec::new()), PieceWriter::new(2, Vec::new())];
	coder
		.reconstruct(file.len() as u64, &mut readers, Some(&encoded.roots), &mut targets)
		.expect("rebuilds");
	assert_eq!(targets[0].writer, encoded.pieces[1]);
	assert_eq!(targets[1].writer, encoded.pieces[2]);
}

#[test]
fn absurd_file_sizes_are_refused_without_reserving_them() {
	// Found by the `erasure_decode` fuzz target: `decode_bytes` reserved the claimed size.
	let coder = coder(2, 4, 1);
	let piece = vec![7u8; LEAF_SIZE];
	let pieces = [(0, &piece[..]), (1, &piece[..])];
	for size in [u64::MAX, u64::MAX / 2, 1 << 40, 4_278_190_129] {
		assert!(coder.decode_bytes(size, &pieces, None).is_err(), "size {size}");
		assert!(coder.reconstruct_bytes(size, &pieces, None, &[2]).is_err(), "size {size}");
	}
}
