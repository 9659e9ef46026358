//! The chain client: an RPC client to any Cairn node.
//!
//! Built on subxt's dynamic API: pallet, call, storage, event and view-function names and all
//! types are read from the node's metadata at run time, so the client needs no metadata file at
//! build time and keeps working across runtime upgrades that keep the names it uses. Values are
//! decoded by name into the types of [`types`] (fields the client does not use are ignored).
//!
//! - [`Client::submit`] signs a call (sr25519 key from a secret URI), waits until it is in a
//!   finalized block and returns its `Storage` events, or [`Error::Dispatch`] with the dispatch
//!   error by name (`Storage.InvalidCid`) and its documentation.
//! - [`Client::follow`] yields every finalized block's `Storage` events, none skipped.
//! - [`ChainApi`] is what the worker and the agent need from the chain; [`Client`] implements
//!   it over a node, unit tests over an in-memory fake.

mod client;
mod error;
mod events;
mod follow;
pub mod types;

pub use client::{account_of, signer_from_suri, Client, EventStream, Included, Signer};
pub use error::{DispatchFailure, Error};
pub use events::{BlockEvents, StorageEvent};
pub use follow::{spawn_follower, Notice};
pub use types::{
	AccountId, Balance, BlockNumber, FileInfo, FileRecord, FileState, OperatorInfo, OperatorRecord,
	OperatorStatus, PieceContent, PieceIndex, PieceRecord, PieceRef, PieceReport, PinFailure,
	PinTier, RemovalReason, RepairQueueEntry, TierConfig,
};

use std::future::Future;

/// Name of the storage pallet in the Cairn runtime.
pub const PALLET: &str = "Storage";

/// Largest page the pallet's paginated view functions return.
pub const VIEW_PAGE: u32 = 1_000;

/// What the storage worker and the operator agent need from the chain.
///
/// Calls are signed by the implementation's own key and return once finalized.
pub trait ChainApi: Send + Sync {
	/// The signing account, if any.
	fn account(&self) -> Option<AccountId>;

	/// A file's record and pieces (any CID spelling).
	fn file(&self, cid: &[u8]) -> impl Future<Output = Result<Option<FileInfo>, Error>> + Send;

	/// An operator's record and claimable rewards.
	fn operator(
		&self,
		who: &AccountId,
	) -> impl Future<Output = Result<Option<OperatorInfo>, Error>> + Send;

	/// One page of the pieces assigned to `who`.
	fn operator_pieces(
		&self,
		who: &AccountId,
		start: u32,
		limit: u32,
	) -> impl Future<Output = Result<Vec<PieceRef>, Error>> + Send;

	/// One page of the CIDs with pieces not reported yet.
	fn files_awaiting_placement(
		&self,
		start: u32,
		limit: u32,
	) -> impl Future<Output = Result<Vec<Vec<u8>>, Error>> + Send;

	/// One page of the CIDs with pieces moved by repair that the storage worker has to rebuild.
	fn files_awaiting_repair(
		&self,
		start: u32,
		limit: u32,
	) -> impl Future<Output = Result<Vec<Vec<u8>>, Error>> + Send;

	/// The repair queue, lowest health first.
	fn repair_queue(&self) -> impl Future<Output = Result<Vec<RepairQueueEntry>, Error>> + Send;

	/// Every registered operator (leaving ones included) and its record.
	fn operators(
		&self,
	) -> impl Future<Output = Result<Vec<(AccountId, OperatorRecord)>, Error>> + Send;

	/// The number of the latest finalized block.
	fn finalized_number(&self) -> impl Future<Output = Result<u64, Error>> + Send;

	/// What `claim_rewards` would pay `who` now.
	fn claimable_rewards(
		&self,
		who: &AccountId,
	) -> impl Future<Output = Result<Balance, Error>> + Send;

	/// `request_pin(cid, size, tier, eras)`.
	fn request_pin(
		&self,
		cid: &[u8],
		size: u64,
		tier: PinTier,
		eras: u32,
	) -> impl Future<Output = Result<Included, Error>> + Send;

	/// `register_operator(bond, capacity, region, ipfs_peer)`.
	fn register_operator(
		&self,
		bond: Balance,
		capacity: u64,
		region: &str,
		ipfs_peer: &str,
	) -> impl Future<Output = Result<Included, Error>> + Send;

	/// `report_placement(cid, pieces)`.
	fn report_placement(
		&self,
		cid: &[u8],
		pieces: Vec<PieceReport>,
	) -> impl Future<Output = Result<Included, Error>> + Send;

	/// `report_operator_offline(operator)`: the storage worker could not reach `operator`.
	fn report_operator_offline(
		&self,
		operator: &AccountId,
	) -> impl Future<Output = Result<Included, Error>> + Send;

	/// `report_repair(cid, pieces)`: pieces moved by repair were rebuilt and handed over.
	fn report_repair(
		&self,
		cid: &[u8],
		pieces: Vec<PieceReport>,
	) -> impl Future<Output = Result<Included, Error>> + Send;

	/// The chain's piece layout shard size (`ShardSize`), in bytes.
	fn shard_size(&self) -> impl Future<Output = Result<u32, Error>> + Send;

	/// `report_pin_failed(cid, reason)`: the pin cannot be placed; it is removed and refunded.
	fn report_pin_failed(
		&self,
		cid: &[u8],
		reason: PinFailure,
	) -> impl Future<Output = Result<Included, Error>> + Send;

	/// `submit_proof(challenge, leaf, proof)`: answer an audit challenge.
	fn submit_proof(
		&self,
		challenge: u64,
		leaf: Vec<u8>,
		proof: cairn_storage_primitives::MerkleProof,
	) -> impl Future<Output = Result<Included, Error>> + Send;

	/// `confirm_piece(cid, index)`.
	fn confirm_piece(
		&self,
		cid: &[u8],
		index: PieceIndex,
	) -> impl Future<Output = Result<Included, Error>> + Send;

	/// `claim_rewards()`.
	fn claim_rewards(&self) -> impl Future<Output = Result<Included, Error>> + Send;

	/// `declare_online()`: the signer, marked offline, is reachable again.
	fn declare_online(&self) -> impl Future<Output = Result<Included, Error>> + Send;
}

/// Every piece assigned to `who`, all pages.
pub async fn all_operator_pieces<C: ChainApi>(
	chain: &C,
	who: &AccountId,
) -> Result<Vec<PieceRef>, Error> {
	let mut all = Vec::new();
	loop {
		let start = u32::try_from(all.len()).unwrap_or(u32::MAX);
		let page = chain.operator_pieces(who, start, VIEW_PAGE).await?;
		let done = page.len() < VIEW_PAGE as usize;
		all.extend(page);
		if done {
			return Ok(all);
		}
	}
}

/// Every CID awaiting placement, all pages.
pub async fn all_files_awaiting_placement<C: ChainApi>(chain: &C) -> Result<Vec<Vec<u8>>, Error> {
	let mut all = Vec::new();
	loop {
		let start = u32::try_from(all.len()).unwrap_or(u32::MAX);
		let page = chain.files_awaiting_placement(start, VIEW_PAGE).await?;
		let done = page.len() < VIEW_PAGE as usize;
		all.extend(page);
		if done {
			return Ok(all);
		}
	}
}

/// Every CID awaiting repair, all pages.
pub async fn all_files_awaiting_repair<C: ChainApi>(chain: &C) -> Result<Vec<Vec<u8>>, Error> {
	let mut all = Vec::new();
	loop {
		let start = u32::try_from(all.len()).unwrap_or(u32::MAX);
		let page = chain.files_awaiting_repair(start, VIEW_PAGE).await?;
		let done = page.len() < VIEW_PAGE as usize;
		all.extend(page);
		if done {
			return Ok(all);
		}
	}
}
