//! Lazy per-operator rewards and exact conservation of funds.

use crate::{mock::*, *};
use frame::testing_prelude::*;

#[test]
fn confirmed_pieces_earn_every_completed_era() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		store(&c, 1, SIZE, PinTier::Standard, 10);
		let who = operators_of(&c)[0];
		assert_eq!(operator(who).reward_rate, SIZE_B);
		// Era 0 is not over yet.
		assert_eq!(CairnStorage::claimable_rewards(who), 0);
		assert_noop!(
			CairnStorage::claim_rewards(RuntimeOrigin::signed(who)),
			Error::<Test>::NoRewards
		);
		run_to_era(3);
		assert_eq!(CairnStorage::claimable_rewards(who), 3 * SIZE_B);
		let before = free_balance(who);
		let held = escrow();
		assert_ok!(CairnStorage::claim_rewards(RuntimeOrigin::signed(who)));
		assert_eq!(free_balance(who), before + 3 * SIZE_B);
		assert_eq!(escrow(), held - 3 * SIZE_B);
		System::assert_last_event(Event::<Test>::RewardsClaimed { who, amount: 3 * SIZE_B }.into());
		assert_noop!(
			CairnStorage::claim_rewards(RuntimeOrigin::signed(who)),
			Error::<Test>::NoRewards
		);
		run_to_era(5);
		assert_ok!(CairnStorage::claim_rewards(RuntimeOrigin::signed(who)));
		assert_eq!(free_balance(who), before + 5 * SIZE_B);
	});
}

#[test]
fn claim_rewards_checks_origin_and_registration() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			CairnStorage::claim_rewards(RuntimeOrigin::signed(1)),
			Error::<Test>::NotRegistered
		);
		assert_noop!(CairnStorage::claim_rewards(RuntimeOrigin::root()), BadOrigin);
	});
}

#[test]
fn unconfirmed_pieces_earn_nothing_and_a_late_confirmation_starts_that_era() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		pin(&c, SIZE, PinTier::Standard, 10);
		report_all(&c, 1);
		let ops = operators_of(&c);
		assert_ok!(CairnStorage::confirm_piece(RuntimeOrigin::signed(ops[0]), c.clone(), 0));
		assert_ok!(CairnStorage::confirm_piece(RuntimeOrigin::signed(ops[1]), c.clone(), 1));
		// Piece 2 has no replacement (three operators): it is confirmed late, in era 2.
		run_to_era(2);
		assert_ok!(CairnStorage::confirm_piece(RuntimeOrigin::signed(ops[2]), c.clone(), 2));
		run_to_era(4);
		assert_eq!(CairnStorage::claimable_rewards(ops[0]), 4 * SIZE_B);
		assert_eq!(CairnStorage::claimable_rewards(ops[2]), 2 * SIZE_B, "eras 2 and 3");
	});
}

#[test]
fn one_claim_pays_the_rate_of_all_pieces() {
	// That the claim's cost does not grow with the pieces is shown by the
	// `claim_rewards_with_pieces` benchmark; here: one claim settles all fifty pieces exactly.
	ExtBuilder::default().build_and_execute(|| {
		register(1);
		// Fifty one-replica pins on the only operator: one 2 KiB leaf each, 1024 per era at 50 %.
		for seed in 0..50 {
			store(&cid(seed), seed, 100, PinTier::Temporary, 10 + seed % 5);
		}
		assert_eq!(operator(1).piece_count, 50);
		assert_eq!(operator(1).reward_rate, 50 * 1024);
		run_to_era(2);
		assert_ok!(CairnStorage::claim_rewards(RuntimeOrigin::signed(1)));
		System::assert_last_event(
			Event::<Test>::RewardsClaimed { who: 1, amount: 2 * 50 * 1024 }.into(),
		);
		assert_eq!(CairnStorage::claimable_rewards(1), 0, "nothing left to claim");
	});
}

#[test]
fn prices_are_fixed_when_the_pin_is_made() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		store(&cid(1), 1, SIZE, PinTier::Standard, 10);
		PricePerBytePerEra::set(5);
		run_to_era(2);
		assert_eq!(CairnStorage::claimable_rewards(operators_of(&cid(1))[0]), 2 * SIZE_B);
		// A new pin pays the new price.
		assert_eq!(CairnStorage::pin_price(SIZE, PinTier::Standard, 1), Some(5 * 3 * SIZE_B));
		PricePerBytePerEra::set(1);
	});
}

#[test]
fn funds_are_conserved_over_a_whole_lifecycle() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(4);
		let total = issuance();
		let sum = |who: &[AccountId]| who.iter().map(|w| free_balance(*w)).sum::<Balance>();
		let operators = [1, 2, 3, 4];
		let users = [USER, OTHER_USER];
		let (operators_start, users_start) = (sum(&operators), sum(&users));

		// Standard pin of 3 eras: pieces 0 and 1 confirmed in era 0; piece 2 misses its window,
		// moves to the fourth operator, which confirms it in era 1.
		let c = cid(1);
		pin(&c, SIZE, PinTier::Standard, 3);
		report_all(&c, 1);
		let ops = operators_of(&c);
		assert_ok!(CairnStorage::confirm_piece(RuntimeOrigin::signed(ops[0]), c.clone(), 0));
		assert_ok!(CairnStorage::confirm_piece(RuntimeOrigin::signed(ops[1]), c.clone(), 1));
		// Critical pin of 6 eras (4 pieces of 1001 bytes in 2 KiB at 200 %), unpinned in era 3.
		let d = cid(2);
		store(&d, 2, 2_001, PinTier::Critical, 6);
		run_to_era(1);
		let late = piece_of(&c, 2).operator;
		assert!(!ops.contains(&late));
		assert_ok!(CairnStorage::confirm_piece(RuntimeOrigin::signed(late), c.clone(), 2));
		// Another user pays for a fourth era of `c`.
		assert_ok!(CairnStorage::renew_pin(RuntimeOrigin::signed(OTHER_USER), c.clone(), 1));
		run_to_era(3);
		assert_ok!(CairnStorage::unpin(RuntimeOrigin::signed(USER), d.clone()));
		// `c` ends in era 4 and is removed in era 5.
		run_to_era(6);
		assert!(Files::<Test>::iter().next().is_none());
		for who in operators {
			if CairnStorage::claimable_rewards(who) > 0 {
				assert_ok!(CairnStorage::claim_rewards(RuntimeOrigin::signed(who)));
			}
		}

		// c: SIZE per piece-era; pieces 0 and 1 earned eras 0..=3, piece 2 eras 1..=3.
		let earned_c = SIZE_B * (4 + 4 + 3);
		// d: 1001 bytes per piece, one 2 KiB leaf at 200 %: 4096 per piece-era, 4 pieces, eras 0,
		// 1, 2 and the era of the unpin.
		let earned_d = 4096 * 4 * 4;
		assert_eq!(sum(&operators) - operators_start, earned_c + earned_d);
		assert_eq!(users_start - sum(&users), earned_c + earned_d, "the rest was refunded");
		assert_eq!(escrow(), 0, "everything paid out or refunded");
		assert_eq!(issuance(), total, "nothing minted or burned");
	});
}

#[test]
fn a_refund_nobody_can_receive_stays_in_the_pot_and_is_reported() {
	ExtBuilder::default().build_and_execute(|| {
		register(1);
		// Account 7 pins 8 bytes (one 2 KiB leaf) for 2 eras (1024 per era) and never gets it
		// placed.
		let c = cid(1);
		assert_ok!(CairnStorage::request_pin(
			RuntimeOrigin::signed(7),
			c.clone(),
			8,
			PinTier::Temporary,
			2
		));
		assert_eq!(escrow(), 2048);
		// Then it empties (and so reaps) its account.
		assert_ok!(Balances::transfer_all(RuntimeOrigin::signed(7), USER, false));
		assert_eq!(free_balance(7), 0);
		ExistentialDeposit::set(4096);
		CairnStorage::ensure_pot_exists();
		let pot_before = free_balance(CairnStorage::pot_account());
		run_to_era(2);
		// The refund of 2048 is below the (raised) existential deposit of a dead account.
		System::assert_has_event(Event::<Test>::RefundFailed { who: 7, amount: 2048 }.into());
		assert_eq!(escrow(), 0);
		assert_eq!(free_balance(CairnStorage::pot_account()), pot_before + 2048);
	});
}
