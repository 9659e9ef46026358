//! CIDs between the user, IPFS and the chain.
//!
//! The chain keys pins by the **canonical binary CIDv1** (a CIDv0 becomes the CIDv1 with codec
//! dag-pb and the same multihash) and emits that form in events. Here a CID is parsed once into
//! [`Cid`], sent to the chain in canonical binary form, and printed in the multibase text IPFS
//! prints (base32 for CIDv1). CIDs are compared parsed, never as text.

pub use cairn_ipfs::Cid;
use sha2::Digest;

/// Multicodec of dag-pb.
pub const DAG_PB: u64 = 0x70;
/// Multicodec of raw bytes.
pub const RAW: u64 = 0x55;
/// Multihash code of sha2-256.
pub const SHA2_256: u64 = 0x12;

/// A CID that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CidError {
	/// Text or bytes that are not a CID.
	#[error("not a valid CID: {input} ({reason})")]
	Invalid {
		/// What was given (text, or hex of bytes).
		input: String,
		/// Why it does not parse.
		reason: String,
	},
}

/// Parse a CID as IPFS prints it (`Qm…`, `bafy…`, any multibase).
pub fn parse(text: &str) -> Result<Cid, CidError> {
	Cid::try_from(text.trim())
		.map_err(|e| CidError::Invalid { input: text.to_string(), reason: e.to_string() })
}

/// Parse a binary CID (as the chain stores and emits it).
pub fn from_bytes(bytes: &[u8]) -> Result<Cid, CidError> {
	Cid::try_from(bytes)
		.map_err(|e| CidError::Invalid { input: hex::encode(bytes), reason: e.to_string() })
}

/// The CIDv1 of `cid`: itself for a CIDv1, dag-pb with the same multihash for a CIDv0.
pub fn to_v1(cid: &Cid) -> Cid {
	if cid.version() == ::cid::Version::V0 {
		Cid::new_v1(DAG_PB, *cid.hash())
	} else {
		*cid
	}
}

/// The canonical binary form the chain keys pins by.
pub fn canonical_bytes(cid: &Cid) -> Vec<u8> {
	to_v1(cid).to_bytes()
}

/// Text of a binary CID from the chain (base32 CIDv1), or its hex if it does not parse.
pub fn display(bytes: &[u8]) -> String {
	match from_bytes(bytes) {
		Ok(cid) => cid.to_string(),
		Err(_) => format!("0x{}", hex::encode(bytes)),
	}
}

/// Whether two CIDs name the same content: equal once both are CIDv1.
pub fn same(a: &Cid, b: &Cid) -> bool {
	to_v1(a) == to_v1(b)
}

/// For a raw-codec sha2-256 CID (what IPFS gives a single-block file added with raw leaves),
/// the CID is a plain hash of the bytes and can be checked without IPFS: returns the digest
/// it commits to. `None` for any other CID (dag-pb files need IPFS's chunking to check).
pub fn raw_sha256_digest(cid: &Cid) -> Option<[u8; 32]> {
	let hash = cid.hash();
	if cid.codec() != RAW || hash.code() != SHA2_256 {
		return None;
	}
	hash.digest().try_into().ok()
}

/// A sha2-256 hasher that is an [`std::io::Write`], to hash a stream.
#[derive(Default)]
pub struct Sha256Writer(sha2::Sha256);

impl Sha256Writer {
	/// The digest of everything written.
	pub fn finish(self) -> [u8; 32] {
		self.0.finalize().into()
	}
}

impl std::io::Write for Sha256Writer {
	fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
		self.0.update(buf);
		Ok(buf.len())
	}

	fn flush(&mut self) -> std::io::Result<()> {
		Ok(())
	}
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
	use super::*;

	// Vectors from the pallet's own CID tests (pallets/storage/src/cid.rs).
	const V0_TEXT: &str = "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n";
	const V1_B32: &str = "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
	const RAW_B32: &str = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq";
	const RAW_HEX: &str =
		"015512202cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

	#[test]
	fn v0_and_v1_spellings_have_one_canonical_form() {
		let v0 = parse(V0_TEXT).expect("v0 parses");
		let v1 = parse(V1_B32).expect("v1 parses");
		assert_eq!(canonical_bytes(&v0), canonical_bytes(&v1));
		assert!(same(&v0, &v1));
		assert_eq!(display(&canonical_bytes(&v0)), V1_B32);
	}

	#[test]
	fn raw_cids_are_checked_by_hashing_the_bytes() {
		let raw = parse(RAW_B32).expect("raw parses");
		assert_eq!(hex::encode(canonical_bytes(&raw)), RAW_HEX);
		let digest = raw_sha256_digest(&raw).expect("raw sha2-256");
		let mut hasher = Sha256Writer::default();
		std::io::Write::write_all(&mut hasher, b"hello").expect("hashing");
		assert_eq!(hasher.finish(), digest);
		assert_eq!(raw_sha256_digest(&parse(V1_B32).expect("v1")), None);
	}

	#[test]
	fn garbage_is_rejected_with_the_input_named() {
		let error = parse("not a cid").expect_err("rejected");
		assert!(error.to_string().contains("not a cid"));
		assert!(display(b"\x01\x02").starts_with("0x"));
	}
}
