//! Shared by the runtime's integration tests: genesis state from a preset, as a chain spec
//! builds it, and the helpers the pallet-storage flows share (accounts, CIDs, calls dispatched
//! with the pallet's invariants checked afterwards, events, operator registration).

// Each test crate compiles this module and uses a part of it.
#![allow(dead_code)]

use cairn_runtime::{
	genesis_config_presets, AccountId, BuildStorage, Runtime, RuntimeCall, RuntimeEvent,
	RuntimeGenesisConfig, RuntimeOrigin, Storage, System, UNIT,
};
use frame_support::{assert_ok, dispatch::DispatchResult, BoundedVec};
use pallet_storage::{Call as StorageCall, Event};
use serde_json::Value;
use sp_genesis_builder::PresetId;
use sp_keyring::Sr25519Keyring::{self, Bob, Charlie, Dave, Eve};
use sp_runtime::traits::Dispatchable;

/// RFC 7396-style merge, as the node applies a preset patch over the default config.
fn merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(b), Value::Object(p)) => {
			for (k, v) in p {
				merge(b.entry(k).or_insert(Value::Null), v);
			}
		}
		(b, p) => *b = p,
	}
}

/// Builds the genesis storage of preset `id` exactly as a chain spec would.
pub fn genesis_of(id: &str) -> sp_io::TestExternalities {
	let patch = genesis_config_presets::get_preset(&PresetId::from(id)).expect("preset exists");
	let patch: Value = serde_json::from_slice(&patch).expect("preset is JSON");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("default config");
	merge(&mut config, patch);
	// `RuntimeGenesisConfig` denies unknown fields, so a misspelt key in a preset fails here.
	let config: RuntimeGenesisConfig =
		serde_json::from_value(config).expect("preset patch fits the genesis config");
	config.build_storage().expect("genesis builds").into()
}

/// Bytes of the test file: one segment, shards rounded up to whole 2 KiB leaves.
pub const SIZE: u64 = 10_000;

pub fn who(k: Sr25519Keyring) -> AccountId {
	k.to_account_id()
}

pub fn signed(k: Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(who(k))
}

/// A binary CIDv1 (raw codec, sha2-256) whose digest is `seed` repeated.
pub fn cid(seed: u8) -> BoundedVec<u8, <Runtime as pallet_storage::Config>::MaxCidLen> {
	let mut bytes = vec![0x01, 0x55, 0x12, 0x20];
	bytes.extend([seed; 32]);
	BoundedVec::truncate_from(bytes)
}

pub fn check_invariants() {
	Storage::do_try_state().expect("pallet-storage invariants hold");
}

/// Dispatches a storage call from `origin` and checks the pallet's invariants afterwards.
pub fn call(origin: RuntimeOrigin, call: StorageCall<Runtime>) -> DispatchResult {
	let result = RuntimeCall::Storage(call).dispatch(origin).map(|_| ()).map_err(|e| e.error);
	check_invariants();
	result
}

/// pallet-storage's events recorded so far (since the last reset of the events).
pub fn storage_events() -> Vec<Event<Runtime>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Storage(e) => Some(e),
			_ => None,
		})
		.collect()
}

/// `register_operator` in `region` with the minimum bond (100 UNIT) and 1 GiB of capacity.
pub fn registration(region: &str) -> StorageCall<Runtime> {
	StorageCall::register_operator {
		bond: 100 * UNIT,
		capacity_bytes: 1 << 30,
		region: BoundedVec::truncate_from(region.as_bytes().to_vec()),
		ipfs_peer: BoundedVec::truncate_from(b"/ip4/127.0.0.1/tcp/4001".to_vec()),
	}
}

/// Registers `k` as an operator in `region` (see [`registration`]).
pub fn register(k: Sr25519Keyring, region: &str) {
	assert_ok!(call(signed(k), registration(region)));
}

/// The dev chain's storage operators, each in its own region (failure domain).
pub const OPERATORS: [(Sr25519Keyring, &str); 4] =
	[(Bob, "eu"), (Charlie, "us"), (Dave, "asia"), (Eve, "africa")];

/// Registers every one of [`OPERATORS`].
pub fn register_operators() {
	for (k, region) in OPERATORS {
		register(k, region);
	}
}

/// Runs pallet-storage's hook block by block up to `to`, checking the invariants after each
/// block. No BABE pre-digest: no audit randomness, so no audits (see storage_audits.rs for
/// blocks with real VRF outputs).
pub fn run_to(to: u32) {
	let mut now = System::block_number();
	while now < to {
		now += 1;
		System::set_block_number(now);
		<Storage as frame_support::traits::Hooks<u32>>::on_initialize(now);
		check_invariants();
	}
}
