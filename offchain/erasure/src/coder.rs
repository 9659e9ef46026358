//! The coder: one Reed-Solomon codec for one layout, and its segment buffers.

use crate::Result;
use cairn_storage_primitives::Layout;
use reed_solomon_erasure::galois_8::ReedSolomon;
use std::{
	ops::{Deref, DerefMut},
	sync::Mutex,
};

/// Segment buffers kept for reuse between calls (more only while calls run concurrently).
const SPARE_BUFFERS: usize = 2;

/// Encodes files into pieces and decodes or rebuilds them, for one [`Layout`].
///
/// Share one per layout: it is `Send + Sync`, and keeps up to two segment buffers between
/// calls so that coding many small files does not allocate (and fault in) a fresh buffer each
/// time. Reed-Solomon also caches inverted decoding matrices per set of missing pieces.
#[derive(Debug)]
pub struct Coder {
	pub(crate) layout: Layout,
	pub(crate) rs: ReedSolomon,
	spare: Mutex<Vec<Vec<u8>>>,
}

impl Coder {
	/// A coder for `layout`.
	pub fn new(layout: Layout) -> Result<Self> {
		let k = usize::from(layout.data_shards());
		let rs = ReedSolomon::new(k, usize::from(layout.parity_shards()))?;
		Ok(Self { layout, rs, spare: Mutex::new(Vec::new()) })
	}

	/// The layout this coder follows.
	pub fn layout(&self) -> Layout {
		self.layout
	}

	/// `k` as a `usize`.
	pub(crate) fn k(&self) -> usize {
		usize::from(self.layout.data_shards())
	}

	/// `n` as a `usize`.
	pub(crate) fn n(&self) -> usize {
		usize::from(self.layout.total_shards())
	}

	/// A buffer that holds the `n` shards of any segment (`n * shard_size` bytes): the only
	/// allocation that grows with the layout, and the bound on a call's memory. Its contents
	/// are whatever the last call left; every user overwrites what it reads.
	pub(crate) fn segment_buffer(&self) -> Buffer<'_> {
		let reused = self.spare.lock().ok().and_then(|mut spare| spare.pop());
		let bytes =
			reused.unwrap_or_else(|| vec![0u8; self.n() * self.layout.shard_size() as usize]);
		Buffer { coder: self, bytes }
	}
}

/// A segment buffer, handed back to its coder when dropped.
pub(crate) struct Buffer<'a> {
	coder: &'a Coder,
	bytes: Vec<u8>,
}

impl Deref for Buffer<'_> {
	type Target = [u8];

	fn deref(&self) -> &[u8] {
		&self.bytes
	}
}

impl DerefMut for Buffer<'_> {
	fn deref_mut(&mut self) -> &mut [u8] {
		&mut self.bytes
	}
}

impl Drop for Buffer<'_> {
	fn drop(&mut self) {
		// A poisoned lock only means the buffer is freed instead of kept.
		if let Ok(mut spare) = self.coder.spare.lock() {
			if spare.len() < SPARE_BUFFERS {
				spare.push(std::mem::take(&mut self.bytes));
			}
		}
	}
}
