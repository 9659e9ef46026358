//! Test runtime: System, Balances and this pallet, with deterministic randomness.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::{self as pallet_storage, *};
use frame::{
	deps::sp_runtime::BuildStorage,
	testing_prelude::*,
	traits::{fungible::InspectHold, Randomness},
};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		CairnStorage: pallet_storage,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

pub const ED: Balance = 10;

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type ExistentialDeposit = ExistentialDeposit;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

parameter_types! {
	pub const StoragePalletId: PalletId = PalletId(*b"cairn/st");
	pub const SlashFraction: Perbill = Perbill::from_percent(10);
	pub const ReputationForgetting: Perbill = Perbill::from_percent(95);
	pub const SuspensionThreshold: Perbill = Perbill::from_percent(90);
	pub const DisqualificationThreshold: Perbill = Perbill::from_percent(80);
	/// Mixed into the test randomness; tests change it to get other placements.
	pub static RandomSeed: u64 = 0;
	pub static VettingAudits: u32 = 0;
	pub static MaxOperators: u32 = 16;
	pub static MaxExpiriesPerEra: u32 = 20;
	pub static PricePerBytePerEra: Balance = 1;
	/// `ED` unless a test raises it.
	pub static ExistentialDeposit: Balance = ED;
	/// No audits unless a test turns them on.
	pub static AuditsPerBlock: u32 = 0;
	/// `None`: the block has no randomness (no audits).
	pub static AuditSeed: Option<u64> = Some(0);
	/// Small enough for tests to fill.
	pub static MaxRepairQueue: u32 = 8;
}

/// Deterministic randomness: a hash of the subject, the block number and `RandomSeed`.
pub struct TestRandomness;
impl Randomness<H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (H256, u64) {
		let block = System::block_number();
		(H256(blake2_256(&(subject, block, RandomSeed::get()).encode())), block)
	}
}

/// Audit randomness: like `TestRandomness`, or none when `AuditSeed` is `None`.
pub struct TestAuditRandomness;
impl Randomness<Option<H256>, u64> for TestAuditRandomness {
	fn random(subject: &[u8]) -> (Option<H256>, u64) {
		let block = System::block_number();
		let seed = AuditSeed::get().map(|s| H256(blake2_256(&(subject, block, s).encode())));
		(seed, block)
	}
}

pub const RESPONSE_WINDOW: u64 = 3;
pub const MAX_REVERIFY: u32 = 3;

pub const ERA_LENGTH: u64 = 10;
pub const CONFIRM_WINDOW: u64 = 5;
pub const MIN_BOND: Balance = 100;
pub const UNBONDING: u64 = 20;
pub const MAX_FILE_SIZE: u64 = 1 << 30;
/// Two 2 KiB leaves per shard: small files still span several segments in tests.
pub const SHARD_SIZE: u32 = 4096;
pub const MAX_PIN_ERAS: EraIndex = 100;
pub const OFFLINE_REPORTS: u32 = 2;
pub const OFFLINE_WINDOW: u64 = 10;
pub const REPAIR_RETRY: u64 = 4;

impl Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Randomness = TestRandomness;
	type AuditRandomness = TestAuditRandomness;
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
	type PricePerBytePerEra = PricePerBytePerEra;
	type MinOperatorBond = ConstU128<MIN_BOND>;
	type UnbondingPeriod = ConstU64<UNBONDING>;
	type VettingAudits = VettingAudits;
	type ConfirmWindow = ConstU64<CONFIRM_WINDOW>;
	type ShardSize = ConstU32<SHARD_SIZE>;
	type MaxFileSize = ConstU64<MAX_FILE_SIZE>;
	type MaxPinEras = ConstU32<MAX_PIN_ERAS>;
	type MaxOperators = MaxOperators;
	type MaxPiecesPerFile = ConstU32<8>;
	type MaxStorageWorkers = ConstU32<4>;
	type MaxCidLen = ConstU32<128>;
	type MaxRegionLen = ConstU32<32>;
	type MaxPeerAddrLen = ConstU32<128>;
	type MaxExpiriesPerEra = MaxExpiriesPerEra;
	type MaxExpiriesPerBlock = ConstU32<2>;
	type MaxConfirmChecksPerBlock = ConstU32<4>;
	type OfflineReportThreshold = ConstU32<OFFLINE_REPORTS>;
	type OfflineReportWindow = ConstU64<OFFLINE_WINDOW>;
	type MaxRepairQueue = MaxRepairQueue;
	type MaxRepairsPerBlock = ConstU32<2>;
	type MaxHealthChecksPerBlock = ConstU32<3>;
	type RepairRetryDelay = ConstU64<REPAIR_RETRY>;
	type WeightInfo = ();
}

/// Operators 1..=12 are funded; 100 and 101 are users; 50 is the storage worker; 99 is poor.
pub const USER: AccountId = 100;
pub const OTHER_USER: AccountId = 101;
pub const WORKER: AccountId = 50;
pub const POOR: AccountId = 99;
pub const OPERATOR_FUNDS: Balance = 10_000;
pub const USER_FUNDS: Balance = 10_000_000;

/// Test tiers: Critical 2-of-4 erasure coding, Standard 3 replicas, Temporary 1 replica.
pub fn test_tiers() -> Vec<(PinTier, TierConfig)> {
	vec![
		(
			PinTier::Critical,
			TierConfig {
				k: 2,
				n: 4,
				m: 3,
				audit_period: 100,
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
				audit_period: 200,
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
				audit_period: 400,
				price_multiplier_percent: 50,
				grace_period: 0,
			},
		),
	]
}

pub struct ExtBuilder {
	balances: Vec<(AccountId, Balance)>,
	tiers: Vec<(PinTier, TierConfig)>,
	workers: Vec<AccountId>,
	vetting_audits: u32,
	max_operators: u32,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		let mut balances: Vec<_> = (1..=12).map(|who| (who, OPERATOR_FUNDS)).collect();
		balances.push((USER, USER_FUNDS));
		balances.push((OTHER_USER, USER_FUNDS));
		balances.push((WORKER, 1_000));
		balances.push((POOR, 50));
		Self {
			balances,
			tiers: test_tiers(),
			workers: vec![WORKER],
			vetting_audits: 0,
			max_operators: 16,
		}
	}
}

impl ExtBuilder {
	pub fn vetting_audits(mut self, audits: u32) -> Self {
		self.vetting_audits = audits;
		self
	}

	pub fn max_operators(mut self, max: u32) -> Self {
		self.max_operators = max;
		self
	}

	pub fn without_tier(mut self, tier: PinTier) -> Self {
		self.tiers.retain(|(t, _)| *t != tier);
		self
	}

	pub fn build(self) -> TestState {
		VettingAudits::set(self.vetting_audits);
		MaxOperators::set(self.max_operators);
		MaxExpiriesPerEra::set(20);
		PricePerBytePerEra::set(1);
		RandomSeed::set(0);
		AuditsPerBlock::set(0);
		AuditSeed::set(Some(0));
		MaxRepairQueue::set(8);
		let mut storage = frame_system::GenesisConfig::<Test>::default()
			.build_storage()
			.expect("system genesis builds");
		pallet_balances::GenesisConfig::<Test> { balances: self.balances, ..Default::default() }
			.assimilate_storage(&mut storage)
			.expect("balances genesis builds");
		pallet_storage::GenesisConfig::<Test> { tiers: self.tiers, storage_workers: self.workers }
			.assimilate_storage(&mut storage)
			.expect("storage genesis builds");
		let mut ext = TestState::new(storage);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Runs `test`, then checks every invariant of the pallet.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			CairnStorage::do_try_state().expect("invariants hold after the test");
		});
	}
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Runs blocks (with hooks) until block `n`.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// Runs blocks until the first block of era `era`.
pub fn run_to_era(era: EraIndex) {
	run_to_block(u64::from(era) * ERA_LENGTH);
}

pub fn bounded<S: Get<u32>>(bytes: &[u8]) -> BoundedVec<u8, S> {
	BoundedVec::try_from(bytes.to_vec()).expect("test value fits its bound")
}

/// Region of operator `who`: each operator in its own region unless set otherwise.
pub fn region_of(who: AccountId) -> RegionOf<Test> {
	bounded(format!("region-{who}").as_bytes())
}

pub fn peer_of(who: AccountId) -> PeerAddrOf<Test> {
	bounded(format!("/ip4/127.0.0.1/tcp/{}", 4000 + who).as_bytes())
}

pub const CAPACITY: u64 = 1 << 20;
/// The file size most tests pin: whole 2 KiB leaves for `k = 1` and `k = 2`, so a piece is
/// exactly `SIZE / k` bytes.
pub const SIZE: u64 = 4096;
/// `SIZE` as a balance: with a price of 1 per byte, one replica's reward per era.
pub const SIZE_B: Balance = SIZE as Balance;

/// Registers operator `who` with the minimum bond, `CAPACITY` bytes, its own region.
pub fn register(who: AccountId) {
	assert_ok!(CairnStorage::register_operator(
		RuntimeOrigin::signed(who),
		MIN_BOND,
		CAPACITY,
		region_of(who),
		peer_of(who),
	));
}

pub fn register_in(who: AccountId, region: &str, capacity: u64) {
	assert_ok!(CairnStorage::register_operator(
		RuntimeOrigin::signed(who),
		MIN_BOND,
		capacity,
		bounded(region.as_bytes()),
		peer_of(who),
	));
}

/// Registers operators `1..=count`.
pub fn register_operators(count: u64) {
	for who in 1..=count {
		register(who);
	}
}

/// A valid binary CIDv1 (raw codec, sha2-256) derived from `seed`.
pub fn cid(seed: u32) -> CidOf<Test> {
	let mut bytes = vec![0x01, 0x55, 0x12, 0x20];
	bytes.extend_from_slice(&blake2_256(&seed.encode()));
	bounded(&bytes)
}

/// A piece CID for piece `index` of file `seed`.
pub fn piece_cid(seed: u32, index: u32) -> CidOf<Test> {
	cid(seed.wrapping_mul(1_000).wrapping_add(index).wrapping_add(1_000_000))
}

pub fn file_id_of(c: &CidOf<Test>) -> FileId {
	FileIds::<Test>::get(c).expect("file is pinned")
}

pub fn file_of(c: &CidOf<Test>) -> FileRecord<Test> {
	Files::<Test>::get(file_id_of(c)).expect("file is pinned")
}

pub fn piece_of(c: &CidOf<Test>, index: PieceIndex) -> PieceRecord<Test> {
	Pieces::<Test>::get(file_id_of(c), index).expect("piece exists")
}

/// The operators of a file's pieces, by index.
pub fn operators_of(c: &CidOf<Test>) -> Vec<AccountId> {
	let id = file_id_of(c);
	(0..file_of(c).n).map(|i| Pieces::<Test>::get(id, i).expect("piece exists").operator).collect()
}

pub fn operator(who: AccountId) -> OperatorRecord<Test> {
	Operators::<Test>::get(who).expect("operator registered")
}

/// Pins `c` (`size` bytes) by `USER`.
pub fn pin(c: &CidOf<Test>, size: u64, tier: PinTier, eras: EraIndex) {
	assert_ok!(CairnStorage::request_pin(RuntimeOrigin::signed(USER), c.clone(), size, tier, eras));
}

/// Reports every piece of `c` (file seed `seed`).
pub fn report_all(c: &CidOf<Test>, seed: u32) {
	let file = file_of(c);
	let reports: Vec<_> = (0..file.n)
		.filter(|i| piece_of(c, *i).content.is_none())
		.map(|index| PieceReport {
			index,
			cid: piece_cid(seed, index),
			size: file.piece_size,
			root: H256::repeat_byte(index as u8),
		})
		.collect();
	assert_ok!(CairnStorage::report_placement(
		RuntimeOrigin::signed(WORKER),
		c.clone(),
		BoundedVec::try_from(reports).expect("at most n reports"),
	));
}

/// Every assigned operator confirms its piece of `c`.
pub fn confirm_all(c: &CidOf<Test>) {
	for (index, who) in operators_of(c).into_iter().enumerate() {
		if !piece_of(c, index as u32).confirmed {
			assert_ok!(CairnStorage::confirm_piece(
				RuntimeOrigin::signed(who),
				c.clone(),
				index as u32
			));
		}
	}
}

/// Pins, reports and confirms `c`: a `Stored` file.
pub fn store(c: &CidOf<Test>, seed: u32, size: u64, tier: PinTier, eras: EraIndex) {
	pin(c, size, tier, eras);
	report_all(c, seed);
	confirm_all(c);
	assert_eq!(file_of(c).state, FileState::Stored);
}

pub fn free_balance(who: AccountId) -> Balance {
	Balances::free_balance(who)
}

pub fn bond_held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::OperatorBond.into(), &who)
}

pub fn escrow() -> Balance {
	CairnStorage::escrow_held()
}

/// Events of this pallet emitted so far.
pub fn storage_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::CairnStorage(e) => Some(e),
			_ => None,
		})
		.collect()
}

/// Whether `event` was emitted.
pub fn emitted(event: Event<Test>) -> bool {
	storage_events().contains(&event)
}

/// Total issuance, to check that nothing is minted or burned.
pub fn issuance() -> Balance {
	pallet_balances::TotalIssuance::<Test>::get()
}
