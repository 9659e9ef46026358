//! Escrow, rewards and refunds: lazy, per-era, exact.
//!
//! # Money flow
//!
//! Every payment for a pin moves from the payer into the pallet's pot account and is **held**
//! there under [`HoldReason::PinEscrow`](crate::HoldReason) (`transfer_and_hold`). Rewards and
//! refunds leave that hold directly for the recipient (`transfer_on_hold`). Nothing is minted or
//! burned, and nothing else can touch the hold, so at any time
//!
//! ```text
//! held(pot, PinEscrow) == sum over files of escrow_now + sum over operators of pending_now
//! ```
//!
//! which `try_state` checks exactly.
//!
//! # Lazy accounting
//!
//! A file's `piece_reward` is what one confirmed piece earns per era. A file pays
//! `confirmed x piece_reward` per era out of its escrow; an operator earns `reward_rate` per era,
//! the sum of `piece_reward` over its confirmed pieces of paid-up files. Neither is touched every
//! era: each keeps a `settled_era`, and settling to era `e` moves `rate x (e - settled_era)` (out of
//! the file's escrow / into the operator's `pending_rewards`).
//!
//! Whenever a piece starts or stops counting (confirmation, release, re-tiering, expiry,
//! revival), both its file and its operator are first settled to the current era, then the rates
//! change. So between two changes, the file pays exactly what the operators earn, era by era, and
//! the identity above holds. An era is credited according to the rates in force at its end:
//! a piece confirmed during era `e` earns era `e`; a piece released during era `e` does not — except
//! on `unpin`, which credits the current era to the pieces it releases, since the owner paid for it.
//!
//! `claim_rewards` settles one operator record and pays `pending_rewards`: O(1) whatever the number
//! of pieces.
//!
//! # Exactness of expiry
//!
//! A pin paid up to era `E` (exclusive) must stop paying during era `E`. Its expiry sits in the
//! bounded queue of era `E`, and `integrity_test` checks that `MaxExpiriesPerBlock x EraLength`
//! covers `MaxExpiriesPerEra`, so every entry of era `E` is processed within era `E`, before any
//! settlement could credit era `E`.

use crate::*;
use frame::{
	prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, Mutate, MutateHold},
		tokens::Restriction,
	},
};

impl<T: Config> Pallet<T> {
	/// The pallet's pot: the account holding every pin's escrow.
	pub fn pot_account() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// Makes sure the pot exists (holds the existential deposit), so that it can hold escrow.
	pub(crate) fn ensure_pot_exists() {
		let pot = Self::pot_account();
		let ed = T::Currency::minimum_balance();
		let have = T::Currency::balance(&pot);
		if have < ed {
			let _ = T::Currency::mint_into(&pot, ed.saturating_sub(have)).defensive();
		}
	}

	/// The era of block `n`.
	pub fn era_of(n: BlockNumberFor<T>) -> EraIndex {
		n.checked_div(&T::EraLength::get()).unwrap_or_default().saturated_into()
	}

	/// The current era.
	pub fn current_era() -> EraIndex {
		Self::era_of(frame_system::Pallet::<T>::block_number())
	}

	/// What one piece of `piece_size` bytes in a tier with `config` earns per era:
	/// `piece_size x PricePerBytePerEra x multiplier / 100`.
	pub(crate) fn piece_reward(
		config: &TierConfig,
		piece_size: u64,
	) -> Result<BalanceOf<T>, Error<T>> {
		let piece = BalanceOf::<T>::try_from(piece_size).map_err(|_| Error::<T>::PriceOverflow)?;
		T::PricePerBytePerEra::get()
			.checked_mul(&piece)
			.and_then(|p| p.checked_mul(&config.price_multiplier_percent.into()))
			.map(|p| p / 100u32.into())
			.ok_or(Error::<T>::PriceOverflow)
	}

	/// Size of each piece of a `size`-byte file in a tier (the shared layout), or
	/// `InvalidFileSize`.
	pub(crate) fn piece_size_of(config: &TierConfig, size: u64) -> Result<u64, Error<T>> {
		config.piece_size(size, T::ShardSize::get()).ok_or(Error::<T>::InvalidFileSize)
	}

	/// `per_era x eras`, or `PriceOverflow`.
	pub(crate) fn price_for(
		per_era: Option<BalanceOf<T>>,
		eras: EraIndex,
	) -> Result<BalanceOf<T>, Error<T>> {
		per_era.and_then(|p| p.checked_mul(&eras.into())).ok_or(Error::<T>::PriceOverflow)
	}

	/// Accrues an operator's rewards up to (excluding) `era`.
	pub(crate) fn settle_operator(record: &mut OperatorRecord<T>, era: EraIndex) {
		if era > record.settled_era {
			let elapsed = BalanceOf::<T>::from(era - record.settled_era);
			let earned = record.reward_rate.defensive_saturating_mul(elapsed);
			record.pending_rewards = record.pending_rewards.defensive_saturating_add(earned);
			record.settled_era = era;
		}
	}

	/// What a file owes its operators per era right now.
	pub(crate) fn file_rate(record: &FileRecord<T>) -> BalanceOf<T> {
		if record.is_funded() {
			record.piece_reward.saturating_mul(record.confirmed.into())
		} else {
			Zero::zero()
		}
	}

	/// Pays a file's operators out of its escrow up to (excluding) `era`, never past the paid
	/// eras.
	pub(crate) fn settle_file(record: &mut FileRecord<T>, era: EraIndex) {
		let until = era.min(record.expires_at);
		if until > record.settled_era {
			let elapsed = BalanceOf::<T>::from(until - record.settled_era);
			let owed = Self::file_rate(record).defensive_saturating_mul(elapsed);
			record.escrow = record.escrow.defensive_saturating_sub(owed);
			record.settled_era = until;
		}
	}

	/// What `claim_rewards` would pay now.
	pub(crate) fn claimable(record: &OperatorRecord<T>) -> BalanceOf<T> {
		let mut record = record.clone();
		Self::settle_operator(&mut record, Self::current_era());
		record.pending_rewards
	}

	/// Checks that `who` can pay `amount` and stay alive.
	pub(crate) fn ensure_can_pay(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		let free = T::Currency::reducible_balance(who, Preservation::Preserve, Fortitude::Polite);
		ensure!(free >= amount, Error::<T>::InsufficientBalance);
		Ok(())
	}

	/// Moves `amount` from `who` into the escrow hold on the pot.
	pub(crate) fn charge(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		Self::ensure_can_pay(who, amount)?;
		T::Currency::transfer_and_hold(
			&HoldReason::PinEscrow.into(),
			who,
			&Self::pot_account(),
			amount,
			Precision::Exact,
			Preservation::Preserve,
			Fortitude::Polite,
		)?;
		Ok(())
	}

	/// Pays `amount` out of the escrow hold to `dest`'s free balance.
	pub(crate) fn pay_from_escrow(dest: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::transfer_on_hold(
			&HoldReason::PinEscrow.into(),
			&Self::pot_account(),
			dest,
			amount,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Polite,
		)?;
		Ok(())
	}

	/// Refunds `amount` of escrow to `who`; returns what was refunded. If `who` cannot receive it
	/// (a dust amount to a reaped account), the amount leaves the escrow hold but stays in the pot
	/// and `RefundFailed` is emitted, so the escrow identity keeps holding.
	pub(crate) fn refund(who: &T::AccountId, amount: BalanceOf<T>) -> BalanceOf<T> {
		if amount.is_zero() {
			return amount;
		}
		match Self::pay_from_escrow(who, amount) {
			Ok(()) => amount,
			Err(_) => {
				let _ = T::Currency::release(
					&HoldReason::PinEscrow.into(),
					&Self::pot_account(),
					amount,
					Precision::Exact,
				)
				.defensive();
				Self::deposit_event(Event::<T>::RefundFailed { who: who.clone(), amount });
				Zero::zero()
			}
		}
	}

	/// The escrow currently held on the pot.
	pub fn escrow_held() -> BalanceOf<T> {
		T::Currency::balance_on_hold(&HoldReason::PinEscrow.into(), &Self::pot_account())
	}
}
