//! The coder works on column stripes of 32 KiB and may hash on several threads; neither may
//! change a byte. Shards here span several stripes (and a part), and segments are large enough
//! for the threads to be used, and every result is checked against the plain codec called on
//! whole shards.

#![allow(clippy::expect_used)] // Tests state what they expect.

mod common;

use cairn_erasure::{Coder, Kernel, LEAF_SIZE};
use cairn_storage_primitives::piece_root;
use common::{coder, data};
use reed_solomon_erasure::galois_8::ReedSolomon;

#[test]
fn striped_and_threaded_coding_match_the_plain_codec() {
	let (k, n) = (4usize, 7usize);
	// 176 KiB shards: 5.5 stripes; a full segment's 7 shards are 1.2 MiB.
	let leaves = 88u32;
	let shard = leaves as usize * LEAF_SIZE;
	let file = data(42, 2 * k * shard + 100_000);
	let size = file.len() as u64;

	// The pieces, built with the plain codec on whole shards, segment by segment.
	let rs = ReedSolomon::new(k, n - k).expect("valid codec");
	let plan = coder(k as u16, n as u16, leaves).layout().plan(size).expect("fits");
	let mut expected = vec![Vec::new(); n];
	for segment in plan.segments() {
		let shard_size = segment.shard_size as usize;
		let start = segment.file_offset as usize;
		let mut bytes = file[start..start + segment.data_len as usize].to_vec();
		bytes.resize(n * shard_size, 0);
		let mut shards: Vec<&mut [u8]> = bytes.chunks_mut(shard_size).collect();
		rs.encode(&mut shards).expect("encodes");
		for (piece, shard) in expected.iter_mut().zip(shards) {
			piece.extend_from_slice(shard);
		}
	}
	let roots: Vec<_> = expected.iter().map(|piece| piece_root(piece).expect("aligned")).collect();

	let layout = coder(k as u16, n as u16, leaves).layout();
	let portable = || Coder::with_kernel(layout, Kernel::Portable).expect("runs anywhere");
	let best = || coder(k as u16, n as u16, leaves);
	let coders = [(1, best()), (3, best()), (1, portable()), (2, portable())];
	for (threads, coder) in coders {
		let coder = coder.with_threads(threads);
		let threads = format!("{threads} threads, {:?} kernel", coder.kernel());
		let encoded = coder.encode_bytes(&file).expect("encodes");
		assert!(encoded.pieces == expected, "{threads}: pieces differ");
		assert_eq!(encoded.roots, roots, "{threads}");

		// Every data piece missing but one: the decode and the rebuild run the codec on every
		// stripe.
		let chosen: Vec<(usize, &[u8])> = (n - k..n).map(|i| (i, &expected[i][..])).collect();
		let decoded = coder.decode_bytes(size, &chosen, Some(&roots)).expect("decodes");
		assert!(decoded == file, "{threads}: decoded file differs");
		let missing: Vec<usize> = (0..n - k).collect();
		let rebuilt =
			coder.reconstruct_bytes(size, &chosen, Some(&roots), &missing).expect("rebuilds");
		for (index, piece) in missing.iter().zip(rebuilt) {
			assert!(piece == expected[*index], "{threads}: piece {index} differs");
		}
	}
}
