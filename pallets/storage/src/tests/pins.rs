//! Requesting, funding, renewing, re-tiering and unpinning pins.

use crate::{mock::*, *};
use frame::testing_prelude::*;

/// Standard tier in the mock: k = 1, n = 3, multiplier 100 %, price 1 per byte per era.
/// Pieces are whole 2 KiB leaves (for `k = 1`, shards of 4096 are two leaves).
fn standard_cost(size: u64, eras: u32) -> Balance {
	3 * Balance::from(size.div_ceil(2048) * 2048) * Balance::from(eras)
}

#[test]
fn request_pin_charges_escrow_and_assigns_distinct_operators() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(5);
		let c = cid(1);
		let before = free_balance(USER);
		let total = issuance();
		pin(&c, SIZE, PinTier::Standard, 4);

		let cost = standard_cost(SIZE, 4);
		assert_eq!(free_balance(USER), before - cost);
		assert_eq!(escrow(), cost);
		assert_eq!(issuance(), total, "escrow is held, not burned");
		let file = file_of(&c);
		assert_eq!(file.owner, USER);
		assert_eq!((file.k, file.n, file.piece_size), (1, 3, SIZE));
		assert_eq!(file.piece_reward, SIZE_B);
		assert_eq!(file.escrow, cost);
		assert_eq!(file.state, FileState::Requested);
		assert_eq!(file.expires_at, 4);
		assert!(!file.co_funded);
		let ops = operators_of(&c);
		let mut distinct = ops.clone();
		distinct.sort();
		distinct.dedup();
		assert_eq!(distinct.len(), 3);
		for who in &ops {
			assert_eq!(operator(*who).used, SIZE);
			assert_eq!(operator(*who).piece_count, 1);
		}
		assert!(AwaitingPlacement::<Test>::contains_key(file_id_of(&c)));
		assert!(ExpiryQueue::<Test>::contains_key(4, file_id_of(&c)));
		assert!(ExpiryQueue::<Test>::contains_key(5, file_id_of(&c)), "removal after 1 grace era");
		assert!(emitted(Event::<Test>::PinRequested {
			cid: c.clone(),
			file_id: 0,
			who: USER,
			size: SIZE,
			tier: PinTier::Standard,
			eras: 4,
			expires_at: 4,
			cost,
		}));
		System::assert_last_event(
			Event::<Test>::PiecesAssigned {
				cid: c.clone(),
				operators: BoundedVec::truncate_from(
					ops.iter().enumerate().map(|(i, w)| (i as u32, *w)).collect::<Vec<_>>(),
				),
			}
			.into(),
		);
	});
}

#[test]
fn erasure_coded_price_is_n_over_k_times_the_size() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(4);
		let before = free_balance(USER);
		// Critical: k = 2, n = 4, multiplier 200 %. 1001 bytes -> 501 bytes per piece, rounded
		// up to one whole 2 KiB Merkle leaf: pieces are paid for the bytes operators store.
		pin(&cid(1), 1_001, PinTier::Critical, 3);
		let file = file_of(&cid(1));
		assert_eq!(file.piece_size, 2048);
		assert_eq!(file.piece_reward, 2048 * 2);
		let cost = 4 * 2048 * 2 * 3;
		assert_eq!(free_balance(USER), before - cost);
		assert_eq!(CairnStorage::pin_price(1_001, PinTier::Critical, 3), Some(cost));
		assert!(operators_of(&cid(1)).iter().all(|w| operator(*w).used == 2048));
		// Two full segments and a tail: (2 x 4096 + 2048) / 2 ... = 2 shards of 4096 + 1 of 2048.
		pin(&cid(2), 2 * 8192 + 10, PinTier::Critical, 1);
		assert_eq!(file_of(&cid(2)).piece_size, 2 * 4096 + 2048);
	});
}

#[test]
fn request_pin_rejects_bad_input_and_charges_nothing() {
	ExtBuilder::default().without_tier(PinTier::Temporary).build_and_execute(|| {
		register_operators(3);
		let req = |who, c: CidOf<Test>, size, tier, eras| {
			CairnStorage::request_pin(RuntimeOrigin::signed(who), c, size, tier, eras)
		};
		let std = PinTier::Standard;
		assert_noop!(req(USER, bounded(b"not a cid"), 10, std, 1), Error::<Test>::InvalidCid);
		assert_noop!(req(USER, bounded(b""), 10, std, 1), Error::<Test>::InvalidCid);
		assert_noop!(req(USER, cid(1), 0, std, 1), Error::<Test>::InvalidFileSize);
		assert_noop!(req(USER, cid(1), MAX_FILE_SIZE + 1, std, 1), Error::<Test>::InvalidFileSize);
		assert_noop!(req(USER, cid(1), 10, std, 0), Error::<Test>::InvalidEras);
		assert_noop!(req(USER, cid(1), 10, std, MAX_PIN_ERAS + 1), Error::<Test>::InvalidEras);
		assert_noop!(
			req(USER, cid(1), 10, PinTier::Temporary, 1),
			Error::<Test>::TierNotConfigured
		);
		assert_noop!(req(POOR, cid(1), 10, std, 10), Error::<Test>::InsufficientBalance);
		// Four pieces (Critical) but three operators.
		assert_noop!(
			req(USER, cid(1), 10, PinTier::Critical, 1),
			Error::<Test>::NotEnoughOperators
		);
		// A file larger than every operator's free capacity.
		assert_noop!(req(USER, cid(1), CAPACITY + 1, std, 1), Error::<Test>::NotEnoughOperators);
		PricePerBytePerEra::set(Balance::MAX / 2);
		assert_noop!(req(USER, cid(1), 10, std, 1), Error::<Test>::PriceOverflow);
		PricePerBytePerEra::set(1);
		MaxExpiriesPerEra::set(1);
		pin(&cid(2), 10, std, 1);
		assert_noop!(req(USER, cid(1), 10, std, 1), Error::<Test>::ExpiryQueueFull);
		MaxExpiriesPerEra::set(20);
		assert_noop!(
			CairnStorage::request_pin(RuntimeOrigin::root(), cid(1), 10, std, 1),
			BadOrigin
		);
	});
}

#[test]
fn pinning_an_existing_cid_funds_the_existing_pin() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(5);
		let c = cid(1);
		pin(&c, SIZE, PinTier::Standard, 2);
		let pieces_before = Pieces::<Test>::iter().count();
		let ops = operators_of(&c);
		let before = free_balance(OTHER_USER);

		assert_ok!(CairnStorage::request_pin(
			RuntimeOrigin::signed(OTHER_USER),
			c.clone(),
			SIZE,
			PinTier::Standard,
			3
		));
		// Nothing stored twice: same pieces, same operators, one file.
		assert_eq!(Pieces::<Test>::iter().count(), pieces_before);
		assert_eq!(operators_of(&c), ops);
		assert_eq!(Files::<Test>::iter().count(), 1);
		let file = file_of(&c);
		assert_eq!(file.expires_at, 5);
		assert_eq!(file.owner, USER);
		assert!(file.co_funded);
		assert_eq!(free_balance(OTHER_USER), before - standard_cost(SIZE, 3));
		assert_eq!(file.escrow, standard_cost(SIZE, 5));
		System::assert_last_event(
			Event::<Test>::PinRenewed {
				cid: c.clone(),
				who: OTHER_USER,
				eras: 3,
				expires_at: 5,
				cost: standard_cost(SIZE, 3),
			}
			.into(),
		);
		// The same pin under another size or tier is refused.
		assert_noop!(
			CairnStorage::request_pin(
				RuntimeOrigin::signed(OTHER_USER),
				c.clone(),
				999,
				PinTier::Standard,
				1
			),
			Error::<Test>::SizeMismatch
		);
		assert_noop!(
			CairnStorage::request_pin(
				RuntimeOrigin::signed(OTHER_USER),
				c.clone(),
				SIZE,
				PinTier::Critical,
				1
			),
			Error::<Test>::TierMismatch
		);
	});
}

#[test]
fn one_cid_in_two_spellings_is_one_pin() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let text_v0: CidOf<Test> = bounded(b"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n");
		let text_v1: CidOf<Test> =
			bounded(b"bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
		assert_ok!(CairnStorage::request_pin(
			RuntimeOrigin::signed(USER),
			text_v0.clone(),
			10,
			PinTier::Standard,
			1
		));
		assert_ok!(CairnStorage::request_pin(
			RuntimeOrigin::signed(USER),
			text_v1.clone(),
			10,
			PinTier::Standard,
			1
		));
		assert_eq!(Files::<Test>::iter().count(), 1);
		let canonical = CairnStorage::file(text_v1).expect("pinned").record.cid;
		assert_eq!(canonical[..2], [0x01, 0x70], "stored as binary CIDv1 dag-pb");
		assert_eq!(CairnStorage::file(text_v0).expect("pinned").record.expires_at, 2);
	});
}

#[test]
fn renew_pin_extends_and_may_be_paid_by_anyone() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		pin(&c, 100, PinTier::Standard, 2);
		assert_ok!(CairnStorage::renew_pin(RuntimeOrigin::signed(USER), c.clone(), 3));
		let file = file_of(&c);
		assert_eq!(file.expires_at, 5);
		assert!(!file.co_funded, "the owner renewing keeps the pin its own");
		assert!(!ExpiryQueue::<Test>::contains_key(2, file_id_of(&c)));
		assert!(ExpiryQueue::<Test>::contains_key(5, file_id_of(&c)));
		assert_ok!(CairnStorage::renew_pin(RuntimeOrigin::signed(OTHER_USER), c.clone(), 1));
		assert!(file_of(&c).co_funded);
		assert_eq!(file_of(&c).escrow, standard_cost(100, 6));

		assert_noop!(
			CairnStorage::renew_pin(RuntimeOrigin::signed(USER), c.clone(), 0),
			Error::<Test>::InvalidEras
		);
		assert_noop!(
			CairnStorage::renew_pin(RuntimeOrigin::signed(USER), c.clone(), MAX_PIN_ERAS),
			Error::<Test>::InvalidEras
		);
		assert_noop!(
			CairnStorage::renew_pin(RuntimeOrigin::signed(USER), cid(9), 1),
			Error::<Test>::PinNotFound
		);
		assert_noop!(
			CairnStorage::renew_pin(RuntimeOrigin::signed(USER), bounded(b"zz"), 1),
			Error::<Test>::InvalidCid
		);
		assert_noop!(
			CairnStorage::renew_pin(RuntimeOrigin::signed(POOR), c.clone(), 50),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(CairnStorage::renew_pin(RuntimeOrigin::root(), c, 1), BadOrigin);
	});
}

#[test]
fn unpin_pays_the_current_era_and_refunds_unused_whole_eras() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		let start = free_balance(USER);
		let total = issuance();
		store(&c, 1, SIZE, PinTier::Standard, 5);
		run_to_era(2);
		let ops = operators_of(&c);
		assert_ok!(CairnStorage::unpin(RuntimeOrigin::signed(USER), c.clone()));

		// Eras 0, 1 and the current era 2 were earned; eras 3 and 4 come back.
		let refund = standard_cost(SIZE, 2);
		assert_eq!(free_balance(USER), start - standard_cost(SIZE, 3));
		for who in &ops {
			assert_eq!(CairnStorage::claimable_rewards(*who), 3 * SIZE_B);
			assert_eq!(operator(*who).used, 0);
			assert_eq!(operator(*who).reward_rate, 0);
		}
		assert_eq!(escrow(), 3 * 3 * SIZE_B, "only the operators' rewards remain");
		assert_eq!(issuance(), total);
		assert!(FileIds::<Test>::get(&c).is_none());
		assert_eq!(Pieces::<Test>::iter().count(), 0);
		assert_eq!(ExpiryQueue::<Test>::iter().count(), 0);
		assert!(emitted(Event::<Test>::PiecesReleased {
			cid: c.clone(),
			operators: BoundedVec::truncate_from(
				ops.iter().enumerate().map(|(i, w)| (i as u32, *w)).collect::<Vec<_>>()
			),
		}));
		System::assert_last_event(
			Event::<Test>::PinRemoved { cid: c.clone(), reason: RemovalReason::Unpinned, refund }
				.into(),
		);
		// The CID can be pinned again, as a new file.
		pin(&c, SIZE, PinTier::Standard, 1);
		assert_eq!(file_id_of(&c), 1);
	});
}

#[test]
fn unpin_refunds_what_no_operator_earned() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		let start = free_balance(USER);
		pin(&c, SIZE, PinTier::Standard, 4);
		run_to_era(1);
		// Never reported or confirmed: everything comes back.
		assert_ok!(CairnStorage::unpin(RuntimeOrigin::signed(USER), c.clone()));
		assert_eq!(free_balance(USER), start);
		assert_eq!(escrow(), 0);
	});
}

#[test]
fn unpin_is_for_the_owner_of_a_pin_nobody_else_funded() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		pin(&c, 100, PinTier::Standard, 2);
		assert_noop!(
			CairnStorage::unpin(RuntimeOrigin::signed(OTHER_USER), c.clone()),
			Error::<Test>::NotPinOwner
		);
		assert_noop!(
			CairnStorage::unpin(RuntimeOrigin::signed(USER), cid(2)),
			Error::<Test>::PinNotFound
		);
		assert_noop!(CairnStorage::unpin(RuntimeOrigin::none(), c.clone()), BadOrigin);
		assert_ok!(CairnStorage::renew_pin(RuntimeOrigin::signed(OTHER_USER), c.clone(), 1));
		assert_noop!(
			CairnStorage::unpin(RuntimeOrigin::signed(USER), c.clone()),
			Error::<Test>::CoFundedPin
		);
	});
}

#[test]
fn change_tier_with_the_same_k_places_only_the_difference() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(5);
		let c = cid(1);
		// Temporary: 1 replica at 50 %, SIZE / 2 per era. 10 eras.
		store(&c, 1, SIZE, PinTier::Temporary, 10);
		let first = operators_of(&c)[0];
		run_to_era(2);
		let before = free_balance(USER);
		assert_ok!(CairnStorage::change_tier(
			RuntimeOrigin::signed(USER),
			c.clone(),
			PinTier::Standard
		));
		// Eras 2..10 re-priced from SIZE / 2 to 3 x SIZE per era.
		let charged = (3 * SIZE_B - SIZE_B / 2) * 8;
		assert_eq!(free_balance(USER), before - charged);
		let file = file_of(&c);
		assert_eq!((file.tier, file.n, file.piece_reward), (PinTier::Standard, 3, SIZE_B));
		assert_eq!(operators_of(&c)[0], first, "piece 0 stays where it is");
		assert!(piece_of(&c, 0).confirmed);
		assert!(!piece_of(&c, 1).confirmed && piece_of(&c, 1).content.is_none());
		assert_eq!(file.state, FileState::Requested);
		assert!(emitted(Event::<Test>::FileStateChanged {
			cid: c.clone(),
			from: FileState::Stored,
			to: FileState::Requested,
		}));
		assert!(emitted(Event::<Test>::TierChanged {
			cid: c.clone(),
			from: PinTier::Temporary,
			to: PinTier::Standard,
			charged,
			refunded: 0,
		}));
		// The kept piece now earns the Standard reward.
		assert_eq!(operator(first).reward_rate, SIZE_B);
		report_all(&c, 1);
		confirm_all(&c);
		assert_eq!(file_of(&c).state, FileState::Stored);

		// And back down: pieces 1 and 2 are released, the difference refunded.
		run_to_era(4);
		let released = operators_of(&c);
		let before = free_balance(USER);
		assert_ok!(CairnStorage::change_tier(
			RuntimeOrigin::signed(USER),
			c.clone(),
			PinTier::Temporary
		));
		let refunded = (3 * SIZE_B - SIZE_B / 2) * 6;
		assert_eq!(free_balance(USER), before + refunded);
		assert_eq!(operators_of(&c), vec![first]);
		assert_eq!(file_of(&c).state, FileState::Stored);
		assert!(emitted(Event::<Test>::PiecesReleased {
			cid: c.clone(),
			operators: BoundedVec::truncate_from(vec![(1, released[1]), (2, released[2])]),
		}));
		assert_eq!(operator(released[1]).piece_count, 0);
	});
}

#[test]
fn change_tier_to_another_k_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(6);
		let c = cid(1);
		store(&c, 1, SIZE, PinTier::Standard, 4);
		// Critical codes 2-of-4: every piece would be new bytes, and the file would have no
		// pieces until they are placed.
		assert_noop!(
			CairnStorage::change_tier(RuntimeOrigin::signed(USER), c.clone(), PinTier::Critical),
			Error::<Test>::LayoutChange
		);
		assert_eq!(file_of(&c).state, FileState::Stored);
	});
}

#[test]
fn change_tier_rejects_bad_input_and_charges_nothing() {
	ExtBuilder::default().without_tier(PinTier::Temporary).build_and_execute(|| {
		register_operators(3);
		let c = cid(1);
		pin(&c, 100, PinTier::Standard, 1);
		let change =
			|who, tier| CairnStorage::change_tier(RuntimeOrigin::signed(who), c.clone(), tier);
		assert_noop!(change(OTHER_USER, PinTier::Critical), Error::<Test>::NotPinOwner);
		assert_noop!(change(USER, PinTier::Standard), Error::<Test>::SameTier);
		assert_noop!(change(USER, PinTier::Temporary), Error::<Test>::TierNotConfigured);
		assert_noop!(change(USER, PinTier::Critical), Error::<Test>::LayoutChange);
		// A four-replica Critical needs four operators.
		let four = TierConfig { k: 1, n: 4, m: 3, ..test_tiers()[0].1 };
		assert_ok!(CairnStorage::set_tier_config(RuntimeOrigin::root(), PinTier::Critical, four));
		assert_noop!(change(USER, PinTier::Critical), Error::<Test>::NotEnoughOperators);
		assert_noop!(
			CairnStorage::change_tier(RuntimeOrigin::signed(USER), cid(5), PinTier::Critical),
			Error::<Test>::PinNotFound
		);
		assert_noop!(
			CairnStorage::change_tier(RuntimeOrigin::root(), c.clone(), PinTier::Critical),
			BadOrigin
		);
		// Expired (in its one grace era).
		run_to_era(1);
		assert_eq!(file_of(&c).state, FileState::Expired);
		assert_noop!(change(USER, PinTier::Critical), Error::<Test>::PinExpired);
		// Co-funded.
		assert_ok!(CairnStorage::renew_pin(RuntimeOrigin::signed(OTHER_USER), c.clone(), 1));
		register(4);
		assert_noop!(change(USER, PinTier::Critical), Error::<Test>::CoFundedPin);
	});
}

#[test]
fn an_encrypted_pin_keeps_its_wrapped_key_and_costs_the_same() {
	ExtBuilder::default().build_and_execute(|| {
		register_operators(5);
		let key: WrappedKey = BoundedVec::truncate_from(vec![1u8; 74]);
		let before = free_balance(USER);
		assert_ok!(CairnStorage::request_encrypted_pin(
			RuntimeOrigin::signed(USER),
			cid(1),
			SIZE,
			PinTier::Standard,
			2,
			key.clone()
		));
		assert_eq!(free_balance(USER), before - standard_cost(SIZE, 2), "priced as any pin");
		assert_eq!(file_of(&cid(1)).wrapped_key, Some(key.clone()));
		assert_eq!(
			CairnStorage::file(cid(1)).map(|f| f.record.wrapped_key),
			Some(Some(key.clone()))
		);
		// A public pin has none.
		pin(&cid(2), SIZE, PinTier::Standard, 2);
		assert_eq!(file_of(&cid(2)).wrapped_key, None);

		// Anyone may fund the pin, without a key or with the same one; the key stays the owner's.
		assert_ok!(CairnStorage::request_pin(
			RuntimeOrigin::signed(OTHER_USER),
			cid(1),
			SIZE,
			PinTier::Standard,
			1
		));
		assert_ok!(CairnStorage::request_encrypted_pin(
			RuntimeOrigin::signed(OTHER_USER),
			cid(1),
			SIZE,
			PinTier::Standard,
			1,
			key.clone()
		));
		assert_eq!(file_of(&cid(1)).expires_at, 4);
		assert_eq!(file_of(&cid(1)).wrapped_key, Some(key));
		// Another key, on an encrypted or a public pin, is refused and changes nothing.
		let other: WrappedKey = BoundedVec::truncate_from(vec![2u8; 74]);
		for c in [cid(1), cid(2)] {
			assert_noop!(
				CairnStorage::request_encrypted_pin(
					RuntimeOrigin::signed(OTHER_USER),
					c,
					SIZE,
					PinTier::Standard,
					1,
					other.clone()
				),
				Error::<Test>::WrappedKeyMismatch
			);
		}
		// Bad input is refused as for public pins.
		assert_noop!(
			CairnStorage::request_encrypted_pin(
				RuntimeOrigin::signed(USER),
				cid(3),
				0,
				PinTier::Standard,
				1,
				other
			),
			Error::<Test>::InvalidFileSize
		);
	});
}
