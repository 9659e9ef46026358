//! The coding shape the storage worker and `cairn get` share for a file.
//!
//! The chain records a file's `k` and `n`, and the runtime's `ShardSize` constant fixes the
//! shard size of every layout (the pallet sizes and pays pieces by it), so both sides build the
//! same `cairn-storage-primitives` layout from what the chain says.
//!
//! A tier without redundancy (`k == n`) is a valid layout but has no parity shard, which the
//! Reed-Solomon codec cannot be built for; the code is systematic and its pieces are
//! prefix-stable in `n`, so such a file is coded with `n = k + 1` and the one parity piece is
//! dropped: pieces `0..k` are exactly the data pieces of the `k == n` layout.

use cairn_erasure::{Coder, Layout, LayoutError};

/// The shard size of the Cairn runtime (`Storage.ShardSize`, 1 MiB), for tests and offline use;
/// services read the chain's constant.
pub const DEFAULT_SHARD_SIZE: u32 = 1 << 20;

/// The coding of one file: the Reed-Solomon layout and how many of its pieces are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PieceLayout {
	layout: Layout,
	stored: u16,
}

impl PieceLayout {
	/// The layout of a file pinned with `k` data pieces out of `n`, with the chain's shard size.
	pub fn new(k: u32, n: u32, shard_size: u32) -> Result<Self, LayoutError> {
		let invalid = LayoutError::InvalidShardCounts {
			k: u16::try_from(k).unwrap_or(u16::MAX),
			n: u16::try_from(n).unwrap_or(u16::MAX),
		};
		let k16 = u16::try_from(k).map_err(|_| invalid)?;
		let n16 = u16::try_from(n).map_err(|_| invalid)?;
		if k16 == 0 || n16 < k16 {
			return Err(invalid);
		}
		let coded = if n16 == k16 { k16.checked_add(1).ok_or(invalid)? } else { n16 };
		let layout = Layout::with_shard_size(k16, coded, shard_size)?;
		Ok(Self { layout, stored: n16 })
	}

	/// The Reed-Solomon layout (its `n` may exceed the stored pieces by one, see module docs).
	pub fn layout(&self) -> Layout {
		self.layout
	}

	/// Data pieces: any `k` rebuild the file.
	pub fn k(&self) -> usize {
		usize::from(self.layout.data_shards())
	}

	/// Pieces stored on the chain (`n`).
	pub fn stored(&self) -> usize {
		usize::from(self.stored)
	}

	/// Pieces the coder produces (`n`, or `k + 1` when `k == n`).
	pub fn coded(&self) -> usize {
		usize::from(self.layout.total_shards())
	}

	/// A coder for this layout.
	pub fn coder(&self) -> Result<Coder, cairn_erasure::Error> {
		Coder::new(self.layout)
	}

	/// Size of every piece of a file of `file_size` bytes.
	pub fn piece_size(&self, file_size: u64) -> Result<u64, LayoutError> {
		self.layout.piece_size(file_size)
	}
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
	use super::*;

	#[test]
	fn tiers_without_redundancy_keep_the_data_pieces() {
		let plain = PieceLayout::new(1, 1, DEFAULT_SHARD_SIZE).expect("k = n = 1");
		assert_eq!((plain.k(), plain.stored(), plain.coded()), (1, 1, 2));
		let replicated = PieceLayout::new(1, 3, DEFAULT_SHARD_SIZE).expect("k = 1, n = 3");
		let file = b"cairn".repeat(1000);
		let a = plain.coder().expect("coder").encode_bytes(&file).expect("encodes");
		let b = replicated.coder().expect("coder").encode_bytes(&file).expect("encodes");
		assert_eq!(a.pieces[0], b.pieces[0]);
		assert_eq!(a.roots[0], b.roots[0]);
		assert_eq!(plain.piece_size(5000).expect("size"), 6144);
	}

	#[test]
	fn impossible_shapes_are_rejected() {
		assert!(PieceLayout::new(0, 3, DEFAULT_SHARD_SIZE).is_err());
		assert!(PieceLayout::new(3, 2, DEFAULT_SHARD_SIZE).is_err());
		assert!(PieceLayout::new(2, 300, DEFAULT_SHARD_SIZE).is_err());
		assert!(PieceLayout::new(2, 4, DEFAULT_SHARD_SIZE).is_ok());
	}
}
