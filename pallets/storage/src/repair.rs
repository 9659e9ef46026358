//! File health and repair: offline reports, health sweeps over unavailable operators' pieces,
//! the repair queue, replacement operators and the storage worker's repair reports.
//!
//! ## Health
//! A piece is *healthy* when it is confirmed and its operator is available: registered, not
//! leaving, not disqualified by the audits and not marked offline. A file's health is its number
//! of healthy pieces, computed from its `n <= MaxPiecesPerFile` pieces when needed (never
//! stored, so an operator coming back online needs no bookkeeping).
//!
//! ## When health is checked
//! When an operator becomes unavailable (marked offline by `OfflineReportThreshold` reports,
//! `unregister_operator`, disqualification), it joins `HealthSweeps`. Every block checks at most
//! `MaxHealthChecksPerBlock` of the first swept operator's pieces (a cursor remembers where it
//! stopped), so a mass failure is spread over many blocks. A checked file with fewer than `k`
//! *readable* pieces (healthy ones, plus those of leaving operators, which still serve them until
//! they are handed over) cannot be rebuilt: it is **lost** (`FileLost`: removed and refunded,
//! never silently). One with health below `m`, or with a piece on a leaving or disqualified
//! operator (such pieces are handed over or written off whatever the health), enters the bounded
//! `RepairQueue`, ordered by health (lowest first). Below `m` it is `Degraded`. A full queue
//! pauses the sweep (nothing is dropped).
//!
//! ## Repair
//! Every block takes at most `MaxRepairsPerBlock` due entries from the front of the queue. It
//! re-checks the file (an operator may be back), moves every piece of a leaving or disqualified
//! operator — and, while health is below `m`, every piece of an offline one — to a replacement
//! operator chosen by the placement rules of new pins (`RepairScheduled`; an old operator that
//! confirmed the piece keeps serving it as its `previous` holder until the new one confirms,
//! then `PiecesReleased` names it), and the file is `Repairing`. The storage worker rebuilds those pieces from
//! any `k` healthy ones, gives them to the new operators and calls `report_repair`, which must
//! match the content id, size and root recorded at placement (the same bytes, by construction of
//! the code). Each new operator then confirms within `ConfirmWindow` (or the piece is
//! re-assigned, as at placement); when the last one confirms, `FileRepaired` and `Stored`. With
//! too few eligible operators the moves that fit are made and the rest retried after
//! `RepairRetryDelay` blocks (`RepairDeferred`).

use crate::*;
use alloc::vec::Vec;
use codec::Encode;
use frame::prelude::*;

/// Why a piece's operator is unavailable.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Unavailable {
	/// Leaving: it still serves its pieces until they are handed over, which they always are.
	Leaving,
	/// Disqualified (or gone): its pieces are written off and handed over.
	Gone,
	/// Marked offline: its pieces are handed over only if the file's health is below `m`.
	Offline,
}

/// A file's health.
pub(crate) struct Health {
	/// Confirmed pieces on available operators.
	pub healthy: u32,
	/// Confirmed pieces the storage worker can still read to rebuild the others: the healthy
	/// ones and those of leaving operators. Below `k`, the file is lost.
	pub readable: u32,
	/// Pieces on unavailable operators.
	pub unavailable: Vec<(PieceIndex, Unavailable)>,
}

impl Health {
	/// The pieces a repair must move for a file with repair threshold `m`.
	pub fn to_move(&self, m: u32) -> Vec<PieceIndex> {
		self.unavailable
			.iter()
			.filter(|(_, why)| *why != Unavailable::Offline || self.healthy < m)
			.map(|(index, _)| *index)
			.collect()
	}
}

/// What a health check of one file did.
#[derive(PartialEq, Eq)]
enum Checked {
	/// Nothing more to do for this file.
	Done,
	/// The file needs repair but the queue is full.
	QueueFull,
}

impl<T: Config> Pallet<T> {
	// ---------------------------------------------------------------------------------------
	// Health
	// ---------------------------------------------------------------------------------------

	/// Whether `who` is unavailable, and how.
	pub(crate) fn unavailability(who: &T::AccountId) -> Option<Unavailable> {
		let Some(record) = Operators::<T>::get(who) else { return Some(Unavailable::Gone) };
		if Self::is_disqualified(who) {
			Some(Unavailable::Gone)
		} else if record.offline_since.is_some() {
			Some(Unavailable::Offline)
		} else if matches!(record.status, OperatorStatus::Leaving { .. }) {
			Some(Unavailable::Leaving)
		} else {
			None
		}
	}

	/// The health of file `file_id`.
	pub(crate) fn health(file_id: FileId) -> Health {
		let mut health = Health { healthy: 0, readable: 0, unavailable: Vec::new() };
		for (index, piece) in Pieces::<T>::iter_prefix(file_id) {
			// A piece being repaired is still readable from the operator it was moved from.
			let source = piece.previous.as_ref().filter(|_| !piece.confirmed);
			if source.is_some_and(|p| {
				matches!(Self::unavailability(p), None | Some(Unavailable::Leaving))
			}) {
				health.readable.saturating_inc();
			}
			let why = Self::unavailability(&piece.operator);
			if piece.confirmed && why.is_none() {
				health.healthy.saturating_inc();
			}
			if piece.confirmed && matches!(why, None | Some(Unavailable::Leaving)) {
				health.readable.saturating_inc();
			}
			if let Some(why) = why {
				health.unavailable.push((index, why));
			}
		}
		health.unavailable.sort_by_key(|(index, _)| *index);
		health
	}

	/// Whether an operator may receive new pieces: not leaving, not offline, in good standing.
	pub(crate) fn is_placeable(who: &T::AccountId, record: &OperatorRecord<T>) -> bool {
		!matches!(record.status, OperatorStatus::Leaving { .. })
			&& record.offline_since.is_none()
			&& Self::in_good_standing(who)
	}

	/// Puts `who` in or out of `EligibleOperators` according to its record.
	pub(crate) fn refresh_eligibility(who: &T::AccountId) {
		let placeable = Operators::<T>::get(who).is_some_and(|r| Self::is_placeable(who, &r));
		EligibleOperators::<T>::mutate(|eligible| {
			let present = eligible.contains(who);
			if placeable && !present {
				// At most `MaxOperators` operators exist, so this fits.
				let _ = eligible.try_push(who.clone()).defensive();
			} else if !placeable && present {
				eligible.retain(|a| a != who);
			}
		});
	}

	/// Queues `who`'s pieces for a health check (it just became unavailable).
	pub(crate) fn sweep_operator(who: &T::AccountId) {
		HealthSweeps::<T>::mutate(|sweeps| {
			if !sweeps.contains(who) {
				// One entry per operator, at most `MaxOperators`.
				let _ = sweeps.try_push(who.clone()).defensive();
			}
		});
	}

	/// `on_initialize`: checks up to `MaxHealthChecksPerBlock` pieces of swept operators.
	pub(crate) fn process_health_checks(now: BlockNumberFor<T>) -> Weight {
		let mut sweeps = HealthSweeps::<T>::get();
		if sweeps.is_empty() {
			return Weight::zero();
		}
		let mut weight = T::DbWeight::get().reads_writes(2, 2);
		let mut budget = T::MaxHealthChecksPerBlock::get();
		let mut cursor = HealthSweepCursor::<T>::get();
		'sweeps: while budget > 0 {
			let Some(who) = sweeps.first().cloned() else { break };
			if Self::unavailability(&who).is_none() {
				// Back online before its pieces were checked: nothing to do.
				sweeps.remove(0);
				cursor = None;
				continue;
			}
			let keys: Vec<(FileId, PieceIndex)> = match &cursor {
				Some(raw) => OperatorPieces::<T>::iter_key_prefix_from(&who, raw.to_vec())
					.take(budget as usize)
					.collect(),
				None => OperatorPieces::<T>::iter_key_prefix(&who).take(budget as usize).collect(),
			};
			let finished = (keys.len() as u32) < budget;
			for (file_id, index) in keys {
				weight.saturating_accrue(T::WeightInfo::on_initialize_health_check());
				budget.saturating_dec();
				if Self::check_health(file_id, now) == Checked::QueueFull {
					break 'sweeps;
				}
				let raw = OperatorPieces::<T>::hashed_key_for(&who, (file_id, index));
				cursor = BoundedVec::try_from(raw).ok();
			}
			if finished {
				sweeps.remove(0);
				cursor = None;
			}
		}
		HealthSweeps::<T>::put(sweeps);
		HealthSweepCursor::<T>::set(cursor);
		weight
	}

	/// Checks one file's health: lost, queued for repair, or fine.
	fn check_health(file_id: FileId, now: BlockNumberFor<T>) -> Checked {
		let Some(mut file) = Files::<T>::get(file_id) else { return Checked::Done };
		if !file.is_funded() {
			// Nobody pays for it any more: it is removed after its grace period, not repaired.
			return Checked::Done;
		}
		let mut queue = RepairQueue::<T>::get();
		if queue.iter().any(|e| e.file == file_id) {
			return Checked::Done;
		}
		let health = Self::health(file_id);
		if file.was_stored() && health.readable < file.k {
			Self::lose_file(file_id, file, health.readable);
			return Checked::Done;
		}
		if health.to_move(file.m).is_empty() {
			return Checked::Done;
		}
		let entry = RepairEntry { healthy: health.healthy, file: file_id, not_before: now };
		if !Self::enqueue_repair(&mut queue, entry) {
			return Checked::QueueFull;
		}
		RepairQueue::<T>::put(queue);
		if file.was_stored() && health.healthy < file.m {
			Self::set_state(&mut file, FileState::Degraded);
			Files::<T>::insert(file_id, file);
		}
		Checked::Done
	}

	/// Inserts `entry` in health order; `false` if the queue is full.
	fn enqueue_repair(
		queue: &mut BoundedVec<RepairEntry<BlockNumberFor<T>>, T::MaxRepairQueue>,
		entry: RepairEntry<BlockNumberFor<T>>,
	) -> bool {
		let at = queue.partition_point(|e| (e.healthy, e.file) < (entry.healthy, entry.file));
		queue.try_insert(at, entry).is_ok()
	}

	/// The file cannot be rebuilt: tell everyone, refund what is unused and remove it.
	fn lose_file(file_id: FileId, file: FileRecord<T>, healthy: u32) {
		Self::deposit_event(Event::<T>::FileLost { cid: file.cid.clone(), healthy, k: file.k });
		Self::refund_and_remove(file_id, file, RemovalReason::Lost);
	}

	// ---------------------------------------------------------------------------------------
	// Repair
	// ---------------------------------------------------------------------------------------

	/// `on_initialize`: up to `MaxRepairsPerBlock` due entries of the repair queue.
	pub(crate) fn process_repairs(now: BlockNumberFor<T>) -> Weight {
		let mut queue = RepairQueue::<T>::get();
		if queue.is_empty() {
			return Weight::zero();
		}
		let mut weight = T::DbWeight::get().reads_writes(1, 1);
		let mut budget = T::MaxRepairsPerBlock::get();
		let mut i = 0;
		let mut retries = Vec::new();
		while budget > 0 && i < queue.len() {
			if queue[i].not_before > now {
				i += 1;
				continue;
			}
			let entry = queue.remove(i);
			budget.saturating_dec();
			weight
				.saturating_accrue(T::WeightInfo::on_initialize_repair(T::MaxPiecesPerFile::get()));
			if let Some(healthy) = Self::repair_file(entry.file, now) {
				let not_before = now.saturating_add(T::RepairRetryDelay::get());
				retries.push(RepairEntry { healthy, file: entry.file, not_before });
			}
		}
		for entry in retries {
			// There is room: the entry was just taken out.
			let _ = Self::enqueue_repair(&mut queue, entry);
		}
		RepairQueue::<T>::put(queue);
		weight
	}

	/// Moves the unavailable pieces of a queued file to replacement operators. Returns the
	/// file's health if some could not be moved (retry later).
	fn repair_file(file_id: FileId, now: BlockNumberFor<T>) -> Option<u32> {
		let mut file = Files::<T>::get(file_id)?;
		if !file.is_funded() {
			return None;
		}
		let health = Self::health(file_id);
		if file.was_stored() && health.readable < file.k {
			Self::lose_file(file_id, file, health.readable);
			return None;
		}
		let to_move = health.to_move(file.m);
		let era = Self::current_era();
		Self::settle_file(&mut file, era);
		let current: Vec<(PieceIndex, T::AccountId)> =
			Pieces::<T>::iter_prefix(file_id).map(|(i, p)| (i, p.operator)).collect();
		let exclude: Vec<T::AccountId> = current.iter().map(|(_, who)| who.clone()).collect();
		let staying: Vec<T::AccountId> = current
			.iter()
			.filter(|(index, _)| !to_move.contains(index))
			.map(|(_, who)| who.clone())
			.collect();
		let chosen = Self::select_operators_up_to(
			file_id,
			&(b"repair", now).encode(),
			file.piece_size,
			to_move.len() as u32,
			&exclude,
			Self::occupied_by(&staying),
		);
		let mut indices = Vec::with_capacity(chosen.len());
		let mut released = Vec::with_capacity(chosen.len());
		for (index, to) in to_move.iter().zip(chosen.iter()) {
			if let Some((from, keeps_bytes)) = Self::move_piece(file_id, &mut file, *index, to, era)
			{
				indices.push(*index);
				if !keeps_bytes {
					released.push((*index, from));
				}
			}
		}
		let missing = to_move.len().saturating_sub(indices.len()) as u32;
		if !indices.is_empty() {
			// Only pieces whose bytes left with their operator wait for the worker's rebuild.
			Self::refresh_awaiting_repair(file_id, &file);
			Self::deposit_event(Event::<T>::RepairScheduled {
				cid: file.cid.clone(),
				indices: BoundedVec::truncate_from(indices),
				operators: BoundedVec::truncate_from(chosen),
			});
			if !released.is_empty() {
				Self::deposit_event(Event::<T>::PiecesReleased {
					cid: file.cid.clone(),
					operators: BoundedVec::truncate_from(released),
				});
			}
		}
		let to = if missing > 0 && file.was_stored() && health.healthy < file.m {
			FileState::Degraded
		} else {
			Self::natural_state(&file)
		};
		Self::set_state(&mut file, to);
		let retry = (missing > 0).then(|| {
			Self::deposit_event(Event::<T>::RepairDeferred {
				cid: file.cid.clone(),
				healthy: health.healthy,
				missing,
			});
			health.healthy
		});
		Files::<T>::insert(file_id, file);
		retry
	}

	/// Moves piece `index` of `file` (settled to `era`) to operator `to`; returns the old
	/// operator and whether it is to keep the piece's bytes for now. A piece whose bytes the old
	/// operator held (confirmed, or already moved by repair) must be rebuilt by the storage
	/// worker, and the operator that confirmed it keeps serving it until the new one confirms
	/// (`previous`); a reported, unconfirmed one gets a new confirmation window (the worker
	/// still provides it); an unreported one simply waits for its placement report.
	pub(crate) fn move_piece(
		file_id: FileId,
		file: &mut FileRecord<T>,
		index: PieceIndex,
		to: &T::AccountId,
		era: EraIndex,
	) -> Option<(T::AccountId, bool)> {
		let Some(mut piece) = Pieces::<T>::get(file_id, index) else {
			defensive!("moved pieces exist");
			return None;
		};
		let keeps_bytes = piece.confirmed;
		let from = piece.operator.clone();
		let earning = piece.confirmed && file.is_funded();
		let reward = file.piece_reward;
		Self::mutate_operator(&from, |op| {
			Self::settle_operator(op, era);
			if earning {
				op.reward_rate = op.reward_rate.defensive_saturating_sub(reward);
			}
			op.used = op.used.defensive_saturating_sub(file.piece_size);
			op.piece_count.defensive_saturating_dec();
		});
		OperatorPieces::<T>::remove(&from, (file_id, index));
		Self::mutate_operator(to, |op| {
			op.used = op.used.defensive_saturating_add(file.piece_size);
			op.piece_count.defensive_saturating_inc();
		});
		OperatorPieces::<T>::insert(to, (file_id, index), ());
		if piece.confirmed {
			file.confirmed.defensive_saturating_dec();
			Self::remove_audit_slot(file_id, index);
		}
		if keeps_bytes && piece.previous.replace(from.clone()).is_some() {
			defensive!("confirmation releases the previous holder");
		}
		if piece.content.is_some() {
			if piece.confirmed || piece.repair {
				if !piece.repair {
					file.repairing.saturating_inc();
				}
				piece.repair = true;
				piece.confirm_deadline = None;
			} else {
				let deadline = Self::confirm_deadline();
				piece.confirm_deadline = Some(deadline);
				Self::push_confirm_check(deadline, file_id, index);
			}
		}
		piece.confirmed = false;
		piece.operator = to.clone();
		Pieces::<T>::insert(file_id, index, piece);
		Some((from, keeps_bytes))
	}

	/// Lists `file_id` in `AwaitingRepair` exactly when it is paid up and a piece of it waits
	/// to be rebuilt.
	pub(crate) fn refresh_awaiting_repair(file_id: FileId, file: &FileRecord<T>) {
		let waiting = file.is_funded()
			&& file.repairing > 0
			&& Pieces::<T>::iter_prefix_values(file_id).any(|p| p.awaits_repair());
		if waiting {
			AwaitingRepair::<T>::insert(file_id, ());
		} else {
			AwaitingRepair::<T>::remove(file_id);
		}
	}

	// ---------------------------------------------------------------------------------------
	// Calls
	// ---------------------------------------------------------------------------------------

	pub(crate) fn do_report_operator_offline(
		reporter: T::AccountId,
		who: T::AccountId,
	) -> DispatchResult {
		ensure!(StorageWorkers::<T>::get().contains(&reporter), Error::<T>::NotStorageWorker);
		let mut record = Operators::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(record.offline_since.is_none(), Error::<T>::AlreadyOffline);
		let now = frame_system::Pallet::<T>::block_number();
		let window_open = |r: &OfflineReports<BlockNumberFor<T>>| {
			now < r.first.saturating_add(T::OfflineReportWindow::get())
		};
		let mut reports = OfflineReportsOf::<T>::get(&who)
			.filter(window_open)
			.unwrap_or(OfflineReports { first: now, last: now, count: 0 });
		ensure!(reports.count == 0 || reports.last != now, Error::<T>::AlreadyReportedThisBlock);
		reports.count.saturating_inc();
		reports.last = now;
		let count = reports.count;
		Self::deposit_event(Event::<T>::OperatorReportedOffline {
			who: who.clone(),
			reporter,
			reports: count,
		});
		if count < T::OfflineReportThreshold::get() {
			OfflineReportsOf::<T>::insert(&who, reports);
			return Ok(());
		}
		OfflineReportsOf::<T>::remove(&who);
		record.offline_since = Some(now);
		Operators::<T>::insert(&who, record);
		Self::refresh_eligibility(&who);
		Self::sweep_operator(&who);
		Self::deposit_event(Event::<T>::OperatorMarkedOffline { who, reports: count });
		Ok(())
	}

	pub(crate) fn do_declare_online(who: T::AccountId) -> DispatchResult {
		let mut record = Operators::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		let since = record.offline_since.ok_or(Error::<T>::NotOffline)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			now >= since.saturating_add(T::OfflineReportWindow::get()),
			Error::<T>::OfflineTooRecently
		);
		record.offline_since = None;
		Operators::<T>::insert(&who, record);
		Self::back_online(who);
		Ok(())
	}

	/// `who`'s offline mark was just cleared from its record: drop pending reports, make it
	/// eligible again (if otherwise placeable) and say so.
	pub(crate) fn back_online(who: T::AccountId) {
		OfflineReportsOf::<T>::remove(&who);
		Self::refresh_eligibility(&who);
		Self::deposit_event(Event::<T>::OperatorBackOnline { who });
	}

	pub(crate) fn do_report_repair(
		worker: T::AccountId,
		cid: CidOf<T>,
		reports: PieceReportsOf<T>,
	) -> DispatchResult {
		let (file_id, file) = Self::worker_report_target(&worker, &cid, &reports)?;
		let deadline = Self::confirm_deadline();
		let mut indices = Vec::with_capacity(reports.len());
		let mut updates = Vec::with_capacity(reports.len());
		for report in reports {
			let mut piece = Self::reported_piece(file_id, &file, &indices, report.index)?;
			ensure!(piece.awaits_repair(), Error::<T>::NotAwaitingRepair);
			let content = piece.content.as_ref().ok_or(Error::<T>::NotAwaitingRepair)?;
			let piece_cid = Self::canonical_cid(&report.cid)?;
			ensure!(
				piece_cid == content.cid
					&& report.size == content.size
					&& report.root == content.root,
				Error::<T>::RepairMismatch
			);
			piece.confirm_deadline = Some(deadline);
			indices.push(report.index);
			updates.push((report.index, piece));
		}
		Self::store_reported(file_id, deadline, updates);
		Self::refresh_awaiting_repair(file_id, &file);
		Self::deposit_event(Event::<T>::RepairReported {
			cid: file.cid,
			worker,
			indices: BoundedVec::truncate_from(indices),
		});
		Ok(())
	}
}
