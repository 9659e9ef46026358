//! The pieces' bytes do not depend on the build or the kernel: with or without `simd-accel`, on
//! the accelerated or the portable kernel (and on any machine), encoding this fixed input must
//! give these exact roots. Run the tests with `--no-default-features` too to check
//! reed-solomon-erasure's pure-Rust kernels.

#![allow(clippy::expect_used)] // Tests state what they expect.

mod common;

use cairn_erasure::{Coder, Kernel, LEAF_SIZE};
use cairn_storage_primitives::hash_leaf;
use common::{data, SHAPES};

/// Leaf hash (personalized BLAKE2b-256) of the concatenated piece roots of each shape, as hex.
const EXPECTED: [&str; 4] = [
	"dff539fafa7982f3a94c8d1ee51eba6736665f622a44384a9ebda45623e3006c",
	"e083b466407092c099e6e929efb850fd694573fa0cfb2ba4576e0e69f591fb8d",
	"f07ca9dd00618a5ee91ebe1bb3d2900d7a596addd257c65c312ef36583985080",
	"339367e95cf7151e5f4de22029d457193061592982ee52d0879b2a43f4658f12",
];

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn encoding_is_pinned() {
	let file = data(2026, 100_000);
	let simd = cfg!(feature = "simd-accel");
	let mut kernels = vec![Kernel::Portable];
	if Kernel::accelerated_runs_here() {
		kernels.push(Kernel::Accelerated);
	}
	for kernel in kernels {
		let mut found = Vec::new();
		for (k, n) in SHAPES {
			let layout = cairn_erasure::Layout::with_shard_size(k, n, 3 * LEAF_SIZE as u32)
				.expect("valid shape");
			let coder = Coder::with_kernel(layout, kernel).expect("runs here");
			let encoded = coder.encode_bytes(&file).expect("encodes");
			let all: Vec<u8> = encoded.roots.concat();
			found.push(hex(&hash_leaf(&all)));
		}
		assert_eq!(found, EXPECTED, "simd-accel: {simd}, kernel: {kernel:?}");
	}
}

#[test]
fn the_best_kernel_is_used_by_default() {
	let coder = common::coder(2, 4, 1);
	assert_eq!(coder.kernel(), Kernel::best());
	if Kernel::accelerated_runs_here() {
		assert_eq!(coder.kernel(), Kernel::Accelerated);
	} else {
		let layout = coder.layout();
		assert!(matches!(
			Coder::with_kernel(layout, Kernel::Accelerated),
			Err(cairn_erasure::Error::UnsupportedKernel(Kernel::Accelerated))
		));
	}
}
