//! Decode and rebuild from arbitrary pieces: never a panic, never the codec's internal error,
//! and never a wrong file when the roots are checked.
//!
//! Three kinds of input, so that the fuzzer reaches past the size checks:
//! - `Raw`: arbitrary pieces, indices, file size (any `u64`) and roots;
//! - `Sized`: arbitrary bytes cut into pieces of exactly the right size, so the codec runs on
//!   garbage (it must then decode to something of the file's size);
//! - `Damaged`: a real file's pieces, then flipped, cut, lengthened, swapped or dropped; with
//!   the roots, decode must give the file or a typed error, and a rebuild must give the
//!   original pieces or a typed error.

#![no_main]

use arbitrary::Arbitrary;
use cairn_erasure::{Coder, Error, Layout, LEAF_SIZE};
use libfuzzer_sys::fuzz_target;

/// A small layout: `1 <= k <= 16`, `k < n <= k + 8`, shards of 1 to 20 leaves (so up to
/// 40 KiB, past one 32 KiB coding stripe).
#[derive(Arbitrary, Debug)]
struct Shape {
	k: u8,
	parity: u8,
	leaves: u8,
}

impl Shape {
	fn coder(&self) -> Option<Coder> {
		let k = 1 + u16::from(self.k % 16);
		let n = k + 1 + u16::from(self.parity % 8);
		let shard = (1 + u32::from(self.leaves % 20)) * LEAF_SIZE as u32;
		let layout = Layout::with_shard_size(k, n, shard).ok()?;
		Coder::new(layout).ok()
	}
}

#[derive(Arbitrary, Debug)]
enum Damage {
	Flip { piece: u8, at: u32, mask: u8 },
	Truncate { piece: u8, len: u32 },
	Extend { piece: u8, bytes: Vec<u8> },
	Swap { a: u8, b: u8 },
	Drop { piece: u8 },
}

#[derive(Arbitrary, Debug)]
enum Input {
	Raw {
		shape: Shape,
		file_size: u64,
		pieces: Vec<(u8, Vec<u8>)>,
		roots: Option<Vec<[u8; 32]>>,
		wanted: Vec<u8>,
	},
	Sized {
		shape: Shape,
		file_size: u16,
		indices: Vec<u8>,
		bytes: Vec<u8>,
		wanted: Vec<u8>,
	},
	Damaged {
		shape: Shape,
		file: Vec<u8>,
		damage: Vec<Damage>,
		/// Rotates which pieces are offered first.
		rotate: u8,
		with_roots: bool,
	},
}

/// The codec's own error means this crate called it with a shape it had not checked.
fn check(error: &Error) {
	assert!(!matches!(error, Error::ReedSolomon(_)), "codec called with bad shapes: {error}");
}

fn indices(raw: &[u8], n: usize) -> Vec<usize> {
	// Mostly in range, sometimes not.
	raw.iter().map(|i| usize::from(*i) % (n + 2)).collect()
}

fn raw(coder: &Coder, size: u64, pieces: &[(usize, &[u8])], roots: Option<&[[u8; 32]]>, wanted: &[usize]) {
	if let Err(error) = coder.decode_bytes(size, pieces, roots) {
		check(&error);
	}
	if let Err(error) = coder.reconstruct_bytes(size, pieces, roots, wanted) {
		check(&error);
	}
}

fn sized(coder: &Coder, size: u64, indices: &[usize], bytes: &[u8], wanted: &[usize]) {
	let Ok(plan) = coder.layout().plan(size) else { return };
	let piece_size = plan.piece_size() as usize;
	let pieces: Vec<Vec<u8>> = (0..indices.len())
		.map(|i| bytes.iter().copied().cycle().skip(i).take(piece_size).collect())
		.collect();
	let given: Vec<(usize, &[u8])> =
		indices.iter().copied().zip(pieces.iter().map(|piece| &piece[..])).collect();
	let decoded = coder.decode_bytes(size, &given, None);
	let n = usize::from(coder.layout().total_shards());
	let k = usize::from(coder.layout().data_shards());
	let mut distinct = indices.to_vec();
	distinct.sort_unstable();
	distinct.dedup();
	let valid = distinct.len() == indices.len() && distinct.iter().all(|i| *i < n);
	match decoded {
		Ok(file) => assert_eq!(file.len() as u64, size),
		Err(error) => {
			check(&error);
			// Pieces of the right size, distinct, in range and at least `k`: must decode.
			assert!(
				!(valid && indices.len() >= k && !bytes.is_empty()),
				"valid pieces refused: {error}"
			);
		}
	}
	if let Err(error) = coder.reconstruct_bytes(size, &given, None, wanted) {
		check(&error);
	}
}

fn damaged(coder: &Coder, file: &[u8], damage: &[Damage], rotate: u8, with_roots: bool) {
	let Ok(encoded) = coder.encode_bytes(file) else {
		assert!(file.is_empty(), "a non-empty file must encode");
		return;
	};
	let n = encoded.pieces.len();
	let size = file.len() as u64;
	let mut pieces: Vec<(usize, Vec<u8>)> = encoded.pieces.iter().cloned().enumerate().collect();
	let mut touched = false;
	for step in damage {
		if pieces.is_empty() {
			break;
		}
		let count = pieces.len();
		let at = |piece: u8| usize::from(piece) % count;
		match step {
			Damage::Flip { piece, at: offset, mask } => {
				let bytes = &mut pieces[at(*piece)].1;
				if !bytes.is_empty() && *mask != 0 {
					let len = bytes.len();
					bytes[*offset as usize % len] ^= mask;
					touched = true;
				}
			}
			Damage::Truncate { piece, len } => {
				let bytes = &mut pieces[at(*piece)].1;
				let len = *len as usize % (bytes.len() + 1);
				touched |= len < bytes.len();
				bytes.truncate(len);
			}
			Damage::Extend { piece, bytes: more } => {
				touched |= !more.is_empty();
				pieces[at(*piece)].1.extend_from_slice(more);
			}
			Damage::Swap { a, b } => {
				let (a, b) = (at(*a), at(*b));
				if a != b {
					touched |= pieces[a].1 != pieces[b].1;
					let bytes = std::mem::take(&mut pieces[a].1);
					pieces[a].1 = std::mem::replace(&mut pieces[b].1, bytes);
				}
			}
			Damage::Drop { piece } => {
				pieces.remove(at(*piece));
			}
		}
	}
	if !pieces.is_empty() {
		let by = usize::from(rotate) % pieces.len();
		pieces.rotate_left(by);
	}
	let given: Vec<(usize, &[u8])> = pieces.iter().map(|(i, bytes)| (*i, &bytes[..])).collect();
	let roots = with_roots.then_some(&encoded.roots[..]);
	let k = usize::from(coder.layout().data_shards());
	match coder.decode_bytes(size, &given, roots) {
		Ok(decoded) => {
			if with_roots || !touched {
				assert!(decoded == file, "decode gave a wrong file");
			}
		}
		Err(error) => {
			check(&error);
			assert!(touched || given.len() < k, "intact pieces refused: {error}");
		}
	}
	let present: Vec<usize> = given.iter().map(|(i, _)| *i).collect();
	let missing: Vec<usize> = (0..n).filter(|i| !present.contains(i)).collect();
	match coder.reconstruct_bytes(size, &given, roots, &missing) {
		Ok(rebuilt) => {
			if with_roots || !touched {
				for (index, piece) in missing.iter().zip(rebuilt) {
					assert!(piece == encoded.pieces[*index], "rebuilt piece {index} is wrong");
				}
			}
		}
		Err(error) => {
			check(&error);
			assert!(touched || given.len() < k, "intact pieces refused: {error}");
		}
	}
}

fuzz_target!(|input: Input| {
	match input {
		Input::Raw { shape, file_size, pieces, roots, wanted } => {
			let Some(coder) = shape.coder() else { return };
			let n = usize::from(coder.layout().total_shards());
			let given: Vec<(usize, &[u8])> = pieces
				.iter()
				.map(|(i, bytes)| (usize::from(*i) % (n + 2), &bytes[..]))
				.collect();
			raw(&coder, file_size, &given, roots.as_deref(), &indices(&wanted, n));
		}
		Input::Sized { shape, file_size, indices: raw_indices, bytes, wanted } => {
			let Some(coder) = shape.coder() else { return };
			let n = usize::from(coder.layout().total_shards());
			let chosen = indices(&raw_indices, n);
			sized(&coder, u64::from(file_size), &chosen, &bytes, &indices(&wanted, n));
		}
		Input::Damaged { shape, file, damage, rotate, with_roots } => {
			let Some(coder) = shape.coder() else { return };
			damaged(&coder, &file, &damage, rotate, with_roots);
		}
	}
});
