//! Pieces given to a decode or a rebuild: which ones are read, how, and how they are checked.

use crate::{io, Error, Result, SizeFound};
use cairn_storage_primitives::{Hash, RootBuilder};
use std::io::{Read, Write};

/// A piece to read, with its index (`0..n`) in the file's pieces.
#[derive(Debug)]
pub struct PieceReader<R> {
	/// Index of the piece: `0..k` are data pieces, `k..n` parity pieces.
	pub index: usize,
	/// Where its bytes come from, from the start of the piece.
	pub reader: R,
}

impl<R> PieceReader<R> {
	/// Piece `index`, read from `reader`.
	pub fn new(index: usize, reader: R) -> Self {
		Self { index, reader }
	}
}

/// A piece to write, with its index (`0..n`) in the file's pieces.
#[derive(Debug)]
pub struct PieceWriter<W> {
	/// Index of the piece to rebuild.
	pub index: usize,
	/// Where its bytes go.
	pub writer: W,
}

impl<W> PieceWriter<W> {
	/// Piece `index`, written to `writer`.
	pub fn new(index: usize, writer: W) -> Self {
		Self { index, writer }
	}
}

/// Check that `indices` are below `n` and distinct.
fn check_indices(indices: impl Iterator<Item = usize>, n: usize) -> Result<()> {
	let mut seen = vec![false; n];
	for index in indices {
		let slot = seen.get_mut(index).ok_or(Error::PieceIndexOutOfRange { index, total: n })?;
		if *slot {
			return Err(Error::DuplicatePiece { index });
		}
		*slot = true;
	}
	Ok(())
}

/// The `k` pieces a decode or rebuild reads, and their running roots.
pub(crate) struct Sources<'a, R> {
	/// The chosen pieces, by increasing index.
	chosen: Vec<&'a mut PieceReader<R>>,
	/// `present[i]`: piece `i` is read.
	present: Vec<bool>,
	/// Root builders of the chosen pieces (same order), when roots are checked.
	builders: Option<Vec<RootBuilder>>,
}

impl<'a, R: Read> Sources<'a, R> {
	/// Validate `pieces` and choose the `k` with the lowest indices: data pieces first, so that
	/// when all data pieces are there no decoding is needed at all.
	pub(crate) fn select(
		pieces: &'a mut [PieceReader<R>],
		k: usize,
		n: usize,
		check_roots: bool,
	) -> Result<Self> {
		check_indices(pieces.iter().map(|piece| piece.index), n)?;
		if pieces.len() < k {
			return Err(Error::TooFewPieces { available: pieces.len(), required: k });
		}
		let mut chosen: Vec<&'a mut PieceReader<R>> = pieces.iter_mut().collect();
		chosen.sort_by_key(|piece| piece.index);
		chosen.truncate(k);
		let mut present = vec![false; n];
		for piece in &chosen {
			// Indices were checked to be below `n`.
			if let Some(slot) = present.get_mut(piece.index) {
				*slot = true;
			}
		}
		let builders = check_roots.then(|| vec![RootBuilder::new(); chosen.len()]);
		Ok(Self { chosen, present, builders })
	}

	/// Which of the `n` shards are read.
	pub(crate) fn present(&self) -> &[bool] {
		&self.present
	}

	/// True if every data piece (`0..k`) is read: the segment needs no decoding.
	pub(crate) fn has_all_data(&self, k: usize) -> bool {
		self.present.iter().take(k).all(|present| *present)
	}

	/// Read the next shard of every chosen piece into `shards` (the `n` shards of one segment,
	/// `shard_size` bytes each). `piece_offset` is the offset of the shard in the piece.
	pub(crate) fn read_segment(
		&mut self,
		shards: &mut [u8],
		shard_size: usize,
		piece_offset: u64,
		piece_size: u64,
	) -> Result<()> {
		for (position, piece) in self.chosen.iter_mut().enumerate() {
			let index = piece.index;
			let start = index.saturating_mul(shard_size);
			let shard = shards
				.get_mut(start..start.saturating_add(shard_size))
				.ok_or(Error::PieceIndexOutOfRange { index, total: self.present.len() })?;
			let read = io::read_full(&mut piece.reader, shard)?;
			if read < shard_size {
				let actual = SizeFound::Short(piece_offset.saturating_add(read as u64));
				return Err(Error::PieceSize { index, expected: piece_size, actual });
			}
			if let Some(builder) = self.builders.as_mut().and_then(|b| b.get_mut(position)) {
				builder.push_leaves(shard)?;
			}
		}
		Ok(())
	}

	/// After the last segment: check that no piece has bytes left, and that every piece read
	/// hashes to its root in `roots` (indexed by piece index) when roots are checked.
	pub(crate) fn finish(mut self, piece_size: u64, roots: Option<&[Hash]>) -> Result<()> {
		for piece in self.chosen.iter_mut() {
			if !io::at_end(&mut piece.reader)? {
				let index = piece.index;
				return Err(Error::PieceSize {
					index,
					expected: piece_size,
					actual: SizeFound::Long,
				});
			}
		}
		if let (Some(builders), Some(roots)) = (self.builders, roots) {
			for (piece, builder) in self.chosen.iter().zip(builders) {
				check_root(piece.index, &builder, roots)?;
			}
		}
		Ok(())
	}
}

/// Compare the root built for piece `index` with `roots[index]`.
pub(crate) fn check_root(index: usize, builder: &RootBuilder, roots: &[Hash]) -> Result<()> {
	let expected =
		*roots.get(index).ok_or(Error::PieceIndexOutOfRange { index, total: roots.len() })?;
	let found = builder.finish()?;
	if found != expected {
		return Err(Error::CorruptPiece { index, expected, found });
	}
	Ok(())
}

/// The pieces a rebuild writes, and their running roots.
pub(crate) struct Targets<'a, W> {
	pieces: &'a mut [PieceWriter<W>],
	builders: Option<Vec<RootBuilder>>,
}

impl<'a, W: Write> Targets<'a, W> {
	pub(crate) fn new(
		pieces: &'a mut [PieceWriter<W>],
		n: usize,
		check_roots: bool,
	) -> Result<Self> {
		check_indices(pieces.iter().map(|piece| piece.index), n)?;
		let builders = check_roots.then(|| vec![RootBuilder::new(); pieces.len()]);
		Ok(Self { pieces, builders })
	}

	/// True if some target is a parity piece that is not read: rebuilding needs the full
	/// (data and parity) reconstruction rather than the data-only one.
	pub(crate) fn needs_parity(&self, k: usize, present: &[bool]) -> bool {
		self.pieces
			.iter()
			.any(|piece| piece.index >= k && !present.get(piece.index).copied().unwrap_or(false))
	}

	/// Write every target's shard of the segment in `shards`.
	pub(crate) fn write_segment(&mut self, shards: &[u8], shard_size: usize) -> Result<()> {
		for (position, piece) in self.pieces.iter_mut().enumerate() {
			let index = piece.index;
			let start = index.saturating_mul(shard_size);
			let shard = shards.get(start..start.saturating_add(shard_size)).ok_or(
				Error::PieceIndexOutOfRange { index, total: shards.len() / shard_size.max(1) },
			)?;
			piece.writer.write_all(shard)?;
			if let Some(builder) = self.builders.as_mut().and_then(|b| b.get_mut(position)) {
				builder.push_leaves(shard)?;
			}
		}
		Ok(())
	}

	/// Flush every target and check the rebuilt pieces against `roots` when roots are checked.
	pub(crate) fn finish(self, roots: Option<&[Hash]>) -> Result<()> {
		for piece in self.pieces.iter_mut() {
			piece.writer.flush()?;
		}
		if let (Some(builders), Some(roots)) = (self.builders, roots) {
			for (piece, builder) in self.pieces.iter().zip(builders) {
				check_root(piece.index, &builder, roots)?;
			}
		}
		Ok(())
	}
}
