//! Audits: challenges from stored pieces, each outcome (pass, wrong proof, replay, another
//! piece's proof, containment, failure after re-verification), reputation, suspension,
//! disqualification and the end of vetting.

use crate::{mock::*, *};
use cairn_storage_primitives::{piece_root, prove_piece, MerkleProof, LEAF_SIZE};
use frame::testing_prelude::*;

/// Deterministic bytes of piece `index` of file `seed`: every 32-byte chunk differs.
pub(super) fn piece_bytes(seed: u32, index: u32, size: u64) -> Vec<u8> {
	(0..size / 32).flat_map(|chunk| blake2_256(&(seed, index, chunk).encode())).collect()
}

/// Pins `c`, reports pieces with their real Merkle roots, and has every operator confirm.
pub(super) fn store_real(c: &CidOf<Test>, seed: u32, tier: PinTier, eras: EraIndex) {
	pin(c, SIZE, tier, eras);
	let file = file_of(c);
	let reports: Vec<_> = (0..file.n)
		.map(|index| PieceReport {
			index,
			cid: piece_cid(seed, index),
			size: file.piece_size,
			root: H256(
				piece_root(&piece_bytes(seed, index, file.piece_size)).expect("whole leaves"),
			),
		})
		.collect();
	assert_ok!(CairnStorage::report_placement(
		RuntimeOrigin::signed(WORKER),
		c.clone(),
		BoundedVec::truncate_from(reports)
	));
	confirm_all(c);
}

/// One replica (Temporary) on the only operator, audited every block.
fn one_audited_piece() -> CidOf<Test> {
	register(1);
	let config = TierConfig { audit_period: 1, ..test_tiers()[2].1 };
	assert_ok!(CairnStorage::set_tier_config(RuntimeOrigin::root(), PinTier::Temporary, config));
	let c = cid(1);
	store_real(&c, 1, PinTier::Temporary, 50);
	AuditsPerBlock::set(1);
	c
}

/// Runs blocks until a challenge is outstanding; returns it.
pub(super) fn next_challenge() -> (ChallengeId, Challenge<AccountId, u64>) {
	for _ in 0..50 {
		if let Some(found) = Challenges::<Test>::iter().next() {
			return found;
		}
		run_to_block(System::block_number() + 1);
	}
	panic!("no challenge issued in 50 blocks");
}

/// The leaf and proof that answer `challenge` for file seed `seed`.
pub(super) fn answer(
	seed: u32,
	challenge: &Challenge<AccountId, u64>,
) -> (audit::LeafOf, MerkleProof) {
	let size = Files::<Test>::get(challenge.file).expect("file").piece_size;
	let bytes = piece_bytes(seed, challenge.index, size);
	let at = challenge.leaf_index as usize * LEAF_SIZE;
	let leaf = BoundedVec::try_from(bytes[at..at + LEAF_SIZE].to_vec()).expect("one leaf");
	(leaf, prove_piece(&bytes, challenge.leaf_index).expect("leaf exists"))
}

pub(super) fn submit(
	who: AccountId,
	id: ChallengeId,
	proof: (audit::LeafOf, MerkleProof),
) -> DispatchResult {
	CairnStorage::submit_proof(RuntimeOrigin::signed(who), id, proof.0, proof.1)
		.map(|_| ())
		.map_err(|e| e.error)
}

fn score(who: AccountId) -> Perbill {
	Reputations::<Test>::get(who).expect("audited").score()
}

#[test]
fn challenges_pick_confirmed_pieces_and_a_correct_proof_passes() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		store_real(&c, 1, PinTier::Standard, 50);
		assert_eq!(AuditSlotCount::<Test>::get(), 3);
		AuditsPerBlock::set(1);
		let (id, challenge) = next_challenge();
		assert_eq!(piece_of(&c, challenge.index).operator, challenge.operator);
		assert!(u64::from(challenge.leaf_index) < file_of(&c).piece_size / LEAF_SIZE as u64);
		assert_eq!(challenge.deadline, System::block_number() + RESPONSE_WINDOW);
		assert!(emitted(Event::<Test>::ChallengeIssued {
			challenge: id,
			cid: c.clone(),
			index: challenge.index,
			operator: challenge.operator,
			leaf_index: challenge.leaf_index,
			deadline: challenge.deadline,
			attempt: 0,
		}));
		let bond = operator(challenge.operator).bond;
		assert_ok!(submit(challenge.operator, id, answer(1, &challenge)));
		assert!(emitted(Event::<Test>::AuditPassed {
			challenge: id,
			cid: c.clone(),
			index: challenge.index,
			operator: challenge.operator,
			leaf_index: challenge.leaf_index,
			score: Perbill::one(),
		}));
		assert_eq!(operator(challenge.operator).bond, bond);
		assert!(Challenges::<Test>::get(id).is_none());
		// A proof cannot be used twice.
		assert_noop!(
			submit(challenge.operator, id, answer(1, &challenge)),
			Error::<Test>::UnknownChallenge
		);
	});
}

#[test]
fn submit_proof_checks_the_caller_and_the_challenge() {
	ExtBuilder::default().build_and_execute(|| {
		let _ = one_audited_piece();
		let (id, challenge) = next_challenge();
		assert_noop!(submit(2, id, answer(1, &challenge)), Error::<Test>::NotChallengedOperator);
		assert_noop!(submit(1, id + 1, answer(1, &challenge)), Error::<Test>::UnknownChallenge);
		let (leaf, proof) = answer(1, &challenge);
		assert_noop!(CairnStorage::submit_proof(RuntimeOrigin::none(), id, leaf, proof), BadOrigin);
	});
}

#[test]
fn a_wrong_proof_fails_at_once_slashes_and_forfeits_a_reward() {
	ExtBuilder::default().build_and_execute(|| {
		let c = one_audited_piece();
		run_to_era(1);
		let (id, challenge) = next_challenge();
		let reward = file_of(&c).piece_reward;
		let pending = CairnStorage::claimable_rewards(1);
		assert!(pending >= reward, "an era was earned");
		let (mut leaf, proof) = answer(1, &challenge);
		leaf[0] ^= 1;
		assert_ok!(submit(1, id, (leaf, proof)));
		let slashed = MIN_BOND / 10;
		assert!(emitted(Event::<Test>::AuditFailed {
			challenge: id,
			cid: c.clone(),
			index: 0,
			operator: 1,
			leaf_index: challenge.leaf_index,
			reason: AuditFailure::InvalidProof,
			slashed,
			forfeited: reward,
			score: score(1),
		}));
		assert_eq!(operator(1).bond, MIN_BOND - slashed);
		assert_eq!(CairnStorage::claimable_rewards(1), pending - reward);
		assert!(score(1) < Perbill::one());
	});
}

#[test]
fn a_replayed_proof_or_another_pieces_proof_fails() {
	ExtBuilder::default().build_and_execute(|| {
		let _ = one_audited_piece();
		let (first_id, first) = next_challenge();
		let first_answer = answer(1, &first);
		assert_ok!(submit(1, first_id, first_answer.clone()));
		// The next challenge of the same piece: replaying the previous proof fails unless the
		// very same leaf was drawn (then it is simply correct).
		let (id, next) = loop {
			let (id, next) = next_challenge();
			if next.leaf_index != first.leaf_index {
				break (id, next);
			}
			assert_ok!(submit(1, id, answer(1, &next)));
		};
		assert_ok!(submit(1, id, first_answer));
		assert_eq!(Reputations::<Test>::get(1).expect("audited").failed, 1);

		// Another piece (other bytes, same leaf index) does not prove this one.
		let (id, challenge) = next_challenge();
		let other = Challenge { index: 0, ..challenge.clone() };
		let bytes = piece_bytes(2, other.index, file_of(&cid(1)).piece_size);
		let at = other.leaf_index as usize * LEAF_SIZE;
		let leaf = BoundedVec::try_from(bytes[at..at + LEAF_SIZE].to_vec()).expect("leaf");
		let proof = prove_piece(&bytes, other.leaf_index).expect("leaf");
		assert_ok!(submit(1, id, (leaf, proof)));
		assert_eq!(Reputations::<Test>::get(1).expect("audited").failed, 2);
		let _ = next;
	});
}

#[test]
fn a_missed_deadline_contains_then_fails_after_the_reverifications() {
	ExtBuilder::default().build_and_execute(|| {
		let c = one_audited_piece();
		let (first, challenge) = next_challenge();
		AuditsPerBlock::set(0);
		let bond = operator(1).bond;
		// Each missed deadline re-challenges the same leaf, without penalty.
		for attempt in 1..=MAX_REVERIFY {
			let deadline = Challenges::<Test>::iter().next().expect("outstanding").1.deadline;
			run_to_block(deadline + 1);
			let (_, again) = Challenges::<Test>::iter().next().expect("re-challenged");
			assert_eq!((again.leaf_index, again.attempt), (challenge.leaf_index, attempt));
			assert!(storage_events().iter().any(|e| matches!(
				e,
				Event::OperatorContained { attempt: a, .. } if *a == attempt
			)));
			assert_eq!(operator(1).bond, bond, "containment does not slash");
		}
		let deadline = Challenges::<Test>::iter().next().expect("outstanding").1.deadline;
		run_to_block(deadline + 1);
		assert!(Challenges::<Test>::iter().next().is_none());
		assert!(storage_events().iter().any(|e| matches!(
			e,
			Event::AuditFailed { reason: AuditFailure::Unanswered, cid: x, .. } if *x == c
		)));
		assert_eq!(operator(1).bond, bond - MIN_BOND / 10);
		let _ = first;
	});
}

#[test]
fn an_operator_paused_briefly_passes_through_containment_unharmed() {
	ExtBuilder::default().build_and_execute(|| {
		let _ = one_audited_piece();
		let (_, challenge) = next_challenge();
		AuditsPerBlock::set(0);
		run_to_block(challenge.deadline + 1);
		let (id, again) = Challenges::<Test>::iter().next().expect("re-challenged");
		assert_eq!(again.attempt, 1);
		assert_ok!(submit(1, id, answer(1, &again)));
		assert_eq!(operator(1).bond, MIN_BOND);
		assert_eq!(Reputations::<Test>::get(1).expect("audited").failed, 0);
		assert_eq!(score(1), Perbill::one());
	});
}

#[test]
fn reputation_suspends_then_disqualifies_for_good() {
	ExtBuilder::default().build_and_execute(|| {
		let _ = one_audited_piece();
		let fail = || {
			let (id, challenge) = next_challenge();
			let (mut leaf, proof) = answer(1, &challenge);
			leaf[7] ^= 0xff;
			assert_ok!(submit(1, id, (leaf, proof)));
		};
		// Starting at alpha = 20 (lambda = 0.95): 0.95, 0.905, 0.862 -> suspended.
		fail();
		fail();
		assert!(EligibleOperators::<Test>::get().contains(&1));
		fail();
		assert!(score(1) < SuspensionThreshold::get());
		assert!(!EligibleOperators::<Test>::get().contains(&1), "no new pieces");
		assert!(storage_events()
			.iter()
			.any(|e| matches!(e, Event::OperatorSuspended { who: 1, .. })));
		assert_noop!(
			CairnStorage::request_pin(
				RuntimeOrigin::signed(USER),
				cid(9),
				SIZE,
				PinTier::Temporary,
				1
			),
			Error::<Test>::NotEnoughOperators
		);
		fail();
		fail();
		assert!(score(1) < DisqualificationThreshold::get());
		assert_eq!(Reputations::<Test>::get(1).expect("audited").standing, Standing::Disqualified);
		assert!(storage_events()
			.iter()
			.any(|e| matches!(e, Event::OperatorDisqualified { who: 1, .. })));
	});
}

#[test]
fn a_suspended_operator_recovers_by_passing_audits() {
	ExtBuilder::default().build_and_execute(|| {
		let _ = one_audited_piece();
		for _ in 0..3 {
			let (id, challenge) = next_challenge();
			let (mut leaf, proof) = answer(1, &challenge);
			leaf[0] ^= 1;
			assert_ok!(submit(1, id, (leaf, proof)));
		}
		assert!(!EligibleOperators::<Test>::get().contains(&1));
		while score(1) < SuspensionThreshold::get() {
			let (id, challenge) = next_challenge();
			assert_ok!(submit(1, id, answer(1, &challenge)));
		}
		assert!(EligibleOperators::<Test>::get().contains(&1));
		assert!(storage_events()
			.iter()
			.any(|e| matches!(e, Event::OperatorReinstated { who: 1, .. })));
	});
}

#[test]
fn a_disqualified_account_cannot_register_again() {
	ExtBuilder::default().build_and_execute(|| {
		Reputations::<Test>::insert(
			7,
			Reputation {
				alpha: 0,
				beta: 1,
				passed: 0,
				failed: 9,
				standing: Standing::Disqualified,
			},
		);
		assert_noop!(
			CairnStorage::register_operator(
				RuntimeOrigin::signed(7),
				MIN_BOND,
				CAPACITY,
				BoundedVec::truncate_from(b"x".to_vec()),
				BoundedVec::truncate_from(b"/ip4/127.0.0.1/tcp/1".to_vec()),
			),
			Error::<Test>::Disqualified
		);
	});
}

#[test]
fn passing_vetting_audits_ends_vetting() {
	ExtBuilder::default().vetting_audits(2).build_and_execute(|| {
		let _ = one_audited_piece();
		assert_eq!(operator(1).status, OperatorStatus::Vetting { audits_passed: 0 });
		let (id, challenge) = next_challenge();
		assert_ok!(submit(1, id, answer(1, &challenge)));
		assert_eq!(operator(1).status, OperatorStatus::Vetting { audits_passed: 1 });
		let (id, challenge) = next_challenge();
		assert_ok!(submit(1, id, answer(1, &challenge)));
		assert_eq!(operator(1).status, OperatorStatus::Active);
		assert!(emitted(Event::<Test>::OperatorVetted { who: 1 }));
	});
}

#[test]
fn released_pieces_leave_the_audit_index_and_their_challenges_go() {
	ExtBuilder::default().build_and_execute(|| {
		let c = one_audited_piece();
		let (id, _) = next_challenge();
		assert_ok!(CairnStorage::unpin(RuntimeOrigin::signed(USER), c));
		assert_eq!(AuditSlotCount::<Test>::get(), 0);
		assert!(Challenges::<Test>::get(id).is_none());
		run_to_block(System::block_number() + 2 * RESPONSE_WINDOW);
	});
}

#[test]
fn no_randomness_no_audits() {
	ExtBuilder::default().build_and_execute(|| {
		let _ = one_audited_piece();
		AuditSeed::set(None);
		run_to_block(System::block_number() + 20);
		assert_eq!(Challenges::<Test>::iter().count(), 0);
	});
}

#[test]
fn an_expired_pin_is_no_longer_audited_and_gets_no_forfeit() {
	ExtBuilder::default().build_and_execute(|| {
		register(1);
		let config = TierConfig { audit_period: 1, grace_period: 3, ..test_tiers()[2].1 };
		assert_ok!(CairnStorage::set_tier_config(
			RuntimeOrigin::root(),
			PinTier::Temporary,
			config
		));
		let c = cid(1);
		store_real(&c, 1, PinTier::Temporary, 1);
		AuditsPerBlock::set(1);
		// A challenge outstanding when the paid era ends, and never answered.
		run_to_block(ERA_LENGTH - 2);
		let (_, challenge) = next_challenge();
		run_to_block(challenge.deadline + 1 + RESPONSE_WINDOW * u64::from(MAX_REVERIFY + 1));
		assert_eq!(file_of(&c).state, FileState::Expired);
		assert_eq!(file_of(&c).escrow, 0, "nothing forfeited into an expired pin");
		assert_eq!(Challenges::<Test>::iter().count(), 0, "expired pins are not audited");
		assert_eq!(operator(1).bond, MIN_BOND, "nor slashed");
	});
}
