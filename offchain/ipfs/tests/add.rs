//! `add` stores CIDv1 with raw leaves, pinned, and reports the reader's failures as I/O errors.
#![allow(clippy::expect_used)]

mod common;

use cairn_ipfs::{parse_cid, Error, Ipfs};
use std::io::Cursor;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_is_cidv1_raw_leaves_pinned() {
	let net = common::network(1);
	let ipfs = common::client(&net, 0);

	// sha2-256("hello") as a raw CIDv1: what any IPFS implementation gives with raw leaves.
	let hello = ipfs.add(Cursor::new(b"hello".to_vec())).await.expect("add");
	let expected = parse_cid("bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq")
		.expect("known CID");
	assert_eq!(hello.cid, expected, "js-ipfs answered {}", hello.cid);
	assert_eq!(hello.size, 5);

	let empty = ipfs.add(std::io::empty()).await.expect("add of nothing");
	assert_eq!(empty.size, 0);

	let pins = ipfs.pin_ls().await.expect("pin/ls");
	assert!(pins.contains(&hello.cid), "added content is pinned: {pins:?}");
	assert!(pins.contains(&empty.cid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_reader_is_an_io_error() {
	struct Failing(u32);
	impl std::io::Read for Failing {
		fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
			if self.0 == 0 {
				return Err(std::io::Error::other("disk went away"));
			}
			self.0 -= 1;
			buf.fill(7);
			Ok(buf.len())
		}
	}
	let net = common::network(1);
	let ipfs = common::client(&net, 0);
	match ipfs.add(Failing(3)).await {
		Err(Error::Io(e)) => assert!(e.to_string().contains("disk went away"), "{e}"),
		other => panic!("expected Error::Io, got {other:?}"),
	}
	// The daemon is still fine afterwards.
	ipfs.id().await.expect("id after a failed add");
}
