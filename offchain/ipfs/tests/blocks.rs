//! `block_stat` never hangs on a missing block; `repo_gc` removes what is no longer pinned.
#![allow(clippy::expect_used)]

mod common;

use cairn_ipfs::Ipfs;
use std::{
	io::Cursor,
	time::{Duration, Instant},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_stat_of_a_missing_block_is_none_within_the_timeout() {
	let net = common::network(2); // a peer to ask, which does not have it either
	let a = common::client(&net, 0);
	let timeout = Duration::from_secs(2);
	let started = Instant::now();
	let stat = a.block_stat(&common::missing_cid(), timeout).await.expect("block/stat");
	let took = started.elapsed();
	assert_eq!(stat, None);
	assert!(took >= timeout && took < timeout + Duration::from_secs(8), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repo_gc_removes_an_unpinned_block_and_keeps_pinned_ones() {
	let net = common::network(1); // alone: nobody could give the block back
	let ipfs = common::client(&net, 0);
	let second = Duration::from_secs(1);

	let kept = ipfs.add(Cursor::new(common::random_bytes(1000))).await.expect("add");
	let dropped = ipfs.add(Cursor::new(common::random_bytes(1000))).await.expect("add");
	assert_eq!(ipfs.block_stat(&dropped.cid, second).await.expect("stat"), Some(1000));

	ipfs.pin_rm(&dropped.cid).await.expect("pin/rm");
	assert_eq!(
		ipfs.block_stat(&dropped.cid, second).await.expect("stat"),
		Some(1000),
		"unpinned blocks stay until garbage-collected"
	);
	ipfs.repo_gc().await.expect("repo/gc");
	assert_eq!(ipfs.block_stat(&dropped.cid, second).await.expect("stat"), None);
	assert_eq!(ipfs.block_stat(&kept.cid, second).await.expect("stat"), Some(1000));
	ipfs.repo_gc().await.expect("repo/gc with nothing to collect");
}
