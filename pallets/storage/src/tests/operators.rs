//! Operator registration, updates, leaving and bonds.

use crate::{mock::*, *};
use frame::testing_prelude::*;

#[test]
fn register_holds_the_bond_and_makes_the_operator_eligible() {
	ExtBuilder::default().build_and_execute(|| {
		let before = free_balance(1);
		assert_ok!(CairnStorage::register_operator(
			RuntimeOrigin::signed(1),
			MIN_BOND + 5,
			CAPACITY,
			region_of(1),
			peer_of(1),
		));
		assert_eq!(bond_held(1), MIN_BOND + 5);
		assert_eq!(free_balance(1), before - MIN_BOND - 5);
		let record = operator(1);
		assert_eq!(record.capacity, CAPACITY);
		assert_eq!(record.used, 0);
		assert_eq!(record.region, region_of(1));
		assert_eq!(record.ipfs_peer, peer_of(1));
		assert_eq!(record.status, OperatorStatus::Active);
		assert_eq!(OperatorCount::<Test>::get(), 1);
		assert_eq!(EligibleOperators::<Test>::get().to_vec(), vec![1]);
		System::assert_last_event(
			Event::<Test>::OperatorRegistered {
				who: 1,
				bond: MIN_BOND + 5,
				capacity: CAPACITY,
				region: region_of(1),
				vetting: false,
			}
			.into(),
		);
	});
}

#[test]
fn new_operators_start_vetting_when_audits_are_required() {
	ExtBuilder::default().vetting_audits(3).build_and_execute(|| {
		register(1);
		assert_eq!(operator(1).status, OperatorStatus::Vetting { audits_passed: 0 });
		assert!(EligibleOperators::<Test>::get().contains(&1));
		assert!(emitted(Event::<Test>::OperatorRegistered {
			who: 1,
			bond: MIN_BOND,
			capacity: CAPACITY,
			region: region_of(1),
			vetting: true,
		}));
	});
}

#[test]
fn register_rejects_bad_input_and_changes_nothing() {
	ExtBuilder::default().max_operators(2).build_and_execute(|| {
		let reg = |who, bond, capacity, region: &[u8], peer: &[u8]| {
			CairnStorage::register_operator(
				RuntimeOrigin::signed(who),
				bond,
				capacity,
				bounded(region),
				bounded(peer),
			)
		};
		assert_noop!(reg(1, MIN_BOND - 1, CAPACITY, b"r", b"p"), Error::<Test>::BondTooLow);
		assert_noop!(reg(1, MIN_BOND, 0, b"r", b"p"), Error::<Test>::InvalidCapacity);
		assert_noop!(reg(1, MIN_BOND, CAPACITY, b"", b"p"), Error::<Test>::InvalidRegion);
		assert_noop!(reg(1, MIN_BOND, CAPACITY, b"r", b""), Error::<Test>::InvalidPeerAddress);
		assert_noop!(reg(POOR, MIN_BOND, CAPACITY, b"r", b"p"), Error::<Test>::InsufficientBalance);
		assert_noop!(
			CairnStorage::register_operator(
				RuntimeOrigin::root(),
				MIN_BOND,
				CAPACITY,
				region_of(1),
				peer_of(1)
			),
			BadOrigin
		);
		register(1);
		assert_noop!(reg(1, MIN_BOND, CAPACITY, b"r", b"p"), Error::<Test>::AlreadyRegistered);
		register(2);
		assert_noop!(reg(3, MIN_BOND, CAPACITY, b"r", b"p"), Error::<Test>::TooManyOperators);
	});
}

#[test]
fn update_operator_changes_bond_capacity_region_and_peer() {
	ExtBuilder::default().build_and_execute(|| {
		register(1);
		assert_ok!(CairnStorage::update_operator(
			RuntimeOrigin::signed(1),
			Some(MIN_BOND * 3),
			Some(2 * CAPACITY),
			Some(bounded(b"elsewhere")),
			Some(bounded(b"/dns/op1/tcp/4001")),
		));
		assert_eq!(bond_held(1), MIN_BOND * 3);
		let record = operator(1);
		assert_eq!(record.bond, MIN_BOND * 3);
		assert_eq!(record.capacity, 2 * CAPACITY);
		assert_eq!(record.region, bounded::<ConstU32<32>>(b"elsewhere"));
		assert_eq!(record.ipfs_peer, bounded::<ConstU32<128>>(b"/dns/op1/tcp/4001"));
		System::assert_last_event(
			Event::<Test>::OperatorUpdated {
				who: 1,
				bond: MIN_BOND * 3,
				capacity: 2 * CAPACITY,
				region: bounded(b"elsewhere"),
			}
			.into(),
		);
		// Lowering the bond releases the difference; `None` keeps values.
		assert_ok!(CairnStorage::update_operator(
			RuntimeOrigin::signed(1),
			Some(MIN_BOND),
			None,
			None,
			None
		));
		assert_eq!(bond_held(1), MIN_BOND);
		assert_eq!(operator(1).capacity, 2 * CAPACITY);
	});
}

#[test]
fn update_operator_rejects_bad_input_and_changes_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		let update = |who, bond, capacity, region: Option<&[u8]>, peer: Option<&[u8]>| {
			CairnStorage::update_operator(
				RuntimeOrigin::signed(who),
				bond,
				capacity,
				region.map(bounded),
				peer.map(bounded),
			)
		};
		assert_noop!(update(1, None, None, None, None), Error::<Test>::NotRegistered);
		register_operators(3);
		assert_noop!(update(1, Some(MIN_BOND - 1), None, None, None), Error::<Test>::BondTooLow);
		assert_noop!(
			update(1, Some(OPERATOR_FUNDS * 2), None, None, None),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(update(1, None, Some(0), None, None), Error::<Test>::InvalidCapacity);
		assert_noop!(update(1, None, None, Some(b""), None), Error::<Test>::InvalidRegion);
		assert_noop!(update(1, None, None, None, Some(b"")), Error::<Test>::InvalidPeerAddress);
		// Capacity cannot drop below the bytes already assigned.
		pin(&cid(1), SIZE, PinTier::Standard, 2);
		assert_eq!(operator(1).used, SIZE);
		assert_noop!(update(1, None, Some(999), None, None), Error::<Test>::InvalidCapacity);
		assert_ok!(update(1, None, Some(SIZE), None, None));
		assert_noop!(
			CairnStorage::update_operator(RuntimeOrigin::none(), None, None, None, None),
			BadOrigin
		);
		assert_ok!(CairnStorage::unregister_operator(RuntimeOrigin::signed(2)));
		assert_noop!(update(2, None, Some(5), None, None), Error::<Test>::OperatorLeaving);
	});
}

#[test]
fn unregister_stops_new_pieces() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(4);
		assert_ok!(CairnStorage::unregister_operator(RuntimeOrigin::signed(2)));
		assert_eq!(operator(2).status, OperatorStatus::Leaving { since: 1 });
		assert!(!EligibleOperators::<Test>::get().contains(&2));
		System::assert_last_event(
			Event::<Test>::OperatorUnregistered { who: 2, unbonding_ends: 1 + UNBONDING }.into(),
		);
		// Three operators left for three pieces: 2 never gets one.
		for seed in 0..5 {
			pin(&cid(seed), 100, PinTier::Standard, 1);
			assert!(!operators_of(&cid(seed)).contains(&2));
		}
		assert_noop!(
			CairnStorage::unregister_operator(RuntimeOrigin::signed(2)),
			Error::<Test>::OperatorLeaving
		);
		assert_noop!(
			CairnStorage::unregister_operator(RuntimeOrigin::signed(9)),
			Error::<Test>::NotRegistered
		);
		assert_noop!(CairnStorage::unregister_operator(RuntimeOrigin::root()), BadOrigin);
	});
}

#[test]
fn withdraw_bond_after_unbonding_with_no_pieces() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let before = free_balance(3);
		assert_noop!(
			CairnStorage::withdraw_bond(RuntimeOrigin::signed(9)),
			Error::<Test>::NotRegistered
		);
		assert_noop!(
			CairnStorage::withdraw_bond(RuntimeOrigin::signed(3)),
			Error::<Test>::NotLeaving
		);
		assert_ok!(CairnStorage::unregister_operator(RuntimeOrigin::signed(3)));
		run_to_block(UNBONDING);
		assert_noop!(
			CairnStorage::withdraw_bond(RuntimeOrigin::signed(3)),
			Error::<Test>::UnbondingNotFinished
		);
		run_to_block(1 + UNBONDING);
		assert_ok!(CairnStorage::withdraw_bond(RuntimeOrigin::signed(3)));
		assert_eq!(bond_held(3), 0);
		assert_eq!(free_balance(3), before + MIN_BOND);
		assert!(Operators::<Test>::get(3).is_none());
		assert_eq!(OperatorCount::<Test>::get(), 2);
		System::assert_last_event(
			Event::<Test>::BondWithdrawn { who: 3, bond: MIN_BOND, rewards: 0 }.into(),
		);
		// Gone: it can register again.
		register(3);
		assert_noop!(CairnStorage::withdraw_bond(RuntimeOrigin::none()), BadOrigin);
	});
}

#[test]
fn withdraw_bond_waits_until_no_piece_is_assigned() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		store(&cid(1), 1, SIZE, PinTier::Standard, 3);
		assert_ok!(CairnStorage::unregister_operator(RuntimeOrigin::signed(1)));
		run_to_block(1 + UNBONDING);
		assert_noop!(
			CairnStorage::withdraw_bond(RuntimeOrigin::signed(1)),
			Error::<Test>::PiecesStillAssigned
		);
		// The pin ends (era 3) and its grace period (1 era) passes: the piece is released.
		run_to_era(4);
		assert!(FileIds::<Test>::get(cid(1)).is_none());
		assert_eq!(operator(1).piece_count, 0);
		let pending = CairnStorage::claimable_rewards(1);
		assert_eq!(pending, 3 * SIZE_B, "three paid eras of one 1000-byte replica");
		let before = free_balance(1);
		assert_ok!(CairnStorage::withdraw_bond(RuntimeOrigin::signed(1)));
		assert_eq!(free_balance(1), before + MIN_BOND + pending);
		System::assert_last_event(
			Event::<Test>::BondWithdrawn { who: 1, bond: MIN_BOND, rewards: pending }.into(),
		);
	});
}
