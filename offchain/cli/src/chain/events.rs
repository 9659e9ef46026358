//! The pallet's events, decoded by name from the node's metadata.

use super::types::{
	AccountId, Balance, BlockNumber, EraIndex, FileState, PieceIndex, PinFailure, PinTier,
	RemovalReason,
};
use scale_decode::DecodeAsType;

/// `Storage` events the client acts on. Decoded by event and field names; an event this client
/// does not know (a newer runtime) comes back as [`StorageEvent::Other`].
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub enum StorageEvent {
	/// An operator registered.
	OperatorRegistered {
		/// The operator.
		who: AccountId,
		/// Bond held.
		bond: Balance,
		/// Capacity offered.
		capacity: u64,
		/// Region tag.
		region: Vec<u8>,
		/// Whether it starts vetting.
		vetting: bool,
	},
	/// An operator started leaving: no new pieces; repair moves its pieces away.
	OperatorUnregistered {
		/// The operator.
		who: AccountId,
		/// Block from which `withdraw_bond` is possible.
		unbonding_ends: BlockNumber,
	},
	/// An operator was paid.
	RewardsClaimed {
		/// The operator.
		who: AccountId,
		/// Amount paid.
		amount: Balance,
	},
	/// A new pin was paid for.
	PinRequested {
		/// Canonical CID.
		cid: Vec<u8>,
		/// Internal id.
		file_id: u64,
		/// Who paid.
		who: AccountId,
		/// File size.
		size: u64,
		/// Tier.
		tier: PinTier,
		/// Eras paid.
		eras: EraIndex,
		/// First era not paid.
		expires_at: EraIndex,
		/// What it cost.
		cost: Balance,
	},
	/// Pieces were assigned to operators.
	PiecesAssigned {
		/// The file.
		cid: Vec<u8>,
		/// `(index, operator)` pairs.
		operators: Vec<(PieceIndex, AccountId)>,
	},
	/// Pieces were released: their operators may unpin them.
	PiecesReleased {
		/// The file.
		cid: Vec<u8>,
		/// `(index, operator)` pairs.
		operators: Vec<(PieceIndex, AccountId)>,
	},
	/// The storage worker reported pieces.
	PlacementReported {
		/// The file.
		cid: Vec<u8>,
		/// The worker.
		worker: AccountId,
		/// Pieces reported.
		indices: Vec<PieceIndex>,
	},
	/// An operator confirmed a piece.
	PieceConfirmed {
		/// The file.
		cid: Vec<u8>,
		/// The piece.
		index: PieceIndex,
		/// Its operator.
		operator: AccountId,
	},
	/// A piece moved to another operator.
	PieceReassigned {
		/// The file.
		cid: Vec<u8>,
		/// The piece.
		index: PieceIndex,
		/// Previous operator.
		from: AccountId,
		/// New operator.
		to: AccountId,
	},
	/// A piece could not move; its operator got a new window.
	ReassignmentFailed {
		/// The file.
		cid: Vec<u8>,
		/// The piece.
		index: PieceIndex,
		/// Its operator.
		operator: AccountId,
	},
	/// A file changed state.
	FileStateChanged {
		/// The file.
		cid: Vec<u8>,
		/// Previous state.
		from: FileState,
		/// New state.
		to: FileState,
	},
	/// A pin's paid eras ended.
	PinExpired {
		/// The file.
		cid: Vec<u8>,
		/// Refunded to the owner.
		refund: Balance,
		/// Era of removal.
		removal_at: EraIndex,
	},
	/// A pin was removed.
	PinRemoved {
		/// The file.
		cid: Vec<u8>,
		/// Why.
		reason: RemovalReason,
		/// Refunded to the owner.
		refund: Balance,
	},
	/// A storage worker could not place a pin; it was removed and refunded.
	PinFailed {
		/// The file.
		cid: Vec<u8>,
		/// The worker.
		worker: AccountId,
		/// Why.
		reason: PinFailure,
	},
	/// A confirmed piece was challenged: its operator must answer by `deadline`.
	ChallengeIssued {
		/// The challenge's id.
		challenge: u64,
		/// The file.
		cid: Vec<u8>,
		/// The piece.
		index: PieceIndex,
		/// Who must answer.
		operator: AccountId,
		/// The leaf asked for.
		leaf_index: u32,
		/// Last block an answer counts.
		deadline: u32,
		/// 0 for a fresh challenge, `r` for the `r`-th re-verification.
		attempt: u32,
	},
	/// A challenge was answered with a correct proof.
	AuditPassed {
		/// The challenge.
		challenge: u64,
		/// The file.
		cid: Vec<u8>,
		/// The piece.
		index: PieceIndex,
		/// Who answered.
		operator: AccountId,
	},
	/// A challenge failed (wrong proof, or unanswered too often).
	AuditFailed {
		/// The challenge.
		challenge: u64,
		/// The file.
		cid: Vec<u8>,
		/// The piece.
		index: PieceIndex,
		/// Who failed.
		operator: AccountId,
		/// Bond slashed.
		slashed: Balance,
	},
	/// A storage worker could not reach an operator.
	OperatorReportedOffline {
		/// The operator.
		who: AccountId,
		/// The storage worker.
		reporter: AccountId,
		/// Reports in the current window so far.
		reports: u32,
	},
	/// Enough reports: the operator is offline (no new pieces; its pieces do not count towards
	/// file health until it passes an audit).
	OperatorMarkedOffline {
		/// The operator.
		who: AccountId,
		/// Reports that marked it.
		reports: u32,
	},
	/// An offline operator passed an audit: it is reachable again.
	OperatorBackOnline {
		/// The operator.
		who: AccountId,
	},
	/// Pieces `indices` of a file moved to `operators` (same order): the storage worker
	/// rebuilds them and calls `report_repair`.
	RepairScheduled {
		/// The file.
		cid: Vec<u8>,
		/// Pieces moved.
		indices: Vec<PieceIndex>,
		/// Their new operators, in the order of `indices`.
		operators: Vec<AccountId>,
	},
	/// `missing` pieces of a file found no replacement operator; retried later.
	RepairDeferred {
		/// The file.
		cid: Vec<u8>,
		/// Healthy pieces.
		healthy: u32,
		/// Pieces still to move.
		missing: u32,
	},
	/// The storage worker rebuilt pieces moved by repair: their operators may confirm them.
	RepairReported {
		/// The file.
		cid: Vec<u8>,
		/// The worker.
		worker: AccountId,
		/// Pieces rebuilt.
		indices: Vec<PieceIndex>,
	},
	/// Every piece moved by repair is confirmed: the file is stored again.
	FileRepaired {
		/// The file.
		cid: Vec<u8>,
	},
	/// Fewer than `k` readable pieces: the file cannot be rebuilt and is removed.
	FileLost {
		/// The file.
		cid: Vec<u8>,
		/// Readable pieces left.
		healthy: u32,
		/// Pieces needed.
		k: u32,
	},
	/// Any other `Storage` event, by name (never decoded from the chain: set when a
	/// `Storage` event does not decode into one of the variants above).
	Other(String),
}

impl StorageEvent {
	/// The file this event is about, if any.
	pub fn cid(&self) -> Option<&[u8]> {
		match self {
			Self::PinRequested { cid, .. }
			| Self::PiecesAssigned { cid, .. }
			| Self::PiecesReleased { cid, .. }
			| Self::PlacementReported { cid, .. }
			| Self::PieceConfirmed { cid, .. }
			| Self::PieceReassigned { cid, .. }
			| Self::ReassignmentFailed { cid, .. }
			| Self::FileStateChanged { cid, .. }
			| Self::PinExpired { cid, .. }
			| Self::PinRemoved { cid, .. }
			| Self::PinFailed { cid, .. }
			| Self::ChallengeIssued { cid, .. }
			| Self::AuditPassed { cid, .. }
			| Self::AuditFailed { cid, .. }
			| Self::RepairScheduled { cid, .. }
			| Self::RepairDeferred { cid, .. }
			| Self::RepairReported { cid, .. }
			| Self::FileRepaired { cid }
			| Self::FileLost { cid, .. } => Some(cid),
			Self::OperatorRegistered { .. }
			| Self::OperatorUnregistered { .. }
			| Self::RewardsClaimed { .. }
			| Self::OperatorReportedOffline { .. }
			| Self::OperatorMarkedOffline { .. }
			| Self::OperatorBackOnline { .. }
			| Self::Other(_) => None,
		}
	}

	/// The event's name, as in the metadata.
	pub fn name(&self) -> &str {
		match self {
			Self::OperatorRegistered { .. } => "OperatorRegistered",
			Self::OperatorUnregistered { .. } => "OperatorUnregistered",
			Self::RewardsClaimed { .. } => "RewardsClaimed",
			Self::PinRequested { .. } => "PinRequested",
			Self::PiecesAssigned { .. } => "PiecesAssigned",
			Self::PiecesReleased { .. } => "PiecesReleased",
			Self::PlacementReported { .. } => "PlacementReported",
			Self::PieceConfirmed { .. } => "PieceConfirmed",
			Self::PieceReassigned { .. } => "PieceReassigned",
			Self::ReassignmentFailed { .. } => "ReassignmentFailed",
			Self::FileStateChanged { .. } => "FileStateChanged",
			Self::PinExpired { .. } => "PinExpired",
			Self::PinRemoved { .. } => "PinRemoved",
			Self::PinFailed { .. } => "PinFailed",
			Self::ChallengeIssued { .. } => "ChallengeIssued",
			Self::AuditPassed { .. } => "AuditPassed",
			Self::AuditFailed { .. } => "AuditFailed",
			Self::OperatorReportedOffline { .. } => "OperatorReportedOffline",
			Self::OperatorMarkedOffline { .. } => "OperatorMarkedOffline",
			Self::OperatorBackOnline { .. } => "OperatorBackOnline",
			Self::RepairScheduled { .. } => "RepairScheduled",
			Self::RepairDeferred { .. } => "RepairDeferred",
			Self::RepairReported { .. } => "RepairReported",
			Self::FileRepaired { .. } => "FileRepaired",
			Self::FileLost { .. } => "FileLost",
			Self::Other(name) => name,
		}
	}
}

/// The `Storage` events of one finalized block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockEvents {
	/// Block number.
	pub number: u64,
	/// Block hash (hex).
	pub hash: String,
	/// The block's `Storage` events, in order.
	pub events: Vec<StorageEvent>,
}
