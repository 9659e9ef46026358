//! Expiry: the end of paid eras, the grace period, removal, and the bounded per-block queue.

use crate::{mock::*, *};
use frame::testing_prelude::*;

#[test]
fn a_pin_without_grace_is_removed_when_its_eras_end() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(2);
		let c = cid(1);
		// Temporary: one replica, no grace. 2 eras: paid for eras 0 and 1.
		store(&c, 1, SIZE, PinTier::Temporary, 2);
		let who = operators_of(&c)[0];
		run_to_block(2 * ERA_LENGTH - 1);
		assert!(FileIds::<Test>::get(&c).is_some(), "still paid during era 1");
		run_to_era(2);
		assert!(FileIds::<Test>::get(&c).is_none());
		assert_eq!(Pieces::<Test>::iter().count(), 0);
		assert_eq!(operator(who).used, 0);
		assert_eq!(operator(who).reward_rate, 0);
		// Multiplier 50 %: half of `SIZE` per era.
		assert_eq!(CairnStorage::claimable_rewards(who), 2 * SIZE_B / 2);
		assert!(emitted(Event::<Test>::FileStateChanged {
			cid: c.clone(),
			from: FileState::Stored,
			to: FileState::Expired,
		}));
		assert!(emitted(Event::<Test>::PinExpired { cid: c.clone(), refund: 0, removal_at: 2 }));
		assert!(emitted(Event::<Test>::PiecesReleased {
			cid: c.clone(),
			operators: BoundedVec::truncate_from(vec![(0, who)]),
		}));
		System::assert_last_event(
			Event::<Test>::PinRemoved { cid: c, reason: RemovalReason::Expired, refund: 0 }.into(),
		);
		// No reward accrues after the end.
		run_to_era(5);
		// Multiplier 50 %: half of `SIZE` per era.
		assert_eq!(CairnStorage::claimable_rewards(who), 2 * SIZE_B / 2);
	});
}

#[test]
fn expiry_refunds_what_no_operator_earned() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		let start = free_balance(USER);
		pin(&c, SIZE, PinTier::Standard, 2);
		run_to_era(2);
		// Never placed: all of it comes back when the paid eras end.
		assert_eq!(free_balance(USER), start);
		assert!(emitted(Event::<Test>::PinExpired {
			cid: c.clone(),
			refund: 3 * 2 * SIZE_B,
			removal_at: 3,
		}));
		assert_eq!(file_of(&c).state, FileState::Expired);
		assert!(!AwaitingPlacement::<Test>::contains_key(file_id_of(&c)));
	});
}

#[test]
fn the_grace_period_keeps_pieces_unpaid_and_allows_renewal() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(4);
		let c = cid(1);
		// Critical: grace 2 eras. Paid for eras 0 and 1.
		store(&c, 1, SIZE, PinTier::Critical, 2);
		let ops = operators_of(&c);
		run_to_era(2);
		let file = file_of(&c);
		assert_eq!(file.state, FileState::Expired);
		assert_eq!(file.escrow, 0);
		// Pieces stay assigned but earn nothing.
		assert_eq!(operator(ops[0]).piece_count, 1);
		assert_eq!(operator(ops[0]).reward_rate, 0);
		run_to_era(3);
		assert_eq!(CairnStorage::claimable_rewards(ops[0]), 2 * SIZE_B);

		// Renewed in its grace period: it earns again from the current era.
		assert_ok!(CairnStorage::renew_pin(RuntimeOrigin::signed(USER), c.clone(), 2));
		let file = file_of(&c);
		assert_eq!(file.state, FileState::Stored);
		assert_eq!(file.expires_at, 5);
		assert!(emitted(Event::<Test>::FileStateChanged {
			cid: c.clone(),
			from: FileState::Expired,
			to: FileState::Stored,
		}));
		assert_eq!(operator(ops[0]).reward_rate, SIZE_B);
		assert!(!ExpiryQueue::<Test>::contains_key(4, file_id_of(&c)), "old removal cancelled");
		run_to_era(5);
		assert_eq!(CairnStorage::claimable_rewards(ops[0]), 4 * SIZE_B, "eras 0, 1, 3, 4");
		// Not renewed again: removed when the grace ends.
		assert_eq!(file_of(&c).state, FileState::Expired);
		run_to_block(7 * ERA_LENGTH - 1);
		assert!(FileIds::<Test>::get(&c).is_some());
		run_to_era(7);
		assert!(FileIds::<Test>::get(&c).is_none());
		assert_eq!(operator(ops[0]).piece_count, 0);
	});
}

#[test]
fn an_expired_pin_can_be_unpinned_without_refund() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		store(&c, 1, SIZE, PinTier::Standard, 1);
		run_to_era(1);
		assert_eq!(file_of(&c).state, FileState::Expired);
		assert_ok!(CairnStorage::unpin(RuntimeOrigin::signed(USER), c.clone()));
		System::assert_last_event(
			Event::<Test>::PinRemoved { cid: c, reason: RemovalReason::Unpinned, refund: 0 }.into(),
		);
		assert_eq!(ExpiryQueue::<Test>::iter().count(), 0);
	});
}

#[test]
fn expiries_are_processed_a_bounded_number_per_block_within_the_era() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(2);
		for seed in 0..5 {
			pin(&cid(seed), 100, PinTier::Temporary, 2);
		}
		assert_eq!(ExpiryQueueLen::<Test>::get(2), 5);
		run_to_era(2);
		assert_eq!(ExpiryQueueLen::<Test>::get(2), 3, "two per block");
		assert_eq!(Files::<Test>::iter().count(), 3);
		run_to_block(2 * ERA_LENGTH + 1);
		assert_eq!(ExpiryQueueLen::<Test>::get(2), 1);
		run_to_block(2 * ERA_LENGTH + 2);
		assert_eq!(ExpiryQueueLen::<Test>::get(2), 0);
		assert_eq!(Files::<Test>::iter().count(), 0);
		assert_eq!(escrow(), 0);
	});
}

#[test]
fn a_full_era_refuses_more_pins_ending_in_it() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(2);
		MaxExpiriesPerEra::set(3);
		for seed in 0..3 {
			pin(&cid(seed), 100, PinTier::Temporary, 2);
		}
		let before = free_balance(USER);
		assert_noop!(
			CairnStorage::request_pin(
				RuntimeOrigin::signed(USER),
				cid(9),
				100,
				PinTier::Temporary,
				2
			),
			Error::<Test>::ExpiryQueueFull
		);
		assert_eq!(free_balance(USER), before);
		// Another era is fine, and so is renewing out of the full era.
		pin(&cid(9), 100, PinTier::Temporary, 3);
		assert_ok!(CairnStorage::renew_pin(RuntimeOrigin::signed(USER), cid(0), 5));
		assert_eq!(ExpiryQueueLen::<Test>::get(2), 2);
		pin(&cid(10), 100, PinTier::Temporary, 2);
		MaxExpiriesPerEra::set(20);
	});
}

#[test]
fn integrity_test_rejects_an_expiry_queue_that_cannot_drain_in_one_era() {
	ExtBuilder::default().build().execute_with(|| {
		MaxExpiriesPerEra::set(2 * ERA_LENGTH as u32 + 1);
		let result = std::panic::catch_unwind(|| {
			<CairnStorage as Hooks<u64>>::integrity_test();
		});
		assert!(result.is_err());
		MaxExpiriesPerEra::set(2 * ERA_LENGTH as u32);
		<CairnStorage as Hooks<u64>>::integrity_test();
	});
}
