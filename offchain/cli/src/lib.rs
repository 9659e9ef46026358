//! # Cairn client library
//!
//! Everything that talks to a Cairn chain from outside the runtime, behind the `cairn` binary:
//!
//! - [`chain`]: an RPC client to any Cairn node (subxt, dynamic API: every name and type is read
//!   from the node's metadata at run time), signing with an sr25519 key from a secret URI.
//!   Submits calls and waits for finality, decodes dispatch errors into `Pallet.Error` names,
//!   follows finalized blocks for `Storage` events, and reads the pallet's view functions.
//! - [`user`]: `cairn put` / `get` / `status`, what a person storing files runs.
//! - [`agent`]: the storage operator's agent (`cairn operator run`): registers, pins the pieces
//!   the chain assigns to it, verifies each against its on-chain Merkle root, confirms it,
//!   unpins released pieces and claims rewards. [`audit`] builds the answers to audit challenges.
//! - [`worker`]: the storage worker (`cairn worker run`, or inside `cairn-node`): encodes pinned
//!   files into pieces, adds them to IPFS and reports them on-chain; rebuilds the pieces repair
//!   moves to new operators from any `k` verified pieces; probes the operators' IPFS peers and
//!   reports the unreachable ones. [`fetch`] fetches and checks one piece (worker and `get`).
//!
//! Service code depends on two traits, [`chain::ChainApi`] and [`cairn_ipfs::Ipfs`], so that unit
//! tests can replace the node and the IPFS daemon with in-memory fakes; integration tests (in
//! `tests/`) run against a real `cairn-node --dev` and real IPFS daemons.

pub mod agent;
pub mod audit;
pub mod chain;
pub mod cid;
mod error;
pub mod fetch;
pub mod layout;
pub mod logging;
pub mod retry;
pub mod secret;
pub mod shutdown;
pub mod user;
pub mod worker;

/// In-memory fakes of the chain and of IPFS behind the crate's traits: for unit tests, and for
/// measurements (`examples/worker_memory.rs`) with feature `testing`.
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::{Error, Result};
pub use shutdown::Shutdown;
