//! The RPC client: subxt's dynamic API over a WebSocket connection that is made again when
//! it is lost (a node restarted, a connection dropped), so a long-running agent or worker
//! outlives its node.

use super::{
	error::{rpc, DispatchFailure, Error},
	events::{BlockEvents, StorageEvent},
	types::{
		AccountId, Balance, BlockNumber, FileInfo, OperatorInfo, OperatorRecord, PieceIndex,
		PieceRef, PieceReport, PinFailure, PinTier, RepairQueueEntry, TierConfig,
	},
	ChainApi, PALLET,
};
use codec::{Decode, Encode};
use scale_decode::DecodeAsType;
use std::{str::FromStr, sync::Arc, time::Duration};
use subxt::{
	backend::LegacyBackend,
	client::OnlineClientAtBlockImpl,
	config::{PolkadotExtrinsicParamsBuilder, RpcConfigFor},
	dynamic,
	error::{DispatchError, TransactionEventsError, TransactionProgressError},
	ext::scale_encode::EncodeAsFields,
	rpcs::{
		client::{jsonrpsee_client, JsonrpseeRpcClient},
		LegacyRpcMethods, RpcClient,
	},
	OnlineClient, PolkadotConfig,
};
use subxt_signer::{sr25519::Keypair, SecretUri};

/// The signing key of the client: sr25519, from a secret URI.
pub type Signer = Keypair;

/// Make an sr25519 key from a secret URI: `//Alice`, a seed phrase (optionally followed by
/// `//hard/soft` derivations and `///password`), or a `0x` hex seed.
pub fn signer_from_suri(suri: &str) -> Result<Signer, Error> {
	let uri = SecretUri::from_str(suri).map_err(|e| Error::InvalidSuri(e.to_string()))?;
	Keypair::from_uri(&uri).map_err(|e| Error::InvalidSuri(e.to_string()))
}

/// The account of a signing key.
pub fn account_of(signer: &Signer) -> AccountId {
	AccountId::from(signer.public_key().0)
}

/// The outcome of a call included in a finalized block.
#[derive(Clone, Debug)]
pub struct Included {
	/// Hash of the block (hex).
	pub block_hash: String,
	/// The call's `Storage` events.
	pub events: Vec<StorageEvent>,
}

/// One WebSocket connection to the node and the subxt clients over it.
struct Connection {
	ws: Arc<JsonrpseeRpcClient>,
	api: OnlineClient<PolkadotConfig>,
	legacy: LegacyRpcMethods<RpcConfigFor<PolkadotConfig>>,
}

impl Connection {
	async fn open(url: &str) -> Result<Self, Error> {
		let connect_error = |e: &dyn std::fmt::Display| Error::Connect {
			url: url.to_string(),
			reason: e.to_string(),
		};
		tracing::debug!(url, "connecting to the node");
		let ws = Arc::new(jsonrpsee_client(url).await.map_err(|e| connect_error(&e))?);
		let rpc_client = RpcClient::new(ws.clone());
		let legacy = LegacyRpcMethods::new(rpc_client.clone());
		// The legacy RPC backend (state_call, author_submitAndWatchExtrinsic,
		// chain_subscribeFinalizedHeads): with the default chainHead backend, view-function
		// calls against this node never completed. Finalized heads it skips are filled in by
		// number (see `EventStream`).
		let backend = LegacyBackend::<PolkadotConfig>::builder().build(rpc_client);
		let api = OnlineClient::<PolkadotConfig>::from_backend(Arc::new(backend))
			.await
			.map_err(|e| connect_error(&e))?;
		Ok(Self { ws, api, legacy })
	}
}

/// A connection to a Cairn node, optionally with a signing key.
///
/// Clones share one connection. When the node closes it (a restart, a dropped socket), the
/// next call opens a new one: the call in flight fails with an RPC error, which the agent's
/// and the worker's loops already retry, and a follower re-subscribes ([`super::spawn_follower`]).
#[derive(Clone)]
pub struct Client {
	connection: Arc<std::sync::RwLock<Arc<Connection>>>,
	/// Held while a new connection is made, so concurrent calls make one, not several.
	reconnect_lock: Arc<tokio::sync::Mutex<()>>,
	url: String,
	signer: Option<Arc<Signer>>,
	/// Held while a transaction is signed and handed to the pool, so that two calls of this
	/// client never take the same nonce.
	tx_lock: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Client {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Client")
			.field("url", &self.url)
			.field("account", &self.account().map(|a| a.to_string()))
			.finish()
	}
}

impl Client {
	/// Connect to the node at `url` (`ws://127.0.0.1:9944`), without a signer.
	pub async fn connect(url: &str) -> Result<Self, Error> {
		let connection = Connection::open(url).await?;
		let client = Self {
			connection: Arc::new(std::sync::RwLock::new(Arc::new(connection))),
			reconnect_lock: Arc::new(tokio::sync::Mutex::new(())),
			url: url.to_string(),
			signer: None,
			tx_lock: Arc::new(tokio::sync::Mutex::new(())),
		};
		client.check_metadata().await?;
		Ok(client)
	}

	/// The current connection, or a new one if the node closed it.
	async fn connection(&self) -> Result<Arc<Connection>, Error> {
		let current = self.current_connection();
		if current.ws.is_connected() {
			return Ok(current);
		}
		let _guard = self.reconnect_lock.lock().await;
		let current = self.current_connection();
		if current.ws.is_connected() {
			// Another call reconnected while this one waited.
			return Ok(current);
		}
		tracing::info!(url = %self.url, "the connection to the node was lost; reconnecting");
		let fresh = Arc::new(Connection::open(&self.url).await?);
		*self.connection.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh.clone();
		tracing::info!(url = %self.url, "reconnected to the node");
		Ok(fresh)
	}

	fn current_connection(&self) -> Arc<Connection> {
		self.connection.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
	}

	/// The client at the latest finalized block, over a live connection.
	async fn at_current_block(
		&self,
	) -> Result<
		subxt::client::ClientAtBlock<PolkadotConfig, OnlineClientAtBlockImpl<PolkadotConfig>>,
		Error,
	> {
		self.connection().await?.api.at_current_block().await.map_err(rpc)
	}

	/// Connect, retrying until the node answers or `timeout` passes (a node just started
	/// compiles its runtime before its RPC answers).
	pub async fn connect_with_retry(url: &str, timeout: Duration) -> Result<Self, Error> {
		let start = std::time::Instant::now();
		loop {
			match Self::connect(url).await {
				Ok(client) => return Ok(client),
				Err(error) if start.elapsed() < timeout => {
					tracing::debug!(url, %error, "node not answering yet; retrying in 1 s");
					tokio::time::sleep(Duration::from_secs(1)).await;
				}
				Err(error) => return Err(error),
			}
		}
	}

	/// This client, signing with `signer`.
	pub fn with_signer(mut self, signer: Signer) -> Self {
		self.signer = Some(Arc::new(signer));
		self
	}

	/// The URL of the node.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// The signer's account, if the client has one.
	pub fn account(&self) -> Option<AccountId> {
		self.signer.as_deref().map(account_of)
	}

	/// The underlying subxt client, for anything this module does not wrap.
	pub async fn subxt(&self) -> Result<OnlineClient<PolkadotConfig>, Error> {
		Ok(self.connection().await?.api.clone())
	}

	/// Fail early, with a clear message, if the node does not run a Cairn runtime.
	async fn check_metadata(&self) -> Result<(), Error> {
		let at = self.at_current_block().await?;
		let metadata = at.metadata();
		let pallet = metadata.pallet_by_name(PALLET).ok_or_else(|| {
			Error::Metadata(format!("the node at {} has no `{PALLET}` pallet", self.url))
		})?;
		for call in [
			"request_pin",
			"request_encrypted_pin",
			"report_placement",
			"confirm_piece",
			"register_operator",
			"report_operator_offline",
			"report_repair",
			"declare_online",
		] {
			if pallet.call_variant_by_name(call).is_none() {
				return Err(Error::Metadata(format!("`{PALLET}.{call}` is missing")));
			}
		}
		for view in [
			"file",
			"operator",
			"operator_pieces",
			"files_awaiting_placement",
			"files_awaiting_repair",
		] {
			if pallet.view_function_by_name(view).is_none() {
				return Err(Error::Metadata(format!("view function `{PALLET}.{view}` is missing")));
			}
		}
		Ok(())
	}

	/// `request_encrypted_pin(cid, size, tier, eras, wrapped_key)`: pin a file encrypted by its
	/// owner, keeping the owner's wrapped file key in the pin record.
	pub async fn request_encrypted_pin(
		&self,
		cid: &[u8],
		size: u64,
		tier: PinTier,
		eras: u32,
		wrapped_key: Vec<u8>,
	) -> Result<Included, Error> {
		self.submit("request_encrypted_pin", (cid.to_vec(), size, tier, eras, wrapped_key)).await
	}

	/// Sign `PALLET.call(args)`, submit it and wait until it is in a finalized block. Returns
	/// its `Storage` events, or the dispatch error by name if the chain rejected it.
	pub async fn submit<A: EncodeAsFields>(&self, call: &str, args: A) -> Result<Included, Error> {
		self.submit_to(PALLET, call, args).await
	}

	/// Like [`Client::submit`] for a call of any pallet.
	pub async fn submit_to<A: EncodeAsFields>(
		&self,
		pallet: &str,
		call: &str,
		args: A,
	) -> Result<Included, Error> {
		let signer = self.signer.as_deref().ok_or(Error::NoSigner)?;
		tracing::debug!(pallet, call, account = %account_of(signer), "signing");
		let payload = dynamic::tx(pallet, call, args);
		let progress = {
			let _guard = self.tx_lock.lock().await;
			// The pool's view of the nonce, so a call made while an earlier one of this account
			// is still waiting for finality gets the next nonce rather than the same one.
			let connection = self.connection().await?;
			let nonce = connection
				.legacy
				.system_account_next_index(&account_of(signer))
				.await
				.map_err(rpc)?;
			let params =
				PolkadotExtrinsicParamsBuilder::<PolkadotConfig>::new().nonce(nonce).build();
			let mut txs = connection.api.tx().await.map_err(rpc)?;
			txs.sign_and_submit_then_watch(&payload, signer, params).await.map_err(|e| {
				let text = e.to_string();
				// An invalid transaction (bad nonce, cannot pay fees) is refused at submission.
				if text.contains("Invalid Transaction") || text.contains("invalid") {
					Error::NotIncluded(text)
				} else {
					rpc(text)
				}
			})?
		};
		tracing::debug!(pallet, call, "submitted; waiting for finality");
		let in_block = progress.wait_for_finalized().await.map_err(|e| match e {
			TransactionProgressError::TransactionStatusError(status) => {
				Error::NotIncluded(status.to_string())
			}
			other => rpc(other),
		})?;
		let block_hash = format!("{:?}", in_block.block_hash());
		match in_block.wait_for_success().await {
			Ok(events) => {
				let mut decoded = Vec::new();
				for event in events.iter() {
					let event = event.map_err(rpc)?;
					if event.pallet_name() == PALLET {
						decoded.push(decode_storage_event(&event));
					}
				}
				tracing::debug!(pallet, call, block = %block_hash, "finalized");
				Ok(Included { block_hash, events: decoded })
			}
			Err(TransactionEventsError::ExtrinsicFailed(error)) => {
				Err(Error::Dispatch(dispatch_failure(&error)))
			}
			Err(other) => Err(rpc(other)),
		}
	}

	/// Call a view function of the `Storage` pallet at the latest finalized block.
	///
	/// The runtime API is `execute_view_function(id, input: Vec<u8>) -> Result<Vec<u8>, _>`.
	/// subxt 0.50's `view_functions().call` sends the inputs without the `Vec<u8>` length
	/// prefix and decodes the answer without unwrapping the `Result<Vec<u8>, _>` (the node
	/// rejects the call, or with the chainHead backend never answers), so the call is framed
	/// here and only the argument encoding and the output type come from subxt.
	pub async fn view<Args, R>(&self, function: &str, args: Args) -> Result<R, Error>
	where
		Args: subxt::ext::frame_decode::view_functions::IntoEncodableValues,
		R: DecodeAsType,
	{
		let at = self.at_current_block().await?;
		tracing::trace!(function, block = at.block_number(), "view function");
		let metadata = at.metadata();
		let output_ty = metadata
			.pallet_by_name(PALLET)
			.and_then(|pallet| pallet.view_function_by_name(function))
			.map(|view| view.output_ty())
			.ok_or_else(|| {
				Error::Metadata(format!("view function `{PALLET}.{function}` is missing"))
			})?;
		let payload = dynamic::view_function_call::<Args, R>(PALLET, function, args);
		let views = at.view_functions();
		let encoded = views.encode_args(&payload).map_err(rpc)?;
		if encoded.len() < 32 {
			return Err(Error::Rpc(format!("view function `{function}`: short query id")));
		}
		let (query_id, input) = encoded.split_at(32);
		let mut call = query_id.to_vec();
		input.to_vec().encode_to(&mut call);
		let answer = views.call_raw(Some(&call)).await.map_err(rpc)?;
		let output: Result<Vec<u8>, ViewFunctionDispatchError> =
			Decode::decode(&mut &answer[..]).map_err(rpc)?;
		let output = output.map_err(|e| {
			Error::Rpc(format!("view function `{PALLET}.{function}` failed in the runtime: {e:?}"))
		})?;
		R::decode_as_type(&mut &output[..], output_ty, metadata.types()).map_err(rpc)
	}

	/// The configuration of `tier`, if set.
	pub async fn tier_config(&self, tier: PinTier) -> Result<Option<TierConfig>, Error> {
		let at = self.at_current_block().await?;
		let address = dynamic::storage::<(PinTier,), TierConfig>(PALLET, "TierConfigs");
		match at.storage().try_fetch(address, (tier,)).await.map_err(rpc)? {
			Some(value) => value.decode().map(Some).map_err(rpc),
			None => Ok(None),
		}
	}

	/// The accounts allowed to report placements.
	pub async fn storage_workers(&self) -> Result<Vec<AccountId>, Error> {
		let at = self.at_current_block().await?;
		let address = dynamic::storage::<(), Vec<AccountId>>(PALLET, "StorageWorkers");
		match at.storage().try_fetch(address, ()).await.map_err(rpc)? {
			Some(value) => value.decode().map_err(rpc),
			None => Ok(Vec::new()),
		}
	}

	/// Every registered operator and its record (an iteration over `Storage.Operators`).
	pub async fn operators(&self) -> Result<Vec<(AccountId, OperatorRecord)>, Error> {
		let at = self.at_current_block().await?;
		let address = dynamic::storage::<(AccountId,), OperatorRecord>(PALLET, "Operators");
		let mut entries = at.storage().iter(address, ()).await.map_err(rpc)?;
		let mut all = Vec::new();
		while let Some(entry) = entries.next().await {
			let entry = entry.map_err(rpc)?;
			let (who,) = entry.key().map_err(rpc)?.decode().map_err(rpc)?;
			all.push((who, entry.value().decode().map_err(rpc)?));
		}
		Ok(all)
	}

	/// A constant of the `Storage` pallet.
	pub async fn constant<R: DecodeAsType>(&self, name: &str) -> Result<R, Error> {
		let at = self.at_current_block().await?;
		at.constants().entry(dynamic::constant::<R>(PALLET, name)).map_err(rpc)
	}

	/// The free balance of `who`.
	pub async fn free_balance(&self, who: &AccountId) -> Result<Balance, Error> {
		#[derive(DecodeAsType)]
		struct AccountData {
			free: Balance,
		}
		#[derive(DecodeAsType)]
		struct AccountInfo {
			data: AccountData,
		}
		let at = self.at_current_block().await?;
		let address = dynamic::storage::<(AccountId,), AccountInfo>("System", "Account");
		match at.storage().try_fetch(address, (*who,)).await.map_err(rpc)? {
			Some(value) => value.decode().map(|info| info.data.free).map_err(rpc),
			None => Ok(0),
		}
	}

	/// The number of the latest finalized block.
	pub async fn finalized_number(&self) -> Result<u64, Error> {
		Ok(self.at_current_block().await?.block_number())
	}

	/// Follow finalized blocks from the one after the current finalized block on, yielding
	/// each block's `Storage` events (none skipped: gaps are filled by block number).
	pub async fn follow(&self) -> Result<EventStream, Error> {
		let head = self.finalized_number().await?;
		let blocks = self.connection().await?.api.stream_blocks().await.map_err(rpc)?;
		Ok(EventStream { client: self.clone(), blocks, last: Some(head) })
	}

	/// The `Storage` events of the finalized block `number`.
	pub async fn events_at(&self, number: u64) -> Result<BlockEvents, Error> {
		let at = self.connection().await?.api.at_block(number).await.map_err(rpc)?;
		block_events(&at).await
	}
}

/// `frame_support::view_functions::ViewFunctionDispatchError`, by shape.
#[derive(Debug, codec::Decode)]
#[allow(dead_code)]
enum ViewFunctionDispatchError {
	NotImplemented,
	NotFound([u8; 32]),
	Codec,
}

/// A finalized block's `Storage` events.
async fn block_events<C>(
	at: &subxt::client::ClientAtBlock<PolkadotConfig, C>,
) -> Result<BlockEvents, Error>
where
	C: subxt::client::OnlineClientAtBlockT<PolkadotConfig>,
{
	let events = at.events().fetch().await.map_err(rpc)?;
	let mut decoded = Vec::new();
	for event in events.iter() {
		let event = event.map_err(rpc)?;
		if event.pallet_name() == PALLET {
			decoded.push(decode_storage_event(&event));
		}
	}
	Ok(BlockEvents {
		number: at.block_number(),
		hash: format!("{:?}", at.block_hash()),
		events: decoded,
	})
}

/// Finalized blocks' `Storage` events, in block order, none skipped.
pub struct EventStream {
	client: Client,
	blocks: subxt::client::Blocks<PolkadotConfig>,
	last: Option<u64>,
}

impl EventStream {
	/// The next finalized block's events. Blocks finalized together are all yielded, in order.
	pub async fn next(&mut self) -> Result<BlockEvents, Error> {
		if let Some(last) = self.last {
			// Blocks finalized in one step come as one notification: fill the gap first.
			let head = self.client.finalized_number().await?;
			if head > last + 1 {
				let number = last + 1;
				let events = self.client.events_at(number).await?;
				self.last = Some(number);
				return Ok(events);
			}
		}
		loop {
			let block = match self.blocks.next().await {
				Some(block) => block.map_err(rpc)?,
				None => return Err(Error::SubscriptionEnded),
			};
			let number = block.number();
			if let Some(last) = self.last {
				if number <= last {
					continue;
				}
				if number > last + 1 {
					let events = self.client.events_at(last + 1).await?;
					self.last = Some(last + 1);
					return Ok(events);
				}
			}
			let at = block.at().await.map_err(rpc)?;
			let events = block_events(&at).await?;
			self.last = Some(number);
			return Ok(events);
		}
	}
}

/// Decode one `Storage` event by name, or name it if this client does not know it.
fn decode_storage_event(event: &subxt::events::Event<'_, PolkadotConfig>) -> StorageEvent {
	#[derive(DecodeAsType)]
	enum Outer {
		Storage(StorageEvent),
	}
	match event.decode_as::<Outer>() {
		Ok(Outer::Storage(decoded)) => decoded,
		Err(error) => {
			tracing::trace!(event = event.event_name(), %error, "unknown Storage event");
			StorageEvent::Other(event.event_name().to_string())
		}
	}
}

/// A dispatch error by name, with its docs from the metadata.
fn dispatch_failure(error: &DispatchError) -> DispatchFailure {
	match error {
		DispatchError::Module(module) => match module.details() {
			Ok(details) => DispatchFailure {
				pallet: Some(details.pallet.name().to_string()),
				error: details.variant.name.clone(),
				docs: details.variant.docs.join(" ").trim().to_string(),
			},
			Err(_) => DispatchFailure {
				pallet: None,
				error: module.details_string(),
				docs: String::new(),
			},
		},
		other => DispatchFailure { pallet: None, error: other.to_string(), docs: String::new() },
	}
}

/// The calls and reads the worker and the agent use, over a real node.
impl ChainApi for Client {
	fn account(&self) -> Option<AccountId> {
		Client::account(self)
	}

	async fn file(&self, cid: &[u8]) -> Result<Option<FileInfo>, Error> {
		self.view("file", (cid.to_vec(),)).await
	}

	async fn operator(&self, who: &AccountId) -> Result<Option<OperatorInfo>, Error> {
		self.view("operator", (*who,)).await
	}

	async fn operator_pieces(
		&self,
		who: &AccountId,
		start: u32,
		limit: u32,
	) -> Result<Vec<PieceRef>, Error> {
		self.view("operator_pieces", (*who, start, limit)).await
	}

	async fn files_awaiting_placement(
		&self,
		start: u32,
		limit: u32,
	) -> Result<Vec<Vec<u8>>, Error> {
		self.view("files_awaiting_placement", (start, limit)).await
	}

	async fn files_awaiting_repair(&self, start: u32, limit: u32) -> Result<Vec<Vec<u8>>, Error> {
		self.view("files_awaiting_repair", (start, limit)).await
	}

	async fn repair_queue(&self) -> Result<Vec<RepairQueueEntry>, Error> {
		let entries: Vec<(Vec<u8>, u32, BlockNumber)> = self.view("repair_queue", ()).await?;
		Ok(entries
			.into_iter()
			.map(|(cid, healthy, not_before)| RepairQueueEntry { cid, healthy, not_before })
			.collect())
	}

	async fn operators(&self) -> Result<Vec<(AccountId, OperatorRecord)>, Error> {
		Client::operators(self).await
	}

	async fn finalized_number(&self) -> Result<u64, Error> {
		Client::finalized_number(self).await
	}

	async fn claimable_rewards(&self, who: &AccountId) -> Result<Balance, Error> {
		self.view("claimable_rewards", (*who,)).await
	}

	async fn request_pin(
		&self,
		cid: &[u8],
		size: u64,
		tier: PinTier,
		eras: u32,
	) -> Result<Included, Error> {
		self.submit("request_pin", (cid.to_vec(), size, tier, eras)).await
	}

	async fn register_operator(
		&self,
		bond: Balance,
		capacity: u64,
		region: &str,
		ipfs_peer: &str,
	) -> Result<Included, Error> {
		let args = (bond, capacity, region.as_bytes().to_vec(), ipfs_peer.as_bytes().to_vec());
		self.submit("register_operator", args).await
	}

	async fn report_placement(
		&self,
		cid: &[u8],
		pieces: Vec<PieceReport>,
	) -> Result<Included, Error> {
		self.submit("report_placement", (cid.to_vec(), pieces)).await
	}

	async fn report_operator_offline(&self, operator: &AccountId) -> Result<Included, Error> {
		self.submit("report_operator_offline", (*operator,)).await
	}

	async fn report_repair(&self, cid: &[u8], pieces: Vec<PieceReport>) -> Result<Included, Error> {
		self.submit("report_repair", (cid.to_vec(), pieces)).await
	}

	async fn shard_size(&self) -> Result<u32, Error> {
		self.constant("ShardSize").await
	}

	async fn report_pin_failed(&self, cid: &[u8], reason: PinFailure) -> Result<Included, Error> {
		self.submit("report_pin_failed", (cid.to_vec(), reason)).await
	}

	async fn submit_proof(
		&self,
		challenge: u64,
		leaf: Vec<u8>,
		proof: cairn_storage_primitives::MerkleProof,
	) -> Result<Included, Error> {
		/// `MerkleProof` by field name, for the dynamic encoder.
		#[derive(scale_encode::EncodeAsType)]
		struct Proof {
			siblings: Vec<[u8; 32]>,
		}
		let proof = Proof { siblings: proof.siblings.into_inner() };
		self.submit("submit_proof", (challenge, leaf, proof)).await
	}

	async fn confirm_piece(&self, cid: &[u8], index: PieceIndex) -> Result<Included, Error> {
		self.submit("confirm_piece", (cid.to_vec(), index)).await
	}

	async fn declare_online(&self) -> Result<Included, Error> {
		self.submit("declare_online", ()).await
	}

	async fn claim_rewards(&self) -> Result<Included, Error> {
		self.submit("claim_rewards", ()).await
	}
}
