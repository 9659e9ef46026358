//! The piece layout: shapes accepted and refused, sizes of example files, and properties of the
//! plan of any file under any layout.

#![allow(clippy::expect_used)] // Tests state what they expect.

use cairn_storage_primitives::{Layout, LayoutError, LEAF_SIZE, MAX_SHARD_SIZE};
use proptest::prelude::*;

const LEAF: u64 = LEAF_SIZE as u64;
const MIB: u64 = 1024 * 1024;

#[test]
fn refuses_bad_shard_counts() {
	for (k, n) in [(0, 3), (4, 3), (10, 257), (0, 0), (257, 257)] {
		assert_eq!(
			Layout::with_shard_size(k, n, LEAF_SIZE as u32),
			Err(LayoutError::InvalidShardCounts { k, n })
		);
	}
	assert!(Layout::with_shard_size(1, 2, LEAF_SIZE as u32).is_ok());
	// No parity: a tier of one plain copy, or a file only cut in pieces.
	assert!(Layout::with_shard_size(1, 1, LEAF_SIZE as u32).is_ok());
	assert!(Layout::with_shard_size(3, 3, LEAF_SIZE as u32).is_ok());
	assert!(Layout::with_shard_size(255, 256, LEAF_SIZE as u32).is_ok());
}

#[test]
fn refuses_bad_segment_sizes() {
	for segment_size in [0, 1, LEAF, 3 * LEAF + 1, 3 * MIB - 1] {
		assert_eq!(
			Layout::new(3, 5, segment_size),
			Err(LayoutError::InvalidSegmentSize { segment_size })
		);
	}
	assert!(Layout::new(3, 5, 3 * LEAF).is_ok());
	assert!(Layout::new(3, 5, 3 * MIB).is_ok());
	assert_eq!(
		Layout::with_shard_size(3, 5, 100).map(|_| ()),
		Err(LayoutError::InvalidSegmentSize { segment_size: 300 })
	);
	let too_big = u64::from(MAX_SHARD_SIZE) * 2;
	assert_eq!(
		Layout::new(2, 3, too_big * 2),
		Err(LayoutError::ShardTooLarge { shard_size: too_big })
	);
	assert_eq!(
		Layout::new(1, 3, u64::MAX - u64::MAX % LEAF),
		Err(LayoutError::ShardTooLarge { shard_size: u64::MAX - u64::MAX % LEAF })
	);
}

#[test]
fn accessors() {
	let layout = Layout::new(10, 16, 10 * MIB).expect("valid shape");
	assert_eq!(layout.data_shards(), 10);
	assert_eq!(layout.total_shards(), 16);
	assert_eq!(layout.parity_shards(), 6);
	assert_eq!(u64::from(layout.shard_size()), MIB);
	assert_eq!(layout.segment_size(), 10 * MIB);
}

#[test]
fn empty_file_is_refused() {
	let layout = Layout::new(2, 4, 2 * MIB).expect("valid shape");
	assert_eq!(layout.plan(0), Err(LayoutError::EmptyFile));
	assert_eq!(layout.piece_size(0), Err(LayoutError::EmptyFile));
}

#[test]
fn one_byte_file_is_one_leaf_per_piece() {
	let layout = Layout::new(4, 6, 4 * MIB).expect("valid shape");
	let plan = layout.plan(1).expect("fits");
	assert_eq!(plan.segment_count(), 1);
	assert_eq!(plan.piece_size(), LEAF);
	assert_eq!(plan.leaf_count(), 1);
	assert_eq!(plan.padding(), 4 * LEAF - 1);
	assert_eq!(plan.expanded_size(), 6 * LEAF);
}

#[test]
fn exact_segment_and_multi_segment_files() {
	let layout = Layout::new(4, 6, 4 * MIB).expect("valid shape");
	let exact = layout.plan(4 * MIB).expect("fits");
	assert_eq!((exact.segment_count(), exact.piece_size(), exact.padding()), (1, MIB, 0));
	assert_eq!(exact.tail_shard_size() as u64, MIB);

	// 2 full segments and 10 bytes: last shard is ceil(10 / 4) = 3 bytes, one leaf.
	let multi = layout.plan(8 * MIB + 10).expect("fits");
	assert_eq!(multi.segment_count(), 3);
	assert_eq!(multi.tail_shard_size() as u64, LEAF);
	assert_eq!(multi.piece_size(), 2 * MIB + LEAF);
	assert_eq!(multi.padding(), 4 * LEAF - 10);
	assert_eq!(layout.segment_count(8 * MIB + 10), Ok(3));
	assert_eq!(layout.padding(8 * MIB + 10), Ok(4 * LEAF - 10));
	assert_eq!(layout.leaf_count(8 * MIB + 10), Ok(2 * 512 + 1));

	let last = multi.segment(2).expect("three segments");
	assert_eq!(last.file_offset, 8 * MIB);
	assert_eq!(last.piece_offset, 2 * MIB);
	assert_eq!(last.data_len, 10);
	assert_eq!(multi.segment(3), None);
}

#[test]
fn huge_files_fail_cleanly() {
	let layout = Layout::with_shard_size(1, 2, LEAF_SIZE as u32).expect("valid shape");
	// u32::MAX leaves fit; one more byte does not.
	let max = u64::from(u32::MAX) * LEAF;
	assert_eq!(layout.leaf_count(max), Ok(u32::MAX));
	assert_eq!(layout.plan(max + 1), Err(LayoutError::FileTooLarge { file_size: max + 1 }));
	assert_eq!(layout.plan(u64::MAX), Err(LayoutError::FileTooLarge { file_size: u64::MAX }));
	let wide = Layout::new(200, 256, 200 * 64 * MIB).expect("valid shape");
	assert!(matches!(wide.plan(u64::MAX), Err(LayoutError::FileTooLarge { .. })));
}

fn layouts() -> impl Strategy<Value = Layout> {
	(1u16..=40, 1u16..=20, 1u32..=8).prop_filter_map("valid", |(k, parity, leaves)| {
		Layout::with_shard_size(k, k + parity, leaves * LEAF_SIZE as u32).ok()
	})
}

proptest! {
	#[test]
	fn plan_is_consistent(layout in layouts(), file_size in 1u64..50_000_000) {
		let plan = layout.plan(file_size).expect("small files fit");
		let k = u64::from(layout.data_shards());
		prop_assert!(plan.piece_size() > 0);
		prop_assert_eq!(plan.piece_size() % LEAF, 0);
		prop_assert_eq!(u64::from(plan.leaf_count()) * LEAF, plan.piece_size());
		prop_assert_eq!(k * plan.piece_size(), file_size + plan.padding());
		prop_assert!(plan.padding() < k * LEAF);
		prop_assert_eq!(plan.expanded_size(), u64::from(layout.total_shards()) * plan.piece_size());

		let (mut file_offset, mut piece_offset) = (0u64, 0u64);
		for (index, segment) in plan.segments().enumerate() {
			prop_assert_eq!(segment.index, index as u64);
			prop_assert_eq!(segment.file_offset, file_offset);
			prop_assert_eq!(segment.piece_offset, piece_offset);
			prop_assert!(segment.data_len > 0);
			prop_assert!(segment.data_len <= k * u64::from(segment.shard_size));
			prop_assert_eq!(u64::from(segment.shard_size) % LEAF, 0);
			file_offset += segment.data_len;
			piece_offset += u64::from(segment.shard_size);
		}
		prop_assert_eq!(file_offset, file_size);
		prop_assert_eq!(piece_offset, plan.piece_size());
		prop_assert_eq!(plan.segments().count() as u64, plan.segment_count());
	}

	#[test]
	fn any_size_never_panics(layout in layouts(), file_size in any::<u64>()) {
		match layout.plan(file_size) {
			Ok(plan) => prop_assert_eq!(plan.file_size(), file_size),
			Err(error) => {
				let expected = matches!(error, LayoutError::EmptyFile | LayoutError::FileTooLarge { .. });
				prop_assert!(expected, "unexpected error {:?}", error);
			},
		}
	}

	#[test]
	fn any_shape_never_panics(k in any::<u16>(), n in any::<u16>(), segment_size in any::<u64>()) {
		if let Ok(layout) = Layout::new(k, n, segment_size) {
			prop_assert_eq!(layout.segment_size(), segment_size);
			prop_assert!(layout.data_shards() < layout.total_shards());
		}
	}
}
