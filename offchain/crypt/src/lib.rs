#![doc = include_str!("../README.md")]

mod error;
mod format;
mod key;
mod locate;
mod stream;

pub use error::Error;
pub use format::{ciphertext_len, is_encrypted_header, plaintext_len};
pub use key::{FileKey, KeyWrapper, KEK_INFO, KEK_SALT, KEY_LEN, WRAP_AAD_LABEL};
pub use stream::{decrypt, encrypt, EncryptReader};

/// The magic that starts every encrypted stream.
pub const MAGIC: &[u8; 8] = b"CAIRNENC";
/// log2 of [`CHUNK_SIZE`], as written in the stream header.
pub const CHUNK_SIZE_EXPONENT: u8 = 16;
/// Plaintext bytes per chunk (format v1): every chunk but the last holds exactly this many.
pub const CHUNK_SIZE: usize = 1 << CHUNK_SIZE_EXPONENT;
/// Bytes of the stream header.
pub const HEADER_LEN: usize = 32;
/// Bytes of an AES-256-GCM tag, one per chunk.
pub const TAG_LEN: usize = 16;
/// Bytes of a full encrypted chunk.
pub const ENCRYPTED_CHUNK_LEN: usize = CHUNK_SIZE + TAG_LEN;
/// Bytes of the random nonce prefix in the stream header (the 96-bit nonce is this prefix,
/// a 32-bit chunk counter and a last-chunk flag byte).
pub const NONCE_PREFIX_LEN: usize = 7;
/// Bytes of a v1 wrapped key: version, algorithm, 96-bit nonce, encrypted key, tag.
pub const WRAPPED_KEY_LEN: usize = 2 + 12 + KEY_LEN + TAG_LEN;
/// Most bytes a wrapped key may take on-chain, in any version.
pub const MAX_WRAPPED_KEY_LEN: usize = 128;

const _: () = assert!(WRAPPED_KEY_LEN <= MAX_WRAPPED_KEY_LEN);
const _: () = assert!(NONCE_PREFIX_LEN + 4 + 1 == 12);
