//! Tier configuration and storage-worker administration.

use crate::{mock::*, *};
use frame::testing_prelude::*;

fn config(k: u32, n: u32, m: u32) -> TierConfig {
	TierConfig { k, n, m, audit_period: 10, price_multiplier_percent: 100, grace_period: 1 }
}

#[test]
fn genesis_sets_the_tiers_and_workers() {
	ExtBuilder::default().build_and_execute(|| {
		for (tier, config) in test_tiers() {
			assert_eq!(TierConfigs::<Test>::get(tier), Some(config));
		}
		assert_eq!(StorageWorkers::<Test>::get().to_vec(), vec![WORKER]);
		assert!(free_balance(CairnStorage::pot_account()) >= ED, "the pot exists");
	});
}

#[test]
fn default_tiers_are_the_seed_replica_counts_and_valid() {
	let tiers = default_tiers();
	let replicas: Vec<(u32, u32)> = tiers.iter().map(|(_, c)| (c.k, c.n)).collect();
	assert_eq!(replicas, vec![(1, 5), (1, 3), (1, 1)]);
	assert!(tiers.iter().all(|(_, c)| c.is_valid(5)));
	assert_eq!(tiers.iter().map(|(t, _)| *t).collect::<Vec<_>>(), PinTier::ALL.to_vec());
}

#[test]
fn set_tier_config_by_admin_only() {
	ExtBuilder::default().build_and_execute(|| {
		let new = config(2, 6, 4);
		assert_noop!(
			CairnStorage::set_tier_config(RuntimeOrigin::signed(1), PinTier::Standard, new),
			BadOrigin
		);
		assert_ok!(CairnStorage::set_tier_config(RuntimeOrigin::root(), PinTier::Standard, new));
		assert_eq!(TierConfigs::<Test>::get(PinTier::Standard), Some(new));
		System::assert_last_event(
			Event::<Test>::TierConfigSet { tier: PinTier::Standard, config: new }.into(),
		);
	});
}

#[test]
fn inconsistent_tier_configs_are_rejected() {
	ExtBuilder::default().build_and_execute(|| {
		let set = |c| CairnStorage::set_tier_config(RuntimeOrigin::root(), PinTier::Critical, c);
		for bad in [
			config(0, 3, 2), // no data piece
			config(3, 4, 2), // m < k
			config(1, 3, 4), // m > n
			config(1, 3, 3), // m == n with redundancy: never repaired
			config(1, 9, 5), // n > MaxPiecesPerFile (8)
			TierConfig { audit_period: 0, ..config(1, 3, 2) },
			TierConfig { price_multiplier_percent: 0, ..config(1, 3, 2) },
		] {
			assert_noop!(set(bad), Error::<Test>::InvalidTierConfig);
		}
		// No redundancy at all (k == m == n) is allowed, as is k = m.
		assert_ok!(set(config(2, 2, 2)));
		assert_ok!(set(config(2, 4, 2)));
		assert_ok!(set(config(1, 8, 7)));
	});
}

#[test]
fn existing_pins_keep_their_tier_parameters() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(4);
		let c = cid(1);
		store(&c, 1, SIZE, PinTier::Standard, 3);
		assert_ok!(CairnStorage::set_tier_config(
			RuntimeOrigin::root(),
			PinTier::Standard,
			TierConfig { price_multiplier_percent: 300, ..config(1, 2, 1) }
		));
		let file = file_of(&c);
		assert_eq!((file.n, file.piece_reward), (3, SIZE_B));
		run_to_era(2);
		assert_eq!(CairnStorage::claimable_rewards(operators_of(&c)[0]), 2 * SIZE_B);
		// A new pin uses the new parameters.
		pin(&cid(2), SIZE, PinTier::Standard, 1);
		assert_eq!(file_of(&cid(2)).n, 2);
		assert_eq!(file_of(&cid(2)).piece_reward, 3 * SIZE_B);
	});
}

#[test]
fn storage_workers_are_managed_by_the_admin() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(CairnStorage::add_storage_worker(RuntimeOrigin::signed(1), 7), BadOrigin);
		assert_noop!(
			CairnStorage::remove_storage_worker(RuntimeOrigin::signed(1), WORKER),
			BadOrigin
		);
		assert_noop!(
			CairnStorage::add_storage_worker(RuntimeOrigin::root(), WORKER),
			Error::<Test>::AlreadyStorageWorker
		);
		assert_noop!(
			CairnStorage::remove_storage_worker(RuntimeOrigin::root(), 7),
			Error::<Test>::NotStorageWorker
		);
		for who in [7, 8, 9] {
			assert_ok!(CairnStorage::add_storage_worker(RuntimeOrigin::root(), who));
			System::assert_last_event(Event::<Test>::StorageWorkerAdded { who }.into());
		}
		assert_noop!(
			CairnStorage::add_storage_worker(RuntimeOrigin::root(), 10),
			Error::<Test>::TooManyStorageWorkers
		);
		assert_ok!(CairnStorage::remove_storage_worker(RuntimeOrigin::root(), 8));
		System::assert_last_event(Event::<Test>::StorageWorkerRemoved { who: 8 }.into());
		assert_eq!(StorageWorkers::<Test>::get().to_vec(), vec![WORKER, 7, 9]);
	});
}

#[test]
fn pin_price_quotes_what_request_pin_charges() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(4);
		for (seed, (tier, size, eras)) in [
			(PinTier::Critical, 12_345u64, 3u32),
			(PinTier::Standard, 1, 7),
			(PinTier::Temporary, 999, 1),
		]
		.into_iter()
		.enumerate()
		{
			let quote = CairnStorage::pin_price(size, tier, eras).expect("configured");
			let before = free_balance(USER);
			pin(&cid(seed as u32), size, tier, eras);
			assert_eq!(before - free_balance(USER), quote, "{tier:?}");
		}
	});
}
