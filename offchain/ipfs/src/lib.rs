//! # Cairn IPFS layer
//!
//! The few things Cairn needs from an IPFS daemon, as one trait ([`Ipfs`]), implemented over the
//! Kubo RPC API (`/api/v0/...` on 127.0.0.1) so the same code talks to Kubo (what operators run in
//! production) and to js-ipfs (what the test network runs on machines where Kubo cannot be
//! installed). Differences between the two daemons are absorbed here, never patched in a daemon.
//!
//! The storage worker, the operator agent and the `cairn` CLI depend only on the trait; unit
//! tests may implement it in memory, everything a user meets uses the real implementation.
//!
//! CONTRACT (written before the implementation; the implementation may add methods and types,
//! but keeps these signatures so the worker/agent/CLI written in parallel compile against it).
//!
//! ## Implementation
//!
//! - [`KuboClient`]: the trait over `ipfs-api-backend-hyper` 0.6, with Cairn's own request types
//!   and lenient answer decoding (`KuboClient::new("http://127.0.0.1:5001")`).
//! - [`parse_cid`]: CID text in any multibase to a [`Cid`]; CIDs are compared parsed, never as
//!   text (js-ipfs prints CIDv1 in base58btc, Kubo in base32).
//! - [`local_net`]: real daemons on 127.0.0.1 for tests, through `scripts/ipfs.sh`.
//!
//! The README (`offchain/ipfs/README.md`) lists the js-ipfs/Kubo differences handled here.

use core::future::Future;
use core::time::Duration;

pub use cid::Cid;

mod kubo;
pub mod local_net;

pub use kubo::{parse_cid, KuboClient, DEFAULT_CALL_TIMEOUT, DEFAULT_STALL_TIMEOUT};

/// What `add` reports for the object it stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Added {
	/// The CID of the added object (CIDv1, raw leaves, as Cairn adds pieces).
	pub cid: Cid,
	/// Total size in bytes of the added data (as given, not the DAG size).
	pub size: u64,
}

/// A daemon's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
	/// The libp2p peer id, base58 (`12D3Koo…` / `Qm…`).
	pub peer_id: String,
	/// Listen multiaddrs including `/p2p/<peer id>`; may be empty (js-ipfs lists none).
	pub addresses: Vec<String>,
}

/// Errors from the IPFS layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
	/// The daemon could not be reached (connection refused, reset, HTTP failure).
	#[error("IPFS daemon unreachable: {0}")]
	Unreachable(String),
	/// The daemon answered with an error message.
	#[error("IPFS daemon error: {0}")]
	Api(String),
	/// The daemon's answer could not be understood.
	#[error("unexpected answer from the IPFS daemon: {0}")]
	Decode(String),
	/// The operation did not finish in time (e.g. a block nobody has).
	#[error("IPFS operation timed out after {0:?}")]
	Timeout(Duration),
	/// A CID string or bytes that do not parse.
	#[error("invalid CID: {0}")]
	InvalidCid(String),
	/// Local I/O while streaming data in or out.
	#[error("I/O error: {0}")]
	Io(#[from] std::io::Error),
}

/// Result alias of the IPFS layer.
pub type Result<T> = core::result::Result<T, Error>;

/// What Cairn needs from an IPFS daemon.
pub trait Ipfs: Send + Sync {
	/// Add bytes read from `data` (streamed, never buffered whole), CIDv1 with raw leaves, pinned.
	fn add<R>(&self, data: R) -> impl Future<Output = Result<Added>> + Send
	where
		R: std::io::Read + Send + Sync + Unpin + 'static;

	/// Read `length` bytes (all to the end when `None`) of `cid` starting at `offset`.
	fn cat(
		&self,
		cid: &Cid,
		offset: u64,
		length: Option<u64>,
	) -> impl Future<Output = Result<Vec<u8>>> + Send;

	/// Stream the whole content of `cid` into `out`, returning the byte count.
	fn cat_to<W>(&self, cid: &Cid, out: &mut W) -> impl Future<Output = Result<u64>> + Send
	where
		W: std::io::Write + Send;

	/// Pin `cid` recursively (fetching it from connected peers by Bitswap if needed), giving up
	/// after `timeout`.
	fn pin_add(&self, cid: &Cid, timeout: Duration) -> impl Future<Output = Result<()>> + Send;

	/// Remove the pin of `cid`; not an error when it was not pinned.
	fn pin_rm(&self, cid: &Cid) -> impl Future<Output = Result<()>> + Send;

	/// Recursively pinned CIDs.
	fn pin_ls(&self) -> impl Future<Output = Result<Vec<Cid>>> + Send;

	/// Size of the block `cid` if this daemon (or a peer, within `timeout`) has it; `None` when
	/// nobody answered within `timeout`.
	fn block_stat(
		&self,
		cid: &Cid,
		timeout: Duration,
	) -> impl Future<Output = Result<Option<u64>>> + Send;

	/// Connect to a peer (`/ip4/127.0.0.1/tcp/<port>/p2p/<peer id>`).
	fn swarm_connect(&self, addr: &str) -> impl Future<Output = Result<()>> + Send;

	/// This daemon's identity.
	fn id(&self) -> impl Future<Output = Result<PeerInfo>> + Send;

	/// Garbage-collect unpinned blocks.
	fn repo_gc(&self) -> impl Future<Output = Result<()>> + Send;
}
