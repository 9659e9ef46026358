//! Per-file keys and their wrapping with a key derived from the account secret.

use crate::{
	format::{ALGORITHM_AES_256_GCM, VERSION},
	Error, TAG_LEN, WRAPPED_KEY_LEN,
};
use aes_gcm::{aead::AeadInPlace, Aes256Gcm, KeyInit};
use zeroize::{Zeroize, Zeroizing};

/// HKDF salt of the key-wrapping key: names the purpose and the format version.
pub const KEK_SALT: &[u8] = b"cairn/file-key-wrap/v1";
/// HKDF info of the key-wrapping key.
pub const KEK_INFO: &[u8] = b"cairn file key wrapping key";
/// Suffix of a wrapped key's associated data (after its version and algorithm bytes).
pub const WRAP_AAD_LABEL: &[u8] = b"cairn file key";
/// Length of a file key.
pub const KEY_LEN: usize = 32;

/// Bytes of an AES-GCM nonce.
const NONCE_LEN: usize = 12;
/// Offsets in a wrapped key: version, algorithm, nonce, encrypted key, tag.
const NONCE_AT: usize = 2;
const SEALED_AT: usize = NONCE_AT + NONCE_LEN;
const TAG_AT: usize = SEALED_AT + KEY_LEN;
const _: () = assert!(TAG_AT + TAG_LEN == WRAPPED_KEY_LEN);

/// Fill `bytes` from the operating system's random number generator.
pub(crate) fn random(bytes: &mut [u8]) -> Result<(), Error> {
	getrandom::getrandom(bytes).map_err(|error| Error::Randomness(error.to_string()))
}

/// An AES-256-GCM cipher under `bytes`. Its AES key schedule is wiped when it is dropped
/// (`aes`'s `zeroize` feature); its GHASH key is not (see the README, "Security notes").
pub(crate) fn aead_key(bytes: &[u8; KEY_LEN]) -> Aes256Gcm {
	Aes256Gcm::new(bytes.into())
}

/// The random 256-bit key of one file. Wiped from memory when dropped; its `Debug` does not
/// show it.
pub struct FileKey([u8; KEY_LEN]);

impl FileKey {
	/// A fresh key from the operating system's random number generator.
	pub fn generate() -> Result<FileKey, Error> {
		let mut key = FileKey([0u8; KEY_LEN]);
		random(&mut key.0)?;
		Ok(key)
	}

	/// A key from its bytes (for instance one kept by the caller). Every file must get its
	/// own key: the stream format relies on it (see the README, "Nonces").
	pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
		FileKey(bytes)
	}

	/// The key's bytes, for callers that must store it themselves. Handle with care.
	pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
		&self.0
	}

	pub(crate) fn aead_key(&self) -> Aes256Gcm {
		aead_key(&self.0)
	}
}

impl Drop for FileKey {
	fn drop(&mut self) {
		self.0.zeroize();
	}
}

impl std::fmt::Debug for FileKey {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("FileKey(..)")
	}
}

impl PartialEq for FileKey {
	/// Constant time: compares every byte whatever the first difference.
	fn eq(&self, other: &Self) -> bool {
		self.0.iter().zip(other.0.iter()).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
	}
}

impl Eq for FileKey {}

/// The key-encryption key (KEK) derived from an account secret: wraps file keys for storage
/// on-chain and unwraps them on any machine that has the same secret.
pub struct KeyWrapper {
	/// `None` only if HKDF refused to derive 32 bytes, which it cannot (its limit is 8160):
	/// then every wrap and unwrap fails rather than use a made-up key.
	kek: Option<Zeroizing<[u8; KEY_LEN]>>,
}

impl KeyWrapper {
	/// Derive the KEK: HKDF-SHA256 with `ikm = secret`, salt [`KEK_SALT`]
	/// (`b"cairn/file-key-wrap/v1"`) and info [`KEK_INFO`] (`b"cairn file key wrapping key"`).
	///
	/// The CLI passes the 64-byte sr25519 secret key of the user's account (from their SURI);
	/// this crate takes any bytes. Use a secret with at least 128 bits of entropy.
	pub fn from_secret(secret: &[u8]) -> KeyWrapper {
		let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(Some(KEK_SALT), secret);
		let mut kek = Zeroizing::new([0u8; KEY_LEN]);
		let kek = hkdf.expand(KEK_INFO, &mut kek[..]).ok().map(|()| kek);
		KeyWrapper { kek }
	}

	fn key(&self) -> Result<Aes256Gcm, Error> {
		match &self.kek {
			Some(kek) => Ok(aead_key(kek)),
			None => Err(Error::Internal("HKDF-SHA256 refused to derive a 32-byte key")),
		}
	}

	/// Wrap `key`: version 1 || algorithm 1 || random 96-bit nonce || AES-256-GCM(KEK, key,
	/// aad = version || algorithm || `b"cairn file key"`), [`WRAPPED_KEY_LEN`] bytes.
	pub fn wrap(&self, key: &FileKey) -> Result<Vec<u8>, Error> {
		let aead = self.key()?;
		let mut wrapped = vec![0u8; WRAPPED_KEY_LEN];
		wrapped[0] = VERSION;
		wrapped[1] = ALGORITHM_AES_256_GCM;
		let mut nonce = [0u8; NONCE_LEN];
		random(&mut nonce)?;
		wrapped[NONCE_AT..SEALED_AT].copy_from_slice(&nonce);
		let sealed = &mut wrapped[SEALED_AT..TAG_AT];
		sealed.copy_from_slice(&key.0);
		let aad = wrap_aad(VERSION, ALGORITHM_AES_256_GCM);
		let tag = aead
			.encrypt_in_place_detached(&nonce.into(), &aad, sealed)
			.map_err(|_| Error::Internal("AES-256-GCM refused to seal a 32-byte key"))?;
		wrapped[TAG_AT..].copy_from_slice(&tag);
		Ok(wrapped)
	}

	/// Unwrap a key made by [`KeyWrapper::wrap`] with the same secret.
	///
	/// Checks the version ([`Error::UnsupportedVersion`]), then the algorithm
	/// ([`Error::UnsupportedAlgorithm`]), then the length ([`Error::MalformedWrappedKey`]),
	/// then authenticity: [`Error::WrongSecret`] if it does not open under this KEK (another
	/// secret, or an altered wrapped key).
	pub fn unwrap(&self, wrapped: &[u8]) -> Result<FileKey, Error> {
		let malformed = Error::MalformedWrappedKey { len: wrapped.len() };
		match wrapped {
			[] => return Err(malformed),
			[version, ..] if *version != VERSION => {
				return Err(Error::UnsupportedVersion(*version))
			}
			[_, algorithm, ..] if *algorithm != ALGORITHM_AES_256_GCM => {
				return Err(Error::UnsupportedAlgorithm(*algorithm))
			}
			_ if wrapped.len() != WRAPPED_KEY_LEN => return Err(malformed),
			_ => {}
		}
		let aead = self.key()?;
		let nonce: [u8; NONCE_LEN] = wrapped[NONCE_AT..SEALED_AT]
			.try_into()
			.map_err(|_| Error::Internal("a wrapped key's nonce is not 12 bytes"))?;
		let tag: [u8; TAG_LEN] = wrapped[TAG_AT..]
			.try_into()
			.map_err(|_| Error::Internal("a wrapped key's tag is not 16 bytes"))?;
		// Decrypted in place in the key itself, which is wiped when dropped on failure too.
		let mut key = FileKey([0u8; KEY_LEN]);
		key.0.copy_from_slice(&wrapped[SEALED_AT..TAG_AT]);
		let aad = wrap_aad(VERSION, ALGORITHM_AES_256_GCM);
		aead.decrypt_in_place_detached(&nonce.into(), &aad, &mut key.0, &tag.into())
			.map_err(|_| Error::WrongSecret)?;
		Ok(key)
	}
}

impl std::fmt::Debug for KeyWrapper {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("KeyWrapper(..)")
	}
}

/// Associated data of a wrapped key: its version and algorithm bytes, then the label.
fn wrap_aad(version: u8, algorithm: u8) -> [u8; 2 + WRAP_AAD_LABEL.len()] {
	let mut aad = [0u8; 2 + WRAP_AAD_LABEL.len()];
	aad[0] = version;
	aad[1] = algorithm;
	aad[2..].copy_from_slice(WRAP_AAD_LABEL);
	aad
}
