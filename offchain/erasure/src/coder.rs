//! The coder: one Reed-Solomon codec for one layout, and its segment buffers.

use crate::{kernel::Codec, Error, Kernel, Result};
use cairn_storage_primitives::Layout;
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
	pub(crate) rs: Codec,
	/// Threads an encode may use for hashing, the calling one included (at least 1).
	pub(crate) threads: usize,
	spare: Mutex<Vec<Vec<u8>>>,
}

impl Coder {
	/// A coder for `layout`, on the fastest kernel this CPU runs ([`Kernel::best`]).
	pub fn new(layout: Layout) -> Result<Self> {
		Self::with_kernel(layout, Kernel::best())
	}

	/// A coder for `layout` on the given kernel; [`Error::UnsupportedKernel`] if this CPU cannot
	/// run it. The pieces are the same on every kernel.
	pub fn with_kernel(layout: Layout, kernel: Kernel) -> Result<Self> {
		if kernel == Kernel::Accelerated && !Kernel::accelerated_runs_here() {
			return Err(Error::UnsupportedKernel(kernel));
		}
		let k = usize::from(layout.data_shards());
		let rs = Codec::new(kernel, k, usize::from(layout.parity_shards()))?;
		Ok(Self { layout, rs, threads: 1, spare: Mutex::new(Vec::new()) })
	}

	/// The kernel this coder runs.
	pub fn kernel(&self) -> Kernel {
		self.rs.kernel()
	}

	/// Let [`Coder::encode`] use up to `threads` threads in all (the calling one included;
	/// 0 counts as 1, the default) for segments of at least 1 MiB of pieces: the other threads
	/// hash the data shards while the caller computes the parity, then hash the parity shards
	/// while the caller writes the segment to the sinks and helps with what is left. The pieces
	/// and roots are the same for any number of threads.
	///
	/// Worth it when cores are idle: at `k = 10, n = 16` hashing costs about 2.5 times the
	/// coding, and a second core cuts an encode's wall time by about half. A process that
	/// already encodes several files at once gains nothing from it.
	pub fn with_threads(mut self, threads: usize) -> Self {
		self.threads = threads.max(1);
		self
	}

	/// The number of threads an encode may use (see [`Coder::with_threads`]).
	pub fn threads(&self) -> usize {
		self.threads
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
