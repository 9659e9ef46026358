//! pallet-storage's audits through the real runtime: challenges drawn from the parent block's
//! BABE VRF output, proofs of real pieces checked against the roots the storage worker reported,
//! and every outcome — pass, wrong proof, containment and failure after the re-verifications,
//! suspension, disqualification, the end of vetting — with the runtime's own parameters,
//! balances and holds. The pallet's invariants are checked after every call and every block.
//!
//! Blocks are run as block import runs them, without the executive: `on_finalize` of every
//! pallet, `System::finalize`, then `System::initialize` with a header digest that carries a
//! primary BABE pre-digest signed with Alice's VRF key (the dev chain's only authority),
//! `on_initialize` of every pallet, and the timestamp inherent. So BABE itself records each
//! block's VRF output (`AuthorVrfRandomness`), and `Storage::on_initialize` reads it through
//! `ParentBlockRandomness` exactly as on the chain.

#![allow(clippy::expect_used)]

mod common;

use cairn_runtime::{
	configs::EpochDuration, AccountId, AllPalletsWithSystem, Babe, Balance, Balances, BlockNumber,
	Runtime, RuntimeCall, RuntimeHoldReason, RuntimeOrigin, Storage, System, SLOT_DURATION, UNIT,
};
use cairn_storage_primitives::{piece_root, prove_piece, MerkleProof, LEAF_SIZE};
use codec::Encode;
use common::{
	call, check_invariants, cid, genesis_of, register_operators, registration, signed,
	storage_events, who, OPERATORS, SIZE,
};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::DispatchResult,
	traits::{
		fungible::{Inspect, InspectHold},
		Get, OnFinalize, OnInitialize,
	},
	BoundedVec,
};
use pallet_storage::{
	audit::LeafOf, AuditFailure, Call as StorageCall, Challenge, ChallengeId, Challenges, CidOf,
	EligibleOperators, Error, Event, FileId, FileState, Files, HoldReason, OperatorStatus,
	PieceIndex, PieceReport, PinTier, Reputation, Reputations, Standing,
};
use sp_consensus_babe::{
	digests::{PreDigest, PrimaryPreDigest},
	Randomness as VrfOutput, Slot, BABE_ENGINE_ID,
};
use sp_core::{crypto::VrfSecret, H256};
use sp_genesis_builder::DEV_RUNTIME_PRESET;
use sp_keyring::Sr25519Keyring::{Alice, Bob, Ferdie};
use sp_runtime::{traits::Dispatchable, Digest, DigestItem, Perbill};

type AuditOf = Challenge<AccountId, BlockNumber>;

// ---------------------------------------------------------------------------------------------
// Blocks authored by Alice with real BABE VRF outputs
// ---------------------------------------------------------------------------------------------

thread_local! {
	/// Alice's sr25519 key: she is the dev chain's only BABE authority, so she authors every
	/// block. (Derived once: key derivation is slow in debug builds.)
	static ALICE: sp_core::sr25519::Pair = Alice.pair();
}

/// The epoch randomness and index the author of block `number` at `slot` signs with: the
/// current epoch's, or, when the block opens the next epoch, the randomness BABE announced for
/// it (BABE rotates in `on_initialize`, before it checks the VRF in `on_finalize`).
fn epoch_of(number: BlockNumber, slot: Slot) -> (VrfOutput, u64) {
	let duration = EpochDuration::get();
	let opens_epoch = number > 1 && *slot >= *Babe::current_epoch_start() + duration;
	if opens_epoch {
		let genesis_slot = pallet_babe::GenesisSlot::<Runtime>::get();
		(
			pallet_babe::NextRandomness::<Runtime>::get(),
			sp_consensus_babe::epoch_index(slot, genesis_slot, duration),
		)
	} else {
		(pallet_babe::Randomness::<Runtime>::get(), pallet_babe::EpochIndex::<Runtime>::get())
	}
}

/// Alice's primary BABE pre-digest for block `number` at `slot`: her VRF signature over the
/// epoch's transcript, which BABE checks and turns into the block's VRF output.
fn babe_pre_digest(number: BlockNumber, slot: Slot) -> Digest {
	let (randomness, epoch) = epoch_of(number, slot);
	let transcript = sp_consensus_babe::make_vrf_sign_data(&randomness, slot, epoch);
	let vrf_signature = ALICE.with(|alice| alice.vrf_sign(&transcript));
	let pre_digest =
		PreDigest::Primary(PrimaryPreDigest { authority_index: 0, slot, vrf_signature });
	Digest { logs: vec![DigestItem::PreRuntime(BABE_ENGINE_ID, pre_digest.encode())] }
}

/// Ends the current block and runs the next one up to its extrinsics (slot = block number).
fn next_block() {
	let now = System::block_number();
	let parent_hash = if now > 0 {
		let parent_output = pallet_babe::AuthorVrfRandomness::<Runtime>::get();
		AllPalletsWithSystem::on_finalize(now);
		// BABE verified the VRF signature (a debug assertion) and recorded a fresh output.
		let output = pallet_babe::AuthorVrfRandomness::<Runtime>::get();
		assert!(output.is_some() && output != parent_output, "block {now} has a new VRF output");
		System::finalize().hash()
	} else {
		System::parent_hash()
	};
	let number = now + 1;
	let slot = Slot::from(u64::from(number));
	System::reset_events();
	System::initialize(&number, &parent_hash, &babe_pre_digest(number, slot));
	AllPalletsWithSystem::on_initialize(number);
	System::note_finished_initialize();
	assert_ok!(RuntimeCall::Timestamp(pallet_timestamp::Call::set { now: *slot * SLOT_DURATION })
		.dispatch(RuntimeOrigin::none()));
	check_invariants();
}

/// The dev chain after block 1, with Bob, Charlie, Dave and Eve registered (all vetting).
fn dev() -> sp_io::TestExternalities {
	let mut ext = genesis_of(DEV_RUNTIME_PRESET);
	ext.execute_with(|| {
		let author: sp_consensus_babe::AuthorityId = Alice.public().into();
		assert_eq!(Babe::authorities()[0].0, author, "authority 0 authors every block");
		next_block();
		register_operators();
	});
	ext
}

// ---------------------------------------------------------------------------------------------
// Pieces with known contents, and the operators' answers
// ---------------------------------------------------------------------------------------------

/// Content of piece `index` of file `file`: every 32-byte chunk differs, so no two leaves of any
/// pieces are alike.
fn piece_bytes(file: FileId, index: PieceIndex, size: u64) -> Vec<u8> {
	(0..size / 32)
		.flat_map(|chunk| sp_io::hashing::blake2_256(&(file, index, chunk).encode()))
		.collect()
}

/// The CIDv1 (raw codec, sha2-256) IPFS gives `bytes`.
fn raw_cid(bytes: &[u8]) -> CidOf<Runtime> {
	let mut cid = vec![0x01, 0x55, 0x12, 0x20];
	cid.extend(sp_io::hashing::sha2_256(bytes));
	BoundedVec::truncate_from(cid)
}

/// Ferdie pins `cid(seed)`; Alice, the storage worker, reports every piece with the Merkle root
/// of its contents; each assigned operator confirms. Returns the file's id.
fn store(seed: u8, tier: PinTier, eras: u32) -> FileId {
	assert_ok!(call(
		signed(Ferdie),
		StorageCall::request_pin { cid: cid(seed), size_bytes: SIZE, tier, eras }
	));
	let info = Storage::file(cid(seed)).expect("pinned");
	let size = info.record.piece_size;
	let reports = info
		.pieces
		.iter()
		.map(|(index, _)| {
			let bytes = piece_bytes(info.file_id, *index, size);
			let root = H256(piece_root(&bytes).expect("whole leaves"));
			PieceReport { index: *index, cid: raw_cid(&bytes), size, root }
		})
		.collect::<Vec<_>>();
	assert_ok!(call(
		signed(Alice),
		StorageCall::report_placement {
			cid: cid(seed),
			pieces: BoundedVec::truncate_from(reports)
		}
	));
	for (index, piece) in &info.pieces {
		assert_ok!(call(
			RuntimeOrigin::signed(piece.operator.clone()),
			StorageCall::confirm_piece { cid: cid(seed), index: *index }
		));
	}
	assert_eq!(Storage::file(cid(seed)).expect("pinned").record.state, FileState::Stored);
	info.file_id
}

/// The outstanding challenges, oldest first.
fn challenges() -> Vec<(ChallengeId, AuditOf)> {
	let mut all = Challenges::<Runtime>::iter().collect::<Vec<_>>();
	all.sort_by_key(|(id, _)| *id);
	all
}

fn challenge_of(operator: &AccountId) -> Option<(ChallengeId, AuditOf)> {
	challenges().into_iter().find(|(_, c)| &c.operator == operator)
}

/// The CID of the challenged file.
fn cid_of(challenge: &AuditOf) -> CidOf<Runtime> {
	Files::<Runtime>::get(challenge.file).expect("challenged files exist").cid
}

/// The challenged leaf and its Merkle path: what an honest operator's agent submits.
fn proof_for(challenge: &AuditOf) -> (LeafOf, MerkleProof) {
	let size = Files::<Runtime>::get(challenge.file).expect("file").piece_size;
	let bytes = piece_bytes(challenge.file, challenge.index, size);
	let at = challenge.leaf_index as usize * LEAF_SIZE;
	let leaf = BoundedVec::try_from(bytes[at..at + LEAF_SIZE].to_vec()).expect("one leaf");
	(leaf, prove_piece(&bytes, challenge.leaf_index).expect("the leaf exists"))
}

/// The challenged leaf with one bit flipped, and its right path: a wrong proof.
fn wrong_proof_for(challenge: &AuditOf) -> (LeafOf, MerkleProof) {
	let (mut leaf, proof) = proof_for(challenge);
	leaf[0] ^= 1;
	(leaf, proof)
}

fn submit(operator: &AccountId, id: ChallengeId, answer: (LeafOf, MerkleProof)) -> DispatchResult {
	call(
		RuntimeOrigin::signed(operator.clone()),
		StorageCall::submit_proof { challenge: id, leaf: answer.0, proof: answer.1 },
	)
}

/// Answers correctly every outstanding challenge `honest` picks, checking each passes.
fn answer(honest: &dyn Fn(&AuditOf) -> bool) {
	for (id, c) in challenges().into_iter().filter(|(_, c)| honest(c)) {
		assert_ok!(submit(&c.operator, id, proof_for(&c)));
		assert!(storage_events()
			.iter()
			.any(|e| matches!(e, Event::AuditPassed { challenge, .. } if *challenge == id)));
	}
}

/// Runs blocks, the agents answering the challenges `honest` picks, until `done` holds.
fn run_until(max_blocks: u32, honest: &dyn Fn(&AuditOf) -> bool, done: &dyn Fn() -> bool) {
	for _ in 0..max_blocks {
		next_block();
		answer(honest);
		if done() {
			return;
		}
	}
	panic!("not done after {max_blocks} blocks (now at block {})", System::block_number());
}

/// Runs blocks up to block `to`, the agents answering the challenges `honest` picks.
fn run_to(to: BlockNumber, honest: &dyn Fn(&AuditOf) -> bool) {
	while System::block_number() < to {
		next_block();
		answer(honest);
	}
}

/// Runs blocks, everyone else answering, until `operator` is challenged; returns the challenge.
fn next_challenge_of(operator: &AccountId, max_blocks: u32) -> (ChallengeId, AuditOf) {
	let others = |c: &AuditOf| &c.operator != operator;
	run_until(max_blocks, &others, &|| challenge_of(operator).is_some());
	challenge_of(operator).expect("challenged")
}

/// Runs blocks, everyone else answering, until `operator` is challenged, which it answers with a
/// wrong proof; returns the challenge.
fn fail_next_audit(operator: &AccountId) -> (ChallengeId, AuditOf) {
	let (id, c) = next_challenge_of(operator, 100);
	assert_ok!(submit(operator, id, wrong_proof_for(&c)));
	(id, c)
}

fn everyone(_: &AuditOf) -> bool {
	true
}

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

fn bond_held(operator: &AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Storage(HoldReason::OperatorBond), operator)
}

fn status(operator: &AccountId) -> OperatorStatus<BlockNumber> {
	Storage::operator(operator.clone()).expect("registered").record.status
}

fn reputation(alpha: u64, beta: u64, passed: u32, failed: u32, standing: Standing) -> Reputation {
	Reputation { alpha, beta, passed, failed, standing }
}

/// The minimum bond every operator here registers with.
const BOND: Balance = 100 * UNIT;

fn era_length() -> BlockNumber {
	<Runtime as pallet_storage::Config>::EraLength::get()
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn a_stored_piece_is_challenged_from_the_parent_vrf_output_and_a_correct_proof_passes() {
	dev().execute_with(|| {
		// Block 1's parent is the genesis block, which has no VRF output: no audit seed yet.
		assert_eq!(pallet_babe::AuthorVrfRandomness::<Runtime>::get(), None);
		let file = store(1, PinTier::Standard, 10);
		let info = Storage::file(cid(1)).expect("pinned");
		assert_eq!(pallet_storage::AuditSlotCount::<Runtime>::get(), 4, "4 confirmed pieces");
		assert_eq!(info.record.piece_size, 3 * LEAF_SIZE as u64, "3 leaves a piece");
		assert!(challenges().is_empty());

		// Block 2 draws its challenges from block 1's VRF output (`next_block` checks BABE
		// recorded it).
		next_block();
		assert!(pallet_babe::AuthorVrfRandomness::<Runtime>::get().is_some());
		let window = <Runtime as pallet_storage::Config>::ResponseWindow::get();
		assert_eq!(window, 10);
		let issued = storage_events()
			.into_iter()
			.filter(|e| matches!(e, Event::ChallengeIssued { .. }))
			.collect::<Vec<_>>();
		let outstanding = challenges();
		assert!(!outstanding.is_empty(), "the first draw always finds an unaudited piece");
		assert_eq!(issued.len(), outstanding.len());
		for ((id, c), event) in outstanding.iter().zip(&issued) {
			let (_, piece) = &info.pieces[c.index as usize];
			assert_eq!(c.file, file);
			assert_eq!(c.operator, piece.operator, "the piece's own operator must answer");
			assert!(c.leaf_index < 3);
			assert_eq!((c.deadline, c.attempt), (2 + window, 0));
			assert_eq!(
				event,
				&Event::ChallengeIssued {
					challenge: *id,
					cid: cid(1),
					index: c.index,
					operator: c.operator.clone(),
					leaf_index: c.leaf_index,
					deadline: 2 + window,
					attempt: 0,
				}
			);
		}

		let (id, c) = outstanding[0].clone();
		let operator = c.operator.clone();
		assert_eq!(Reputations::<Runtime>::get(&operator), None, "never audited");
		// Only the challenged operator can answer.
		let other = info
			.pieces
			.iter()
			.map(|(_, p)| p.operator.clone())
			.find(|o| *o != operator)
			.expect("four operators");
		assert_noop!(submit(&other, id, proof_for(&c)), Error::<Runtime>::NotChallengedOperator);

		assert_ok!(submit(&operator, id, proof_for(&c)));
		assert_eq!(
			storage_events().last(),
			Some(&Event::AuditPassed {
				challenge: id,
				cid: cid(1),
				index: c.index,
				operator: operator.clone(),
				leaf_index: c.leaf_index,
				score: Perbill::one(),
			})
		);
		// Storj's beta model, lambda = 95 %, in millionths: a new operator starts at alpha =
		// 1 / (1 - lambda) = 20, a pass keeps it there (0.95 x 20 + 1).
		assert_eq!(
			Reputations::<Runtime>::get(&operator),
			Some(reputation(20_000_000, 0, 1, 0, Standing::Good))
		);
		assert_eq!(status(&operator), OperatorStatus::Vetting { audits_passed: 1 });
		assert_eq!(bond_held(&operator), BOND);
		assert!(Challenges::<Runtime>::get(id).is_none());
		// A proof answers one challenge once.
		assert_noop!(submit(&operator, id, proof_for(&c)), Error::<Runtime>::UnknownChallenge);
	});
}

#[test]
fn a_wrong_proof_fails_at_once_burning_the_slash_fraction_of_the_held_bond() {
	dev().execute_with(|| {
		let first = store(1, PinTier::Standard, 10);
		// Era 1: every operator has earned era 0 of its piece of the first file, and passed
		// the audit of that piece.
		run_to(era_length(), &everyone);
		for (k, _) in OPERATORS {
			assert_eq!(
				Reputations::<Runtime>::get(who(k)),
				Some(reputation(20_000_000, 0, 1, 0, Standing::Good))
			);
		}
		let second = store(2, PinTier::Temporary, 10);
		let (id, c) = {
			let others = |c: &AuditOf| c.file != second;
			run_until(50, &others, &|| challenges().iter().any(|(_, c)| c.file == second));
			challenges().into_iter().find(|(_, c)| c.file == second).expect("challenged")
		};
		let target = c.operator.clone();
		let first_reward = Files::<Runtime>::get(first).expect("pinned").piece_reward;
		let second_reward = Files::<Runtime>::get(second).expect("pinned").piece_reward;
		assert!(second_reward < first_reward, "a half-price Temporary piece");
		assert_eq!(Storage::claimable_rewards(target.clone()), first_reward);
		let escrow = Storage::file(cid(2)).expect("pinned").record.escrow;
		let escrow_held = Storage::escrow_held();
		let issuance = Balances::total_issuance();
		let free = Balances::balance(&target);
		assert_eq!(bond_held(&target), BOND);

		assert_ok!(submit(&target, id, wrong_proof_for(&c)));
		// 5 % (`SlashFraction`) of the 100 UNIT bond is burnt; one era of the piece's reward
		// goes from the operator's pending rewards back to the pin's escrow.
		let slashed = 5 * UNIT;
		assert_eq!(
			storage_events().last(),
			Some(&Event::AuditFailed {
				challenge: id,
				cid: cid(2),
				index: c.index,
				operator: target.clone(),
				leaf_index: c.leaf_index,
				reason: AuditFailure::InvalidProof,
				slashed,
				forfeited: second_reward,
				score: Perbill::from_percent(95),
			})
		);
		assert_eq!(bond_held(&target), BOND - slashed);
		assert_eq!(Storage::operator(target.clone()).expect("registered").record.bond, 95 * UNIT);
		assert_eq!(Balances::total_issuance(), issuance - slashed, "burnt, not moved");
		assert_eq!(Balances::balance(&target), free, "only the held bond is touched");
		assert_eq!(Storage::claimable_rewards(target.clone()), first_reward - second_reward);
		assert_eq!(Storage::file(cid(2)).expect("pinned").record.escrow, escrow + second_reward);
		assert_eq!(Storage::escrow_held(), escrow_held, "the forfeit stays in the escrow");
		// alpha 0.95 x 20, beta 0 + 1: score 19 / 20.
		assert_eq!(
			Reputations::<Runtime>::get(&target),
			Some(reputation(19_000_000, 1_000_000, 1, 1, Standing::Good))
		);
		assert!(EligibleOperators::<Runtime>::get().contains(&target), "one failure is not fatal");
		// A failed challenge is closed: a correct proof now comes too late.
		assert_noop!(submit(&target, id, proof_for(&c)), Error::<Runtime>::UnknownChallenge);

		// Its next audit (of a piece of a new file: its other pieces are not due for a while),
		// answered correctly, raises its score again.
		let third = store(3, PinTier::Standard, 10);
		let (id, c) = next_challenge_of(&target, 50);
		assert_eq!(c.file, third);
		assert_ok!(submit(&target, id, proof_for(&c)));
		assert_eq!(
			storage_events().last(),
			Some(&Event::AuditPassed {
				challenge: id,
				cid: cid_of(&c),
				index: c.index,
				operator: target.clone(),
				leaf_index: c.leaf_index,
				// alpha 0.95 x 19 + 1, beta 0.95 x 1: 19.05 / 20.
				score: Perbill::from_rational(19_050_000u64, 20_000_000),
			})
		);
		assert_eq!(
			Reputations::<Runtime>::get(&target),
			Some(reputation(19_050_000, 950_000, 2, 1, Standing::Good))
		);
		assert_eq!(bond_held(&target), BOND - slashed, "a pass does not give the slash back");
	});
}

#[test]
fn a_missed_deadline_contains_and_rechallenges_the_same_leaf_then_fails_unanswered() {
	dev().execute_with(|| {
		let file = store(1, PinTier::Standard, 10);
		next_block();
		let (first_id, first) = challenges().into_iter().next().expect("block 2 challenges");
		let target = first.operator.clone();
		let others = |c: &AuditOf| c.operator != target;
		answer(&others);
		let window = <Runtime as pallet_storage::Config>::ResponseWindow::get();
		let reverifications = <Runtime as pallet_storage::Config>::MaxReverifyCount::get();
		assert_eq!(reverifications, 3);
		let issuance = Balances::total_issuance();

		// Each missed deadline re-challenges the same leaf of the same piece, without penalty.
		let (mut id, mut deadline) = (first_id, first.deadline);
		for attempt in 1..=reverifications {
			// The deadline block is the last one in which the answer is accepted.
			run_to(deadline, &others);
			assert!(Challenges::<Runtime>::get(id).is_some());
			next_block();
			let (again_id, again) = challenge_of(&target).expect("re-challenged");
			let expected = Challenge { deadline: deadline + 1 + window, attempt, ..first.clone() };
			assert_eq!(again, expected);
			// Expired challenges are handled before new ones are drawn.
			assert_eq!(
				storage_events()[..2],
				[
					Event::OperatorContained {
						challenge: id,
						cid: cid(1),
						index: first.index,
						operator: target.clone(),
						leaf_index: first.leaf_index,
						attempt,
					},
					Event::ChallengeIssued {
						challenge: again_id,
						cid: cid(1),
						index: first.index,
						operator: target.clone(),
						leaf_index: first.leaf_index,
						deadline: expected.deadline,
						attempt,
					},
				]
			);
			// The expired challenge cannot be answered any more; the new one could be.
			assert_noop!(
				submit(&target, id, proof_for(&first)),
				Error::<Runtime>::UnknownChallenge
			);
			assert_eq!(bond_held(&target), BOND, "containment does not slash");
			assert_eq!(Reputations::<Runtime>::get(&target), None, "nor count as a failure");
			answer(&others);
			(id, deadline) = (again_id, expected.deadline);
		}

		// The last re-verification unanswered: the audit fails, with the same slash as a wrong
		// proof (nothing earned yet in era 0, so nothing forfeited).
		run_to(deadline, &others);
		next_block();
		assert!(System::block_number() < era_length());
		let slashed = 5 * UNIT;
		assert_eq!(
			storage_events().first(),
			Some(&Event::AuditFailed {
				challenge: id,
				cid: cid(1),
				index: first.index,
				operator: target.clone(),
				leaf_index: first.leaf_index,
				reason: AuditFailure::Unanswered,
				slashed,
				forfeited: 0,
				score: Perbill::from_percent(95),
			})
		);
		assert_eq!(challenge_of(&target), None, "no further re-verification");
		assert_eq!(bond_held(&target), BOND - slashed);
		assert_eq!(Balances::total_issuance(), issuance - slashed);
		assert_eq!(
			Reputations::<Runtime>::get(&target),
			Some(reputation(19_000_000, 1_000_000, 0, 1, Standing::Good))
		);
		assert_eq!(Files::<Runtime>::get(file).expect("pinned").state, FileState::Stored);
	});
}

#[test]
fn repeated_failures_suspend_then_disqualify_for_good() {
	dev().execute_with(|| {
		let bob = who(Bob);
		// Five files, each with a piece on every operator: Bob has five pieces to fail.
		for seed in 1..=5 {
			store(seed, PinTier::Standard, 10);
		}
		assert_eq!(Storage::operator(bob.clone()).expect("registered").record.piece_count, 5);
		let issuance = Balances::total_issuance();
		let mut bond = BOND;
		// (alpha, beta) after each failure: alpha' = 0.95 alpha, beta' = 0.95 beta + 1 (floored
		// millionths). Scores 95 %, 90.25 %, 85.74 % (< 90 %: suspended), 81.45 %, 77.38 %
		// (< 80 %: disqualified).
		let after = [
			(19_000_000, 1_000_000),
			(18_050_000, 1_950_000),
			(17_147_500, 2_852_500),
			(16_290_125, 3_709_875),
			(15_475_618, 4_524_381),
		];
		for (failed, (alpha, beta)) in (1u32..).zip(after) {
			let (id, c) = fail_next_audit(&bob);
			// Nothing earned yet, so nothing forfeited.
			assert!(System::block_number() < era_length());
			let slashed = bond / 20;
			bond -= slashed;
			let score = Perbill::from_rational(alpha, alpha + beta);
			let standing = match failed {
				1 | 2 => Standing::Good,
				3 | 4 => Standing::Suspended,
				_ => Standing::Disqualified,
			};
			assert_eq!(
				Reputations::<Runtime>::get(&bob),
				Some(reputation(alpha, beta, 0, failed, standing))
			);
			let audit_failed = Event::AuditFailed {
				challenge: id,
				cid: cid_of(&c),
				index: c.index,
				operator: bob.clone(),
				leaf_index: c.leaf_index,
				reason: AuditFailure::InvalidProof,
				slashed,
				forfeited: 0,
				score,
			};
			let expected = match failed {
				3 => vec![Event::OperatorSuspended { who: bob.clone(), score }, audit_failed],
				5 => vec![Event::OperatorDisqualified { who: bob.clone(), score }, audit_failed],
				_ => vec![audit_failed],
			};
			assert!(storage_events().ends_with(&expected), "{:?}", storage_events());
			assert_eq!(bond_held(&bob), bond);
			assert_eq!(
				EligibleOperators::<Runtime>::get().contains(&bob),
				standing == Standing::Good
			);

			if failed == 3 {
				// Suspended: no new pieces. Four pieces need four eligible operators...
				assert_noop!(
					call(
						signed(Ferdie),
						StorageCall::request_pin {
							cid: cid(10),
							size_bytes: SIZE,
							tier: PinTier::Standard,
							eras: 10
						}
					),
					Error::<Runtime>::NotEnoughOperators
				);
				// ... and two are placed on the other three.
				store(11, PinTier::Temporary, 10);
				let placed = Storage::file(cid(11)).expect("pinned").pieces;
				assert_eq!(placed.len(), 2);
				assert!(placed.iter().all(|(_, p)| p.operator != bob));
			}
		}
		// 100 UNIT x 0.95^5, the rest burnt.
		assert_eq!(bond, 77_378_093_750_000);
		assert_eq!(Balances::total_issuance(), issuance - (BOND - bond));
		// Still registered, so it cannot register again anyway (see the next test for after
		// it left).
		assert_noop!(call(signed(Bob), registration("eu")), Error::<Runtime>::AlreadyRegistered);
	});
}

#[test]
fn a_disqualified_operator_that_left_can_never_register_again() {
	dev().execute_with(|| {
		let bob = who(Bob);
		for seed in 1..=5 {
			store(seed, PinTier::Standard, 10);
		}
		for _ in 0..5 {
			fail_next_audit(&bob);
		}
		assert_eq!(
			Reputations::<Runtime>::get(&bob).map(|r| r.standing),
			Some(Standing::Disqualified)
		);
		// It leaves: it unregisters, the pins holding its pieces end (there is no repair to
		// move them elsewhere), and the unbonding period passes.
		assert_ok!(call(signed(Bob), StorageCall::unregister_operator {}));
		for seed in 1..=5 {
			assert_ok!(call(signed(Ferdie), StorageCall::unpin { cid: cid(seed) }));
		}
		assert!(challenges().is_empty(), "nothing stored, nothing audited");
		let left_at = System::block_number();
		let unbonding = <Runtime as pallet_storage::Config>::UnbondingPeriod::get();
		run_to(left_at + unbonding, &everyone);
		let free = Balances::balance(&bob);
		let rewards = Storage::claimable_rewards(bob.clone());
		let piece_reward = Storage::pin_price(SIZE, PinTier::Standard, 1).expect("priced") / 4;
		assert_eq!(rewards, 5 * piece_reward, "era 0 of its five pieces, credited on unpin");
		assert_ok!(call(signed(Bob), StorageCall::withdraw_bond {}));
		// What five 5 % slashes left of the 100 UNIT bond.
		let bond = 77_378_093_750_000;
		assert_eq!(
			storage_events().last(),
			Some(&Event::BondWithdrawn { who: bob.clone(), bond, rewards })
		);
		assert_eq!(Balances::balance(&bob), free + bond + rewards);
		assert!(Storage::operator(bob.clone()).is_none());
		assert_noop!(call(signed(Bob), registration("eu")), Error::<Runtime>::Disqualified);
	});
}

#[test]
fn passing_the_vetting_audits_vets_an_operator() {
	dev().execute_with(|| {
		let vetting_audits = <Runtime as pallet_storage::Config>::VettingAudits::get();
		assert_eq!(vetting_audits, 5);
		// Five files, each with a piece on every operator: five audits each within the first
		// audit period.
		for seed in 1..=5 {
			store(seed, PinTier::Standard, 10);
		}
		for (k, _) in OPERATORS {
			assert_eq!(status(&who(k)), OperatorStatus::Vetting { audits_passed: 0 });
		}
		let all_vetted =
			|| OPERATORS.iter().all(|(k, _)| status(&who(*k)) == OperatorStatus::Active);
		for _ in 0..100 {
			next_block();
			for (id, c) in challenges() {
				let operator = c.operator.clone();
				let OperatorStatus::Vetting { audits_passed } = status(&operator) else {
					panic!("every operator has exactly {vetting_audits} pieces to be audited");
				};
				assert_ok!(submit(&operator, id, proof_for(&c)));
				let passed = Event::AuditPassed {
					challenge: id,
					cid: cid_of(&c),
					index: c.index,
					operator: operator.clone(),
					leaf_index: c.leaf_index,
					score: Perbill::one(),
				};
				let passed_now = audits_passed + 1;
				if passed_now < vetting_audits {
					assert_eq!(storage_events().last(), Some(&passed));
					assert_eq!(
						status(&operator),
						OperatorStatus::Vetting { audits_passed: passed_now }
					);
				} else {
					assert!(storage_events()
						.ends_with(&[passed, Event::OperatorVetted { who: operator.clone() }]));
					assert_eq!(status(&operator), OperatorStatus::Active);
				}
				assert_eq!(
					Reputations::<Runtime>::get(&operator),
					Some(reputation(20_000_000, 0, passed_now, 0, Standing::Good))
				);
			}
			if all_vetted() {
				break;
			}
		}
		assert!(all_vetted(), "every operator vetted by block {}", System::block_number());
	});
}
