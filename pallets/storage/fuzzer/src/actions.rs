//! What an input means: a [`Setup`] and a sequence of [`Action`]s, decoded from bytes.
//!
//! The decoder is total and dense: every byte string is a valid input (a trailing partial
//! action is dropped), and each byte is mapped with `%`, so a fuzzer's mutations always change
//! something meaningful. Arguments that name pallet state (a pinned file, a challenge, the
//! right operator) are *selectors* resolved when the action runs, against the state of that
//! moment (see `exec.rs`), so that random bytes reach files that exist and challenges that are
//! outstanding instead of failing at input validation.
//!
//! Adding a call: one variant of [`Action`], one arm in [`decode_action`] (and an entry in
//! [`OPCODES`]), one arm in `exec::call_of`.

use crate::runtime::{
	AccountId, Balance, Setup, ACCOUNTS, MAX_FILE_SIZE, MAX_OPERATORS, MAX_PIN_ERAS, MIN_BOND,
	OPERATOR_FUNDS,
};
use pallet_storage::{PinFailure, PinTier, TierConfig};

/// Who sends a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
	/// `RuntimeOrigin::root()`.
	Root,
	/// `RuntimeOrigin::none()`.
	None,
	/// Signed by this account.
	Signed(AccountId),
	/// The account that makes sense for the call (the file's owner, the piece's operator, the
	/// challenged operator, a storage worker, root for admin calls...), chosen with this byte
	/// where there are several.
	Auto(u8),
}

/// How a pinned file's CID is spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spelling {
	/// Canonical binary CIDv1.
	Binary,
	/// Multibase `f` (base16).
	Base16,
	/// Multibase `b` (base32), as Kubo prints it.
	Base32,
	/// Multibase `z` (base58btc).
	Base58,
	/// Binary CIDv0 (only for dag-pb sha2-256 CIDs; binary otherwise).
	V0Binary,
	/// Text CIDv0 `Qm...` (only for dag-pb sha2-256 CIDs; binary otherwise).
	V0Text,
}

/// A CID argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CidSel {
	/// The `nth` (modulo their number) pinned file that the call can act on (with a piece to
	/// report, confirm or rebuild, or paid up, depending on the call), in file id order; any
	/// pinned file if none is; a fresh CID if no file is pinned.
	Relevant { nth: u8, spelling: Spelling },
	/// The `nth` (modulo their number) pinned file, in file id order; a fresh CID if none.
	Pinned { nth: u8, spelling: Spelling },
	/// CID number `n % 16` of a fixed pool of valid CIDs (pinned or not).
	Fresh(u8),
	/// A malformed CID, of kind `n`.
	Malformed(u8),
}

/// A file size argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeSel {
	/// The size of the file the CID names, if it is pinned (else 4096 bytes).
	Auto,
	/// This size.
	Bytes(u64),
}

/// A tier argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TierSel {
	/// The tier of the file the CID names, if it is pinned (else Standard).
	Auto,
	/// This tier.
	Tier(PinTier),
}

/// A piece index argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexSel {
	/// The first reported, unconfirmed piece of the file (else piece 0).
	Auto,
	/// This index.
	Raw(u32),
}

/// What a `report_placement` call reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportMode {
	/// Every unreported piece, with the right size and the root of its known content (see
	/// `exec::piece_root`), so that its operator can later answer challenges.
	Real,
	/// The unreported pieces selected by this bit mask (possibly none: `EmptyReport`).
	RealSubset(u8),
	/// Every unreported piece with the right size and a garbage root: every later proof fails.
	GarbageRoot(u8),
	/// The first unreported piece with a wrong size.
	WrongSize(u8),
	/// An index at or past `n`.
	BadIndex(u8),
	/// The first unreported piece twice.
	Duplicate,
	/// The first unreported piece with a malformed piece CID.
	BadPieceCid(u8),
	/// Pieces that were already reported (or piece 0).
	AlreadyReported,
	/// No piece at all.
	Empty,
}

/// A challenge argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeSel {
	/// The `nth` (modulo their number) outstanding challenge, in id order.
	Outstanding(u8),
	/// An id no challenge has (yet): `NextChallengeId + n`, or an old id.
	Unknown(u8),
}

/// What a `submit_proof` call submits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofMode {
	/// The challenged leaf of the piece's known content and its Merkle path: passes if the
	/// piece was reported with [`ReportMode::Real`].
	Correct,
	/// The right path with wrong leaf bytes.
	WrongLeaf,
	/// The leaf and path of another leaf of the piece.
	OtherLeaf,
	/// The right leaf with the path's last sibling dropped.
	Truncated,
	/// The right leaf with an extra sibling.
	Extended,
	/// A leaf of this many bytes (below the leaf size).
	ShortLeaf(u8),
}

/// An operator argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperatorSel {
	/// The `nth` (modulo their number) registered operator, in account order.
	Registered(u8),
	/// Any known account.
	Account(AccountId),
}

/// A tier configuration argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TierConfigSel {
	/// One of a few valid configurations (`n % 6`).
	Preset(u8),
	/// Anything, most of it invalid.
	Raw(TierConfig),
}

/// One step of an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
	RegisterOperator {
		origin: Origin,
		bond: Balance,
		capacity: u64,
		region: u8,
		peer: u8,
	},
	UpdateOperator {
		origin: Origin,
		bond: Option<Balance>,
		capacity: Option<u64>,
		region: Option<u8>,
		peer: Option<u8>,
	},
	UnregisterOperator {
		origin: Origin,
	},
	WithdrawBond {
		origin: Origin,
	},
	ClaimRewards {
		origin: Origin,
	},
	SetTierConfig {
		origin: Origin,
		tier: PinTier,
		config: TierConfigSel,
	},
	AddStorageWorker {
		origin: Origin,
		who: AccountId,
	},
	RemoveStorageWorker {
		origin: Origin,
		who: AccountId,
	},
	RequestPin {
		origin: Origin,
		cid: CidSel,
		size: SizeSel,
		tier: TierSel,
		eras: u32,
		/// `Some(b)`: `request_encrypted_pin` with a wrapped key of `1 + b % 128` bytes `b`.
		key: Option<u8>,
	},
	RenewPin {
		origin: Origin,
		cid: CidSel,
		eras: u32,
	},
	ChangeTier {
		origin: Origin,
		cid: CidSel,
		tier: PinTier,
	},
	Unpin {
		origin: Origin,
		cid: CidSel,
	},
	ReportPlacement {
		origin: Origin,
		cid: CidSel,
		mode: ReportMode,
	},
	ReportPinFailed {
		origin: Origin,
		cid: CidSel,
		reason: PinFailure,
	},
	ConfirmPiece {
		origin: Origin,
		cid: CidSel,
		index: IndexSel,
	},
	SubmitProof {
		origin: Origin,
		challenge: ChallengeSel,
		mode: ProofMode,
	},
	ReportOperatorOffline {
		origin: Origin,
		operator: OperatorSel,
	},
	/// `declare_online` (by default from an operator marked offline).
	DeclareOnline {
		origin: Origin,
	},
	/// `report_repair`; [`ReportMode::Real`] reports the recorded content of the pieces that
	/// await repair (what a correct storage worker rebuilds), the other modes mismatch.
	ReportRepair {
		origin: Origin,
		cid: CidSel,
		mode: ReportMode,
	},
	/// Run `blocks` blocks (`on_finalize`, then `on_initialize` of the next), with or without
	/// audit randomness.
	AdvanceBlocks {
		blocks: u32,
		audit_randomness: bool,
	},
}

/// The kinds of action, by opcode (`byte % OPCODES.len()`); repeats weight the common ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
	Register,
	Update,
	Unregister,
	Withdraw,
	Claim,
	SetTier,
	AddWorker,
	RemoveWorker,
	RequestPin,
	RenewPin,
	ChangeTier,
	Unpin,
	Report,
	PinFailed,
	Confirm,
	Proof,
	Offline,
	Online,
	Repair,
	Advance,
}

const OPCODES: [Op; 37] = [
	Op::Register,
	Op::Register,
	Op::Update,
	Op::Unregister,
	Op::Withdraw,
	Op::Claim,
	Op::SetTier,
	Op::AddWorker,
	Op::RemoveWorker,
	Op::RequestPin,
	Op::RequestPin,
	Op::RequestPin,
	Op::RequestPin,
	Op::RenewPin,
	Op::ChangeTier,
	Op::Unpin,
	Op::Report,
	Op::Report,
	Op::Report,
	Op::PinFailed,
	Op::Confirm,
	Op::Confirm,
	Op::Confirm,
	Op::Confirm,
	Op::Confirm,
	Op::Proof,
	Op::Proof,
	Op::Proof,
	Op::Offline,
	Op::Online,
	Op::Repair,
	Op::Repair,
	Op::Advance,
	Op::Advance,
	Op::Advance,
	Op::Advance,
	Op::Advance,
];

/// Most actions decoded from one input (bounds the time of one run).
pub const MAX_ACTIONS: usize = 1_000;

/// Bytes, consumed one at a time.
struct Reader<'a> {
	data: &'a [u8],
}

impl Reader<'_> {
	fn byte(&mut self) -> Option<u8> {
		let (first, rest) = self.data.split_first()?;
		self.data = rest;
		Some(*first)
	}

	fn u16(&mut self) -> Option<u16> {
		Some(u16::from_le_bytes([self.byte()?, self.byte()?]))
	}
}

/// Decodes an input: two setup bytes, then actions until the bytes run out.
pub fn decode(data: &[u8]) -> (Setup, Vec<Action>) {
	let mut reader = Reader { data };
	let h0 = reader.byte().unwrap_or(4);
	let h1 = reader.byte().unwrap_or(0);
	let setup = Setup {
		operators: h0 % (MAX_OPERATORS as u8 + 1),
		vetting_audits: u32::from(h0 / 16 % 3),
		audits_per_block: u32::from(h1 % 3) + 1,
		seed: u64::from(h1 / 3),
	};
	let mut actions = Vec::new();
	while actions.len() < MAX_ACTIONS {
		match decode_action(&mut reader) {
			Some(action) => actions.push(action),
			None => break,
		}
	}
	(setup, actions)
}

fn decode_action(r: &mut Reader<'_>) -> Option<Action> {
	let op = OPCODES[usize::from(r.byte()?) % OPCODES.len()];
	Some(match op {
		Op::Register => Action::RegisterOperator {
			origin: origin(r.byte()?),
			bond: bond(r.byte()?),
			capacity: capacity(r.byte()?),
			region: r.byte()?,
			peer: r.byte()?,
		},
		Op::Update => {
			let present = r.byte()?;
			let (b, c, g, p) = (r.byte()?, r.byte()?, r.byte()?, r.byte()?);
			Action::UpdateOperator {
				origin: origin(r.byte()?),
				bond: (present & 1 != 0).then(|| bond(b)),
				capacity: (present & 2 != 0).then(|| capacity(c)),
				region: (present & 4 != 0).then_some(g),
				peer: (present & 8 != 0).then_some(p),
			}
		}
		Op::Unregister => Action::UnregisterOperator { origin: origin(r.byte()?) },
		Op::Online => Action::DeclareOnline { origin: origin(r.byte()?) },
		Op::Withdraw => Action::WithdrawBond { origin: origin(r.byte()?) },
		Op::Claim => Action::ClaimRewards { origin: origin(r.byte()?) },
		Op::SetTier => Action::SetTierConfig {
			origin: origin(r.byte()?),
			tier: tier(r.byte()?),
			config: tier_config(r)?,
		},
		Op::AddWorker => {
			Action::AddStorageWorker { origin: origin(r.byte()?), who: account(r.byte()?) }
		}
		Op::RemoveWorker => {
			Action::RemoveStorageWorker { origin: origin(r.byte()?), who: account(r.byte()?) }
		}
		Op::RequestPin => {
			let origin = origin(r.byte()?);
			let cid = cid(r.byte()?, r.byte()?);
			let size = size(r.byte()?, r.byte()?);
			let t = r.byte()?;
			let tier = if t % 4 == 3 { TierSel::Auto } else { TierSel::Tier(tier(t)) };
			// The tier byte's two high bits pick an encrypted pin (a quarter of the requests;
			// the byte is its key's filler).
			let key = (t & 0xc0 == 0xc0).then_some(t);
			Action::RequestPin { origin, cid, size, tier, eras: eras(r.byte()?), key }
		}
		Op::RenewPin => Action::RenewPin {
			origin: origin(r.byte()?),
			cid: cid(r.byte()?, r.byte()?),
			eras: eras(r.byte()?),
		},
		Op::ChangeTier => Action::ChangeTier {
			origin: origin(r.byte()?),
			cid: cid(r.byte()?, r.byte()?),
			tier: tier(r.byte()?),
		},
		Op::Unpin => Action::Unpin { origin: origin(r.byte()?), cid: cid(r.byte()?, r.byte()?) },
		Op::Report => Action::ReportPlacement {
			origin: origin(r.byte()?),
			cid: cid(r.byte()?, r.byte()?),
			mode: report_mode(r.byte()?, r.byte()?),
		},
		Op::PinFailed => Action::ReportPinFailed {
			origin: origin(r.byte()?),
			cid: cid(r.byte()?, r.byte()?),
			reason: {
				let b = r.u16()?;
				if b % 2 == 0 {
					PinFailure::ContentUnavailable
				} else {
					PinFailure::SizeMismatch { actual: u64::from(b) }
				}
			},
		},
		Op::Confirm => Action::ConfirmPiece {
			origin: origin(r.byte()?),
			cid: cid(r.byte()?, r.byte()?),
			index: {
				let i = r.byte()?;
				if i < 192 {
					IndexSel::Auto
				} else {
					IndexSel::Raw(u32::from(i % 8))
				}
			},
		},
		Op::Proof => Action::SubmitProof {
			origin: origin(r.byte()?),
			challenge: {
				let c = r.byte()?;
				if c % 8 == 7 {
					ChallengeSel::Unknown(c / 8)
				} else {
					ChallengeSel::Outstanding(c / 8)
				}
			},
			mode: {
				let m = r.byte()?;
				match m % 10 {
					0..=4 => ProofMode::Correct,
					5 => ProofMode::WrongLeaf,
					6 => ProofMode::OtherLeaf,
					7 => ProofMode::Truncated,
					8 => ProofMode::Extended,
					_ => ProofMode::ShortLeaf(m),
				}
			},
		},
		Op::Offline => Action::ReportOperatorOffline {
			origin: origin(r.byte()?),
			operator: {
				let o = r.byte()?;
				if o % 4 == 3 {
					OperatorSel::Account(account(o / 4))
				} else {
					OperatorSel::Registered(o / 4)
				}
			},
		},
		Op::Repair => Action::ReportRepair {
			origin: origin(r.byte()?),
			cid: cid(r.byte()?, r.byte()?),
			mode: report_mode(r.byte()?, r.byte()?),
		},
		Op::Advance => {
			let b = r.byte()?;
			// Mostly a few blocks; sometimes a jump of 8 to 22 (eras end, unbonding passes).
			let blocks = if b >= 248 { 8 + 2 * u32::from(b - 248) } else { u32::from(b % 3) + 1 };
			Action::AdvanceBlocks { blocks, audit_randomness: b % 16 != 15 }
		}
	})
}

/// Root and none rarely, the contextual account mostly, any known account otherwise.
fn origin(b: u8) -> Origin {
	match b % 16 {
		0 => Origin::Root,
		1 => Origin::None,
		2..=11 => Origin::Auto(b / 16),
		_ => Origin::Signed(account(b / 16)),
	}
}

fn account(b: u8) -> AccountId {
	ACCOUNTS[usize::from(b) % ACCOUNTS.len()]
}

fn bond(b: u8) -> Balance {
	match b % 8 {
		0 => 0,
		1 => MIN_BOND - 1,
		2 | 3 => MIN_BOND,
		4 => 500,
		5 => 5_000,
		6 => OPERATOR_FUNDS,
		_ => Balance::MAX,
	}
}

fn capacity(b: u8) -> u64 {
	match b % 8 {
		0 => 0,
		1 => 1,
		2 => 8 << 10,
		3 => 64 << 10,
		4 => 1 << 20,
		5 | 6 => 4 << 20,
		_ => u64::MAX,
	}
}

fn tier(b: u8) -> PinTier {
	PinTier::ALL[usize::from(b) % PinTier::ALL.len()]
}

/// Mostly `1..=MAX_PIN_ERAS`; sometimes zero, too many or `u32::MAX`.
fn eras(b: u8) -> u32 {
	match b % 16 {
		_ if b == 255 => u32::MAX,
		0 => 0,
		15 => MAX_PIN_ERAS + 1 + u32::from(b / 16 % 3),
		x => 1 + u32::from(x - 1) % MAX_PIN_ERAS,
	}
}

fn cid(kind: u8, arg: u8) -> CidSel {
	let spelling = match kind / 8 % 12 {
		0..=5 => Spelling::Binary,
		6 => Spelling::Base16,
		7 => Spelling::Base32,
		8 => Spelling::Base58,
		9 | 10 => Spelling::V0Binary,
		_ => Spelling::V0Text,
	};
	match kind % 8 {
		0..=2 => CidSel::Relevant { nth: arg, spelling },
		3 | 4 => CidSel::Pinned { nth: arg, spelling },
		5 | 6 => CidSel::Fresh(arg),
		_ => CidSel::Malformed(arg),
	}
}

fn size(kind: u8, arg: u8) -> SizeSel {
	SizeSel::Bytes(match kind % 16 {
		0..=5 => return SizeSel::Auto,
		6 => 0,
		7 => 1,
		8 => MAX_FILE_SIZE,
		9 => MAX_FILE_SIZE + 1,
		10 => u64::MAX,
		11 => 4096,
		12 => 2048 * u64::from(arg),
		_ => 1 + u64::from(arg) * 157 + u64::from(kind) * 13,
	})
}

fn report_mode(kind: u8, arg: u8) -> ReportMode {
	match kind % 16 {
		0..=6 => ReportMode::Real,
		7 => ReportMode::RealSubset(arg),
		8 | 9 => ReportMode::GarbageRoot(arg),
		10 => ReportMode::WrongSize(arg),
		11 => ReportMode::BadIndex(arg),
		12 => ReportMode::Duplicate,
		13 => ReportMode::BadPieceCid(arg),
		14 => ReportMode::AlreadyReported,
		_ => ReportMode::Empty,
	}
}

fn tier_config(r: &mut Reader<'_>) -> Option<TierConfigSel> {
	let kind = r.byte()?;
	if kind < 160 {
		return Some(TierConfigSel::Preset(kind));
	}
	let (k, n, m, period, price, grace) =
		(r.byte()?, r.byte()?, r.byte()?, r.byte()?, r.byte()?, r.byte()?);
	Some(TierConfigSel::Raw(TierConfig {
		k: u32::from(k % 7),
		n: u32::from(n % 8),
		m: u32::from(m % 8),
		audit_period: u32::from(period % 6),
		price_multiplier_percent: [0, 1, 50, 100, 250, u32::MAX][usize::from(price % 6)],
		grace_period: u32::from(grace % 4),
	}))
}

/// The valid configurations `TierConfigSel::Preset` picks from.
pub fn preset_tier_config(n: u8) -> TierConfig {
	let (k, n, m, audit_period, price_multiplier_percent, grace_period) = match n % 6 {
		0 => (2, 4, 3, 3, 200, 2),
		1 => (1, 3, 2, 2, 100, 1),
		2 => (1, 1, 1, 4, 50, 0),
		// No redundancy: k == m == n.
		3 => (2, 2, 2, 1, 100, 0),
		4 => (1, 5, 2, 1, 300, 3),
		_ => (2, 5, 3, 2, 150, 1),
	};
	TierConfig { k, n, m, audit_period, price_multiplier_percent, grace_period }
}
