//! The storage worker: turns pinned files into reported pieces, rebuilds the pieces repair
//! moves, and probes the operators.
//!
//! - **Placement** ([`place_file`]): for every file with pieces assigned but not reported
//!   (learnt from `PiecesAssigned` events, and on start and after any lost subscription from
//!   the `files_awaiting_placement` view function), the worker fetches the file from IPFS,
//!   checks its size against the one declared on-chain, stream-encodes it with `cairn-erasure`
//!   (bounded memory, scratch files on disk), adds every piece to IPFS, connects to the pieces'
//!   operators and calls `report_placement(cid, pieces)` with each piece's CID, size and
//!   Merkle root.
//! - **Repair** ([`repair_file`]): for every file with pieces moved to replacement operators
//!   and not rebuilt yet (`RepairScheduled` events, a re-assigned repair piece, and the
//!   `files_awaiting_repair` view function on start and every re-scan), the worker fetches any
//!   `k` pieces that match their on-chain roots, rebuilds the moved ones, checks them against
//!   their recorded roots and CIDs, adds them to IPFS, connects to the new operators and calls
//!   `report_repair(cid, pieces)`. Repairs go before placements.
//! - **Health probes** ([`Prober`]): every `probe_interval`, the worker's daemon dials every
//!   operator's IPFS peer and the unreachable ones are reported (`report_operator_offline`).
//!
//! It keeps no state of its own: the chain is the record of what is reported, read again right
//! before every report, so a restart resumes where it stopped and no piece is reported twice.
//! Failures are retried with exponential backoff; a file whose content does not match its
//! declared size is left alone (and logged) until the next full re-scan.
//!
//! `cairn-node --storage-worker` runs [`run`]; `cairn worker run` runs the same.

mod place;
mod probe;
mod repair;

pub use place::{place_file, release_file, report_failure, Outcome};
pub use probe::{ProbeOptions, ProbeRound, Prober};
pub use repair::{repair_file, RepairOptions};

use place::Scratch;

use crate::{
	chain::{self, ChainApi, Client, Notice, Signer, StorageEvent},
	retry::Backoff,
	Shutdown,
};
use cairn_ipfs::Ipfs;
use std::{
	collections::BTreeMap,
	path::PathBuf,
	time::{Duration, Instant},
};

/// Why placing a file failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
	/// The chain could not be read or rejected the report.
	#[error(transparent)]
	Chain(#[from] chain::Error),
	/// IPFS failed.
	#[error(transparent)]
	Ipfs(#[from] cairn_ipfs::Error),
	/// Encoding failed.
	#[error("encoding: {0}")]
	Erasure(#[from] cairn_erasure::Error),
	/// The file's tier has an impossible shape.
	#[error("layout: {0}")]
	Layout(#[from] cairn_erasure::LayoutError),
	/// A CID from the chain does not parse.
	#[error(transparent)]
	Cid(#[from] crate::cid::CidError),
	/// No IPFS peer provided the file's content in time.
	#[error("{cid}: content unavailable ({reason})")]
	ContentUnavailable {
		/// The file.
		cid: String,
		/// What happened.
		reason: String,
	},
	/// The file in IPFS does not have the size declared on-chain.
	#[error("{cid}: IPFS has {fetched} bytes, the pin declares {declared}")]
	SizeMismatch {
		/// The file.
		cid: String,
		/// Size declared in `request_pin`.
		declared: u64,
		/// Size found in IPFS.
		fetched: u64,
	},
	/// Scratch files could not be written or read.
	#[error("{context}: {source}")]
	Io {
		/// What was being done.
		context: String,
		/// The error.
		source: std::io::Error,
	},
	/// The encoder task died.
	#[error("encoder task: {0}")]
	Task(String),
	/// The chain's data contradicts itself.
	#[error("inconsistent chain data: {0}")]
	Inconsistent(String),
	/// Fewer than `k` pieces of a file to repair could be fetched intact.
	#[error("{cid}: only {good} of the {needed} pieces a rebuild needs could be fetched intact (corrupt {corrupt:?}, unavailable {unavailable:?})")]
	NotEnoughPieces {
		/// The file.
		cid: String,
		/// Intact pieces fetched.
		good: usize,
		/// `k`.
		needed: usize,
		/// Pieces that did not match their on-chain roots.
		corrupt: Vec<u32>,
		/// Pieces that could not be fetched.
		unavailable: Vec<u32>,
	},
	/// A rebuilt piece is not the piece the chain recorded: never reported.
	#[error("{cid}: rebuilt piece {index} does not match the chain: {reason}")]
	RepairMismatch {
		/// The file.
		cid: String,
		/// The piece.
		index: u32,
		/// What differs.
		reason: String,
	},
}

impl Error {
	/// Whether retrying cannot help until something changes on-chain or in IPFS content.
	fn is_permanent(&self) -> bool {
		match self {
			Self::SizeMismatch { .. }
			| Self::Layout(_)
			| Self::Cid(_)
			| Self::Inconsistent(_)
			| Self::RepairMismatch { .. } => true,
			Self::Chain(error) => error.dispatch().is_some(),
			_ => false,
		}
	}
}

/// What the worker needs: a node, a signing key the chain lists as a storage worker, and an
/// IPFS daemon.
#[derive(Clone)]
pub struct Config {
	/// WebSocket RPC URL of a Cairn node.
	pub rpc_url: String,
	/// The storage worker's key.
	pub signer: Signer,
	/// IPFS RPC API URL (`http://127.0.0.1:5001`).
	pub ipfs_api: String,
	/// Where scratch files go while a file is encoded (default: the system temp dir).
	pub work_dir: Option<PathBuf>,
	/// How often to re-scan `files_awaiting_placement` even without events.
	pub rescan_interval: Duration,
	/// How long a file's content may stay unavailable before the pin is reported as failed
	/// (and refunded).
	pub give_up_after: Duration,
	/// How often to probe every operator's IPFS peer (`Duration::ZERO`: never).
	pub probe_interval: Duration,
	/// How probes are made.
	pub probe: ProbeOptions,
	/// How repairs fetch pieces.
	pub repair: RepairOptions,
}

impl Config {
	/// The defaults for everything but the three required settings.
	pub fn new(rpc_url: impl Into<String>, signer: Signer, ipfs_api: impl Into<String>) -> Self {
		Self {
			rpc_url: rpc_url.into(),
			signer,
			ipfs_api: ipfs_api.into(),
			work_dir: None,
			rescan_interval: Duration::from_secs(120),
			give_up_after: Duration::from_secs(3600),
			probe_interval: Duration::from_secs(60),
			probe: ProbeOptions::default(),
			repair: RepairOptions::default(),
		}
	}
}

/// Run the storage worker until `shutdown`.
pub async fn run(config: Config, shutdown: Shutdown) -> crate::Result<()> {
	let client = tokio::select! {
		client = Client::connect_with_retry(&config.rpc_url, Duration::from_secs(300)) => client?,
		_ = shutdown.wait() => return Ok(()),
	};
	let client = client.with_signer(config.signer.clone());
	let me = client.account().ok_or(chain::Error::NoSigner)?;
	if !client.storage_workers().await?.contains(&me) {
		tracing::warn!(
			account = %me,
			"this account is not a storage worker on-chain: reports will fail until the admin adds it"
		);
	}
	let ipfs = crate::user::ipfs_client(&config.ipfs_api)?;
	let work_dir = config.work_dir.clone().unwrap_or_else(|| {
		std::env::temp_dir().join(format!("cairn-worker-{}", std::process::id()))
	});
	tracing::info!(account = %me, node = %config.rpc_url, ipfs = %config.ipfs_api, work_dir = %work_dir.display(), "storage worker started");
	let prober = if config.probe_interval.is_zero() {
		tracing::info!("operator health probes are off");
		None
	} else {
		let prober = Prober::new(client.clone(), ipfs.clone(), config.probe.clone());
		Some(tokio::spawn(prober.run(config.probe_interval, shutdown.clone())))
	};
	let notices = chain::spawn_follower(client.clone(), shutdown.clone());
	let mut worker = Worker::new(client, ipfs, work_dir.clone());
	worker.give_up_after = config.give_up_after;
	worker.repair = config.repair.clone();
	let result = worker.run(notices, config.rescan_interval, &shutdown).await;
	if let Some(prober) = prober {
		// Stopped by `shutdown`, or the worker ended on its own: then the probes end too.
		if !shutdown.is_triggered() {
			prober.abort();
		}
		if let Err(error) = prober.await {
			if !error.is_cancelled() {
				tracing::warn!(%error, "the probe task failed");
			}
		}
	}
	let _ = std::fs::remove_dir_all(&work_dir);
	tracing::info!("storage worker stopped");
	result
}

/// What the worker does for a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Job {
	/// Rebuild the pieces repair moved (first: the file is at risk).
	Repair,
	/// Encode and report the pieces not placed yet.
	Place,
}

impl Job {
	fn name(self) -> &'static str {
		match self {
			Self::Repair => "repair",
			Self::Place => "placement",
		}
	}
}

/// A file waiting for another attempt.
struct Pending {
	due: Instant,
	backoff: Backoff,
	/// When its content was first found unavailable.
	unavailable_since: Option<Instant>,
}

/// The worker's loop over a chain and an IPFS daemon.
pub struct Worker<C, I> {
	chain: C,
	ipfs: I,
	work_dir: PathBuf,
	pending: BTreeMap<(Job, Vec<u8>), Pending>,
	/// How long content may stay unavailable before the pin is reported as failed.
	pub give_up_after: Duration,
	/// How repairs fetch pieces.
	pub repair: RepairOptions,
}

impl<C: ChainApi, I: Ipfs> Worker<C, I> {
	/// A worker with nothing pending.
	pub fn new(chain: C, ipfs: I, work_dir: PathBuf) -> Self {
		Self {
			chain,
			ipfs,
			work_dir,
			pending: BTreeMap::new(),
			give_up_after: Duration::from_secs(3600),
			repair: RepairOptions::default(),
		}
	}

	/// Files waiting for an attempt (placements and repairs).
	pub fn pending(&self) -> usize {
		self.pending.len()
	}

	/// Whether `job` is queued for `cid`.
	pub fn is_queued(&self, job: Job, cid: &[u8]) -> bool {
		self.pending.contains_key(&(job, cid.to_vec()))
	}

	/// Queue `cid` for placement now (keeps its backoff if already queued).
	pub fn queue(&mut self, cid: Vec<u8>, why: &str) {
		self.queue_job(Job::Place, cid, why);
	}

	/// Queue `cid` for repair now (keeps its backoff if already queued).
	pub fn queue_repair(&mut self, cid: Vec<u8>, why: &str) {
		self.queue_job(Job::Repair, cid, why);
	}

	fn queue_job(&mut self, job: Job, cid: Vec<u8>, why: &str) {
		let now = Instant::now();
		let name = crate::cid::display(&cid);
		let entry = self.pending.entry((job, cid)).or_insert_with(|| Pending {
			due: now,
			backoff: Backoff::new(Duration::from_secs(2), Duration::from_secs(300)),
			unavailable_since: None,
		});
		entry.due = entry.due.min(now);
		tracing::debug!(cid = %name, why, job = job.name(), "queued");
	}

	/// Queue every file the chain lists as awaiting placement or repair.
	pub async fn rescan(&mut self) -> Result<usize, Error> {
		let repairs = chain::all_files_awaiting_repair(&self.chain).await?;
		let placements = chain::all_files_awaiting_placement(&self.chain).await?;
		tracing::info!(
			placements = placements.len(),
			repairs = repairs.len(),
			"re-scanned the files awaiting placement and repair"
		);
		let count = placements.len() + repairs.len();
		for cid in repairs {
			self.queue_repair(cid, "awaiting repair on-chain");
		}
		for cid in placements {
			self.queue(cid, "awaiting placement on-chain");
		}
		Ok(count)
	}

	/// Handle one finalized block's events.
	pub async fn on_events(&mut self, events: &[StorageEvent]) {
		for event in events {
			match event {
				StorageEvent::PiecesAssigned { cid, .. } => {
					self.queue(cid.clone(), "PiecesAssigned")
				}
				StorageEvent::RepairScheduled { cid, indices, operators } => {
					tracing::info!(
						cid = %crate::cid::display(cid), pieces = ?indices, operators = ?operators.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
						"the chain moved pieces to replacement operators: queued for repair"
					);
					self.queue_repair(cid.clone(), "RepairScheduled")
				}
				// A repaired piece its new operator did not confirm in time moves again and
				// must be provided again (the worker usually still holds it).
				StorageEvent::PieceReassigned { cid, .. } => {
					self.queue_repair(cid.clone(), "PieceReassigned")
				}
				StorageEvent::FileStateChanged { cid, to: chain::FileState::Stored, .. } => {
					if let Err(error) = release_file(&self.chain, &self.ipfs, cid).await {
						tracing::warn!(cid = %crate::cid::display(cid), %error, "cannot unpin the worker's copies of a stored file");
					}
				}
				_ => {}
			}
		}
	}

	/// Attempt every file that is due (repairs first); returns how many were attempted.
	pub async fn process_due(&mut self, shutdown: &Shutdown) -> usize {
		let now = Instant::now();
		let due: Vec<(Job, Vec<u8>)> =
			self.pending.iter().filter(|(_, p)| p.due <= now).map(|(k, _)| k.clone()).collect();
		let mut attempted = 0;
		for (job, cid) in due {
			if shutdown.is_triggered() {
				break;
			}
			attempted += 1;
			match job {
				Job::Repair => self.attempt_repair(&cid).await,
				Job::Place => self.attempt_placement(&cid).await,
			}
		}
		attempted
	}

	async fn attempt_repair(&mut self, cid: &[u8]) {
		let name = crate::cid::display(cid);
		let key = (Job::Repair, cid.to_vec());
		match repair_file(&self.chain, &self.ipfs, &self.work_dir, cid, &self.repair).await {
			Ok(outcome) => {
				tracing::debug!(cid = %name, ?outcome, "repair attempt done");
				self.pending.remove(&key);
			}
			Err(error) if error.is_permanent() => {
				tracing::error!(cid = %name, %error, "cannot repair this file; leaving it until the next re-scan");
				self.pending.remove(&key);
			}
			Err(error) => self.retry_later(&key, &error),
		}
	}

	async fn attempt_placement(&mut self, cid: &[u8]) {
		let name = crate::cid::display(cid);
		let key = (Job::Place, cid.to_vec());
		match place_file(&self.chain, &self.ipfs, &self.work_dir, cid).await {
			Ok(outcome) => {
				tracing::debug!(cid = %name, ?outcome, "placement attempt done");
				self.pending.remove(&key);
			}
			Err(error) if error.is_permanent() => {
				tracing::error!(cid = %name, %error, "cannot place this file; leaving it until the next re-scan");
				self.pending.remove(&key);
			}
			Err(error @ Error::ContentUnavailable { .. })
				if self
					.pending
					.get(&key)
					.and_then(|p| p.unavailable_since)
					.is_some_and(|since| since.elapsed() >= self.give_up_after) =>
			{
				tracing::warn!(cid = %name, %error, give_up_after = ?self.give_up_after, "content unavailable for too long");
				match report_failure(&self.chain, cid, chain::PinFailure::ContentUnavailable).await
				{
					Ok(_) => {
						self.pending.remove(&key);
					}
					Err(error) => self.retry_later(&key, &error),
				}
			}
			Err(error) => {
				if matches!(error, Error::ContentUnavailable { .. }) {
					if let Some(pending) = self.pending.get_mut(&key) {
						pending.unavailable_since.get_or_insert_with(Instant::now);
					}
				}
				self.retry_later(&key, &error);
			}
		}
	}

	fn retry_later(&mut self, key: &(Job, Vec<u8>), error: &Error) {
		if let Some(pending) = self.pending.get_mut(key) {
			let delay = pending.backoff.next_delay();
			pending.due = Instant::now() + delay;
			tracing::warn!(
				cid = %crate::cid::display(&key.1), job = key.0.name(), %error,
				attempt = pending.backoff.attempts(), ?delay, "attempt failed; will retry"
			);
		}
	}

	/// Run until `shutdown`, driven by `notices`, re-scanning every `rescan_interval`.
	pub async fn run(
		&mut self,
		mut notices: tokio::sync::mpsc::Receiver<Notice>,
		rescan_interval: Duration,
		shutdown: &Shutdown,
	) -> crate::Result<()> {
		let mut next_rescan = Instant::now() + rescan_interval;
		loop {
			self.process_due(shutdown).await;
			let next_due = self.pending.values().map(|p| p.due).min().unwrap_or(next_rescan);
			let wake = next_due.min(next_rescan);
			tokio::select! {
				_ = shutdown.wait() => return Ok(()),
				notice = notices.recv() => match notice {
					Some(Notice::Resync) => {
						if let Err(error) = self.rescan().await {
							tracing::warn!(%error, "re-scan failed; trying again later");
						}
						next_rescan = Instant::now() + rescan_interval;
					}
					Some(Notice::Block(block)) => self.on_events(&block.events).await,
					None => return Ok(()),
				},
				_ = tokio::time::sleep_until(wake.into()) => {
					if Instant::now() >= next_rescan {
						if let Err(error) = self.rescan().await {
							tracing::warn!(%error, "periodic re-scan failed");
						}
						next_rescan = Instant::now() + rescan_interval;
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

	fn bytes(len: usize) -> Vec<u8> {
		(0..len).map(|i| (i * 7 % 256) as u8).collect()
	}

	#[tokio::test]
	async fn places_every_piece_with_the_roots_of_the_pieces_it_added() {
		let ipfs = FakeIpfs::default();
		let data = bytes(5 * LEAF_SIZE + 17);
		let file_cid = ipfs.put(&data);
		let chain = FakeChain::worker();
		chain.pin(&file_cid, data.len() as u64, 2, 4);
		let dir = tempfile::tempdir().expect("tempdir");

		let outcome = place_file(&chain, &ipfs, dir.path(), &file_cid).await.expect("places");
		assert_eq!(outcome, Outcome::Reported(vec![0, 1, 2, 3]));

		let info = chain.file_now(&file_cid);
		for (index, piece) in &info.pieces {
			let content = piece.content.as_ref().expect("reported");
			let bytes = ipfs.get(&content.cid).expect("piece added to IPFS");
			assert_eq!(bytes.len() as u64, content.size, "piece {index}");
			assert_eq!(piece_root(&bytes).expect("root"), content.root, "piece {index}");
		}
		// The pieces decode back to the file.
		let layout = crate::layout::PieceLayout::new(2, 4, crate::layout::DEFAULT_SHARD_SIZE)
			.expect("layout");
		let parity: Vec<(usize, Vec<u8>)> = [2usize, 3]
			.iter()
			.map(|&i| {
				let cid = &info.piece(i as u32).and_then(|p| p.content.clone()).expect("c").cid;
				(i, ipfs.get(cid).expect("piece"))
			})
			.collect();
		let pieces: Vec<(usize, &[u8])> = parity.iter().map(|(i, b)| (*i, &b[..])).collect();
		let decoded = layout
			.coder()
			.expect("coder")
			.decode_bytes(data.len() as u64, &pieces, None)
			.expect("decodes");
		assert_eq!(decoded, data);
		// Scratch files are gone.
		assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);

		// A second attempt finds nothing to do and reports nothing twice.
		let again = place_file(&chain, &ipfs, dir.path(), &file_cid).await.expect("no-op");
		assert_eq!(again, Outcome::NothingToDo("every piece is already reported"));
		assert_eq!(chain.reports(), 1);
	}

	#[tokio::test]
	async fn a_size_mismatch_is_reported_as_a_failed_pin_and_nothing_placed() {
		let ipfs = FakeIpfs::default();
		let data = bytes(1000);
		let file_cid = ipfs.put(&data);
		let chain = FakeChain::worker();
		chain.pin(&file_cid, 999, 1, 3);
		let dir = tempfile::tempdir().expect("tempdir");
		let outcome = place_file(&chain, &ipfs, dir.path(), &file_cid).await.expect("refused");
		let reason = chain::PinFailure::SizeMismatch { actual: 1000 };
		assert_eq!(outcome, Outcome::Failed(reason));
		assert_eq!(chain.failed(), vec![(file_cid.clone(), reason)]);
		assert_eq!(chain.reports(), 0);
	}

	#[tokio::test]
	async fn tiers_without_redundancy_store_the_data_pieces_only() {
		let ipfs = FakeIpfs::default();
		let data = bytes(3000);
		let file_cid = ipfs.put(&data);
		let chain = FakeChain::worker();
		chain.pin(&file_cid, data.len() as u64, 1, 1);
		let dir = tempfile::tempdir().expect("tempdir");
		let outcome = place_file(&chain, &ipfs, dir.path(), &file_cid).await.expect("places");
		assert_eq!(outcome, Outcome::Reported(vec![0]));
		let content = chain.file_now(&file_cid).pieces[0].1.content.clone().expect("reported");
		let piece = ipfs.get(&content.cid).expect("added");
		assert_eq!(&piece[..data.len()], &data[..]);
		assert!(piece[data.len()..].iter().all(|b| *b == 0));
	}

	#[tokio::test]
	async fn content_unavailable_for_too_long_fails_the_pin() {
		let ipfs = FakeIpfs::default();
		let file_cid = FakeIpfs::cid_of(b"nobody has this");
		let chain = FakeChain::worker();
		chain.pin(&file_cid, 15, 1, 2);
		let dir = tempfile::tempdir().expect("tempdir");
		let mut worker = Worker::new(chain.clone(), ipfs, dir.path().to_path_buf());
		worker.give_up_after = Duration::ZERO;
		let shutdown = Shutdown::new();
		worker.queue(file_cid.clone(), "test");
		// First miss: remembered, retried later.
		assert_eq!(worker.process_due(&shutdown).await, 1);
		assert_eq!(worker.pending(), 1);
		assert!(chain.failed().is_empty());
		// Still missing past `give_up_after`: the pin is failed on-chain.
		worker.queue(file_cid.clone(), "test");
		assert_eq!(worker.process_due(&shutdown).await, 1);
		assert_eq!(chain.failed(), vec![(file_cid, chain::PinFailure::ContentUnavailable)]);
		assert_eq!(worker.pending(), 0);
	}

	#[tokio::test]
	async fn the_loop_retries_a_missing_file_and_places_it_once_it_appears() {
		let ipfs = FakeIpfs::default();
		let data = bytes(4096);
		let file_cid = FakeIpfs::cid_of(&data);
		let chain = FakeChain::worker();
		chain.pin(&file_cid, data.len() as u64, 1, 2);
		let dir = tempfile::tempdir().expect("tempdir");
		let mut worker = Worker::new(chain.clone(), ipfs.clone(), dir.path().to_path_buf());
		assert_eq!(worker.rescan().await.expect("scan"), 1);
		let shutdown = Shutdown::new();
		// Not in IPFS yet: the attempt fails and stays pending.
		assert_eq!(worker.process_due(&shutdown).await, 1);
		assert_eq!(worker.pending(), 1);
		assert_eq!(chain.reports(), 0);
		// Appears in IPFS; an event queues it again at once.
		ipfs.put(&data);
		worker
			.on_events(&[StorageEvent::PiecesAssigned { cid: file_cid.clone(), operators: vec![] }])
			.await;
		assert_eq!(worker.process_due(&shutdown).await, 1);
		assert_eq!(worker.pending(), 0);
		assert_eq!(chain.reports(), 1);
	}

	#[tokio::test]
	async fn repairs_are_queued_by_events_and_rescans_and_reported() {
		let ipfs = FakeIpfs::default();
		let data = bytes(3 * LEAF_SIZE);
		let file = ipfs.put(&data);
		let chain = FakeChain::worker();
		for i in 1..=6u8 {
			chain.add_operator(account(i), &format!("/peer/{i}"));
		}
		chain.pin(&file, data.len() as u64, 2, 4);
		let dir = tempfile::tempdir().expect("tempdir");
		place_file(&chain, &ipfs, dir.path(), &file).await.expect("placed");
		chain.confirm_all(&file);
		// Another pin waits for placement.
		let other_data = bytes(100);
		let other = ipfs.put(&other_data);
		chain.pin(&other, other_data.len() as u64, 1, 2);
		chain.schedule_repair(&file, 2, account(5));

		let mut worker = Worker::new(chain.clone(), ipfs.clone(), dir.path().to_path_buf());
		assert_eq!(worker.rescan().await.expect("scan"), 2);
		assert!(worker.is_queued(Job::Repair, &file));
		assert!(worker.is_queued(Job::Place, &other));
		let shutdown = Shutdown::new();
		assert_eq!(worker.process_due(&shutdown).await, 2);
		assert_eq!(worker.pending(), 0);
		assert_eq!(chain.repair_reports(), vec![(file.clone(), vec![2])]);
		assert_eq!(chain.reports(), 2, "the first placement and the other file's");

		// A RepairScheduled event queues the file at once.
		let event = chain.schedule_repair(&file, 3, account(6));
		worker.on_events(&[event]).await;
		assert!(worker.is_queued(Job::Repair, &file));
		assert_eq!(worker.process_due(&shutdown).await, 1);
		assert_eq!(chain.repair_reports().len(), 2);
		assert_eq!(chain.repair_reports()[1].1, vec![3]);
	}
}
