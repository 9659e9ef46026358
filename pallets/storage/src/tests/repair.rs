//! File health and repair: offline reports, degraded -> repairing -> repaired, hand-over of
//! leaving and disqualified operators' pieces, deferral without replacement operators, lost
//! files, and a mass failure drained within the per-block bounds.

use super::audits::{answer, next_challenge, store_real, submit};
use crate::{mock::*, *};
use frame::testing_prelude::*;

/// Critical in the mock: k = 2, n = 4, m = 3.
const CRITICAL: PinTier = PinTier::Critical;

fn report_offline(who: AccountId) -> DispatchResult {
	CairnStorage::report_operator_offline(RuntimeOrigin::signed(WORKER), who)
}

/// Reports `who` in `OFFLINE_REPORTS` consecutive blocks: it is offline afterwards.
fn mark_offline(who: AccountId) {
	for _ in 0..OFFLINE_REPORTS {
		run_to_block(System::block_number() + 1);
		assert_ok!(report_offline(who));
	}
	assert!(operator(who).offline_since.is_some());
}

fn next_block() {
	run_to_block(System::block_number() + 1);
}

/// The report the storage worker makes for a piece moved by repair: its recorded content.
fn repair_report(c: &CidOf<Test>, index: PieceIndex) -> PieceReport<CidOf<Test>> {
	let content = piece_of(c, index).content.expect("reported");
	PieceReport { index, cid: content.cid, size: content.size, root: content.root }
}

fn report_repair(c: &CidOf<Test>, indices: &[PieceIndex]) -> DispatchResult {
	let reports = indices.iter().map(|i| repair_report(c, *i)).collect::<Vec<_>>();
	CairnStorage::report_repair(
		RuntimeOrigin::signed(WORKER),
		c.clone(),
		BoundedVec::truncate_from(reports),
	)
}

/// `RepairScheduled` events for `c` so far: `(indices, operators)`.
fn scheduled(c: &CidOf<Test>) -> Vec<(Vec<PieceIndex>, Vec<AccountId>)> {
	storage_events()
		.into_iter()
		.filter_map(|e| match e {
			Event::RepairScheduled { cid, indices, operators } if &cid == c => {
				Some((indices.into_inner(), operators.into_inner()))
			}
			_ => None,
		})
		.collect()
}

/// Indices of `c`'s pieces that wait for the worker's repair report.
fn awaiting(c: &CidOf<Test>) -> Vec<PieceIndex> {
	(0..file_of(c).n).filter(|i| piece_of(c, *i).awaits_repair()).collect()
}

#[test]
fn repeated_offline_reports_mark_an_operator_offline_without_slashing() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(5);
		let c = cid(1);
		store(&c, 1, SIZE, CRITICAL, 10);
		let who = operators_of(&c)[0];
		let bond = bond_held(who);

		assert_noop!(
			CairnStorage::report_operator_offline(RuntimeOrigin::signed(USER), who),
			Error::<Test>::NotStorageWorker
		);
		assert_noop!(CairnStorage::report_operator_offline(RuntimeOrigin::none(), who), BadOrigin);
		assert_noop!(report_offline(77), Error::<Test>::NotRegistered);
		assert_ok!(report_offline(who));
		assert!(emitted(Event::OperatorReportedOffline { who, reporter: WORKER, reports: 1 }));
		assert_noop!(report_offline(who), Error::<Test>::AlreadyReportedThisBlock);
		assert!(EligibleOperators::<Test>::get().contains(&who), "one report is not enough");

		next_block();
		assert_ok!(report_offline(who));
		assert!(emitted(Event::OperatorMarkedOffline { who, reports: 2 }));
		assert_eq!(operator(who).offline_since, Some(2));
		assert!(!EligibleOperators::<Test>::get().contains(&who), "no new pieces");
		assert_eq!(bond_held(who), bond, "only audits slash");
		assert_noop!(report_offline(who), Error::<Test>::AlreadyOffline);
		// One of four pieces down leaves three healthy: m = 3, no repair.
		run_to_block(10);
		assert!(CairnStorage::repair_queue().is_empty());
		assert_eq!(file_of(&c).state, FileState::Stored);
		assert_eq!(operators_of(&c)[0], who, "the piece stays while the file is healthy");
	});
}

#[test]
fn offline_reports_outside_the_window_start_over() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(2);
		assert_ok!(report_offline(1));
		run_to_block(1 + OFFLINE_WINDOW);
		assert_ok!(report_offline(1));
		assert!(emitted(Event::OperatorReportedOffline { who: 1, reporter: WORKER, reports: 1 }));
		assert!(operator(1).offline_since.is_none());
		assert_eq!(OfflineReportsOf::<Test>::get(1).expect("reported").count, 1);
	});
}

#[test]
fn a_degraded_file_is_repaired_to_full_health() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(6);
		let c = cid(1);
		store(&c, 1, SIZE, CRITICAL, 10);
		let before = operators_of(&c);
		let (a, b) = (before[0], before[1]);
		let piece_reward = file_of(&c).piece_reward;
		let issued = issuance();

		mark_offline(a);
		next_block();
		assert_eq!(file_of(&c).state, FileState::Stored, "three of four healthy is m");
		mark_offline(b);
		next_block();
		// Health 2 < m = 3: degraded, queued, and (a replacement exists) repaired at once.
		assert!(emitted(Event::FileStateChanged {
			cid: c.clone(),
			from: FileState::Stored,
			to: FileState::Degraded
		}));
		let moves = scheduled(&c);
		assert_eq!(moves.len(), 1);
		let (indices, replacements) = moves[0].clone();
		assert_eq!(indices, vec![0, 1]);
		let after = operators_of(&c);
		assert_eq!(replacements, vec![after[0], after[1]]);
		assert!(replacements.iter().all(|r| !before.contains(r)), "fresh operators");
		// The old holders keep serving the bytes until the new copies are confirmed.
		assert!(!storage_events().iter().any(|e| matches!(e, Event::PiecesReleased { .. })));
		assert_eq!((piece_of(&c, 0).previous, piece_of(&c, 1).previous), (Some(a), Some(b)));
		assert_eq!(file_of(&c).state, FileState::Repairing);
		assert_eq!(file_of(&c).repairing, 2);
		assert_eq!(operator(a).piece_count, 0);
		assert_eq!(operator(a).reward_rate, 0, "a released piece stops earning");
		assert_eq!(CairnStorage::files_awaiting_repair(0, 10), vec![c.clone()]);
		assert!(CairnStorage::repair_queue().is_empty());

		// The new operator cannot confirm bytes nobody gave it yet.
		assert_noop!(
			CairnStorage::confirm_piece(RuntimeOrigin::signed(after[0]), c.clone(), 0),
			Error::<Test>::PieceNotReported
		);
		assert_ok!(report_repair(&c, &[0]));
		assert!(emitted(Event::RepairReported {
			cid: c.clone(),
			worker: WORKER,
			indices: BoundedVec::truncate_from(vec![0]),
		}));
		assert_eq!(CairnStorage::files_awaiting_repair(0, 10), vec![c.clone()], "one left");
		assert_ok!(report_repair(&c, &[1]));
		assert!(CairnStorage::files_awaiting_repair(0, 10).is_empty());
		assert_ok!(CairnStorage::confirm_piece(RuntimeOrigin::signed(after[0]), c.clone(), 0));
		assert!(emitted(Event::PiecesReleased {
			cid: c.clone(),
			operators: BoundedVec::truncate_from(vec![(0, a)]),
		}));
		assert_eq!(piece_of(&c, 0).previous, None);
		assert!(!emitted(Event::FileRepaired { cid: c.clone() }));
		assert_ok!(CairnStorage::confirm_piece(RuntimeOrigin::signed(after[1]), c.clone(), 1));
		assert!(emitted(Event::FileRepaired { cid: c.clone() }));
		assert_eq!(file_of(&c).state, FileState::Stored);
		assert_eq!(file_of(&c).confirmed, 4);
		assert_eq!(operator(after[0]).reward_rate, piece_reward);
		assert_eq!(issuance(), issued, "repair mints and burns nothing");
	});
}

#[test]
fn report_repair_rejects_bad_reports_and_changes_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(6);
		let c = cid(1);
		store(&c, 1, SIZE, CRITICAL, 10);
		mark_offline(operators_of(&c)[0]);
		mark_offline(operators_of(&c)[1]);
		next_block();
		assert_eq!(awaiting(&c), vec![0, 1]);
		let good = repair_report(&c, 0);
		let call = |reports: Vec<PieceReport<CidOf<Test>>>| {
			CairnStorage::report_repair(
				RuntimeOrigin::signed(WORKER),
				c.clone(),
				BoundedVec::truncate_from(reports),
			)
		};
		assert_noop!(
			CairnStorage::report_repair(
				RuntimeOrigin::signed(USER),
				c.clone(),
				BoundedVec::truncate_from(vec![good.clone()])
			),
			Error::<Test>::NotStorageWorker
		);
		assert_noop!(
			CairnStorage::report_repair(
				RuntimeOrigin::signed(WORKER),
				cid(9),
				BoundedVec::truncate_from(vec![good.clone()])
			),
			Error::<Test>::PinNotFound
		);
		assert_noop!(call(vec![]), Error::<Test>::EmptyReport);
		assert_noop!(
			call(vec![PieceReport { index: 4, ..good.clone() }]),
			Error::<Test>::InvalidPieceIndex
		);
		assert_noop!(call(vec![good.clone(), good.clone()]), Error::<Test>::DuplicatePieceIndex);
		assert_noop!(call(vec![repair_report(&c, 2)]), Error::<Test>::NotAwaitingRepair);
		assert_noop!(
			call(vec![PieceReport { root: H256::repeat_byte(0xee), ..good.clone() }]),
			Error::<Test>::RepairMismatch
		);
		assert_noop!(
			call(vec![PieceReport { size: good.size + 2048, ..good.clone() }]),
			Error::<Test>::RepairMismatch
		);
		assert_noop!(
			call(vec![PieceReport { cid: piece_cid(1, 3), ..good.clone() }]),
			Error::<Test>::RepairMismatch
		);
		assert_noop!(
			call(vec![PieceReport { cid: bounded(b"junk"), ..good.clone() }]),
			Error::<Test>::InvalidCid
		);
		assert_ok!(call(vec![good.clone()]));
		assert_noop!(call(vec![good]), Error::<Test>::NotAwaitingRepair);
	});
}

#[test]
fn a_leaving_operators_pieces_are_handed_over_even_when_healthy() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(4);
		let c = cid(1);
		// Standard: k = 1, n = 3, m = 2.
		store(&c, 1, SIZE, PinTier::Standard, 10);
		let leaving = operators_of(&c)[2];
		let spare = (1..=4).find(|w| !operators_of(&c).contains(w)).expect("a spare");
		assert_ok!(CairnStorage::unregister_operator(RuntimeOrigin::signed(leaving)));
		assert_eq!(HealthSweeps::<Test>::get().into_inner(), vec![leaving]);
		next_block();
		// Two healthy pieces is m: not degraded, but the leaving operator's piece moves.
		assert!(!storage_events()
			.iter()
			.any(|e| matches!(e, Event::FileStateChanged { to: FileState::Degraded, .. })));
		assert_eq!(scheduled(&c), vec![(vec![2], vec![spare])]);
		assert_eq!(file_of(&c).state, FileState::Repairing);
		assert_eq!(operator(leaving).piece_count, 0);
		assert!(HealthSweeps::<Test>::get().is_empty());
		assert_ok!(report_repair(&c, &[2]));
		assert_ok!(CairnStorage::confirm_piece(RuntimeOrigin::signed(spare), c.clone(), 2));
		assert!(emitted(Event::FileRepaired { cid: c.clone() }));
		run_to_block(1 + UNBONDING);
		assert_ok!(CairnStorage::withdraw_bond(RuntimeOrigin::signed(leaving)));
	});
}

#[test]
fn a_disqualified_operators_pieces_are_written_off_and_rebuilt() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(4);
		let config = TierConfig { audit_period: 1, ..test_tiers()[1].1 };
		assert_ok!(CairnStorage::set_tier_config(RuntimeOrigin::root(), PinTier::Standard, config));
		let c = cid(1);
		store_real(&c, 1, PinTier::Standard, 50);
		let cheat = operators_of(&c)[0];
		AuditsPerBlock::set(1);
		while Reputations::<Test>::get(cheat).is_none_or(|r| r.standing != Standing::Disqualified) {
			let (id, challenge) = next_challenge();
			let (mut leaf, proof) = answer(1, &challenge);
			if challenge.operator == cheat {
				leaf[0] ^= 1;
			}
			assert_ok!(submit(challenge.operator, id, (leaf, proof)));
		}
		AuditsPerBlock::set(0);
		assert_eq!(HealthSweeps::<Test>::get().into_inner(), vec![cheat]);
		next_block();
		let moves = scheduled(&c);
		assert_eq!(moves.len(), 1);
		assert_eq!(moves[0].0, vec![0]);
		assert!(operators_of(&c)[0] != cheat);
		assert_eq!(operator(cheat).piece_count, 0, "written off");
		assert_eq!(awaiting(&c), vec![0]);
	});
}

#[test]
fn without_replacement_operators_the_repair_is_deferred_and_retried() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(4);
		let c = cid(1);
		store(&c, 1, SIZE, CRITICAL, 10);
		let (a, b) = (operators_of(&c)[0], operators_of(&c)[1]);
		mark_offline(a);
		mark_offline(b);
		next_block();
		let now = System::block_number();
		assert!(emitted(Event::RepairDeferred { cid: c.clone(), healthy: 2, missing: 2 }));
		assert_eq!(file_of(&c).state, FileState::Degraded);
		assert_eq!(CairnStorage::repair_queue(), vec![(c.clone(), 2, now + REPAIR_RETRY)]);

		// One new operator: the retry moves one piece and defers the other.
		register(5);
		run_to_block(now + REPAIR_RETRY);
		assert_eq!(scheduled(&c), vec![(vec![0], vec![5])]);
		assert!(emitted(Event::RepairDeferred { cid: c.clone(), healthy: 2, missing: 1 }));
		assert_eq!(file_of(&c).state, FileState::Degraded);
		register(6);
		run_to_block(now + 2 * REPAIR_RETRY);
		assert_eq!(scheduled(&c).last(), Some(&(vec![1], vec![6])));
		assert_eq!(file_of(&c).state, FileState::Repairing);
		assert!(CairnStorage::repair_queue().is_empty());
	});
}

#[test]
fn below_k_healthy_pieces_the_file_is_lost_never_silently() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		store(&c, 1, SIZE, PinTier::Standard, 10);
		let start = free_balance(USER);
		for who in 1..=3 {
			mark_offline(who);
		}
		run_to_block(System::block_number() + REPAIR_RETRY + 1);
		let lost = storage_events().into_iter().find_map(|e| match e {
			Event::FileLost { cid, healthy, k } if cid == c => Some((healthy, k)),
			_ => None,
		});
		assert_eq!(lost, Some((0, 1)));
		let refund = storage_events()
			.into_iter()
			.find_map(|e| match e {
				Event::PinRemoved { cid, reason: RemovalReason::Lost, refund } if cid == c => {
					Some(refund)
				}
				_ => None,
			})
			.expect("removed as lost");
		assert!(refund > 0, "unused eras are refunded");
		assert_eq!(free_balance(USER), start + refund);
		assert!(FileIds::<Test>::get(&c).is_none());
		assert!(CairnStorage::repair_queue().is_empty());
	});
}

#[test]
fn an_offline_operator_that_passes_an_audit_is_back_online() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let config = TierConfig { audit_period: 1, ..test_tiers()[1].1 };
		assert_ok!(CairnStorage::set_tier_config(RuntimeOrigin::root(), PinTier::Standard, config));
		let c = cid(1);
		store_real(&c, 1, PinTier::Standard, 50);
		let who = operators_of(&c)[0];
		mark_offline(who);
		AuditsPerBlock::set(1);
		loop {
			let (id, challenge) = next_challenge();
			assert_ok!(submit(challenge.operator, id, answer(1, &challenge)));
			if challenge.operator == who {
				break;
			}
		}
		assert!(emitted(Event::OperatorBackOnline { who }));
		assert!(operator(who).offline_since.is_none());
		assert!(EligibleOperators::<Test>::get().contains(&who));
		assert_eq!(operators_of(&c)[0], who, "its piece never moved: health stayed at m");
	});
}

#[test]
fn a_mass_failure_drains_over_many_blocks_within_the_bounds() {
	ExtBuilder::default().max_operators(16).build_and_execute(|| {
		// Twelve one-replica (Temporary) files, all on operator 1.
		register(1);
		let files: Vec<_> = (1..=12).map(cid).collect();
		for (seed, c) in (1..).zip(&files) {
			store(c, seed, SIZE, PinTier::Temporary, 10);
		}
		for who in 2..=6 {
			register(who);
		}
		assert_ok!(CairnStorage::unregister_operator(RuntimeOrigin::signed(1)));
		let mut blocks = 0;
		while operator(1).piece_count > 0 {
			let before = System::events().len();
			next_block();
			blocks += 1;
			let new = &System::events()[before..];
			let repairs = new
				.iter()
				.filter(|r| {
					matches!(r.event, RuntimeEvent::CairnStorage(Event::RepairScheduled { .. }))
				})
				.count();
			assert!(repairs <= 2, "at most MaxRepairsPerBlock repairs a block");
			assert!(RepairQueue::<Test>::get().len() <= 8);
			assert!(blocks < 50, "the failure drains");
		}
		// Three health checks a block: twelve pieces take at least four blocks.
		assert!(blocks >= 4, "spread over {blocks} blocks");
		assert!(HealthSweeps::<Test>::get().is_empty());
		assert!(
			!storage_events().iter().any(|e| matches!(e, Event::FileLost { .. })),
			"the leaving operator still serves the only replica until the new one is confirmed"
		);
		for c in &files {
			assert_eq!(file_of(c).state, FileState::Repairing);
		}
	});
}

#[test]
fn an_unplaced_piece_of_a_leaving_operator_just_moves() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		pin(&c, SIZE, PinTier::Standard, 8);
		register(4);
		let leaving = operators_of(&c)[0];
		assert_ok!(CairnStorage::unregister_operator(RuntimeOrigin::signed(leaving)));
		next_block();
		assert_eq!(scheduled(&c), vec![(vec![0], vec![4])]);
		let piece = piece_of(&c, 0);
		assert!(piece.content.is_none() && !piece.repair, "nothing to rebuild: never placed");
		assert!(CairnStorage::files_awaiting_repair(0, 10).is_empty());
		assert_eq!(file_of(&c).state, FileState::Requested);
		// The placement report covers it like any other piece.
		report_all(&c, 1);
		confirm_all(&c);
		assert_eq!(file_of(&c).state, FileState::Stored);
	});
}

#[test]
fn an_offline_operator_may_declare_itself_online_after_the_window() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(2);
		let online = |who| CairnStorage::declare_online(RuntimeOrigin::signed(who));
		assert_noop!(online(77), Error::<Test>::NotRegistered);
		assert_noop!(online(1), Error::<Test>::NotOffline);
		mark_offline(1);
		let since = operator(1).offline_since.expect("offline");
		assert_noop!(online(1), Error::<Test>::OfflineTooRecently);
		run_to_block(since + OFFLINE_WINDOW);
		assert_ok!(online(1));
		assert!(emitted(Event::OperatorBackOnline { who: 1 }));
		assert!(operator(1).offline_since.is_none());
		assert!(EligibleOperators::<Test>::get().contains(&1));
		// Still unreachable? The workers mark it again.
		mark_offline(1);
	});
}
