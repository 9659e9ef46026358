//! Streaming decode (pieces to file) and rebuild (pieces to missing pieces).

use crate::{
	pieces::{Sources, Targets},
	Coder, Error, PieceReader, PieceWriter, Result,
};
use cairn_storage_primitives::{Hash, LayoutError};
use std::io::{Read, Write};

impl Coder {
	/// Decode a file of `file_size` bytes from at least `k` of its pieces, writing its bytes to
	/// `out`.
	///
	/// Of the pieces given, the `k` with the lowest indices are read (all data pieces, when
	/// present, need no decoding at all); the others are left untouched. With `roots` (all `n`
	/// piece roots, as recorded on-chain) every piece read is also checked against its root.
	///
	/// Memory: one segment's `n` shards. The check of sizes and roots completes only after the
	/// last segment, so on any error the bytes already written to `out` must be discarded;
	/// [`Error::CorruptPiece`] names the piece to leave out of the next attempt.
	pub fn decode<R: Read, W: Write>(
		&self,
		file_size: u64,
		pieces: &mut [PieceReader<R>],
		roots: Option<&[Hash]>,
		mut out: W,
	) -> Result<()> {
		let (k, n) = (self.k(), self.n());
		let plan = self.layout.plan(file_size)?;
		check_root_count(roots, n)?;
		let mut sources = Sources::select(pieces, k, n, roots.is_some())?;
		let decode = !sources.has_all_data(k);
		let mut buffer = self.segment_buffer();
		for segment in plan.segments() {
			let shard_size = segment.shard_size as usize;
			// A segment's shard size never exceeds the layout's, so this fits `buffer`.
			let shards = &mut buffer[..n * shard_size];
			sources.read_segment(shards, shard_size, segment.piece_offset, plan.piece_size())?;
			if decode {
				self.reconstruct_segment(shards, shard_size, sources.present(), false)?;
			}
			// The data shards are the segment's bytes in order, padding last;
			// `data_len <= k * shard_size`.
			let data_len = usize::try_from(segment.data_len).unwrap_or(usize::MAX);
			let data = shards
				.get(..data_len)
				.ok_or(Error::Layout(LayoutError::FileTooLarge { file_size }))?;
			out.write_all(data)?;
		}
		sources.finish(plan.piece_size(), roots)?;
		out.flush()?;
		Ok(())
	}

	/// Rebuild pieces of a file of `file_size` bytes from at least `k` others: every piece in
	/// `targets` is written in full to its writer.
	///
	/// Pieces are chosen as in [`Coder::decode`]. With `roots` (all `n` roots, as recorded
	/// on-chain) the pieces read are checked against their roots and so are the rebuilt ones,
	/// so a successful rebuild is exactly what was placed. Memory: one segment's `n` shards.
	/// On any error the targets hold partial results and must be discarded.
	pub fn reconstruct<R: Read, W: Write>(
		&self,
		file_size: u64,
		pieces: &mut [PieceReader<R>],
		roots: Option<&[Hash]>,
		targets: &mut [PieceWriter<W>],
	) -> Result<()> {
		let (k, n) = (self.k(), self.n());
		let plan = self.layout.plan(file_size)?;
		check_root_count(roots, n)?;
		let mut sources = Sources::select(pieces, k, n, roots.is_some())?;
		let mut targets = Targets::new(targets, n, roots.is_some())?;
		let all = targets.needs_parity(k, sources.present());
		let data = !sources.has_all_data(k);
		let mut buffer = self.segment_buffer();
		for segment in plan.segments() {
			let shard_size = segment.shard_size as usize;
			// A segment's shard size never exceeds the layout's, so this fits `buffer`.
			let shards = &mut buffer[..n * shard_size];
			sources.read_segment(shards, shard_size, segment.piece_offset, plan.piece_size())?;
			if all || data {
				self.reconstruct_segment(shards, shard_size, sources.present(), all)?;
			}
			targets.write_segment(shards, shard_size)?;
		}
		sources.finish(plan.piece_size(), roots)?;
		targets.finish(roots)
	}
}

fn check_root_count(roots: Option<&[Hash]>, n: usize) -> Result<()> {
	match roots {
		Some(roots) if roots.len() != n => {
			Err(Error::WrongRootCount { given: roots.len(), expected: n })
		}
		_ => Ok(()),
	}
}
