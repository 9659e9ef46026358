//! File keys and their wrapping under the account secret.

#![allow(clippy::expect_used)] // Tests state what they expect.

use cairn_crypt::{Error, FileKey, KeyWrapper, MAX_WRAPPED_KEY_LEN, WRAPPED_KEY_LEN};

/// A stand-in for the 64-byte sr25519 secret key the CLI passes.
fn secret(seed: u8) -> [u8; 64] {
	let mut secret = [0u8; 64];
	for (i, byte) in secret.iter_mut().enumerate() {
		*byte = seed.wrapping_mul(31).wrapping_add(i as u8);
	}
	secret
}

#[test]
fn wrapped_keys_unwrap_with_the_same_secret_anywhere() {
	let key = FileKey::generate().expect("random");
	let wrapped = KeyWrapper::from_secret(&secret(1)).wrap(&key).expect("wraps");
	assert_eq!(wrapped.len(), WRAPPED_KEY_LEN);
	assert!(wrapped.len() <= MAX_WRAPPED_KEY_LEN);
	assert_eq!(wrapped[..2], [1, 1]);
	// "Another machine": a wrapper derived afresh from the same secret.
	let unwrapped = KeyWrapper::from_secret(&secret(1)).unwrap(&wrapped).expect("unwraps");
	assert!(unwrapped == key);
	assert_eq!(unwrapped.as_bytes(), key.as_bytes());
}

#[test]
fn wrapping_twice_uses_fresh_nonces() {
	let key = FileKey::from_bytes([9; 32]);
	let wrapper = KeyWrapper::from_secret(&secret(1));
	let (a, b) = (wrapper.wrap(&key).expect("wraps"), wrapper.wrap(&key).expect("wraps"));
	assert_ne!(a, b);
	assert!(wrapper.unwrap(&a).expect("unwraps") == wrapper.unwrap(&b).expect("unwraps"));
}

#[test]
fn another_secret_is_the_wrong_secret() {
	let key = FileKey::generate().expect("random");
	let wrapped = KeyWrapper::from_secret(&secret(1)).wrap(&key).expect("wraps");
	let error = KeyWrapper::from_secret(&secret(2)).unwrap(&wrapped).expect_err("wrong secret");
	assert!(matches!(error, Error::WrongSecret), "{error:?}");
	assert!(error.to_string().contains("another account"), "{error}");
}

#[test]
fn an_altered_wrapped_key_does_not_unwrap() {
	let wrapper = KeyWrapper::from_secret(&secret(1));
	let wrapped = wrapper.wrap(&FileKey::generate().expect("random")).expect("wraps");
	// Every byte after the version and algorithm is authenticated.
	for at in 2..wrapped.len() {
		let mut altered = wrapped.clone();
		altered[at] ^= 0x04;
		assert!(matches!(wrapper.unwrap(&altered), Err(Error::WrongSecret)), "byte {at}");
	}
}

#[test]
fn unknown_versions_algorithms_and_lengths_are_refused() {
	let wrapper = KeyWrapper::from_secret(&secret(1));
	let wrapped = wrapper.wrap(&FileKey::generate().expect("random")).expect("wraps");
	let mut version = wrapped.clone();
	version[0] = 2;
	assert!(matches!(wrapper.unwrap(&version), Err(Error::UnsupportedVersion(2))));
	assert!(matches!(wrapper.unwrap(&[0]), Err(Error::UnsupportedVersion(0))));
	let mut algorithm = wrapped.clone();
	algorithm[1] = 2;
	assert!(matches!(wrapper.unwrap(&algorithm), Err(Error::UnsupportedAlgorithm(2))));
	for len in [0, 1, 2, WRAPPED_KEY_LEN - 1, WRAPPED_KEY_LEN + 1, MAX_WRAPPED_KEY_LEN] {
		let mut sized = wrapped.clone();
		sized.resize(len, 0);
		if len > 0 {
			sized[0] = 1;
		}
		if len > 1 {
			sized[1] = 1;
		}
		match wrapper.unwrap(&sized) {
			Err(Error::MalformedWrappedKey { len: got }) => assert_eq!(got, len),
			other => panic!("length {len}: {other:?}"),
		}
	}
}

#[test]
fn the_kek_is_hkdf_sha256_of_the_secret_with_the_documented_labels() {
	use aes_gcm::{aead::AeadInPlace, Aes256Gcm, KeyInit};
	// Rebuild the unwrap from the README with independent code: HKDF from the `hkdf` crate,
	// AES-256-GCM from RustCrypto.
	let secret = secret(3);
	let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(Some(b"cairn/file-key-wrap/v1"), &secret);
	let mut kek = [0u8; 32];
	hkdf.expand(b"cairn file key wrapping key", &mut kek).expect("32 bytes");
	let key = FileKey::generate().expect("random");
	let wrapped = KeyWrapper::from_secret(&secret).wrap(&key).expect("wraps");
	let (nonce, rest) = wrapped[2..].split_at(12);
	let (sealed, tag) = rest.split_at(32);
	let mut opened = sealed.to_vec();
	Aes256Gcm::new(&kek.into())
		.decrypt_in_place_detached(nonce.into(), b"\x01\x01cairn file key", &mut opened, tag.into())
		.expect("opens with the documented KEK and associated data");
	assert_eq!(opened, key.as_bytes());
}

#[test]
fn keys_do_not_show_in_debug_output() {
	let key = FileKey::from_bytes([0xab; 32]);
	let shown = format!("{key:?} {:?}", KeyWrapper::from_secret(&secret(1)));
	assert!(!shown.contains("ab") && !shown.contains("171"), "{shown}");
}

#[test]
fn generated_keys_differ() {
	let a = FileKey::generate().expect("random");
	let b = FileKey::generate().expect("random");
	assert!(a != b);
	assert!(a == FileKey::from_bytes(*a.as_bytes()));
}
