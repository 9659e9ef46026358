//! File health and repair through the real runtime: offline reports by the dev chain's storage
//! worker (Alice), a degraded file repaired back to full health, and a file lost below `k`, with
//! the pallet's invariants checked after every call and every block.

#![allow(clippy::expect_used)]

mod common;

use cairn_runtime::{AccountId, Balances, Runtime, RuntimeOrigin, Storage, System};
use common::{call, cid, genesis_of, register, register_operators, run_to, signed, SIZE};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::Inspect, Get},
	BoundedVec,
};
use pallet_storage::{
	Call as StorageCall, Error, Event, FileState, PieceReport, PinTier, RemovalReason,
};
use sp_core::H256;
use sp_genesis_builder::DEV_RUNTIME_PRESET;
use sp_keyring::Sr25519Keyring::{Alice, Ferdie};

fn next_block() {
	run_to(System::block_number() + 1);
}

fn storage_events() -> Vec<Event<Runtime>> {
	common::storage_events()
}

fn dev() -> sp_io::TestExternalities {
	let mut ext = genesis_of(DEV_RUNTIME_PRESET);
	ext.execute_with(|| {
		System::set_block_number(1);
		register_operators();
	});
	ext
}

/// Pins `c` as `tier` by Ferdie, reports every piece (Alice, the worker) and has every operator
/// confirm: a `Stored` file. Returns its operators by index.
fn store(c: u8, tier: PinTier) -> Vec<AccountId> {
	assert_ok!(call(
		signed(Ferdie),
		StorageCall::request_pin { cid: cid(c), size_bytes: SIZE, tier, eras: 5 }
	));
	let info = Storage::file(cid(c)).expect("pinned");
	let reports = (0..info.record.n)
		.map(|index| PieceReport {
			index,
			cid: cid(100 + index as u8),
			size: info.record.piece_size,
			root: H256::repeat_byte(index as u8),
		})
		.collect::<Vec<_>>();
	assert_ok!(call(
		signed(Alice),
		StorageCall::report_placement { cid: cid(c), pieces: BoundedVec::truncate_from(reports) }
	));
	let operators: Vec<AccountId> = info.pieces.iter().map(|(_, p)| p.operator.clone()).collect();
	for (index, operator) in (0..).zip(&operators) {
		assert_ok!(call(
			RuntimeOrigin::signed(operator.clone()),
			StorageCall::confirm_piece { cid: cid(c), index }
		));
	}
	assert_eq!(state(c), FileState::Stored);
	operators
}

fn state(c: u8) -> FileState {
	Storage::file(cid(c)).expect("pinned").record.state
}

/// Alice reports `who` unreachable in as many blocks as the runtime requires.
fn mark_offline(who: &AccountId) {
	let threshold = <Runtime as pallet_storage::Config>::OfflineReportThreshold::get();
	for _ in 0..threshold {
		next_block();
		assert_ok!(call(
			signed(Alice),
			StorageCall::report_operator_offline { operator: who.clone() }
		));
	}
	assert!(Storage::operator(who.clone()).expect("registered").record.offline_since.is_some());
}

#[test]
fn a_degraded_file_is_repaired_back_to_full_health() {
	dev().execute_with(|| {
		// Standard in the dev preset: k = 2, n = 4, m = 3; Ferdie and Alice are the spares.
		let operators = store(1, PinTier::Standard);
		register(Ferdie, "oceania");
		register(Alice, "antarctica");
		assert_noop!(
			call(
				signed(Ferdie),
				StorageCall::report_operator_offline { operator: operators[0].clone() }
			),
			Error::<Runtime>::NotStorageWorker
		);
		mark_offline(&operators[0]);
		next_block();
		assert_eq!(state(1), FileState::Stored, "three healthy pieces is m: no repair");
		mark_offline(&operators[1]);
		next_block();

		let events = storage_events();
		assert!(events
			.iter()
			.any(|e| matches!(e, Event::FileStateChanged { to: FileState::Degraded, .. })));
		let (indices, replacements) = events
			.iter()
			.find_map(|e| match e {
				Event::RepairScheduled { cid: c, indices, operators } if *c == cid(1) => {
					Some((indices.to_vec(), operators.to_vec()))
				}
				_ => None,
			})
			.expect("repair scheduled");
		assert_eq!(indices, vec![0, 1]);
		let mut spares = replacements.clone();
		spares.sort();
		let mut expected = vec![common::who(Ferdie), common::who(Alice)];
		expected.sort();
		assert_eq!(spares, expected, "the only eligible operators");
		assert_eq!(state(1), FileState::Repairing);
		assert_eq!(Storage::files_awaiting_repair(0, 10), vec![cid(1)]);

		// The worker rebuilds the pieces (the same bytes: the recorded content) and reports.
		let info = Storage::file(cid(1)).expect("pinned");
		let reports = indices
			.iter()
			.map(|index| {
				let content = info.pieces[*index as usize].1.content.clone().expect("known");
				PieceReport {
					index: *index,
					cid: content.cid,
					size: content.size,
					root: content.root,
				}
			})
			.collect::<Vec<_>>();
		assert_ok!(call(
			signed(Alice),
			StorageCall::report_repair { cid: cid(1), pieces: BoundedVec::truncate_from(reports) }
		));
		for (index, operator) in indices.iter().zip(&replacements) {
			assert_ok!(call(
				RuntimeOrigin::signed(operator.clone()),
				StorageCall::confirm_piece { cid: cid(1), index: *index }
			));
		}
		assert!(storage_events().contains(&Event::FileRepaired { cid: cid(1) }));
		assert_eq!(state(1), FileState::Stored);
		assert_eq!(Storage::file(cid(1)).expect("pinned").record.confirmed, 4);
	});
}

#[test]
fn a_file_below_k_readable_pieces_is_lost_and_refunded() {
	dev().execute_with(|| {
		// Temporary in the dev preset: k = 1, n = 2, m = 1.
		let operators = store(2, PinTier::Temporary);
		let owner = common::who(Ferdie);
		let before = Balances::balance(&owner);
		for operator in &operators {
			mark_offline(operator);
		}
		next_block();
		let events = storage_events();
		assert!(events.contains(&Event::FileLost { cid: cid(2), healthy: 0, k: 1 }));
		let refund = events
			.iter()
			.find_map(|e| match e {
				Event::PinRemoved { cid: c, reason: RemovalReason::Lost, refund }
					if *c == cid(2) =>
				{
					Some(*refund)
				}
				_ => None,
			})
			.expect("removed as lost");
		assert!(refund > 0, "the unused eras are refunded");
		assert_eq!(Balances::balance(&owner), before + refund);
		assert!(Storage::file(cid(2)).is_none());
		assert_eq!(Storage::escrow_held(), 0, "nothing is left in escrow");
	});
}
