//! End to end on one machine, everything real: a `cairn-node --dev`, six js-ipfs daemons
//! (`scripts/ipfs.sh` through `cairn_ipfs::local_net`), the storage worker signing as Alice
//! (the dev chain's storage worker), four operator agents (Bob, Charlie, Dave, Eve), and a user
//! who puts a file, waits until every piece is confirmed, and gets it back byte for byte; then
//! the chain audits the pieces and the agents' answers pass.
//!
//! Needs the IPFS daemon package (`scripts/bootstrap.sh` installs it in offchain/ipfs/daemon)
//! and the node binary (`cargo build -p cairn-node`).

#![allow(clippy::expect_used)]

mod common;

use cairn_cli::{
	agent,
	chain::{self, ChainApi, FileState, PinTier},
	user, worker, Shutdown,
};
use cairn_ipfs::local_net::LocalIpfs;
use common::{DevNode, OPERATORS};
use std::time::{Duration, Instant};

fn file_bytes(len: usize) -> Vec<u8> {
	// Deterministic but not repetitive (so pieces differ and IPFS cannot dedup chunks).
	let mut state = 0x2545_f491_4f6c_dd1du64;
	(0..len)
		.map(|_| {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			(state >> 24) as u8
		})
		.collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_is_placed_confirmed_and_get_returns_the_same_bytes() {
	let (node, reader) = DevNode::start("e2e").await;
	let ipfs = LocalIpfs::start(6).expect("IPFS daemons start (scripts/ipfs.sh)");
	let daemons = ipfs.daemons().to_vec();
	let (user_ipfs, worker_ipfs, operator_ipfs) = (&daemons[0], &daemons[1], &daemons[2..]);
	let scratch = tempfile::tempdir().expect("tempdir");
	let shutdown = Shutdown::new();

	// The storage worker, as cairn-node --storage-worker will run it.
	let worker_config = worker::Config::new(
		node.url.clone(),
		chain::signer_from_suri("//Alice").expect("suri"),
		worker_ipfs.api.clone(),
	);
	let worker_task = tokio::spawn(worker::run(worker_config, shutdown.clone()));

	// Four operators, each with its own IPFS daemon and state directory.
	let bond: u128 = reader.constant("MinOperatorBond").await.expect("constant");
	let mut agents = Vec::new();
	for ((suri, region), daemon) in OPERATORS.iter().zip(operator_ipfs) {
		let config = agent::Config {
			rpc_url: node.url.clone(),
			signer: chain::signer_from_suri(suri).expect("suri"),
			ipfs_api: daemon.api.clone(),
			registration: agent::Registration {
				bond,
				capacity: 10 << 30,
				region: region.to_string(),
				ipfs_peer: Some(daemon.swarm.clone()),
			},
			state_dir: scratch.path().join(suri.trim_start_matches('/')),
			claim_interval: Duration::from_secs(3600),
			pin_timeout: Duration::from_secs(120),
		};
		agents.push(tokio::spawn(agent::run(config, shutdown.clone())));
	}
	let start = Instant::now();
	for (suri, _) in OPERATORS {
		let who = chain::account_of(&chain::signer_from_suri(suri).expect("suri"));
		while reader.operator(&who).await.expect("view").is_none() {
			assert!(start.elapsed() < Duration::from_secs(180), "{suri} did not register");
			tokio::time::sleep(Duration::from_secs(1)).await;
		}
	}

	// The user puts a file: 700 KB, erasure-coded k = 2 of n = 4 by the dev Standard tier.
	let data = file_bytes(700_000);
	let input = scratch.path().join("input.bin");
	std::fs::write(&input, &data).expect("input");
	let user_client = node.signed("//Ferdie").await;
	let user_daemon = user::ipfs_client(&user_ipfs.api).expect("client");
	let options = user::PutOptions {
		tier: PinTier::Standard,
		eras: 2,
		wait: true,
		timeout: Duration::from_secs(600),
		progress: false,
	};
	let put = user::put(&user_client, &user_daemon, &input, &options)
		.await
		.unwrap_or_else(|e| panic!("put failed: {e}\n{}", ipfs.logs_tail(20)));
	assert_eq!(put.file.record.state, FileState::Stored);
	assert_eq!(put.file.record.confirmed, put.file.record.n);
	assert!(put.cost > 0);
	let report = user::render_status(&put.file, None);
	assert!(report.contains("Stored"), "{report}");

	// Each operator holds exactly its piece (checked from the chain's side).
	for (_, piece) in &put.file.pieces {
		assert!(piece.confirmed && piece.content.is_some());
	}

	// Get it back through the user's own daemon: any k verified pieces, decoded, CID-checked.
	let output = scratch.path().join("output.bin");
	let got = user::get(
		&reader,
		&user_daemon,
		&put.cid.to_string(),
		&output,
		&user::GetOptions::default(),
	)
	.await
	.unwrap_or_else(|e| panic!("get failed: {e}\n{}", ipfs.logs_tail(20)));
	assert_eq!(got.size, data.len() as u64);
	assert!(got.corrupt.is_empty(), "{got:?}");
	assert_eq!(std::fs::read(&output).expect("output"), data);

	// The chain audits confirmed pieces (a few challenges every block): the agents answer from
	// their pinned copies, and the answers pass.
	let mut events = reader.follow().await.expect("follows");
	let canonical = cairn_cli::cid::canonical_bytes(&put.cid);
	let deadline = Instant::now() + Duration::from_secs(180);
	let mut passed = 0;
	while passed == 0 {
		assert!(Instant::now() < deadline, "no audit of the file passed within 180 s");
		let block = events.next().await.expect("events");
		for event in block.events.iter().filter(|e| e.cid() == Some(&canonical[..])) {
			match event {
				chain::StorageEvent::AuditPassed { .. } => passed += 1,
				chain::StorageEvent::AuditFailed { .. } => panic!("an audit failed: {event:?}"),
				_ => {}
			}
		}
	}

	shutdown.trigger();
	tokio::time::timeout(Duration::from_secs(30), worker_task)
		.await
		.expect("worker stops")
		.expect("worker task")
		.expect("worker ran cleanly");
	for task in agents {
		tokio::time::timeout(Duration::from_secs(30), task)
			.await
			.expect("agent stops")
			.expect("agent task")
			.expect("agent ran cleanly");
	}
	drop(ipfs);
}
