//! The harness's own mock runtime: System, Balances and the storage pallet, with randomness the
//! harness controls and every window short enough that expiry, re-assignment, containment,
//! audits and unbonding all happen within a few dozen blocks.
//!
//! Modelled on the pallet's unit-test mock (`pallets/storage/src/mock.rs`), which is
//! `#[cfg(test)]` and so cannot be used from here.

use frame::{
	deps::sp_runtime::BuildStorage,
	testing_prelude::*,
	traits::{fungible::Inspect, Randomness},
};
use pallet_storage::{PinTier, TierConfig};

type Block = frame_system::mocking::MockBlock<Runtime>;
/// Accounts are plain numbers.
pub type AccountId = u64;
/// Balances are `u128`.
pub type Balance = u128;

construct_runtime!(
	pub enum Runtime {
		System: frame_system,
		Balances: pallet_balances,
		CairnStorage: pallet_storage,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

/// Existential deposit.
pub const ED: Balance = 10;

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Runtime {
	type Balance = Balance;
	type ExistentialDeposit = ConstU128<ED>;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Blocks per era: a pin of one era ends within 4 blocks.
pub const ERA_LENGTH: u64 = 4;
/// Blocks to confirm a reported piece before it is re-assigned.
pub const CONFIRM_WINDOW: u64 = 3;
/// Blocks to answer a challenge.
pub const RESPONSE_WINDOW: u64 = 2;
/// Re-verifications of a missed challenge before it counts as a failure.
pub const MAX_REVERIFY: u32 = 2;
/// Blocks between `unregister_operator` and `withdraw_bond`.
pub const UNBONDING: u64 = 6;
/// Smallest bond.
pub const MIN_BOND: Balance = 100;
/// Two 2 KiB leaves per shard.
pub const SHARD_SIZE: u32 = 4096;
/// Largest file: 1 MiB (a 512-leaf piece with `k = 1`).
pub const MAX_FILE_SIZE: u64 = 1 << 20;
/// Most eras paid ahead.
pub const MAX_PIN_ERAS: u32 = 8;
/// Most operators: fewer than the seven operator accounts, so `TooManyOperators` is reachable.
pub const MAX_OPERATORS: u32 = 6;
/// Most pieces of a file.
pub const MAX_PIECES: u32 = 5;
/// Most expiry events per era: small, so `ExpiryQueueFull` is reachable.
pub const MAX_EXPIRIES_PER_ERA: u32 = 4;
/// Offline reports (in distinct blocks within 6 blocks) that mark an operator offline.
pub const OFFLINE_REPORTS: u32 = 2;
/// Files in the repair queue: small, so a full queue (paused sweeps) is reachable.
pub const MAX_REPAIR_QUEUE: u32 = 3;

parameter_types! {
	pub const StoragePalletId: PalletId = PalletId(*b"cairn/st");
	pub const SlashFraction: Perbill = Perbill::from_percent(10);
	pub const ReputationForgetting: Perbill = Perbill::from_percent(80);
	pub const SuspensionThreshold: Perbill = Perbill::from_percent(90);
	pub const DisqualificationThreshold: Perbill = Perbill::from_percent(70);
	/// Mixed into the placement randomness (set per input).
	pub static RandomSeed: u64 = 0;
	/// `None`: the block has no audit randomness (its audits are skipped).
	pub static AuditSeed: Option<u64> = Some(0);
	/// Audits a new operator must pass (set per input).
	pub static VettingAudits: u32 = 0;
	/// Challenges per block (set per input, at least one).
	pub static AuditsPerBlock: u32 = 2;
}

/// Placement randomness: a hash of the subject, the block number and `RandomSeed`.
pub struct FuzzRandomness;
impl Randomness<H256, u64> for FuzzRandomness {
	fn random(subject: &[u8]) -> (H256, u64) {
		let block = System::block_number();
		(H256(blake2_256(&(subject, block, RandomSeed::get()).encode())), block)
	}
}

/// Audit randomness: like [`FuzzRandomness`] with `AuditSeed`, or none when that is `None`.
pub struct FuzzAuditRandomness;
impl Randomness<Option<H256>, u64> for FuzzAuditRandomness {
	fn random(subject: &[u8]) -> (Option<H256>, u64) {
		let block = System::block_number();
		let seed = AuditSeed::get().map(|s| H256(blake2_256(&(subject, block, s).encode())));
		(seed, block)
	}
}

impl pallet_storage::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Randomness = FuzzRandomness;
	type AuditRandomness = FuzzAuditRandomness;
	type AuditsPerBlock = AuditsPerBlock;
	type ResponseWindow = ConstU64<RESPONSE_WINDOW>;
	type MaxReverifyCount = ConstU32<MAX_REVERIFY>;
	type SlashFraction = SlashFraction;
	type ReputationForgetting = ReputationForgetting;
	type SuspensionThreshold = SuspensionThreshold;
	type DisqualificationThreshold = DisqualificationThreshold;
	type AdminOrigin = EnsureRoot<AccountId>;
	type PalletId = StoragePalletId;
	type EraLength = ConstU64<ERA_LENGTH>;
	type PricePerBytePerEra = ConstU128<1>;
	type MinOperatorBond = ConstU128<MIN_BOND>;
	type UnbondingPeriod = ConstU64<UNBONDING>;
	type VettingAudits = VettingAudits;
	type ConfirmWindow = ConstU64<CONFIRM_WINDOW>;
	type ShardSize = ConstU32<SHARD_SIZE>;
	type MaxFileSize = ConstU64<MAX_FILE_SIZE>;
	type MaxPinEras = ConstU32<MAX_PIN_ERAS>;
	type MaxOperators = ConstU32<MAX_OPERATORS>;
	type MaxPiecesPerFile = ConstU32<MAX_PIECES>;
	type MaxStorageWorkers = ConstU32<2>;
	type MaxCidLen = ConstU32<128>;
	type MaxRegionLen = ConstU32<16>;
	type MaxPeerAddrLen = ConstU32<64>;
	type MaxExpiriesPerEra = ConstU32<MAX_EXPIRIES_PER_ERA>;
	type MaxExpiriesPerBlock = ConstU32<1>;
	type MaxConfirmChecksPerBlock = ConstU32<2>;
	type OfflineReportThreshold = ConstU32<OFFLINE_REPORTS>;
	type OfflineReportWindow = ConstU64<6>;
	type MaxRepairQueue = ConstU32<MAX_REPAIR_QUEUE>;
	type MaxRepairsPerBlock = ConstU32<1>;
	type MaxHealthChecksPerBlock = ConstU32<2>;
	type RepairRetryDelay = ConstU64<3>;
	type WeightInfo = ();
}

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

/// Operator accounts (seven, one more than `MAX_OPERATORS`), each funded with `OPERATOR_FUNDS`.
pub const OPERATORS: [AccountId; 7] = [1, 2, 3, 4, 5, 6, 7];
/// The genesis storage worker.
pub const WORKER: AccountId = 50;
/// A funded account that is not a storage worker at genesis.
pub const SPARE_WORKER: AccountId = 51;
/// An account with just above the existential deposit.
pub const POOR: AccountId = 99;
/// The rich user.
pub const USER: AccountId = 100;
/// A user who can afford small pins only.
pub const OTHER_USER: AccountId = 101;
/// An account that does not exist.
pub const NOBODY: AccountId = 200;
/// Every account an input can sign with.
pub const ACCOUNTS: [AccountId; 13] =
	[1, 2, 3, 4, 5, 6, 7, WORKER, SPARE_WORKER, POOR, USER, OTHER_USER, NOBODY];

/// What each operator account starts with.
pub const OPERATOR_FUNDS: Balance = 10_000;
/// What `USER` starts with.
pub const USER_FUNDS: Balance = 100_000_000;
/// What `OTHER_USER` starts with.
pub const OTHER_USER_FUNDS: Balance = 200_000;

/// The tiers at genesis: Critical 2-of-4 erasure coding, Standard 3 replicas, Temporary one;
/// audit periods of a few blocks and grace periods of 0 to 2 eras.
pub fn genesis_tiers() -> Vec<(PinTier, TierConfig)> {
	vec![
		(
			PinTier::Critical,
			TierConfig {
				k: 2,
				n: 4,
				m: 3,
				audit_period: 3,
				price_multiplier_percent: 200,
				grace_period: 2,
			},
		),
		(
			PinTier::Standard,
			TierConfig {
				k: 1,
				n: 3,
				m: 2,
				audit_period: 2,
				price_multiplier_percent: 100,
				grace_period: 1,
			},
		),
		(
			PinTier::Temporary,
			TierConfig {
				k: 1,
				n: 1,
				m: 1,
				audit_period: 4,
				price_multiplier_percent: 50,
				grace_period: 0,
			},
		),
	]
}

/// The runtime knobs an input chooses before its actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
	/// Operators registered at block 1 (the first `operators` of [`OPERATORS`], 4 MiB each,
	/// regions shared by two), at most `MAX_OPERATORS`.
	pub operators: u8,
	/// `VettingAudits`.
	pub vetting_audits: u32,
	/// `AuditsPerBlock`, at least one.
	pub audits_per_block: u32,
	/// Placement randomness seed.
	pub seed: u64,
}

impl Default for Setup {
	fn default() -> Self {
		Self { operators: 4, vetting_audits: 0, audits_per_block: 2, seed: 0 }
	}
}

/// Capacity of the operators registered by [`Setup`].
pub const SETUP_CAPACITY: u64 = 4 << 20;

/// Region tag `r0`..`r3` (two operator accounts share each).
pub fn region(tag: u8) -> Vec<u8> {
	format!("r{}", tag % 4).into_bytes()
}

/// An IPFS peer address.
pub fn peer(port: u8) -> Vec<u8> {
	format!("/ip4/127.0.0.1/tcp/{}", 4000 + u32::from(port)).into_bytes()
}

/// Fresh externalities at block 1 with the knobs of `setup` applied and its operators
/// registered.
pub fn new_externalities(setup: &Setup) -> TestState {
	VettingAudits::set(setup.vetting_audits);
	AuditsPerBlock::set(setup.audits_per_block.max(1));
	RandomSeed::set(setup.seed);
	AuditSeed::set(Some(setup.seed));
	let mut balances: Vec<(AccountId, Balance)> =
		OPERATORS.iter().map(|who| (*who, OPERATOR_FUNDS)).collect();
	balances.extend([
		(WORKER, 1_000),
		(SPARE_WORKER, 1_000),
		(POOR, ED + 40),
		(USER, USER_FUNDS),
		(OTHER_USER, OTHER_USER_FUNDS),
	]);
	let mut storage = frame_system::GenesisConfig::<Runtime>::default()
		.build_storage()
		.expect("system genesis builds");
	pallet_balances::GenesisConfig::<Runtime> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.expect("balances genesis builds");
	pallet_storage::GenesisConfig::<Runtime> {
		tiers: genesis_tiers(),
		storage_workers: vec![WORKER],
	}
	.assimilate_storage(&mut storage)
	.expect("storage genesis builds");
	let mut ext = TestState::new(storage);
	let operators = usize::from(setup.operators).min(MAX_OPERATORS as usize);
	ext.execute_with(|| {
		System::set_block_number(1);
		for (i, who) in OPERATORS.iter().take(operators).enumerate() {
			let registered = CairnStorage::register_operator(
				RuntimeOrigin::signed(*who),
				MIN_BOND,
				SETUP_CAPACITY,
				BoundedVec::truncate_from(region(i as u8 / 2)),
				BoundedVec::truncate_from(peer(*who as u8)),
			);
			assert!(registered.is_ok(), "setup operator {who} registers: {registered:?}");
		}
		System::reset_events();
	});
	ext.commit_all().expect("genesis commits");
	ext
}

/// Free balance of `who` (a view for the tests).
pub fn free_balance(who: AccountId) -> Balance {
	Balances::balance(&who)
}
