//! `id` and `swarm_connect`: two daemons that do not know each other until connected.
#![allow(clippy::expect_used)]

mod common;

use cairn_ipfs::{Error, Ipfs};
use std::{io::Cursor, time::Duration};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_then_swarm_connect_makes_content_reachable() {
	// Two separate one-daemon networks: not connected to each other.
	let (net_a, net_b) = (common::network(1), common::network(1));
	let (a, b) = (common::client(&net_a, 0), common::client(&net_b, 0));
	let da = &net_a.daemons()[0];

	let id = a.id().await.expect("id");
	assert_eq!(id.peer_id, da.peer_id, "id and the repo config agree");
	assert!(
		id.addresses.is_empty() || id.addresses.contains(&da.swarm),
		"{} not among {:?}",
		da.swarm,
		id.addresses
	);
	assert_ne!(b.id().await.expect("id").peer_id, id.peer_id);

	let added = a.add(Cursor::new(common::random_bytes(5000))).await.expect("add on A");
	let short = Duration::from_secs(2);
	assert_eq!(b.block_stat(&added.cid, short).await.expect("stat"), None, "not connected yet");

	b.swarm_connect(&da.swarm).await.expect("swarm connect B -> A");
	b.swarm_connect(&da.swarm).await.expect("connecting again is fine");
	let stat = b.block_stat(&added.cid, Duration::from_secs(20)).await.expect("stat");
	assert_eq!(stat, Some(5000), "B finds A's block once connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swarm_connect_failures_are_errors() {
	let net = common::network(1);
	let a = common::client(&net, 0).with_call_timeout(Duration::from_secs(5));
	let peer = &net.daemons()[0].peer_id;
	match a.swarm_connect("not a multiaddr").await {
		Err(Error::Api(_)) => {}
		other => panic!("expected Error::Api, got {other:?}"),
	}
	// Nobody listens on port 1.
	match a.swarm_connect(&format!("/ip4/127.0.0.1/tcp/1/p2p/{peer}")).await {
		Err(Error::Api(_) | Error::Timeout(_)) => {}
		other => panic!("expected a failed dial, got {other:?}"),
	}
}
