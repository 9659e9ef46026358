//! The `do_*` functions behind the calls, and the helpers they share with the hooks.
//!
//! Every `do_*` function validates everything it can before its first storage write, so a
//! rejected call changes nothing even outside a storage transaction.

use crate::{placement::Occupied, *};
use alloc::vec::Vec;
use codec::Encode;
use frame::{
	prelude::*,
	traits::fungible::{InspectHold, MutateHold},
};

impl<T: Config> Pallet<T> {
	// ---------------------------------------------------------------------------------------
	// Operators
	// ---------------------------------------------------------------------------------------

	pub(crate) fn do_register_operator(
		who: T::AccountId,
		bond: BalanceOf<T>,
		capacity: u64,
		region: RegionOf<T>,
		ipfs_peer: PeerAddrOf<T>,
	) -> DispatchResult {
		ensure!(!Operators::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
		ensure!(!Self::is_disqualified(&who), Error::<T>::Disqualified);
		ensure!(bond >= T::MinOperatorBond::get(), Error::<T>::BondTooLow);
		ensure!(capacity > 0, Error::<T>::InvalidCapacity);
		ensure!(!region.is_empty(), Error::<T>::InvalidRegion);
		ensure!(!ipfs_peer.is_empty(), Error::<T>::InvalidPeerAddress);
		let count = OperatorCount::<T>::get();
		ensure!(count < T::MaxOperators::get(), Error::<T>::TooManyOperators);
		let mut eligible = EligibleOperators::<T>::get();
		eligible.try_push(who.clone()).map_err(|_| Error::<T>::TooManyOperators)?;
		let reason: T::RuntimeHoldReason = HoldReason::OperatorBond.into();
		ensure!(T::Currency::can_hold(&reason, &who, bond), Error::<T>::InsufficientBalance);

		T::Currency::hold(&reason, &who, bond)?;
		let vetting = T::VettingAudits::get() > 0;
		let status = if vetting {
			OperatorStatus::Vetting { audits_passed: 0 }
		} else {
			OperatorStatus::Active
		};
		let record = OperatorRecord::<T> {
			bond,
			capacity,
			used: 0,
			region: region.clone(),
			ipfs_peer,
			status,
			offline_since: None,
			piece_count: 0,
			reward_rate: Zero::zero(),
			pending_rewards: Zero::zero(),
			settled_era: Self::current_era(),
			registered_at: frame_system::Pallet::<T>::block_number(),
		};
		Operators::<T>::insert(&who, record);
		OperatorCount::<T>::put(count.saturating_add(1));
		EligibleOperators::<T>::put(eligible);
		Self::deposit_event(Event::<T>::OperatorRegistered {
			who,
			bond,
			capacity,
			region,
			vetting,
		});
		Ok(())
	}

	pub(crate) fn do_update_operator(
		who: T::AccountId,
		bond: Option<BalanceOf<T>>,
		capacity: Option<u64>,
		region: Option<RegionOf<T>>,
		ipfs_peer: Option<PeerAddrOf<T>>,
	) -> DispatchResult {
		let mut record = Operators::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(
			!matches!(record.status, OperatorStatus::Leaving { .. }),
			Error::<T>::OperatorLeaving
		);
		if let Some(capacity) = capacity {
			ensure!(capacity > 0 && capacity >= record.used, Error::<T>::InvalidCapacity);
		}
		if let Some(region) = &region {
			ensure!(!region.is_empty(), Error::<T>::InvalidRegion);
		}
		if let Some(peer) = &ipfs_peer {
			ensure!(!peer.is_empty(), Error::<T>::InvalidPeerAddress);
		}
		let reason: T::RuntimeHoldReason = HoldReason::OperatorBond.into();
		if let Some(bond) = bond {
			ensure!(bond >= T::MinOperatorBond::get(), Error::<T>::BondTooLow);
			if bond > record.bond {
				let extra = bond.saturating_sub(record.bond);
				ensure!(
					T::Currency::can_hold(&reason, &who, extra),
					Error::<T>::InsufficientBalance
				);
			}
		}

		if let Some(bond) = bond {
			if bond > record.bond {
				T::Currency::hold(&reason, &who, bond.saturating_sub(record.bond))?;
			} else if bond < record.bond {
				T::Currency::release(
					&reason,
					&who,
					record.bond.saturating_sub(bond),
					Precision::Exact,
				)?;
			}
			record.bond = bond;
		}
		if let Some(capacity) = capacity {
			record.capacity = capacity;
		}
		if let Some(region) = region {
			record.region = region;
		}
		if let Some(peer) = ipfs_peer {
			record.ipfs_peer = peer;
		}
		Self::deposit_event(Event::<T>::OperatorUpdated {
			who: who.clone(),
			bond: record.bond,
			capacity: record.capacity,
			region: record.region.clone(),
		});
		Operators::<T>::insert(&who, record);
		Ok(())
	}

	pub(crate) fn do_unregister_operator(who: T::AccountId) -> DispatchResult {
		let mut record = Operators::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(
			!matches!(record.status, OperatorStatus::Leaving { .. }),
			Error::<T>::OperatorLeaving
		);
		let now = frame_system::Pallet::<T>::block_number();
		record.status = OperatorStatus::Leaving { since: now };
		Operators::<T>::insert(&who, record);
		EligibleOperators::<T>::mutate(|eligible| eligible.retain(|a| a != &who));
		// Its pieces are handed over to other operators by repair.
		Self::sweep_operator(&who);
		Self::deposit_event(Event::<T>::OperatorUnregistered {
			who,
			unbonding_ends: now.saturating_add(T::UnbondingPeriod::get()),
		});
		Ok(())
	}

	pub(crate) fn do_withdraw_bond(who: T::AccountId) -> DispatchResult {
		let mut record = Operators::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		let OperatorStatus::Leaving { since } = record.status else {
			return Err(Error::<T>::NotLeaving.into());
		};
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			now >= since.saturating_add(T::UnbondingPeriod::get()),
			Error::<T>::UnbondingNotFinished
		);
		ensure!(record.piece_count == 0, Error::<T>::PiecesStillAssigned);

		Self::settle_operator(&mut record, Self::current_era());
		let rewards = record.pending_rewards;
		Self::pay_from_escrow(&who, rewards)?;
		T::Currency::release(
			&HoldReason::OperatorBond.into(),
			&who,
			record.bond,
			Precision::Exact,
		)?;
		Operators::<T>::remove(&who);
		OfflineReportsOf::<T>::remove(&who);
		OperatorCount::<T>::mutate(|count| count.defensive_saturating_dec());
		Self::deposit_event(Event::<T>::BondWithdrawn { who, bond: record.bond, rewards });
		Ok(())
	}

	pub(crate) fn do_claim_rewards(who: T::AccountId) -> DispatchResult {
		let mut record = Operators::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		Self::settle_operator(&mut record, Self::current_era());
		let amount = record.pending_rewards;
		ensure!(!amount.is_zero(), Error::<T>::NoRewards);

		Self::pay_from_escrow(&who, amount)?;
		record.pending_rewards = Zero::zero();
		Operators::<T>::insert(&who, record);
		Self::deposit_event(Event::<T>::RewardsClaimed { who, amount });
		Ok(())
	}

	// ---------------------------------------------------------------------------------------
	// Administration
	// ---------------------------------------------------------------------------------------

	pub(crate) fn do_set_tier_config(tier: PinTier, config: TierConfig) -> DispatchResult {
		ensure!(config.is_valid(T::MaxPiecesPerFile::get()), Error::<T>::InvalidTierConfig);
		TierConfigs::<T>::insert(tier, config);
		Self::deposit_event(Event::<T>::TierConfigSet { tier, config });
		Ok(())
	}

	pub(crate) fn do_add_storage_worker(who: T::AccountId) -> DispatchResult {
		let mut workers = StorageWorkers::<T>::get();
		ensure!(!workers.contains(&who), Error::<T>::AlreadyStorageWorker);
		workers.try_push(who.clone()).map_err(|_| Error::<T>::TooManyStorageWorkers)?;
		StorageWorkers::<T>::put(workers);
		Self::deposit_event(Event::<T>::StorageWorkerAdded { who });
		Ok(())
	}

	pub(crate) fn do_remove_storage_worker(who: T::AccountId) -> DispatchResult {
		let mut workers = StorageWorkers::<T>::get();
		ensure!(workers.contains(&who), Error::<T>::NotStorageWorker);
		workers.retain(|w| w != &who);
		StorageWorkers::<T>::put(workers);
		Self::deposit_event(Event::<T>::StorageWorkerRemoved { who });
		Ok(())
	}

	// ---------------------------------------------------------------------------------------
	// Pins
	// ---------------------------------------------------------------------------------------

	pub(crate) fn do_request_pin(
		who: T::AccountId,
		cid: CidOf<T>,
		size: u64,
		tier: PinTier,
		eras: EraIndex,
		wrapped_key: Option<WrappedKey>,
	) -> DispatchResult {
		let cid = Self::canonical_cid(&cid)?;
		if let Some(file_id) = FileIds::<T>::get(&cid) {
			// Already pinned: fund the existing pin, never store the file twice.
			let file = Files::<T>::get(file_id).ok_or(Error::<T>::PinNotFound)?;
			ensure!(file.size == size, Error::<T>::SizeMismatch);
			ensure!(file.tier == tier, Error::<T>::TierMismatch);
			// Funding a pin never replaces its owner's key.
			ensure!(
				wrapped_key.is_none() || wrapped_key == file.wrapped_key,
				Error::<T>::WrappedKeyMismatch
			);
			return Self::renew(who, file_id, file, eras);
		}

		ensure!(size > 0 && size <= T::MaxFileSize::get(), Error::<T>::InvalidFileSize);
		ensure!(eras > 0 && eras <= T::MaxPinEras::get(), Error::<T>::InvalidEras);
		let config = TierConfigs::<T>::get(tier).ok_or(Error::<T>::TierNotConfigured)?;
		let piece_size = Self::piece_size_of(&config, size)?;
		let piece_reward = Self::piece_reward(&config, piece_size)?;
		let cost = Self::price_for(piece_reward.checked_mul(&config.n.into()), eras)?;
		Self::ensure_can_pay(&who, cost)?;
		let era = Self::current_era();
		let expires_at = era.checked_add(eras).ok_or(Error::<T>::InvalidEras)?;
		let schedule = Self::expiry_schedule(expires_at, config.grace_period, true);
		Self::ensure_expiry_room(&[], &schedule)?;
		let file_id = NextFileId::<T>::get();
		let next_id = file_id.checked_add(1).ok_or(Error::<T>::PriceOverflow)?;
		let operators = Self::select_operators(
			file_id,
			b"pin",
			piece_size,
			config.n,
			&[],
			Occupied::default(),
		)?;

		Self::charge(&who, cost)?;
		NextFileId::<T>::put(next_id);
		let record = FileRecord::<T> {
			cid: cid.clone(),
			owner: who.clone(),
			size,
			tier,
			k: config.k,
			n: config.n,
			m: config.m,
			grace_period: config.grace_period,
			piece_size,
			piece_reward,
			state: FileState::Requested,
			created_at: frame_system::Pallet::<T>::block_number(),
			expires_at,
			escrow: cost,
			settled_era: era,
			reported: 0,
			confirmed: 0,
			repairing: 0,
			co_funded: false,
			wrapped_key,
		};
		let mut assignments = Vec::with_capacity(operators.len());
		for (index, operator) in (0..).zip(operators) {
			Self::assign_piece(file_id, &record, index, &operator);
			assignments.push((index, operator));
		}
		FileIds::<T>::insert(&cid, file_id);
		Files::<T>::insert(file_id, record);
		AwaitingPlacement::<T>::insert(file_id, ());
		Self::apply_expiry_schedule(file_id, &[], &schedule);
		Self::deposit_event(Event::<T>::PinRequested {
			cid: cid.clone(),
			file_id,
			who,
			size,
			tier,
			eras,
			expires_at,
			cost,
		});
		Self::deposit_event(Event::<T>::PiecesAssigned {
			cid,
			operators: BoundedVec::truncate_from(assignments),
		});
		Ok(())
	}

	pub(crate) fn do_renew_pin(who: T::AccountId, cid: CidOf<T>, eras: EraIndex) -> DispatchResult {
		let (file_id, file) = Self::file_by_cid(&cid)?;
		Self::renew(who, file_id, file, eras)
	}

	/// Pays for `eras` more eras of `file`; revives it if it is in its grace period.
	fn renew(
		who: T::AccountId,
		file_id: FileId,
		mut file: FileRecord<T>,
		eras: EraIndex,
	) -> DispatchResult {
		ensure!(eras > 0, Error::<T>::InvalidEras);
		let era = Self::current_era();
		let reviving = !file.is_funded();
		let start = if reviving { era } else { file.expires_at.max(era) };
		let expires_at = start.checked_add(eras).ok_or(Error::<T>::InvalidEras)?;
		ensure!(expires_at <= era.saturating_add(T::MaxPinEras::get()), Error::<T>::InvalidEras);
		let cost = Self::price_for(file.cost_per_era(), eras)?;
		let old_schedule =
			Self::expiry_schedule(file.expires_at, file.grace_period, file.is_funded());
		let new_schedule = Self::expiry_schedule(expires_at, file.grace_period, true);
		Self::ensure_expiry_room(&old_schedule, &new_schedule)?;
		Self::ensure_can_pay(&who, cost)?;

		Self::charge(&who, cost)?;
		Self::apply_expiry_schedule(file_id, &old_schedule, &new_schedule);
		if reviving {
			// Nothing accrued while expired: restart the accounting from the current era.
			file.settled_era = era;
			file.expires_at = expires_at;
			let to = Self::natural_state(&file);
			Self::set_state(&mut file, to);
			Self::revive_pieces(file_id, &file);
			if file.reported < file.n {
				AwaitingPlacement::<T>::insert(file_id, ());
			}
			Self::refresh_awaiting_repair(file_id, &file);
		} else {
			file.expires_at = expires_at;
		}
		file.escrow = file.escrow.defensive_saturating_add(cost);
		if who != file.owner {
			file.co_funded = true;
		}
		Self::deposit_event(Event::<T>::PinRenewed {
			cid: file.cid.clone(),
			who,
			eras,
			expires_at,
			cost,
		});
		Files::<T>::insert(file_id, file);
		Ok(())
	}

	/// A revived file's confirmed pieces earn again; its reported, unconfirmed pieces get a new
	/// confirmation window.
	fn revive_pieces(file_id: FileId, file: &FileRecord<T>) {
		let era = Self::current_era();
		let deadline = Self::confirm_deadline();
		let pieces = Pieces::<T>::iter_prefix(file_id).collect::<Vec<_>>();
		for (index, mut piece) in pieces {
			if piece.confirmed {
				Self::mutate_operator(&piece.operator, |op| {
					Self::settle_operator(op, era);
					op.reward_rate = op.reward_rate.defensive_saturating_add(file.piece_reward);
				});
			} else if piece.content.is_some() && !piece.awaits_repair() {
				piece.confirm_deadline = Some(deadline);
				Pieces::<T>::insert(file_id, index, piece);
				Self::push_confirm_check(deadline, file_id, index);
			}
		}
	}

	pub(crate) fn do_change_tier(
		who: T::AccountId,
		cid: CidOf<T>,
		tier: PinTier,
	) -> DispatchResult {
		let (file_id, mut file) = Self::file_by_cid(&cid)?;
		ensure!(file.owner == who, Error::<T>::NotPinOwner);
		ensure!(!file.co_funded, Error::<T>::CoFundedPin);
		let era = Self::current_era();
		ensure!(file.is_funded() && file.expires_at > era, Error::<T>::PinExpired);
		ensure!(file.tier != tier, Error::<T>::SameTier);
		let config = TierConfigs::<T>::get(tier).ok_or(Error::<T>::TierNotConfigured)?;
		let new_piece_size = Self::piece_size_of(&config, file.size)?;
		let new_reward = Self::piece_reward(&config, new_piece_size)?;
		let remaining = file.expires_at.saturating_sub(era);
		let need_new = Self::price_for(new_reward.checked_mul(&config.n.into()), remaining)?;
		let need_old = Self::price_for(file.cost_per_era(), remaining)?;
		let charged = need_new.saturating_sub(need_old);
		let refunded = need_old.saturating_sub(need_new);
		let old_schedule = Self::expiry_schedule(file.expires_at, file.grace_period, true);
		let new_schedule = Self::expiry_schedule(file.expires_at, config.grace_period, true);
		Self::ensure_expiry_room(&old_schedule, &new_schedule)?;
		Self::ensure_can_pay(&who, charged)?;

		ensure!(config.k == file.k, Error::<T>::LayoutChange);
		// With the same `k`, pieces `0..min(n_old, n_new)` are the same bytes and stay put.
		let keep = file.n.min(config.n);
		let pieces = Pieces::<T>::iter_prefix(file_id).collect::<Vec<_>>();
		let kept: Vec<T::AccountId> = pieces
			.iter()
			.filter(|(index, _)| *index < keep)
			.map(|(_, piece)| piece.operator.clone())
			.collect();
		let chosen = Self::select_operators(
			file_id,
			&(b"tier", era).encode(),
			new_piece_size,
			config.n.saturating_sub(keep),
			&kept,
			Self::occupied_by(&kept),
		)?;

		Self::charge(&who, charged)?;
		Self::settle_file(&mut file, era);
		let mut released = Vec::new();
		for (index, piece) in &pieces {
			if *index >= keep {
				if let Some(operator) = Self::release_piece(file_id, &mut file, *index, era, false)
				{
					released.push((*index, operator));
				}
			} else if piece.confirmed && new_reward != file.piece_reward {
				let old_reward = file.piece_reward;
				Self::mutate_operator(&piece.operator, |op| {
					Self::settle_operator(op, era);
					op.reward_rate = op
						.reward_rate
						.defensive_saturating_sub(old_reward)
						.saturating_add(new_reward);
				});
			}
		}
		released.sort_by_key(|(index, _)| *index);
		let from = file.tier;
		file.tier = tier;
		file.k = config.k;
		file.n = config.n;
		file.m = config.m;
		file.grace_period = config.grace_period;
		file.piece_size = new_piece_size;
		file.piece_reward = new_reward;
		let mut assigned = Vec::new();
		for (index, operator) in (keep..).zip(chosen) {
			Self::assign_piece(file_id, &file, index, &operator);
			assigned.push((index, operator));
		}
		file.escrow = file.escrow.defensive_saturating_add(charged);
		file.escrow = file.escrow.defensive_saturating_sub(refunded);
		let refunded = Self::refund(&file.owner, refunded);
		Self::apply_expiry_schedule(file_id, &old_schedule, &new_schedule);
		if file.reported < file.n {
			AwaitingPlacement::<T>::insert(file_id, ());
		} else {
			AwaitingPlacement::<T>::remove(file_id);
		}
		Self::refresh_awaiting_repair(file_id, &file);
		let to = Self::natural_state(&file);
		Self::set_state(&mut file, to);
		let cid = file.cid.clone();
		Files::<T>::insert(file_id, file);
		Self::deposit_event(Event::<T>::TierChanged {
			cid: cid.clone(),
			from,
			to: tier,
			charged,
			refunded,
		});
		if !released.is_empty() {
			Self::deposit_event(Event::<T>::PiecesReleased {
				cid: cid.clone(),
				operators: BoundedVec::truncate_from(released),
			});
		}
		if !assigned.is_empty() {
			Self::deposit_event(Event::<T>::PiecesAssigned {
				cid,
				operators: BoundedVec::truncate_from(assigned),
			});
		}
		Ok(())
	}

	pub(crate) fn do_unpin(who: T::AccountId, cid: CidOf<T>) -> DispatchResult {
		let (file_id, mut file) = Self::file_by_cid(&cid)?;
		ensure!(file.owner == who, Error::<T>::NotPinOwner);
		ensure!(!file.co_funded, Error::<T>::CoFundedPin);

		let era = Self::current_era();
		Self::settle_file(&mut file, era);
		// The owner paid for the current era: the confirmed pieces earn it before they go.
		let credit_current = file.is_funded() && era < file.expires_at;
		if credit_current {
			let owed = Self::file_rate(&file);
			file.escrow = file.escrow.defensive_saturating_sub(owed);
		}
		let refund = Self::refund(&file.owner, file.escrow);
		file.escrow = Zero::zero();
		Self::remove_pin(file_id, file, RemovalReason::Unpinned, refund, credit_current);
		Ok(())
	}

	// ---------------------------------------------------------------------------------------
	// Placement reports and confirmations
	// ---------------------------------------------------------------------------------------

	pub(crate) fn do_report_placement(
		worker: T::AccountId,
		cid: CidOf<T>,
		reports: PieceReportsOf<T>,
	) -> DispatchResult {
		let (file_id, mut file) = Self::worker_report_target(&worker, &cid, &reports)?;
		let deadline = Self::confirm_deadline();
		let mut indices = Vec::with_capacity(reports.len());
		let mut updates = Vec::with_capacity(reports.len());
		for report in reports {
			let mut piece = Self::reported_piece(file_id, &file, &indices, report.index)?;
			ensure!(piece.content.is_none(), Error::<T>::PieceAlreadyReported);
			ensure!(report.size == file.piece_size, Error::<T>::InvalidPieceSize);
			let piece_cid = Self::canonical_cid(&report.cid)?;
			piece.content =
				Some(PieceContent { cid: piece_cid, size: report.size, root: report.root });
			piece.confirm_deadline = Some(deadline);
			indices.push(report.index);
			updates.push((report.index, piece));
		}

		Self::store_reported(file_id, deadline, updates);
		file.reported = file.reported.saturating_add(indices.len() as u32);
		if file.reported >= file.n {
			AwaitingPlacement::<T>::remove(file_id);
		}
		let to = Self::natural_state(&file);
		Self::set_state(&mut file, to);
		Self::deposit_event(Event::<T>::PlacementReported {
			cid: file.cid.clone(),
			worker,
			indices: BoundedVec::truncate_from(indices),
		});
		Files::<T>::insert(file_id, file);
		Ok(())
	}

	pub(crate) fn do_report_pin_failed(
		worker: T::AccountId,
		cid: CidOf<T>,
		reason: PinFailure,
	) -> DispatchResult {
		ensure!(StorageWorkers::<T>::get().contains(&worker), Error::<T>::NotStorageWorker);
		let (file_id, file) = Self::file_by_cid(&cid)?;
		ensure!(file.reported == 0 && file.confirmed == 0, Error::<T>::AlreadyPlaced);

		Self::deposit_event(Event::<T>::PinFailed { cid: file.cid.clone(), worker, reason });
		// Nothing was confirmed, so nothing accrued: the whole escrow goes back.
		Self::refund_and_remove(file_id, file, RemovalReason::PlacementFailed);
		Ok(())
	}

	pub(crate) fn do_confirm_piece(
		who: T::AccountId,
		cid: CidOf<T>,
		index: PieceIndex,
	) -> DispatchResult {
		let (file_id, mut file) = Self::file_by_cid(&cid)?;
		let mut piece = Pieces::<T>::get(file_id, index).ok_or(Error::<T>::InvalidPieceIndex)?;
		ensure!(piece.operator == who, Error::<T>::NotAssignedOperator);
		ensure!(!piece.confirmed, Error::<T>::PieceAlreadyConfirmed);
		ensure!(piece.content.is_some() && !piece.awaits_repair(), Error::<T>::PieceNotReported);
		let mut operator = Operators::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;

		let era = Self::current_era();
		Self::settle_file(&mut file, era);
		if file.is_funded() {
			Self::settle_operator(&mut operator, era);
			operator.reward_rate = operator.reward_rate.defensive_saturating_add(file.piece_reward);
			Operators::<T>::insert(&who, operator);
		}
		piece.confirmed = true;
		piece.confirm_deadline = None;
		let repaired = core::mem::take(&mut piece.repair);
		if repaired {
			file.repairing.defensive_saturating_dec();
		}
		// The operator the piece was moved from may drop it now that its copy is confirmed.
		let released = piece.previous.take();
		Pieces::<T>::insert(file_id, index, piece);
		if let Some(previous) = released {
			Self::deposit_event(Event::<T>::PiecesReleased {
				cid: file.cid.clone(),
				operators: BoundedVec::truncate_from(alloc::vec![(index, previous)]),
			});
		}
		Self::add_audit_slot(file_id, index);
		file.confirmed = file.confirmed.saturating_add(1);
		Self::deposit_event(Event::<T>::PieceConfirmed {
			cid: file.cid.clone(),
			index,
			operator: who,
		});
		if file.is_funded() {
			let to = Self::natural_state(&file);
			Self::set_state(&mut file, to);
		}
		if repaired && file.repairing == 0 && file.confirmed == file.n {
			Self::deposit_event(Event::<T>::FileRepaired { cid: file.cid.clone() });
		}
		Files::<T>::insert(file_id, file);
		Ok(())
	}

	// ---------------------------------------------------------------------------------------
	// Shared helpers
	// ---------------------------------------------------------------------------------------

	/// What `report_placement` and `report_repair` check first: a storage worker reports on a
	/// paid-up pin, with at least one piece. Returns the pin.
	pub(crate) fn worker_report_target(
		worker: &T::AccountId,
		cid: &[u8],
		reports: &PieceReportsOf<T>,
	) -> Result<(FileId, FileRecord<T>), DispatchError> {
		ensure!(StorageWorkers::<T>::get().contains(worker), Error::<T>::NotStorageWorker);
		let (file_id, file) = Self::file_by_cid(cid)?;
		ensure!(file.is_funded(), Error::<T>::PinExpired);
		ensure!(!reports.is_empty(), Error::<T>::EmptyReport);
		Ok((file_id, file))
	}

	/// The piece a report names: its index is below the file's `n` and not already among
	/// `indices` (the report's earlier pieces).
	pub(crate) fn reported_piece(
		file_id: FileId,
		file: &FileRecord<T>,
		indices: &[PieceIndex],
		index: PieceIndex,
	) -> Result<PieceRecord<T>, Error<T>> {
		ensure!(index < file.n, Error::<T>::InvalidPieceIndex);
		ensure!(!indices.contains(&index), Error::<T>::DuplicatePieceIndex);
		Pieces::<T>::get(file_id, index).ok_or(Error::<T>::InvalidPieceIndex)
	}

	/// The canonical form of a CID argument, or `InvalidCid`.
	pub(crate) fn canonical_cid(cid: &[u8]) -> Result<CidOf<T>, Error<T>> {
		let canonical = crate::cid::canonicalize(cid).map_err(|_| Error::<T>::InvalidCid)?;
		BoundedVec::try_from(canonical).map_err(|_| Error::<T>::InvalidCid)
	}

	/// The id of the pin of a CID argument.
	pub(crate) fn lookup_cid(cid: &[u8]) -> Result<FileId, Error<T>> {
		let cid = Self::canonical_cid(cid)?;
		FileIds::<T>::get(&cid).ok_or(Error::<T>::PinNotFound)
	}

	/// The id and record of the pin of a CID argument.
	pub(crate) fn file_by_cid(cid: &[u8]) -> Result<(FileId, FileRecord<T>), Error<T>> {
		let file_id = Self::lookup_cid(cid)?;
		let file = Files::<T>::get(file_id).ok_or(Error::<T>::PinNotFound)?;
		Ok((file_id, file))
	}

	/// The state a paid-up file is in, from its counters.
	pub(crate) fn natural_state(file: &FileRecord<T>) -> FileState {
		if file.reported < file.n {
			FileState::Requested
		} else if file.repairing > 0 {
			FileState::Repairing
		} else if file.confirmed < file.n {
			FileState::Placed
		} else {
			FileState::Stored
		}
	}

	/// Moves `file` to state `to`, emitting `FileStateChanged` if that is a change.
	pub(crate) fn set_state(file: &mut FileRecord<T>, to: FileState) {
		if file.state != to {
			Self::deposit_event(Event::<T>::FileStateChanged {
				cid: file.cid.clone(),
				from: file.state,
				to,
			});
			file.state = to;
		}
	}

	/// Applies `f` to an operator's record, if it exists.
	pub(crate) fn mutate_operator(who: &T::AccountId, f: impl FnOnce(&mut OperatorRecord<T>)) {
		Operators::<T>::mutate(who, |maybe| match maybe {
			Some(record) => f(record),
			None => {
				defensive!("a piece's operator is registered");
			}
		});
	}

	/// Regions and vetting slots taken by `operators`.
	pub(crate) fn occupied_by(operators: &[T::AccountId]) -> Occupied {
		let mut occupied = Occupied::default();
		for who in operators {
			if let Some(record) = Operators::<T>::get(who) {
				occupied.regions.push(placement::region_key(&record.region));
				if matches!(record.status, OperatorStatus::Vetting { .. }) {
					occupied.vetting = occupied.vetting.saturating_add(1);
				}
			}
		}
		occupied
	}

	/// Assigns a new, unreported piece `index` of `file` to `operator`.
	pub(crate) fn assign_piece(
		file_id: FileId,
		file: &FileRecord<T>,
		index: PieceIndex,
		operator: &T::AccountId,
	) {
		Self::mutate_operator(operator, |op| {
			op.used = op.used.defensive_saturating_add(file.piece_size);
			op.piece_count.defensive_saturating_inc();
		});
		OperatorPieces::<T>::insert(operator, (file_id, index), ());
		Pieces::<T>::insert(
			file_id,
			index,
			PieceRecord::<T> {
				operator: operator.clone(),
				content: None,
				confirmed: false,
				confirm_deadline: None,
				repair: false,
				previous: None,
			},
		);
	}

	/// Removes piece `index` of `file` from its operator. The file must be settled to `era`.
	/// With `credit_current`, a confirmed piece also earns the current era. Returns the operator.
	pub(crate) fn release_piece(
		file_id: FileId,
		file: &mut FileRecord<T>,
		index: PieceIndex,
		era: EraIndex,
		credit_current: bool,
	) -> Option<T::AccountId> {
		let Some(piece) = Pieces::<T>::take(file_id, index) else {
			defensive!("released pieces exist");
			return None;
		};
		let earning = piece.confirmed && file.is_funded();
		let reward = file.piece_reward;
		Self::mutate_operator(&piece.operator, |op| {
			Self::settle_operator(op, era);
			if earning {
				op.reward_rate = op.reward_rate.defensive_saturating_sub(reward);
				if credit_current {
					op.pending_rewards = op.pending_rewards.defensive_saturating_add(reward);
				}
			}
			op.used = op.used.defensive_saturating_sub(file.piece_size);
			op.piece_count.defensive_saturating_dec();
		});
		OperatorPieces::<T>::remove(&piece.operator, (file_id, index));
		if piece.confirmed {
			file.confirmed.defensive_saturating_dec();
			Self::remove_audit_slot(file_id, index);
		}
		if piece.content.is_some() {
			file.reported.defensive_saturating_dec();
		}
		if piece.repair {
			file.repairing.defensive_saturating_dec();
		}
		if let Some(previous) = piece.previous {
			// It still held the bytes of a piece moved by repair.
			Self::deposit_event(Event::<T>::PiecesReleased {
				cid: file.cid.clone(),
				operators: BoundedVec::truncate_from(alloc::vec![(index, previous)]),
			});
		}
		Some(piece.operator)
	}

	/// Removes a pin that owes its operators nothing more this era: settles it, refunds all its
	/// remaining escrow to the owner and removes it.
	pub(crate) fn refund_and_remove(
		file_id: FileId,
		mut file: FileRecord<T>,
		reason: RemovalReason,
	) {
		Self::settle_file(&mut file, Self::current_era());
		let refund = Self::refund(&file.owner, file.escrow);
		file.escrow = Zero::zero();
		Self::remove_pin(file_id, file, reason, refund, false);
	}

	/// Stores pieces a worker report (placement or repair) just made confirmable and queues
	/// their confirmation deadline.
	pub(crate) fn store_reported(
		file_id: FileId,
		deadline: BlockNumberFor<T>,
		updates: Vec<(PieceIndex, PieceRecord<T>)>,
	) {
		for (index, piece) in updates {
			Pieces::<T>::insert(file_id, index, piece);
			Self::push_confirm_check(deadline, file_id, index);
		}
	}

	/// Releases every piece of a pin and removes it. The file must be settled, its escrow
	/// already paid out (`refund` is what its owner got).
	pub(crate) fn remove_pin(
		file_id: FileId,
		mut file: FileRecord<T>,
		reason: RemovalReason,
		refund: BalanceOf<T>,
		credit_current: bool,
	) {
		let era = Self::current_era();
		let indices = Pieces::<T>::iter_key_prefix(file_id).collect::<Vec<_>>();
		let mut released = Vec::with_capacity(indices.len());
		for index in indices {
			if let Some(operator) =
				Self::release_piece(file_id, &mut file, index, era, credit_current)
			{
				released.push((index, operator));
			}
		}
		released.sort_by_key(|(index, _)| *index);
		let schedule = Self::expiry_schedule(file.expires_at, file.grace_period, file.is_funded());
		Self::apply_expiry_schedule(file_id, &schedule, &[]);
		AwaitingPlacement::<T>::remove(file_id);
		AwaitingRepair::<T>::remove(file_id);
		RepairQueue::<T>::mutate(|queue| queue.retain(|e| e.file != file_id));
		FileIds::<T>::remove(&file.cid);
		Files::<T>::remove(file_id);
		Self::deposit_event(Event::<T>::PiecesReleased {
			cid: file.cid.clone(),
			operators: BoundedVec::truncate_from(released),
		});
		Self::deposit_event(Event::<T>::PinRemoved { cid: file.cid, reason, refund });
	}

	/// The expiry-queue eras of a pin ending at `expires_at`: the end of its paid eras (unless
	/// already past) and, with a grace period, its removal.
	pub(crate) fn expiry_schedule(
		expires_at: EraIndex,
		grace_period: EraIndex,
		funded: bool,
	) -> Vec<EraIndex> {
		let mut eras = Vec::with_capacity(2);
		if funded {
			eras.push(expires_at);
		}
		if grace_period > 0 {
			eras.push(expires_at.saturating_add(grace_period));
		}
		eras
	}

	/// Checks that replacing a pin's `old` expiry entries by `new` ones fits every era's queue.
	pub(crate) fn ensure_expiry_room(old: &[EraIndex], new: &[EraIndex]) -> DispatchResult {
		for era in new {
			let freed = old.iter().filter(|e| *e == era).count() as u32;
			let len = ExpiryQueueLen::<T>::get(era).saturating_sub(freed).saturating_add(1);
			ensure!(len <= T::MaxExpiriesPerEra::get(), Error::<T>::ExpiryQueueFull);
		}
		Ok(())
	}

	/// Replaces a pin's `old` expiry entries by `new` ones.
	pub(crate) fn apply_expiry_schedule(file_id: FileId, old: &[EraIndex], new: &[EraIndex]) {
		for era in old {
			Self::dequeue_expiry(*era, file_id);
		}
		for era in new {
			if !ExpiryQueue::<T>::contains_key(era, file_id) {
				ExpiryQueue::<T>::insert(era, file_id, ());
				ExpiryQueueLen::<T>::mutate(era, |len| len.saturating_inc());
			}
		}
	}

	/// Removes one expiry entry, if present.
	pub(crate) fn dequeue_expiry(era: EraIndex, file_id: FileId) {
		if ExpiryQueue::<T>::take(era, file_id).is_some() {
			ExpiryQueueLen::<T>::mutate_exists(era, |len| {
				let left = len.unwrap_or_default().defensive_saturating_sub(1);
				*len = (left > 0).then_some(left);
			});
		}
	}

	/// The confirmation deadline of a piece reported now.
	pub(crate) fn confirm_deadline() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number().saturating_add(T::ConfirmWindow::get())
	}

	/// Appends a confirmation check to the queue.
	pub(crate) fn push_confirm_check(deadline: BlockNumberFor<T>, file: FileId, index: PieceIndex) {
		ConfirmQueueBounds::<T>::mutate(|(_, tail)| {
			ConfirmQueue::<T>::insert(*tail, ConfirmCheck { deadline, file, index });
			*tail = tail.saturating_add(1);
		});
	}
}
