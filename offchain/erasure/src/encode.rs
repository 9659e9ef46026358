//! Streaming encode: a file from any reader into `n` piece sinks, one segment at a time.

use crate::{io::read_full, segment::wrong_size, Coder, Error, Result, SizeFound};
use cairn_storage_primitives::{FilePlan, Hash, RootBuilder};
use std::io::{Read, Write};

/// What an encode produced besides the piece bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
	/// The file's plan: size, segments, piece size, leaf count.
	pub plan: FilePlan,
	/// Merkle root of every piece, by piece index (`n` roots).
	pub roots: Vec<Hash>,
}

impl Coder {
	/// Encode everything `input` yields: piece `i` is written to `sinks[i]` (there must be
	/// exactly `n` sinks), and the piece roots are returned.
	///
	/// Memory: one segment's `n` shards, whatever the file size. An empty input fails with
	/// [`LayoutError::EmptyFile`](cairn_storage_primitives::LayoutError::EmptyFile); on any
	/// error the sinks hold a partial result and must be discarded.
	pub fn encode<R: Read, W: Write>(&self, input: R, sinks: &mut [W]) -> Result<Encoded> {
		let (plan, roots) = self.encode_stream(input, None, sinks, true)?;
		Ok(Encoded { plan, roots })
	}

	/// Like [`Coder::encode`], but the input must be exactly `file_size` bytes (the size
	/// declared on-chain): a shorter or longer input fails with [`Error::FileSize`], reading
	/// at most `file_size + 1` bytes.
	pub fn encode_exact<R: Read, W: Write>(
		&self,
		input: R,
		file_size: u64,
		sinks: &mut [W],
	) -> Result<Encoded> {
		let (plan, roots) = self.encode_stream(input, Some(file_size), sinks, true)?;
		Ok(Encoded { plan, roots })
	}

	/// Like [`Coder::encode`] without computing the piece roots, for callers that already know
	/// them (and for measuring the coding alone).
	pub fn encode_unhashed<R: Read, W: Write>(
		&self,
		input: R,
		sinks: &mut [W],
	) -> Result<FilePlan> {
		self.encode_stream(input, None, sinks, false).map(|(plan, _)| plan)
	}

	fn encode_stream<R: Read, W: Write>(
		&self,
		input: R,
		expected_size: Option<u64>,
		sinks: &mut [W],
		hash: bool,
	) -> Result<(FilePlan, Vec<Hash>)> {
		let (k, n) = (self.k(), self.n());
		if sinks.len() != n {
			return Err(Error::WrongSinkCount { given: sinks.len(), expected: n });
		}
		// Never read more than one byte past the declared size.
		let mut input = input.take(expected_size.map_or(u64::MAX, |size| size.saturating_add(1)));
		let full_shard = self.layout.shard_size() as usize;
		let mut buffer = self.segment_buffer();
		let mut builders = if hash { vec![RootBuilder::new(); n] } else { Vec::new() };
		let mut total = 0u64;
		loop {
			// The data area of a segment: `k` full shards; `buffer` holds `n` of them.
			let read = read_full(&mut input, &mut buffer[..k * full_shard])?;
			if read == 0 {
				break;
			}
			total = total.saturating_add(read as u64);
			if let Some(expected) = expected_size.filter(|expected| total > *expected) {
				return Err(Error::FileSize { expected, actual: SizeFound::Long });
			}
			let is_tail = read < k * full_shard;
			// A short read is the end of input: the tail segment's shards shrink to whole
			// leaves around its data (see the primitives' layout docs).
			let shard_size = if is_tail {
				self.layout.plan(total)?.tail_shard_size() as usize
			} else {
				full_shard
			};
			// `read <= k * shard_size <= n * shard_size <= buffer.len()`, so both ranges are in
			// bounds. Only a tail segment has padding to zero.
			let segment = buffer.get_mut(..n * shard_size).ok_or_else(wrong_size)?;
			if let Some(padding) = segment.get_mut(read..k * shard_size) {
				padding.fill(0);
			}
			self.encode_segment(segment, shard_size, &mut builders, sinks)?;
			if is_tail {
				break;
			}
		}
		if let Some(expected) = expected_size.filter(|expected| total != *expected) {
			return Err(Error::FileSize { expected, actual: SizeFound::Short(total) });
		}
		let plan = self.layout.plan(total)?;
		for sink in sinks.iter_mut() {
			sink.flush()?;
		}
		let roots = builders.iter().map(RootBuilder::finish).collect::<Result<_, _>>()?;
		Ok((plan, roots))
	}
}
