//! Every genesis preset builds a working genesis state with the validators, balances and sudo
//! key it promises.

#![allow(clippy::expect_used)]

mod common;

use cairn_runtime::{
	genesis_config_presets::{self, ENDOWMENT},
	AccountId, Babe, Balances, Grandpa, Runtime, System,
};
use common::genesis_of;
use frame_support::traits::fungible::Inspect;
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

fn check_common(
	ext: &mut sp_io::TestExternalities,
	validators: &[(Sr25519Keyring, Ed25519Keyring)],
) {
	ext.execute_with(|| {
		let babe: Vec<_> = Babe::authorities().iter().map(|(id, _)| id.clone()).collect();
		let expected: Vec<sp_consensus_babe::AuthorityId> =
			validators.iter().map(|(sr, _)| sr.public().into()).collect();
		assert_eq!(babe, expected, "BABE authorities");

		let grandpa: Vec<_> =
			Grandpa::grandpa_authorities().into_iter().map(|(id, _)| id).collect();
		let expected: Vec<sp_consensus_grandpa::AuthorityId> =
			validators.iter().map(|(_, ed)| ed.public().into()).collect();
		assert_eq!(grandpa, expected, "GRANDPA authorities");

		for who in dev_accounts() {
			assert_eq!(Balances::balance(&who), ENDOWMENT, "endowment of {who}");
		}
		// The storage pallet's escrow pot is endowed with the existential deposit so it can hold.
		assert_eq!(
			Balances::total_issuance(),
			ENDOWMENT * dev_accounts().len() as u128 + cairn_runtime::EXISTENTIAL_DEPOSIT,
			"issuance is exactly the endowments and the pot's existential deposit"
		);
		assert_eq!(
			pallet_sudo::Key::<Runtime>::get(),
			Some(Sr25519Keyring::Alice.to_account_id()),
			"sudo key"
		);
		assert_eq!(System::block_number(), 0);

		// Storage: the tiers fit the local network and the sudo account is a storage worker.
		for (tier, config) in genesis_config_presets::local_tiers() {
			assert_eq!(pallet_storage::TierConfigs::<Runtime>::get(tier), Some(config));
		}
		assert!(pallet_storage::StorageWorkers::<Runtime>::get()
			.contains(&Sr25519Keyring::Alice.to_account_id()));
	});
}

#[test]
fn development_preset_has_alice_as_the_only_validator() {
	let mut ext = genesis_of(DEV_RUNTIME_PRESET);
	check_common(&mut ext, &[(Sr25519Keyring::Alice, Ed25519Keyring::Alice)]);
}

#[test]
fn local_testnet_preset_has_three_validators() {
	let mut ext = genesis_of(LOCAL_TESTNET_RUNTIME_PRESET);
	check_common(
		&mut ext,
		&[
			(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
		],
	);
}

#[test]
fn preset_names_are_exactly_the_buildable_presets() {
	let names = genesis_config_presets::preset_names();
	assert_eq!(names.len(), 2);
	for name in names {
		assert!(genesis_config_presets::get_preset(&name).is_some(), "{name:?} has no preset");
	}
	assert!(genesis_config_presets::get_preset(&PresetId::from("no-such-preset")).is_none());
}

#[test]
fn babe_epoch_config_allows_secondary_vrf_slots() {
	// Secondary VRF slots guarantee a block (and fresh VRF randomness) in every slot.
	let mut ext = genesis_of(DEV_RUNTIME_PRESET);
	ext.execute_with(|| {
		let config = Babe::epoch_config().expect("epoch config set at genesis");
		assert_eq!(config, cairn_runtime::BABE_GENESIS_EPOCH_CONFIG);
		assert_eq!(
			config.allowed_slots,
			sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots
		);
	});
}
