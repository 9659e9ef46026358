#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod error;
pub mod layout;
pub mod merkle;
pub mod proof;

pub use error::MerkleError;
pub use layout::{FilePlan, Layout, LayoutError, Segment};
pub use merkle::{hash_leaf, hash_node, leaf_count, piece_root, RootBuilder};
pub use proof::{prove, prove_piece, root_from_proof, verify, MerkleProof, MAX_PROOF_DEPTH};

/// A BLAKE2b-256 digest: piece roots, leaf and node hashes.
pub type Hash = [u8; 32];

/// Size in bytes of one Merkle leaf (2 KiB). Every piece is a whole number of leaves.
///
/// See the crate docs, "Leaf size", for why 2 KiB.
pub const LEAF_SIZE: usize = 2048;

/// One leaf, as an operator submits it in answer to a challenge.
pub type Leaf = [u8; LEAF_SIZE];

/// Most shards (`n`) per segment: Reed-Solomon over GF(2^8) has 256 evaluation points.
pub const MAX_SHARDS: u16 = 256;

/// Largest shard size a [`Layout`] accepts (64 MiB), so a segment in memory stays bounded.
pub const MAX_SHARD_SIZE: u32 = 64 * 1024 * 1024;
