//! Benchmarks (frame-benchmarking v2) of every call and of the `on_initialize` hook.
//!
//! Every setup goes through the pallet's own `do_*` functions, so the measured state is one the
//! pallet can really reach. Worst cases: full operator and worker lists, `MaxPiecesPerFile`
//! pieces, confirmed pieces (which touch operator rates), placement over up to `MaxOperators`
//! candidates in distinct regions.
//!
//! `claim_rewards_with_pieces` measures `claim_rewards` for an operator holding `p` confirmed
//! pieces: its slope in `p` must come out (close to) zero.

use super::*;
use crate::Pallet as Storage;
use alloc::vec::Vec;
use frame::{
	benchmarking::prelude::*,
	traits::{fungible::Mutate, Hooks},
};

const SEED: u32 = 0;
/// File size used throughout.
const SIZE: u64 = 1_024;
/// Capacity of benchmark operators: room for any number of benchmark pieces.
const CAPACITY: u64 = 1 << 40;

fn big<T: Config>() -> BalanceOf<T> {
	BalanceOf::<T>::max_value() / 1_000_000u32.into()
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, SEED);
	T::Currency::set_balance(&who, big::<T>());
	who
}

fn region<T: Config>(index: u32) -> RegionOf<T> {
	BoundedVec::truncate_from(index.to_le_bytes().to_vec())
}

fn peer<T: Config>() -> PeerAddrOf<T> {
	BoundedVec::truncate_from(b"/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWBenchmarkPeer".to_vec())
}

/// Starts the measured block as a real one starts: without the setup's events. (Left in
/// storage, the setup's events make every event the measured code deposits read and rewrite
/// them all, a cost that grows with the setup and that no real block has.)
fn fresh_block<T: Config>() {
	frame_system::Pallet::<T>::reset_events();
}

fn setup<T: Config>() {
	frame_system::Pallet::<T>::set_block_number(1u32.into());
	Storage::<T>::ensure_pot_exists();
}

/// Registers operator `index` in its own region.
fn operator<T: Config>(index: u32) -> T::AccountId {
	let who = funded::<T>("operator", index);
	assert!(Storage::<T>::do_register_operator(
		who.clone(),
		T::MinOperatorBond::get(),
		CAPACITY,
		region::<T>(index),
		peer::<T>(),
	)
	.is_ok());
	who
}

fn operators<T: Config>(count: u32) -> Vec<T::AccountId> {
	(0..count).map(operator::<T>).collect()
}

/// A valid tier configuration with `k` data pieces and `n` pieces.
fn tier_config(k: u32, n: u32, grace_period: EraIndex) -> TierConfig {
	let m = if k >= n { n } else { k.max(n - 1) };
	TierConfig { k, n, m, audit_period: 100, price_multiplier_percent: 100, grace_period }
}

fn set_tier<T: Config>(tier: PinTier, config: TierConfig) {
	assert!(Storage::<T>::do_set_tier_config(tier, config).is_ok());
}

fn max_pieces<T: Config>() -> u32 {
	T::MaxPiecesPerFile::get()
}

fn cid<T: Config>(index: u32) -> CidOf<T> {
	let mut bytes = alloc::vec![0x01, 0x55, 0x12, 0x20];
	bytes.extend_from_slice(&blake2_256(&index.encode()));
	BoundedVec::truncate_from(bytes)
}

fn worker<T: Config>() -> T::AccountId {
	let who = funded::<T>("worker", 0);
	if !StorageWorkers::<T>::get().contains(&who) {
		assert!(Storage::<T>::do_add_storage_worker(who.clone()).is_ok());
	}
	who
}

fn pin<T: Config>(owner: &T::AccountId, index: u32, tier: PinTier, eras: EraIndex) -> CidOf<T> {
	let c = cid::<T>(index);
	assert!(Storage::<T>::do_request_pin(owner.clone(), c.clone(), SIZE, tier, eras, None).is_ok());
	c
}

fn reports<T: Config>(c: &CidOf<T>, indices: core::ops::Range<u32>) -> PieceReportsOf<T> {
	let file = Files::<T>::get(FileIds::<T>::get(c).unwrap_or_default());
	let piece_size = file.map(|f| f.piece_size).unwrap_or(SIZE);
	BoundedVec::truncate_from(
		indices
			.map(|index| PieceReport {
				index,
				cid: cid::<T>(1_000_000 + index),
				size: piece_size,
				root: H256::repeat_byte(index as u8),
			})
			.collect::<Vec<_>>(),
	)
}

fn report<T: Config>(c: &CidOf<T>, indices: core::ops::Range<u32>) {
	let reports = reports::<T>(c, indices);
	assert!(Storage::<T>::do_report_placement(worker::<T>(), c.clone(), reports).is_ok());
}

fn confirm<T: Config>(c: &CidOf<T>, indices: core::ops::Range<u32>) {
	let id = FileIds::<T>::get(c).unwrap_or_default();
	for index in indices {
		let who = Pieces::<T>::get(id, index).map(|p| p.operator);
		assert!(who.is_some());
		if let Some(who) = who {
			assert!(Storage::<T>::do_confirm_piece(who, c.clone(), index).is_ok());
		}
	}
}

/// Pins, reports and confirms a file of `n` pieces.
fn stored<T: Config>(owner: &T::AccountId, index: u32, tier: PinTier, eras: EraIndex) -> CidOf<T> {
	let c = pin::<T>(owner, index, tier, eras);
	let n = Files::<T>::get(FileIds::<T>::get(&c).unwrap_or_default()).map(|f| f.n).unwrap_or(0);
	report::<T>(&c, 0..n);
	confirm::<T>(&c, 0..n);
	c
}

/// A confirmed piece of a `MaxFileSize` one-replica file (the deepest Merkle path) whose root
/// is made from a synthetic proof of its last leaf, on one of `operators` operators that is one
/// failed audit from suspension. Returns the piece's operator, leaf index, leaf and proof.
fn audited_piece<T: Config>(
	operators: u32,
) -> (FileId, T::AccountId, u32, audit::LeafOf, cairn_storage_primitives::MerkleProof) {
	use cairn_storage_primitives::{root_from_proof, MerkleProof, LEAF_SIZE};
	setup::<T>();
	set_tier::<T>(PinTier::Standard, tier_config(1, 1, 1));
	crate::benchmarking::operators::<T>(operators);
	let owner = funded::<T>("owner", 0);
	let c = cid::<T>(0);
	let size = T::MaxFileSize::get();
	assert!(
		Storage::<T>::do_request_pin(owner, c.clone(), size, PinTier::Standard, 1, None).is_ok()
	);
	let file_id = FileIds::<T>::get(&c).unwrap_or_default();
	let file = Files::<T>::get(file_id);
	let piece_size = file.as_ref().map(|f| f.piece_size).unwrap_or_default();
	let leaves = file.and_then(|f| f.leaf_count()).unwrap_or_default();
	let leaf_index = leaves.saturating_sub(1);
	let depth = 32 - leaf_index.leading_zeros();
	let proof = MerkleProof {
		siblings: BoundedVec::truncate_from((0..depth).map(|i| [i as u8; 32]).collect::<Vec<_>>()),
	};
	let leaf = alloc::vec![7u8; LEAF_SIZE];
	let root = root_from_proof(leaves, leaf_index, &leaf, &proof).unwrap_or_default();
	let report =
		PieceReport { index: 0, cid: cid::<T>(1_000_000), size: piece_size, root: H256(root) };
	let reports = BoundedVec::truncate_from(alloc::vec![report]);
	assert!(Storage::<T>::do_report_placement(worker::<T>(), c.clone(), reports).is_ok());
	confirm::<T>(&c, 0..1);
	let who =
		Pieces::<T>::get(file_id, 0).map(|p| p.operator).unwrap_or_else(|| account("x", 0, 0));
	// One failure from suspension: the standing change is the costly part of a failure.
	let lambda = T::ReputationForgetting::get();
	let mut reputation = Reputation::new(lambda);
	loop {
		let mut next = reputation.clone();
		next.record(lambda, false);
		if next.score() < T::SuspensionThreshold::get() || next.failed > 100 {
			break;
		}
		reputation = next;
	}
	Reputations::<T>::insert(&who, reputation);
	(file_id, who, leaf_index, BoundedVec::truncate_from(leaf), proof)
}

fn block_of_era<T: Config>(era: EraIndex) -> BlockNumberFor<T> {
	T::EraLength::get().saturating_mul(era.into())
}

fn go_to_era<T: Config>(era: EraIndex) {
	frame_system::Pallet::<T>::set_block_number(block_of_era::<T>(era));
}

/// Runs the hook of the first block of `era` (processing that era's expiries).
fn run_era_start<T: Config>(era: EraIndex) {
	let block = block_of_era::<T>(era);
	frame_system::Pallet::<T>::set_block_number(block);
	Storage::<T>::on_initialize(block);
}

/// Largest `p` for `claim_rewards_with_pieces`: one-piece pins spread over eras so that no
/// era's expiry queue overflows.
fn claim_pieces_max<T: Config>() -> u32 {
	let per_era = T::MaxExpiriesPerEra::get();
	let eras = T::MaxPinEras::get().saturating_sub(2);
	per_era.saturating_mul(eras).clamp(1, 500)
}

/// An operator holding `p` confirmed one-piece pins, each stored since era 0; now in era 1.
///
/// Another operator holds the other `claim_pieces_max - p` pins, so the chain's state has the same
/// size for every `p`: a storage read costs more in a bigger trie, and that must not be mistaken
/// for a cost of the pieces the claiming operator holds.
fn operator_with_pieces<T: Config>(p: u32) -> T::AccountId {
	set_tier::<T>(PinTier::Temporary, tier_config(1, 1, 0));
	let who = operator::<T>(0);
	let owner = funded::<T>("owner", 0);
	let per_era = T::MaxExpiriesPerEra::get().max(1);
	for i in 0..p {
		stored::<T>(&owner, i, PinTier::Temporary, 2 + i / per_era);
	}
	let _other = operator::<T>(1);
	EligibleOperators::<T>::mutate(|eligible| eligible.retain(|a| a != &who));
	for i in p..claim_pieces_max::<T>() {
		stored::<T>(&owner, i, PinTier::Temporary, 2 + i / per_era);
	}
	EligibleOperators::<T>::mutate(|eligible| {
		let _ = eligible.try_insert(0, who.clone());
	});
	go_to_era::<T>(1);
	who
}

/// A stored file of `MaxPiecesPerFile` pieces among `operators` operators whose pieces
/// `0..p` were moved by repair to spare operators and wait for the worker's report.
fn repairing_file<T: Config>(p: u32, operators: u32) -> (FileId, CidOf<T>) {
	setup::<T>();
	let n = max_pieces::<T>();
	set_tier::<T>(PinTier::Standard, tier_config(1, n, 1));
	let all = crate::benchmarking::operators::<T>(operators.max(n + p));
	let owner = funded::<T>("owner", 0);
	let c = stored::<T>(&owner, 0, PinTier::Standard, 10);
	let id = FileIds::<T>::get(&c).unwrap_or_default();
	let holders: Vec<T::AccountId> =
		Pieces::<T>::iter_prefix_values(id).map(|piece| piece.operator).collect();
	let spares: Vec<T::AccountId> = all.into_iter().filter(|w| !holders.contains(w)).collect();
	if let Some(mut file) = Files::<T>::get(id) {
		let era = Storage::<T>::current_era();
		Storage::<T>::settle_file(&mut file, era);
		for (index, to) in (0..p).zip(spares.iter()) {
			assert!(Storage::<T>::move_piece(id, &mut file, index, to, era).is_some());
		}
		Files::<T>::insert(id, file);
		AwaitingRepair::<T>::insert(id, ());
	}
	(id, c)
}

/// Fills the repair queue with `count` entries of other (nonexistent) files, none of them due.
fn fill_repair_queue<T: Config>(count: u32) {
	let entries = (0..count)
		.map(|i| RepairEntry {
			healthy: u32::MAX,
			file: FileId::MAX - FileId::from(i),
			not_before: BlockNumberFor::<T>::max_value(),
		})
		.rev()
		.collect::<Vec<_>>();
	RepairQueue::<T>::put(BoundedVec::truncate_from(entries));
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_operator() {
		setup::<T>();
		operators::<T>(T::MaxOperators::get() - 1);
		let who = funded::<T>("new", 0);
		let region = region::<T>(u32::MAX);

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), T::MinOperatorBond::get(), CAPACITY, region, peer::<T>());

		assert_eq!(OperatorCount::<T>::get(), T::MaxOperators::get());
	}

	#[benchmark]
	fn update_operator() {
		setup::<T>();
		let who = operator::<T>(0);
		let bond = T::MinOperatorBond::get().saturating_mul(2u32.into());

		fresh_block::<T>();
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who.clone()),
			Some(bond),
			Some(CAPACITY * 2),
			Some(region::<T>(u32::MAX)),
			Some(peer::<T>()),
		);

		assert_eq!(Operators::<T>::get(&who).map(|r| r.bond), Some(bond));
	}

	#[benchmark]
	fn unregister_operator() {
		setup::<T>();
		let all = operators::<T>(T::MaxOperators::get());
		let who = all[0].clone();

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(!EligibleOperators::<T>::get().contains(&who));
	}

	#[benchmark]
	fn withdraw_bond() {
		setup::<T>();
		// An operator that earned rewards on a pin since unpinned: it pays them and the bond.
		set_tier::<T>(PinTier::Temporary, tier_config(1, 1, 0));
		let who = operator::<T>(0);
		let owner = funded::<T>("owner", 0);
		let c = stored::<T>(&owner, 0, PinTier::Temporary, 10);
		go_to_era::<T>(2);
		assert!(Storage::<T>::do_unpin(owner, c).is_ok());
		assert!(Storage::<T>::do_unregister_operator(who.clone()).is_ok());
		let now = frame_system::Pallet::<T>::block_number();
		frame_system::Pallet::<T>::set_block_number(now.saturating_add(T::UnbondingPeriod::get()));

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(!Operators::<T>::contains_key(&who));
	}

	#[benchmark]
	fn claim_rewards() {
		setup::<T>();
		let who = operator_with_pieces::<T>(10);

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(Operators::<T>::get(&who).is_some_and(|r| r.pending_rewards.is_zero()));
	}

	#[benchmark]
	fn claim_rewards_with_pieces(p: Linear<1, { claim_pieces_max::<T>() }>) {
		setup::<T>();
		let who = operator_with_pieces::<T>(p);
		assert_eq!(Operators::<T>::get(&who).map(|r| r.piece_count), Some(p));

		fresh_block::<T>();
		#[extrinsic_call]
		claim_rewards(RawOrigin::Signed(who.clone()));

		assert!(Operators::<T>::get(&who).is_some_and(|r| r.pending_rewards.is_zero()));
	}

	#[benchmark]
	fn set_tier_config() {
		setup::<T>();
		let config = tier_config(1, max_pieces::<T>(), 1);

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Root, PinTier::Critical, config);

		assert_eq!(TierConfigs::<T>::get(PinTier::Critical), Some(config));
	}

	#[benchmark]
	fn add_storage_worker() {
		setup::<T>();
		StorageWorkers::<T>::kill();
		for i in 0..T::MaxStorageWorkers::get() - 1 {
			assert!(Storage::<T>::do_add_storage_worker(account("w", i, SEED)).is_ok());
		}
		let who: T::AccountId = account("new", 0, SEED);

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Root, who.clone());

		assert!(StorageWorkers::<T>::get().contains(&who));
	}

	#[benchmark]
	fn remove_storage_worker() {
		setup::<T>();
		StorageWorkers::<T>::kill();
		for i in 0..T::MaxStorageWorkers::get() {
			assert!(Storage::<T>::do_add_storage_worker(account("w", i, SEED)).is_ok());
		}
		let who: T::AccountId = account("w", T::MaxStorageWorkers::get() - 1, SEED);

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Root, who.clone());

		assert!(!StorageWorkers::<T>::get().contains(&who));
	}

	#[benchmark]
	fn request_pin(o: Linear<{ max_pieces::<T>() }, { T::MaxOperators::get() }>) {
		setup::<T>();
		set_tier::<T>(PinTier::Standard, tier_config(1, max_pieces::<T>(), 1));
		operators::<T>(o);
		let owner = funded::<T>("owner", 0);
		let c = cid::<T>(0);

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), c.clone(), SIZE, PinTier::Standard, 10);

		assert!(FileIds::<T>::contains_key(&c));
	}

	#[benchmark]
	fn request_encrypted_pin(o: Linear<{ max_pieces::<T>() }, { T::MaxOperators::get() }>) {
		setup::<T>();
		set_tier::<T>(PinTier::Standard, tier_config(1, max_pieces::<T>(), 1));
		operators::<T>(o);
		let owner = funded::<T>("owner", 0);
		let c = cid::<T>(0);
		// The longest wrapped key a pin may carry.
		let key = WrappedKey::truncate_from(alloc::vec![7u8; MAX_WRAPPED_KEY_LEN as usize]);

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), c.clone(), SIZE, PinTier::Standard, 10, key.clone());

		let id = FileIds::<T>::get(&c).unwrap_or_default();
		assert_eq!(Files::<T>::get(id).and_then(|f| f.wrapped_key), Some(key));
	}

	#[benchmark]
	fn renew_pin() {
		setup::<T>();
		// Worst case: reviving an expired pin whose pieces are all confirmed.
		set_tier::<T>(PinTier::Standard, tier_config(1, max_pieces::<T>(), 2));
		operators::<T>(max_pieces::<T>());
		let owner = funded::<T>("owner", 0);
		let c = stored::<T>(&owner, 0, PinTier::Standard, 1);
		run_era_start::<T>(1);
		let id = FileIds::<T>::get(&c).unwrap_or_default();
		assert_eq!(Files::<T>::get(id).map(|f| f.state), Some(FileState::Expired));
		let payer = funded::<T>("payer", 0);

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(payer), c.clone(), 5);

		assert_eq!(Files::<T>::get(id).map(|f| f.state), Some(FileState::Stored));
	}

	#[benchmark]
	fn change_tier(o: Linear<{ max_pieces::<T>() }, { T::MaxOperators::get() }>) {
		setup::<T>();
		// Worst case: from one confirmed replica (re-priced in place) to `MaxPiecesPerFile`
		// replicas, all but one placed anew among `o` operators.
		let n = max_pieces::<T>();
		set_tier::<T>(PinTier::Standard, tier_config(1, 1, 1));
		set_tier::<T>(
			PinTier::Critical,
			TierConfig { price_multiplier_percent: 200, ..tier_config(1, n, 2) },
		);
		operators::<T>(o);
		let owner = funded::<T>("owner", 0);
		let c = stored::<T>(&owner, 0, PinTier::Standard, 10);

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), c.clone(), PinTier::Critical);

		let id = FileIds::<T>::get(&c).unwrap_or_default();
		assert_eq!(Files::<T>::get(id).map(|f| f.tier), Some(PinTier::Critical));
	}

	#[benchmark]
	fn unpin() {
		setup::<T>();
		set_tier::<T>(PinTier::Standard, tier_config(1, max_pieces::<T>(), 1));
		operators::<T>(max_pieces::<T>());
		let owner = funded::<T>("owner", 0);
		let c = stored::<T>(&owner, 0, PinTier::Standard, 10);
		go_to_era::<T>(2);

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), c.clone());

		assert!(!FileIds::<T>::contains_key(&c));
	}

	#[benchmark]
	fn report_placement(p: Linear<1, { max_pieces::<T>() }>) {
		setup::<T>();
		set_tier::<T>(PinTier::Standard, tier_config(1, max_pieces::<T>(), 1));
		operators::<T>(max_pieces::<T>());
		let owner = funded::<T>("owner", 0);
		let c = pin::<T>(&owner, 0, PinTier::Standard, 10);
		let reports = reports::<T>(&c, 0..p);
		let worker = worker::<T>();

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(worker), c.clone(), reports);

		let id = FileIds::<T>::get(&c).unwrap_or_default();
		assert_eq!(Files::<T>::get(id).map(|f| f.reported), Some(p));
	}

	#[benchmark]
	fn report_pin_failed(p: Linear<1, { max_pieces::<T>() }>) {
		setup::<T>();
		set_tier::<T>(PinTier::Standard, tier_config(1, p, 1));
		operators::<T>(p);
		let owner = funded::<T>("owner", 0);
		let c = pin::<T>(&owner, 0, PinTier::Standard, 10);
		let worker = worker::<T>();

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(worker), c.clone(), PinFailure::SizeMismatch { actual: 1 });

		assert!(!FileIds::<T>::contains_key(&c));
	}

	#[benchmark]
	fn confirm_piece() -> Result<(), BenchmarkError> {
		setup::<T>();
		let n = max_pieces::<T>();
		set_tier::<T>(PinTier::Standard, tier_config(1, n, 1));
		operators::<T>(n);
		let owner = funded::<T>("owner", 0);
		let c = pin::<T>(&owner, 0, PinTier::Standard, 10);
		report::<T>(&c, 0..n);
		confirm::<T>(&c, 0..n - 1);
		let id = FileIds::<T>::get(&c).unwrap_or_default();
		let last = Pieces::<T>::get(id, n - 1).map(|p| p.operator);
		let Some(who) = last else { return Err(BenchmarkError::Stop("piece missing")) };

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who), c.clone(), n - 1);

		assert_eq!(Files::<T>::get(id).map(|f| f.state), Some(FileState::Stored));
		Ok(())
	}

	#[benchmark]
	fn submit_proof() -> Result<(), BenchmarkError> {
		let (file_id, who, leaf_index, leaf, proof) = audited_piece::<T>(T::MaxOperators::get());
		let now = frame_system::Pallet::<T>::block_number();
		let file = Files::<T>::get(file_id).ok_or(BenchmarkError::Stop("file not pinned"))?;
		Storage::<T>::open_challenge(now, &file, file_id, 0, who.clone(), leaf_index, 0);
		let id = NextChallengeId::<T>::get().saturating_sub(1);
		// A correct proof of the deepest path, by an offline operator it brings back online.
		Operators::<T>::mutate(&who, |op| {
			if let Some(op) = op {
				op.offline_since = Some(now);
			}
		});
		EligibleOperators::<T>::mutate(|eligible| eligible.retain(|a| a != &who));

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), id, leaf, proof);

		assert!(Challenges::<T>::get(id).is_none());
		assert_eq!(Reputations::<T>::get(&who).map(|r| r.passed), Some(1));
		assert!(EligibleOperators::<T>::get().contains(&who));
		Ok(())
	}

	#[benchmark]
	fn submit_proof_invalid() -> Result<(), BenchmarkError> {
		let (file_id, who, leaf_index, mut leaf, proof) =
			audited_piece::<T>(T::MaxOperators::get());
		let now = frame_system::Pallet::<T>::block_number();
		let file = Files::<T>::get(file_id).ok_or(BenchmarkError::Stop("file not pinned"))?;
		Storage::<T>::open_challenge(now, &file, file_id, 0, who.clone(), leaf_index, 0);
		let id = NextChallengeId::<T>::get().saturating_sub(1);
		// A wrong leaf: full-depth verification, then a slash and a suspension.
		leaf[0] ^= 1;

		fresh_block::<T>();
		#[extrinsic_call]
		submit_proof(RawOrigin::Signed(who.clone()), id, leaf, proof);

		assert!(Challenges::<T>::get(id).is_none());
		assert_eq!(Reputations::<T>::get(&who).map(|r| r.standing), Some(Standing::Suspended));
		Ok(())
	}

	#[benchmark]
	fn on_initialize_challenge() {
		let (file_id, _, _, _, _) = audited_piece::<T>(1);
		let now = frame_system::Pallet::<T>::block_number();

		fresh_block::<T>();
		#[block]
		{
			Storage::<T>::issue_challenge(now, b"benchmark draw");
		}

		assert!(PieceChallenge::<T>::get(file_id, 0).is_some());
	}

	#[benchmark]
	fn on_initialize_deadline() -> Result<(), BenchmarkError> {
		let (file_id, who, leaf_index, _, _) = audited_piece::<T>(T::MaxOperators::get());
		let now = frame_system::Pallet::<T>::block_number();
		let file = Files::<T>::get(file_id).ok_or(BenchmarkError::Stop("file not pinned"))?;
		let attempt = T::MaxReverifyCount::get();
		Storage::<T>::open_challenge(now, &file, file_id, 0, who.clone(), leaf_index, attempt);
		let later = now.saturating_add(T::ResponseWindow::get()).saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(later);

		fresh_block::<T>();
		#[block]
		{
			Storage::<T>::process_challenge_deadlines(later);
		}

		assert!(PieceChallenge::<T>::get(file_id, 0).is_none());
		assert_eq!(Reputations::<T>::get(&who).map(|r| r.standing), Some(Standing::Suspended));
		Ok(())
	}

	#[benchmark]
	fn on_initialize_idle() {
		setup::<T>();
		let block = block_of_era::<T>(1);
		frame_system::Pallet::<T>::set_block_number(block);

		fresh_block::<T>();
		#[block]
		{
			Storage::<T>::on_initialize(block);
		}
	}

	#[benchmark]
	fn on_initialize_expire(p: Linear<1, { max_pieces::<T>() }>) {
		setup::<T>();
		// A stored pin of `p` pieces ends and, without grace, is removed in the same block.
		set_tier::<T>(PinTier::Temporary, tier_config(1, p, 0));
		operators::<T>(p);
		let owner = funded::<T>("owner", 0);
		// Stored in the last block of era 0, so no confirmation deadline is due in era 1's first
		// block and only the expiry is measured.
		let last_of_era_0 = block_of_era::<T>(1).saturating_sub(1u32.into()).max(1u32.into());
		frame_system::Pallet::<T>::set_block_number(last_of_era_0);
		let c = stored::<T>(&owner, 0, PinTier::Temporary, 1);
		let block = block_of_era::<T>(1);
		frame_system::Pallet::<T>::set_block_number(block);

		fresh_block::<T>();
		#[block]
		{
			Storage::<T>::on_initialize(block);
		}

		assert!(!FileIds::<T>::contains_key(&c));
	}

	#[benchmark]
	fn on_initialize_reassign(o: Linear<{ max_pieces::<T>() + 1 }, { T::MaxOperators::get() }>) {
		setup::<T>();
		// One reported piece misses its confirmation window and moves among `o` operators.
		let n = max_pieces::<T>();
		set_tier::<T>(PinTier::Standard, tier_config(1, n, 1));
		operators::<T>(o);
		let owner = funded::<T>("owner", 0);
		let c = pin::<T>(&owner, 0, PinTier::Standard, 10);
		report::<T>(&c, 0..1);
		let id = FileIds::<T>::get(&c).unwrap_or_default();
		let before = Pieces::<T>::get(id, 0).map(|p| p.operator);
		let deadline =
			frame_system::Pallet::<T>::block_number().saturating_add(T::ConfirmWindow::get());
		frame_system::Pallet::<T>::set_block_number(deadline);

		fresh_block::<T>();
		#[block]
		{
			Storage::<T>::on_initialize(deadline);
		}

		assert_ne!(Pieces::<T>::get(id, 0).map(|p| p.operator), before);
	}

	#[benchmark]
	fn report_operator_offline() {
		setup::<T>();
		// The report that reaches the threshold: marks offline, leaves eligibility (a full list)
		// and queues a health sweep.
		let all = operators::<T>(T::MaxOperators::get());
		let target = all[all.len() / 2].clone();
		frame_system::Pallet::<T>::set_block_number(2u32.into());
		let count = T::OfflineReportThreshold::get().saturating_sub(1);
		if count > 0 {
			OfflineReportsOf::<T>::insert(
				&target,
				OfflineReports { first: 1u32.into(), last: 1u32.into(), count },
			);
		}
		let worker = worker::<T>();

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(worker), target.clone());

		assert!(Operators::<T>::get(&target).is_some_and(|op| op.offline_since.is_some()));
		assert!(HealthSweeps::<T>::get().contains(&target));
	}

	#[benchmark]
	fn declare_online() {
		setup::<T>();
		// An offline operator among `MaxOperators` comes back (eligibility list rewritten).
		let all = operators::<T>(T::MaxOperators::get());
		let who = all[all.len() / 2].clone();
		Operators::<T>::mutate(&who, |op| {
			if let Some(op) = op {
				op.offline_since = Some(1u32.into());
			}
		});
		EligibleOperators::<T>::mutate(|eligible| eligible.retain(|a| a != &who));
		let now = T::OfflineReportWindow::get().saturating_add(1u32.into());
		frame_system::Pallet::<T>::set_block_number(now);

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(EligibleOperators::<T>::get().contains(&who));
	}

	#[benchmark]
	fn report_repair(p: Linear<1, { max_pieces::<T>() }>) {
		let (id, c) = repairing_file::<T>(p, 0);
		let reports = reports::<T>(&c, 0..p);
		let worker = worker::<T>();

		fresh_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(worker), c.clone(), reports);

		assert!(!AwaitingRepair::<T>::contains_key(id));
	}

	#[benchmark]
	fn on_initialize_health_check() {
		setup::<T>();
		// One piece of an offline operator; its file of `MaxPiecesPerFile` pieces drops below
		// `m` and is inserted at the front of an almost full repair queue.
		let n = max_pieces::<T>();
		set_tier::<T>(PinTier::Standard, tier_config(1, n, 1));
		operators::<T>(n);
		let owner = funded::<T>("owner", 0);
		let c = stored::<T>(&owner, 0, PinTier::Standard, 10);
		let id = FileIds::<T>::get(&c).unwrap_or_default();
		for index in 0..2u32.min(n) {
			if let Some(piece) = Pieces::<T>::get(id, index) {
				Operators::<T>::mutate(&piece.operator, |op| {
					if let Some(op) = op {
						op.offline_since = Some(1u32.into());
					}
				});
				if index == 0 {
					Storage::<T>::sweep_operator(&piece.operator);
				}
			}
		}
		fill_repair_queue::<T>(T::MaxRepairQueue::get().saturating_sub(1));
		let now = frame_system::Pallet::<T>::block_number();

		fresh_block::<T>();
		#[block]
		{
			Storage::<T>::process_health_checks(now);
		}

		assert!(RepairQueue::<T>::get().iter().any(|e| e.file == id));
	}

	#[benchmark]
	fn on_initialize_repair(p: Linear<1, { max_pieces::<T>() }>) {
		setup::<T>();
		// `p` pieces of leaving operators move among all other operators (`MaxOperators`),
		// past a full queue of entries that are not due.
		let n = max_pieces::<T>();
		set_tier::<T>(PinTier::Standard, tier_config(1, n, 1));
		operators::<T>(T::MaxOperators::get());
		let owner = funded::<T>("owner", 0);
		let c = stored::<T>(&owner, 0, PinTier::Standard, 10);
		let id = FileIds::<T>::get(&c).unwrap_or_default();
		for index in 0..p {
			if let Some(piece) = Pieces::<T>::get(id, index) {
				assert!(Storage::<T>::do_unregister_operator(piece.operator).is_ok());
			}
		}
		HealthSweeps::<T>::kill();
		fill_repair_queue::<T>(T::MaxRepairQueue::get().saturating_sub(1));
		let now = frame_system::Pallet::<T>::block_number();
		RepairQueue::<T>::mutate(|queue| {
			let entry = RepairEntry { healthy: n.saturating_sub(p), file: id, not_before: now };
			assert!(queue.try_insert(0, entry).is_ok());
		});

		fresh_block::<T>();
		#[block]
		{
			Storage::<T>::process_repairs(now);
		}

		assert_eq!(Files::<T>::get(id).map(|f| f.repairing), Some(p));
	}

	impl_benchmark_test_suite!(
		Storage,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}
