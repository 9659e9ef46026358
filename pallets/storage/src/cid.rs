//! Structural validation and canonicalisation of IPFS content identifiers (CIDs).
//!
//! Files are addressed by CID. Two spellings of the same CID must land on the same pin, so every
//! CID is reduced to one canonical form before it is used as a key: the **binary CIDv1**
//! (`<version=1><codec><multihash>`, all varints minimal).
//!
//! Accepted inputs (the bytes of the call argument):
//! - binary CIDv1: `0x01 <codec varint> <hash code varint> <digest length varint> <digest>`;
//! - binary CIDv0: the 34-byte sha2-256 multihash `0x12 0x20 <32 bytes>`, canonicalised to the
//!   CIDv1 with codec dag-pb (`0x70`), exactly as IPFS itself converts v0 to v1;
//! - text CIDv0: the 46-character base58btc string starting with `Qm`;
//! - text CIDv1 in multibase: `b` (base32, lower case, no padding — what Kubo prints), `z`
//!   (base58btc — what js-ipfs prints) or `f` (base16, lower case).
//!
//! The check is structural: version, minimal varints, a multihash whose declared digest length
//! matches the bytes present and nothing after it. The identity multihash (`0x00`, data inlined
//! in the CID) is rejected: there is nothing to store. Codecs and hash functions are not
//! restricted to a list, so new ones keep working.
//!
//! This is a small no_std parser rather than the `cid` crate: that crate pulls `multihash` and
//! `core2` into the runtime, and every `core2` release is yanked (see the ecosystem notes).

use alloc::vec::Vec;

/// Multicodec of dag-pb, the codec every CIDv0 implies.
pub const DAG_PB: u64 = 0x70;
/// Multihash code of sha2-256, the only hash a CIDv0 can carry.
pub const SHA2_256: u64 = 0x12;
/// Multihash code of the identity "hash" (inline data), which cannot be pinned.
pub const IDENTITY: u64 = 0x00;
/// Longest digest accepted (sha2-512, blake2b-512 are 64 bytes).
pub const MAX_DIGEST_LEN: u64 = 64;

/// Why a byte string is not an acceptable CID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CidError {
	/// The input is empty.
	Empty,
	/// A text form contains a character outside its alphabet, or has leftover bits.
	BadEncoding,
	/// A varint is truncated, longer than 9 bytes or not minimally encoded.
	BadVarint,
	/// The version is neither a CIDv0 multihash nor `1`.
	UnsupportedVersion,
	/// The multihash is truncated, too long, has trailing bytes, or a zero/oversized digest.
	BadMultihash,
	/// The multihash is the identity hash: the data is inline, nothing to pin.
	IdentityHash,
}

/// Parses `input` in any accepted form and returns the canonical binary CIDv1.
pub fn canonicalize(input: &[u8]) -> Result<Vec<u8>, CidError> {
	let binary = decode_text(input)?;
	let bytes = binary.as_deref().unwrap_or(input);
	if is_v0_binary(bytes) {
		let mut out = Vec::with_capacity(bytes.len() + 2);
		out.push(0x01);
		out.push(DAG_PB as u8);
		out.extend_from_slice(bytes);
		return Ok(out);
	}
	validate_v1_binary(bytes)?;
	Ok(bytes.to_vec())
}

/// Whether `bytes` is a binary CIDv0 (a bare sha2-256 multihash).
fn is_v0_binary(bytes: &[u8]) -> bool {
	bytes.len() == 34 && bytes[0] == SHA2_256 as u8 && bytes[1] == 32
}

/// Validates a binary CIDv1.
fn validate_v1_binary(bytes: &[u8]) -> Result<(), CidError> {
	if bytes.is_empty() {
		return Err(CidError::Empty);
	}
	let mut rest = bytes;
	let version = read_varint(&mut rest)?;
	if version != 1 {
		return Err(CidError::UnsupportedVersion);
	}
	let _codec = read_varint(&mut rest)?;
	let code = read_varint(&mut rest)?;
	let len = read_varint(&mut rest)?;
	if code == IDENTITY {
		return Err(CidError::IdentityHash);
	}
	if len == 0 || len > MAX_DIGEST_LEN || rest.len() as u64 != len {
		return Err(CidError::BadMultihash);
	}
	Ok(())
}

/// Reads one unsigned LEB128 varint as the multiformats spec restricts it: at most 9 bytes,
/// minimally encoded.
fn read_varint(input: &mut &[u8]) -> Result<u64, CidError> {
	let mut value: u64 = 0;
	for (i, byte) in input.iter().enumerate() {
		if i >= 9 {
			return Err(CidError::BadVarint);
		}
		value |= u64::from(byte & 0x7f) << (7 * i);
		if byte & 0x80 == 0 {
			// A last byte of zero after a continuation byte is a non-minimal encoding.
			if i > 0 && *byte == 0 {
				return Err(CidError::BadVarint);
			}
			*input = &input[i + 1..];
			return Ok(value);
		}
	}
	Err(CidError::BadVarint)
}

/// Decodes a text form to binary; `Ok(None)` when `input` is already binary.
fn decode_text(input: &[u8]) -> Result<Option<Vec<u8>>, CidError> {
	let Some((&first, rest)) = input.split_first() else { return Err(CidError::Empty) };
	match first {
		// Text CIDv0: "Qm" + 44 base58btc characters.
		b'Q' if input.len() == 46 && input.get(1) == Some(&b'm') => {
			let out = base58btc_decode(input)?;
			if is_v0_binary(&out) {
				Ok(Some(out))
			} else {
				Err(CidError::BadMultihash)
			}
		}
		b'b' => base32_decode(rest).map(Some),
		b'z' => base58btc_decode(rest).map(Some),
		b'f' => base16_decode(rest).map(Some),
		// Binary forms start with 0x01 (v1) or 0x12 (v0); anything else is rejected later.
		_ => Ok(None),
	}
}

const BASE58_ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

fn base58btc_decode(input: &[u8]) -> Result<Vec<u8>, CidError> {
	if input.is_empty() {
		return Err(CidError::BadEncoding);
	}
	// Big-endian base-256 accumulator; inputs are bounded by `MaxCidLen`, so O(n^2) is fine.
	let mut out: Vec<u8> = Vec::with_capacity(input.len());
	for &c in input {
		let digit = BASE58_ALPHABET.iter().position(|&a| a == c).ok_or(CidError::BadEncoding)?;
		let mut carry = digit as u32;
		for byte in out.iter_mut().rev() {
			carry += u32::from(*byte) * 58;
			*byte = (carry & 0xff) as u8;
			carry >>= 8;
		}
		while carry > 0 {
			out.insert(0, (carry & 0xff) as u8);
			carry >>= 8;
		}
	}
	let zeros = input.iter().take_while(|&&c| c == b'1').count();
	let mut result = alloc::vec![0u8; zeros];
	result.extend(out.into_iter().skip_while(|&b| b == 0));
	Ok(result)
}

fn base32_decode(input: &[u8]) -> Result<Vec<u8>, CidError> {
	if input.is_empty() {
		return Err(CidError::BadEncoding);
	}
	let mut out = Vec::with_capacity(input.len() * 5 / 8);
	let mut buffer: u32 = 0;
	let mut bits: u32 = 0;
	for &c in input {
		let v = match c {
			b'a'..=b'z' => c - b'a',
			b'2'..=b'7' => c - b'2' + 26,
			_ => return Err(CidError::BadEncoding),
		};
		buffer = (buffer << 5) | u32::from(v);
		bits += 5;
		if bits >= 8 {
			bits -= 8;
			out.push(((buffer >> bits) & 0xff) as u8);
		}
		buffer &= (1 << bits) - 1;
	}
	// RFC 4648 without padding: fewer than 5 leftover bits, all zero.
	if bits >= 5 || buffer != 0 {
		return Err(CidError::BadEncoding);
	}
	Ok(out)
}

fn base16_decode(input: &[u8]) -> Result<Vec<u8>, CidError> {
	if input.is_empty() || !input.len().is_multiple_of(2) {
		return Err(CidError::BadEncoding);
	}
	let nibble = |c: u8| match c {
		b'0'..=b'9' => Ok(c - b'0'),
		b'a'..=b'f' => Ok(c - b'a' + 10),
		_ => Err(CidError::BadEncoding),
	};
	input.chunks(2).map(|pair| Ok((nibble(pair[0])? << 4) | nibble(pair[1])?)).collect()
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
	use super::*;

	// Vectors computed independently (Python, RFC 4648 / base58btc) and matching the IPFS docs'
	// v0 -> v1 example.
	const V0_TEXT: &str = "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n";
	const V0_HEX: &str = "1220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	const V1_B32: &str = "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
	const V1_B58: &str = "zdj7Wkkhxcu2rsiN6GUyHCLsSLL47kdUNfjbFqBUUhMFTZKBi";
	const V1_HEX: &str =
		"f01701220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	// The raw-codec CID of the bytes "hello".
	const RAW_B32: &str = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq";
	const RAW_HEX: &str =
		"015512202cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

	fn hex(s: &str) -> Vec<u8> {
		base16_decode(s.as_bytes()).expect("test vector is valid hex")
	}

	fn canonical_v1() -> Vec<u8> {
		let mut v = alloc::vec![0x01, 0x70];
		v.extend(hex(V0_HEX));
		v
	}

	#[test]
	fn every_spelling_of_one_cid_is_canonicalised_to_the_same_bytes() {
		let expected = canonical_v1();
		for input in [
			V0_TEXT.as_bytes().to_vec(),
			hex(V0_HEX),
			V1_B32.as_bytes().to_vec(),
			V1_B58.as_bytes().to_vec(),
			V1_HEX.as_bytes().to_vec(),
			expected.clone(),
		] {
			assert_eq!(canonicalize(&input), Ok(expected.clone()), "input {input:?}");
		}
	}

	#[test]
	fn raw_codec_cid_is_distinct_from_dag_pb() {
		assert_eq!(canonicalize(RAW_B32.as_bytes()), Ok(hex(RAW_HEX)));
		assert_ne!(canonicalize(RAW_B32.as_bytes()), canonicalize(V1_B32.as_bytes()));
	}

	#[test]
	fn malformed_inputs_are_rejected() {
		let good = canonical_v1();
		// Empty.
		assert_eq!(canonicalize(&[]), Err(CidError::Empty));
		// Truncated digest and trailing garbage.
		assert_eq!(canonicalize(&good[..good.len() - 1]), Err(CidError::BadMultihash));
		let mut long = good.clone();
		long.push(0);
		assert_eq!(canonicalize(&long), Err(CidError::BadMultihash));
		// Version 2 and version 0 in v1 framing.
		let mut v2 = good.clone();
		v2[0] = 2;
		assert_eq!(canonicalize(&v2), Err(CidError::UnsupportedVersion));
		// Identity multihash.
		assert_eq!(canonicalize(&[0x01, 0x55, 0x00, 0x03, 1, 2, 3]), Err(CidError::IdentityHash));
		// Zero-length digest.
		assert_eq!(canonicalize(&[0x01, 0x55, 0x12, 0x00]), Err(CidError::BadMultihash));
		// Non-minimal varint (codec 0x55 written as 0xd5 0x00).
		assert_eq!(canonicalize(&[0x01, 0xd5, 0x00, 0x12, 0x01, 7]), Err(CidError::BadVarint));
		// Truncated varint.
		assert_eq!(canonicalize(&[0x01, 0x80]), Err(CidError::BadVarint));
		// Bad characters in each text form, and leftover base32 bits.
		assert_eq!(canonicalize(b"bafyBEI"), Err(CidError::BadEncoding));
		assert_eq!(canonicalize(b"z0OIl"), Err(CidError::BadEncoding));
		assert_eq!(canonicalize(b"f0g"), Err(CidError::BadEncoding));
		assert_eq!(canonicalize(b"f012"), Err(CidError::BadEncoding));
		assert_eq!(canonicalize(b"b"), Err(CidError::BadEncoding));
		assert_eq!(canonicalize(b"bb"), Err(CidError::BadEncoding));
		// A text v0 of the right length whose decoding is not a sha2-256 multihash.
		let bad_v0 = "Qm".to_string() + &"1".repeat(44);
		assert_eq!(canonicalize(bad_v0.as_bytes()), Err(CidError::BadMultihash));
		// Plain text is not a CID.
		assert_eq!(canonicalize(b"hello world"), Err(CidError::UnsupportedVersion));
	}

	#[test]
	fn varints_round_trip_at_their_limits() {
		let mut two_bytes: &[u8] = &[0x80, 0x01];
		assert_eq!(read_varint(&mut two_bytes), Ok(128));
		assert!(two_bytes.is_empty());
		let mut nine: &[u8] = &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
		assert_eq!(read_varint(&mut nine), Ok(u64::MAX >> 1));
		let mut ten: &[u8] = &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
		assert_eq!(read_varint(&mut ten), Err(CidError::BadVarint));
	}
}
