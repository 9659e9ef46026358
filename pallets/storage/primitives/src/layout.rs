//! How a file becomes pieces: segments, shards, padding.
//!
//! Every function here is total: sizes are computed with checked arithmetic and an impossible
//! shape or size comes back as a [`LayoutError`], never as a panic or a wrapped-around number.

use crate::{LEAF_SIZE, MAX_SHARDS, MAX_SHARD_SIZE};
use core::fmt;

/// [`LEAF_SIZE`] as a `u64`, for size arithmetic.
const LEAF: u64 = LEAF_SIZE as u64;

/// Why a layout or a file plan could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
	/// `k` is zero, `n` is smaller than `k`, or `n` exceeds [`MAX_SHARDS`].
	///
	/// Reed-Solomon over GF(2^8) has at most 256 shards; `k == n` is a layout without parity
	/// (the file is only cut into `k` pieces: `k = n = 1` is a single plain copy).
	InvalidShardCounts {
		/// Data shards asked for.
		k: u16,
		/// Total shards asked for.
		n: u16,
	},
	/// The segment size is zero or not a multiple of `k * LEAF_SIZE`.
	///
	/// A segment is cut into `k` equal shards, and every shard is a whole number of Merkle
	/// leaves, so that leaves never straddle two segments.
	InvalidSegmentSize {
		/// Segment size asked for, in bytes.
		segment_size: u64,
	},
	/// The shard size (segment size / `k`) is larger than [`MAX_SHARD_SIZE`].
	ShardTooLarge {
		/// Shard size that resulted, in bytes.
		shard_size: u64,
	},
	/// The file is empty: an empty file has no pieces and nothing to audit, so it is not stored.
	EmptyFile,
	/// The file is so large that a size does not fit its type (a piece would have more than
	/// `u32::MAX` leaves, or a byte count would overflow `u64`).
	FileTooLarge {
		/// File size asked for, in bytes.
		file_size: u64,
	},
}

impl fmt::Display for LayoutError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::InvalidShardCounts { k, n } => {
				write!(f, "invalid shard counts k={k}, n={n}: need 1 <= k <= n <= {MAX_SHARDS}")
			}
			Self::InvalidSegmentSize { segment_size } => write!(
				f,
				"segment size {segment_size} is not a non-zero multiple of k * {LEAF_SIZE} bytes"
			),
			Self::ShardTooLarge { shard_size } => {
				write!(f, "shard size {shard_size} exceeds {MAX_SHARD_SIZE} bytes")
			}
			Self::EmptyFile => write!(f, "an empty file has no pieces"),
			Self::FileTooLarge { file_size } => {
				write!(f, "file of {file_size} bytes is too large for this layout")
			}
		}
	}
}

impl core::error::Error for LayoutError {}

/// The coding shape of a tier: `k` data shards, `n` shards in all, and the shard size.
///
/// Made only through [`Layout::new`] or [`Layout::with_shard_size`], so a `Layout` value always
/// satisfies `1 <= k <= n <= 256` and `shard_size` is a non-zero multiple of [`LEAF_SIZE`] no
/// larger than [`MAX_SHARD_SIZE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
	k: u16,
	n: u16,
	shard_size: u32,
}

impl Layout {
	/// A layout from the number of data shards `k`, total shards `n`, and the segment size in
	/// bytes, which must be a non-zero multiple of `k * LEAF_SIZE`.
	pub fn new(k: u16, n: u16, segment_size: u64) -> Result<Self, LayoutError> {
		check_counts(k, n)?;
		let invalid = LayoutError::InvalidSegmentSize { segment_size };
		let shard_unit = u64::from(k).checked_mul(LEAF).ok_or(invalid)?;
		if segment_size == 0 || !segment_size.is_multiple_of(shard_unit) {
			return Err(invalid);
		}
		let shard_size = segment_size / u64::from(k);
		let too_large = LayoutError::ShardTooLarge { shard_size };
		let shard_size = u32::try_from(shard_size).map_err(|_| too_large)?;
		Self::with_shard_size(k, n, shard_size)
	}

	/// A layout from `k`, `n` and the shard size in bytes, which must be a non-zero multiple of
	/// [`LEAF_SIZE`] no larger than [`MAX_SHARD_SIZE`].
	pub fn with_shard_size(k: u16, n: u16, shard_size: u32) -> Result<Self, LayoutError> {
		check_counts(k, n)?;
		if shard_size > MAX_SHARD_SIZE {
			return Err(LayoutError::ShardTooLarge { shard_size: u64::from(shard_size) });
		}
		if shard_size == 0 || !u64::from(shard_size).is_multiple_of(LEAF) {
			let segment_size = u64::from(shard_size).saturating_mul(u64::from(k));
			return Err(LayoutError::InvalidSegmentSize { segment_size });
		}
		Ok(Self { k, n, shard_size })
	}

	/// Number of data shards per segment (`k`): any `k` pieces rebuild the file.
	pub fn data_shards(&self) -> u16 {
		self.k
	}

	/// Number of shards per segment, and so of pieces per file (`n`).
	pub fn total_shards(&self) -> u16 {
		self.n
	}

	/// Number of parity shards per segment (`n - k`).
	pub fn parity_shards(&self) -> u16 {
		// `k <= n` holds by construction; zero for a layout without parity.
		self.n.saturating_sub(self.k)
	}

	/// Size in bytes of one shard of a full segment.
	pub fn shard_size(&self) -> u32 {
		self.shard_size
	}

	/// Size in bytes of a full segment (`k * shard_size`).
	pub fn segment_size(&self) -> u64 {
		// At most 255 * MAX_SHARD_SIZE, far below u64::MAX.
		u64::from(self.k).saturating_mul(u64::from(self.shard_size))
	}

	/// The complete plan for a file of `file_size` bytes: segment count, piece size, padding.
	pub fn plan(&self, file_size: u64) -> Result<FilePlan, LayoutError> {
		if file_size == 0 {
			return Err(LayoutError::EmptyFile);
		}
		let too_large = LayoutError::FileTooLarge { file_size };
		let segment_size = self.segment_size();
		let full_segments = file_size / segment_size;
		let remainder = file_size % segment_size;
		let (segment_count, tail_data_len) = if remainder == 0 {
			(full_segments, segment_size)
		} else {
			(full_segments.checked_add(1).ok_or(too_large)?, remainder)
		};
		let tail_shard_size = tail_shard_size(tail_data_len, self.k);
		// (segment_count - 1) full shards, then the tail shard; segment_count >= 1 here.
		let piece_size = segment_count
			.saturating_sub(1)
			.checked_mul(u64::from(self.shard_size))
			.and_then(|full| full.checked_add(u64::from(tail_shard_size)))
			.ok_or(too_large)?;
		let leaf_count = u32::try_from(piece_size / LEAF).map_err(|_| too_large)?;
		let padded_size = piece_size.checked_mul(u64::from(self.k)).ok_or(too_large)?;
		let expanded_size = piece_size.checked_mul(u64::from(self.n)).ok_or(too_large)?;
		Ok(FilePlan {
			layout: *self,
			file_size,
			segment_count,
			tail_shard_size,
			piece_size,
			leaf_count,
			padding: padded_size.saturating_sub(file_size),
			expanded_size,
		})
	}

	/// Size in bytes of every piece of a file of `file_size` bytes.
	pub fn piece_size(&self, file_size: u64) -> Result<u64, LayoutError> {
		self.plan(file_size).map(|plan| plan.piece_size)
	}

	/// Number of segments a file of `file_size` bytes is cut into.
	pub fn segment_count(&self, file_size: u64) -> Result<u64, LayoutError> {
		self.plan(file_size).map(|plan| plan.segment_count)
	}

	/// Number of zero bytes added to a file of `file_size` bytes before coding.
	pub fn padding(&self, file_size: u64) -> Result<u64, LayoutError> {
		self.plan(file_size).map(|plan| plan.padding)
	}

	/// Number of Merkle leaves in every piece of a file of `file_size` bytes.
	pub fn leaf_count(&self, file_size: u64) -> Result<u32, LayoutError> {
		self.plan(file_size).map(|plan| plan.leaf_count)
	}
}

fn check_counts(k: u16, n: u16) -> Result<(), LayoutError> {
	if k == 0 || n < k || n > MAX_SHARDS {
		return Err(LayoutError::InvalidShardCounts { k, n });
	}
	Ok(())
}

/// Shard size of a last segment holding `data_len` bytes: `ceil(data_len / k)` rounded up to
/// whole leaves. For a full segment this is exactly the layout's shard size.
fn tail_shard_size(data_len: u64, k: u16) -> u32 {
	// `data_len <= k * shard_size` and `k >= 1`, so the result is at most `shard_size`, which
	// fits `u32`; the saturations below can therefore never trigger.
	let per_shard = data_len.div_ceil(u64::from(k).max(1));
	let leaves = per_shard.div_ceil(LEAF);
	u32::try_from(leaves.saturating_mul(LEAF)).unwrap_or(u32::MAX)
}

/// The sizes of one file under one [`Layout`], computed once by [`Layout::plan`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilePlan {
	layout: Layout,
	file_size: u64,
	segment_count: u64,
	tail_shard_size: u32,
	piece_size: u64,
	leaf_count: u32,
	padding: u64,
	expanded_size: u64,
}

impl FilePlan {
	/// The layout this plan follows.
	pub fn layout(&self) -> Layout {
		self.layout
	}

	/// File size in bytes (never zero).
	pub fn file_size(&self) -> u64 {
		self.file_size
	}

	/// Number of segments (at least one).
	pub fn segment_count(&self) -> u64 {
		self.segment_count
	}

	/// Shard size of the last segment; equal to the layout's shard size when the file fills its
	/// last segment, smaller (but still whole leaves) otherwise.
	pub fn tail_shard_size(&self) -> u32 {
		self.tail_shard_size
	}

	/// Size in bytes of every piece: a whole, non-zero number of leaves.
	pub fn piece_size(&self) -> u64 {
		self.piece_size
	}

	/// Number of Merkle leaves in every piece.
	pub fn leaf_count(&self) -> u32 {
		self.leaf_count
	}

	/// Zero bytes appended to the file to fill `k` pieces: `k * piece_size - file_size`.
	pub fn padding(&self) -> u64 {
		self.padding
	}

	/// Bytes stored over all `n` pieces: `n * piece_size`.
	pub fn expanded_size(&self) -> u64 {
		self.expanded_size
	}

	/// Segment `index` (0-based), or `None` past the last one.
	pub fn segment(&self, index: u64) -> Option<Segment> {
		if index >= self.segment_count {
			return None;
		}
		let shard = u64::from(self.layout.shard_size);
		// index < segment_count, and the whole file and piece fit u64 (checked in `plan`).
		let file_offset = index.checked_mul(self.layout.segment_size())?;
		let piece_offset = index.checked_mul(shard)?;
		let is_last = index.checked_add(1)? == self.segment_count;
		let (data_len, shard_size) = if is_last {
			(self.file_size.checked_sub(file_offset)?, self.tail_shard_size)
		} else {
			(self.layout.segment_size(), self.layout.shard_size)
		};
		Some(Segment { index, file_offset, piece_offset, data_len, shard_size })
	}

	/// All segments, in file order.
	pub fn segments(&self) -> impl Iterator<Item = Segment> + '_ {
		(0..self.segment_count).map_while(|index| self.segment(index))
	}
}

/// One segment of a file: where its bytes come from and where its shards go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
	/// Position of the segment in the file (0-based).
	pub index: u64,
	/// Offset of the segment's first byte in the file.
	pub file_offset: u64,
	/// Offset of this segment's shard in every piece.
	pub piece_offset: u64,
	/// File bytes in this segment (the rest of its `k * shard_size` bytes is zero padding).
	pub data_len: u64,
	/// Size of each of this segment's `n` shards, a whole number of leaves.
	pub shard_size: u32,
}
