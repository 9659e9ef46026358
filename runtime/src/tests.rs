//! Unit tests that need the runtime's crate-private items.

use crate::Runtime;

#[test]
fn metadata_names_the_pallets_and_transaction_extensions_clients_rely_on() {
	let metadata = Runtime::metadata_ir();
	let pallets: Vec<(&str, u8)> = metadata.pallets.iter().map(|p| (p.name, p.index)).collect();
	assert_eq!(
		pallets,
		[
			("System", 0),
			("Timestamp", 1),
			("Babe", 2),
			("Grandpa", 3),
			("Balances", 4),
			("TransactionPayment", 5),
			("Sudo", 6),
			("Storage", 10)
		]
	);
	let extensions: Vec<&str> =
		metadata.extrinsic.extensions_in_versions.iter().map(|e| e.identifier).collect();
	assert_eq!(
		extensions,
		[
			"AuthorizeCall",
			"CheckNonZeroSender",
			"CheckSpecVersion",
			"CheckTxVersion",
			"CheckGenesis",
			"CheckMortality",
			"CheckNonce",
			"CheckWeight",
			"ChargeTransactionPayment",
			"CheckMetadataHash",
			"WeightReclaim"
		]
	);
}
