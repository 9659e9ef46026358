//! `cairn-node --storage-worker`: the storage worker runs as a task of a real dev node, signs
//! with the dev chain's storage worker key (`//Alice`, the development fallback), talks to the
//! node over its own RPC and to a real js-ipfs daemon, and its health probes get an operator
//! whose IPFS peer nobody runs marked offline.
//!
//! Needs the node binary (`cargo build -p cairn-node`) and the IPFS daemon package.

#![allow(clippy::expect_used)]

mod common;

use cairn_cli::chain::{self, ChainApi, StorageEvent};
use cairn_ipfs::local_net::LocalIpfs;
use common::DevNode;
use std::time::{Duration, Instant};

/// A well-formed address of a peer nobody runs (the discard port, a made-up peer id).
const NOBODY: &str =
	"/ip4/127.0.0.1/tcp/9/p2p/12D3KooWAqqzpgYemPh5kMzE8cbhgQ4NV6UAVnrPoe93gSx7uxCM";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_runs_the_storage_worker() {
	let ipfs = LocalIpfs::start(1).expect("an IPFS daemon starts (scripts/ipfs.sh)");
	let api = ipfs.daemons()[0].api.clone();
	let (node, reader) = DevNode::start_with(
		"node-worker",
		&["--storage-worker", "--ipfs-api", &api, "--storage-worker-probe-interval", "3"],
	)
	.await;
	let alice = chain::account_of(&chain::signer_from_suri("//Alice").expect("suri"));

	// Bob registers with an IPFS peer nobody runs.
	let bob = node.signed("//Bob").await;
	let bond: u128 = reader.constant("MinOperatorBond").await.expect("constant");
	let mut events = reader.follow().await.expect("follows");
	bob.register_operator(bond, 1 << 30, "eu-west", NOBODY).await.expect("registers");
	let bob = bob.account().expect("signer");

	// The node's worker reports him once per block until the chain marks him offline.
	let threshold: u32 = reader.constant("OfflineReportThreshold").await.expect("constant");
	let start = Instant::now();
	let mut reports = Vec::new();
	loop {
		assert!(
			start.elapsed() < Duration::from_secs(180),
			"Bob was not marked offline within 180 s (reports {reports:?}); node log:\n{}",
			node.log_tail()
		);
		let block = tokio::time::timeout(Duration::from_secs(60), events.next())
			.await
			.expect("a finalized block")
			.expect("events");
		let mut marked = false;
		for event in block.events {
			match event {
				StorageEvent::OperatorReportedOffline { who, reporter, reports: n }
					if who == bob =>
				{
					assert_eq!(reporter, alice, "the node's worker signs as //Alice");
					reports.push((block.number, n));
				}
				StorageEvent::OperatorMarkedOffline { who, .. } if who == bob => marked = true,
				_ => {}
			}
		}
		if marked {
			break;
		}
	}
	let counts: Vec<u32> = reports.iter().map(|(_, n)| *n).collect();
	assert_eq!(counts, (1..=threshold).collect::<Vec<_>>(), "{reports:?}");
	let blocks: std::collections::BTreeSet<u64> = reports.iter().map(|(b, _)| *b).collect();
	assert_eq!(blocks.len(), reports.len(), "one report per block: {reports:?}");
	let record = reader.operator(&bob).await.expect("view").expect("registered").record;
	assert!(record.offline_since.is_some());

	let log = node.log();
	assert!(log.contains("Storage worker key: //Alice"), "{}", node.log_tail());
	assert!(log.contains("storage worker started"), "{}", node.log_tail());
	drop(ipfs);
}
