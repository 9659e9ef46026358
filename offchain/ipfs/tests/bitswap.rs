//! Content added on one daemon is read from another over Bitswap: whole, by range, streamed.
#![allow(clippy::expect_used)]

mod common;

use cairn_ipfs::Ipfs;
use cid::Version;
use std::{io::Cursor, time::Duration};

const DAG_PB: u64 = 0x70;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_on_a_cat_from_b_whole_and_by_range() {
	let net = common::network(2);
	let (a, b) = (common::client(&net, 0), common::client(&net, 1));

	// Three 256 KiB chunks and a bit: a dag-pb root over raw leaves.
	let data = common::random_bytes(3 * 262_144 + 1000);
	let len = data.len() as u64;
	let added = a.add(Cursor::new(data.clone())).await.expect("add on daemon A");
	assert_eq!(added.size, len, "Added.size is the data size, not the DAG size");
	assert_eq!(added.cid.version(), Version::V1);
	assert_eq!(added.cid.codec(), DAG_PB);

	let whole = b.cat(&added.cid, 0, None).await.expect("cat on daemon B");
	assert!(whole == data, "B returned {} bytes, not the {len} added on A", whole.len());

	for (offset, length) in [
		(0, Some(10)),
		(262_140, Some(10)),   // across the first leaf boundary
		(1000, Some(600_000)), // over three leaves
		(len - 5, Some(100)),  // past the end: what there is
		(len - 7, None),
		(5, Some(0)),
		(len, None),         // at the end: nothing
		(len + 10, Some(3)), // beyond the end: nothing (js-ipfs refuses, Kubo sends nothing)
	] {
		let start = (offset.min(len)) as usize;
		let end = length.map_or(len, |l| (offset + l).min(len)).max(offset.min(len)) as usize;
		let got = b.cat(&added.cid, offset, length).await.expect("ranged cat");
		assert!(
			got == data[start..end],
			"cat offset {offset} length {length:?}: {} bytes, expected {}",
			got.len(),
			end - start
		);
	}

	let mut out = Vec::new();
	let n = b.cat_to(&added.cid, &mut out).await.expect("cat_to on daemon B");
	assert_eq!(n, len);
	assert!(out == data);

	// B holds the root block now (fetched for the cats).
	let root = b.block_stat(&added.cid, Duration::from_secs(5)).await.expect("block/stat");
	assert!(matches!(root, Some(s) if s > 0), "root block on B: {root:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_add_and_cat_stream_without_buffering() {
	let net = common::network(2);
	let (a, b) = (common::client(&net, 0), common::client(&net, 1));

	// Generated while uploading and checked while downloading: never held in memory whole.
	const LEN: u64 = 24 * 1024 * 1024;
	let seed = common::fresh_seed();
	let started = std::time::Instant::now();
	let added = a.add(common::Bytes::new(seed, LEN)).await.expect("streamed add");
	let add_time = started.elapsed();
	assert_eq!(added.size, LEN);

	struct Check {
		expected: common::Bytes,
		seen: u64,
		mismatch: Option<u64>,
	}
	impl std::io::Write for Check {
		fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
			let mut want = vec![0u8; buf.len()];
			std::io::Read::read_exact(&mut self.expected, &mut want)?;
			if self.mismatch.is_none() {
				if let Some(i) = want.iter().zip(buf).position(|(x, y)| x != y) {
					self.mismatch = Some(self.seen + i as u64);
				}
			}
			self.seen += buf.len() as u64;
			Ok(buf.len())
		}
		fn flush(&mut self) -> std::io::Result<()> {
			Ok(())
		}
	}
	let mut check = Check { expected: common::Bytes::new(seed, LEN), seen: 0, mismatch: None };
	let started = std::time::Instant::now();
	let n = b.cat_to(&added.cid, &mut check).await.expect("streamed cat_to from B");
	eprintln!(
		"24 MiB: add on A {:.1} s, cat_to from B over Bitswap {:.1} s",
		add_time.as_secs_f64(),
		started.elapsed().as_secs_f64()
	);
	assert_eq!(n, LEN);
	assert_eq!(check.mismatch, None, "first differing byte");
}
