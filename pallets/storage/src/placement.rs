//! On-chain placement: which operators receive the pieces of a file.
//!
//! # Algorithm
//!
//! The candidates are the operators allowed to receive new pieces (`EligibleOperators`: active
//! or vetting, not leaving) that do not already hold a piece of the file and have at least one
//! piece worth of free capacity. Pieces are assigned one at a time; each pick is a weighted random
//! draw **without replacement**, the weight of a candidate being its free capacity in bytes, so an
//! operator with twice the free space is twice as likely to be chosen.
//!
//! Each pick draws from the first non-empty pool of:
//! 1. candidates whose region (failure domain) holds no piece of the file yet,
//! 2. any remaining candidate,
//!
//! both first without vetting operators once the file already has [`VETTING_PIECES_PER_FILE`]
//! piece on a vetting operator, and only then (3., 4.) with them. With at least as many distinct
//! eligible regions as pieces, every piece therefore lands in its own region; with fewer, regions
//! are reused only after every region holds one piece. A file gets more than one piece on
//! unvetted operators only when there are not enough vetted ones to hold it: a young network,
//! where every operator is still being vetted, can still store files (and so its operators can be
//! audited and pass vetting). No eligible candidate left means the placement fails as a whole
//! (`NotEnoughOperators`), so a caller never sees a partial placement.
//!
//! The random stream is `blake2_256(seed ++ counter)`, seeded from the runtime's randomness
//! source (BABE in Cairn) mixed with the file id, so the result is the same on every node and
//! cannot be steered by the submitter of the transaction.
//!
//! Cost: `O(pieces x candidates)` in memory plus one storage read per eligible operator, bounded by
//! `MaxOperators` (the `request_pin` and `change_tier` benchmarks are parameterised by it).

use crate::{Config, EligibleOperators, Error, FileId, OperatorStatus, Operators, Pallet};
use alloc::vec::Vec;
use codec::Encode;
use frame::{prelude::*, traits::Randomness};

/// How many pieces of one file may go to operators that are still being vetted.
///
/// New operators "receive at most one piece of any file until they have passed `VettingAudits`
/// audits". Every operator holds at most one piece of a file anyway, so the rule is applied to
/// the file as a whole: at most one of its pieces sits on an unvetted operator, as long as vetted
/// operators can take the others (see the module docs).
pub const VETTING_PIECES_PER_FILE: u32 = 1;

/// Domain separator of the placement randomness.
const PLACEMENT_CONTEXT: &[u8] = b"cairn/storage/placement";

/// An operator that may receive a piece.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate<AccountId> {
	/// The operator.
	pub who: AccountId,
	/// Free capacity in bytes: the selection weight.
	pub free: u64,
	/// A 64-bit digest of the operator's region tag.
	pub region: u64,
	/// Whether the operator is still being vetted.
	pub vetting: bool,
}

/// The placement state of a file: what its existing pieces already occupy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Occupied {
	/// Region digests that already hold a piece of the file.
	pub regions: Vec<u64>,
	/// How many pieces of the file sit on vetting operators.
	pub vetting: u32,
}

/// The digest of a region tag used to compare failure domains.
pub fn region_key(region: &[u8]) -> u64 {
	u64::from_le_bytes(twox_64(region))
}

/// A condition on candidates: one pool of the placement order.
type Filter<'a, AccountId> = &'a dyn Fn(&Candidate<AccountId>) -> bool;

/// A deterministic stream of random numbers.
struct Stream {
	seed: [u8; 32],
	counter: u32,
}

impl Stream {
	fn next(&mut self) -> u128 {
		let hash = blake2_256(&(self.seed, self.counter).encode());
		self.counter = self.counter.wrapping_add(1);
		let mut low = [0u8; 16];
		low.copy_from_slice(&hash[..16]);
		u128::from_le_bytes(low)
	}
}

/// Picks `count` distinct candidates (indices into `candidates`) under the rules in the module
/// docs, updating `occupied` with each pick. Returns `None` if there are not enough eligible
/// candidates.
pub fn select<AccountId>(
	candidates: &[Candidate<AccountId>],
	count: u32,
	occupied: &mut Occupied,
	seed: [u8; 32],
) -> Option<Vec<usize>> {
	let mut stream = Stream { seed, counter: 0 };
	let mut picked = alloc::vec![false; candidates.len()];
	let mut chosen = Vec::with_capacity(count as usize);
	for _ in 0..count {
		let within_vetting_cap =
			|c: &Candidate<AccountId>| !c.vetting || occupied.vetting < VETTING_PIECES_PER_FILE;
		let fresh_region = |c: &Candidate<AccountId>| !occupied.regions.contains(&c.region);
		let pool_of = |keep: &dyn Fn(&Candidate<AccountId>) -> bool| -> Vec<usize> {
			candidates
				.iter()
				.enumerate()
				.filter(|(i, c)| !picked[*i] && keep(c))
				.map(|(i, _)| i)
				.collect()
		};
		let pools: [Filter<AccountId>; 4] = [
			&|c| within_vetting_cap(c) && fresh_region(c),
			&|c| within_vetting_cap(c),
			&|c| fresh_region(c),
			&|_| true,
		];
		let pool =
			pools.iter().map(|keep| pool_of(*keep)).find(|p| !p.is_empty()).unwrap_or_default();
		let total: u128 = pool.iter().map(|&i| u128::from(candidates[i].free)).sum();
		if pool.is_empty() || total == 0 {
			return None;
		}
		let mut target = stream.next() % total;
		let mut winner = *pool.last()?;
		for &i in &pool {
			let weight = u128::from(candidates[i].free);
			if target < weight {
				winner = i;
				break;
			}
			target -= weight;
		}
		picked[winner] = true;
		let c = &candidates[winner];
		occupied.regions.push(c.region);
		if c.vetting {
			occupied.vetting = occupied.vetting.saturating_add(1);
		}
		chosen.push(winner);
	}
	Some(chosen)
}

impl<T: Config> Pallet<T> {
	/// The operators that may receive a piece of `piece_size` bytes, excluding `exclude`.
	pub(crate) fn placement_candidates(
		piece_size: u64,
		exclude: &[T::AccountId],
	) -> Vec<Candidate<T::AccountId>> {
		EligibleOperators::<T>::get()
			.into_iter()
			.filter(|who| !exclude.contains(who))
			.filter_map(|who| {
				let record = Operators::<T>::get(&who)?;
				let free = record.capacity.saturating_sub(record.used);
				(free >= piece_size).then(|| Candidate {
					region: region_key(&record.region),
					vetting: matches!(record.status, OperatorStatus::Vetting { .. }),
					free,
					who,
				})
			})
			.collect()
	}

	/// The seed of one placement: runtime randomness mixed with the file and a salt.
	pub(crate) fn placement_seed(file_id: FileId, salt: &[u8]) -> [u8; 32] {
		let subject = (PLACEMENT_CONTEXT, file_id, salt).encode();
		let (random, _) = T::Randomness::random(&subject);
		blake2_256(&(random, subject).encode())
	}

	/// Selects `count` operators for pieces of `piece_size` bytes of file `file_id`, avoiding the
	/// operators in `exclude` and taking the file's already `occupied` regions and vetting slots
	/// into account. Reads storage only.
	pub(crate) fn select_operators(
		file_id: FileId,
		salt: &[u8],
		piece_size: u64,
		count: u32,
		exclude: &[T::AccountId],
		mut occupied: Occupied,
	) -> Result<Vec<T::AccountId>, Error<T>> {
		if count == 0 {
			return Ok(Vec::new());
		}
		let candidates = Self::placement_candidates(piece_size, exclude);
		let seed = Self::placement_seed(file_id, salt);
		let chosen = select(&candidates, count, &mut occupied, seed)
			.ok_or(Error::<T>::NotEnoughOperators)?;
		Ok(chosen.into_iter().map(|i| candidates[i].who.clone()).collect())
	}

	/// Like [`Self::select_operators`], but selects as many as possible (at most `count`)
	/// instead of failing: every eligible candidate can be picked, so that is
	/// `min(count, candidates)`.
	pub(crate) fn select_operators_up_to(
		file_id: FileId,
		salt: &[u8],
		piece_size: u64,
		count: u32,
		exclude: &[T::AccountId],
		mut occupied: Occupied,
	) -> Vec<T::AccountId> {
		let candidates = Self::placement_candidates(piece_size, exclude);
		let count = count.min(candidates.len() as u32);
		if count == 0 {
			return Vec::new();
		}
		let seed = Self::placement_seed(file_id, salt);
		select(&candidates, count, &mut occupied, seed)
			.map(|chosen| chosen.into_iter().map(|i| candidates[i].who.clone()).collect())
			.unwrap_or_default()
	}
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
	use super::*;

	fn cand(who: u64, free: u64, region: u64, vetting: bool) -> Candidate<u64> {
		Candidate { who, free, region, vetting }
	}

	fn who(cands: &[Candidate<u64>], picks: &[usize]) -> Vec<u64> {
		picks.iter().map(|&i| cands[i].who).collect()
	}

	#[test]
	fn picks_are_distinct_and_deterministic() {
		let cands: Vec<_> = (0..10).map(|i| cand(i, 100 + i, i, false)).collect();
		let a = select(&cands, 6, &mut Occupied::default(), [7; 32]).expect("enough candidates");
		let b = select(&cands, 6, &mut Occupied::default(), [7; 32]).expect("enough candidates");
		assert_eq!(a, b);
		let mut sorted = a.clone();
		sorted.sort();
		sorted.dedup();
		assert_eq!(sorted.len(), 6);
		let c = select(&cands, 6, &mut Occupied::default(), [8; 32]).expect("enough candidates");
		assert_ne!(a, c, "another seed gives another placement");
	}

	#[test]
	fn too_few_candidates_fail_as_a_whole() {
		let cands: Vec<_> = (0..3).map(|i| cand(i, 100, i, false)).collect();
		assert_eq!(select(&cands, 4, &mut Occupied::default(), [0; 32]), None);
		assert!(select(&cands, 3, &mut Occupied::default(), [0; 32]).is_some());
		assert_eq!(select::<u64>(&[], 1, &mut Occupied::default(), [0; 32]), None);
	}

	#[test]
	fn one_piece_per_region_when_enough_regions_exist() {
		// Nine operators in three regions: three pieces must land in three regions.
		let cands: Vec<_> = (0..9).map(|i| cand(i, 1_000, i % 3, false)).collect();
		for seed in 0..50u8 {
			let mut occupied = Occupied::default();
			let picks = select(&cands, 3, &mut occupied, [seed; 32]).expect("enough");
			let mut regions: Vec<u64> = picks.iter().map(|&i| cands[i].region).collect();
			regions.sort();
			assert_eq!(regions, alloc::vec![0, 1, 2], "seed {seed}");
		}
	}

	#[test]
	fn regions_are_reused_only_when_exhausted() {
		// Four operators in two regions, four pieces: each region gets exactly two.
		let cands: Vec<_> = (0..4).map(|i| cand(i, 1_000, i % 2, false)).collect();
		for seed in 0..20u8 {
			let picks = select(&cands, 4, &mut Occupied::default(), [seed; 32]).expect("enough");
			// The first two picks cover both regions.
			assert_ne!(cands[picks[0]].region, cands[picks[1]].region);
		}
	}

	#[test]
	fn existing_pieces_count_towards_regions() {
		let cands: Vec<_> = (0..4).map(|i| cand(i, 1_000, i, false)).collect();
		let mut occupied = Occupied { regions: alloc::vec![0, 1, 2], vetting: 0 };
		let picks = select(&cands, 1, &mut occupied, [1; 32]).expect("enough");
		assert_eq!(who(&cands, &picks), alloc::vec![3]);
	}

	#[test]
	fn at_most_one_vetting_operator_per_file() {
		// Three vetting operators and two vetted ones: three pieces need exactly one vetting.
		let cands = alloc::vec![
			cand(1, 1_000, 1, true),
			cand(2, 1_000, 2, true),
			cand(3, 1_000, 3, true),
			cand(4, 1_000, 4, false),
			cand(5, 1_000, 5, false),
		];
		for seed in 0..30u8 {
			let picks = select(&cands, 3, &mut Occupied::default(), [seed; 32]).expect("enough");
			let vetting = picks.iter().filter(|&&i| cands[i].vetting).count();
			assert_eq!(vetting, 1, "seed {seed}");
		}
		// Four pieces: both vetted operators, and vetting ones only for what they cannot hold.
		for seed in 0..30u8 {
			let picks = select(&cands, 4, &mut Occupied::default(), [seed; 32]).expect("enough");
			let vetting = picks.iter().filter(|&&i| cands[i].vetting).count();
			assert_eq!(vetting, 2, "seed {seed}");
		}
		// Six pieces on five operators cannot be placed.
		assert_eq!(select(&cands, 6, &mut Occupied::default(), [0; 32]), None);
		// A file that already has a vetting piece gets no other.
		let mut occupied = Occupied { regions: alloc::vec![], vetting: 1 };
		let picks = select(&cands, 2, &mut occupied, [3; 32]).expect("enough");
		assert_eq!(
			{
				let mut w = who(&cands, &picks);
				w.sort();
				w
			},
			alloc::vec![4, 5]
		);
	}

	#[test]
	fn selection_is_weighted_by_free_capacity() {
		// Operator 1 has nine times the free space of operator 2.
		let cands = alloc::vec![cand(1, 9_000, 1, false), cand(2, 1_000, 2, false)];
		let mut first = 0;
		for seed in 0..=255u8 {
			let picks = select(&cands, 1, &mut Occupied::default(), [seed; 32]).expect("enough");
			if cands[picks[0]].who == 1 {
				first += 1;
			}
		}
		// Expectation 230 of 256; a uniform choice would give 128.
		assert!((200..=250).contains(&first), "operator 1 chosen {first} times of 256");
	}
}
