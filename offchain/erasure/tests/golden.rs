//! The pieces' bytes do not depend on the build: with or without `simd-accel` (and on any
//! machine), encoding this fixed input must give these exact roots. Run the tests with
//! `--no-default-features` too to check the pure-Rust kernels.

#![allow(clippy::expect_used)] // Tests state what they expect.

mod common;

use cairn_storage_primitives::hash_leaf;
use common::{coder, data, SHAPES};

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
	let mut found = Vec::new();
	for (k, n) in SHAPES {
		let encoded = coder(k, n, 3).encode_bytes(&file).expect("encodes");
		let all: Vec<u8> = encoded.roots.concat();
		found.push(hex(&hash_leaf(&all)));
	}
	let simd = cfg!(feature = "simd-accel");
	assert_eq!(found, EXPECTED, "simd-accel: {simd}");
}
