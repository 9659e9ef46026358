#![cfg_attr(not(feature = "std"), no_std)]
#![doc = include_str!("../README.md")]

extern crate alloc;

pub use pallet::*;

mod accounting;
pub mod audit;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod cid;
mod dispatchable_impls;
// Also in `std` builds, so the runtime's integration tests check the invariants too.
#[cfg(any(feature = "try-runtime", feature = "std", test))]
mod invariants;
#[cfg(test)]
mod mock;
pub mod placement;
mod repair;
#[cfg(test)]
mod tests;
mod tick_impls;
pub mod types;
pub mod weights;

pub use audit::{AuditFailure, Challenge, ChallengeId, Reputation, Standing};
pub use types::*;
pub use weights::WeightInfo;

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::storage";

/// Largest page a paginated view function returns.
pub const MAX_VIEW_PAGE: u32 = 1_000;

// The FRAME macros expand to `expect` calls with proofs (pallet name, error encoding).
#[allow(clippy::expect_used)]
#[frame::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame::{
		prelude::*,
		traits::{fungible, Randomness},
	};

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency of bonds, pin payments and rewards.
		type Currency: fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Source of the randomness that seeds placement (BABE randomness in Cairn).
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// Source of the randomness that picks audit challenges: it must not be known before the
		/// block before the one that uses it (the parent block's BABE VRF output in Cairn).
		/// `None` skips the block's audits.
		type AuditRandomness: Randomness<Option<Self::Hash>, BlockNumberFor<Self>>;

		/// Challenges issued per block (each a draw over all confirmed pieces).
		#[pallet::constant]
		type AuditsPerBlock: Get<u32>;

		/// Blocks an operator has to answer a challenge.
		#[pallet::constant]
		type ResponseWindow: Get<BlockNumberFor<Self>>;

		/// Re-verifications of the same leaf after a missed deadline before it counts as a
		/// failure (containment).
		#[pallet::constant]
		type MaxReverifyCount: Get<u32>;

		/// Part of the bond burnt on a failed audit.
		#[pallet::constant]
		type SlashFraction: Get<Perbill>;

		/// Forgetting factor `lambda` of the reputation (closer to one: longer memory).
		#[pallet::constant]
		type ReputationForgetting: Get<Perbill>;

		/// Reputation score below which an operator gets no new pieces.
		#[pallet::constant]
		type SuspensionThreshold: Get<Perbill>;

		/// Reputation score below which an operator is disqualified for good.
		#[pallet::constant]
		type DisqualificationThreshold: Get<Perbill>;

		/// Origin that sets tier configurations and manages the storage workers (Root in Cairn).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Id of the pallet's escrow account (the "pot").
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// Blocks per era. Pins are bought, and rewards accrue, in whole eras.
		#[pallet::constant]
		type EraLength: Get<BlockNumberFor<Self>>;

		/// Base price of storing one byte of piece data for one era (before the tier multiplier).
		#[pallet::constant]
		type PricePerBytePerEra: Get<BalanceOf<Self>>;

		/// Smallest bond an operator can hold.
		#[pallet::constant]
		type MinOperatorBond: Get<BalanceOf<Self>>;

		/// Blocks between `unregister_operator` and the earliest `withdraw_bond`.
		#[pallet::constant]
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// Audits a new operator must pass before it leaves vetting (0: no vetting).
		#[pallet::constant]
		type VettingAudits: Get<u32>;

		/// Blocks an operator has to confirm a reported piece before it is re-assigned.
		#[pallet::constant]
		type ConfirmWindow: Get<BlockNumberFor<Self>>;

		/// Shard size of the piece layout, in bytes: a multiple of the 2 KiB Merkle leaf, at most
		/// 64 MiB. Files are coded in segments of `k` shards, so the offchain coder holds about
		/// `n x ShardSize` bytes at a time. Pieces are sized by this layout and paid by that size.
		#[pallet::constant]
		type ShardSize: Get<u32>;

		/// Largest file that can be pinned, in bytes.
		#[pallet::constant]
		type MaxFileSize: Get<u64>;

		/// Most eras a pin can be paid in advance (counted from the current era).
		#[pallet::constant]
		type MaxPinEras: Get<EraIndex>;

		/// Most registered operators (including leaving ones).
		#[pallet::constant]
		type MaxOperators: Get<u32>;

		/// Most pieces of one file (the largest `n` a tier may use).
		#[pallet::constant]
		type MaxPiecesPerFile: Get<u32>;

		/// Most storage workers.
		#[pallet::constant]
		type MaxStorageWorkers: Get<u32>;

		/// Longest CID argument, in bytes (text or binary).
		#[pallet::constant]
		type MaxCidLen: Get<u32>;

		/// Longest region tag, in bytes.
		#[pallet::constant]
		type MaxRegionLen: Get<u32>;

		/// Longest IPFS peer address, in bytes.
		#[pallet::constant]
		type MaxPeerAddrLen: Get<u32>;

		/// Most expiry events (pins ending or leaving their grace period) scheduled in one era.
		#[pallet::constant]
		type MaxExpiriesPerEra: Get<u32>;

		/// Most expiry events processed in one block. `MaxExpiriesPerBlock x EraLength` must cover
		/// `MaxExpiriesPerEra`, so every pin ends within the era it was paid up to.
		#[pallet::constant]
		type MaxExpiriesPerBlock: Get<u32>;

		/// Most confirmation deadlines checked (and pieces re-assigned) in one block.
		#[pallet::constant]
		type MaxConfirmChecksPerBlock: Get<u32>;

		/// `report_operator_offline` reports (in distinct blocks, within `OfflineReportWindow`)
		/// that mark an operator offline.
		#[pallet::constant]
		type OfflineReportThreshold: Get<u32>;

		/// Blocks within which `OfflineReportThreshold` reports must fall.
		#[pallet::constant]
		type OfflineReportWindow: Get<BlockNumberFor<Self>>;

		/// Most files in the repair queue.
		#[pallet::constant]
		type MaxRepairQueue: Get<u32>;

		/// Most repair-queue entries processed (replacement operators assigned) in one block.
		#[pallet::constant]
		type MaxRepairsPerBlock: Get<u32>;

		/// Most pieces of unavailable operators checked for their file's health in one block.
		#[pallet::constant]
		type MaxHealthChecksPerBlock: Get<u32>;

		/// Blocks before a repair that found no replacement operator is tried again.
		#[pallet::constant]
		type RepairRetryDelay: Get<BlockNumberFor<Self>>;

		/// Weights of calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// Reasons the pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// An operator's bond.
		#[codec(index = 0)]
		OperatorBond,
		/// Pin payments held in the pallet's pot until paid out as rewards or refunded.
		#[codec(index = 1)]
		PinEscrow,
	}

	/// Redundancy and price parameters of each tier.
	#[pallet::storage]
	pub type TierConfigs<T: Config> = StorageMap<_, Twox64Concat, PinTier, TierConfig, OptionQuery>;

	/// Accounts allowed to call `report_placement`.
	#[pallet::storage]
	pub type StorageWorkers<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxStorageWorkers>, ValueQuery>;

	/// Registered operators.
	#[pallet::storage]
	pub type Operators<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, OperatorRecord<T>, OptionQuery>;

	/// Number of entries in `Operators`.
	#[pallet::storage]
	pub type OperatorCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Operators that may receive new pieces (vetting or active, not leaving).
	#[pallet::storage]
	pub type EligibleOperators<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxOperators>, ValueQuery>;

	/// The pieces assigned to each operator: `operator -> (file, index) -> ()`.
	#[pallet::storage]
	pub type OperatorPieces<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		(FileId, PieceIndex),
		(),
		OptionQuery,
	>;

	/// The id the next new pin gets.
	#[pallet::storage]
	pub type NextFileId<T: Config> = StorageValue<_, FileId, ValueQuery>;

	/// Canonical CID -> file id of every pinned file.
	#[pallet::storage]
	pub type FileIds<T: Config> = StorageMap<_, Blake2_128Concat, CidOf<T>, FileId, OptionQuery>;

	/// Pinned files.
	#[pallet::storage]
	pub type Files<T: Config> = StorageMap<_, Twox64Concat, FileId, FileRecord<T>, OptionQuery>;

	/// Pieces of each file: `file -> index -> piece`.
	#[pallet::storage]
	pub type Pieces<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		FileId,
		Twox64Concat,
		PieceIndex,
		PieceRecord<T>,
		OptionQuery,
	>;

	/// Files with pieces the storage worker has not reported yet (and not expired).
	#[pallet::storage]
	pub type AwaitingPlacement<T: Config> = StorageMap<_, Twox64Concat, FileId, (), OptionQuery>;

	/// Expiry events by era: `era -> file -> ()`. A pin has an entry at `expires_at` (its paid
	/// eras end) and, with a grace period, one at `expires_at + grace_period` (it is removed).
	#[pallet::storage]
	pub type ExpiryQueue<T: Config> =
		StorageDoubleMap<_, Twox64Concat, EraIndex, Twox64Concat, FileId, (), OptionQuery>;

	/// Number of entries of each era in `ExpiryQueue` (at most `MaxExpiriesPerEra`).
	#[pallet::storage]
	pub type ExpiryQueueLen<T: Config> = StorageMap<_, Twox64Concat, EraIndex, u32, ValueQuery>;

	/// Confirmation deadlines, first in first out (deadlines only grow): `position -> check`.
	#[pallet::storage]
	pub type ConfirmQueue<T: Config> =
		StorageMap<_, Twox64Concat, u64, ConfirmCheck<BlockNumberFor<T>>, OptionQuery>;

	/// `(head, tail)` of `ConfirmQueue`: entries live at positions `head..tail`.
	#[pallet::storage]
	pub type ConfirmQueueBounds<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

	/// Dense index of confirmed pieces for O(1) uniform sampling: `slot -> (file, index)`.
	#[pallet::storage]
	pub type AuditSlots<T: Config> =
		StorageMap<_, Twox64Concat, u32, (FileId, PieceIndex), OptionQuery>;

	/// Number of entries in `AuditSlots` (= confirmed pieces).
	#[pallet::storage]
	pub type AuditSlotCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Reverse of `AuditSlots`: `(file, index) -> slot`.
	#[pallet::storage]
	pub type AuditSlotOf<T: Config> =
		StorageDoubleMap<_, Twox64Concat, FileId, Twox64Concat, PieceIndex, u32, OptionQuery>;

	/// Block of the last challenge of each confirmed piece (tier audit periods).
	#[pallet::storage]
	pub type LastAudit<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		FileId,
		Twox64Concat,
		PieceIndex,
		BlockNumberFor<T>,
		OptionQuery,
	>;

	/// Outstanding challenges.
	#[pallet::storage]
	pub type Challenges<T: Config> = StorageMap<
		_,
		Twox64Concat,
		ChallengeId,
		Challenge<T::AccountId, BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// The outstanding challenge of a piece (at most one).
	#[pallet::storage]
	pub type PieceChallenge<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		FileId,
		Twox64Concat,
		PieceIndex,
		ChallengeId,
		OptionQuery,
	>;

	/// The id the next challenge gets.
	#[pallet::storage]
	pub type NextChallengeId<T: Config> = StorageValue<_, ChallengeId, ValueQuery>;

	/// Challenge deadlines, first in first out (deadlines only grow): `position -> (deadline,
	/// challenge)`.
	#[pallet::storage]
	pub type ChallengeQueue<T: Config> =
		StorageMap<_, Twox64Concat, u64, (BlockNumberFor<T>, ChallengeId), OptionQuery>;

	/// `(head, tail)` of `ChallengeQueue`.
	#[pallet::storage]
	pub type ChallengeQueueBounds<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

	/// Audit records of operators (kept after they leave, so a disqualification sticks).
	#[pallet::storage]
	pub type Reputations<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Reputation, OptionQuery>;

	/// Files waiting for repair, lowest health first.
	#[pallet::storage]
	pub type RepairQueue<T: Config> =
		StorageValue<_, BoundedVec<RepairEntry<BlockNumberFor<T>>, T::MaxRepairQueue>, ValueQuery>;

	/// Files with pieces moved by repair that the storage worker has not rebuilt yet (and not
	/// expired).
	#[pallet::storage]
	pub type AwaitingRepair<T: Config> = StorageMap<_, Twox64Concat, FileId, (), OptionQuery>;

	/// Operators that became unavailable (offline, leaving, disqualified) whose pieces are
	/// still to be checked for their files' health, first in first out.
	#[pallet::storage]
	pub type HealthSweeps<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxOperators>, ValueQuery>;

	/// Raw storage key of the last `OperatorPieces` entry of the first of `HealthSweeps`
	/// checked so far.
	#[pallet::storage]
	pub type HealthSweepCursor<T: Config> =
		StorageValue<_, BoundedVec<u8, ConstU32<256>>, OptionQuery>;

	/// Recent offline reports per operator.
	#[pallet::storage]
	pub type OfflineReportsOf<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		OfflineReports<BlockNumberFor<T>>,
		OptionQuery,
	>;

	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// Tier configurations.
		pub tiers: Vec<(PinTier, TierConfig)>,
		/// Initial storage workers.
		pub storage_workers: Vec<T::AccountId>,
	}

	impl<T: Config> Default for GenesisConfig<T> {
		fn default() -> Self {
			Self { tiers: default_tiers(), storage_workers: Vec::new() }
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (tier, config) in &self.tiers {
				assert!(
					config.is_valid(T::MaxPiecesPerFile::get()),
					"invalid genesis configuration of tier {tier:?}: {config:?}"
				);
				TierConfigs::<T>::insert(tier, config);
			}
			let Ok(workers) = BoundedVec::try_from(self.storage_workers.clone()) else {
				panic!("more genesis storage workers than MaxStorageWorkers");
			};
			StorageWorkers::<T>::put(workers);
			Pallet::<T>::ensure_pot_exists();
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An operator registered and its bond was held.
		OperatorRegistered {
			who: T::AccountId,
			bond: BalanceOf<T>,
			capacity: u64,
			region: RegionOf<T>,
			vetting: bool,
		},
		/// An operator changed its bond, capacity, region or peer address.
		OperatorUpdated {
			who: T::AccountId,
			bond: BalanceOf<T>,
			capacity: u64,
			region: RegionOf<T>,
		},
		/// An operator started leaving: it gets no new pieces.
		OperatorUnregistered { who: T::AccountId, unbonding_ends: BlockNumberFor<T> },
		/// A leaving operator's bond was released (and its last rewards paid); it is gone.
		BondWithdrawn { who: T::AccountId, bond: BalanceOf<T>, rewards: BalanceOf<T> },
		/// An operator was paid its accrued rewards.
		RewardsClaimed { who: T::AccountId, amount: BalanceOf<T> },
		/// A tier's configuration was set (applies to pins created or re-tiered afterwards).
		TierConfigSet { tier: PinTier, config: TierConfig },
		/// An account was allowed to report placements.
		StorageWorkerAdded { who: T::AccountId },
		/// An account was no longer allowed to report placements.
		StorageWorkerRemoved { who: T::AccountId },
		/// A new pin was paid for and its pieces assigned.
		PinRequested {
			cid: CidOf<T>,
			file_id: FileId,
			who: T::AccountId,
			size: u64,
			tier: PinTier,
			eras: EraIndex,
			expires_at: EraIndex,
			cost: BalanceOf<T>,
		},
		/// Pieces of a file were assigned to operators: each operator should fetch its piece once
		/// reported and call `confirm_piece`.
		PiecesAssigned { cid: CidOf<T>, operators: AssignmentsOf<T> },
		/// Pieces of a file were released: each operator may unpin its piece.
		PiecesReleased { cid: CidOf<T>, operators: AssignmentsOf<T> },
		/// A pin was paid for more eras (by its owner or anyone else).
		PinRenewed {
			cid: CidOf<T>,
			who: T::AccountId,
			eras: EraIndex,
			expires_at: EraIndex,
			cost: BalanceOf<T>,
		},
		/// A pin moved to another tier; the remaining eras were re-priced.
		TierChanged {
			cid: CidOf<T>,
			from: PinTier,
			to: PinTier,
			charged: BalanceOf<T>,
			refunded: BalanceOf<T>,
		},
		/// The storage worker reported the content of pieces.
		PlacementReported { cid: CidOf<T>, worker: T::AccountId, indices: IndicesOf<T> },
		/// An operator confirmed it stores a piece; the piece earns rewards from now on.
		PieceConfirmed { cid: CidOf<T>, index: PieceIndex, operator: T::AccountId },
		/// A piece not confirmed in time was moved to another operator.
		PieceReassigned { cid: CidOf<T>, index: PieceIndex, from: T::AccountId, to: T::AccountId },
		/// A piece was not confirmed in time and no other operator could take it; its operator
		/// got another confirmation window.
		ReassignmentFailed { cid: CidOf<T>, index: PieceIndex, operator: T::AccountId },
		/// A file changed state.
		FileStateChanged { cid: CidOf<T>, from: FileState, to: FileState },
		/// A storage worker could not reach an operator; `reports` within the window so far.
		OperatorReportedOffline { who: T::AccountId, reporter: T::AccountId, reports: u32 },
		/// Enough reports: the operator is offline. It gets no new pieces and its pieces do not
		/// count towards file health (no slashing: only audits slash) until it passes an audit.
		OperatorMarkedOffline { who: T::AccountId, reports: u32 },
		/// An offline operator passed an audit, or declared itself reachable again.
		OperatorBackOnline { who: T::AccountId },
		/// Pieces of a file were moved to replacement operators: the storage worker rebuilds them
		/// and calls `report_repair`, then each new operator confirms its piece.
		RepairScheduled { cid: CidOf<T>, indices: IndicesOf<T>, operators: OperatorsOf<T> },
		/// No replacement operator could be found for `missing` pieces of a file; the repair is
		/// retried after `RepairRetryDelay` blocks.
		RepairDeferred { cid: CidOf<T>, healthy: u32, missing: u32 },
		/// The storage worker rebuilt pieces moved by repair and gave them to their operators.
		RepairReported { cid: CidOf<T>, worker: T::AccountId, indices: IndicesOf<T> },
		/// Every piece moved by repair is confirmed: the file is fully stored again.
		FileRepaired { cid: CidOf<T> },
		/// Fewer than `k` pieces of a file are healthy: it cannot be rebuilt. The pin is removed
		/// and its unused payment refunded (`PinRemoved { reason: Lost }`).
		FileLost { cid: CidOf<T>, healthy: u32, k: u32 },
		/// A pin's paid eras ended: its operators stop earning and the unspent escrow was refunded
		/// to the owner. It can still be renewed until era `removal_at`.
		PinExpired { cid: CidOf<T>, refund: BalanceOf<T>, removal_at: EraIndex },
		/// A pin was removed; `refund` went back to its owner.
		PinRemoved { cid: CidOf<T>, reason: RemovalReason, refund: BalanceOf<T> },
		/// A confirmed piece was challenged: its operator must submit leaf `leaf_index` and its
		/// Merkle path by block `deadline`. `attempt > 0` re-verifies a contained piece.
		ChallengeIssued {
			challenge: ChallengeId,
			cid: CidOf<T>,
			index: PieceIndex,
			operator: T::AccountId,
			leaf_index: u32,
			deadline: BlockNumberFor<T>,
			attempt: u32,
		},
		/// A challenge was answered with a correct proof.
		AuditPassed {
			challenge: ChallengeId,
			cid: CidOf<T>,
			index: PieceIndex,
			operator: T::AccountId,
			leaf_index: u32,
			score: Perbill,
		},
		/// A challenge failed: `slashed` was burnt from the bond and `forfeited` reward went back
		/// to the pin's escrow.
		AuditFailed {
			challenge: ChallengeId,
			cid: CidOf<T>,
			index: PieceIndex,
			operator: T::AccountId,
			leaf_index: u32,
			reason: AuditFailure,
			slashed: BalanceOf<T>,
			forfeited: BalanceOf<T>,
			score: Perbill,
		},
		/// A challenge's deadline passed unanswered: the same leaf is challenged again
		/// (re-verification `attempt`), without penalty yet.
		OperatorContained {
			challenge: ChallengeId,
			cid: CidOf<T>,
			index: PieceIndex,
			operator: T::AccountId,
			leaf_index: u32,
			attempt: u32,
		},
		/// An operator passed `VettingAudits` audits and may now hold any piece.
		OperatorVetted { who: T::AccountId },
		/// An operator's reputation fell below `SuspensionThreshold`: no new pieces.
		OperatorSuspended { who: T::AccountId, score: Perbill },
		/// A suspended operator's reputation recovered: it gets new pieces again.
		OperatorReinstated { who: T::AccountId, score: Perbill },
		/// An operator's reputation fell below `DisqualificationThreshold`: it never gets new
		/// pieces again.
		OperatorDisqualified { who: T::AccountId, score: Perbill },
		/// A storage worker could not place a pin; it is removed and its payment refunded.
		PinFailed { cid: CidOf<T>, worker: T::AccountId, reason: PinFailure },
		/// A refund could not be paid (the owner's account cannot receive it, e.g. a dust amount
		/// to a reaped account); the amount stays in the pot, outside the escrow.
		RefundFailed { who: T::AccountId, amount: BalanceOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The CID is not a well-formed CIDv0/CIDv1 (binary, `Qm...` base58, or multibase `b`,
		/// `z`, `f` text), or uses the identity hash. Pass the CID exactly as IPFS prints it.
		InvalidCid,
		/// The size is zero or above `MaxFileSize`. Pass the file's size in bytes.
		InvalidFileSize,
		/// `eras` is zero, or the pin would then be paid more than `MaxPinEras` eras ahead.
		InvalidEras,
		/// The tier has no configuration. Ask the admin to `set_tier_config` it.
		TierNotConfigured,
		/// The tier configuration breaks `1 <= k <= m < n <= MaxPiecesPerFile` (or, without
		/// redundancy, `k == m == n`), or has a zero audit period or price multiplier.
		InvalidTierConfig,
		/// Fewer eligible operators (active or vetting, not leaving, with free capacity for one
		/// piece, respecting the one-vetting-piece rule) than pieces to place. Nothing was
		/// charged. Use a tier with a smaller `n` or wait for more operators.
		NotEnoughOperators,
		/// The account cannot pay the bond or price while staying alive. Check the price with
		/// the `pin_price` view function.
		InsufficientBalance,
		/// Too many pins already end (or leave grace) in the era this pin would. Pick another
		/// number of eras.
		ExpiryQueueFull,
		/// The price computation overflows. Pin a smaller file or fewer eras.
		PriceOverflow,
		/// No pin with this CID.
		PinNotFound,
		/// Only the pin's owner (the account that created it) can do this.
		NotPinOwner,
		/// The CID is already pinned with another size: a CID has exactly one size.
		SizeMismatch,
		/// The CID is already pinned in another tier. Renew it, or have its owner `change_tier`.
		TierMismatch,
		/// The CID is already pinned with another wrapped key (or none): funding a pin cannot
		/// replace its owner's key.
		WrappedKeyMismatch,
		/// The pin is already in this tier.
		SameTier,
		/// Another account has paid towards this pin, so its owner can no longer unpin it or
		/// change its tier; it runs until it expires.
		CoFundedPin,
		/// The pin has expired (it is in its grace period). Renew it first.
		PinExpired,
		/// The account is already a registered operator.
		AlreadyRegistered,
		/// The account is not a registered operator.
		NotRegistered,
		/// `MaxOperators` operators are registered.
		TooManyOperators,
		/// The bond is below `MinOperatorBond`.
		BondTooLow,
		/// Capacity must be above zero and at least the bytes already assigned.
		InvalidCapacity,
		/// The region tag is empty.
		InvalidRegion,
		/// The IPFS peer address is empty.
		InvalidPeerAddress,
		/// The operator is leaving: it can only withdraw its bond (and claim rewards).
		OperatorLeaving,
		/// Only a leaving operator can withdraw its bond. Call `unregister_operator` first.
		NotLeaving,
		/// `UnbondingPeriod` has not passed since `unregister_operator`.
		UnbondingNotFinished,
		/// The operator still holds pieces; they move to other operators by repair first.
		PiecesStillAssigned,
		/// There are no rewards to claim.
		NoRewards,
		/// The caller is not a storage worker.
		NotStorageWorker,
		/// The account is already a storage worker.
		AlreadyStorageWorker,
		/// `MaxStorageWorkers` storage workers exist.
		TooManyStorageWorkers,
		/// A piece index is not below the file's `n`.
		InvalidPieceIndex,
		/// The report names a piece index twice.
		DuplicatePieceIndex,
		/// The report is empty.
		EmptyReport,
		/// A piece was already reported.
		PieceAlreadyReported,
		/// A reported piece size is not the size the piece layout gives this file.
		InvalidPieceSize,
		/// The caller is not the operator assigned to this piece.
		NotAssignedOperator,
		/// The piece's content has not been reported yet; fetch it after `PlacementReported`.
		PieceNotReported,
		/// The piece is already confirmed.
		PieceAlreadyConfirmed,
		/// Pieces of the pin were already reported, so the worker did read its content; a pin
		/// can only be failed before any placement report.
		AlreadyPlaced,
		/// No outstanding challenge with this id (never issued, already answered, or expired).
		UnknownChallenge,
		/// The challenge is addressed to another operator.
		NotChallengedOperator,
		/// The account was disqualified by the audits and cannot operate again.
		Disqualified,
		/// The operator is already marked offline.
		AlreadyOffline,
		/// This operator was already reported offline in this block.
		AlreadyReportedThisBlock,
		/// The operator is not marked offline.
		NotOffline,
		/// `declare_online` less than `OfflineReportWindow` blocks after being marked offline.
		OfflineTooRecently,
		/// A piece is not waiting to be rebuilt by repair.
		NotAwaitingRepair,
		/// A repaired piece's content id, size or root is not the one recorded for it: the
		/// rebuilt bytes differ from the original piece.
		RepairMismatch,
		/// `change_tier` to a tier with another `k` would re-encode the file and leave it
		/// without pieces until the new ones are placed. Pick a tier with the same `k`, or let
		/// the pin expire and pin the file again.
		LayoutChange,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::do_on_initialize(now)
		}

		fn integrity_test() {
			Self::do_integrity_test();
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(
			_now: BlockNumberFor<T>,
		) -> Result<(), frame::deps::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Register the caller as a storage operator, holding `bond` (at least
		/// `MinOperatorBond`) from its balance.
		///
		/// `capacity_bytes` is the space offered, `region` a failure-domain tag (operators in the
		/// same region are assumed to fail together) and `ipfs_peer` the IPFS multiaddr storage
		/// workers push pieces to. The operator starts vetting unless `VettingAudits` is zero.
		#[pallet::call_index(0)]
		pub fn register_operator(
			origin: OriginFor<T>,
			bond: BalanceOf<T>,
			capacity_bytes: u64,
			region: RegionOf<T>,
			ipfs_peer: PeerAddrOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_operator(who, bond, capacity_bytes, region, ipfs_peer)
		}

		/// Change the caller's bond, capacity, region or peer address (`None` keeps a value).
		#[pallet::call_index(1)]
		pub fn update_operator(
			origin: OriginFor<T>,
			bond: Option<BalanceOf<T>>,
			capacity_bytes: Option<u64>,
			region: Option<RegionOf<T>>,
			ipfs_peer: Option<PeerAddrOf<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_operator(who, bond, capacity_bytes, region, ipfs_peer)
		}

		/// Start leaving: the caller gets no new pieces, its pieces are handed to other operators
		/// by repair, and its bond can be withdrawn after `UnbondingPeriod` once it holds none.
		#[pallet::call_index(2)]
		pub fn unregister_operator(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unregister_operator(who)
		}

		/// Release a leaving operator's bond, pay its remaining rewards and remove it.
		#[pallet::call_index(3)]
		pub fn withdraw_bond(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_bond(who)
		}

		/// Pay the caller the rewards its confirmed pieces have earned in completed eras.
		///
		/// Costs the same whatever the number of pieces the operator holds.
		#[pallet::call_index(4)]
		pub fn claim_rewards(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim_rewards(who)
		}

		/// Set a tier's redundancy and price parameters (admin only). Existing pins keep the
		/// parameters they were created with until their tier is changed.
		#[pallet::call_index(5)]
		pub fn set_tier_config(
			origin: OriginFor<T>,
			tier: PinTier,
			config: TierConfig,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_tier_config(tier, config)
		}

		/// Allow `who` to report placements (admin only).
		#[pallet::call_index(6)]
		pub fn add_storage_worker(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_add_storage_worker(who)
		}

		/// Disallow `who` from reporting placements (admin only).
		#[pallet::call_index(7)]
		pub fn remove_storage_worker(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_remove_storage_worker(who)
		}

		/// Pin the file `cid` of `size_bytes` bytes in `tier` for `eras` eras, starting with the
		/// current one.
		///
		/// Charges `n x piece_size x PricePerBytePerEra x multiplier / 100 x eras` (`piece_size`:
		/// `ceil(size / k)` rounded up to whole 2 KiB leaves, the shared layout) into the
		/// pallet's escrow and assigns the `n` pieces to operators chosen on-chain.
		///
		/// If the CID is already pinned, nothing is stored twice: the call pays for `eras` more
		/// eras of the existing pin (same as `renew_pin`); `size_bytes` and `tier` must then match
		/// the existing pin.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::request_pin(T::MaxOperators::get()))]
		pub fn request_pin(
			origin: OriginFor<T>,
			cid: CidOf<T>,
			size_bytes: u64,
			tier: PinTier,
			eras: EraIndex,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_request_pin(who, cid, size_bytes, tier, eras, None)
		}

		/// Pin a file its owner encrypted before adding it to IPFS: as `request_pin`, and the
		/// pin record keeps `wrapped_key`, the file's key wrapped with a key only the owner can
		/// derive from their account secret, so that they can decrypt the file from any machine
		/// with nothing but that secret. The chain never sees the key itself; `cid` and
		/// `size_bytes` are those of the ciphertext.
		///
		/// If the CID is already pinned, this funds it as `request_pin` does; `wrapped_key` must
		/// then be the one the pin already has (`WrappedKeyMismatch`).
		#[pallet::call_index(19)]
		#[pallet::weight(T::WeightInfo::request_encrypted_pin(T::MaxOperators::get()))]
		pub fn request_encrypted_pin(
			origin: OriginFor<T>,
			cid: CidOf<T>,
			size_bytes: u64,
			tier: PinTier,
			eras: EraIndex,
			wrapped_key: WrappedKey,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_request_pin(who, cid, size_bytes, tier, eras, Some(wrapped_key))
		}

		/// Pay for `eras` more eras of the pin `cid`. Anyone can; an account other than the
		/// owner makes the pin co-funded (see `unpin`). An expired pin still in its grace period
		/// is revived from the current era.
		#[pallet::call_index(9)]
		pub fn renew_pin(origin: OriginFor<T>, cid: CidOf<T>, eras: EraIndex) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_renew_pin(who, cid, eras)
		}

		/// Move the pin `cid` to `tier` (owner only). The remaining eras are re-priced (the
		/// difference charged or refunded). Pieces below the new `n` stay where they are and only
		/// the difference is placed or released, so the new tier must have the same `k`.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::change_tier(T::MaxOperators::get()))]
		pub fn change_tier(origin: OriginFor<T>, cid: CidOf<T>, tier: PinTier) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_change_tier(who, cid, tier)
		}

		/// Remove the pin `cid` now (owner only, not co-funded). Operators are paid for the
		/// current era; the unused whole eras (and any share no operator earned) are refunded.
		#[pallet::call_index(11)]
		pub fn unpin(origin: OriginFor<T>, cid: CidOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unpin(who, cid)
		}

		/// Report the content id, size and Merkle root of pieces of `cid` (storage workers only).
		/// Each piece's operator then has `ConfirmWindow` blocks to confirm it.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::report_placement(pieces.len() as u32))]
		pub fn report_placement(
			origin: OriginFor<T>,
			cid: CidOf<T>,
			pieces: PieceReportsOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_report_placement(who, cid, pieces)
		}

		/// Report that the pin `cid` cannot be placed (storage workers only): its content is not
		/// available, or its size is not the declared one. The pin is removed and its whole
		/// payment refunded to the owner. Only before any piece of it was reported.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::report_pin_failed(T::MaxPiecesPerFile::get()))]
		pub fn report_pin_failed(
			origin: OriginFor<T>,
			cid: CidOf<T>,
			reason: PinFailure,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_report_pin_failed(who, cid, reason)
		}

		/// Answer challenge `challenge` (assigned operator only) with the challenged leaf's bytes
		/// and its Merkle path. A correct proof passes; a wrong one (bytes, path, another piece's
		/// or challenge's proof) fails at once: part of the bond is slashed (see `AuditFailed`).
		/// A passing proof is charged only its own (lower) weight.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::submit_proof().max(T::WeightInfo::submit_proof_invalid()))]
		pub fn submit_proof(
			origin: OriginFor<T>,
			challenge: ChallengeId,
			leaf: audit::LeafOf,
			proof: cairn_storage_primitives::MerkleProof,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::do_submit_proof(who, challenge, leaf, proof)
		}

		/// Report that operator `operator` cannot be reached (storage workers only). After
		/// `OfflineReportThreshold` reports in distinct blocks within `OfflineReportWindow`, the
		/// operator is marked offline: no new pieces, and its pieces stop counting towards file
		/// health (files may be repaired away from it). No slashing; passing an audit ends it.
		#[pallet::call_index(16)]
		pub fn report_operator_offline(
			origin: OriginFor<T>,
			operator: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_report_operator_offline(who, operator)
		}

		/// Report that pieces of `cid` moved by repair were rebuilt and given to their new
		/// operators (storage workers only). Each report must match the piece's recorded content
		/// id, size and root; each operator then has `ConfirmWindow` blocks to confirm.
		#[pallet::call_index(17)]
		#[pallet::weight(T::WeightInfo::report_repair(pieces.len() as u32))]
		pub fn report_repair(
			origin: OriginFor<T>,
			cid: CidOf<T>,
			pieces: PieceReportsOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_report_repair(who, cid, pieces)
		}

		/// Declare that the caller, an operator marked offline, is reachable again: it gets new
		/// pieces again and its pieces count towards health. Allowed `OfflineReportWindow`
		/// blocks after it was marked (storage workers report it again if it is still
		/// unreachable). Passing an audit does the same at once; this is the way back for an
		/// operator whose pieces were all repaired away, which is audited no more.
		#[pallet::call_index(18)]
		pub fn declare_online(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_declare_online(who)
		}

		/// Confirm that the caller stores piece `index` of `cid`. From the current era on, the
		/// piece earns its reward every era.
		#[pallet::call_index(13)]
		pub fn confirm_piece(
			origin: OriginFor<T>,
			cid: CidOf<T>,
			index: PieceIndex,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_confirm_piece(who, cid, index)
		}
	}

	#[pallet::view_functions]
	impl<T: Config> Pallet<T> {
		/// A file's record and pieces, by CID (any accepted spelling).
		pub fn file(cid: CidOf<T>) -> Option<FileInfo<T>> {
			let file_id = Self::lookup_cid(&cid).ok()?;
			let record = Files::<T>::get(file_id)?;
			let mut pieces = Pieces::<T>::iter_prefix(file_id).collect::<Vec<_>>();
			pieces.sort_by_key(|(index, _)| *index);
			Some(FileInfo { file_id, record, pieces })
		}

		/// An operator's record and claimable rewards.
		pub fn operator(who: T::AccountId) -> Option<OperatorInfo<T>> {
			let record = Operators::<T>::get(&who)?;
			let claimable = Self::claimable(&record);
			Some(OperatorInfo { record, claimable })
		}

		/// What `claim_rewards` would pay `who` now.
		pub fn claimable_rewards(who: T::AccountId) -> BalanceOf<T> {
			Operators::<T>::get(&who).map(|r| Self::claimable(&r)).unwrap_or_default()
		}

		/// The pieces assigned to `who`, `limit` (at most `MAX_VIEW_PAGE`) from position `start`.
		pub fn operator_pieces(who: T::AccountId, start: u32, limit: u32) -> Vec<PieceRef<T>> {
			OperatorPieces::<T>::iter_key_prefix(&who)
				.skip(start as usize)
				.take(limit.min(MAX_VIEW_PAGE) as usize)
				.filter_map(|(file, index)| {
					let cid = Files::<T>::get(file)?.cid;
					Some(PieceRef { cid, index, operator: who.clone() })
				})
				.collect()
		}

		/// CIDs of files with pieces the storage worker still has to report, `limit` (at most
		/// `MAX_VIEW_PAGE`) from position `start`.
		pub fn files_awaiting_placement(start: u32, limit: u32) -> Vec<CidOf<T>> {
			AwaitingPlacement::<T>::iter_keys()
				.skip(start as usize)
				.take(limit.min(MAX_VIEW_PAGE) as usize)
				.filter_map(|file| Files::<T>::get(file).map(|f| f.cid))
				.collect()
		}

		/// CIDs of files with pieces moved by repair that the storage worker has to rebuild,
		/// `limit` (at most `MAX_VIEW_PAGE`) from position `start`.
		pub fn files_awaiting_repair(start: u32, limit: u32) -> Vec<CidOf<T>> {
			AwaitingRepair::<T>::iter_keys()
				.skip(start as usize)
				.take(limit.min(MAX_VIEW_PAGE) as usize)
				.filter_map(|file| Files::<T>::get(file).map(|f| f.cid))
				.collect()
		}

		/// The repair queue, lowest health first: `(cid, healthy pieces, not before block)`.
		pub fn repair_queue() -> Vec<(CidOf<T>, u32, BlockNumberFor<T>)> {
			RepairQueue::<T>::get()
				.into_iter()
				.filter_map(|e| Some((Files::<T>::get(e.file)?.cid, e.healthy, e.not_before)))
				.collect()
		}

		/// What `request_pin(_, size_bytes, tier, eras)` costs for a new CID now, or `None` if
		/// the tier is not configured or the price overflows.
		pub fn pin_price(size_bytes: u64, tier: PinTier, eras: EraIndex) -> Option<BalanceOf<T>> {
			let config = TierConfigs::<T>::get(tier)?;
			let piece_size = Self::piece_size_of(&config, size_bytes).ok()?;
			let reward = Self::piece_reward(&config, piece_size).ok()?;
			reward.checked_mul(&BalanceOf::<T>::from(config.n))?.checked_mul(&eras.into())
		}
	}
}

/// The default tiers: the seed design's 5 / 3 / 1 replicas (`k = 1`).
pub fn default_tiers() -> alloc::vec::Vec<(PinTier, TierConfig)> {
	alloc::vec![
		(
			PinTier::Critical,
			TierConfig {
				k: 1,
				n: 5,
				m: 3,
				audit_period: 600,
				price_multiplier_percent: 200,
				grace_period: 7,
			}
		),
		(
			PinTier::Standard,
			TierConfig {
				k: 1,
				n: 3,
				m: 2,
				audit_period: 1_200,
				price_multiplier_percent: 100,
				grace_period: 3,
			}
		),
		(
			PinTier::Temporary,
			TierConfig {
				k: 1,
				n: 1,
				m: 1,
				audit_period: 2_400,
				price_multiplier_percent: 50,
				grace_period: 0,
			}
		),
	]
}
