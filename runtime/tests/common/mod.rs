//! Shared by the runtime's integration tests: genesis state from a preset, as a chain spec
//! builds it.

use cairn_runtime::{genesis_config_presets, BuildStorage, RuntimeGenesisConfig};
use serde_json::Value;
use sp_genesis_builder::PresetId;

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
