//! Coding one segment: parity computed stripe by stripe, piece leaves hashed while in cache or
//! on other threads.

use crate::{Coder, Error, Result};
use cairn_storage_primitives::{RootBuilder, LEAF_SIZE};
use std::{
	io::Write,
	slice::{Chunks, ChunksMut},
	sync::{mpsc, Mutex},
	thread,
};

/// Width in bytes of the column stripes the codec works on (16 leaves, 32 KiB).
///
/// Reed-Solomon works column by column, so coding a segment stripe by stripe gives the same
/// bytes as coding it whole. Whole 1 MiB shards make every one of the `k * (n - k)` GF(2^8)
/// passes stream a shard through the caches; a stripe of all `n` shards (512 KiB at `n = 16`)
/// stays in a core's L2 cache for all of them, and is hashed right after, still in cache.
pub(crate) const STRIPE: usize = 16 * LEAF_SIZE;

/// Smallest segment (all `n` shards, in bytes) worth handing to other threads: below it,
/// starting them costs more than they save.
const PARALLEL_MIN: usize = 1024 * 1024;

/// The error for a segment whose size does not match the layout: the callers' invariants make
/// it impossible, and the codec would report the same.
pub(crate) fn wrong_size() -> Error {
	Error::ReedSolomon(reed_solomon_erasure::Error::IncorrectShardSize)
}

/// Split a segment of `n` shards of `shard_size` bytes into its data and parity areas, checking
/// its size (every stripe loop below relies on it).
fn split_shards(
	segment: &mut [u8],
	shard_size: usize,
	k: usize,
	n: usize,
) -> Result<(&mut [u8], &mut [u8])> {
	if shard_size == 0 || Some(segment.len()) != n.checked_mul(shard_size) {
		return Err(wrong_size());
	}
	segment.split_at_mut_checked(k.saturating_mul(shard_size)).ok_or_else(wrong_size)
}

/// A shard to hash, and the root builder of its piece.
type HashTask<'a> = (&'a [u8], &'a mut RootBuilder);

/// Hash tasks until there are none left and no more can come.
fn hash_tasks(tasks: &Mutex<mpsc::Receiver<HashTask<'_>>>) -> Result<()> {
	loop {
		// The lock is held only while waiting for the next task, not while hashing. A poisoned
		// lock means another hasher panicked: its join reports it.
		let next = match tasks.lock() {
			Ok(receiver) => receiver.recv(),
			Err(_) => return Ok(()),
		};
		let Ok((shard, builder)) = next else { return Ok(()) };
		builder.push_leaves(shard)?;
	}
}

impl Coder {
	/// Encode one segment in place and write it out: compute the parity shards, push every
	/// shard's leaves to its piece's root builder (when `builders` holds the `n` of them) and
	/// write shard `i` to `sinks[i]`.
	///
	/// `segment` holds the `n` shards of `shard_size` bytes each, data shards first.
	pub(crate) fn encode_segment<W: Write>(
		&self,
		segment: &mut [u8],
		shard_size: usize,
		builders: &mut [RootBuilder],
		sinks: &mut [W],
	) -> Result<()> {
		let (data, parity) = split_shards(segment, shard_size, self.k(), self.n())?;
		let hashes = !builders.is_empty();
		if hashes && self.threads > 1 && data.len() + parity.len() >= PARALLEL_MIN {
			return self.encode_parallel(data, parity, shard_size, builders, sinks);
		}
		encode_stripes(self, data, parity, shard_size, builders)?;
		let shards = data.chunks(shard_size).chain(parity.chunks(shard_size));
		for (sink, shard) in sinks.iter_mut().zip(shards) {
			sink.write_all(shard)?;
		}
		Ok(())
	}

	/// [`Coder::encode_segment`] with the hashing spread over up to `self.threads` threads:
	/// the others hash the data shards while this one computes the parity, then this one
	/// writes the segment out while they hash the parity shards, and helps with what is left.
	fn encode_parallel<W: Write>(
		&self,
		data: &mut [u8],
		parity: &mut [u8],
		shard_size: usize,
		builders: &mut [RootBuilder],
		sinks: &mut [W],
	) -> Result<()> {
		let data: &[u8] = data;
		let (data_builders, parity_builders) =
			builders.split_at_mut_checked(self.k()).ok_or_else(wrong_size)?;
		let (sender, receiver) = mpsc::channel::<HashTask<'_>>();
		let receiver = Mutex::new(receiver);
		thread::scope(|scope| {
			let mut hashers = Vec::new();
			for _ in 1..self.threads {
				let hasher = thread::Builder::new()
					.name("cairn-erasure-hash".into())
					.spawn_scoped(scope, || hash_tasks(&receiver));
				// Without more threads, this one hashes what is left.
				let Ok(hasher) = hasher else { break };
				hashers.push(hasher);
			}
			// Sending cannot fail: `receiver` lives until after this scope.
			for task in data.chunks(shard_size).zip(data_builders.iter_mut()) {
				let _ = sender.send(task);
			}
			let mut result = encode_stripes(self, data, &mut *parity, shard_size, &mut []);
			if result.is_ok() {
				let parity: &[u8] = parity;
				for task in parity.chunks(shard_size).zip(parity_builders.iter_mut()) {
					let _ = sender.send(task);
				}
				drop(sender);
				let shards = data.chunks(shard_size).chain(parity.chunks(shard_size));
				for (sink, shard) in sinks.iter_mut().zip(shards) {
					if let Err(error) = sink.write_all(shard) {
						result = Err(error.into());
						break;
					}
				}
			} else {
				drop(sender);
			}
			result = result.and(hash_tasks(&receiver));
			for hasher in hashers {
				match hasher.join() {
					Ok(hashed) => result = result.and(hashed),
					// No code of this crate panics; should a dependency, pass it on.
					Err(panic) => std::panic::resume_unwind(panic),
				}
			}
			result
		})
	}

	/// Rebuild, stripe by stripe, the shards of one segment that `present` marks missing: all
	/// of them when `all`, else only the data shards. `shards` holds the `n` shards of
	/// `shard_size` bytes each; the present ones are read, the missing ones overwritten.
	pub(crate) fn reconstruct_segment(
		&self,
		shards: &mut [u8],
		shard_size: usize,
		present: &[bool],
		all: bool,
	) -> Result<()> {
		split_shards(shards, shard_size, self.k(), self.n())?;
		let mut stripes: Vec<ChunksMut<'_, u8>> =
			shards.chunks_mut(shard_size).map(|shard| shard.chunks_mut(STRIPE)).collect();
		let mut slots: Vec<(&mut [u8], bool)> = Vec::with_capacity(stripes.len());
		loop {
			slots.clear();
			for (stripe, present) in stripes.iter_mut().zip(present) {
				// Every shard has the same number of stripes: they run out together.
				let Some(stripe) = stripe.next() else { return Ok(()) };
				slots.push((stripe, *present));
			}
			// Checks the count (`n`) and that all stripes have one length.
			self.rs.reconstruct(&mut slots, !all)?;
		}
	}
}

/// Compute the parity shards from the data shards (each `shard_size` bytes) stripe by stripe
/// and, when `builders` holds one root builder per shard (data then parity), push each stripe's
/// leaves to them while the stripe is in cache.
fn encode_stripes(
	coder: &Coder,
	data: &[u8],
	parity: &mut [u8],
	shard_size: usize,
	builders: &mut [RootBuilder],
) -> Result<()> {
	if shard_size == 0 {
		return Err(wrong_size());
	}
	let mut data_stripes: Vec<Chunks<'_, u8>> =
		data.chunks(shard_size).map(|shard| shard.chunks(STRIPE)).collect();
	let mut parity_stripes: Vec<ChunksMut<'_, u8>> =
		parity.chunks_mut(shard_size).map(|shard| shard.chunks_mut(STRIPE)).collect();
	let mut inputs: Vec<&[u8]> = Vec::with_capacity(data_stripes.len());
	let mut outputs: Vec<&mut [u8]> = Vec::with_capacity(parity_stripes.len());
	loop {
		// Every shard has the same number of stripes: they run out together.
		inputs.clear();
		inputs.extend(data_stripes.iter_mut().map_while(Iterator::next));
		outputs.clear();
		outputs.extend(parity_stripes.iter_mut().map_while(Iterator::next));
		if inputs.is_empty() {
			return Ok(());
		}
		// Checks the counts (`k`, `n - k`) and that all stripes have one length.
		coder.rs.encode_sep(&inputs, &mut outputs)?;
		let stripes = inputs.iter().map(|stripe| &**stripe).chain(outputs.iter().map(|s| &**s));
		for (builder, stripe) in builders.iter_mut().zip(stripes) {
			builder.push_leaves(stripe)?;
		}
	}
}
