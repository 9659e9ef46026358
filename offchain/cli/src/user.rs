//! What a person storing files runs: `cairn put`, `cairn get`, `cairn status`.

mod get;
mod put;
mod status;

pub use get::{get, GetOptions, GetReport};
pub use put::{put, PutOptions, PutReport};
pub use status::{render_status, status};

/// The IPFS client every command and service uses (the Kubo RPC API).
pub fn ipfs_client(api_url: &str) -> Result<IpfsClient, cairn_ipfs::Error> {
	cairn_ipfs::KuboClient::new(api_url)
}

/// The IPFS client type.
pub type IpfsClient = cairn_ipfs::KuboClient;

/// Why a user command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
	/// The CID is not pinned on the chain.
	#[error("{0} is not pinned on this chain")]
	NotPinned(String),
	/// Fewer than `k` pieces could be fetched intact.
	#[error("only {good} intact pieces of {cid} could be fetched, {needed} are needed")]
	NotEnoughPieces {
		/// The file.
		cid: String,
		/// Intact pieces fetched.
		good: usize,
		/// `k`.
		needed: usize,
	},
	/// The bytes decoded do not have the file's CID.
	#[error("the decoded file does not match {expected}: it hashes to {found}")]
	CidMismatch {
		/// The CID asked for.
		expected: String,
		/// What the decoded bytes give.
		found: String,
	},
	/// The storage worker could not place the pin; the chain removed it and refunded it.
	#[error(
		"the storage worker could not place {cid} ({reason}); the pin was removed and refunded"
	)]
	PinFailed {
		/// The file.
		cid: String,
		/// Why, as the worker reported it.
		reason: String,
	},
	/// The tier is not configured on the chain.
	#[error("tier {0} is not configured on this chain")]
	TierNotConfigured(String),
	/// The file is empty (nothing to store).
	#[error("{0} is empty: an empty file has no pieces to store (encrypted, it could be pinned)")]
	EmptyFile(String),
	/// The file's size changed while it was being added to IPFS.
	#[error("{file} changed while it was read ({added} bytes added, {expected} expected); nothing was pinned")]
	FileChanged {
		/// The file.
		file: String,
		/// The size expected when reading started.
		expected: u64,
		/// The bytes IPFS received.
		added: u64,
	},
	/// The file is encrypted and no secret was given to decrypt it.
	#[error("{0} is encrypted for its owner: pass the owner's secret (--suri or CAIRN_SURI) to decrypt it")]
	SecretNeeded(String),
	/// Waiting for the file to be stored took too long.
	#[error("{cid} is not stored after {waited_secs} s (state {state}); `cairn status {cid}` shows where it is")]
	Timeout {
		/// The file.
		cid: String,
		/// Seconds waited.
		waited_secs: u64,
		/// Its state then.
		state: String,
	},
}
