//! What client-side encryption costs next to the worker's erasure-coding pipeline, and the
//! AEAD candidates side by side.
//!
//! All on the same in-memory 32 MiB file, 1 MiB shards, the coder in one thread (and the
//! encryption in the same thread unless said otherwise):
//!
//! - one group per shape, `k2n4` (the dev Standard tier) and `k10n16`:
//!   - `erasure`: [`Coder::encode`] of the plaintext into `io::Sink`s (segment, erasure-code,
//!     piece Merkle roots: the worker's pipeline);
//!   - `encrypt+erasure`: the same encode reading an [`EncryptReader`] over the plaintext;
//!   - `encrypt_thread+erasure`: the same encode, one thread, reading what a second thread
//!     encrypts with an [`EncryptReader`], handed over in 1 MiB buffers, `k + 2` of them (a
//!     copy the in-thread variant does not make, as there the plaintext is encrypted in the
//!     coder's own buffer);
//!   - `encrypt`: [`cairn_crypt::encrypt`] alone into an `io::Sink`.
//! - `aead`: sealing the file in place in 64 KiB chunks with each RustCrypto candidate:
//!   `aes-gcm` (AES-256-GCM, the one the crate uses) and `chacha20poly1305`
//!   (XChaCha20-Poly1305). ring's AES-256-GCM was measured here too while the crate used it;
//!   its figure is in the README.
//! - `stream`: [`cairn_crypt::decrypt`] of the encrypted file into an `io::Sink`.
//!
//! At the end a table gives, from the same samples criterion measured (median per
//! iteration), each shape's erasure and encrypt+erasure times, the extra time encryption adds
//! (`(b / a - 1) * 100`) in the coder's thread and in a thread of its own, and throughputs;
//! then each AEAD candidate's throughput and the extra it would add to each shape's erasure
//! time (its sealing time over the erasure time).
//!
//! `cargo bench -p cairn-crypt --bench crypt` (under a minute; add a filter such as `-- k2n4`).

#![allow(clippy::expect_used)] // Set-up failures abort the benchmark.

use aes_gcm::{aead::AeadInPlace, Aes256Gcm, KeyInit};
use cairn_crypt::{decrypt, encrypt, EncryptReader, FileKey, CHUNK_SIZE, ENCRYPTED_CHUNK_LEN};
use cairn_erasure::{Coder, Layout};
use chacha20poly1305::XChaCha20Poly1305;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use std::{
	cell::RefCell,
	collections::BTreeMap,
	hint::black_box,
	io::{self, Read},
	sync::mpsc::{sync_channel, Receiver, SyncSender},
	thread,
	time::{Duration, Instant},
};

const FILE: usize = 32 * 1024 * 1024;
const SHARD: u32 = 1024 * 1024;
const SHAPES: [(u16, u16); 2] = [(2, 4), (10, 16)];
/// Bytes per buffer handed from the encrypting thread to the coder's (whole encrypted chunks,
/// so the [`EncryptReader`] seals in place). A shape with `k` data shards gets `k + 2` of them:
/// the coder reads a whole segment (`k` shards) before coding it, and the encrypting thread
/// must be able to prepare the next segment meanwhile.
const HANDOFF: usize = 16 * ENCRYPTED_CHUNK_LEN;
const CANDIDATES: [&str; 2] = ["rustcrypto_aes256gcm", "rustcrypto_xchacha20poly1305"];

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

/// Time per iteration (ns) of every call criterion made, by (group, function).
type Samples = RefCell<BTreeMap<(String, String), Vec<f64>>>;

/// Benchmark `routine` as `group/function`, keeping every sample's time per iteration.
fn bench(
	group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
	samples: &Samples,
	name: &str,
	function: &str,
	mut routine: impl FnMut(),
) {
	let key = (name.to_owned(), function.to_owned());
	group.bench_function(BenchmarkId::from_parameter(function), |b| {
		b.iter_custom(|iters| {
			let start = Instant::now();
			for _ in 0..iters {
				routine();
			}
			let elapsed = start.elapsed();
			let per_iter = elapsed.as_nanos() as f64 / iters.max(1) as f64;
			samples.borrow_mut().entry(key.clone()).or_default().push(per_iter);
			elapsed
		})
	});
}

/// The coder's end of the hand-over: full buffers arrive on `full` and go back on `empty` once
/// read, so the two threads cycle through the same few buffers.
struct Pipe {
	full: Receiver<(Vec<u8>, usize)>,
	empty: SyncSender<Vec<u8>>,
	current: Vec<u8>,
	len: usize,
	pos: usize,
}

impl Read for Pipe {
	fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
		while self.pos == self.len {
			let read = std::mem::take(&mut self.current);
			if !read.is_empty() {
				// The producer may have finished and hung up; the buffer is then dropped.
				let _ = self.empty.send(read);
			}
			match self.full.recv() {
				Ok((buffer, len)) => (self.current, self.len, self.pos) = (buffer, len, 0),
				Err(_) => return Ok(0),
			}
		}
		let n = (self.len - self.pos).min(buf.len());
		buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
		self.pos += n;
		Ok(n)
	}
}

/// `coder.encode` of `file` encrypted in a second thread; the buffers of `pool` are lent to
/// the hand-over and given back.
fn encrypt_in_thread(
	coder: &Coder,
	key: &FileKey,
	file: &[u8],
	sinks: &mut [io::Sink],
	pool: &mut Vec<Vec<u8>>,
) {
	let buffers = pool.len();
	let (full_tx, full_rx) = sync_channel::<(Vec<u8>, usize)>(buffers);
	let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(buffers);
	for buffer in pool.drain(..) {
		empty_tx.send(buffer).expect("room for every buffer");
	}
	thread::scope(|scope| {
		let producer = scope.spawn(move || {
			let mut reader = EncryptReader::new(key, file).expect("encrypts");
			let mut kept = Vec::new();
			while let Ok(mut buffer) = empty_rx.recv() {
				let mut len = 0;
				while len < buffer.len() {
					match reader.read(&mut buffer[len..]).expect("encrypts") {
						0 => break,
						n => len += n,
					}
				}
				if len == 0 {
					kept.push(buffer);
					break;
				}
				full_tx.send((buffer, len)).expect("the coder reads to the end");
			}
			drop(full_tx);
			// The rest come back once the coder is done with them.
			kept.extend(empty_rx.iter());
			kept
		});
		let mut pipe = Pipe { full: full_rx, empty: empty_tx, current: Vec::new(), len: 0, pos: 0 };
		black_box(coder.encode(&mut pipe, sinks).expect("encodes"));
		let Pipe { current, empty, .. } = pipe;
		drop(empty);
		pool.extend(producer.join().expect("the encrypting thread ran"));
		if !current.is_empty() {
			pool.push(current);
		}
	});
	assert_eq!(pool.len(), buffers, "every buffer came back");
}

fn shape(c: &mut Criterion, samples: &Samples, file: &[u8], k: u16, n: u16) {
	let coder =
		Coder::new(Layout::with_shard_size(k, n, SHARD).expect("valid shape")).expect("codec");
	let key = FileKey::generate().expect("random");
	let name = format!("k{k}n{n}");
	let mut group = c.benchmark_group(&name);
	group.throughput(Throughput::Bytes(FILE as u64));
	let mut sinks: Vec<io::Sink> = (0..n).map(|_| io::sink()).collect();
	bench(&mut group, samples, &name, "erasure", || {
		black_box(coder.encode(black_box(file), &mut sinks).expect("encodes"));
	});
	bench(&mut group, samples, &name, "encrypt+erasure", || {
		let reader = EncryptReader::new(&key, black_box(file)).expect("encrypts");
		black_box(coder.encode(reader, &mut sinks).expect("encodes"));
	});
	let mut pool = vec![vec![0u8; HANDOFF]; usize::from(k) + 2];
	bench(&mut group, samples, &name, "encrypt_thread+erasure", || {
		encrypt_in_thread(&coder, &key, black_box(file), &mut sinks, &mut pool);
	});
	bench(&mut group, samples, &name, "encrypt", || {
		black_box(encrypt(&key, black_box(file), io::sink()).expect("encrypts"));
	});
	group.finish();
}

/// Seal `buf` in place in `CHUNK_SIZE` chunks with a counter nonce, as the stream does.
fn candidates(c: &mut Criterion, samples: &Samples, file: &[u8]) {
	let mut group = c.benchmark_group("aead");
	group.throughput(Throughput::Bytes(FILE as u64));
	let mut buf = file.to_vec();
	let header = [0u8; 32];
	let aes = Aes256Gcm::new(&[1u8; 32].into());
	bench(&mut group, samples, "aead", CANDIDATES[0], || {
		for (i, chunk) in buf.chunks_mut(CHUNK_SIZE).enumerate() {
			let mut nonce = [0u8; 12];
			nonce[7..11].copy_from_slice(&(i as u32).to_be_bytes());
			let tag = aes.encrypt_in_place_detached(&nonce.into(), &header, chunk);
			black_box(tag.expect("seals"));
		}
	});
	let xchacha = XChaCha20Poly1305::new(&[1u8; 32].into());
	bench(&mut group, samples, "aead", CANDIDATES[1], || {
		for (i, chunk) in buf.chunks_mut(CHUNK_SIZE).enumerate() {
			let mut nonce = [0u8; 24];
			nonce[19..23].copy_from_slice(&(i as u32).to_be_bytes());
			let tag = xchacha.encrypt_in_place_detached(&nonce.into(), &header, chunk);
			black_box(tag.expect("seals"));
		}
	});
	group.finish();
}

fn stream(c: &mut Criterion, samples: &Samples, file: &[u8]) {
	let key = FileKey::generate().expect("random");
	let mut ciphertext = Vec::new();
	encrypt(&key, file, &mut ciphertext).expect("encrypts");
	let mut group = c.benchmark_group("stream");
	group.throughput(Throughput::Bytes(FILE as u64));
	bench(&mut group, samples, "stream", "decrypt", || {
		black_box(decrypt(&key, black_box(&ciphertext[..]), io::sink()).expect("decrypts"));
	});
	group.finish();
}

fn median(values: &[f64]) -> f64 {
	let mut sorted = values.to_vec();
	sorted.sort_by(f64::total_cmp);
	sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Print the summary tables of everything that ran.
fn report(samples: &Samples) {
	let samples = samples.borrow();
	let get = |group: &str, function: &str| {
		samples.get(&(group.to_owned(), function.to_owned())).map(|values| median(values))
	};
	let ms = |ns: f64| ns / 1e6;
	let mib_s = |ns: f64| (FILE as f64 / (1024.0 * 1024.0)) / (ns / 1e9);
	println!();
	println!("32 MiB file, the coder in one thread, medians of criterion's samples");
	println!(
		"{:<7} {:>11} {:>17} {:>8} {:>21} {:>8} {:>15}",
		"shape",
		"erasure",
		"encrypt+erasure",
		"extra",
		"encrypt in 2nd thread",
		"extra",
		"encrypt alone"
	);
	for (k, n) in SHAPES {
		let shape = format!("k{k}n{n}");
		let (Some(a), Some(b), Some(t), Some(e)) = (
			get(&shape, "erasure"),
			get(&shape, "encrypt+erasure"),
			get(&shape, "encrypt_thread+erasure"),
			get(&shape, "encrypt"),
		) else {
			continue;
		};
		println!(
			"{shape:<7} {:>8.2} ms {:>14.2} ms {:>7.1}% {:>18.2} ms {:>7.1}% {:>9.0} MiB/s",
			ms(a),
			ms(b),
			(b / a - 1.0) * 100.0,
			ms(t),
			(t / a - 1.0) * 100.0,
			mib_s(e)
		);
	}
	println!();
	println!("AEAD candidates: sealing 32 MiB in 64 KiB chunks, and that time over erasure's");
	print!("{:<30} {:>11}", "candidate", "throughput");
	for (k, n) in SHAPES {
		print!(" {:>10}", format!("+% k{k}n{n}"));
	}
	println!();
	for candidate in CANDIDATES {
		let Some(t) = get("aead", candidate) else { continue };
		print!("{candidate:<30} {:>5.0} MiB/s", mib_s(t));
		for (k, n) in SHAPES {
			match get(&format!("k{k}n{n}"), "erasure") {
				Some(a) => print!(" {:>9.1}%", t / a * 100.0),
				None => print!(" {:>10}", "-"),
			}
		}
		println!();
	}
	if let Some(t) = get("stream", "decrypt") {
		println!();
		println!("decrypt (cairn_crypt::decrypt into a sink): {:.0} MiB/s", mib_s(t));
	}
}

fn main() {
	let samples = Samples::default();
	let mut c = Criterion::default()
		.sample_size(10)
		.warm_up_time(Duration::from_millis(300))
		.measurement_time(Duration::from_secs(2))
		.configure_from_args();
	let file = data(FILE);
	for (k, n) in SHAPES {
		shape(&mut c, &samples, &file, k, n);
	}
	candidates(&mut c, &samples, &file);
	stream(&mut c, &samples, &file);
	c.final_summary();
	report(&samples);
}
