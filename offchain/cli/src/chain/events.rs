//! The pallet's events, decoded by name from the node's metadata.

use super::types::{
	AccountId, Balance, EraIndex, FileState, PieceIndex, PinFailure, PinTier, RemovalReason,
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
			| Self::AuditFailed { cid, .. } => Some(cid),
			Self::OperatorRegistered { .. } | Self::RewardsClaimed { .. } | Self::Other(_) => None,
		}
	}

	/// The event's name, as in the metadata.
	pub fn name(&self) -> &str {
		match self {
			Self::OperatorRegistered { .. } => "OperatorRegistered",
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
