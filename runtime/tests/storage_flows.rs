//! pallet-storage's flows through the real runtime: its configuration (BABE randomness,
//! balances and holds, the shared piece layout, the genesis tiers and storage worker), calls
//! dispatched with signed origins, and the pallet's invariants checked after every step.

#![allow(clippy::expect_used)]

mod common;

use cairn_runtime::{
	configs::ShardSize, AccountId, Balance, Balances, Runtime, RuntimeOrigin, Storage, System,
};
use cairn_storage_primitives::Layout;
use common::{
	call, cid, genesis_of, register_operators, run_to, signed, storage_events, who, SIZE,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect, BoundedVec};
use pallet_storage::{
	Call as StorageCall, Error, Event, FileState, PieceReport, PinTier, RemovalReason,
};
use sp_core::H256;
use sp_genesis_builder::DEV_RUNTIME_PRESET;
use sp_keyring::Sr25519Keyring::{Alice, Ferdie};

fn era_length() -> u32 {
	<Runtime as pallet_storage::Config>::EraLength::get()
}

fn dev() -> sp_io::TestExternalities {
	let mut ext = genesis_of(DEV_RUNTIME_PRESET);
	ext.execute_with(|| {
		System::set_block_number(1);
		register_operators();
	});
	ext
}

#[test]
fn a_pin_is_placed_by_the_layout_stored_and_paid_exactly() {
	dev().execute_with(|| {
		let user = who(Ferdie);
		let start = Balances::balance(&user);
		let price = Storage::pin_price(SIZE, PinTier::Standard, 3).expect("tier configured");
		assert_ok!(call(
			signed(Ferdie),
			StorageCall::request_pin {
				cid: cid(1),
				size_bytes: SIZE,
				tier: PinTier::Standard,
				eras: 3
			}
		));
		assert_eq!(Balances::balance(&user), start - price, "charged exactly the quoted price");
		assert_eq!(Storage::escrow_held(), price);

		let info = Storage::file(cid(1)).expect("pinned");
		let (k, n) = (info.record.k, info.record.n);
		assert_eq!((k, n), (2, 4), "the dev preset's Standard tier");
		let layout = Layout::with_shard_size(k as u16, n as u16, ShardSize::get()).expect("valid");
		assert_eq!(Some(info.record.piece_size), layout.piece_size(SIZE).ok());
		let assigned: Vec<AccountId> =
			info.pieces.iter().map(|(_, p)| p.operator.clone()).collect();
		let mut distinct = assigned.clone();
		distinct.sort();
		distinct.dedup();
		assert_eq!(distinct.len(), 4, "four distinct operators");
		assert!(storage_events().iter().any(|e| matches!(
			e,
			Event::PiecesAssigned { cid: c, operators } if *c == cid(1) && operators.len() == 4
		)));

		// Alice is the dev chain's storage worker.
		let reports = (0..n)
			.map(|index| PieceReport {
				index,
				cid: cid(100 + index as u8),
				size: info.record.piece_size,
				root: H256::repeat_byte(index as u8),
			})
			.collect::<Vec<_>>();
		assert_ok!(call(
			signed(Alice),
			StorageCall::report_placement {
				cid: cid(1),
				pieces: BoundedVec::truncate_from(reports)
			}
		));
		assert_eq!(Storage::file(cid(1)).expect("pinned").record.state, FileState::Placed);
		for (index, operator) in (0..).zip(&assigned) {
			assert_ok!(call(
				RuntimeOrigin::signed(operator.clone()),
				StorageCall::confirm_piece { cid: cid(1), index }
			));
		}
		assert_eq!(Storage::file(cid(1)).expect("pinned").record.state, FileState::Stored);

		// Two whole eras later each operator can claim two eras of its piece's reward.
		run_to(2 * era_length());
		let per_era = info.record.piece_reward;
		for operator in &assigned {
			assert_eq!(Storage::claimable_rewards(operator.clone()), 2 * per_era);
			let before = Balances::balance(operator);
			assert_ok!(call(
				RuntimeOrigin::signed(operator.clone()),
				StorageCall::claim_rewards {}
			));
			assert_eq!(Balances::balance(operator), before + 2 * per_era);
			assert_noop!(
				call(RuntimeOrigin::signed(operator.clone()), StorageCall::claim_rewards {}),
				Error::<Runtime>::NoRewards
			);
		}

		// The pin ends after era 2; the Standard grace period keeps it until era 3 + 3.
		run_to(7 * era_length());
		assert!(Storage::file(cid(1)).is_none(), "expired and removed");
		assert!(storage_events()
			.iter()
			.any(|e| matches!(e, Event::PinRemoved { reason: RemovalReason::Expired, .. })));
		let paid: Balance = assigned.iter().map(|_| 3 * per_era).sum();
		assert_eq!(Storage::escrow_held(), paid - 2 * per_era * 4, "only era 2 still owed");
	});
}

#[test]
fn bad_requests_fail_with_typed_errors_and_change_nothing() {
	dev().execute_with(|| {
		let user = who(Ferdie);
		let start = Balances::balance(&user);
		let request = |cid, size_bytes, eras| {
			call(
				signed(Ferdie),
				StorageCall::request_pin { cid, size_bytes, tier: PinTier::Standard, eras },
			)
		};
		let not_a_cid = BoundedVec::truncate_from(b"hello".to_vec());
		assert_noop!(request(not_a_cid, SIZE, 1), Error::<Runtime>::InvalidCid);
		assert_noop!(request(cid(1), 0, 1), Error::<Runtime>::InvalidFileSize);
		assert_noop!(request(cid(1), (4 << 30) + 1, 1), Error::<Runtime>::InvalidFileSize);
		assert_noop!(request(cid(1), SIZE, 0), Error::<Runtime>::InvalidEras);
		assert_noop!(
			call(
				RuntimeOrigin::signed(AccountId::new([7; 32])),
				StorageCall::request_pin {
					cid: cid(1),
					size_bytes: SIZE,
					tier: PinTier::Standard,
					eras: 1
				}
			),
			Error::<Runtime>::InsufficientBalance
		);
		// Only storage workers report; only root configures.
		assert_noop!(
			call(
				signed(Ferdie),
				StorageCall::report_placement { cid: cid(1), pieces: BoundedVec::new() }
			),
			Error::<Runtime>::NotStorageWorker
		);
		assert_eq!(Balances::balance(&user), start);
		assert_eq!(Storage::escrow_held(), 0);
	});
}

#[test]
fn unpin_and_failed_placement_refund_through_the_runtime() {
	dev().execute_with(|| {
		let user = who(Ferdie);
		let start = Balances::balance(&user);
		let pin = |seed| {
			call(
				signed(Ferdie),
				StorageCall::request_pin {
					cid: cid(seed),
					size_bytes: SIZE,
					tier: PinTier::Standard,
					eras: 5,
				},
			)
		};
		assert_ok!(pin(1));
		assert_ok!(pin(2));
		// Nothing placed yet: unpinning in the era it was bought refunds all but that era.
		let per_era = Storage::pin_price(SIZE, PinTier::Standard, 1).expect("price");
		assert_ok!(call(signed(Ferdie), StorageCall::unpin { cid: cid(1) }));
		// The worker cannot fetch the second file: the whole payment comes back.
		assert_ok!(call(
			signed(Alice),
			StorageCall::report_pin_failed {
				cid: cid(2),
				reason: pallet_storage::PinFailure::ContentUnavailable
			}
		));
		assert_eq!(Balances::balance(&user), start);
		assert!(storage_events().iter().any(|e| matches!(
			e,
			Event::PinRemoved { reason: RemovalReason::Unpinned, refund, .. } if *refund == 5 * per_era
		)));
		assert_eq!(Storage::escrow_held(), 0);
	});
}
