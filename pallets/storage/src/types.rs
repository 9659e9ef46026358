//! Types stored by the pallet, taken by its calls and returned by its view functions.

use crate::Config;
use alloc::vec::Vec;
use frame::prelude::*;

/// Index of an era: `block_number / EraLength`. Pins are bought and rewards accrue in whole eras.
pub type EraIndex = u32;
/// Internal, never reused, identifier of a pinned file. Calls address files by CID; storage is
/// keyed by this compact id.
pub type FileId = u64;
/// Index of a piece within a file, `0..n`.
pub type PieceIndex = u32;

/// The balance type of the configured currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// A CID as bytes (any accepted spelling in calls, canonical binary CIDv1 in storage and events).
pub type CidOf<T> = BoundedVec<u8, <T as Config>::MaxCidLen>;
/// An operator's failure-domain tag, e.g. `b"eu-west-1"`.
pub type RegionOf<T> = BoundedVec<u8, <T as Config>::MaxRegionLen>;
/// An operator's IPFS peer address (a multiaddr as text, e.g. `/ip4/1.2.3.4/tcp/4001/p2p/12D3...`).
pub type PeerAddrOf<T> = BoundedVec<u8, <T as Config>::MaxPeerAddrLen>;
/// Longest wrapped file key a pin may carry.
pub const MAX_WRAPPED_KEY_LEN: u32 = 128;
/// The key of an encrypted file, wrapped (encrypted) with a key only the owner can derive from
/// their account secret. Opaque to the chain; the format (`cairn-crypt`, offchain/crypt/README.md)
/// starts with a version byte so clients can tell formats apart.
pub type WrappedKey = BoundedVec<u8, ConstU32<MAX_WRAPPED_KEY_LEN>>;
/// `(piece index, operator)` pairs, as reported by `PiecesAssigned` and `PiecesReleased`.
pub type AssignmentsOf<T> = BoundedVec<
	(PieceIndex, <T as frame_system::Config>::AccountId),
	<T as Config>::MaxPiecesPerFile,
>;
/// Piece indices of one file.
pub type IndicesOf<T> = BoundedVec<PieceIndex, <T as Config>::MaxPiecesPerFile>;
/// Operators of pieces of one file.
pub type OperatorsOf<T> =
	BoundedVec<<T as frame_system::Config>::AccountId, <T as Config>::MaxPiecesPerFile>;
/// The argument of `report_placement`.
pub type PieceReportsOf<T> = BoundedVec<PieceReport<CidOf<T>>, <T as Config>::MaxPiecesPerFile>;

/// Redundancy class of a pin.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(crate = "frame::derive::serde")]
pub enum PinTier {
	/// Highest redundancy and price.
	Critical,
	/// The default.
	Standard,
	/// Cheapest, least redundant.
	Temporary,
}

impl PinTier {
	/// Every tier.
	pub const ALL: [PinTier; 3] = [PinTier::Critical, PinTier::Standard, PinTier::Temporary];
}

/// Redundancy, audit and price parameters of a tier.
///
/// A file is cut into segments of `k` shards of `ShardSize` bytes (the last segment's shards
/// shrink to whole 2 KiB leaves) and each segment is extended to `n` shards by erasure coding;
/// piece `i` is shard `i` of every segment, and any `k` pieces rebuild the file (the layout of
/// `cairn-storage-primitives`, shared with the offchain coder). `k = 1` is plain replication with
/// `n` replicas; `k = n` has no redundancy at all.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(crate = "frame::derive::serde")]
pub struct TierConfig {
	/// Data pieces: how many pieces are needed to rebuild the file. At least 1.
	pub k: u32,
	/// Total pieces stored, each on a distinct operator. At most `MaxPiecesPerFile`.
	pub n: u32,
	/// Repair threshold: a file with fewer than `m` healthy pieces is repaired. `k <= m < n`,
	/// except in a tier without redundancy (`k == m == n`), which cannot be repaired.
	pub m: u32,
	/// Blocks between two audits of the same piece (used by the audits).
	pub audit_period: u32,
	/// Price multiplier in percent: `100` is the base price, `250` two and a half times it.
	pub price_multiplier_percent: u32,
	/// Eras a pin is kept, unpaid, after it expired, during which it can still be renewed.
	pub grace_period: EraIndex,
}

impl TierConfig {
	/// Whether the parameters are consistent and within `max_pieces`.
	pub fn is_valid(&self, max_pieces: u32) -> bool {
		self.k >= 1
			&& self.k <= self.m
			&& self.m <= self.n
			&& (self.m < self.n || self.k == self.n)
			&& self.n <= max_pieces
			&& self.audit_period > 0
			&& self.price_multiplier_percent > 0
	}

	/// The piece layout of this tier with shards of `shard_size` bytes, if valid.
	pub fn layout(&self, shard_size: u32) -> Option<cairn_storage_primitives::Layout> {
		piece_layout(self.k, self.n, shard_size)
	}

	/// Size of each piece of a file of `size` bytes (a whole number of 2 KiB leaves, at least
	/// `ceil(size / k)`), or `None` for an empty or too large file.
	pub fn piece_size(&self, size: u64, shard_size: u32) -> Option<u64> {
		self.layout(shard_size)?.piece_size(size).ok()
	}
}

/// The shared piece layout of `k`-of-`n` coding with shards of `shard_size` bytes, if valid.
pub fn piece_layout(k: u32, n: u32, shard_size: u32) -> Option<cairn_storage_primitives::Layout> {
	let k = u16::try_from(k).ok()?;
	let n = u16::try_from(n).ok()?;
	cairn_storage_primitives::Layout::with_shard_size(k, n, shard_size).ok()
}

/// Lifecycle of an operator.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub enum OperatorStatus<BlockNumber> {
	/// Newly registered: receives at most one piece of any file until `audits_passed` reaches
	/// `VettingAudits`.
	Vetting {
		/// Audits passed so far.
		audits_passed: u32,
	},
	/// Fully vetted: eligible for any piece.
	Active,
	/// Unregistered at block `since`: receives no new pieces; its bond can be withdrawn once
	/// `UnbondingPeriod` has passed and it holds no piece.
	Leaving {
		/// Block of `unregister_operator`.
		since: BlockNumber,
	},
}

/// A storage operator.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[codec(mel_bound())]
#[scale_info(skip_type_params(T))]
pub struct OperatorRecord<T: Config> {
	/// Bond held from the operator's account (`HoldReason::OperatorBond`).
	pub bond: BalanceOf<T>,
	/// Declared capacity in bytes.
	pub capacity: u64,
	/// Bytes of pieces assigned to the operator (confirmed or not).
	pub used: u64,
	/// Failure-domain tag.
	pub region: RegionOf<T>,
	/// IPFS peer address the storage workers push pieces to.
	pub ipfs_peer: PeerAddrOf<T>,
	/// Lifecycle status.
	pub status: OperatorStatus<BlockNumberFor<T>>,
	/// Block since which storage workers' reports mark the operator unreachable (see
	/// `report_operator_offline`): it gets no new pieces and its pieces do not count towards
	/// file health, until it passes an audit again.
	pub offline_since: Option<BlockNumberFor<T>>,
	/// Number of pieces assigned to the operator.
	pub piece_count: u32,
	/// Reward earned per era: the sum of `piece_reward` over the operator's confirmed pieces of
	/// paid-up files.
	pub reward_rate: BalanceOf<T>,
	/// Rewards accrued up to `settled_era` and not yet claimed.
	pub pending_rewards: BalanceOf<T>,
	/// Rewards are accounted for every era before this one.
	pub settled_era: EraIndex,
	/// Block of registration.
	pub registered_at: BlockNumberFor<T>,
}

/// Lifecycle of a pinned file.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum FileState {
	/// Operators are assigned; the storage worker has not reported every piece yet.
	Requested,
	/// Every piece is reported (content id, size, Merkle root); waiting for operators to confirm.
	Placed,
	/// Every piece is confirmed by its operator.
	Stored,
	/// Fewer than `m` pieces are healthy (confirmed, on an operator that is neither disqualified,
	/// leaving nor offline): the file waits in the repair queue for replacement operators.
	Degraded,
	/// Pieces were moved to replacement operators by repair: the storage worker rebuilds them
	/// (`report_repair`) and the new operators confirm them; then the file is `Stored` again.
	Repairing,
	/// The paid eras are over; kept unpaid for the tier's grace period, then removed.
	Expired,
}

/// A pinned file.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[codec(mel_bound())]
#[scale_info(skip_type_params(T))]
pub struct FileRecord<T: Config> {
	/// Canonical binary CIDv1.
	pub cid: CidOf<T>,
	/// The account that created the pin: receives refunds, may unpin and change the tier.
	pub owner: T::AccountId,
	/// File size in bytes.
	pub size: u64,
	/// Tier of the pin.
	pub tier: PinTier,
	/// Data pieces (from the tier when placed).
	pub k: u32,
	/// Total pieces (from the tier when placed).
	pub n: u32,
	/// Repair threshold (from the tier when placed): below `m` healthy pieces, repair.
	pub m: u32,
	/// Grace eras after expiry (from the tier when placed).
	pub grace_period: EraIndex,
	/// Bytes per piece (the shared layout: `ceil(size / k)` in whole 2 KiB leaves), for
	/// capacity and rewards.
	pub piece_size: u64,
	/// What each confirmed piece earns its operator per era, fixed when the pin is created or its
	/// tier changed: `piece_size x PricePerBytePerEra x multiplier / 100`.
	pub piece_reward: BalanceOf<T>,
	/// Lifecycle state.
	pub state: FileState,
	/// Block the pin was created.
	pub created_at: BlockNumberFor<T>,
	/// First era not paid for: the pin is paid for every era before it.
	pub expires_at: EraIndex,
	/// Escrow left for this file as of `settled_era`.
	pub escrow: BalanceOf<T>,
	/// Payments to operators are accounted for every era before this one.
	pub settled_era: EraIndex,
	/// Pieces whose content the storage worker has reported.
	pub reported: u32,
	/// Pieces confirmed by their operator.
	pub confirmed: u32,
	/// Pieces moved by repair and not yet confirmed by their new operator.
	pub repairing: u32,
	/// Whether an account other than the owner has paid towards this pin (then the owner can no
	/// longer unpin it or change its tier: the contributor paid for it to be kept).
	pub co_funded: bool,
	/// For a file encrypted by its owner before pinning (`request_encrypted_pin`): its key,
	/// wrapped so that only the owner can unwrap it. `None`: the content is public.
	pub wrapped_key: Option<WrappedKey>,
}

impl<T: Config> FileRecord<T> {
	/// Number of 2 KiB Merkle leaves in each of its pieces (`None` only if the record breaks
	/// the layout invariant).
	pub fn leaf_count(&self) -> Option<u32> {
		cairn_storage_primitives::leaf_count(self.piece_size).ok()
	}

	/// Whether every piece was confirmed at least once (stored, possibly degraded or being
	/// repaired since): only then can the file be rebuilt from its own pieces, or be lost.
	pub fn was_stored(&self) -> bool {
		matches!(self.state, FileState::Stored | FileState::Degraded | FileState::Repairing)
	}

	/// Whether the current eras are paid for (operators earn rewards).
	pub fn is_funded(&self) -> bool {
		self.state != FileState::Expired
	}

	/// What the pin costs per era: `n x piece_reward`.
	pub fn cost_per_era(&self) -> Option<BalanceOf<T>> {
		self.piece_reward.checked_mul(&BalanceOf::<T>::from(self.n))
	}
}

/// What the storage worker reports about one piece.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct PieceReport<Cid> {
	/// The piece's index in `0..n`.
	pub index: PieceIndex,
	/// The piece's own IPFS content id (any accepted CID spelling).
	pub cid: Cid,
	/// The piece's size in bytes as stored (including padding).
	pub size: u64,
	/// Root of the Merkle tree over the piece's leaves (`cairn-storage-primitives`), against
	/// which audits verify proofs.
	pub root: H256,
}

/// A reported piece's content.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct PieceContent<Cid> {
	/// Canonical binary CIDv1 of the piece.
	pub cid: Cid,
	/// Size in bytes as stored.
	pub size: u64,
	/// Merkle root of the piece.
	pub root: H256,
}

/// One piece of a file and its operator.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[codec(mel_bound())]
#[scale_info(skip_type_params(T))]
pub struct PieceRecord<T: Config> {
	/// The assigned operator.
	pub operator: T::AccountId,
	/// Content, once reported by the storage worker.
	pub content: Option<PieceContent<CidOf<T>>>,
	/// Whether the operator confirmed it stores the piece.
	pub confirmed: bool,
	/// Block by which the operator must confirm, once the content is reported; passed it, the
	/// piece is re-assigned.
	pub confirm_deadline: Option<BlockNumberFor<T>>,
	/// The piece was moved to this operator by repair: the storage worker must rebuild it and
	/// `report_repair` (which opens the confirmation window) before the operator confirms.
	pub repair: bool,
	/// The operator that held the piece's bytes before repair moved it. It keeps serving them
	/// (the storage worker may rebuild from them) until the new operator confirms; only then is
	/// it told to unpin (`PiecesReleased`).
	pub previous: Option<T::AccountId>,
}

impl<T: Config> PieceRecord<T> {
	/// Whether the piece waits for the storage worker to rebuild it (`report_repair`).
	pub fn awaits_repair(&self) -> bool {
		self.repair && self.confirm_deadline.is_none()
	}
}

/// An entry of the confirmation-deadline queue.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ConfirmCheck<BlockNumber> {
	/// When the check is due.
	pub deadline: BlockNumber,
	/// The file.
	pub file: FileId,
	/// The piece.
	pub index: PieceIndex,
}

/// Why a pin was removed.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum RemovalReason {
	/// The owner unpinned it.
	Unpinned,
	/// It expired and its grace period ended.
	Expired,
	/// The storage worker could not place it (see [`PinFailure`]); the payment was refunded.
	PlacementFailed,
	/// Fewer than `k` of its pieces were healthy: the network cannot rebuild it (`FileLost`);
	/// the unused payment was refunded.
	Lost,
}

/// An entry of the repair queue.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct RepairEntry<BlockNumber> {
	/// Healthy pieces when the entry was made: the queue is ordered by it, lowest first.
	pub healthy: u32,
	/// The file.
	pub file: FileId,
	/// Not processed before this block (a repair that found no replacement operator retries
	/// after `RepairRetryDelay`).
	pub not_before: BlockNumber,
}

/// Recent `report_operator_offline` reports about one operator.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct OfflineReports<BlockNumber> {
	/// Block of the first report of the window.
	pub first: BlockNumber,
	/// Block of the latest report (one report per block counts).
	pub last: BlockNumber,
	/// Reports in the window.
	pub count: u32,
}

/// Why a storage worker could not place a pin.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum PinFailure {
	/// No IPFS peer the worker can reach provides the CID's content.
	ContentUnavailable,
	/// The content's size is not the size declared in `request_pin`.
	SizeMismatch {
		/// The size the worker found.
		actual: u64,
	},
}

/// A file's state and pieces, as returned by the `file` view function.
#[derive(Encode, Decode, TypeInfo, CloneNoBound, PartialEqNoBound, DebugNoBound)]
#[scale_info(skip_type_params(T))]
pub struct FileInfo<T: Config> {
	/// Internal id.
	pub file_id: FileId,
	/// The record.
	pub record: FileRecord<T>,
	/// Every piece, by index.
	pub pieces: Vec<(PieceIndex, PieceRecord<T>)>,
}

/// An operator's record and claimable rewards, as returned by the `operator` view function.
#[derive(Encode, Decode, TypeInfo, CloneNoBound, PartialEqNoBound, DebugNoBound)]
#[scale_info(skip_type_params(T))]
pub struct OperatorInfo<T: Config> {
	/// The record.
	pub record: OperatorRecord<T>,
	/// What `claim_rewards` would pay now.
	pub claimable: BalanceOf<T>,
}

/// A piece assigned to an operator, as returned by the `operator_pieces` view function.
#[derive(Encode, Decode, TypeInfo, CloneNoBound, PartialEqNoBound, DebugNoBound)]
#[scale_info(skip_type_params(T))]
pub struct PieceRef<T: Config> {
	/// The file's CID.
	pub cid: CidOf<T>,
	/// The piece.
	pub index: PieceIndex,
	/// Its operator.
	pub operator: T::AccountId,
}
