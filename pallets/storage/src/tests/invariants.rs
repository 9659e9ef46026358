//! The `try_state` checks catch corrupted state (so the checks run after every test can fail).

use crate::{mock::*, *};
use frame::{
	testing_prelude::*,
	traits::fungible::{Mutate, MutateHold},
};

/// A stored Standard pin on three operators, then `corrupt`, then `try_state` must fail.
fn corrupted(corrupt: impl FnOnce(&CidOf<Test>)) {
	ExtBuilder::default().build().execute_with(|| {
		register_operators(3);
		let c = cid(1);
		store(&c, 1, SIZE, PinTier::Standard, 4);
		run_to_era(1);
		assert_ok!(CairnStorage::do_try_state());
		corrupt(&c);
		assert!(CairnStorage::do_try_state().is_err());
	});
}

#[test]
fn used_capacity_must_match_the_pieces() {
	corrupted(|c| {
		let who = operators_of(c)[0];
		Operators::<Test>::mutate(who, |r| r.as_mut().expect("registered").used += 1);
	});
}

#[test]
fn reward_rate_must_match_the_confirmed_pieces() {
	corrupted(|c| {
		let who = operators_of(c)[0];
		Operators::<Test>::mutate(who, |r| r.as_mut().expect("registered").reward_rate += 1);
	});
}

#[test]
fn escrow_must_be_conserved() {
	corrupted(|c| {
		let id = file_id_of(c);
		Files::<Test>::mutate(id, |f| f.as_mut().expect("pinned").escrow += 1);
	});
}

#[test]
fn the_held_escrow_must_match_the_books() {
	corrupted(|_| {
		let pot = CairnStorage::pot_account();
		assert_ok!(Balances::mint_into(&pot, 100));
		assert_ok!(Balances::hold(&HoldReason::PinEscrow.into(), &pot, 100));
	});
}

#[test]
fn a_file_must_keep_n_pieces() {
	corrupted(|c| {
		Pieces::<Test>::remove(file_id_of(c), 2);
	});
}

#[test]
fn counters_must_match_the_pieces() {
	corrupted(|c| {
		Files::<Test>::mutate(file_id_of(c), |f| f.as_mut().expect("pinned").confirmed -= 1);
	});
}

#[test]
fn expiries_must_be_queued() {
	corrupted(|c| {
		CairnStorage::dequeue_expiry(4, file_id_of(c));
	});
}
