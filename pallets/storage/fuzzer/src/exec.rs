//! Running actions: resolve selectors against the current state, dispatch through
//! `RuntimeCall::dispatch` (the real call path, origin checks included), run blocks with their
//! hooks, and check after every step.

use crate::{actions::*, runtime::*, Stats};
use cairn_storage_primitives::{
	hash_leaf, leaf_count, proof::root_of_leaf_hashes, prove, MerkleProof, LEAF_SIZE,
};
use frame::{
	deps::{sp_io, sp_runtime::StateVersion},
	testing_prelude::*,
	traits::Dispatchable,
};
use pallet_storage::{
	audit::LeafOf, Challenges, CidOf, FileId, FileRecord, Files, NextChallengeId, Operators,
	PieceIndex, PieceReport, PieceReportsOf, Pieces, StorageWorkers,
};

// ---------------------------------------------------------------------------------------------
// Known piece content
// ---------------------------------------------------------------------------------------------

/// The byte every leaf of piece `index` of file `file` is filled with when the harness reports
/// it as [`ReportMode::Real`]: the harness knows the content of every piece it reports that way,
/// so it can answer challenges with valid proofs.
pub fn piece_pattern(file: FileId, index: PieceIndex) -> u8 {
	blake2_256(&(b"cairn-fuzz/piece", file, index).encode())[0]
}

fn piece_leaf_hashes(file: FileId, index: PieceIndex, piece_size: u64) -> Option<Vec<[u8; 32]>> {
	let leaves = leaf_count(piece_size).ok()?;
	let leaf = [piece_pattern(file, index); LEAF_SIZE];
	Some(vec![hash_leaf(&leaf); leaves as usize])
}

/// The Merkle root of piece `index` of `file` with the known content, `piece_size` bytes.
pub fn piece_root(file: FileId, index: PieceIndex, piece_size: u64) -> H256 {
	piece_leaf_hashes(file, index, piece_size)
		.and_then(|hashes| root_of_leaf_hashes(&hashes).ok())
		.map(H256)
		.unwrap_or_default()
}

/// The leaf and Merkle path of leaf `leaf` of piece `index` of `file` with the known content.
fn known_proof(
	file: FileId,
	index: PieceIndex,
	piece_size: u64,
	leaf: u32,
) -> (Vec<u8>, MerkleProof) {
	let proof = piece_leaf_hashes(file, index, piece_size)
		.and_then(|hashes| prove(&hashes, leaf).ok())
		.unwrap_or_default();
	(vec![piece_pattern(file, index); LEAF_SIZE], proof)
}

// ---------------------------------------------------------------------------------------------
// CIDs
// ---------------------------------------------------------------------------------------------

/// CID number `n % 16` of the pool: even ones dag-pb (so they have CIDv0 spellings), odd ones
/// raw, all sha2-256.
pub fn pool_cid(n: u8) -> Vec<u8> {
	let n = n % 16;
	let codec = if n.is_multiple_of(2) { 0x70 } else { 0x55 };
	let mut bytes = vec![0x01, codec, 0x12, 0x20];
	bytes.extend_from_slice(&blake2_256(&(b"cairn-fuzz/cid", n).encode()));
	bytes
}

/// The CID of piece `index` of `file`.
fn piece_cid(file: FileId, index: PieceIndex) -> Vec<u8> {
	let mut bytes = vec![0x01, 0x55, 0x12, 0x20];
	bytes.extend_from_slice(&blake2_256(&(b"cairn-fuzz/piece-cid", file, index).encode()));
	bytes
}

fn malformed_cid(n: u8) -> Vec<u8> {
	let digest = blake2_256(&(b"cairn-fuzz/bad", n).encode());
	let mut v1 = vec![0x01, 0x55, 0x12, 0x20];
	v1.extend_from_slice(&digest);
	match n % 12 {
		0 => Vec::new(),
		1 => vec![0x01],
		// Identity multihash: inline data, nothing to pin.
		2 => vec![0x01, 0x55, 0x00, 0x04, 1, 2, 3, 4],
		// Non-minimal varint.
		3 => [&[0x01, 0xd5, 0x00][..], &v1[2..]].concat(),
		// Version 2.
		4 => [&[0x02][..], &v1[1..]].concat(),
		// Digest shorter than declared.
		5 => v1[..v1.len() - 1].to_vec(),
		// Trailing byte.
		6 => [&v1[..], &[0][..]].concat(),
		7 => b"b!!!!notbase32".to_vec(),
		8 => [&b"Qm"[..], &[b'0'; 44][..]].concat(),
		9 => b"fabc".to_vec(),
		// Zero-length digest.
		10 => vec![0x01, 0x55, 0x12, 0x00],
		_ => digest.iter().cycle().take(usize::from(n) % 128).copied().collect(),
	}
}

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const BASE58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

fn base32(bytes: &[u8]) -> Vec<u8> {
	let mut out = Vec::new();
	let (mut buffer, mut bits) = (0u32, 0u32);
	for byte in bytes {
		buffer = (buffer << 8) | u32::from(*byte);
		bits += 8;
		while bits >= 5 {
			bits -= 5;
			out.push(BASE32[((buffer >> bits) & 31) as usize]);
		}
		buffer &= (1 << bits) - 1;
	}
	if bits > 0 {
		out.push(BASE32[((buffer << (5 - bits)) & 31) as usize]);
	}
	out
}

fn base58(bytes: &[u8]) -> Vec<u8> {
	let zeros = bytes.iter().take_while(|b| **b == 0).count();
	// Little-endian base-58 digits.
	let mut digits: Vec<u8> = Vec::new();
	for byte in bytes {
		let mut carry = u32::from(*byte);
		for digit in digits.iter_mut() {
			carry += u32::from(*digit) << 8;
			*digit = (carry % 58) as u8;
			carry /= 58;
		}
		while carry > 0 {
			digits.push((carry % 58) as u8);
			carry /= 58;
		}
	}
	let mut out = vec![b'1'; zeros];
	out.extend(digits.iter().rev().map(|d| BASE58[usize::from(*d)]));
	out
}

/// `canonical` (a binary CIDv1) spelled as `spelling`.
pub(crate) fn spell(canonical: &[u8], spelling: Spelling) -> Vec<u8> {
	let v0 = (canonical.len() == 36 && canonical[..4] == [0x01, 0x70, 0x12, 0x20])
		.then(|| &canonical[2..]);
	match (spelling, v0) {
		(Spelling::Binary, _) => canonical.to_vec(),
		(Spelling::Base16, _) => {
			let mut out = b"f".to_vec();
			for byte in canonical {
				out.extend_from_slice(format!("{byte:02x}").as_bytes());
			}
			out
		}
		(Spelling::Base32, _) => [&b"b"[..], &base32(canonical)].concat(),
		(Spelling::Base58, _) => [&b"z"[..], &base58(canonical)].concat(),
		(Spelling::V0Binary, Some(v0)) => v0.to_vec(),
		(Spelling::V0Text, Some(v0)) => base58(v0),
		(_, None) => canonical.to_vec(),
	}
}

/// Pinned file ids, in order.
fn file_ids() -> Vec<FileId> {
	let mut ids: Vec<FileId> = Files::<Runtime>::iter_keys().collect();
	ids.sort_unstable();
	ids
}

/// A resolved CID argument: its bytes and the pinned file it names, if any.
struct ResolvedCid {
	bytes: Vec<u8>,
	file: Option<(FileId, FileRecord<Runtime>)>,
}

impl ResolvedCid {
	fn cid(&self) -> CidOf<Runtime> {
		BoundedVec::truncate_from(self.bytes.clone())
	}
}

/// Which files a call can act on, for [`CidSel::Relevant`].
type Relevance = fn(FileId, &FileRecord<Runtime>) -> bool;

/// Any file.
fn any_file(_: FileId, _: &FileRecord<Runtime>) -> bool {
	true
}

/// Paid-up files.
fn funded(_: FileId, file: &FileRecord<Runtime>) -> bool {
	file.is_funded()
}

/// Files with a piece to report.
fn awaiting_placement(id: FileId, _: &FileRecord<Runtime>) -> bool {
	pallet_storage::AwaitingPlacement::<Runtime>::contains_key(id)
}

/// Files with a reported piece to confirm.
fn awaiting_confirmation(id: FileId, _: &FileRecord<Runtime>) -> bool {
	Pieces::<Runtime>::iter_prefix_values(id)
		.any(|p| p.content.is_some() && !p.confirmed && !p.awaits_repair())
}

/// Files with a piece to rebuild.
fn awaiting_repair(id: FileId, _: &FileRecord<Runtime>) -> bool {
	Pieces::<Runtime>::iter_prefix_values(id).any(|p| p.awaits_repair())
}

fn resolve_cid(sel: CidSel, relevant: Relevance) -> ResolvedCid {
	let bytes = match sel {
		CidSel::Relevant { nth, spelling } | CidSel::Pinned { nth, spelling } => {
			let mut ids = file_ids();
			if matches!(sel, CidSel::Relevant { .. }) {
				let relevant: Vec<FileId> = ids
					.iter()
					.copied()
					.filter(|id| Files::<Runtime>::get(id).is_some_and(|f| relevant(*id, &f)))
					.collect();
				if !relevant.is_empty() {
					ids = relevant;
				}
			}
			if ids.is_empty() {
				pool_cid(nth)
			} else {
				let id = ids[usize::from(nth) % ids.len()];
				let file = Files::<Runtime>::get(id).expect("listed files exist");
				return ResolvedCid { bytes: spell(&file.cid, spelling), file: Some((id, file)) };
			}
		}
		CidSel::Fresh(n) => pool_cid(n),
		CidSel::Malformed(n) => malformed_cid(n),
	};
	let file =
		pallet_storage::FileIds::<Runtime>::get(CidOf::<Runtime>::truncate_from(bytes.clone()))
			.and_then(|id| Files::<Runtime>::get(id).map(|f| (id, f)));
	ResolvedCid { bytes, file }
}

// ---------------------------------------------------------------------------------------------
// Origins
// ---------------------------------------------------------------------------------------------

/// The origin of a call; `auto` gives the contextual account of [`Origin::Auto`] (`None`: root,
/// for the admin calls).
fn origin_of(origin: Origin, auto: impl FnOnce(u8) -> Option<AccountId>) -> RuntimeOrigin {
	match origin {
		Origin::Root => RuntimeOrigin::root(),
		Origin::None => RuntimeOrigin::none(),
		Origin::Signed(who) => RuntimeOrigin::signed(who),
		Origin::Auto(b) => match auto(b) {
			Some(who) => RuntimeOrigin::signed(who),
			None => RuntimeOrigin::root(),
		},
	}
}

/// A registered operator (the `b`-th, in account order), or an operator account if none.
fn registered_operator(
	b: u8,
	filter: impl Fn(&pallet_storage::OperatorRecord<Runtime>) -> bool,
) -> AccountId {
	let mut operators: Vec<AccountId> =
		Operators::<Runtime>::iter().filter(|(_, r)| filter(r)).map(|(who, _)| who).collect();
	operators.sort_unstable();
	if operators.is_empty() {
		OPERATORS[usize::from(b) % OPERATORS.len()]
	} else {
		operators[usize::from(b) % operators.len()]
	}
}

fn storage_worker(b: u8) -> AccountId {
	let workers = StorageWorkers::<Runtime>::get();
	if workers.is_empty() {
		WORKER
	} else {
		workers[usize::from(b) % workers.len()]
	}
}

fn owner_of(cid: &ResolvedCid) -> AccountId {
	cid.file.as_ref().map(|(_, f)| f.owner).unwrap_or(USER)
}

// ---------------------------------------------------------------------------------------------
// Actions to calls
// ---------------------------------------------------------------------------------------------

type StorageCall = pallet_storage::Call<Runtime>;

fn bounded<S: Get<u32>>(bytes: Vec<u8>) -> BoundedVec<u8, S> {
	BoundedVec::truncate_from(bytes)
}

fn region_arg(b: u8) -> Vec<u8> {
	if b.is_multiple_of(8) {
		Vec::new()
	} else {
		region(b)
	}
}

fn peer_arg(b: u8) -> Vec<u8> {
	if b.is_multiple_of(8) {
		Vec::new()
	} else {
		peer(b)
	}
}

fn tier_config_of(sel: TierConfigSel) -> pallet_storage::TierConfig {
	match sel {
		TierConfigSel::Preset(n) => preset_tier_config(n),
		TierConfigSel::Raw(config) => config,
	}
}

fn report(index: PieceIndex, cid: Vec<u8>, size: u64, root: H256) -> PieceReport<CidOf<Runtime>> {
	PieceReport { index, cid: bounded(cid), size, root }
}

fn reports_of(cid: &ResolvedCid, mode: ReportMode) -> PieceReportsOf<Runtime> {
	let (file_id, n, piece_size) = match &cid.file {
		Some((id, f)) => (*id, f.n, f.piece_size),
		None => (0, 1, 4096),
	};
	let pieces: Vec<(PieceIndex, bool)> = (0..n)
		.map(|i| {
			let reported = Pieces::<Runtime>::get(file_id, i).is_some_and(|p| p.content.is_some());
			(i, reported)
		})
		.collect();
	let unreported: Vec<PieceIndex> = pieces.iter().filter(|(_, r)| !r).map(|(i, _)| *i).collect();
	let first = unreported.first().copied().unwrap_or(0);
	let real = |i: PieceIndex| {
		report(i, piece_cid(file_id, i), piece_size, piece_root(file_id, i, piece_size))
	};
	let reports: Vec<_> = match mode {
		ReportMode::Real => unreported.iter().map(|i| real(*i)).collect(),
		ReportMode::RealSubset(mask) => unreported
			.iter()
			.enumerate()
			.filter(|(bit, _)| mask & (1 << (bit % 8)) != 0)
			.map(|(_, i)| real(*i))
			.collect(),
		ReportMode::GarbageRoot(salt) => unreported
			.iter()
			.map(|i| {
				let root = H256(blake2_256(&(b"garbage", salt, *i).encode()));
				report(*i, piece_cid(file_id, *i), piece_size, root)
			})
			.collect(),
		ReportMode::WrongSize(b) => {
			let size = match b % 4 {
				0 => 0,
				1 => piece_size.saturating_sub(1),
				2 => piece_size.saturating_add(LEAF_SIZE as u64),
				_ => u64::MAX,
			};
			vec![report(
				first,
				piece_cid(file_id, first),
				size,
				piece_root(file_id, first, piece_size),
			)]
		}
		ReportMode::BadIndex(b) => {
			let index = n.saturating_add(u32::from(b % 3));
			vec![report(index, piece_cid(file_id, index), piece_size, H256::zero())]
		}
		ReportMode::Duplicate => vec![real(first), real(first)],
		ReportMode::BadPieceCid(b) => {
			vec![report(
				first,
				malformed_cid(b),
				piece_size,
				piece_root(file_id, first, piece_size),
			)]
		}
		ReportMode::AlreadyReported => {
			let done: Vec<_> = pieces.iter().filter(|(_, r)| *r).map(|(i, _)| real(*i)).collect();
			if done.is_empty() {
				vec![real(0)]
			} else {
				done
			}
		}
		ReportMode::Empty => Vec::new(),
	};
	BoundedVec::truncate_from(reports)
}

fn repair_reports_of(cid: &ResolvedCid, mode: ReportMode) -> PieceReportsOf<Runtime> {
	let Some((file_id, file)) = &cid.file else { return reports_of(cid, mode) };
	let mut pieces: Vec<_> = Pieces::<Runtime>::iter_prefix(*file_id).collect();
	pieces.sort_unstable_by_key(|(i, _)| *i);
	let recorded = |i: PieceIndex, p: &pallet_storage::PieceRecord<Runtime>| {
		let content = p.content.clone().unwrap_or(pallet_storage::PieceContent {
			cid: bounded(piece_cid(*file_id, i)),
			size: file.piece_size,
			root: piece_root(*file_id, i, file.piece_size),
		});
		PieceReport { index: i, cid: content.cid, size: content.size, root: content.root }
	};
	let awaiting: Vec<_> =
		pieces.iter().filter(|(_, p)| p.awaits_repair()).map(|(i, p)| recorded(*i, p)).collect();
	let first = awaiting.first().cloned().unwrap_or_else(|| {
		pieces
			.first()
			.map(|(i, p)| recorded(*i, p))
			.unwrap_or_else(|| report(0, pool_cid(0), 0, H256::zero()))
	});
	let reports: Vec<_> = match mode {
		ReportMode::Real => awaiting,
		ReportMode::RealSubset(mask) => awaiting
			.into_iter()
			.enumerate()
			.filter(|(bit, _)| mask & (1 << (bit % 8)) != 0)
			.map(|(_, r)| r)
			.collect(),
		ReportMode::GarbageRoot(salt) => awaiting
			.into_iter()
			.map(|r| PieceReport {
				root: H256(blake2_256(&(b"garbage", salt, r.index).encode())),
				..r
			})
			.collect(),
		ReportMode::WrongSize(b) => {
			vec![PieceReport { size: first.size.wrapping_add(u64::from(b) + 1), ..first }]
		}
		ReportMode::BadIndex(b) => {
			vec![PieceReport { index: file.n.saturating_add(u32::from(b % 3)), ..first }]
		}
		ReportMode::Duplicate => vec![first.clone(), first],
		// Another valid CID for the piece, or a malformed one.
		ReportMode::BadPieceCid(b) => vec![PieceReport {
			cid: bounded(if b % 2 == 0 { pool_cid(b) } else { malformed_cid(b) }),
			..first
		}],
		ReportMode::AlreadyReported => pieces
			.iter()
			.filter(|(_, p)| !p.awaits_repair())
			.map(|(i, p)| recorded(*i, p))
			.collect(),
		ReportMode::Empty => Vec::new(),
	};
	BoundedVec::truncate_from(reports)
}

fn proof_of(
	challenge: ChallengeSel,
	mode: ProofMode,
) -> (u64, Option<AccountId>, LeafOf, MerkleProof) {
	let mut outstanding: Vec<_> = Challenges::<Runtime>::iter().collect();
	outstanding.sort_unstable_by_key(|(id, _)| *id);
	let (id, challenge) = match challenge {
		ChallengeSel::Outstanding(nth) if !outstanding.is_empty() => {
			outstanding.swap_remove(usize::from(nth) % outstanding.len())
		}
		ChallengeSel::Outstanding(nth) | ChallengeSel::Unknown(nth) => {
			let next = NextChallengeId::<Runtime>::get();
			// Half the time an id already used (answered or expired), else one not issued yet.
			let id = if nth % 2 == 0 {
				next.saturating_sub(1 + u64::from(nth / 2))
			} else {
				next.saturating_add(u64::from(nth / 2))
			};
			return (id, None, LeafOf::default(), MerkleProof::default());
		}
	};
	let piece_size = Files::<Runtime>::get(challenge.file).map(|f| f.piece_size).unwrap_or(4096);
	let leaves = leaf_count(piece_size).unwrap_or(1);
	let (file, index, at) = (challenge.file, challenge.index, challenge.leaf_index);
	let (mut leaf, mut proof) = known_proof(file, index, piece_size, at);
	match mode {
		ProofMode::Correct => {}
		ProofMode::WrongLeaf => leaf[0] ^= 1,
		ProofMode::OtherLeaf => {
			(leaf, proof) = known_proof(file, index.wrapping_add(1), piece_size, (at + 1) % leaves);
		}
		ProofMode::Truncated => {
			let mut siblings = proof.siblings.into_inner();
			siblings.pop();
			proof.siblings = siblings.try_into().expect("shorter still fits");
		}
		ProofMode::Extended => {
			let mut siblings = proof.siblings.into_inner();
			siblings.push([7; 32]);
			siblings.truncate(cairn_storage_primitives::MAX_PROOF_DEPTH as usize);
			proof.siblings = siblings.try_into().expect("truncated to the bound");
		}
		ProofMode::ShortLeaf(len) => leaf.truncate(usize::from(len) % LEAF_SIZE),
	}
	(id, Some(challenge.operator), BoundedVec::truncate_from(leaf), proof)
}

/// The call an action makes, its name and its origin; `None` for `AdvanceBlocks`.
///
/// Adding a call of the pallet: one arm here (and its variant and decoder in `actions.rs`).
fn call_of(action: &Action) -> Option<(&'static str, RuntimeOrigin, StorageCall)> {
	Some(match action.clone() {
		Action::RegisterOperator { origin, bond, capacity, region, peer } => (
			"register_operator",
			origin_of(origin, |b| Some(OPERATORS[usize::from(b) % OPERATORS.len()])),
			StorageCall::register_operator {
				bond,
				capacity_bytes: capacity,
				region: bounded(region_arg(region)),
				ipfs_peer: bounded(peer_arg(peer)),
			},
		),
		Action::UpdateOperator { origin, bond, capacity, region, peer } => (
			"update_operator",
			origin_of(origin, |b| Some(registered_operator(b, |_| true))),
			StorageCall::update_operator {
				bond,
				capacity_bytes: capacity,
				region: region.map(|r| bounded(region_arg(r))),
				ipfs_peer: peer.map(|p| bounded(peer_arg(p))),
			},
		),
		Action::DeclareOnline { origin } => (
			"declare_online",
			origin_of(origin, |b| Some(registered_operator(b, |r| r.offline_since.is_some()))),
			StorageCall::declare_online {},
		),
		Action::UnregisterOperator { origin } => (
			"unregister_operator",
			origin_of(origin, |b| Some(registered_operator(b, |_| true))),
			StorageCall::unregister_operator {},
		),
		Action::WithdrawBond { origin } => (
			"withdraw_bond",
			origin_of(origin, |b| {
				Some(registered_operator(b, |r| {
					matches!(r.status, pallet_storage::OperatorStatus::Leaving { .. })
				}))
			}),
			StorageCall::withdraw_bond {},
		),
		Action::ClaimRewards { origin } => (
			"claim_rewards",
			origin_of(origin, |b| Some(registered_operator(b, |_| true))),
			StorageCall::claim_rewards {},
		),
		Action::SetTierConfig { origin, tier, config } => (
			"set_tier_config",
			origin_of(origin, |_| None),
			StorageCall::set_tier_config { tier, config: tier_config_of(config) },
		),
		Action::AddStorageWorker { origin, who } => (
			"add_storage_worker",
			origin_of(origin, |_| None),
			StorageCall::add_storage_worker { who },
		),
		Action::RemoveStorageWorker { origin, who } => (
			"remove_storage_worker",
			origin_of(origin, |_| None),
			StorageCall::remove_storage_worker { who },
		),
		Action::RequestPin { origin, cid, size, tier, eras, key } => {
			let cid = resolve_cid(cid, any_file);
			let existing = cid.file.as_ref().map(|(_, f)| (f.size, f.tier));
			let size_bytes = match size {
				SizeSel::Auto => existing.map(|(s, _)| s).unwrap_or(4096),
				SizeSel::Bytes(s) => s,
			};
			let tier = match tier {
				TierSel::Auto => {
					existing.map(|(_, t)| t).unwrap_or(pallet_storage::PinTier::Standard)
				}
				TierSel::Tier(t) => t,
			};
			let origin = origin_of(origin, |b| Some(if b % 3 == 0 { OTHER_USER } else { USER }));
			// An encrypted request for a public pin would only fail (a unit test covers it).
			let public = cid.file.as_ref().is_some_and(|(_, f)| f.wrapped_key.is_none());
			match key.filter(|_| !public) {
				None => (
					"request_pin",
					origin,
					StorageCall::request_pin { cid: cid.cid(), size_bytes, tier, eras },
				),
				Some(b) => {
					let len = 1 + usize::from(b) % pallet_storage::MAX_WRAPPED_KEY_LEN as usize;
					// Funding an encrypted pin repeats its key, so that encrypted requests change
					// the course of a run no more than public ones (the key mismatch is a unit
					// test of the pallet).
					let existing = cid.file.as_ref().and_then(|(_, f)| f.wrapped_key.clone());
					let wrapped_key =
						existing.unwrap_or_else(|| BoundedVec::truncate_from(vec![b; len]));
					(
						"request_encrypted_pin",
						origin,
						StorageCall::request_encrypted_pin {
							cid: cid.cid(),
							size_bytes,
							tier,
							eras,
							wrapped_key,
						},
					)
				}
			}
		}
		Action::RenewPin { origin, cid, eras } => {
			let cid = resolve_cid(cid, any_file);
			let owner = owner_of(&cid);
			(
				"renew_pin",
				origin_of(origin, |b| Some(if b % 4 == 0 { OTHER_USER } else { owner })),
				StorageCall::renew_pin { cid: cid.cid(), eras },
			)
		}
		Action::ChangeTier { origin, cid, tier } => {
			let cid = resolve_cid(cid, funded);
			let owner = owner_of(&cid);
			(
				"change_tier",
				origin_of(origin, |_| Some(owner)),
				StorageCall::change_tier { cid: cid.cid(), tier },
			)
		}
		Action::Unpin { origin, cid } => {
			let cid = resolve_cid(cid, any_file);
			let owner = owner_of(&cid);
			("unpin", origin_of(origin, |_| Some(owner)), StorageCall::unpin { cid: cid.cid() })
		}
		Action::ReportPlacement { origin, cid, mode } => {
			let cid = resolve_cid(cid, awaiting_placement);
			let pieces = reports_of(&cid, mode);
			(
				"report_placement",
				origin_of(origin, |b| Some(storage_worker(b))),
				StorageCall::report_placement { cid: cid.cid(), pieces },
			)
		}
		Action::ReportPinFailed { origin, cid, reason } => {
			let cid = resolve_cid(cid, awaiting_placement);
			(
				"report_pin_failed",
				origin_of(origin, |b| Some(storage_worker(b))),
				StorageCall::report_pin_failed { cid: cid.cid(), reason },
			)
		}
		Action::ConfirmPiece { origin, cid, index } => {
			let cid = resolve_cid(cid, awaiting_confirmation);
			let file_id = cid.file.as_ref().map(|(id, _)| *id);
			let index = match index {
				IndexSel::Raw(i) => i,
				IndexSel::Auto => file_id
					.and_then(|id| {
						let mut pieces: Vec<_> = Pieces::<Runtime>::iter_prefix(id).collect();
						pieces.sort_unstable_by_key(|(i, _)| *i);
						let pending = |p: &pallet_storage::PieceRecord<Runtime>| {
							p.content.is_some() && !p.confirmed
						};
						let confirmable =
							pieces.iter().find(|(_, p)| pending(p) && !p.awaits_repair());
						confirmable
							.or_else(|| pieces.iter().find(|(_, p)| pending(p)))
							.map(|(i, _)| *i)
					})
					.unwrap_or(0),
			};
			let operator =
				file_id.and_then(|id| Pieces::<Runtime>::get(id, index)).map(|p| p.operator);
			(
				"confirm_piece",
				origin_of(origin, |b| {
					Some(operator.unwrap_or(OPERATORS[usize::from(b) % OPERATORS.len()]))
				}),
				StorageCall::confirm_piece { cid: cid.cid(), index },
			)
		}
		Action::SubmitProof { origin, challenge, mode } => {
			let (challenge, operator, leaf, proof) = proof_of(challenge, mode);
			(
				"submit_proof",
				origin_of(origin, |b| {
					Some(operator.unwrap_or(OPERATORS[usize::from(b) % OPERATORS.len()]))
				}),
				StorageCall::submit_proof { challenge, leaf, proof },
			)
		}
		Action::ReportOperatorOffline { origin, operator } => (
			"report_operator_offline",
			origin_of(origin, |b| Some(storage_worker(b))),
			StorageCall::report_operator_offline {
				operator: match operator {
					OperatorSel::Registered(nth) => registered_operator(nth, |_| true),
					OperatorSel::Account(who) => who,
				},
			},
		),
		Action::ReportRepair { origin, cid, mode } => {
			let cid = resolve_cid(cid, awaiting_repair);
			let pieces = repair_reports_of(&cid, mode);
			(
				"report_repair",
				origin_of(origin, |b| Some(storage_worker(b))),
				StorageCall::report_repair { cid: cid.cid(), pieces },
			)
		}
		Action::AdvanceBlocks { .. } => return None,
	})
}

// ---------------------------------------------------------------------------------------------
// Running and checking
// ---------------------------------------------------------------------------------------------

/// Most blocks one input may run (bounds the time of one run).
pub const MAX_BLOCKS: u64 = 2_000;

/// Checks the pallet's invariants; panics with `context` if one is broken.
fn check(context: &dyn Fn() -> String) {
	if let Err(error) = CairnStorage::do_try_state() {
		panic!("invariant broken: {error:?} (after {})", context());
	}
}

/// Counts the pallet's events so far and clears them.
fn collect_events(stats: &mut Stats) {
	for record in System::events() {
		if let RuntimeEvent::CairnStorage(event) = record.event {
			let name = match &event {
				pallet_storage::Event::FileStateChanged { to, .. } => format!("FileState->{to:?}"),
				pallet_storage::Event::AuditFailed { reason, .. } => {
					format!("AuditFailed({reason:?})")
				}
				pallet_storage::Event::PinRemoved { reason, .. } => {
					format!("PinRemoved({reason:?})")
				}
				other => {
					let debug = format!("{other:?}");
					let debug = debug.strip_prefix("Event::").unwrap_or(&debug);
					debug.split([' ', '{', '(']).next().unwrap_or_default().to_string()
				}
			};
			*stats.events.entry(name).or_default() += 1;
		}
	}
	System::reset_events();
}

fn storage_root() -> Vec<u8> {
	sp_io::storage::root(StateVersion::V1)
}

/// Runs one action in the current externalities, checking everything after it.
pub(crate) fn step(action: &Action, stats: &mut Stats) {
	stats.actions += 1;
	collect_events(stats);
	match call_of(action) {
		Some((name, origin, call)) => {
			let before = storage_root();
			let call = RuntimeCall::CairnStorage(call);
			let result = call.clone().dispatch(origin.clone());
			let entry = stats.per_call.entry(name).or_default();
			entry.calls += 1;
			stats.calls += 1;
			match result {
				Ok(_) => {
					entry.ok += 1;
					stats.succeeded += 1;
				}
				Err(error) => {
					let after = storage_root();
					assert!(
						before == after,
						"failed call changed storage: {name} (from {:?}: {:?})\n{call:?}",
						origin.caller(),
						error.error,
					);
					let reason: &'static str = error.error.into();
					*stats.errors.entry(format!("{name}: {reason}")).or_default() += 1;
					// The state is the one already checked.
					return;
				}
			}
			check(&|| format!("{name} ({action:?})"));
			collect_events(stats);
		}
		None => {
			let Action::AdvanceBlocks { blocks, audit_randomness } = *action else {
				unreachable!("call_of maps every other action to a call")
			};
			AuditSeed::set(audit_randomness.then_some(RandomSeed::get()));
			for _ in 0..blocks {
				if stats.blocks >= MAX_BLOCKS {
					break;
				}
				let next = System::block_number() + 1;
				System::run_to_block::<AllPalletsWithSystem>(next);
				stats.blocks += 1;
				check(&|| format!("block {next}"));
				collect_events(stats);
			}
			AuditSeed::set(Some(RandomSeed::get()));
		}
	}
}
