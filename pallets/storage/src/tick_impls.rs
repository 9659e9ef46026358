//! Per-block work: pin expiry and confirmation deadlines, both from bounded queues.
//!
//! Neither ever iterates over files or pieces in general:
//! - expiry takes at most `MaxExpiriesPerBlock` entries of the current era's `ExpiryQueue`, each
//!   touching the `n <= MaxPiecesPerFile` pieces of one file;
//! - audits expire at most `2 x AuditsPerBlock` challenges and draw `AuditsPerBlock` new ones
//!   (see `audit.rs`);
//! - confirmation takes at most `MaxConfirmChecksPerBlock` due entries from the head of the
//!   `ConfirmQueue` FIFO, each re-assigning at most one piece (`O(MaxOperators)` placement).

use crate::*;
use alloc::vec::Vec;
use codec::Encode;
use frame::prelude::*;

/// Reed-Solomon over GF(2^8) (`cairn-storage-primitives`' layout) codes at most 256 shards.
const MAX_SHARDS: u32 = 256;

impl<T: Config> Pallet<T> {
	/// `on_initialize`: expiries of the current era, then due confirmation checks.
	pub(crate) fn do_on_initialize(now: BlockNumberFor<T>) -> Weight {
		let mut weight = T::WeightInfo::on_initialize_idle();
		let era = Self::era_of(now);
		let due = ExpiryQueue::<T>::iter_key_prefix(era)
			.take(T::MaxExpiriesPerBlock::get() as usize)
			.collect::<Vec<_>>();
		for file_id in due {
			Self::dequeue_expiry(era, file_id);
			weight.saturating_accrue(Self::process_expiry(era, file_id));
		}
		weight.saturating_accrue(Self::process_confirm_checks(now));
		weight.saturating_accrue(Self::process_audits(now));
		weight.saturating_accrue(Self::process_health_checks(now));
		weight.saturating_accrue(Self::process_repairs(now));
		weight
	}

	/// Handles one expiry entry of `era`: the end of a pin's paid eras, its removal after the
	/// grace period, or nothing for a stale entry.
	pub(crate) fn process_expiry(era: EraIndex, file_id: FileId) -> Weight {
		let Some(mut file) = Files::<T>::get(file_id) else {
			defensive!("expiry entries are removed with their pin");
			return T::WeightInfo::on_initialize_expire(0);
		};
		let weight = T::WeightInfo::on_initialize_expire(file.n);
		if file.is_funded() && file.expires_at == era {
			Self::end_paid_eras(file_id, &mut file, era);
			if file.grace_period == 0 {
				Self::remove_pin(file_id, file, RemovalReason::Expired, Zero::zero(), false);
			} else {
				Files::<T>::insert(file_id, file);
			}
		} else if !file.is_funded() && file.expires_at.saturating_add(file.grace_period) == era {
			Self::remove_pin(file_id, file, RemovalReason::Expired, Zero::zero(), false);
		} else {
			defensive!("expiry entries match their pin's schedule");
		}
		weight
	}

	/// A pin's paid eras are over: its confirmed pieces stop earning, the unspent escrow goes
	/// back to the owner and the pin enters its grace period.
	fn end_paid_eras(file_id: FileId, file: &mut FileRecord<T>, era: EraIndex) {
		Self::settle_file(file, era);
		if file.confirmed > 0 {
			for (_, piece) in Pieces::<T>::iter_prefix(file_id).filter(|(_, p)| p.confirmed) {
				let reward = file.piece_reward;
				Self::mutate_operator(&piece.operator, |op| {
					Self::settle_operator(op, era);
					op.reward_rate = op.reward_rate.defensive_saturating_sub(reward);
				});
			}
		}
		Self::set_state(file, FileState::Expired);
		AwaitingPlacement::<T>::remove(file_id);
		AwaitingRepair::<T>::remove(file_id);
		let refund = Self::refund(&file.owner, file.escrow);
		file.escrow = Zero::zero();
		Self::deposit_event(Event::<T>::PinExpired {
			cid: file.cid.clone(),
			refund,
			removal_at: era.saturating_add(file.grace_period),
		});
	}

	/// Processes due entries at the head of the confirmation queue.
	pub(crate) fn process_confirm_checks(now: BlockNumberFor<T>) -> Weight {
		let (mut head, tail) = ConfirmQueueBounds::<T>::get();
		let start = head;
		let mut weight = Weight::zero();
		let mut budget = T::MaxConfirmChecksPerBlock::get();
		while head < tail && budget > 0 {
			match ConfirmQueue::<T>::get(head) {
				Some(check) if check.deadline > now => break,
				Some(check) => {
					ConfirmQueue::<T>::remove(head);
					weight.saturating_accrue(Self::check_confirmation(check, now));
				}
				None => {
					defensive!("confirmation queue has no holes");
				}
			}
			head = head.saturating_add(1);
			budget = budget.saturating_sub(1);
		}
		if head != start {
			// Re-read: re-assignments above appended entries (moved the tail).
			ConfirmQueueBounds::<T>::mutate(|(h, _)| *h = head);
		}
		weight
	}

	/// A piece's confirmation deadline passed: if it is still unconfirmed, move it to another
	/// operator (or, if none can take it, give its operator another window).
	fn check_confirmation(
		check: ConfirmCheck<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
	) -> Weight {
		let stale = T::DbWeight::get().reads(2);
		let Some(mut piece) = Pieces::<T>::get(check.file, check.index) else { return stale };
		if piece.confirmed || piece.confirm_deadline != Some(check.deadline) {
			return stale;
		}
		let Some(file) = Files::<T>::get(check.file) else { return stale };
		if !file.is_funded() {
			// Expired pins are not re-placed; a renewal opens a new window.
			return stale;
		}
		let eligible = EligibleOperators::<T>::decode_len().unwrap_or_default() as u32;
		let weight = T::WeightInfo::on_initialize_reassign(eligible);
		let others: Vec<T::AccountId> = Pieces::<T>::iter_prefix(check.file)
			.filter(|(index, _)| *index != check.index)
			.map(|(_, p)| p.operator)
			.collect();
		let mut exclude = others.clone();
		exclude.push(piece.operator.clone());
		let deadline = now.saturating_add(T::ConfirmWindow::get());
		let chosen = Self::select_operators(
			check.file,
			&(b"reassign", check.index, now).encode(),
			file.piece_size,
			1,
			&exclude,
			Self::occupied_by(&others),
		);
		let from = piece.operator.clone();
		match chosen.ok().and_then(|mut c| c.pop()) {
			Some(to) => {
				Self::mutate_operator(&from, |op| {
					op.used = op.used.defensive_saturating_sub(file.piece_size);
					op.piece_count.defensive_saturating_dec();
				});
				OperatorPieces::<T>::remove(&from, (check.file, check.index));
				Self::mutate_operator(&to, |op| {
					op.used = op.used.defensive_saturating_add(file.piece_size);
					op.piece_count.defensive_saturating_inc();
				});
				OperatorPieces::<T>::insert(&to, (check.file, check.index), ());
				piece.operator = to.clone();
				Self::deposit_event(Event::<T>::PieceReassigned {
					cid: file.cid,
					index: check.index,
					from,
					to,
				});
			}
			None => {
				Self::deposit_event(Event::<T>::ReassignmentFailed {
					cid: file.cid,
					index: check.index,
					operator: from,
				});
			}
		}
		piece.confirm_deadline = Some(deadline);
		Pieces::<T>::insert(check.file, check.index, piece);
		Self::push_confirm_check(deadline, check.file, check.index);
		weight
	}

	/// The checks of `integrity_test`.
	pub(crate) fn do_integrity_test() {
		let era_length: u64 = T::EraLength::get().saturated_into();
		assert!(era_length > 0, "EraLength must be positive");
		assert!(T::MaxOperators::get() >= 1, "MaxOperators must be positive");
		assert!(T::MaxPiecesPerFile::get() >= 1, "MaxPiecesPerFile must be positive");
		assert!(
			T::MaxPiecesPerFile::get() <= T::MaxOperators::get(),
			"every piece of a file needs its own operator: MaxPiecesPerFile <= MaxOperators"
		);
		assert!(
			T::MaxPiecesPerFile::get() <= MAX_SHARDS,
			"Reed-Solomon over GF(2^8) has at most 256 shards: MaxPiecesPerFile <= 256"
		);
		assert!(
			!T::PricePerBytePerEra::get().is_zero(),
			"PricePerBytePerEra must be positive, or every piece reward rounds to nothing"
		);
		assert!(
			T::MaxCidLen::get() >= 64,
			"MaxCidLen must hold a text CIDv0 (46 bytes) and a base32 sha2-256 CIDv1 (59 bytes)"
		);
		assert!(T::MaxRegionLen::get() >= 1, "MaxRegionLen must be positive");
		assert!(T::MaxPeerAddrLen::get() >= 1, "MaxPeerAddrLen must be positive");
		assert!(T::MaxStorageWorkers::get() >= 1, "MaxStorageWorkers must be positive");
		assert!(T::MaxFileSize::get() >= 1, "MaxFileSize must be positive");
		let layout = cairn_storage_primitives::Layout::with_shard_size(1, 1, T::ShardSize::get());
		assert!(
			layout.is_ok(),
			"ShardSize must be a positive multiple of the 2 KiB leaf, at most 64 MiB"
		);
		assert!(
			layout.and_then(|l| l.plan(T::MaxFileSize::get())).is_ok(),
			"a MaxFileSize file must have a piece layout (at most u32::MAX leaves per piece)"
		);
		assert!(T::MaxPinEras::get() >= 1, "MaxPinEras must be positive");
		assert!(!T::ConfirmWindow::get().is_zero(), "ConfirmWindow must be positive");
		assert!(T::OfflineReportThreshold::get() >= 1, "OfflineReportThreshold must be positive");
		assert!(!T::OfflineReportWindow::get().is_zero(), "OfflineReportWindow must be positive");
		assert!(T::MaxRepairQueue::get() >= 1, "MaxRepairQueue must be positive");
		assert!(T::MaxRepairsPerBlock::get() >= 1, "MaxRepairsPerBlock must be positive");
		assert!(T::MaxHealthChecksPerBlock::get() >= 1, "MaxHealthChecksPerBlock must be positive");
		assert!(!T::ResponseWindow::get().is_zero(), "ResponseWindow must be positive");
		assert!(
			T::DisqualificationThreshold::get() <= T::SuspensionThreshold::get(),
			"an operator is suspended before it is disqualified"
		);
		assert!(
			T::ReputationForgetting::get() < Perbill::one(),
			"ReputationForgetting must be below one, or the reputation never forgets"
		);
		assert!(!T::MinOperatorBond::get().is_zero(), "MinOperatorBond must be positive");
		assert!(T::MaxExpiriesPerEra::get() >= 1, "MaxExpiriesPerEra must be positive");
		assert!(
			T::MaxConfirmChecksPerBlock::get() >= 1,
			"MaxConfirmChecksPerBlock must be positive"
		);
		assert!(
			u64::from(T::MaxExpiriesPerBlock::get()).saturating_mul(era_length)
				>= u64::from(T::MaxExpiriesPerEra::get()),
			"MaxExpiriesPerBlock x EraLength must cover MaxExpiriesPerEra, or pins would be paid \
			 past their last era"
		);
		let worst = T::WeightInfo::on_initialize_idle()
			.saturating_add(
				T::WeightInfo::on_initialize_expire(T::MaxPiecesPerFile::get())
					.saturating_mul(T::MaxExpiriesPerBlock::get().into()),
			)
			.saturating_add(
				T::WeightInfo::on_initialize_reassign(T::MaxOperators::get())
					.saturating_mul(T::MaxConfirmChecksPerBlock::get().into()),
			)
			.saturating_add(
				T::WeightInfo::on_initialize_challenge()
					.saturating_mul(T::AuditsPerBlock::get().into()),
			)
			.saturating_add(
				T::WeightInfo::on_initialize_deadline()
					.saturating_mul(T::AuditsPerBlock::get().saturating_mul(2).max(1).into()),
			)
			.saturating_add(
				T::WeightInfo::on_initialize_health_check()
					.saturating_mul(T::MaxHealthChecksPerBlock::get().into()),
			)
			.saturating_add(
				T::WeightInfo::on_initialize_repair(T::MaxPiecesPerFile::get())
					.saturating_mul(T::MaxRepairsPerBlock::get().into()),
			);
		let max = <T as frame_system::Config>::BlockWeights::get().max_block;
		let max_extrinsic = <T as frame_system::Config>::BlockWeights::get()
			.get(DispatchClass::Normal)
			.max_extrinsic
			.unwrap_or(max);
		for (call, weight) in [
			("request_pin", T::WeightInfo::request_pin(T::MaxOperators::get())),
			("change_tier", T::WeightInfo::change_tier(T::MaxOperators::get())),
			("report_placement", T::WeightInfo::report_placement(T::MaxPiecesPerFile::get())),
			("submit_proof", T::WeightInfo::submit_proof()),
			("report_repair", T::WeightInfo::report_repair(T::MaxPiecesPerFile::get())),
		] {
			assert!(
				weight.all_lte(max_extrinsic),
				"{call} with the largest bound ({weight:?}) does not fit one extrinsic \
				 ({max_extrinsic:?}): lower MaxOperators or MaxPiecesPerFile"
			);
		}
		let half = Weight::from_parts(max.ref_time() / 2, max.proof_size() / 2);
		assert!(
			worst.all_lte(half),
			"on_initialize may use {worst:?}, more than half the block ({max:?}): lower \
			 MaxExpiriesPerBlock, MaxConfirmChecksPerBlock, MaxHealthChecksPerBlock or \
			 MaxRepairsPerBlock"
		);
	}
}
