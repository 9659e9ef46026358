//! Placement reports, confirmations, re-assignment of unconfirmed pieces, and the views.

use crate::{mock::*, *};
use frame::testing_prelude::*;

fn report(index: u32, size: u64) -> PieceReport<CidOf<Test>> {
	PieceReport { index, cid: piece_cid(1, index), size, root: H256::repeat_byte(7) }
}

fn reports(items: Vec<PieceReport<CidOf<Test>>>) -> PieceReportsOf<Test> {
	BoundedVec::try_from(items).expect("few reports")
}

#[test]
fn full_lifecycle_requested_placed_stored() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		pin(&c, SIZE, PinTier::Standard, 2);
		let id = file_id_of(&c);

		// A partial report keeps the file Requested.
		assert_ok!(CairnStorage::report_placement(
			RuntimeOrigin::signed(WORKER),
			c.clone(),
			reports(vec![report(0, SIZE)])
		));
		assert_eq!(file_of(&c).state, FileState::Requested);
		assert_eq!(file_of(&c).reported, 1);
		assert!(AwaitingPlacement::<Test>::contains_key(id));
		let content = piece_of(&c, 0).content.expect("reported");
		assert_eq!(content.size, SIZE);
		assert_eq!(content.root, H256::repeat_byte(7));
		assert_eq!(content.cid, piece_cid(1, 0));
		assert_eq!(piece_of(&c, 0).confirm_deadline, Some(1 + CONFIRM_WINDOW));

		assert_ok!(CairnStorage::report_placement(
			RuntimeOrigin::signed(WORKER),
			c.clone(),
			reports(vec![report(2, SIZE), report(1, SIZE)])
		));
		assert_eq!(file_of(&c).state, FileState::Placed);
		assert!(!AwaitingPlacement::<Test>::contains_key(id));
		assert!(emitted(Event::<Test>::PlacementReported {
			cid: c.clone(),
			worker: WORKER,
			indices: BoundedVec::truncate_from(vec![2, 1]),
		}));
		assert!(emitted(Event::<Test>::FileStateChanged {
			cid: c.clone(),
			from: FileState::Requested,
			to: FileState::Placed,
		}));

		let ops = operators_of(&c);
		for (index, who) in ops.iter().enumerate() {
			assert_ok!(CairnStorage::confirm_piece(
				RuntimeOrigin::signed(*who),
				c.clone(),
				index as u32
			));
			System::assert_has_event(
				Event::<Test>::PieceConfirmed {
					cid: c.clone(),
					index: index as u32,
					operator: *who,
				}
				.into(),
			);
		}
		assert_eq!(file_of(&c).state, FileState::Stored);
		System::assert_last_event(
			Event::<Test>::FileStateChanged {
				cid: c.clone(),
				from: FileState::Placed,
				to: FileState::Stored,
			}
			.into(),
		);
		assert!(piece_of(&c, 0).confirm_deadline.is_none());
	});
}

#[test]
fn report_placement_rejects_bad_reports_and_changes_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		pin(&c, SIZE, PinTier::Standard, 1);
		let rep = |who, items| {
			CairnStorage::report_placement(RuntimeOrigin::signed(who), c.clone(), reports(items))
		};
		assert_noop!(rep(USER, vec![report(0, SIZE)]), Error::<Test>::NotStorageWorker);
		assert_noop!(rep(WORKER, vec![]), Error::<Test>::EmptyReport);
		assert_noop!(rep(WORKER, vec![report(3, SIZE)]), Error::<Test>::InvalidPieceIndex);
		assert_noop!(
			rep(WORKER, vec![report(0, SIZE), report(0, SIZE)]),
			Error::<Test>::DuplicatePieceIndex
		);
		assert_noop!(rep(WORKER, vec![report(0, 999)]), Error::<Test>::InvalidPieceSize);
		// Exactly the layout's piece size: not one byte more.
		assert_noop!(rep(WORKER, vec![report(0, SIZE + 1)]), Error::<Test>::InvalidPieceSize);
		assert_noop!(
			rep(WORKER, vec![report(0, MAX_FILE_SIZE + 1)]),
			Error::<Test>::InvalidPieceSize
		);
		let mut bad_cid = report(1, SIZE);
		bad_cid.cid = bounded(b"nope");
		assert_noop!(rep(WORKER, vec![report(0, SIZE), bad_cid]), Error::<Test>::InvalidCid);
		assert_noop!(
			CairnStorage::report_placement(
				RuntimeOrigin::signed(WORKER),
				cid(2),
				reports(vec![report(0, SIZE)])
			),
			Error::<Test>::PinNotFound
		);
		assert_noop!(
			CairnStorage::report_placement(
				RuntimeOrigin::root(),
				c.clone(),
				reports(vec![report(0, SIZE)])
			),
			BadOrigin
		);
		assert_ok!(rep(WORKER, vec![report(0, SIZE)]));
		assert_noop!(
			rep(WORKER, vec![report(1, SIZE), report(0, SIZE)]),
			Error::<Test>::PieceAlreadyReported
		);
		// A removed worker can no longer report.
		assert_ok!(CairnStorage::remove_storage_worker(RuntimeOrigin::root(), WORKER));
		assert_noop!(rep(WORKER, vec![report(1, SIZE)]), Error::<Test>::NotStorageWorker);
		assert_ok!(CairnStorage::add_storage_worker(RuntimeOrigin::root(), WORKER));
		// An expired pin is not placed.
		run_to_era(1);
		assert_noop!(rep(WORKER, vec![report(1, SIZE)]), Error::<Test>::PinExpired);
	});
}

#[test]
fn confirm_piece_rejects_everyone_but_the_assigned_operator() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(4);
		let c = cid(1);
		pin(&c, SIZE, PinTier::Standard, 1);
		let ops = operators_of(&c);
		let outsider = (1..=4).find(|w| !ops.contains(w)).expect("one operator has no piece");
		let confirm =
			|who, index| CairnStorage::confirm_piece(RuntimeOrigin::signed(who), c.clone(), index);
		assert_noop!(confirm(ops[0], 0), Error::<Test>::PieceNotReported);
		report_all(&c, 1);
		assert_noop!(confirm(outsider, 0), Error::<Test>::NotAssignedOperator);
		assert_noop!(confirm(ops[1], 0), Error::<Test>::NotAssignedOperator);
		assert_noop!(confirm(ops[0], 3), Error::<Test>::InvalidPieceIndex);
		assert_noop!(
			CairnStorage::confirm_piece(RuntimeOrigin::signed(ops[0]), cid(2), 0),
			Error::<Test>::PinNotFound
		);
		assert_noop!(CairnStorage::confirm_piece(RuntimeOrigin::none(), c.clone(), 0), BadOrigin);
		assert_ok!(confirm(ops[0], 0));
		assert_noop!(confirm(ops[0], 0), Error::<Test>::PieceAlreadyConfirmed);
	});
}

#[test]
fn unconfirmed_pieces_move_to_another_operator_after_the_window() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(5);
		let c = cid(1);
		pin(&c, SIZE, PinTier::Standard, 3);
		report_all(&c, 1);
		let ops = operators_of(&c);
		// Pieces 1 and 2 are confirmed, piece 0 is not.
		for (index, who) in ops.iter().enumerate().skip(1) {
			assert_ok!(CairnStorage::confirm_piece(
				RuntimeOrigin::signed(*who),
				c.clone(),
				index as u32
			));
		}
		let slow = ops[0];
		run_to_block(1 + CONFIRM_WINDOW - 1);
		assert_eq!(piece_of(&c, 0).operator, slow, "the window is not over yet");
		run_to_block(1 + CONFIRM_WINDOW);
		let replacement = piece_of(&c, 0).operator;
		assert_ne!(replacement, slow);
		assert!(!ops.contains(&replacement), "a file's operators stay distinct");
		assert_eq!(operator(slow).used, 0);
		assert_eq!(operator(slow).piece_count, 0);
		assert_eq!(operator(replacement).used, SIZE);
		assert!(OperatorPieces::<Test>::contains_key(replacement, (file_id_of(&c), 0)));
		System::assert_has_event(
			Event::<Test>::PieceReassigned {
				cid: c.clone(),
				index: 0,
				from: slow,
				to: replacement,
			}
			.into(),
		);
		assert_eq!(piece_of(&c, 0).confirm_deadline, Some(1 + 2 * CONFIRM_WINDOW));
		// The content stays: the new operator fetches the same piece.
		assert_eq!(piece_of(&c, 0).content.expect("reported").cid, piece_cid(1, 0));
		// Confirmed pieces are never moved.
		assert_eq!(piece_of(&c, 1).operator, ops[1]);
		assert_noop!(
			CairnStorage::confirm_piece(RuntimeOrigin::signed(slow), c.clone(), 0),
			Error::<Test>::NotAssignedOperator
		);
		assert_ok!(CairnStorage::confirm_piece(RuntimeOrigin::signed(replacement), c.clone(), 0));
		assert_eq!(file_of(&c).state, FileState::Stored);
		// Nothing else happens at the next deadline.
		run_to_block(1 + 3 * CONFIRM_WINDOW);
		assert_eq!(piece_of(&c, 0).operator, replacement);
	});
}

#[test]
fn without_a_replacement_the_operator_gets_another_window() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		pin(&c, SIZE, PinTier::Standard, 3);
		report_all(&c, 1);
		let slow = operators_of(&c)[0];
		run_to_block(1 + CONFIRM_WINDOW);
		assert_eq!(piece_of(&c, 0).operator, slow);
		System::assert_has_event(
			Event::<Test>::ReassignmentFailed { cid: c.clone(), index: 0, operator: slow }.into(),
		);
		assert_eq!(piece_of(&c, 0).confirm_deadline, Some(1 + 2 * CONFIRM_WINDOW));
		assert_ok!(CairnStorage::confirm_piece(RuntimeOrigin::signed(slow), c.clone(), 0));
	});
}

#[test]
fn confirmation_checks_per_block_are_bounded() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(8);
		// Three files of three pieces: nine deadlines in the same block, four checked per block.
		for seed in 1..=3 {
			pin(&cid(seed), 100, PinTier::Standard, 3);
			report_all(&cid(seed), seed);
		}
		let (head, tail) = ConfirmQueueBounds::<Test>::get();
		assert_eq!(tail - head, 9);
		run_to_block(1 + CONFIRM_WINDOW);
		let (head, tail) = ConfirmQueueBounds::<Test>::get();
		assert_eq!(tail - head, 9, "four checked, four re-queued with a new deadline, one left");
		assert_eq!(head, 4);
		run_to_block(3 + CONFIRM_WINDOW);
		let (head, _) = ConfirmQueueBounds::<Test>::get();
		assert_eq!(head, 9, "the backlog drains over the next blocks");
	});
}

#[test]
fn views_answer_the_offchain_queries() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(4);
		let c = cid(1);
		pin(&c, SIZE, PinTier::Standard, 2);
		pin(&cid(2), 10, PinTier::Temporary, 2);

		let info = CairnStorage::file(c.clone()).expect("pinned");
		assert_eq!(info.file_id, 0);
		assert_eq!(info.record, file_of(&c));
		assert_eq!(info.pieces.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![0, 1, 2]);
		assert!(CairnStorage::file(cid(3)).is_none());
		assert!(CairnStorage::file(bounded(b"junk")).is_none());

		let mut awaiting = CairnStorage::files_awaiting_placement(0, 10);
		awaiting.sort();
		let mut expected = vec![c.clone(), cid(2)];
		expected.sort();
		assert_eq!(awaiting, expected);
		assert_eq!(CairnStorage::files_awaiting_placement(0, 1).len(), 1);
		assert_eq!(CairnStorage::files_awaiting_placement(2, 10).len(), 0);
		report_all(&c, 1);
		assert_eq!(CairnStorage::files_awaiting_placement(0, 10), vec![cid(2)]);

		let who = operators_of(&c)[0];
		let info = CairnStorage::operator(who).expect("registered");
		assert_eq!(info.record, operator(who));
		assert_eq!(info.claimable, 0);
		let pieces = CairnStorage::operator_pieces(who, 0, 10);
		assert!(pieces.iter().any(|p| p.cid == c && p.index == 0 && p.operator == who));
		assert!(CairnStorage::operator(77).is_none());

		// Nothing is being repaired (see tests/repair.rs for the repair views at work).
		assert!(CairnStorage::files_awaiting_repair(0, 10).is_empty());
		assert!(CairnStorage::repair_queue().is_empty());
	});
}

#[test]
fn a_pin_the_worker_cannot_place_is_removed_and_fully_refunded() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		let start = free_balance(USER);
		pin(&c, SIZE, PinTier::Standard, 4);
		let ops = operators_of(&c);
		let reason = PinFailure::SizeMismatch { actual: SIZE + 1 };
		assert_ok!(CairnStorage::report_pin_failed(
			RuntimeOrigin::signed(WORKER),
			c.clone(),
			reason
		));
		assert_eq!(free_balance(USER), start, "the whole payment came back");
		assert_eq!(escrow(), 0);
		assert!(FileIds::<Test>::get(&c).is_none());
		assert!(ops.iter().all(|w| operator(*w).used == 0 && operator(*w).piece_count == 0));
		assert!(emitted(Event::<Test>::PinFailed { cid: c.clone(), worker: WORKER, reason }));
		assert!(emitted(Event::<Test>::PinRemoved {
			cid: c.clone(),
			reason: RemovalReason::PlacementFailed,
			refund: 3 * 4 * SIZE_B,
		}));
		// The CID can be pinned again (with the right size).
		pin(&c, SIZE + 1, PinTier::Standard, 1);
	});
}

#[test]
fn report_pin_failed_rejects_bad_callers_and_placed_pins() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		pin(&c, SIZE, PinTier::Standard, 2);
		let fail = |origin, c: CidOf<Test>| {
			CairnStorage::report_pin_failed(origin, c, PinFailure::ContentUnavailable)
		};
		assert_noop!(fail(RuntimeOrigin::signed(USER), c.clone()), Error::<Test>::NotStorageWorker);
		assert_noop!(fail(RuntimeOrigin::none(), c.clone()), BadOrigin);
		assert_noop!(fail(RuntimeOrigin::signed(WORKER), cid(9)), Error::<Test>::PinNotFound);
		assert_noop!(
			fail(RuntimeOrigin::signed(WORKER), BoundedVec::truncate_from(b"nope".to_vec())),
			Error::<Test>::InvalidCid
		);
		assert_ok!(CairnStorage::report_placement(
			RuntimeOrigin::signed(WORKER),
			c.clone(),
			reports(vec![report(0, SIZE)])
		));
		assert_noop!(fail(RuntimeOrigin::signed(WORKER), c.clone()), Error::<Test>::AlreadyPlaced);
	});
}
