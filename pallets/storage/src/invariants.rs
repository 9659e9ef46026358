//! Invariants checked by `try_state` (and after every unit test).
//!
//! 1. **Funds are conserved exactly**: the escrow held on the pot equals what the files still
//!    hold plus what the operators are owed, both settled to the current era; every file's escrow
//!    covers what it owes.
//! 2. **Assignments match the tier**: a file has exactly `n` pieces on `n` distinct operators; its
//!    counters, state, placement and expiry entries agree with its pieces.
//! 3. **Operators are consistent**: used capacity equals the sum of its pieces' sizes (and fits the
//!    capacity), the piece count and index match, the reward rate equals the sum over its
//!    confirmed pieces of paid-up files, the bond is held, eligibility matches the status.
//! 5. **Audits are consistent**: the sampling index holds exactly the confirmed pieces, each
//!    once; every outstanding challenge belongs to its piece's current operator and is queued.
//! 4. **Queues are consistent**: per-era lengths match, nothing is left from a past era, the
//!    confirmation FIFO has no holes.
//! 6. **Repair is consistent**: the repair queue is ordered by health, holds each file once and
//!    only pinned files; `repairing` counts the pieces moved by repair; `AwaitingRepair` lists
//!    exactly the paid-up files with a piece to rebuild; a `Degraded` file is queued; offline
//!    reports and sweeps name operators.

use crate::*;
use alloc::{collections::BTreeMap, vec::Vec};
use frame::{
	deps::sp_runtime::TryRuntimeError,
	prelude::*,
	traits::fungible::{Inspect, InspectHold},
};

/// What the pieces say an operator should hold.
struct Expected<Balance> {
	used: u64,
	pieces: u32,
	rate: Balance,
}

impl<T: Config> Pallet<T> {
	/// Checks every invariant of the pallet.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		let era = Self::current_era();
		let (files_escrow, expected) = Self::check_files(era)?;
		let operators_pending = Self::check_operators(era, expected)?;
		ensure!(
			Self::escrow_held() == files_escrow.saturating_add(operators_pending),
			"escrow held == files' escrow + operators' pending rewards (funds conserved)"
		);
		let pot = Self::pot_account();
		ensure!(
			T::Currency::balance(&pot) >= T::Currency::minimum_balance(),
			"the pot stays alive"
		);
		Self::check_queues(era)?;
		Self::check_audits()?;
		let workers = StorageWorkers::<T>::get();
		for (i, w) in workers.iter().enumerate() {
			ensure!(!workers[..i].contains(w), "storage workers are distinct");
		}
		Ok(())
	}

	/// Checks files and pieces; returns the files' escrow (settled) and the per-operator totals.
	#[allow(clippy::type_complexity)]
	fn check_files(
		era: EraIndex,
	) -> Result<(BalanceOf<T>, BTreeMap<T::AccountId, Expected<BalanceOf<T>>>), TryRuntimeError> {
		let mut escrow = BalanceOf::<T>::zero();
		let mut expected: BTreeMap<T::AccountId, Expected<BalanceOf<T>>> = BTreeMap::new();
		let mut files = 0usize;
		for (file_id, file) in Files::<T>::iter() {
			files += 1;
			ensure!(FileIds::<T>::get(&file.cid) == Some(file_id), "FileIds indexes every file");
			ensure!(file_id < NextFileId::<T>::get(), "file ids are below NextFileId");
			ensure!(
				file.k >= 1 && file.k <= file.n && file.n <= T::MaxPiecesPerFile::get(),
				"1 <= k <= n <= MaxPiecesPerFile"
			);
			let planned = piece_layout(file.k, file.n, T::ShardSize::get())
				.and_then(|layout| layout.piece_size(file.size).ok());
			ensure!(planned == Some(file.piece_size), "piece size follows the shared layout");

			let pieces = Pieces::<T>::iter_prefix(file_id).collect::<Vec<_>>();
			ensure!(pieces.len() as u32 == file.n, "a file has exactly n pieces");
			let mut operators = Vec::with_capacity(pieces.len());
			let (mut reported, mut confirmed, mut repairing, mut awaiting) =
				(0u32, 0u32, 0u32, 0u32);
			for (index, piece) in &pieces {
				ensure!(*index < file.n, "piece indices are below n");
				ensure!(!operators.contains(&piece.operator), "a file's operators are distinct");
				operators.push(piece.operator.clone());
				ensure!(
					OperatorPieces::<T>::contains_key(&piece.operator, (file_id, *index)),
					"OperatorPieces indexes every piece"
				);
				if piece.content.is_some() {
					reported += 1;
				}
				if let Some(previous) = &piece.previous {
					ensure!(piece.repair, "only pieces moved by repair have a previous holder");
					ensure!(*previous != piece.operator, "a piece moves to another operator");
				}
				if piece.repair {
					repairing += 1;
					ensure!(piece.content.is_some(), "pieces moved by repair have known content");
					ensure!(!piece.confirmed, "confirmation ends a repair");
				}
				if piece.awaits_repair() {
					awaiting += 1;
				}
				if piece.confirmed {
					confirmed += 1;
					ensure!(piece.content.is_some(), "only reported pieces are confirmed");
					ensure!(piece.confirm_deadline.is_none(), "confirmed pieces have no deadline");
				} else if piece.content.is_some() && file.is_funded() && !piece.repair {
					ensure!(piece.confirm_deadline.is_some(), "reported pieces have a deadline");
				}
				let entry = expected.entry(piece.operator.clone()).or_insert(Expected {
					used: 0,
					pieces: 0,
					rate: Zero::zero(),
				});
				entry.used = entry.used.saturating_add(file.piece_size);
				entry.pieces = entry.pieces.saturating_add(1);
				if piece.confirmed && file.is_funded() {
					entry.rate = entry.rate.saturating_add(file.piece_reward);
				}
			}
			ensure!(reported == file.reported, "reported counter matches the pieces");
			ensure!(confirmed == file.confirmed, "confirmed counter matches the pieces");
			ensure!(repairing == file.repairing, "repairing counter matches the pieces");
			ensure!(
				AwaitingRepair::<T>::contains_key(file_id) == (file.is_funded() && awaiting > 0),
				"AwaitingRepair lists exactly the paid-up files with pieces to rebuild"
			);
			ensure!(file.k <= file.m && file.m <= file.n, "k <= m <= n");
			ensure!(
				AwaitingPlacement::<T>::contains_key(file_id)
					== (file.is_funded() && file.reported < file.n),
				"AwaitingPlacement lists exactly the paid-up files with unreported pieces"
			);
			if file.is_funded() {
				let queued = RepairQueue::<T>::get().iter().any(|e| e.file == file_id);
				ensure!(
					file.state == Self::natural_state(&file)
						|| (file.state == FileState::Degraded && queued),
					"state matches the counters (or the file is degraded and queued for repair)"
				);
				ensure!(file.expires_at >= era, "paid-up files end at or after the current era");
			} else {
				ensure!(file.escrow.is_zero(), "expired files hold no escrow");
			}
			for e in Self::expiry_schedule(file.expires_at, file.grace_period, file.is_funded()) {
				ensure!(ExpiryQueue::<T>::contains_key(e, file_id), "a pin's expiries are queued");
			}

			// Escrow owed to operators since the last settlement must be there.
			let until = era.min(file.expires_at);
			let owed = Self::file_rate(&file)
				.saturating_mul(until.saturating_sub(file.settled_era).into());
			ensure!(file.escrow >= owed, "a file's escrow covers what it owes its operators");
			escrow = escrow.saturating_add(file.escrow.saturating_sub(owed));
		}
		ensure!(FileIds::<T>::iter().count() == files, "FileIds has no stale entries");
		ensure!(AwaitingPlacement::<T>::iter().count() <= files, "AwaitingPlacement is bounded");
		Ok((escrow, expected))
	}

	/// Checks operators against the pieces; returns their pending rewards (settled).
	fn check_operators(
		era: EraIndex,
		mut expected: BTreeMap<T::AccountId, Expected<BalanceOf<T>>>,
	) -> Result<BalanceOf<T>, TryRuntimeError> {
		let eligible = EligibleOperators::<T>::get();
		let mut pending = BalanceOf::<T>::zero();
		let mut count = 0u32;
		let mut not_leaving = 0u32;
		for (who, op) in Operators::<T>::iter() {
			count += 1;
			let want = expected.remove(&who).unwrap_or(Expected {
				used: 0,
				pieces: 0,
				rate: Zero::zero(),
			});
			ensure!(op.used == want.used, "operator used capacity == sum of its pieces' sizes");
			ensure!(op.piece_count == want.pieces, "operator piece count matches its pieces");
			ensure!(
				OperatorPieces::<T>::iter_prefix(&who).count() as u32 == want.pieces,
				"OperatorPieces has no stale entries"
			);
			ensure!(op.reward_rate == want.rate, "operator reward rate == sum over its pieces");
			ensure!(op.used <= op.capacity, "operators are not over capacity");
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::OperatorBond.into(), &who) == op.bond,
				"the bond is held"
			);
			let placeable = Self::is_placeable(&who, &op);
			if placeable {
				not_leaving += 1;
			}
			ensure!(
				eligible.contains(&who) == placeable,
				"eligible == registered, not leaving, not offline and in good audit standing"
			);
			if OfflineReportsOf::<T>::contains_key(&who) {
				ensure!(op.offline_since.is_none(), "only reachable operators collect reports");
			}
			ensure!(op.settled_era <= era, "operators are not settled in the future");
			let accrued = op.reward_rate.saturating_mul(era.saturating_sub(op.settled_era).into());
			pending = pending.saturating_add(op.pending_rewards).saturating_add(accrued);
		}
		ensure!(expected.is_empty(), "every piece's operator is registered");
		for (who, _) in OfflineReportsOf::<T>::iter() {
			ensure!(Operators::<T>::contains_key(&who), "offline reports name operators");
		}
		let sweeps = HealthSweeps::<T>::get();
		for (i, who) in sweeps.iter().enumerate() {
			ensure!(!sweeps[..i].contains(who), "an operator is swept once at a time");
		}
		ensure!(
			!sweeps.is_empty() || !HealthSweepCursor::<T>::exists(),
			"no sweep cursor without a sweep"
		);
		ensure!(count == OperatorCount::<T>::get(), "OperatorCount counts operators");
		ensure!(count <= T::MaxOperators::get(), "at most MaxOperators operators");
		ensure!(eligible.len() as u32 == not_leaving, "EligibleOperators has no duplicates");
		Ok(pending)
	}

	/// Checks the expiry and confirmation queues.
	fn check_queues(era: EraIndex) -> Result<(), TryRuntimeError> {
		let mut lens: BTreeMap<EraIndex, u32> = BTreeMap::new();
		for (e, file_id, ()) in ExpiryQueue::<T>::iter() {
			ensure!(e >= era, "no expiry is left from a past era");
			let file = Files::<T>::get(file_id).ok_or("expiry entries belong to pins")?;
			ensure!(
				Self::expiry_schedule(file.expires_at, file.grace_period, file.is_funded())
					.contains(&e),
				"expiry entries match their pin's schedule"
			);
			*lens.entry(e).or_default() += 1;
		}
		let stored: BTreeMap<EraIndex, u32> = ExpiryQueueLen::<T>::iter().collect();
		ensure!(lens == stored, "ExpiryQueueLen counts ExpiryQueue");
		ensure!(
			stored.values().all(|len| *len <= T::MaxExpiriesPerEra::get()),
			"at most MaxExpiriesPerEra expiries per era"
		);
		let (head, tail) = ConfirmQueueBounds::<T>::get();
		ensure!(head <= tail, "confirmation queue head <= tail");
		let mut entries = 0u64;
		for (position, _) in ConfirmQueue::<T>::iter() {
			ensure!(position >= head && position < tail, "confirmation entries lie in head..tail");
			entries += 1;
		}
		ensure!(entries == tail - head, "the confirmation queue has no holes");
		let queue = RepairQueue::<T>::get();
		for (i, entry) in queue.iter().enumerate() {
			ensure!(Files::<T>::contains_key(entry.file), "repair entries belong to pins");
			ensure!(
				queue[..i].iter().all(|e| e.file != entry.file),
				"a file is queued for repair once"
			);
			if i > 0 {
				let prev = &queue[i - 1];
				ensure!(
					(prev.healthy, prev.file) < (entry.healthy, entry.file),
					"the repair queue is ordered by health"
				);
			}
		}
		Ok(())
	}

	fn check_audits() -> Result<(), TryRuntimeError> {
		let count = AuditSlotCount::<T>::get();
		let confirmed = Pieces::<T>::iter().filter(|(_, _, p)| p.confirmed).count() as u32;
		ensure!(count == confirmed, "the audit index holds exactly the confirmed pieces");
		ensure!(AuditSlots::<T>::iter().count() as u32 == count, "audit slots are 0..count");
		for (slot, (file, index)) in AuditSlots::<T>::iter() {
			ensure!(slot < count, "audit slots are below the count");
			ensure!(AuditSlotOf::<T>::get(file, index) == Some(slot), "audit index is reversible");
			ensure!(
				Pieces::<T>::get(file, index).is_some_and(|p| p.confirmed),
				"audited pieces are confirmed"
			);
		}
		let (head, tail) = ChallengeQueueBounds::<T>::get();
		for (id, challenge) in Challenges::<T>::iter() {
			ensure!(
				PieceChallenge::<T>::get(challenge.file, challenge.index) == Some(id),
				"a challenge is its piece's outstanding challenge"
			);
			ensure!(
				Pieces::<T>::get(challenge.file, challenge.index)
					.is_some_and(|p| p.operator == challenge.operator),
				"a challenge is addressed to the piece's operator"
			);
			ensure!(
				(head..tail).any(|pos| ChallengeQueue::<T>::get(pos).map(|(_, c)| c) == Some(id)),
				"every challenge has a queued deadline"
			);
		}
		ensure!(
			PieceChallenge::<T>::iter().count() == Challenges::<T>::iter().count(),
			"one piece entry per challenge"
		);
		Ok(())
	}
}
