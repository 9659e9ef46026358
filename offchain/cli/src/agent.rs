//! The storage operator's agent (`cairn operator run`).
//!
//! - **Registration**: on start, registers the account as an operator with the configured
//!   bond, capacity, region and IPFS peer address, or checks the existing registration.
//! - **Assignments**: reconciles every file it has a piece of (a full re-scan of
//!   `operator_pieces` on start and after any lost subscription, then one file at a time as
//!   `PiecesAssigned`, `PlacementReported`, `PieceReassigned`, `PiecesReleased`... arrive).
//!   For each reported piece it holds: pin the piece's CID on its own IPFS daemon (fetched by
//!   Bitswap), stream it back and check its size and Merkle root against the chain, and only
//!   then `confirm_piece`. A piece that fails the check is unpinned and not confirmed.
//! - **Repairs**: a piece moved to it by repair (`RepairScheduled`) is fetched, verified and
//!   confirmed only once the storage worker has rebuilt it (`RepairReported`): before that
//!   nobody may serve it, and the chain refuses the confirmation.
//! - **Releases**: a piece no longer assigned to it (released, moved away by repair or
//!   re-assignment, file removed) is unpinned, unless another held piece has the same content.
//!   A piece repair moved away is kept, and served, until its new copy is confirmed (the chain
//!   records us as its `previous` holder until then).
//! - **Rewards**: claimed on a schedule when there is something to claim, and on demand
//!   (`cairn operator claim`).
//! - **Audits**: on `ChallengeIssued` for one of its pieces, builds the leaf and its Merkle proof
//!   from the locally pinned piece ([`crate::audit`]), checks it against the on-chain root, and
//!   answers with `submit_proof` before the deadline. Challenges are answered as their block
//!   arrives, each in a task of its own ([`Auditor`]), not when the main loop gets to them: it
//!   may be fetching a piece for minutes, and answers are due within a response window.
//!
//! The state directory keeps which piece CIDs it pinned ([`state`]), so a restart forgets
//! nothing the chain no longer tells (a file removed while the agent was down).

mod audits;
pub mod state;
mod verify;

pub use audits::{answer_challenge, Auditor, AUDIT_READ_TIMEOUT};
pub use verify::RootWriter;

use crate::{
	chain::{self, AccountId, Balance, ChainApi, Client, Notice, Signer, StorageEvent},
	cid,
	retry::Backoff,
	Shutdown,
};
use cairn_ipfs::Ipfs;
use state::{HeldPiece, State, Store};
use std::{
	collections::{BTreeMap, BTreeSet},
	path::PathBuf,
	time::{Duration, Instant},
};

/// Why the agent could not do something.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
	/// The chain could not be read or rejected a call.
	#[error(transparent)]
	Chain(#[from] chain::Error),
	/// IPFS failed.
	#[error(transparent)]
	Ipfs(#[from] cairn_ipfs::Error),
	/// A CID from the chain does not parse.
	#[error(transparent)]
	Cid(#[from] cid::CidError),
	/// The piece fetched does not match what the chain recorded.
	#[error("piece {index} of {file} does not match the chain: {reason}")]
	BadPiece {
		/// The file.
		file: String,
		/// The piece.
		index: u32,
		/// What differs.
		reason: String,
	},
	/// The state directory could not be read or written.
	#[error("state directory: {0}")]
	State(std::io::Error),
	/// The agent has no signing key.
	#[error("the agent needs a signing key")]
	NoAccount,
	/// An audit answer could not be built from the local copy.
	#[error(transparent)]
	Audit(#[from] crate::audit::Error),
	/// A challenge names a piece the chain has no content for (or no longer has).
	#[error(
		"challenge {challenge}: piece {index} of {file} is not reported or not pinned any more"
	)]
	UnknownPiece {
		/// The challenge.
		challenge: u64,
		/// The file.
		file: String,
		/// The piece.
		index: u32,
	},
	/// The piece could not be read in time to answer a challenge (kubo looks for a block it
	/// does not have on the network for minutes, far past the response window).
	#[error("challenge {challenge}: piece {index} of {file} could not be read within {waited:?}")]
	AuditReadTimeout {
		/// The challenge.
		challenge: u64,
		/// The file.
		file: String,
		/// The piece.
		index: u32,
		/// How long the agent waited.
		waited: Duration,
	},
}

/// How often the agent checks whether the storage workers marked it offline (and declares
/// itself online once the chain allows it).
pub const ONLINE_CHECK_INTERVAL: Duration = Duration::from_secs(60);

/// The operator's registration parameters.
#[derive(Clone, Debug)]
pub struct Registration {
	/// Bond to hold.
	pub bond: Balance,
	/// Capacity offered, in bytes.
	pub capacity: u64,
	/// Failure-domain tag.
	pub region: String,
	/// IPFS multiaddr to announce (default: the daemon's first address).
	pub ipfs_peer: Option<String>,
}

/// Everything `cairn operator run` needs.
#[derive(Clone)]
pub struct Config {
	/// WebSocket RPC URL of a Cairn node.
	pub rpc_url: String,
	/// The operator's key.
	pub signer: Signer,
	/// IPFS RPC API URL of the operator's own daemon.
	pub ipfs_api: String,
	/// Registration parameters.
	pub registration: Registration,
	/// Where the agent keeps its state.
	pub state_dir: PathBuf,
	/// How often to claim rewards (when there are some).
	pub claim_interval: Duration,
	/// How long a piece may take to arrive by Bitswap.
	pub pin_timeout: Duration,
}

/// Run the agent until `shutdown`.
pub async fn run(config: Config, shutdown: Shutdown) -> crate::Result<()> {
	let client = tokio::select! {
		client = Client::connect_with_retry(&config.rpc_url, Duration::from_secs(300)) => client?,
		_ = shutdown.wait() => return Ok(()),
	};
	let client = client.with_signer(config.signer.clone());
	let ipfs = crate::user::ipfs_client(&config.ipfs_api)?;
	let mut agent = Agent::new(client.clone(), ipfs, &config.state_dir)?;
	agent.pin_timeout = config.pin_timeout;
	agent.ensure_registered(&config.registration).await?;
	let notices = chain::spawn_follower(client, shutdown.clone());
	agent.run(notices, config.claim_interval, &shutdown).await;
	tracing::info!("operator agent stopped");
	Ok(())
}

/// If storage workers marked this operator offline (its IPFS peer was unreachable) and the
/// chain allows it again, declare it online: it is running, so it is reachable now, and it
/// would otherwise stay offline for good once repair has moved all its pieces away (an offline
/// operator comes back by passing an audit, and one without pieces is not audited). Returns
/// whether it declared itself online.
pub async fn come_back_online<C: ChainApi>(chain: &C) -> Result<bool, Error> {
	let me = chain.account().ok_or(chain::Error::NoSigner)?;
	let Some(info) = chain.operator(&me).await? else { return Ok(false) };
	let Some(since) = info.record.offline_since else { return Ok(false) };
	tracing::info!(account = %me, since, "marked offline by the storage workers; declaring this operator online");
	match chain.declare_online().await {
		Ok(_) => {
			tracing::info!(account = %me, "back online: eligible for new pieces again");
			Ok(true)
		}
		Err(error) if error.dispatch().is_some_and(|d| d.is("Storage", "OfflineTooRecently")) => {
			tracing::info!(account = %me, "too soon after being marked offline; will try again");
			Ok(false)
		}
		Err(error) => Err(error.into()),
	}
}

/// `cairn operator claim`: claim the rewards now. Returns the amount paid (0 if nothing).
pub async fn claim_now<C: ChainApi>(chain: &C) -> Result<Balance, Error> {
	let me = chain.account().ok_or(Error::NoAccount)?;
	let claimable = chain.claimable_rewards(&me).await?;
	if claimable == 0 {
		tracing::info!(account = %me, "nothing to claim yet (rewards arrive when an era completes)");
		return Ok(0);
	}
	tracing::info!(account = %me, claimable, "claiming rewards");
	let included = chain.claim_rewards().await?;
	let paid = included
		.events
		.iter()
		.find_map(|e| match e {
			StorageEvent::RewardsClaimed { amount, .. } => Some(*amount),
			_ => None,
		})
		.unwrap_or(claimable);
	tracing::info!(account = %me, paid, "rewards claimed");
	Ok(paid)
}

/// The agent over a chain and the operator's IPFS daemon.
pub struct Agent<C, I> {
	chain: C,
	ipfs: I,
	me: AccountId,
	store: Store,
	state: State,
	/// How long a piece may take to arrive by Bitswap.
	pub pin_timeout: Duration,
	retry: BTreeMap<Vec<u8>, (Instant, Backoff)>,
}

impl<C, I> Agent<C, I>
where
	C: ChainApi + Clone + 'static,
	I: Ipfs + Clone + 'static,
{
	/// An agent keeping its state in `state_dir`.
	pub fn new(chain: C, ipfs: I, state_dir: &std::path::Path) -> Result<Self, Error> {
		let me = chain.account().ok_or(Error::NoAccount)?;
		let store = Store::open(state_dir).map_err(Error::State)?;
		let state = store.load().map_err(Error::State)?;
		tracing::info!(account = %me, held = state.pieces.len(), dir = %state_dir.display(), "operator state loaded");
		Ok(Self {
			chain,
			ipfs,
			me,
			store,
			state,
			pin_timeout: Duration::from_secs(120),
			retry: BTreeMap::new(),
		})
	}

	/// The persisted state.
	pub fn state(&self) -> &State {
		&self.state
	}

	fn save(&self) -> Result<(), Error> {
		self.store.save(&self.state).map_err(Error::State)
	}

	/// Register with `registration`, or check the existing registration.
	pub async fn ensure_registered(&self, registration: &Registration) -> Result<(), Error> {
		if let Some(info) = self.chain.operator(&self.me).await? {
			let record = &info.record;
			tracing::info!(
				account = %self.me, bond = record.bond, capacity = record.capacity, used = record.used,
				region = %String::from_utf8_lossy(&record.region), status = ?record.status,
				pieces = record.piece_count, claimable = info.claimable,
				"already registered as an operator"
			);
			if record.capacity != registration.capacity
				|| record.region != registration.region.as_bytes()
			{
				tracing::warn!(
					"the on-chain capacity/region differ from the configured ones; keeping the on-chain values"
				);
			}
			return Ok(());
		}
		let peer = match &registration.ipfs_peer {
			Some(peer) => peer.clone(),
			None => {
				let id = self.ipfs.id().await?;
				id.addresses.first().cloned().unwrap_or_else(|| format!("/p2p/{}", id.peer_id))
			}
		};
		tracing::info!(
			account = %self.me, bond = registration.bond, capacity = registration.capacity,
			region = %registration.region, %peer, "not registered yet: registering as an operator"
		);
		self.chain
			.register_operator(
				registration.bond,
				registration.capacity,
				&registration.region,
				&peer,
			)
			.await?;
		tracing::info!(account = %self.me, "registered");
		Ok(())
	}

	/// Reconcile every file the chain assigns to us or we hold a piece of.
	pub async fn reconcile_all(&mut self) -> Result<usize, Error> {
		let assigned = chain::all_operator_pieces(&self.chain, &self.me).await?;
		let mut files: BTreeSet<Vec<u8>> = assigned.into_iter().map(|p| p.cid).collect();
		files.extend(self.state.files());
		tracing::info!(files = files.len(), "full re-scan of the pieces assigned to us");
		let count = files.len();
		for file in files {
			if let Err(error) = self.reconcile_file(&file).await {
				self.schedule_retry(&file, &error);
			}
		}
		Ok(count)
	}

	fn schedule_retry(&mut self, file: &[u8], error: &Error) {
		let (due, backoff) = self.retry.entry(file.to_vec()).or_insert_with(|| {
			(Instant::now(), Backoff::new(Duration::from_secs(5), Duration::from_secs(300)))
		});
		let delay = backoff.next_delay();
		*due = Instant::now() + delay;
		tracing::warn!(file = %cid::display(file), %error, ?delay, "reconciling failed; will retry");
	}

	/// Bring our copy of `file`'s pieces in line with the chain: pin, verify and confirm the
	/// pieces assigned to us; unpin the ones that are not any more.
	pub async fn reconcile_file(&mut self, file: &[u8]) -> Result<(), Error> {
		let name = cid::display(file);
		let info = self.chain.file(file).await?;
		let mine: Vec<(u32, chain::PieceRecord)> = info
			.as_ref()
			.map(|info| info.pieces_of(&self.me).map(|(i, p)| (i, p.clone())).collect())
			.unwrap_or_default();
		let indices: BTreeSet<u32> = mine.iter().map(|(i, _)| *i).collect();
		// Pieces repair moved away from us whose new copy is not confirmed yet: we keep serving
		// them (the worker may rebuild from them, readers may fetch them) until the chain
		// releases them (`PiecesReleased` once the new operator confirms).
		let handing_over: BTreeSet<u32> = info
			.as_ref()
			.map(|info| {
				info.pieces
					.iter()
					.filter(|(_, p)| p.previous.as_ref() == Some(&self.me))
					.map(|(i, _)| *i)
					.collect()
			})
			.unwrap_or_default();

		// Released pieces first: they free space.
		for held in self.state.pieces_of(file) {
			if handing_over.contains(&held.index) {
				tracing::info!(file = %name, index = held.index, "moved to another operator by repair: still serving it until the new copy is confirmed");
				continue;
			}
			if !indices.contains(&held.index) {
				let why = if info.is_none() {
					"the pin was removed"
				} else {
					"released or moved to another operator"
				};
				self.release(file, &held, why).await?;
			}
		}

		for (index, piece) in mine {
			let key = State::key(file, index);
			let held = self.state.pieces.entry(key.clone()).or_insert_with(|| HeldPiece {
				file: hex::encode(file),
				index,
				pinned: None,
				confirmed: false,
			});
			let awaits_repair = piece.awaits_repair();
			let Some(content) = piece.content else {
				tracing::info!(file = %name, index, "assigned to us; waiting for the storage worker to report it");
				self.save()?;
				continue;
			};
			if awaits_repair {
				// Its bytes are known (the chain keeps the content recorded at placement), but
				// nobody may serve them yet, and the chain refuses a confirmation before the
				// worker's `report_repair` (`PieceNotReported`).
				tracing::info!(file = %name, index, "moved to us by repair; waiting for the storage worker to rebuild it (RepairReported)");
				self.save()?;
				continue;
			}
			let piece_cid = cid::from_bytes(&content.cid)?;
			let piece_text = piece_cid.to_string();
			if held.pinned.as_deref() != Some(piece_text.as_str()) || !piece.confirmed {
				// Pin (idempotent) and check the bytes before vouching for them.
				tracing::info!(file = %name, index, piece = %piece_text, "pinning our piece (fetched from the network if needed)");
				self.ipfs.pin_add(&piece_cid, self.pin_timeout).await?;
				if let Err(error) = self.verify(&piece_cid, &content, &name, index).await {
					tracing::error!(file = %name, index, %error, "piece does not match its on-chain root: unpinning, not confirming");
					self.ipfs.pin_rm(&piece_cid).await?;
					return Err(error);
				}
				if let Some(held) = self.state.pieces.get_mut(&key) {
					held.pinned = Some(piece_text.clone());
				}
				self.save()?;
			}
			if piece.confirmed {
				if let Some(held) = self.state.pieces.get_mut(&key) {
					held.confirmed = true;
				}
				self.save()?;
				continue;
			}
			tracing::info!(file = %name, index, "piece verified against its root: confirming");
			match self.chain.confirm_piece(file, index).await {
				Ok(_) => tracing::info!(file = %name, index, "piece confirmed"),
				Err(error)
					if error
						.dispatch()
						.is_some_and(|d| d.is("Storage", "PieceAlreadyConfirmed")) =>
				{
					tracing::info!(file = %name, index, "already confirmed")
				}
				Err(error)
					if error.dispatch().is_some_and(|d| d.is("Storage", "PieceNotReported")) =>
				{
					// Moved by repair meanwhile: confirmed after the worker's RepairReported.
					tracing::info!(file = %name, index, "the chain waits for the storage worker's report first; not confirming yet");
					continue;
				}
				Err(error) => return Err(error.into()),
			}
			if let Some(held) = self.state.pieces.get_mut(&key) {
				held.confirmed = true;
			}
			self.save()?;
		}
		Ok(())
	}

	async fn verify(
		&self,
		piece_cid: &cairn_ipfs::Cid,
		content: &chain::PieceContent,
		file: &str,
		index: u32,
	) -> Result<(), Error> {
		let bad = |reason: String| Error::BadPiece { file: file.to_string(), index, reason };
		let mut writer = RootWriter::default();
		self.ipfs.cat_to(piece_cid, &mut writer).await?;
		let (root, size) = writer.finish().map_err(|e| bad(e.to_string()))?;
		if size != content.size {
			return Err(bad(format!("{size} bytes, the chain says {}", content.size)));
		}
		if root != content.root {
			return Err(bad(format!(
				"root {} , the chain says {}",
				hex::encode(root),
				hex::encode(content.root)
			)));
		}
		Ok(())
	}

	async fn release(&mut self, file: &[u8], held: &HeldPiece, why: &str) -> Result<(), Error> {
		let key = State::key(file, held.index);
		if let Some(pinned) = &held.pinned {
			if self.state.other_holder_of(pinned, &key) {
				tracing::info!(file = %cid::display(file), index = held.index, why, "piece released; its content is still held for another piece, keeping the pin");
			} else {
				tracing::info!(file = %cid::display(file), index = held.index, piece = %pinned, why, "piece released: unpinning");
				self.ipfs.pin_rm(&cid::parse(pinned)?).await?;
			}
		}
		self.state.pieces.remove(&key);
		self.save()
	}

	/// The files one block's events ask us to look at again.
	pub fn files_touched(&self, events: &[StorageEvent]) -> BTreeSet<Vec<u8>> {
		let me = &self.me;
		let held: BTreeSet<Vec<u8>> = self.state.files().into_iter().collect();
		let mut files = BTreeSet::new();
		for event in events {
			let relevant = match event {
				StorageEvent::PiecesAssigned { operators, .. }
				| StorageEvent::PiecesReleased { operators, .. } => operators.iter().any(|(_, o)| o == me),
				StorageEvent::PieceReassigned { from, to, .. } => from == me || to == me,
				StorageEvent::ReassignmentFailed { operator, .. } => operator == me,
				StorageEvent::RepairScheduled { cid, operators, .. } => {
					operators.contains(me) || held.contains(cid)
				}
				StorageEvent::PlacementReported { cid, .. }
				| StorageEvent::RepairReported { cid, .. }
				| StorageEvent::PinRemoved { cid, .. }
				| StorageEvent::FileStateChanged { cid, .. } => held.contains(cid),
				_ => false,
			};
			if let (true, Some(cid)) = (relevant, event.cid()) {
				files.insert(cid.to_vec());
			}
		}
		files
	}

	/// Run until `shutdown`.
	pub async fn run(
		&mut self,
		notices: tokio::sync::mpsc::Receiver<Notice>,
		claim_interval: Duration,
		shutdown: &Shutdown,
	) {
		let auditor = Auditor::new(self.chain.clone(), self.ipfs.clone(), self.me);
		let mut notices = auditor.in_front_of(notices, shutdown.clone());
		let mut next_claim = Instant::now() + claim_interval;
		// Whether the storage workers marked us offline is checked at start (a restart after an
		// outage) and every ONLINE_CHECK_INTERVAL after: one read, a call only when needed.
		let mut next_online_check = Instant::now();
		loop {
			let now = Instant::now();
			let due: Vec<Vec<u8>> =
				self.retry.iter().filter(|(_, (d, _))| *d <= now).map(|(f, _)| f.clone()).collect();
			for file in due {
				match self.reconcile_file(&file).await {
					Ok(()) => {
						self.retry.remove(&file);
					}
					Err(error) => self.schedule_retry(&file, &error),
				}
			}
			let wake = self
				.retry
				.values()
				.map(|(d, _)| *d)
				.min()
				.unwrap_or(next_claim)
				.min(next_claim)
				.min(next_online_check);
			tokio::select! {
				_ = shutdown.wait() => return,
				notice = notices.recv() => match notice {
					Some(Notice::Resync) => {
						if let Err(error) = self.reconcile_all().await {
							tracing::warn!(%error, "full re-scan failed; trying again on the next retry");
						}
					}
					Some(Notice::Block(block)) => {
						for file in self.files_touched(&block.events) {
							tracing::debug!(block = block.number, file = %cid::display(&file), "events about our pieces");
							if let Err(error) = self.reconcile_file(&file).await {
								self.schedule_retry(&file, &error);
							}
						}
					}
					None => return,
				},
				_ = tokio::time::sleep_until(wake.into()) => {
					if Instant::now() >= next_claim {
						if let Err(error) = claim_now(&self.chain).await {
							tracing::warn!(%error, "scheduled reward claim failed");
						}
						next_claim = Instant::now() + claim_interval;
					}
					if Instant::now() >= next_online_check {
						if let Err(error) = come_back_online(&self.chain).await {
							tracing::warn!(%error, "cannot declare this operator online");
						}
						next_online_check = Instant::now() + ONLINE_CHECK_INTERVAL;
					}
				}
			}
		}
	}
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
	use super::*;
	use crate::testing::{account, FakeChain, FakeIpfs};
	use cairn_storage_primitives::{piece_root, LEAF_SIZE};

	fn piece(seed: u8) -> Vec<u8> {
		(0..2 * LEAF_SIZE).map(|i| (i as u8).wrapping_mul(seed)).collect()
	}

	/// A chain where `me` (account 1) holds piece 0 of a file, reported with `bytes`' root.
	fn setup(bytes: &[u8]) -> (FakeChain, FakeIpfs, Vec<u8>, Vec<u8>) {
		let chain = FakeChain::new(account(1));
		let network = FakeIpfs::default();
		let (file, piece_cid) = offer_file(&chain, &network, b"the file", bytes);
		(chain, network, file, piece_cid)
	}

	/// Pin the file named `name` with piece 0 on `me` (account 1) and piece 1 on account 2,
	/// report piece 0 as `bytes` and make them available on the network. Returns the file's and
	/// the piece's CIDs.
	fn offer_file(
		chain: &FakeChain,
		network: &FakeIpfs,
		name: &[u8],
		bytes: &[u8],
	) -> (Vec<u8>, Vec<u8>) {
		let file = FakeIpfs::cid_of(name);
		chain.pin_on(&file, 4000, 1, &[account(1), account(2)]);
		let piece_cid = FakeIpfs::cid_of(bytes);
		let root = piece_root(bytes).expect("root");
		chain.set_content(
			&file,
			0,
			chain::PieceContent { cid: piece_cid.clone(), size: bytes.len() as u64, root },
		);
		network.offer(&piece_cid, bytes);
		(file, piece_cid)
	}

	#[tokio::test]
	async fn registers_once() {
		let chain = FakeChain::new(account(1));
		let dir = tempfile::tempdir().expect("tempdir");
		let agent = Agent::new(chain.clone(), FakeIpfs::default(), dir.path()).expect("agent");
		let registration = Registration {
			bond: 100,
			capacity: 1 << 30,
			region: "eu-west".into(),
			ipfs_peer: Some("/ip4/127.0.0.1/tcp/4001".into()),
		};
		agent.ensure_registered(&registration).await.expect("registers");
		agent.ensure_registered(&registration).await.expect("checks, does not register twice");
		assert!(chain.operator(&account(1)).await.expect("read").is_some());
	}

	#[tokio::test]
	async fn pins_verifies_and_confirms_then_unpins_when_released() {
		let bytes = piece(3);
		let (chain, ipfs, file, piece_cid) = setup(&bytes);
		let dir = tempfile::tempdir().expect("tempdir");
		let mut agent = Agent::new(chain.clone(), ipfs.clone(), dir.path()).expect("agent");
		assert_eq!(agent.reconcile_all().await.expect("scan"), 1);
		assert!(ipfs.is_pinned(&piece_cid));
		assert!(chain.file_now(&file).pieces[0].1.confirmed);
		assert_eq!(chain.confirms(), 1);

		// Again: nothing new is confirmed.
		agent.reconcile_all().await.expect("scan");
		assert_eq!(chain.confirms(), 1);

		// A restart remembers the pin; the file is removed while the agent is down.
		drop(agent);
		chain.unpin(&file);
		let mut agent = Agent::new(chain.clone(), ipfs.clone(), dir.path()).expect("agent");
		assert_eq!(agent.state().pieces.len(), 1);
		agent.reconcile_all().await.expect("scan");
		assert!(!ipfs.is_pinned(&piece_cid));
		assert!(agent.state().pieces.is_empty());
	}

	#[tokio::test]
	async fn a_corrupt_piece_is_not_confirmed_and_not_kept() {
		let bytes = piece(5);
		let (chain, ipfs, file, piece_cid) = setup(&bytes);
		// The network serves other bytes under the piece's CID.
		ipfs.offer(&piece_cid, &piece(7));
		let dir = tempfile::tempdir().expect("tempdir");
		let mut agent = Agent::new(chain.clone(), ipfs.clone(), dir.path()).expect("agent");
		let error = agent.reconcile_file(&file).await.expect_err("rejected");
		assert!(matches!(error, Error::BadPiece { index: 0, .. }), "{error}");
		assert_eq!(chain.confirms(), 0);
		assert!(!ipfs.is_pinned(&piece_cid));
	}

	#[tokio::test]
	async fn a_piece_moved_away_is_unpinned_and_events_are_filtered() {
		let bytes = piece(9);
		let (chain, ipfs, file, piece_cid) = setup(&bytes);
		let dir = tempfile::tempdir().expect("tempdir");
		let mut agent = Agent::new(chain.clone(), ipfs.clone(), dir.path()).expect("agent");
		agent.reconcile_file(&file).await.expect("holds");
		let moved = StorageEvent::PieceReassigned {
			cid: file.clone(),
			index: 0,
			from: account(1),
			to: account(3),
		};
		let other = StorageEvent::PiecesAssigned { cid: vec![9], operators: vec![(0, account(4))] };
		assert_eq!(agent.files_touched(&[moved, other]), BTreeSet::from([file.clone()]));
		chain.reassign(&file, 0, account(3));
		agent.reconcile_file(&file).await.expect("releases");
		assert!(!ipfs.is_pinned(&piece_cid));
	}

	#[tokio::test]
	async fn a_piece_moved_by_repair_is_confirmed_only_after_the_workers_report() {
		// Replicas (k = 1) on operators 1 and 2; operator 2 goes away and piece 1 moves to us
		// (operator 3).
		let bytes = piece(13);
		let chain = FakeChain::new(account(2));
		let file = FakeIpfs::cid_of(b"the repaired file");
		chain.pin_on(&file, 4000, 1, &[account(1), account(2)]);
		let piece_cid = FakeIpfs::cid_of(&bytes);
		let content = chain::PieceContent {
			cid: piece_cid.clone(),
			size: bytes.len() as u64,
			root: piece_root(&bytes).expect("root"),
		};
		chain.set_content(&file, 0, content.clone());
		chain.set_content(&file, 1, content.clone());
		chain.confirm_all(&file);

		// The old holder (operator 2) holds and pins its piece.
		let old_ipfs = FakeIpfs::default();
		old_ipfs.offer(&piece_cid, &bytes);
		let old_dir = tempfile::tempdir().expect("tempdir");
		let mut old = Agent::new(chain.clone(), old_ipfs.clone(), old_dir.path()).expect("agent");
		old.reconcile_file(&file).await.expect("holds");
		assert!(old_ipfs.is_pinned(&piece_cid));

		let us = chain.as_account(account(3));
		let ipfs = FakeIpfs::default();
		ipfs.offer(&piece_cid, &bytes);
		let dir = tempfile::tempdir().expect("tempdir");
		let mut agent = Agent::new(us.clone(), ipfs.clone(), dir.path()).expect("agent");

		let scheduled = chain.schedule_repair(&file, 1, account(3));
		assert_eq!(
			agent.files_touched(std::slice::from_ref(&scheduled)),
			BTreeSet::from([file.clone()])
		);
		assert_eq!(old.files_touched(&[scheduled]), BTreeSet::from([file.clone()]));

		// The old holder keeps serving its piece until the new copy is confirmed.
		old.reconcile_file(&file).await.expect("hands over");
		assert!(old_ipfs.is_pinned(&piece_cid), "still served while the new copy is not confirmed");
		assert_eq!(old.state().pieces.len(), 1);

		// We wait: nothing pinned, nothing confirmed, until the worker reports the rebuild.
		agent.reconcile_file(&file).await.expect("waits");
		assert!(!ipfs.is_pinned(&piece_cid));
		assert_eq!(chain.confirms(), 0);
		assert_eq!(agent.state().pieces.len(), 1, "the assignment is remembered");

		let worker = chain.as_account(account(100));
		let report = chain::PieceReport {
			index: 1,
			cid: content.cid.clone(),
			size: content.size,
			root: content.root,
		};
		let included = worker.report_repair(&file, vec![report]).await.expect("reported");
		assert_eq!(agent.files_touched(&included.events), BTreeSet::from([file.clone()]));
		agent.reconcile_file(&file).await.expect("confirms");
		assert!(ipfs.is_pinned(&piece_cid));
		assert_eq!(chain.confirms(), 1);
		assert_eq!(chain.file_now(&file).record.state, chain::FileState::Stored);

		// The confirmation releases the old holder (`PiecesReleased` names it): now it unpins.
		let info = chain.file_now(&file);
		assert_eq!(info.piece(1).and_then(|p| p.previous), None);
		old.reconcile_file(&file).await.expect("releases");
		assert!(!old_ipfs.is_pinned(&piece_cid));
		assert!(old.state().pieces.is_empty());
	}

	#[tokio::test]
	async fn an_operator_marked_offline_declares_itself_online_once_allowed() {
		let chain = FakeChain::new(account(1));
		assert!(!come_back_online(&chain).await.expect("not registered: nothing to do"));
		chain.add_operator(account(1), "/ip4/127.0.0.1/tcp/4001");
		assert!(!come_back_online(&chain).await.expect("online: nothing to do"));
		chain.update_operator(&account(1), |r| r.offline_since = Some(0));
		assert!(!come_back_online(&chain).await.expect("too soon is not an error"));
		for _ in 0..crate::testing::OFFLINE_REPORT_WINDOW {
			chain.advance_block();
		}
		assert!(come_back_online(&chain).await.expect("declares"));
		let info = chain.operator(&account(1)).await.expect("read").expect("registered");
		assert_eq!(info.record.offline_since, None);
	}

	#[tokio::test]
	async fn challenges_to_us_are_answered_with_a_proof_that_verifies() {
		let bytes = piece(11);
		let (chain, ipfs, file, _) = setup(&bytes);
		let dir = tempfile::tempdir().expect("tempdir");
		let mut agent = Agent::new(chain.clone(), ipfs.clone(), dir.path()).expect("agent");
		agent.reconcile_file(&file).await.expect("holds");
		let challenge = |id, operator| StorageEvent::ChallengeIssued {
			challenge: id,
			cid: file.clone(),
			index: 0,
			operator,
			leaf_index: 1,
			deadline: 50,
			attempt: 0,
		};
		let mut auditor = Auditor::new(chain.clone(), ipfs.clone(), account(1));
		auditor.on_events(&[challenge(5, account(1)), challenge(6, account(2))]);
		auditor.finish().await;
		let proofs = chain.proofs();
		assert_eq!(proofs.len(), 1, "only the challenge addressed to us is answered");
		let (id, leaf, proof) = &proofs[0];
		assert_eq!(*id, 5);
		let root = piece_root(&bytes).expect("root");
		cairn_storage_primitives::verify(&root, 2, 1, leaf, proof).expect("verifies");
	}

	#[tokio::test]
	async fn a_piece_that_cannot_be_read_holds_up_no_other_answer() {
		let bytes = piece(11);
		let (chain, ipfs, file, piece_cid) = setup(&bytes);
		// A second file whose piece 0 is ours too.
		let (other, _) = offer_file(&chain, &ipfs, b"another file", &piece(13));
		let dir = tempfile::tempdir().expect("tempdir");
		let mut agent = Agent::new(chain.clone(), ipfs.clone(), dir.path()).expect("agent");
		agent.reconcile_file(&file).await.expect("holds");
		agent.reconcile_file(&other).await.expect("holds");
		// Reading the first file's piece never ends; its challenge comes first.
		ipfs.set_stalled(&piece_cid);
		let challenge = |id, cid: &Vec<u8>| StorageEvent::ChallengeIssued {
			challenge: id,
			cid: cid.clone(),
			index: 0,
			operator: account(1),
			leaf_index: 0,
			deadline: 50,
			attempt: 0,
		};
		let mut auditor = Auditor::new(chain.clone(), ipfs.clone(), account(1));
		auditor.timeout = Duration::from_secs(2);
		auditor.on_events(&[challenge(5, &file), challenge(6, &other)]);
		// The first answer to finish is the readable piece's, while the stalled read goes on.
		auditor.tasks.join_next().await.expect("a task").expect("no panic");
		let proofs: Vec<u64> = chain.proofs().iter().map(|(id, _, _)| *id).collect();
		assert_eq!(proofs, vec![6]);
		assert_eq!(auditor.tasks.len(), 1, "the stalled answer is still waiting");
		// The stalled one is given up after the timeout, with nothing submitted.
		let start = std::time::Instant::now();
		auditor.finish().await;
		assert!(start.elapsed() < Duration::from_secs(30));
		assert_eq!(chain.proofs().len(), 1);
		let error = answer_challenge(
			&chain,
			&ipfs,
			&crate::audit::Challenge {
				id: 5,
				cid: file.clone(),
				piece_index: 0,
				leaf_index: 0,
				deadline: 50,
			},
			Duration::from_secs(1),
		)
		.await
		.expect_err("gives up");
		assert!(matches!(error, Error::AuditReadTimeout { challenge: 5, index: 0, .. }), "{error}");
	}

	#[tokio::test]
	async fn challenges_are_answered_before_the_main_loop_reads_their_block() {
		let bytes = piece(11);
		let (chain, ipfs, file, _) = setup(&bytes);
		let dir = tempfile::tempdir().expect("tempdir");
		let mut agent = Agent::new(chain.clone(), ipfs.clone(), dir.path()).expect("agent");
		agent.reconcile_file(&file).await.expect("holds");
		let (sender, notices) = tokio::sync::mpsc::channel(8);
		let shutdown = Shutdown::new();
		let auditor = Auditor::new(chain.clone(), ipfs.clone(), account(1));
		let mut passed_on = auditor.in_front_of(notices, shutdown.clone());
		let block = chain::BlockEvents {
			number: 7,
			hash: "0x07".into(),
			events: vec![StorageEvent::ChallengeIssued {
				challenge: 9,
				cid: file.clone(),
				index: 0,
				operator: account(1),
				leaf_index: 1,
				deadline: 17,
				attempt: 0,
			}],
		};
		sender.send(Notice::Resync).await.expect("open");
		sender.send(Notice::Block(block.clone())).await.expect("open");
		// Nobody reads `passed_on` (the main loop is busy): the answer goes out anyway.
		let waited = tokio::time::timeout(Duration::from_secs(30), async {
			while chain.proofs().is_empty() {
				tokio::time::sleep(Duration::from_millis(10)).await;
			}
		})
		.await;
		assert!(waited.is_ok(), "the challenge was not answered");
		assert_eq!(chain.proofs()[0].0, 9);
		// Every notice reaches the main loop, in order.
		assert_eq!(passed_on.recv().await, Some(Notice::Resync));
		assert_eq!(passed_on.recv().await, Some(Notice::Block(block)));
		shutdown.trigger();
	}

	#[tokio::test]
	async fn claims_only_when_there_is_something() {
		let chain = FakeChain::new(account(1));
		assert_eq!(claim_now(&chain).await.expect("nothing"), 0);
		chain.set_claimable(42);
		assert_eq!(claim_now(&chain).await.expect("claims"), 42);
		assert_eq!(chain.claimed(), 42);
	}
}
