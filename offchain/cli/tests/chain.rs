//! The chain client against a real `cairn-node --dev`: typed dispatch errors, operator
//! registration, a pin request and its on-chain assignment, placement reports, confirmations,
//! the finalized-event stream and the view functions; then file health and repair: offline
//! reports until operators are marked offline, the repair the chain schedules (and defers),
//! `report_repair` checked against the recorded piece, and the new operator's confirmation.
//!
//! One node for the whole file (it takes 30-45 s to answer on a small machine), one test
//! running the steps in order.

#![allow(clippy::expect_used)]

mod common;

use cairn_cli::chain::{
	self, ChainApi, Client, FileState, PieceReport, PinFailure, PinTier, StorageEvent,
};
use common::{DevNode, OPERATORS};
use std::{collections::BTreeSet, time::Duration};

/// A CID nobody needs to have the content of: the chain only checks its form.
fn some_cid(seed: u8) -> Vec<u8> {
	let mut cid = vec![0x01, 0x55, 0x12, 0x20];
	cid.extend([seed; 32]);
	cid
}

fn module_error(error: &chain::Error) -> String {
	error
		.dispatch()
		.map(|d| d.to_string())
		.unwrap_or_else(|| format!("not a dispatch error: {error}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_client_against_a_dev_node() {
	let (node, _reader) = DevNode::start("chain").await;
	let alice = node.signed("//Alice").await;

	// A malformed CID is rejected by the pallet, and the error comes back by name.
	let error = alice
		.request_pin(b"not a cid", 1000, PinTier::Standard, 2)
		.await
		.expect_err("a bad CID is rejected");
	assert_eq!(module_error(&error), "Storage.InvalidCid");
	assert!(error.to_string().contains("Storage.InvalidCid"), "{error}");

	// Four operators register concurrently (each client signs with its own key).
	let bond: u128 = alice.constant("MinOperatorBond").await.expect("constant");
	let operators: Vec<Client> =
		futures::future::join_all(OPERATORS.iter().map(|(suri, _)| node.signed(suri))).await;
	let results =
		futures::future::join_all(operators.iter().zip(OPERATORS).map(|(client, (_, region))| {
			client.register_operator(bond, 10 << 30, region, "/ip4/127.0.0.1/tcp/4001")
		}))
		.await;
	for (client, result) in operators.iter().zip(results) {
		let included = result.expect("registers");
		let me = client.account().expect("signer");
		assert!(
			included.events.iter().any(|e| matches!(e, StorageEvent::OperatorRegistered { who, bond: b, .. } if *who == me && *b == bond)),
			"no OperatorRegistered for {me}: {:?}",
			included.events
		);
		let info = client.operator(&me).await.expect("view").expect("registered");
		assert_eq!(info.record.bond, bond);
		assert_eq!(info.record.capacity, 10 << 30);
	}
	let again = operators[0]
		.register_operator(bond, 1 << 30, "eu-west", "/ip4/127.0.0.1/tcp/4001")
		.await
		.expect_err("registered twice");
	assert_eq!(module_error(&again), "Storage.AlreadyRegistered");

	// A pin: charged, and its pieces assigned on-chain to distinct operators.
	let tier = alice.tier_config(PinTier::Standard).await.expect("read").expect("configured");
	let cid = some_cid(7);
	let included = alice.request_pin(&cid, 300_000, PinTier::Standard, 2).await.expect("pinned");
	let assigned = included
		.events
		.iter()
		.find_map(|e| match e {
			StorageEvent::PiecesAssigned { cid: c, operators } if *c == cid => {
				Some(operators.clone())
			}
			_ => None,
		})
		.expect("PiecesAssigned");
	assert_eq!(assigned.len(), tier.n as usize);
	assert!(included
		.events
		.iter()
		.any(|e| matches!(e, StorageEvent::PinRequested { cost, .. } if *cost > 0)));

	let info = alice.file(&cid).await.expect("view").expect("pinned");
	assert_eq!(info.record.size, 300_000);
	assert_eq!((info.record.k, info.record.n), (tier.k, tier.n));
	assert_eq!(info.record.state, FileState::Requested);
	let holders: BTreeSet<_> = info.pieces.iter().map(|(_, p)| p.operator).collect();
	assert_eq!(holders.len(), tier.n as usize, "one piece per operator");
	for (index, operator) in &assigned {
		assert_eq!(&info.piece(*index).expect("piece").operator, operator);
	}
	// The view function accepts any spelling of the CID.
	let text = cairn_cli::cid::display(&cid);
	let by_text = alice.file(text.as_bytes()).await.expect("view").expect("pinned");
	assert_eq!(by_text.file_id, info.file_id);
	// The worker's and the operators' views.
	let awaiting = chain::all_files_awaiting_placement(&alice).await.expect("view");
	assert!(awaiting.contains(&cid));
	let (first_index, first_operator) = assigned[0];
	let held = chain::all_operator_pieces(&alice, &first_operator).await.expect("view");
	assert!(held.iter().any(|p| p.cid == cid && p.index == first_index));

	// Follow finalized blocks from here on.
	let mut events = alice.follow().await.expect("follows");

	// Alice is the dev chain's storage worker: she reports every piece.
	let reports: Vec<PieceReport> = (0..tier.n)
		.map(|index| PieceReport {
			index,
			cid: some_cid(100 + index as u8),
			size: info.record.piece_size,
			root: [index as u8; 32],
		})
		.collect();
	alice.report_placement(&cid, reports.clone()).await.expect("reported");
	let twice = alice.report_placement(&cid, reports[..1].to_vec()).await.expect_err("twice");
	assert_eq!(module_error(&twice), "Storage.PieceAlreadyReported");
	let not_worker =
		operators[0].report_placement(&cid, reports[..1].to_vec()).await.expect_err("not a worker");
	assert_eq!(module_error(&not_worker), "Storage.NotStorageWorker");
	let placed = alice.file(&cid).await.expect("view").expect("pinned");
	assert_eq!(placed.record.state, FileState::Placed);
	assert!(placed.pieces.iter().all(|(_, p)| p.content.is_some() && p.confirm_deadline.is_some()));

	// Each operator confirms its piece; the file is then stored.
	let confirms = futures::future::join_all(operators.iter().map(|client| {
		let me = client.account().expect("signer");
		let index = placed.pieces_of(&me).next().map(|(i, _)| i);
		let cid = cid.clone();
		async move {
			match index {
				Some(index) => client.confirm_piece(&cid, index).await.map(|_| 1),
				None => Ok(0),
			}
		}
	}))
	.await;
	let confirmed: usize = confirms.into_iter().map(|r| r.expect("confirms")).sum();
	assert_eq!(confirmed, tier.n as usize);
	let stored = alice.file(&cid).await.expect("view").expect("pinned");
	assert_eq!(stored.record.state, FileState::Stored);
	assert_eq!(stored.record.confirmed, tier.n);

	// The stream saw the report, every confirmation and the state change, in order.
	let mut seen = Vec::new();
	let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
	while !seen
		.iter()
		.any(|e| matches!(e, StorageEvent::FileStateChanged { to: FileState::Stored, .. }))
	{
		let block = tokio::time::timeout_at(deadline, events.next())
			.await
			.expect("events in time")
			.expect("stream");
		seen.extend(block.events.into_iter().filter(|e| e.cid() == Some(&cid[..])));
	}
	let reported = seen.iter().position(|e| matches!(e, StorageEvent::PlacementReported { .. }));
	let first_confirmation =
		seen.iter().position(|e| matches!(e, StorageEvent::PieceConfirmed { .. }));
	assert!(reported.is_some() && reported < first_confirmation, "{seen:?}");
	let confirmations =
		seen.iter().filter(|e| matches!(e, StorageEvent::PieceConfirmed { .. })).count();
	assert_eq!(confirmations, tier.n as usize);

	// A storage worker that cannot place a pin fails it: removed and refunded.
	let doomed = some_cid(8);
	alice.request_pin(&doomed, 5000, PinTier::Temporary, 1).await.expect("pinned");
	let failed = alice
		.report_pin_failed(&doomed, PinFailure::SizeMismatch { actual: 4000 })
		.await
		.expect("failed");
	assert!(
		failed.events.iter().any(|e| matches!(
			e,
			StorageEvent::PinFailed { reason: PinFailure::SizeMismatch { actual: 4000 }, .. }
		)),
		"{:?}",
		failed.events
	);
	assert!(alice.file(&doomed).await.expect("view").is_none());

	// Nothing to claim before an era completes: a typed error, and `claim_now` says 0.
	let none = operators[0].claim_rewards().await.expect_err("nothing yet");
	assert_eq!(module_error(&none), "Storage.NoRewards");
	assert_eq!(cairn_cli::agent::claim_now(&operators[0]).await.expect("claim"), 0);

	// Health and repair. Nothing awaits repair yet, and the new fields decode.
	assert_eq!(stored.record.m, tier.m);
	assert_eq!(stored.record.repairing, 0);
	assert!(stored.pieces.iter().all(|(_, p)| !p.repair && !p.awaits_repair()));
	assert!(chain::all_files_awaiting_repair(&alice).await.expect("view").is_empty());
	assert!(alice.repair_queue().await.expect("view").is_empty());
	let all = alice.operators().await.expect("operators");
	assert_eq!(all.len(), OPERATORS.len());
	assert!(all.iter().all(|(_, record)| record.offline_since.is_none()));

	// A spare operator registers; then two of the file's four operators are reported offline
	// by the storage worker, once per block, until the chain marks them offline.
	let ferdie = node.signed("//Ferdie").await;
	let gone: Vec<chain::AccountId> =
		operators[..2].iter().map(|c| c.account().expect("signer")).collect();
	let alice_account = alice.account().expect("signer");
	let threshold: u32 = alice.constant("OfflineReportThreshold").await.expect("constant");
	let rounds = async {
		for round in 1..=threshold {
			let outcomes = futures::future::join_all(
				gone.iter().map(|who| alice.report_operator_offline(who)),
			)
			.await;
			for (who, outcome) in gone.iter().zip(outcomes) {
				let events = outcome.expect("reported").events;
				assert!(
					events.iter().any(|e| matches!(e, StorageEvent::OperatorReportedOffline { who: w, reports, .. } if w == who && *reports == round)),
					"round {round}: {events:?}"
				);
				let marked = events.iter().any(
					|e| matches!(e, StorageEvent::OperatorMarkedOffline { who: w, .. } if w == who),
				);
				assert_eq!(marked, round == threshold, "round {round}: {events:?}");
			}
		}
	};
	// Meanwhile (the rounds wait for finality): the spare registers, and bad reports fail.
	let others = async {
		let (spare, not_worker, not_operator) = tokio::join!(
			ferdie.register_operator(bond, 10 << 30, "sa-east", "/ip4/127.0.0.1/tcp/4002"),
			operators[2].report_operator_offline(&gone[0]),
			alice.report_operator_offline(&alice_account),
		);
		spare.expect("the spare registers");
		assert_eq!(module_error(&not_worker.expect_err("no")), "Storage.NotStorageWorker");
		assert_eq!(module_error(&not_operator.expect_err("no")), "Storage.NotRegistered");
	};
	tokio::join!(rounds, others);
	let record = alice.operator(&gone[0]).await.expect("view").expect("registered").record;
	assert!(record.offline_since.is_some());
	let again = alice.report_operator_offline(&gone[0]).await.expect_err("already offline");
	assert_eq!(module_error(&again), "Storage.AlreadyOffline");

	// Health 2 < m = 3: the chain moves both pieces; one spare operator, so one moves and the
	// other is deferred.
	let ferdie_account = ferdie.account().expect("signer");
	let mut scheduled = None;
	let mut deferred = None;
	let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
	while scheduled.is_none() || deferred.is_none() {
		let block = tokio::time::timeout_at(deadline, events.next())
			.await
			.expect("repair scheduled in time")
			.expect("stream");
		for event in block.events.into_iter().filter(|e| e.cid() == Some(&cid[..])) {
			match event {
				StorageEvent::RepairScheduled { indices, operators, .. } => {
					scheduled = Some((indices, operators))
				}
				StorageEvent::RepairDeferred { healthy, missing, .. } => {
					deferred = Some((healthy, missing))
				}
				_ => {}
			}
		}
	}
	let (indices, new_operators) = scheduled.expect("scheduled");
	assert_eq!(new_operators, vec![ferdie_account]);
	assert_eq!(indices.len(), 1);
	// Two of the four pieces are healthy.
	assert_eq!(deferred, Some((tier.n - 2, 1)));
	let moved = indices[0];
	let queue = alice.repair_queue().await.expect("view");
	assert!(queue.iter().any(|e| e.cid == cid && e.healthy == tier.n - 2), "{queue:?}");
	assert_eq!(chain::all_files_awaiting_repair(&alice).await.expect("view"), vec![cid.clone()]);
	let degraded = alice.file(&cid).await.expect("view").expect("pinned");
	assert_eq!(degraded.awaiting_repair(), vec![moved]);
	assert_eq!(degraded.record.state, FileState::Degraded);
	let piece = degraded.piece(moved).expect("piece");
	assert!(piece.repair && piece.operator == ferdie_account && !piece.confirmed);

	// The new operator cannot confirm before the worker reports the rebuilt piece, which must
	// be exactly the recorded one.
	let recorded = reports[moved as usize].clone();
	let wrong = PieceReport { root: [0xee; 32], ..recorded.clone() };
	let (early, mismatch) =
		tokio::join!(ferdie.confirm_piece(&cid, moved), alice.report_repair(&cid, vec![wrong]));
	assert_eq!(module_error(&early.expect_err("not rebuilt yet")), "Storage.PieceNotReported");
	assert_eq!(module_error(&mismatch.expect_err("mismatch")), "Storage.RepairMismatch");
	let repaired = alice.report_repair(&cid, vec![recorded.clone()]).await.expect("reported");
	assert!(
		repaired.events.iter().any(
			|e| matches!(e, StorageEvent::RepairReported { indices, .. } if *indices == vec![moved])
		),
		"{:?}",
		repaired.events
	);
	assert!(chain::all_files_awaiting_repair(&alice).await.expect("view").is_empty());
	let (twice, confirmed) =
		tokio::join!(alice.report_repair(&cid, vec![recorded]), ferdie.confirm_piece(&cid, moved));
	assert_eq!(module_error(&twice.expect_err("twice")), "Storage.NotAwaitingRepair");
	let confirmed = confirmed.expect("confirms");
	assert!(confirmed.events.iter().any(|e| matches!(e, StorageEvent::PieceConfirmed { .. })));

	// A call without a signer is refused locally.
	let reader = Client::connect(&node.url).await.expect("connects");
	assert!(matches!(reader.claim_rewards().await, Err(chain::Error::NoSigner)));
}
