//! Cairn's coder side by side with the raw `reed-solomon-erasure` calls on the same buffers,
//! and the full pipeline (segment + encode + piece roots) against hashing alone.
//!
//! One segment per iteration (the coder keeps its segment buffer between calls), 1 MiB shards,
//! at k = 10, n = 16 and at the dev tiers' shapes. Throughput is in file bytes for encode,
//! decode and repair, in expanded (all `n` pieces) bytes for the pipeline and hashing.
//!
//! - `encode`: `raw` is `ReedSolomon::encode` over `n` shard buffers that already hold the
//!   data; `cairn` is [`Coder::encode_unhashed`] from a `&[u8]` reader (so it also copies the
//!   segment in) to `io::Sink`s. `raw_copy` copies the segment into the raw shard buffers first,
//!   as any user of the raw crate reading a file must: like for like with `cairn`.
//! - `decode`: `raw` is `reconstruct_data` with the last `k` shards present (as many data
//!   shards missing as possible); `cairn` is [`Coder::decode`] from those `k` pieces (copied
//!   in from `&[u8]` readers) to an `io::Sink`, without roots; `raw_copy` copies the `k`
//!   pieces in first.
//! - `repair`: the same with `reconstruct` (raw) and [`Coder::reconstruct`] of the `n - k`
//!   missing pieces (cairn).
//! - `pipeline`: `hash_only` builds the `n` piece roots of the already-encoded shards on one
//!   thread (the primitives' `RootBuilder`, as the runtime defines them); `cairn` is
//!   [`Coder::encode`] of the file (copy in, encode, roots of all `n` pieces) on one thread.
//!   `hash_only_2t` hashes the same shards on two threads (each builds half of the roots) and
//!   `cairn_2t` is the encode of a coder [`with_threads(2)`](Coder::with_threads). Like is
//!   compared with like (1 thread with 1, 2 with 2); the table adds `cairn_2t` against
//!   `hash_only` to show the wall time a second core buys.
//!
//! At the end a table gives, per shape, each pair's times and the ratio `raw / cairn` of time
//! per iteration (so it is cairn's throughput as a fraction of raw's) from the same samples
//! criterion measured: the median and the best sample of each side. Other work on the machine
//! only adds time, so re-run when the two columns disagree much.
//!
//! `cargo bench -p cairn-erasure --bench erasure` (about 2 minutes; add `-- --quick` for a
//! rough run, or a filter such as `-- k10n16`).

#![allow(clippy::expect_used)] // Set-up failures abort the benchmark.

use cairn_erasure::{Coder, Layout, PieceReader, PieceWriter};
use cairn_storage_primitives::RootBuilder;
use criterion::{BenchmarkId, Criterion, Throughput};
use reed_solomon_erasure::galois_8::ReedSolomon;
use std::{
	cell::RefCell,
	collections::BTreeMap,
	hint::black_box,
	io,
	time::{Duration, Instant},
};

const SHARD: usize = 1024 * 1024;
/// The production-like shape and the dev tiers' shapes.
const SHAPES: [(usize, usize); 4] = [(10, 16), (2, 5), (2, 4), (1, 2)];
/// The table's rows: group, baseline, contender, and what the row compares.
const PAIRS: [(&str, &str, &str, &str); 9] = [
	("encode", "raw", "cairn", "encode vs raw"),
	("encode", "raw_copy", "cairn", "encode vs raw + copy-in"),
	("decode", "raw", "cairn", "decode vs raw"),
	("decode", "raw_copy", "cairn", "decode vs raw + copy-in"),
	("repair", "raw", "cairn", "repair vs raw"),
	("repair", "raw_copy", "cairn", "repair vs raw + copy-in"),
	("pipeline", "hash_only", "cairn", "pipeline 1 thread vs hashing 1 thread"),
	("pipeline", "hash_only_2t", "cairn_2t", "pipeline 2 threads vs hashing 2 threads"),
	("pipeline", "hash_only", "cairn_2t", "pipeline 2 threads vs hashing 1 thread"),
];

/// `len` bytes of cheap pseudo-random data.
fn data(len: usize) -> Vec<u8> {
	let mut state = 0x2545_f491_4f6c_dd1du64;
	(0..len)
		.map(|_| {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			state as u8
		})
		.collect()
}

/// Time per iteration (ns) of every call criterion made, by (group, shape, function).
type Samples = RefCell<BTreeMap<(String, String, String), Vec<f64>>>;

/// Everything one shape's benchmarks use.
struct Setup<'a> {
	k: usize,
	n: usize,
	coder: Coder,
	rs: ReedSolomon,
	/// One segment of file bytes (`k` shards).
	file: Vec<u8>,
	/// That segment encoded: `n` shards, which are also the `n` one-segment pieces.
	shards: Vec<Vec<u8>>,
	samples: &'a Samples,
}

impl<'a> Setup<'a> {
	fn new(k: usize, n: usize, samples: &'a Samples) -> Self {
		let layout =
			Layout::with_shard_size(k as u16, n as u16, SHARD as u32).expect("valid shape");
		let coder = Coder::new(layout).expect("valid codec");
		let rs = ReedSolomon::new(k, n - k).expect("valid codec");
		let file = data(k * SHARD);
		let mut shards: Vec<Vec<u8>> = file.chunks(SHARD).map(<[u8]>::to_vec).collect();
		shards.resize(n, vec![0u8; SHARD]);
		rs.encode(&mut shards).expect("encodes");
		Self { k, n, coder, rs, file, shards, samples }
	}

	/// The pieces read by decode and repair: the last `k` (parity first, so data is missing).
	fn chosen(&self) -> std::ops::Range<usize> {
		self.n - self.k..self.n
	}

	fn name(&self) -> String {
		format!("k{}n{}", self.k, self.n)
	}

	/// Benchmark `routine` as `group/function/shape`, keeping every sample's time.
	fn bench(&self, group: &mut Group<'_>, function: &str, mut routine: impl FnMut()) {
		let key = (group.name.to_owned(), self.name(), function.to_owned());
		group.inner.bench_function(BenchmarkId::new(function, self.name()), |b| {
			b.iter_custom(|iters| {
				let start = Instant::now();
				for _ in 0..iters {
					routine();
				}
				let elapsed = start.elapsed();
				let per_iter = elapsed.as_nanos() as f64 / iters.max(1) as f64;
				self.samples.borrow_mut().entry(key.clone()).or_default().push(per_iter);
				elapsed
			})
		});
	}
}

/// A criterion group for one shape, remembering its name for the table.
struct Group<'c> {
	name: &'static str,
	inner: criterion::BenchmarkGroup<'c, criterion::measurement::WallTime>,
}

fn group<'c>(c: &'c mut Criterion, name: &'static str, bytes: usize) -> Group<'c> {
	let mut inner = c.benchmark_group(name);
	inner.throughput(Throughput::Bytes(bytes as u64));
	Group { name, inner }
}

fn encode(c: &mut Criterion, setup: &Setup) {
	let mut group = group(c, "encode", setup.file.len());
	let mut shards = setup.shards.clone();
	setup.bench(&mut group, "raw", || {
		setup.rs.encode(black_box(&mut shards)).expect("encodes");
	});
	setup.bench(&mut group, "raw_copy", || {
		for (shard, bytes) in shards.iter_mut().zip(black_box(&setup.file).chunks(SHARD)) {
			shard.copy_from_slice(bytes);
		}
		setup.rs.encode(black_box(&mut shards)).expect("encodes");
	});
	let mut sinks: Vec<io::Sink> = (0..setup.n).map(|_| io::sink()).collect();
	setup.bench(&mut group, "cairn", || {
		setup.coder.encode_unhashed(black_box(&setup.file[..]), &mut sinks).expect("encodes");
	});
	group.inner.finish();
}

/// The raw crate's view of `shards` with only the `chosen` ones present.
fn slots<'a>(
	shards: &'a mut [Vec<u8>],
	chosen: &std::ops::Range<usize>,
) -> Vec<(&'a mut [u8], bool)> {
	shards.iter_mut().enumerate().map(|(i, shard)| (&mut shard[..], chosen.contains(&i))).collect()
}

fn decode(c: &mut Criterion, setup: &Setup) {
	let mut group = group(c, "decode", setup.file.len());
	let mut shards = setup.shards.clone();
	let chosen = setup.chosen();
	setup.bench(&mut group, "raw", || {
		let mut slots = slots(&mut shards, &chosen);
		setup.rs.reconstruct_data(black_box(&mut slots)).expect("decodes");
	});
	setup.bench(&mut group, "raw_copy", || {
		for i in chosen.clone() {
			shards[i].copy_from_slice(black_box(&setup.shards[i]));
		}
		let mut slots = slots(&mut shards, &chosen);
		setup.rs.reconstruct_data(black_box(&mut slots)).expect("decodes");
	});
	let size = setup.file.len() as u64;
	setup.bench(&mut group, "cairn", || {
		let mut pieces: Vec<PieceReader<&[u8]>> =
			chosen.clone().map(|i| PieceReader::new(i, &setup.shards[i][..])).collect();
		setup.coder.decode(size, black_box(&mut pieces), None, io::sink()).expect("decodes");
	});
	group.inner.finish();
}

fn repair(c: &mut Criterion, setup: &Setup) {
	let mut group = group(c, "repair", setup.file.len());
	let mut shards = setup.shards.clone();
	let chosen = setup.chosen();
	setup.bench(&mut group, "raw", || {
		let mut slots = slots(&mut shards, &chosen);
		setup.rs.reconstruct(black_box(&mut slots)).expect("rebuilds");
	});
	setup.bench(&mut group, "raw_copy", || {
		for i in chosen.clone() {
			shards[i].copy_from_slice(black_box(&setup.shards[i]));
		}
		let mut slots = slots(&mut shards, &chosen);
		setup.rs.reconstruct(black_box(&mut slots)).expect("rebuilds");
	});
	let size = setup.file.len() as u64;
	setup.bench(&mut group, "cairn", || {
		let mut pieces: Vec<PieceReader<&[u8]>> =
			chosen.clone().map(|i| PieceReader::new(i, &setup.shards[i][..])).collect();
		let mut targets: Vec<PieceWriter<io::Sink>> =
			(0..chosen.start).map(|i| PieceWriter::new(i, io::sink())).collect();
		setup
			.coder
			.reconstruct(size, black_box(&mut pieces), None, &mut targets)
			.expect("rebuilds");
	});
	group.inner.finish();
}

/// Build the root of every shard in `shards` on `threads` threads (each takes every
/// `threads`-th shard): hashing alone, as the threaded pipeline spreads it.
fn hash_shards(shards: &[Vec<u8>], threads: usize) {
	let hash = |first: usize| {
		for shard in shards.iter().skip(first).step_by(threads) {
			let mut builder = RootBuilder::new();
			builder.push_leaves(black_box(shard)).expect("aligned");
			black_box(builder.finish().expect("not empty"));
		}
	};
	std::thread::scope(|scope| {
		for first in 1..threads {
			scope.spawn(move || hash(first));
		}
		hash(0);
	});
}

fn pipeline(c: &mut Criterion, setup: &Setup) {
	let mut group = group(c, "pipeline", setup.n * SHARD);
	setup.bench(&mut group, "hash_only", || hash_shards(&setup.shards, 1));
	let mut sinks: Vec<io::Sink> = (0..setup.n).map(|_| io::sink()).collect();
	setup.bench(&mut group, "cairn", || {
		black_box(setup.coder.encode(black_box(&setup.file[..]), &mut sinks).expect("encodes"));
	});
	setup.bench(&mut group, "hash_only_2t", || hash_shards(&setup.shards, 2));
	let coder = Coder::new(setup.coder.layout()).expect("valid codec").with_threads(2);
	setup.bench(&mut group, "cairn_2t", || {
		black_box(coder.encode(black_box(&setup.file[..]), &mut sinks).expect("encodes"));
	});
	group.inner.finish();
}

fn median(values: &[f64]) -> f64 {
	let mut sorted = values.to_vec();
	sorted.sort_by(f64::total_cmp);
	sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

fn best(values: &[f64]) -> f64 {
	values.iter().copied().fold(f64::INFINITY, f64::min)
}

/// Print the side-by-side table of everything that ran.
fn report(samples: &Samples) {
	let samples = samples.borrow();
	let ms = |ns: f64| ns / 1e6;
	println!();
	println!(
		"ratio = baseline time / cairn time: cairn's throughput as a fraction of the baseline's"
	);
	println!("(med: median sample of each side; best: fastest sample of each side)");
	println!(
		"{:<7} {:<40} {:>9} {:>9} {:>7} {:>9} {:>9} {:>7}",
		"shape", "row", "base med", "ours med", "ratio", "base best", "ours best", "ratio"
	);
	for (k, n) in SHAPES {
		let shape = format!("k{k}n{n}");
		for (group, base, ours, row) in PAIRS {
			let get = |function: &str| {
				samples.get(&(group.to_owned(), shape.clone(), function.to_owned()))
			};
			let (Some(base), Some(ours)) = (get(base), get(ours)) else { continue };
			let (base_med, ours_med) = (median(base), median(ours));
			let (base_best, ours_best) = (best(base), best(ours));
			println!(
				"{shape:<7} {row:<40} {:>7.2}ms {:>7.2}ms {:>6.2}x {:>7.2}ms {:>7.2}ms {:>6.2}x",
				ms(base_med),
				ms(ours_med),
				base_med / ours_med,
				ms(base_best),
				ms(ours_best),
				base_best / ours_best,
			);
		}
	}
}

fn main() {
	let samples = Samples::default();
	let mut c = Criterion::default()
		.sample_size(10)
		.warm_up_time(Duration::from_millis(300))
		.measurement_time(Duration::from_millis(1500))
		.configure_from_args();
	for (k, n) in SHAPES {
		let setup = Setup::new(k, n, &samples);
		encode(&mut c, &setup);
		decode(&mut c, &setup);
		repair(&mut c, &setup);
		pipeline(&mut c, &setup);
	}
	c.final_summary();
	report(&samples);
}
