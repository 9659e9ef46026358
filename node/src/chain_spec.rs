//! Chain specifications, all built from the runtime's genesis presets.

use sc_service::ChainType;

/// Specialized `ChainSpec` for Cairn: no extensions.
pub type ChainSpec = sc_service::GenericChainSpec;

fn wasm() -> Result<&'static [u8], String> {
	cairn_runtime::WASM_BINARY.ok_or_else(|| {
		"the wasm runtime was not built (was SKIP_WASM_BUILD set when building the node?)".into()
	})
}

fn properties() -> sc_chain_spec::Properties {
	let mut p = sc_chain_spec::Properties::new();
	p.insert("tokenSymbol".into(), "CAIRN".into());
	p.insert("tokenDecimals".into(), 12.into());
	p.insert("ss58Format".into(), 42.into());
	p
}

/// `--dev`: one validator, Alice.
pub fn development_config() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Cairn Development")
		.with_id("cairn_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain local`: three validators, Alice, Bob and Charlie.
pub fn local_testnet_config() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Cairn Local Testnet")
		.with_id("cairn_local_testnet")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}
