//! Cairn's coder side by side with the raw `reed-solomon-erasure` calls on the same buffers,
//! and the full pipeline (segment + encode + piece roots) against hashing alone.
//!
//! One segment per iteration (the coder keeps its segment buffer between calls), 1 MiB shards,
//! at k = 10, n = 16 and at the dev tiers' shapes. Throughput is in file bytes for encode and
//! decode, in expanded (all pieces) bytes for the pipeline and hashing.
//!
//! `cargo bench -p cairn-erasure` (add `-- --quick` for a rough run).

#![allow(clippy::expect_used)] // Set-up failures abort the benchmark.

use cairn_erasure::{Coder, Layout, PieceReader, PieceWriter};
use cairn_storage_primitives::RootBuilder;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use reed_solomon_erasure::galois_8::ReedSolomon;
use std::{hint::black_box, io, time::Duration};

const SHARD: usize = 1024 * 1024;
const SHAPES: [(usize, usize); 4] = [(10, 16), (1, 3), (2, 4), (4, 6)];

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

/// Everything one shape's benchmarks use.
struct Setup {
	k: usize,
	n: usize,
	coder: Coder,
	rs: ReedSolomon,
	/// One segment of file bytes (`k` shards).
	file: Vec<u8>,
	/// That segment encoded: `n` shards, which are also the `n` one-segment pieces.
	shards: Vec<Vec<u8>>,
}

impl Setup {
	fn new(k: usize, n: usize) -> Self {
		let layout =
			Layout::with_shard_size(k as u16, n as u16, SHARD as u32).expect("valid shape");
		let coder = Coder::new(layout).expect("valid codec");
		let rs = ReedSolomon::new(k, n - k).expect("valid codec");
		let file = data(k * SHARD);
		let mut shards: Vec<Vec<u8>> = file.chunks(SHARD).map(<[u8]>::to_vec).collect();
		shards.resize(n, vec![0u8; SHARD]);
		rs.encode(&mut shards).expect("encodes");
		Self { k, n, coder, rs, file, shards }
	}

	/// The pieces read by decode and repair: the last `k` (parity first, so data is missing).
	fn chosen(&self) -> std::ops::Range<usize> {
		self.n - self.k..self.n
	}

	fn name(&self) -> String {
		format!("k{}n{}", self.k, self.n)
	}
}

fn encode(c: &mut Criterion, setup: &Setup) {
	let mut group = c.benchmark_group("encode");
	group.throughput(Throughput::Bytes(setup.file.len() as u64));
	let mut shards = setup.shards.clone();
	group.bench_function(BenchmarkId::new("raw", setup.name()), |b| {
		b.iter(|| setup.rs.encode(black_box(&mut shards)).expect("encodes"))
	});
	let mut sinks: Vec<io::Sink> = (0..setup.n).map(|_| io::sink()).collect();
	group.bench_function(BenchmarkId::new("cairn", setup.name()), |b| {
		b.iter(|| {
			setup.coder.encode_unhashed(black_box(&setup.file[..]), &mut sinks).expect("encodes")
		})
	});
	group.finish();
}

fn decode(c: &mut Criterion, setup: &Setup) {
	let mut group = c.benchmark_group("decode");
	group.throughput(Throughput::Bytes(setup.file.len() as u64));
	let mut shards = setup.shards.clone();
	let chosen = setup.chosen();
	group.bench_function(BenchmarkId::new("raw", setup.name()), |b| {
		b.iter(|| {
			let mut slots: Vec<(&mut [u8], bool)> = shards
				.iter_mut()
				.enumerate()
				.map(|(i, shard)| (&mut shard[..], chosen.contains(&i)))
				.collect();
			setup.rs.reconstruct_data(black_box(&mut slots)).expect("decodes")
		})
	});
	let size = setup.file.len() as u64;
	group.bench_function(BenchmarkId::new("cairn", setup.name()), |b| {
		b.iter(|| {
			let mut pieces: Vec<PieceReader<&[u8]>> =
				chosen.clone().map(|i| PieceReader::new(i, &setup.shards[i][..])).collect();
			setup.coder.decode(size, black_box(&mut pieces), None, io::sink()).expect("decodes")
		})
	});
	group.finish();
}

fn repair(c: &mut Criterion, setup: &Setup) {
	let mut group = c.benchmark_group("repair");
	group.throughput(Throughput::Bytes(setup.file.len() as u64));
	let mut shards = setup.shards.clone();
	let chosen = setup.chosen();
	group.bench_function(BenchmarkId::new("raw", setup.name()), |b| {
		b.iter(|| {
			let mut slots: Vec<(&mut [u8], bool)> = shards
				.iter_mut()
				.enumerate()
				.map(|(i, shard)| (&mut shard[..], chosen.contains(&i)))
				.collect();
			setup.rs.reconstruct(black_box(&mut slots)).expect("rebuilds")
		})
	});
	let size = setup.file.len() as u64;
	group.bench_function(BenchmarkId::new("cairn", setup.name()), |b| {
		b.iter(|| {
			let mut pieces: Vec<PieceReader<&[u8]>> =
				chosen.clone().map(|i| PieceReader::new(i, &setup.shards[i][..])).collect();
			let mut targets: Vec<PieceWriter<io::Sink>> =
				(0..chosen.start).map(|i| PieceWriter::new(i, io::sink())).collect();
			setup
				.coder
				.reconstruct(size, black_box(&mut pieces), None, &mut targets)
				.expect("rebuilds")
		})
	});
	group.finish();
}

fn pipeline(c: &mut Criterion, setup: &Setup) {
	let mut group = c.benchmark_group("pipeline");
	group.throughput(Throughput::Bytes((setup.n * SHARD) as u64));
	group.bench_function(BenchmarkId::new("hash_only", setup.name()), |b| {
		b.iter(|| {
			for shard in &setup.shards {
				let mut builder = RootBuilder::new();
				builder.push_leaves(black_box(shard)).expect("aligned");
				black_box(builder.finish().expect("not empty"));
			}
		})
	});
	let mut sinks: Vec<io::Sink> = (0..setup.n).map(|_| io::sink()).collect();
	group.bench_function(BenchmarkId::new("segment_encode_hash", setup.name()), |b| {
		b.iter(|| setup.coder.encode(black_box(&setup.file[..]), &mut sinks).expect("encodes"))
	});
	group.finish();
}

fn all(c: &mut Criterion) {
	for (k, n) in SHAPES {
		let setup = Setup::new(k, n);
		encode(c, &setup);
		decode(c, &setup);
		repair(c, &setup);
		pipeline(c, &setup);
	}
}

criterion_group! {
	name = benches;
	config = Criterion::default()
		.sample_size(10)
		.warm_up_time(Duration::from_millis(500))
		.measurement_time(Duration::from_secs(2));
	targets = all
}
criterion_main!(benches);
