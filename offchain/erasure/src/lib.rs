#![doc = include_str!("../README.md")]

mod coder;
mod decode;
mod encode;
mod error;
mod io;
mod kernel;
mod memory;
mod pieces;
mod segment;

pub use cairn_storage_primitives::{FilePlan, Hash, Layout, LayoutError, LEAF_SIZE};
pub use coder::Coder;
pub use encode::Encoded;
pub use error::{Error, Result, SizeFound};
pub use io::{piece_root, verify_piece};
pub use kernel::Kernel;
pub use memory::EncodedFile;
pub use pieces::{PieceReader, PieceWriter};
