//! On-chain placement through `request_pin`: regions, capacity, vetting and randomness.

use crate::{mock::*, *};
use frame::testing_prelude::*;

fn regions_of(c: &CidOf<Test>) -> Vec<RegionOf<Test>> {
	operators_of(c).into_iter().map(|w| operator(w).region).collect()
}

#[test]
fn pieces_go_to_distinct_regions_when_enough_exist() {
	ExtBuilder::default().build_and_execute(|| {
		// Eight operators in four regions, two per region.
		for who in 1..=8u64 {
			register_in(who, &format!("r{}", who % 4), CAPACITY);
		}
		for seed in 0..20 {
			RandomSeed::set(u64::from(seed));
			pin(&cid(seed), 100, PinTier::Critical, 1);
			let mut regions = regions_of(&cid(seed));
			regions.sort();
			regions.dedup();
			assert_eq!(regions.len(), 4, "four pieces in four regions (seed {seed})");
		}
	});
}

#[test]
fn regions_are_shared_only_when_there_are_too_few() {
	ExtBuilder::default().build_and_execute(|| {
		// Six operators in two regions; three pieces: both regions used, one of them twice.
		for who in 1..=6u64 {
			register_in(who, if who % 2 == 0 { "even" } else { "odd" }, CAPACITY);
		}
		for seed in 0..20 {
			RandomSeed::set(u64::from(seed));
			pin(&cid(seed), 100, PinTier::Standard, 1);
			let regions = regions_of(&cid(seed));
			assert!(regions.contains(&bounded(b"even")) && regions.contains(&bounded(b"odd")));
		}
	});
}

#[test]
fn operators_without_room_for_a_piece_are_skipped() {
	ExtBuilder::default().build_and_execute(|| {
		register_in(1, "a", SIZE / 2);
		register_in(2, "b", 5 * SIZE);
		register_in(3, "c", 5 * SIZE);
		register_in(4, "d", 5 * SIZE);
		for seed in 0..10 {
			RandomSeed::set(seed);
			pin(&cid(seed as u32), SIZE, PinTier::Temporary, 1);
			assert_ne!(operators_of(&cid(seed as u32)), vec![1]);
		}
		// Full operators are skipped too: 2, 3 and 4 have room for 15 pieces in all.
		for seed in 10..15u32 {
			pin(&cid(seed), SIZE, PinTier::Temporary, 1);
		}
		assert!((2..=4).all(|w| operator(w).used == 5 * SIZE));
		assert_noop!(
			CairnStorage::request_pin(
				RuntimeOrigin::signed(USER),
				cid(99),
				SIZE,
				PinTier::Temporary,
				1
			),
			Error::<Test>::NotEnoughOperators
		);
	});
}

#[test]
fn a_file_gets_at_most_one_piece_on_a_vetting_operator() {
	ExtBuilder::default().vetting_audits(3).build_and_execute(|| {
		register_operators(6);
		// Only vetting operators (a young network): the file is still placed, on three of them.
		// (Two eras, so it does not share an era's expiry slots with the pins below.)
		pin(&cid(0), 10, PinTier::Standard, 5);
		assert_eq!(operators_of(&cid(0)).len(), 3);
		// Operators 1 and 2 pass vetting (as the audits will record it).
		for who in [1, 2] {
			Operators::<Test>::mutate(who, |r| {
				r.as_mut().expect("registered").status = OperatorStatus::Active
			});
		}
		// With two vetted operators, a three-piece file takes both and exactly one vetting one.
		for seed in 1..=20 {
			RandomSeed::set(u64::from(seed));
			pin(&cid(seed), 10, PinTier::Standard, 1);
			let ops = operators_of(&cid(seed));
			assert!(ops.contains(&1) && ops.contains(&2), "seed {seed}: {ops:?}");
			let vetting = ops
				.iter()
				.filter(|w| matches!(operator(**w).status, OperatorStatus::Vetting { .. }))
				.count();
			assert_eq!(vetting, 1, "seed {seed}");
		}
		// A one-piece file may go to a vetting operator.
		let mut vetting_used = false;
		for seed in 21..=40 {
			RandomSeed::set(u64::from(seed));
			pin(&cid(seed), 10, PinTier::Temporary, 3);
			vetting_used |= !operators_of(&cid(seed)).iter().all(|w| *w <= 2);
		}
		assert!(vetting_used);
	});
}

#[test]
fn placement_follows_the_randomness_and_free_capacity() {
	ExtBuilder::default().build_and_execute(|| {
		// Operator 1 has nine times the space of each of operators 2..=4.
		register_in(1, "a", 9 * CAPACITY);
		for who in 2..=4 {
			register_in(who, &format!("r{who}"), CAPACITY);
		}
		let mut on_first = 0;
		let mut placements = Vec::new();
		for seed in 0..60u32 {
			RandomSeed::set(u64::from(seed));
			pin(&cid(seed), 2, PinTier::Temporary, 1 + seed % 3);
			let who = operators_of(&cid(seed))[0];
			placements.push(who);
			if who == 1 {
				on_first += 1;
			}
		}
		// Expectation 45 of 60 (9/12); a uniform choice would give 15.
		assert!((35..=55).contains(&on_first), "operator 1 chosen {on_first} times of 60");
		placements.sort();
		placements.dedup();
		assert!(placements.len() > 1, "different randomness gives different placements");
	});
}
