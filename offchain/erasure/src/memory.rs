//! In-memory shortcuts over the streaming API, for small files and tests.

use crate::{Coder, Encoded, PieceReader, PieceWriter, Result};
use cairn_storage_primitives::{FilePlan, Hash};

/// A file encoded in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedFile {
	/// The file's plan.
	pub plan: FilePlan,
	/// The `n` pieces, by index.
	pub pieces: Vec<Vec<u8>>,
	/// The `n` piece roots, by index.
	pub roots: Vec<Hash>,
}

impl Coder {
	/// Encode `data` into its `n` pieces and their roots, all in memory.
	pub fn encode_bytes(&self, data: &[u8]) -> Result<EncodedFile> {
		let plan = self.layout.plan(data.len() as u64)?;
		let capacity = usize::try_from(plan.piece_size()).unwrap_or(0);
		let mut pieces: Vec<Vec<u8>> =
			(0..self.n()).map(|_| Vec::with_capacity(capacity)).collect();
		let Encoded { plan, roots } = self.encode(data, &mut pieces)?;
		Ok(EncodedFile { plan, pieces, roots })
	}

	/// Decode a file of `file_size` bytes from `(index, bytes)` pieces held in memory.
	pub fn decode_bytes(
		&self,
		file_size: u64,
		pieces: &[(usize, &[u8])],
		roots: Option<&[Hash]>,
	) -> Result<Vec<u8>> {
		let mut readers: Vec<PieceReader<&[u8]>> =
			pieces.iter().map(|(index, bytes)| PieceReader::new(*index, *bytes)).collect();
		// `file_size` is the caller's claim: reserve no more than the pieces can decode to.
		let longest = pieces.iter().map(|(_, bytes)| bytes.len()).max().unwrap_or(0);
		let size = usize::try_from(file_size).unwrap_or(usize::MAX);
		let mut out = Vec::with_capacity(size.min(longest.saturating_mul(self.k())));
		self.decode(file_size, &mut readers, roots, &mut out)?;
		Ok(out)
	}

	/// Rebuild the pieces `wanted` of a file of `file_size` bytes from `(index, bytes)` pieces
	/// held in memory; returns them in the order of `wanted`.
	pub fn reconstruct_bytes(
		&self,
		file_size: u64,
		pieces: &[(usize, &[u8])],
		roots: Option<&[Hash]>,
		wanted: &[usize],
	) -> Result<Vec<Vec<u8>>> {
		let mut readers: Vec<PieceReader<&[u8]>> =
			pieces.iter().map(|(index, bytes)| PieceReader::new(*index, *bytes)).collect();
		let mut writers: Vec<PieceWriter<Vec<u8>>> =
			wanted.iter().map(|index| PieceWriter::new(*index, Vec::new())).collect();
		self.reconstruct(file_size, &mut readers, roots, &mut writers)?;
		Ok(writers.into_iter().map(|writer| writer.writer).collect())
	}
}
