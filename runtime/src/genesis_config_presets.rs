//! Named genesis presets. The node builds its `--dev` and `--chain local` specs from these, and
//! `scripts/chain-specs.sh` writes them out as raw chain specs under `chain-specs/`.
//!
//! Each preset is a JSON *patch* over the default genesis: only what differs is listed.

use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_babe::AuthorityId as BabeId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

use pallet_storage::{PinTier, TierConfig};

use crate::{
	AccountId, BabeConfig, BalancesConfig, GrandpaConfig, RuntimeGenesisConfig, StorageConfig,
	SudoConfig, BABE_GENESIS_EPOCH_CONFIG, HOURS, UNIT,
};

/// Every endowed development account starts with this much.
pub const ENDOWMENT: u128 = 1_000_000 * UNIT;

/// A genesis validator: its BABE (sr25519) and GRANDPA (ed25519) keys.
pub struct Validator {
	pub babe: BabeId,
	pub grandpa: GrandpaId,
}

impl Validator {
	/// The well-known development validator keys of `who` (`//Alice`, `//Bob`, ...).
	fn dev(sr: Sr25519Keyring, ed: Ed25519Keyring) -> Self {
		Self { babe: sr.public().into(), grandpa: ed.public().into() }
	}
}

/// Pin tiers sized for a local network of five operators in three regions (Critical needs five,
/// Standard four, Temporary two registered operators): erasure-coded, so
/// each tier survives the loss of `n - k` operators, and a file is repaired when it has fewer
/// than `m` healthy pieces. Audit periods are in blocks.
pub fn local_tiers() -> Vec<(PinTier, TierConfig)> {
	let tier = |k, n, m, audit_period, price_multiplier_percent, grace_period| TierConfig {
		k,
		n,
		m,
		audit_period,
		price_multiplier_percent,
		grace_period,
	};
	vec![
		(PinTier::Critical, tier(2, 5, 4, HOURS / 4, 300, 6)),
		(PinTier::Standard, tier(2, 4, 3, HOURS / 2, 100, 3)),
		(PinTier::Temporary, tier(1, 2, 1, HOURS, 50, 0)),
	]
}

/// The genesis patch for a chain with the given validators, endowed accounts and sudo key. The
/// sudo account is also the first storage worker (a validator's offchain worker signs with it by
/// default on a development chain); `//Alice//stash` is the second, the account
/// `scripts/start.sh` gives the network's worker so that its transactions never compete for a
/// nonce with the user's (`//Alice`) or an operator's.
pub fn cairn_genesis(
	validators: Vec<Validator>,
	endowed: Vec<AccountId>,
	root: AccountId,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed.into_iter().map(|who| (who, ENDOWMENT)).collect::<Vec<_>>(),
		},
		babe: BabeConfig {
			authorities: validators.iter().map(|v| (v.babe.clone(), 1)).collect::<Vec<_>>(),
			epoch_config: BABE_GENESIS_EPOCH_CONFIG,
		},
		grandpa: GrandpaConfig {
			authorities: validators.iter().map(|v| (v.grandpa.clone(), 1)).collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root.clone()) },
		storage: StorageConfig {
			tiers: local_tiers(),
			storage_workers: vec![root, Sr25519Keyring::AliceStash.to_account_id()],
		},
	})
}

/// The well-known development accounts: Alice .. Ferdie and their `//stash` accounts.
fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

/// `development`: one validator (Alice), for `cairn-node --dev`.
pub fn development_config_genesis() -> Value {
	cairn_genesis(
		vec![Validator::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// `local_testnet`: three validators (Alice, Bob, Charlie), for `--chain local` and zombienet.
pub fn local_config_genesis() -> Value {
	cairn_genesis(
		vec![
			Validator::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			Validator::dev(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			Validator::dev(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
		],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// The preset with the given id, serialized, or `None` for an unknown id.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	serde_json::to_string(&patch).ok().map(|s| s.into_bytes())
}

/// The ids of every preset this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
