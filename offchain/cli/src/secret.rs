//! The key that wraps a user's file keys, derived from the secret that signs their extrinsics.
//!
//! `cairn put` encrypts each file with its own random key and stores that key on-chain wrapped
//! with a key-encryption key derived (HKDF, in `cairn-crypt`) from the account's sr25519 secret
//! key. The secret key is what the SURI (`//Alice`, a seed phrase with an optional derivation
//! path and password, or a hex seed) resolves to, so any spelling of the same account unwraps
//! the same files, on any machine, with nothing else to carry around.

use crate::chain::Error;
use cairn_crypt::KeyWrapper;
use sp_core::{sr25519, Pair as _};

/// The file-key wrapper of the account `suri` signs for.
pub fn key_wrapper(suri: &str) -> Result<KeyWrapper, Error> {
	let pair =
		sr25519::Pair::from_string(suri, None).map_err(|e| Error::InvalidSuri(format!("{e:?}")))?;
	// The 64-byte secret key (scalar and nonce) of the derived account key; zeroized with the
	// pair's copy when dropped.
	let secret = zeroize::Zeroizing::new(pair.to_raw_vec());
	Ok(KeyWrapper::from_secret(&secret))
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
	use super::*;
	use cairn_crypt::FileKey;

	#[test]
	fn the_same_account_unwraps_whatever_its_spelling() {
		let phrase = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
		let key = FileKey::from_bytes([7; 32]);
		let wrapped =
			key_wrapper(&format!("{phrase}//Alice")).expect("wrapper").wrap(&key).expect("wrapped");
		// `//Alice` is the dev phrase with the junction `//Alice`.
		let unwrapped = key_wrapper("//Alice").expect("wrapper").unwrap(&wrapped).expect("unwraps");
		assert_eq!(unwrapped.as_bytes(), key.as_bytes());
		assert!(matches!(
			key_wrapper("//Bob").expect("wrapper").unwrap(&wrapped),
			Err(cairn_crypt::Error::WrongSecret)
		));
	}

	#[test]
	fn the_key_belongs_to_the_signing_account() {
		// The secret used for wrapping is the secret of the account that signs (subxt-signer
		// and sp-core derive the same key from a SURI).
		for suri in ["//Alice", "//Alice//stash", "//Ferdie/soft"] {
			let pair = sr25519::Pair::from_string(suri, None).expect("pair");
			let signer = crate::chain::signer_from_suri(suri).expect("signer");
			assert_eq!(pair.public().0, signer.public_key().0, "{suri}");
		}
		assert!(key_wrapper("not a seed phrase").is_err());
	}
}
