//! Audits: random challenges of stored pieces, proofs checked against the roots recorded at
//! placement, containment of operators that miss a deadline, and a Storj-style reputation.
//!
//! ## Sampling, O(1)
//! Every confirmed piece has a slot in a dense index (`AuditSlots`, `AuditSlotCount`, and the
//! reverse `AuditSlotOf`); a piece leaves it by swap-remove. A challenge picks slot
//! `random % count`, so sampling is uniform over confirmed pieces and costs one read however many
//! pieces exist. A piece audited less than its tier's `audit_period` ago, or with a challenge
//! outstanding, or of a pin that is not paid up, is skipped (that draw is simply not used).
//!
//! ## Unpredictable, not replayable
//! The seed is the parent block's BABE VRF output (`AuditRandomness`): nobody knows it before
//! that block is authored, one block before the challenge is issued, which is too late to fetch
//! a piece one does not hold. The leaf index comes from it, and a proof is checked against the challenge's own
//! leaf index and the piece's root, so a proof made for another challenge, leaf or piece fails.
//!
//! ## Outcomes
//! - A correct proof passes: reputation up, one more audit towards the end of vetting.
//! - A wrong proof fails at once: `SlashFraction` of the bond is burnt, reputation down, and one
//!   era of that piece's reward is forfeited back to the pin's escrow.
//! - A missed deadline puts the piece in containment: the same leaf is challenged again, up to
//!   `MaxReverifyCount` times; only then does it count as a failure (slash included).
//!
//! ## Reputation (Storj's beta model)
//! `alpha' = lambda * alpha + (pass ? 1 : 0)`, `beta' = lambda * beta + (pass ? 0 : 1)`, score
//! `alpha / (alpha + beta)`. New operators start at `alpha = 1 / (1 - lambda)`, `beta = 0`, the
//! steady state of an operator that always passes, so one early failure is not fatal. Below
//! `SuspensionThreshold` an operator gets no new pieces (until it recovers); below
//! `DisqualificationThreshold` it is disqualified for good.

use crate::*;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame::{
	prelude::*,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision},
		Randomness,
	},
};
use scale_info::TypeInfo;

/// Fixed-point unit of the reputation parameters (parts per million).
pub const REPUTATION_UNIT: u64 = 1_000_000;

/// One Merkle leaf's bytes, as submitted in a proof.
pub type LeafOf = BoundedVec<u8, ConstU32<{ cairn_storage_primitives::LEAF_SIZE as u32 }>>;

/// Id of a challenge.
pub type ChallengeId = u64;

/// An outstanding audit of one leaf of one piece.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Challenge<AccountId, BlockNumber> {
	/// The file.
	pub file: FileId,
	/// The piece index.
	pub index: PieceIndex,
	/// The operator that must answer.
	pub operator: AccountId,
	/// The leaf whose bytes and Merkle path must be submitted.
	pub leaf_index: u32,
	/// Last block in which `submit_proof` is accepted.
	pub deadline: BlockNumber,
	/// 0 for a fresh challenge, `r` for the `r`-th re-verification of a contained piece.
	pub attempt: u32,
}

/// Why an audit failed.
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
pub enum AuditFailure {
	/// The leaf and path do not hash to the piece's root at the challenged index (wrong bytes,
	/// wrong path, another piece's or another challenge's proof).
	InvalidProof,
	/// No answer after `MaxReverifyCount` re-verifications.
	Unanswered,
}

/// An operator's standing with the audits.
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
pub enum Standing {
	/// Eligible for new pieces (subject to its status).
	Good,
	/// Score below `SuspensionThreshold`: no new pieces until it recovers.
	Suspended,
	/// Score below `DisqualificationThreshold`: never again eligible.
	Disqualified,
}

/// An operator's audit record.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Reputation {
	/// Weighted passes, in millionths.
	pub alpha: u64,
	/// Weighted failures, in millionths.
	pub beta: u64,
	/// Audits passed in all.
	pub passed: u32,
	/// Audits failed in all.
	pub failed: u32,
	/// Standing that follows from the score.
	pub standing: Standing,
}

impl Reputation {
	/// A new operator's record for forgetting factor `lambda`.
	pub fn new(lambda: Perbill) -> Self {
		let forget = Perbill::one().saturating_sub(lambda);
		let alpha = if forget.is_zero() {
			REPUTATION_UNIT
		} else {
			forget.saturating_reciprocal_mul(REPUTATION_UNIT)
		};
		Self { alpha, beta: 0, passed: 0, failed: 0, standing: Standing::Good }
	}

	/// `alpha / (alpha + beta)`.
	pub fn score(&self) -> Perbill {
		Perbill::from_rational(self.alpha, self.alpha.saturating_add(self.beta).max(1))
	}

	/// Records one audit outcome.
	pub fn record(&mut self, lambda: Perbill, passed: bool) {
		self.alpha = lambda.mul_floor(self.alpha);
		self.beta = lambda.mul_floor(self.beta);
		if passed {
			self.alpha = self.alpha.saturating_add(REPUTATION_UNIT);
			self.passed.saturating_inc();
		} else {
			self.beta = self.beta.saturating_add(REPUTATION_UNIT);
			self.failed.saturating_inc();
		}
	}
}

impl<T: Config> Pallet<T> {
	// ---------------------------------------------------------------------------------------
	// The sampling index of confirmed pieces
	// ---------------------------------------------------------------------------------------

	/// Adds a newly confirmed piece to the sampling index.
	pub(crate) fn add_audit_slot(file: FileId, index: PieceIndex) {
		if AuditSlotOf::<T>::contains_key(file, index) {
			defensive!("a piece is confirmed once");
			return;
		}
		let slot = AuditSlotCount::<T>::get();
		AuditSlots::<T>::insert(slot, (file, index));
		AuditSlotOf::<T>::insert(file, index, slot);
		AuditSlotCount::<T>::put(slot.saturating_add(1));
	}

	/// Removes a piece from the sampling index (swap-remove) and drops its outstanding challenge.
	pub(crate) fn remove_audit_slot(file: FileId, index: PieceIndex) {
		if let Some(id) = PieceChallenge::<T>::take(file, index) {
			Challenges::<T>::remove(id);
		}
		LastAudit::<T>::remove(file, index);
		let Some(slot) = AuditSlotOf::<T>::take(file, index) else { return };
		let last = AuditSlotCount::<T>::get().saturating_sub(1);
		if slot != last {
			if let Some(moved) = AuditSlots::<T>::get(last) {
				AuditSlots::<T>::insert(slot, moved);
				AuditSlotOf::<T>::insert(moved.0, moved.1, slot);
			}
		}
		AuditSlots::<T>::remove(last);
		AuditSlotCount::<T>::put(last);
	}

	// ---------------------------------------------------------------------------------------
	// Per block: deadlines, then new challenges
	// ---------------------------------------------------------------------------------------

	/// `on_initialize` part of the audits: expired challenges first (containment or failure),
	/// then up to `AuditsPerBlock` new challenges.
	pub(crate) fn process_audits(now: BlockNumberFor<T>) -> Weight {
		let mut weight = Self::process_challenge_deadlines(now);
		let (seed, _) = T::AuditRandomness::random(b"cairn/audit");
		let Some(seed) = seed else { return weight };
		for draw in 0..T::AuditsPerBlock::get() {
			weight.saturating_accrue(T::WeightInfo::on_initialize_challenge());
			Self::issue_challenge(now, &(seed, draw).encode());
		}
		weight
	}

	/// Draws one confirmed piece and challenges it, unless the draw lands on a piece that is
	/// not due.
	pub(crate) fn issue_challenge(now: BlockNumberFor<T>, subject: &[u8]) {
		let count = AuditSlotCount::<T>::get();
		if count == 0 {
			return;
		}
		let random = frame::hashing::blake2_256(subject);
		let mut word = [0u8; 8];
		word.copy_from_slice(&random[..8]);
		let draw = u64::from_le_bytes(word);
		let Some((file_id, index)) = AuditSlots::<T>::get((draw % u64::from(count)) as u32) else {
			defensive!("slots below the count exist");
			return;
		};
		if PieceChallenge::<T>::contains_key(file_id, index) {
			return;
		}
		let Some(file) = Files::<T>::get(file_id) else { return };
		if !file.is_funded() {
			return;
		}
		let period = TierConfigs::<T>::get(file.tier).map(|c| c.audit_period).unwrap_or(1);
		if let Some(last) = LastAudit::<T>::get(file_id, index) {
			if now < last.saturating_add(period.into()) {
				return;
			}
		}
		let Some(piece) = Pieces::<T>::get(file_id, index) else { return };
		let Some(leaves) = file.leaf_count() else {
			defensive!("pieces are whole leaves");
			return;
		};
		let leaf_index = ((draw >> 32) % u64::from(leaves)) as u32;
		Self::open_challenge(now, &file, file_id, index, piece.operator, leaf_index, 0);
	}

	/// Records a challenge and queues its deadline.
	pub(crate) fn open_challenge(
		now: BlockNumberFor<T>,
		file: &FileRecord<T>,
		file_id: FileId,
		index: PieceIndex,
		operator: T::AccountId,
		leaf_index: u32,
		attempt: u32,
	) {
		let id = NextChallengeId::<T>::get();
		NextChallengeId::<T>::put(id.saturating_add(1));
		let deadline = now.saturating_add(T::ResponseWindow::get());
		let challenge = Challenge {
			file: file_id,
			index,
			operator: operator.clone(),
			leaf_index,
			deadline,
			attempt,
		};
		Challenges::<T>::insert(id, challenge);
		PieceChallenge::<T>::insert(file_id, index, id);
		LastAudit::<T>::insert(file_id, index, now);
		ChallengeQueueBounds::<T>::mutate(|(_, tail)| {
			ChallengeQueue::<T>::insert(*tail, (deadline, id));
			*tail = tail.saturating_add(1);
		});
		Self::deposit_event(Event::<T>::ChallengeIssued {
			challenge: id,
			cid: file.cid.clone(),
			index,
			operator,
			leaf_index,
			deadline,
			attempt,
		});
	}

	/// Challenges whose deadline passed without an answer: contain (re-challenge the same leaf)
	/// or, after `MaxReverifyCount` re-verifications, fail.
	pub(crate) fn process_challenge_deadlines(now: BlockNumberFor<T>) -> Weight {
		let (mut head, tail) = ChallengeQueueBounds::<T>::get();
		let start = head;
		let mut weight = Weight::zero();
		// Live challenges grow by at most `AuditsPerBlock` a block (a re-verification replaces
		// the expired one), so twice that drains them; at least one, so lowering
		// `AuditsPerBlock` to zero still expires what is outstanding.
		let mut budget = T::AuditsPerBlock::get().saturating_mul(2).max(1);
		while head < tail && budget > 0 {
			let Some((deadline, id)) = ChallengeQueue::<T>::get(head) else {
				defensive!("challenge queue has no holes");
				head = head.saturating_add(1);
				continue;
			};
			if deadline >= now {
				break;
			}
			ChallengeQueue::<T>::remove(head);
			weight.saturating_accrue(T::WeightInfo::on_initialize_deadline());
			if let Some(challenge) = Challenges::<T>::take(id) {
				PieceChallenge::<T>::remove(challenge.file, challenge.index);
				Self::missed_deadline(now, id, challenge);
			}
			head = head.saturating_add(1);
			budget = budget.saturating_sub(1);
		}
		if head != start {
			ChallengeQueueBounds::<T>::mutate(|(h, _)| *h = head);
		}
		weight
	}

	fn missed_deadline(
		now: BlockNumberFor<T>,
		id: ChallengeId,
		challenge: Challenge<T::AccountId, BlockNumberFor<T>>,
	) {
		let Some(file) = Files::<T>::get(challenge.file) else { return };
		if !file.is_funded() {
			// The pin expired while contained: nobody pays for the piece any more, so it is
			// not audited any more either.
			return;
		}
		if challenge.attempt < T::MaxReverifyCount::get() {
			Self::deposit_event(Event::<T>::OperatorContained {
				challenge: id,
				cid: file.cid.clone(),
				index: challenge.index,
				operator: challenge.operator.clone(),
				leaf_index: challenge.leaf_index,
				attempt: challenge.attempt.saturating_add(1),
			});
			Self::open_challenge(
				now,
				&file,
				challenge.file,
				challenge.index,
				challenge.operator,
				challenge.leaf_index,
				challenge.attempt.saturating_add(1),
			);
		} else {
			Self::audit_failed(id, challenge, file, AuditFailure::Unanswered);
		}
	}

	// ---------------------------------------------------------------------------------------
	// Proofs and outcomes
	// ---------------------------------------------------------------------------------------

	pub(crate) fn do_submit_proof(
		who: T::AccountId,
		id: ChallengeId,
		leaf: LeafOf,
		proof: cairn_storage_primitives::MerkleProof,
	) -> DispatchResultWithPostInfo {
		let challenge = Challenges::<T>::get(id).ok_or(Error::<T>::UnknownChallenge)?;
		ensure!(challenge.operator == who, Error::<T>::NotChallengedOperator);
		let file = Files::<T>::get(challenge.file).ok_or(Error::<T>::UnknownChallenge)?;
		let piece = Pieces::<T>::get(challenge.file, challenge.index)
			.ok_or(Error::<T>::UnknownChallenge)?;
		let root = piece.content.map(|c| c.root).ok_or(Error::<T>::UnknownChallenge)?;

		Challenges::<T>::remove(id);
		PieceChallenge::<T>::remove(challenge.file, challenge.index);
		let leaves = file.leaf_count().unwrap_or(u32::MAX);
		let valid =
			cairn_storage_primitives::verify(&root.0, leaves, challenge.leaf_index, &leaf, &proof)
				.is_ok();
		if valid {
			Self::audit_passed(id, challenge, file);
			Ok(Some(T::WeightInfo::submit_proof()).into())
		} else {
			Self::audit_failed(id, challenge, file, AuditFailure::InvalidProof);
			Ok(Some(T::WeightInfo::submit_proof_invalid()).into())
		}
	}

	fn audit_passed(
		id: ChallengeId,
		challenge: Challenge<T::AccountId, BlockNumberFor<T>>,
		file: FileRecord<T>,
	) {
		let who = challenge.operator;
		let score = Self::record_outcome(&who, true);
		Self::deposit_event(Event::<T>::AuditPassed {
			challenge: id,
			cid: file.cid,
			index: challenge.index,
			operator: who.clone(),
			leaf_index: challenge.leaf_index,
			score,
		});
		// One more audit towards the end of vetting; answering also proves it is reachable.
		let mut vetted = false;
		let mut was_offline = false;
		Self::mutate_operator(&who, |op| {
			was_offline = op.offline_since.take().is_some();
			if let OperatorStatus::Vetting { audits_passed } = op.status {
				let passed = audits_passed.saturating_add(1);
				op.status = if passed >= T::VettingAudits::get() {
					vetted = true;
					OperatorStatus::Active
				} else {
					OperatorStatus::Vetting { audits_passed: passed }
				};
			}
		});
		if vetted {
			Self::deposit_event(Event::<T>::OperatorVetted { who: who.clone() });
		}
		if was_offline {
			Self::back_online(who);
		}
	}

	fn audit_failed(
		id: ChallengeId,
		challenge: Challenge<T::AccountId, BlockNumberFor<T>>,
		mut file: FileRecord<T>,
		reason: AuditFailure,
	) {
		let who = challenge.operator;
		let era = Self::current_era();
		// Slash: burn a fraction of the held bond.
		let mut slashed = Zero::zero();
		let mut forfeited = Zero::zero();
		let reward = file.piece_reward;
		Self::settle_file(&mut file, era);
		Self::mutate_operator(&who, |op| {
			let amount = T::SlashFraction::get().mul_floor(op.bond);
			slashed = T::Currency::burn_held(
				&HoldReason::OperatorBond.into(),
				&who,
				amount,
				Precision::BestEffort,
				Fortitude::Force,
			)
			.unwrap_or_default();
			op.bond = op.bond.saturating_sub(slashed);
			// Forfeit one era of this piece's reward: it goes back to the pin's escrow (only
			// while the pin is paid up: an expired pin holds no escrow to return it to).
			Self::settle_operator(op, era);
			if file.is_funded() {
				forfeited = op.pending_rewards.min(reward);
				op.pending_rewards = op.pending_rewards.saturating_sub(forfeited);
			}
		});
		file.escrow = file.escrow.saturating_add(forfeited);
		let score = Self::record_outcome(&who, false);
		Self::deposit_event(Event::<T>::AuditFailed {
			challenge: id,
			cid: file.cid.clone(),
			index: challenge.index,
			operator: who,
			leaf_index: challenge.leaf_index,
			reason,
			slashed,
			forfeited,
			score,
		});
		Files::<T>::insert(challenge.file, file);
	}

	/// Updates an operator's reputation and standing; returns the new score.
	fn record_outcome(who: &T::AccountId, passed: bool) -> Perbill {
		let lambda = T::ReputationForgetting::get();
		let mut reputation = Reputations::<T>::get(who).unwrap_or_else(|| Reputation::new(lambda));
		reputation.record(lambda, passed);
		let score = reputation.score();
		let standing = match reputation.standing {
			Standing::Disqualified => Standing::Disqualified,
			_ if score < T::DisqualificationThreshold::get() => Standing::Disqualified,
			_ if score < T::SuspensionThreshold::get() => Standing::Suspended,
			_ => Standing::Good,
		};
		let changed = standing != reputation.standing;
		reputation.standing = standing;
		Reputations::<T>::insert(who, reputation);
		if changed {
			Self::change_standing(who, standing, score);
		}
		score
	}

	fn change_standing(who: &T::AccountId, to: Standing, score: Perbill) {
		// The new standing is stored: eligibility follows it.
		Self::refresh_eligibility(who);
		let who = who.clone();
		match to {
			Standing::Good => Self::deposit_event(Event::<T>::OperatorReinstated { who, score }),
			Standing::Suspended => {
				Self::deposit_event(Event::<T>::OperatorSuspended { who, score })
			}
			Standing::Disqualified => {
				// Its pieces are written off and handed over by repair.
				Self::sweep_operator(&who);
				Self::deposit_event(Event::<T>::OperatorDisqualified { who, score });
			}
		}
	}

	/// Whether an operator's audit standing lets it receive new pieces.
	pub(crate) fn in_good_standing(who: &T::AccountId) -> bool {
		Reputations::<T>::get(who).is_none_or(|r| r.standing == Standing::Good)
	}

	/// Whether the audits disqualified an account for good.
	pub(crate) fn is_disqualified(who: &T::AccountId) -> bool {
		Reputations::<T>::get(who).is_some_and(|r| r.standing == Standing::Disqualified)
	}
}
