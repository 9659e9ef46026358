//! Checking a piece streamed from IPFS against its on-chain size and Merkle root.

use cairn_storage_primitives::{Hash, MerkleError, RootBuilder, LEAF_SIZE};
use std::io::Write;

/// Bytes buffered before hashing (512 leaves): leaves are hashed in parallel batches.
const CHUNK: usize = 512 * LEAF_SIZE;

/// Computes the Merkle root and size of everything written to it, in bounded memory.
#[derive(Debug, Default)]
pub struct RootWriter {
	builder: RootBuilder,
	buffer: Vec<u8>,
	size: u64,
	error: Option<MerkleError>,
}

impl RootWriter {
	fn hash_buffer(&mut self) {
		let whole = self.buffer.len() / LEAF_SIZE * LEAF_SIZE;
		if whole == 0 {
			return;
		}
		if let Err(error) = self.builder.push_leaves(&self.buffer[..whole]) {
			self.error.get_or_insert(error);
		}
		self.buffer.drain(..whole);
	}

	/// The root and size of the bytes written.
	pub fn finish(mut self) -> Result<(Hash, u64), MerkleError> {
		self.hash_buffer();
		if let Some(error) = self.error {
			return Err(error);
		}
		if !self.buffer.is_empty() {
			return Err(MerkleError::UnalignedPiece);
		}
		Ok((self.builder.finish()?, self.size))
	}
}

impl Write for RootWriter {
	fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
		self.buffer.extend_from_slice(buf);
		self.size = self.size.saturating_add(buf.len() as u64);
		if self.buffer.len() >= CHUNK {
			self.hash_buffer();
		}
		Ok(buf.len())
	}

	fn flush(&mut self) -> std::io::Result<()> {
		Ok(())
	}
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
	use super::*;
	use cairn_storage_primitives::piece_root;

	#[test]
	fn same_root_as_the_primitives_whatever_the_write_sizes() {
		let piece: Vec<u8> = (0..(CHUNK + 3 * LEAF_SIZE)).map(|i| (i % 253) as u8).collect();
		let mut writer = RootWriter::default();
		for chunk in piece.chunks(3001) {
			writer.write_all(chunk).expect("write");
		}
		let (root, size) = writer.finish().expect("root");
		assert_eq!(root, piece_root(&piece).expect("root"));
		assert_eq!(size, piece.len() as u64);
		let mut short = RootWriter::default();
		short.write_all(&piece[..100]).expect("write");
		assert_eq!(short.finish(), Err(MerkleError::UnalignedPiece));
	}
}
