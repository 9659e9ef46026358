//! Memory stays bounded by a segment, not by the file: measured as the growth of the
//! process's peak resident memory while coding a stream far larger than a segment.

#![allow(clippy::expect_used)] // Tests state what they expect.

mod common;

use cairn_erasure::PieceReader;
use std::io::{self, Read, Write};

/// Peak resident memory of this process in KiB (`VmHWM`), after resetting it to the current
/// resident size when `reset` (Linux: writing 5 to `clear_refs`).
fn peak_kib(reset: bool) -> u64 {
	if reset {
		std::fs::write("/proc/self/clear_refs", "5").expect("procfs");
	}
	let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
	let line = status.lines().find(|line| line.starts_with("VmHWM:")).expect("VmHWM");
	line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("a number")
}

/// An endless stream of bytes cut off after `len`, generated without holding them.
struct Generated {
	left: u64,
	state: u8,
}

impl Read for Generated {
	fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
		let len = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
		for byte in &mut buf[..len] {
			self.state = self.state.wrapping_mul(31).wrapping_add(7);
			*byte = self.state;
		}
		self.left -= len as u64;
		Ok(len)
	}
}

/// Discards bytes but remembers how many.
#[derive(Default)]
struct Counter(u64);

impl Write for Counter {
	fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
		self.0 += buf.len() as u64;
		Ok(buf.len())
	}

	fn flush(&mut self) -> io::Result<()> {
		Ok(())
	}
}

#[test]
#[cfg(target_os = "linux")]
fn encode_and_decode_memory_does_not_grow_with_the_file() {
	// k = 4, n = 6, 32 KiB shards: a segment is 128 KiB, the buffer 192 KiB.
	let coder = common::coder(4, 6, 16);
	let file_size = 32 * 1024 * 1024 + 5;
	let before = peak_kib(true);
	let mut sinks: Vec<Counter> = (0..6).map(|_| Counter::default()).collect();
	let encoded =
		coder.encode(Generated { left: file_size, state: 1 }, &mut sinks).expect("encodes");
	assert!(sinks.iter().all(|sink| sink.0 == encoded.plan.piece_size()));
	let encode_growth = peak_kib(false).saturating_sub(before);

	// Decode from generated parity-heavy input: sizes are all that matter here.
	let before = peak_kib(true);
	let mut readers: Vec<PieceReader<Generated>> = (2..6)
		.map(|index| {
			PieceReader::new(
				index,
				Generated { left: encoded.plan.piece_size(), state: index as u8 },
			)
		})
		.collect();
	let mut out = Counter::default();
	coder.decode(file_size, &mut readers, None, &mut out).expect("decodes");
	assert_eq!(out.0, file_size);
	let decode_growth = peak_kib(false).saturating_sub(before);

	eprintln!(
		"peak resident memory grew by {encode_growth} KiB (encode), {decode_growth} KiB (decode)"
	);
	// The file is 32 MiB (48 MiB of pieces); the coder holds one 192 KiB segment buffer.
	let bound_kib = 4 * 1024;
	assert!(encode_growth < bound_kib, "encode grew the peak by {encode_growth} KiB");
	assert!(decode_growth < bound_kib, "decode grew the peak by {decode_growth} KiB");
}
