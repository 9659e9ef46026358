//! `pin_add` fetches from a connected peer by Bitswap; `pin_ls` and `pin_rm` follow it.
#![allow(clippy::expect_used)]

mod common;

use cairn_ipfs::{Error, Ipfs};
use std::{
	io::Cursor,
	time::{Duration, Instant},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pin_add_on_b_then_pin_ls_then_pin_rm() {
	let net = common::network(2);
	let (a, b) = (common::client(&net, 0), common::client(&net, 1));

	let data = common::random_bytes(700_000);
	let added = a.add(Cursor::new(data.clone())).await.expect("add on A");
	assert!(!b.pin_ls().await.expect("pin/ls on B").contains(&added.cid));

	b.pin_add(&added.cid, Duration::from_secs(60)).await.expect("pin/add on B, fetching from A");
	let pins = b.pin_ls().await.expect("pin/ls on B");
	assert!(pins.contains(&added.cid), "{} not in {pins:?}", added.cid);
	// Pinned means held: B serves it with A gone.
	let pid_a = net.daemons()[0].pid.to_string();
	let killed = std::process::Command::new("kill").args(["-KILL", &pid_a]).status();
	assert!(killed.is_ok_and(|s| s.success()), "kill daemon A");
	let b = b.with_stall_timeout(Duration::from_secs(10));
	assert!(b.cat(&added.cid, 0, None).await.expect("cat on B without A") == data);

	b.pin_rm(&added.cid).await.expect("pin/rm on B");
	assert!(!b.pin_ls().await.expect("pin/ls on B").contains(&added.cid));
	b.pin_rm(&added.cid).await.expect("pin/rm of what is not pinned is no error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pin_add_of_what_nobody_has_times_out() {
	let net = common::network(2);
	let b = common::client(&net, 1);
	let timeout = Duration::from_secs(2);
	let started = Instant::now();
	match b.pin_add(&common::missing_cid(), timeout).await {
		Err(Error::Timeout(t)) => assert_eq!(t, timeout),
		other => panic!("expected Error::Timeout, got {other:?}"),
	}
	let took = started.elapsed();
	assert!(took >= timeout && took < timeout + Duration::from_secs(8), "took {took:?}");
}
