//! The pallet's types as the client sees them, decoded by name from the node's metadata
//! (`scale-decode` matches fields by name and ignores the ones not listed here, so new fields
//! in the runtime do not break the client).

use scale_decode::DecodeAsType;
use scale_encode::EncodeAsType;

/// An account on the chain (32 bytes, SS58 when printed).
pub type AccountId = subxt::utils::AccountId32;
/// A balance in the chain's smallest unit.
pub type Balance = u128;
/// A block number.
pub type BlockNumber = u32;
/// An era index.
pub type EraIndex = u32;
/// A piece index within a file.
pub type PieceIndex = u32;

/// Redundancy class of a pin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, DecodeAsType, EncodeAsType)]
pub enum PinTier {
	/// Highest redundancy and price.
	Critical,
	/// The default.
	Standard,
	/// Cheapest, least redundant.
	Temporary,
}

impl std::str::FromStr for PinTier {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, Self::Err> {
		match s.to_ascii_lowercase().as_str() {
			"critical" => Ok(Self::Critical),
			"standard" => Ok(Self::Standard),
			"temporary" => Ok(Self::Temporary),
			_ => Err(format!("unknown tier {s:?}: expected critical, standard or temporary")),
		}
	}
}

impl std::fmt::Display for PinTier {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		std::fmt::Debug::fmt(self, f)
	}
}

/// Lifecycle of a pinned file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, DecodeAsType)]
pub enum FileState {
	/// Operators assigned; not every piece reported yet.
	Requested,
	/// Every piece reported; waiting for confirmations.
	Placed,
	/// Every piece confirmed.
	Stored,
	/// Fewer than `m` pieces healthy: waiting in the repair queue for replacement operators.
	Degraded,
	/// Pieces moved to replacement operators: the storage worker rebuilds them
	/// (`report_repair`), then their new operators confirm them.
	Repairing,
	/// Paid eras over; in its grace period.
	Expired,
}

/// Why a pin was removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, DecodeAsType)]
pub enum RemovalReason {
	/// The owner unpinned it.
	Unpinned,
	/// It expired and its grace period ended.
	Expired,
	/// The storage worker could not place it; the payment was refunded.
	PlacementFailed,
	/// Fewer than `k` of its pieces were readable: the network could not rebuild it
	/// (`FileLost`); the unused payment was refunded.
	Lost,
}

/// Why a storage worker could not place a pin (`report_pin_failed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, DecodeAsType, EncodeAsType)]
pub enum PinFailure {
	/// No IPFS peer the worker can reach provides the CID's content.
	ContentUnavailable,
	/// The content's size is not the size declared in `request_pin`.
	SizeMismatch {
		/// The size the worker found.
		actual: u64,
	},
}

/// A tier's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, DecodeAsType)]
pub struct TierConfig {
	/// Data pieces.
	pub k: u32,
	/// Total pieces.
	pub n: u32,
	/// Repair threshold.
	pub m: u32,
	/// Price multiplier in percent.
	pub price_multiplier_percent: u32,
	/// Grace eras after expiry.
	pub grace_period: EraIndex,
}

/// A pinned file (the fields the client uses).
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub struct FileRecord {
	/// Canonical binary CIDv1.
	pub cid: Vec<u8>,
	/// The account that created the pin.
	pub owner: AccountId,
	/// File size in bytes.
	pub size: u64,
	/// Tier of the pin.
	pub tier: PinTier,
	/// Data pieces.
	pub k: u32,
	/// Total pieces.
	pub n: u32,
	/// Repair threshold: below `m` healthy pieces the file is repaired.
	pub m: u32,
	/// `ceil(size / k)`.
	pub piece_size: u64,
	/// Lifecycle state.
	pub state: FileState,
	/// Block the pin was created.
	pub created_at: BlockNumber,
	/// First era not paid for.
	pub expires_at: EraIndex,
	/// Escrow left.
	pub escrow: Balance,
	/// Pieces reported.
	pub reported: u32,
	/// Pieces confirmed.
	pub confirmed: u32,
	/// Pieces moved by repair and not yet confirmed by their new operator.
	pub repairing: u32,
	/// Whether another account paid towards it.
	pub co_funded: bool,
	/// The file key wrapped for its owner (`cairn-crypt` format), if the owner encrypted it.
	pub wrapped_key: Option<Vec<u8>>,
}

/// A reported piece's content.
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub struct PieceContent {
	/// Canonical binary CIDv1 of the piece.
	pub cid: Vec<u8>,
	/// Size in bytes as stored.
	pub size: u64,
	/// Merkle root of the piece.
	pub root: [u8; 32],
}

/// One piece of a file and its operator.
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub struct PieceRecord {
	/// The assigned operator.
	pub operator: AccountId,
	/// Content, once reported.
	pub content: Option<PieceContent>,
	/// Whether the operator confirmed it.
	pub confirmed: bool,
	/// Block by which the operator must confirm, once reported.
	pub confirm_deadline: Option<BlockNumber>,
	/// The piece was moved to this operator by repair: the storage worker must rebuild it and
	/// `report_repair` before the operator may confirm it.
	pub repair: bool,
	/// The operator the piece was moved from by repair: it keeps serving the bytes until the
	/// new operator confirms (then `PiecesReleased` names it).
	pub previous: Option<AccountId>,
}

impl PieceRecord {
	/// Whether the piece waits for the storage worker to rebuild it (`report_repair`): its
	/// operator cannot confirm it before (`PieceNotReported`).
	pub fn awaits_repair(&self) -> bool {
		self.repair && self.confirm_deadline.is_none()
	}
}

/// A file's record and pieces (the `file` view function).
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub struct FileInfo {
	/// Internal id.
	pub file_id: u64,
	/// The record.
	pub record: FileRecord,
	/// Every piece, by index.
	pub pieces: Vec<(PieceIndex, PieceRecord)>,
}

impl FileInfo {
	/// Indices of pieces whose content is not reported yet.
	pub fn unreported(&self) -> Vec<PieceIndex> {
		self.pieces.iter().filter(|(_, p)| p.content.is_none()).map(|(i, _)| *i).collect()
	}

	/// Indices of pieces moved by repair that wait for the storage worker to rebuild them.
	pub fn awaiting_repair(&self) -> Vec<PieceIndex> {
		self.pieces.iter().filter(|(_, p)| p.awaits_repair()).map(|(i, _)| *i).collect()
	}

	/// Piece `index`, if the file has it.
	pub fn piece(&self, index: PieceIndex) -> Option<&PieceRecord> {
		self.pieces.iter().find(|(i, _)| *i == index).map(|(_, p)| p)
	}

	/// The pieces assigned to `who`.
	pub fn pieces_of<'a>(
		&'a self,
		who: &'a AccountId,
	) -> impl Iterator<Item = (PieceIndex, &'a PieceRecord)> + 'a {
		self.pieces.iter().filter(move |(_, p)| &p.operator == who).map(|(i, p)| (*i, p))
	}
}

/// Lifecycle of an operator.
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub enum OperatorStatus {
	/// Newly registered.
	Vetting {
		/// Audits passed so far.
		audits_passed: u32,
	},
	/// Fully vetted.
	Active,
	/// Leaving since block `since`.
	Leaving {
		/// Block of `unregister_operator`.
		since: BlockNumber,
	},
}

/// A storage operator (the fields the client uses).
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub struct OperatorRecord {
	/// Bond held.
	pub bond: Balance,
	/// Declared capacity in bytes.
	pub capacity: u64,
	/// Bytes assigned.
	pub used: u64,
	/// Failure-domain tag.
	pub region: Vec<u8>,
	/// IPFS peer address.
	pub ipfs_peer: Vec<u8>,
	/// Lifecycle status.
	pub status: OperatorStatus,
	/// Block since which storage workers' reports mark the operator unreachable (no new pieces,
	/// its pieces do not count towards file health) until it passes an audit.
	pub offline_since: Option<BlockNumber>,
	/// Pieces assigned.
	pub piece_count: u32,
	/// Reward per era.
	pub reward_rate: Balance,
}

/// An operator and its claimable rewards (the `operator` view function).
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub struct OperatorInfo {
	/// The record.
	pub record: OperatorRecord,
	/// What `claim_rewards` would pay now.
	pub claimable: Balance,
}

/// A piece assigned to an operator (the `operator_pieces` view function).
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub struct PieceRef {
	/// The file's CID (canonical binary).
	pub cid: Vec<u8>,
	/// The piece.
	pub index: PieceIndex,
	/// Its operator.
	pub operator: AccountId,
}

impl OperatorRecord {
	/// Whether the operator is leaving (`unregister_operator`).
	pub fn is_leaving(&self) -> bool {
		matches!(self.status, OperatorStatus::Leaving { .. })
	}

	/// The IPFS peer address as text (lossy: the chain stores bytes).
	pub fn peer(&self) -> String {
		String::from_utf8_lossy(&self.ipfs_peer).into_owned()
	}
}

/// An entry of the repair queue (the `repair_queue` view function).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepairQueueEntry {
	/// The file's CID (canonical binary).
	pub cid: Vec<u8>,
	/// Its healthy pieces when it was queued (the queue is ordered by it, lowest first).
	pub healthy: u32,
	/// Not processed before this block.
	pub not_before: BlockNumber,
}

/// What the storage worker reports about one piece (`report_placement`, `report_repair`).
#[derive(Clone, Debug, PartialEq, Eq, EncodeAsType)]
pub struct PieceReport {
	/// The piece's index in `0..n`.
	pub index: PieceIndex,
	/// The piece's own CID (binary).
	pub cid: Vec<u8>,
	/// Size in bytes as stored.
	pub size: u64,
	/// Merkle root of the piece's leaves.
	pub root: [u8; 32],
}
