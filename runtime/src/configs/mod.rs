//! Configuration of every pallet in the Cairn runtime.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		IdentityFee, Weight,
	},
};
use frame_system::limits::{BlockLength, BlockWeights};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_runtime::{traits::One, Perbill};
use sp_version::RuntimeVersion;

use super::{
	AccountId, Babe, Balance, Balances, Block, BlockNumber, Hash, Nonce, PalletInfo, Runtime,
	RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask,
	System, EPOCH_DURATION_IN_SLOTS, EXISTENTIAL_DEPOSIT, HOURS, MINUTES, SLOT_DURATION, UNIT,
	VERSION,
};

const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;

	/// Two seconds of compute per 3-second block; 75% of it for normal extrinsics.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// 5 MiB blocks; normal extrinsics may fill 75% of them.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |m| *m = NORMAL_DISPATCH_RATIO * *m)
		.build();
	/// Generic substrate prefix (42) until Cairn registers its own.
	pub const SS58Prefix: u8 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

parameter_types! {
	pub const EpochDuration: u64 = EPOCH_DURATION_IN_SLOTS;
	pub const ExpectedBlockTime: u64 = SLOT_DURATION;
	pub const MaxAuthorities: u32 = 32;
}

impl pallet_babe::Config for Runtime {
	type EpochDuration = EpochDuration;
	type ExpectedBlockTime = ExpectedBlockTime;
	// There is no session pallet: the authority set is fixed at genesis and changed, when needed,
	// by a runtime upgrade. Epochs still rotate, and with them the randomness.
	type EpochChangeTrigger = pallet_babe::SameAuthoritiesForever;
	type DisabledValidators = ();
	type WeightInfo = ();
	type MaxAuthorities = MaxAuthorities;
	type MaxNominators = ConstU32<0>;
	// Equivocation reports need key-ownership proofs from a session pallet; without one they are
	// not accepted (the offence system is `()`).
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = MaxAuthorities;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	// BABE checks the timestamp against the slot.
	type OnTimestampSet = Babe;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	pub const StoragePalletId: frame_support::PalletId = frame_support::PalletId(*b"cairn/st");
	/// One era is ten minutes: rewards accrue and pins are paid per era.
	pub const EraLength: BlockNumber = 10 * MINUTES;
	/// 1 CAIRN per GiB per era at the base price (before redundancy and tier multiplier).
	pub const PricePerBytePerEra: Balance = UNIT / (1 << 30);
	pub const MinOperatorBond: Balance = 100 * UNIT;
	pub const UnbondingPeriod: BlockNumber = HOURS;
	/// An assigned operator has this long to fetch and confirm its piece before it is re-assigned.
	pub const ConfirmWindow: BlockNumber = 5 * MINUTES;
	/// 1 MiB shards: a k = 10, n = 16 segment is 16 MiB in the coder's memory.
	pub const ShardSize: u32 = 1 << 20;
	/// 4 GiB.
	pub const MaxFileSize: u64 = 4 << 30;
	/// An operator has 10 blocks (30 s) to answer a challenge.
	pub const ResponseWindow: BlockNumber = 10;
	/// 5 % of the bond per failed audit.
	pub const SlashFraction: Perbill = Perbill::from_percent(5);
	/// Storj's audit forgetting factor.
	pub const ReputationForgetting: Perbill = Perbill::from_percent(95);
	pub const SuspensionThreshold: Perbill = Perbill::from_percent(90);
	pub const DisqualificationThreshold: Perbill = Perbill::from_percent(80);
}

impl pallet_storage::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	// BABE's VRF output of the epoch before last: fixed before anyone can act on it, and no block
	// author can bias it. Placement is seeded from it.
	type Randomness = pallet_babe::RandomnessFromOneEpochAgo<Runtime>;
	// Audits need a seed nobody knows in advance (an operator that knew its challenges could
	// fetch the data just in time): the parent block's VRF output, unknown until one block
	// before the challenge.
	type AuditRandomness = pallet_babe::ParentBlockRandomness<Runtime>;
	type AuditsPerBlock = ConstU32<4>;
	type ResponseWindow = ResponseWindow;
	type MaxReverifyCount = ConstU32<3>;
	type SlashFraction = SlashFraction;
	type ReputationForgetting = ReputationForgetting;
	type SuspensionThreshold = SuspensionThreshold;
	type DisqualificationThreshold = DisqualificationThreshold;
	type AdminOrigin = frame_system::EnsureRoot<AccountId>;
	type PalletId = StoragePalletId;
	type EraLength = EraLength;
	type PricePerBytePerEra = PricePerBytePerEra;
	type MinOperatorBond = MinOperatorBond;
	type UnbondingPeriod = UnbondingPeriod;
	type VettingAudits = ConstU32<5>;
	type ConfirmWindow = ConfirmWindow;
	type ShardSize = ShardSize;
	type MaxFileSize = MaxFileSize;
	type MaxPinEras = ConstU32<10_000>;
	type MaxOperators = ConstU32<256>;
	type MaxPiecesPerFile = ConstU32<32>;
	type MaxStorageWorkers = ConstU32<16>;
	type MaxCidLen = ConstU32<128>;
	type MaxRegionLen = ConstU32<32>;
	type MaxPeerAddrLen = ConstU32<256>;
	// 20 expiries per block over a 200-block era: every pin of an era expires within it.
	type MaxExpiriesPerEra = ConstU32<4_000>;
	type MaxExpiriesPerBlock = ConstU32<20>;
	type MaxConfirmChecksPerBlock = ConstU32<20>;
	// Three reports in distinct blocks within 100 blocks (5 min) mark an operator offline.
	type OfflineReportThreshold = ConstU32<3>;
	type OfflineReportWindow = ConstU32<100>;
	type MaxRepairQueue = ConstU32<512>;
	type MaxRepairsPerBlock = ConstU32<4>;
	type MaxHealthChecksPerBlock = ConstU32<32>;
	type RepairRetryDelay = ConstU32<20>;
	type WeightInfo = pallet_storage::weights::SubstrateWeight<Runtime>;
}
