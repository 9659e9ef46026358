//! In-memory fakes of the chain and of IPFS, for unit tests only.

#![allow(clippy::expect_used)]

use crate::chain::{
	self, AccountId, Balance, ChainApi, FileInfo, FileRecord, FileState, Included, OperatorInfo,
	OperatorRecord, OperatorStatus, PieceContent, PieceIndex, PieceRecord, PieceRef, PieceReport,
	PinTier, RepairQueueEntry, StorageEvent,
};
use cairn_ipfs::{Added, Cid, Ipfs, PeerInfo};
use sha2::Digest;
use std::{
	collections::{BTreeMap, BTreeSet},
	sync::{Arc, Mutex},
	time::Duration,
};

/// A fake IPFS daemon: raw-codec sha2-256 CIDs over an in-memory block store.
#[derive(Clone, Default)]
pub struct FakeIpfs {
	inner: Arc<Mutex<FakeIpfsState>>,
}

#[derive(Default)]
struct FakeIpfsState {
	blocks: BTreeMap<Vec<u8>, Vec<u8>>,
	pins: BTreeSet<Vec<u8>>,
	/// Content other daemons have (what `pin_add` and `cat` may fetch).
	network: BTreeMap<Vec<u8>, Vec<u8>>,
	/// Peer addresses `swarm_connect` cannot reach.
	unreachable: BTreeSet<String>,
	/// Peer addresses `swarm_connect` never gets an answer from.
	hanging: BTreeSet<String>,
	/// Every address `swarm_connect` was asked for, in order.
	connects: Vec<String>,
	/// CIDs whose reads never end (kubo searching the network for a block nobody has).
	stalled: BTreeSet<Vec<u8>>,
}

impl FakeIpfs {
	/// The CID this fake gives `data`.
	pub fn cid_of(data: &[u8]) -> Vec<u8> {
		let digest: [u8; 32] = sha2::Sha256::digest(data).into();
		let hash = ::cid::multihash::Multihash::<64>::wrap(0x12, &digest).expect("32 bytes fit");
		Cid::new_v1(crate::cid::RAW, hash).to_bytes()
	}

	/// Store `data` locally (unpinned); returns its CID bytes.
	pub fn put(&self, data: &[u8]) -> Vec<u8> {
		let cid = Self::cid_of(data);
		self.inner.lock().expect("lock").blocks.insert(cid.clone(), data.to_vec());
		cid
	}

	/// Store `data` locally under `cid` (possibly the wrong content, to test verification).
	pub fn put_as(&self, cid: &[u8], data: &[u8]) {
		self.inner.lock().expect("lock").blocks.insert(cid.to_vec(), data.to_vec());
	}

	/// Make `data` available from "the network" under the CID of `as_cid` (possibly wrong
	/// content, to test verification).
	pub fn offer(&self, as_cid: &[u8], data: &[u8]) {
		self.inner.lock().expect("lock").network.insert(as_cid.to_vec(), data.to_vec());
	}

	/// Make `swarm_connect(addr)` fail (`reachable == false`) or succeed again.
	pub fn set_reachable(&self, addr: &str, reachable: bool) {
		let mut state = self.inner.lock().expect("lock");
		if reachable {
			state.unreachable.remove(addr);
		} else {
			state.unreachable.insert(addr.to_string());
		}
	}

	/// Make `swarm_connect(addr)` never answer.
	pub fn set_hanging(&self, addr: &str) {
		self.inner.lock().expect("lock").hanging.insert(addr.to_string());
	}

	/// Make reads of `cid` never end, as kubo's do for a block nobody has.
	pub fn set_stalled(&self, cid: &[u8]) {
		self.inner.lock().expect("lock").stalled.insert(cid.to_vec());
	}

	/// Every address `swarm_connect` was asked for, in order.
	pub fn connects(&self) -> Vec<String> {
		self.inner.lock().expect("lock").connects.clone()
	}

	/// Forget the local copy of `cid` (unpinned and garbage-collected).
	pub fn remove(&self, cid: &[u8]) {
		let mut state = self.inner.lock().expect("lock");
		state.blocks.remove(cid);
		state.pins.remove(cid);
	}

	/// The local bytes of `cid`.
	pub fn get(&self, cid: &[u8]) -> Option<Vec<u8>> {
		self.inner.lock().expect("lock").blocks.get(cid).cloned()
	}

	/// Whether `cid` is pinned.
	pub fn is_pinned(&self, cid: &[u8]) -> bool {
		self.inner.lock().expect("lock").pins.contains(cid)
	}

	/// The bytes of `cid`: local, else from "the network" (as Bitswap would fetch them).
	async fn local(&self, cid: &Cid) -> cairn_ipfs::Result<Vec<u8>> {
		let key = cid.to_bytes();
		if self.inner.lock().expect("lock").stalled.contains(&key) {
			futures::future::pending::<()>().await;
		}
		let state = self.inner.lock().expect("lock");
		state
			.blocks
			.get(&key)
			.or_else(|| state.network.get(&key))
			.cloned()
			.ok_or(cairn_ipfs::Error::Timeout(Duration::from_millis(1)))
	}
}

impl Ipfs for FakeIpfs {
	async fn add<R>(&self, mut data: R) -> cairn_ipfs::Result<Added>
	where
		R: std::io::Read + Send + Sync + Unpin + 'static,
	{
		let mut bytes = Vec::new();
		data.read_to_end(&mut bytes)?;
		let cid = self.put(&bytes);
		self.inner.lock().expect("lock").pins.insert(cid.clone());
		let cid = Cid::try_from(cid).expect("valid");
		Ok(Added { cid, size: bytes.len() as u64 })
	}

	async fn cat(
		&self,
		cid: &Cid,
		offset: u64,
		length: Option<u64>,
	) -> cairn_ipfs::Result<Vec<u8>> {
		let bytes = self.local(cid).await?;
		let start = (offset as usize).min(bytes.len());
		let end = length.map_or(bytes.len(), |l| (start + l as usize).min(bytes.len()));
		Ok(bytes[start..end].to_vec())
	}

	async fn cat_to<W>(&self, cid: &Cid, out: &mut W) -> cairn_ipfs::Result<u64>
	where
		W: std::io::Write + Send,
	{
		let bytes = self.local(cid).await?;
		// Several writes, like a real stream.
		for chunk in bytes.chunks(1000) {
			out.write_all(chunk)?;
		}
		Ok(bytes.len() as u64)
	}

	async fn pin_add(&self, cid: &Cid, timeout: Duration) -> cairn_ipfs::Result<()> {
		let key = cid.to_bytes();
		let mut state = self.inner.lock().expect("lock");
		if !state.blocks.contains_key(&key) {
			let fetched =
				state.network.get(&key).cloned().ok_or(cairn_ipfs::Error::Timeout(timeout))?;
			state.blocks.insert(key.clone(), fetched);
		}
		state.pins.insert(key);
		Ok(())
	}

	async fn pin_rm(&self, cid: &Cid) -> cairn_ipfs::Result<()> {
		self.inner.lock().expect("lock").pins.remove(&cid.to_bytes());
		Ok(())
	}

	async fn pin_ls(&self) -> cairn_ipfs::Result<Vec<Cid>> {
		let state = self.inner.lock().expect("lock");
		Ok(state.pins.iter().map(|c| Cid::try_from(c.clone()).expect("valid")).collect())
	}

	async fn block_stat(&self, cid: &Cid, _timeout: Duration) -> cairn_ipfs::Result<Option<u64>> {
		Ok(self.get(&cid.to_bytes()).map(|b| b.len() as u64))
	}

	async fn swarm_connect(&self, addr: &str) -> cairn_ipfs::Result<()> {
		let (unreachable, hanging) = {
			let mut state = self.inner.lock().expect("lock");
			state.connects.push(addr.to_string());
			(state.unreachable.contains(addr), state.hanging.contains(addr))
		};
		if hanging {
			futures::future::pending::<()>().await;
		}
		if unreachable {
			return Err(cairn_ipfs::Error::Api(format!(
				"dial to {addr} failed: connection refused"
			)));
		}
		Ok(())
	}

	async fn id(&self) -> cairn_ipfs::Result<PeerInfo> {
		Ok(PeerInfo { peer_id: "12D3KooWFake".into(), addresses: vec![] })
	}

	async fn repo_gc(&self) -> cairn_ipfs::Result<()> {
		Ok(())
	}
}

/// A fake chain: files, pieces and operators in memory, with the pallet's checks that the
/// worker and agent rely on.
#[derive(Clone)]
pub struct FakeChain {
	me: AccountId,
	inner: Arc<Mutex<FakeChainState>>,
}

#[derive(Default)]
struct FakeChainState {
	files: BTreeMap<Vec<u8>, FileInfo>,
	operators: BTreeMap<[u8; 32], OperatorInfo>,
	reports: usize,
	confirms: usize,
	claimable: Balance,
	claimed: Balance,
	failed: Vec<(Vec<u8>, chain::PinFailure)>,
	proofs: Vec<(u64, Vec<u8>, cairn_storage_primitives::MerkleProof)>,
	/// The finalized block number (advanced by the tests).
	block: u64,
	/// Offline reports per operator in the current window: `(first, last, count)`.
	offline_reports: BTreeMap<[u8; 32], (u64, u64, u32)>,
	/// Every `report_operator_offline` that succeeded, in order.
	offline_calls: Vec<AccountId>,
	/// Every `report_repair` that succeeded: the file and the indices.
	repair_reports: Vec<(Vec<u8>, Vec<PieceIndex>)>,
}

/// `OfflineReportThreshold` of the fake chain (the Cairn runtime's).
pub const OFFLINE_REPORT_THRESHOLD: u32 = 3;
/// `OfflineReportWindow` of the fake chain (the Cairn runtime's).
pub const OFFLINE_REPORT_WINDOW: u64 = 100;

/// Account `n` of the fake chain.
pub fn account(n: u8) -> AccountId {
	AccountId::from([n; 32])
}

fn module_error(error: &str) -> chain::Error {
	chain::Error::Dispatch(chain::DispatchFailure {
		pallet: Some("Storage".into()),
		error: error.into(),
		docs: String::new(),
	})
}

fn included(events: Vec<StorageEvent>) -> Included {
	Included { block_hash: "0xfake".into(), events }
}

impl FakeChain {
	/// A chain seen by account `me`.
	pub fn new(me: AccountId) -> Self {
		Self { me, inner: Arc::default() }
	}

	/// The same chain seen by account `who`.
	pub fn as_account(&self, who: AccountId) -> Self {
		Self { me: who, inner: self.inner.clone() }
	}

	/// A chain seen by the storage worker (account 100).
	pub fn worker() -> Self {
		Self::new(account(100))
	}

	/// Pin `cid` with pieces `0..n` on accounts `1..=n`.
	pub fn pin(&self, cid: &[u8], size: u64, k: u32, n: u32) {
		let operators = (1..=n).map(|i| account(i as u8)).collect::<Vec<_>>();
		self.pin_on(cid, size, k, &operators);
	}

	/// Pin `cid` with piece `i` on `operators[i]`.
	pub fn pin_on(&self, cid: &[u8], size: u64, k: u32, operators: &[AccountId]) {
		let n = operators.len() as u32;
		let record = FileRecord {
			cid: cid.to_vec(),
			owner: account(200),
			size,
			tier: PinTier::Standard,
			k,
			n,
			m: if k < n { n - 1 } else { n },
			piece_size: crate::layout::PieceLayout::new(k, n, crate::layout::DEFAULT_SHARD_SIZE)
				.and_then(|l| l.piece_size(size))
				.unwrap_or(0),
			state: FileState::Requested,
			created_at: 1,
			expires_at: 10,
			escrow: 1000,
			reported: 0,
			confirmed: 0,
			repairing: 0,
			co_funded: false,
			wrapped_key: None,
		};
		let pieces = operators
			.iter()
			.enumerate()
			.map(|(i, operator)| {
				let piece = PieceRecord {
					operator: *operator,
					content: None,
					confirmed: false,
					confirm_deadline: None,
					repair: false,
					previous: None,
				};
				(i as u32, piece)
			})
			.collect();
		let mut state = self.inner.lock().expect("lock");
		let file_id = state.files.len() as u64;
		state.files.insert(cid.to_vec(), FileInfo { file_id, record, pieces });
	}

	/// Record piece content as if the worker reported it.
	pub fn set_content(&self, cid: &[u8], index: PieceIndex, content: PieceContent) {
		let mut state = self.inner.lock().expect("lock");
		let file = state.files.get_mut(cid).expect("pinned");
		let piece = file.pieces.iter_mut().find(|(i, _)| *i == index).expect("piece");
		piece.1.content = Some(content);
		file.record.reported += 1;
	}

	/// Move piece `index` of `cid` to `to`.
	pub fn reassign(&self, cid: &[u8], index: PieceIndex, to: AccountId) {
		let mut state = self.inner.lock().expect("lock");
		let file = state.files.get_mut(cid).expect("pinned");
		let piece = file.pieces.iter_mut().find(|(i, _)| *i == index).expect("piece");
		piece.1.operator = to;
		piece.1.confirmed = false;
	}

	/// Mark every reported piece of `cid` confirmed (the file is then `Stored`).
	pub fn confirm_all(&self, cid: &[u8]) {
		let mut state = self.inner.lock().expect("lock");
		let file = state.files.get_mut(cid).expect("pinned");
		for (_, piece) in &mut file.pieces {
			if piece.content.is_some() && !piece.confirmed {
				piece.confirmed = true;
				piece.confirm_deadline = None;
				file.record.confirmed += 1;
			}
		}
		if file.record.confirmed == file.record.n {
			file.record.state = FileState::Stored;
		}
	}

	/// Move piece `index` of `cid` to `to` as the pallet's repair does: the piece must be
	/// rebuilt by the storage worker (`report_repair`) before `to` may confirm it. Returns the
	/// `RepairScheduled` event.
	pub fn schedule_repair(&self, cid: &[u8], index: PieceIndex, to: AccountId) -> StorageEvent {
		let mut state = self.inner.lock().expect("lock");
		let file = state.files.get_mut(cid).expect("pinned");
		let (_, piece) = file.pieces.iter_mut().find(|(i, _)| *i == index).expect("piece");
		assert!(piece.content.is_some(), "only reported pieces are rebuilt");
		if piece.confirmed {
			file.record.confirmed -= 1;
		}
		if !piece.repair {
			file.record.repairing += 1;
		}
		// As the pallet does: the operator that confirmed the piece keeps serving it until the
		// new operator confirms.
		if piece.confirmed {
			piece.previous = Some(piece.operator);
		}
		piece.operator = to;
		piece.confirmed = false;
		piece.repair = true;
		piece.confirm_deadline = None;
		file.record.state = FileState::Repairing;
		StorageEvent::RepairScheduled {
			cid: cid.to_vec(),
			indices: vec![index],
			operators: vec![to],
		}
	}

	/// Register operator `who` reachable at `peer` (directly, without a call).
	pub fn add_operator(&self, who: AccountId, peer: &str) {
		let record = OperatorRecord {
			bond: 100,
			capacity: 1 << 30,
			used: 0,
			region: b"test".to_vec(),
			ipfs_peer: peer.as_bytes().to_vec(),
			status: OperatorStatus::Active,
			offline_since: None,
			piece_count: 0,
			reward_rate: 0,
		};
		self.inner
			.lock()
			.expect("lock")
			.operators
			.insert(who.0, OperatorInfo { record, claimable: 0 });
	}

	/// Change operator `who`'s record.
	pub fn update_operator(&self, who: &AccountId, f: impl FnOnce(&mut OperatorRecord)) {
		let mut state = self.inner.lock().expect("lock");
		f(&mut state.operators.get_mut(&who.0).expect("registered").record);
	}

	/// Advance the finalized block number by one.
	pub fn advance_block(&self) {
		self.inner.lock().expect("lock").block += 1;
	}

	/// `report_operator_offline` calls that succeeded, in order.
	pub fn offline_calls(&self) -> Vec<AccountId> {
		self.inner.lock().expect("lock").offline_calls.clone()
	}

	/// `report_repair` calls that succeeded: the file and the indices reported.
	pub fn repair_reports(&self) -> Vec<(Vec<u8>, Vec<PieceIndex>)> {
		self.inner.lock().expect("lock").repair_reports.clone()
	}

	/// Remove the pin.
	pub fn unpin(&self, cid: &[u8]) {
		self.inner.lock().expect("lock").files.remove(cid);
	}

	/// Set what `claim_rewards` pays.
	pub fn set_claimable(&self, amount: Balance) {
		self.inner.lock().expect("lock").claimable = amount;
	}

	/// The file as stored now.
	pub fn file_now(&self, cid: &[u8]) -> FileInfo {
		self.inner.lock().expect("lock").files.get(cid).cloned().expect("pinned")
	}

	/// `report_placement` calls that succeeded.
	pub fn reports(&self) -> usize {
		self.inner.lock().expect("lock").reports
	}

	/// `confirm_piece` calls that succeeded.
	pub fn confirms(&self) -> usize {
		self.inner.lock().expect("lock").confirms
	}

	/// Pins reported as failed, with the reason.
	pub fn failed(&self) -> Vec<(Vec<u8>, chain::PinFailure)> {
		self.inner.lock().expect("lock").failed.clone()
	}

	/// Audit answers submitted.
	pub fn proofs(&self) -> Vec<(u64, Vec<u8>, cairn_storage_primitives::MerkleProof)> {
		self.inner.lock().expect("lock").proofs.clone()
	}

	/// Total rewards claimed.
	pub fn claimed(&self) -> Balance {
		self.inner.lock().expect("lock").claimed
	}
}

impl ChainApi for FakeChain {
	fn account(&self) -> Option<AccountId> {
		Some(self.me)
	}

	async fn file(&self, cid: &[u8]) -> Result<Option<FileInfo>, chain::Error> {
		Ok(self.inner.lock().expect("lock").files.get(cid).cloned())
	}

	async fn operator(&self, who: &AccountId) -> Result<Option<OperatorInfo>, chain::Error> {
		Ok(self.inner.lock().expect("lock").operators.get(&who.0).cloned())
	}

	async fn operator_pieces(
		&self,
		who: &AccountId,
		start: u32,
		limit: u32,
	) -> Result<Vec<PieceRef>, chain::Error> {
		let state = self.inner.lock().expect("lock");
		let all = state.files.values().flat_map(|f| {
			f.pieces_of(who)
				.map(|(index, _)| PieceRef { cid: f.record.cid.clone(), index, operator: *who })
				.collect::<Vec<_>>()
		});
		Ok(all.skip(start as usize).take(limit as usize).collect())
	}

	async fn files_awaiting_placement(
		&self,
		start: u32,
		limit: u32,
	) -> Result<Vec<Vec<u8>>, chain::Error> {
		let state = self.inner.lock().expect("lock");
		Ok(state
			.files
			.values()
			.filter(|f| !f.unreported().is_empty())
			.map(|f| f.record.cid.clone())
			.skip(start as usize)
			.take(limit as usize)
			.collect())
	}

	async fn files_awaiting_repair(
		&self,
		start: u32,
		limit: u32,
	) -> Result<Vec<Vec<u8>>, chain::Error> {
		let state = self.inner.lock().expect("lock");
		Ok(state
			.files
			.values()
			.filter(|f| !f.awaiting_repair().is_empty())
			.map(|f| f.record.cid.clone())
			.skip(start as usize)
			.take(limit as usize)
			.collect())
	}

	async fn repair_queue(&self) -> Result<Vec<RepairQueueEntry>, chain::Error> {
		Ok(Vec::new())
	}

	async fn operators(&self) -> Result<Vec<(AccountId, OperatorRecord)>, chain::Error> {
		let state = self.inner.lock().expect("lock");
		Ok(state
			.operators
			.iter()
			.map(|(who, info)| (AccountId::from(*who), info.record.clone()))
			.collect())
	}

	async fn finalized_number(&self) -> Result<u64, chain::Error> {
		Ok(self.inner.lock().expect("lock").block)
	}

	async fn claimable_rewards(&self, _who: &AccountId) -> Result<Balance, chain::Error> {
		Ok(self.inner.lock().expect("lock").claimable)
	}

	async fn request_pin(
		&self,
		cid: &[u8],
		size: u64,
		_tier: PinTier,
		_eras: u32,
	) -> Result<Included, chain::Error> {
		self.pin(cid, size, 1, 1);
		Ok(included(vec![]))
	}

	async fn register_operator(
		&self,
		bond: Balance,
		capacity: u64,
		region: &str,
		ipfs_peer: &str,
	) -> Result<Included, chain::Error> {
		let mut state = self.inner.lock().expect("lock");
		if state.operators.contains_key(&self.me.0) {
			return Err(module_error("AlreadyRegistered"));
		}
		let record = OperatorRecord {
			bond,
			capacity,
			used: 0,
			region: region.as_bytes().to_vec(),
			ipfs_peer: ipfs_peer.as_bytes().to_vec(),
			status: OperatorStatus::Vetting { audits_passed: 0 },
			offline_since: None,
			piece_count: 0,
			reward_rate: 0,
		};
		state.operators.insert(self.me.0, OperatorInfo { record, claimable: 0 });
		Ok(included(vec![StorageEvent::OperatorRegistered {
			who: self.me,
			bond,
			capacity,
			region: region.as_bytes().to_vec(),
			vetting: true,
		}]))
	}

	async fn report_placement(
		&self,
		cid: &[u8],
		pieces: Vec<PieceReport>,
	) -> Result<Included, chain::Error> {
		let mut state = self.inner.lock().expect("lock");
		let file = state.files.get_mut(cid).ok_or_else(|| module_error("PinNotFound"))?;
		for report in &pieces {
			let piece =
				file.piece(report.index).ok_or_else(|| module_error("InvalidPieceIndex"))?;
			if piece.content.is_some() {
				return Err(module_error("PieceAlreadyReported"));
			}
			if report.size != file.record.piece_size {
				return Err(module_error("InvalidPieceSize"));
			}
		}
		for report in &pieces {
			let content =
				PieceContent { cid: report.cid.clone(), size: report.size, root: report.root };
			if let Some((_, piece)) = file.pieces.iter_mut().find(|(i, _)| *i == report.index) {
				piece.content = Some(content);
				piece.confirm_deadline = Some(100);
			}
			file.record.reported += 1;
		}
		if file.unreported().is_empty() {
			file.record.state = FileState::Placed;
		}
		state.reports += 1;
		Ok(included(vec![StorageEvent::PlacementReported {
			cid: cid.to_vec(),
			worker: self.me,
			indices: pieces.iter().map(|p| p.index).collect(),
		}]))
	}

	async fn confirm_piece(&self, cid: &[u8], index: PieceIndex) -> Result<Included, chain::Error> {
		let me = self.me;
		let mut state = self.inner.lock().expect("lock");
		let file = state.files.get_mut(cid).ok_or_else(|| module_error("PinNotFound"))?;
		let (_, piece) = file
			.pieces
			.iter_mut()
			.find(|(i, _)| *i == index)
			.ok_or_else(|| module_error("InvalidPieceIndex"))?;
		if piece.operator != me {
			return Err(module_error("NotAssignedOperator"));
		}
		if piece.confirmed {
			return Err(module_error("PieceAlreadyConfirmed"));
		}
		if piece.content.is_none() || piece.awaits_repair() {
			return Err(module_error("PieceNotReported"));
		}
		piece.confirmed = true;
		piece.confirm_deadline = None;
		let repaired = std::mem::take(&mut piece.repair);
		let previous = piece.previous.take();
		file.record.confirmed += 1;
		let mut events =
			vec![StorageEvent::PieceConfirmed { cid: cid.to_vec(), index, operator: me }];
		if let Some(previous) = previous {
			events.push(StorageEvent::PiecesReleased {
				cid: cid.to_vec(),
				operators: vec![(index, previous)],
			});
		}
		if repaired {
			file.record.repairing -= 1;
		}
		if file.record.confirmed == file.record.n && file.record.repairing == 0 {
			file.record.state = FileState::Stored;
			if repaired {
				events.push(StorageEvent::FileRepaired { cid: cid.to_vec() });
			}
		}
		state.confirms += 1;
		Ok(included(events))
	}

	async fn report_operator_offline(
		&self,
		operator: &AccountId,
	) -> Result<Included, chain::Error> {
		let me = self.me;
		let mut guard = self.inner.lock().expect("lock");
		let state = &mut *guard;
		let now = state.block;
		let record = &mut state
			.operators
			.get_mut(&operator.0)
			.ok_or_else(|| module_error("NotRegistered"))?
			.record;
		if record.offline_since.is_some() {
			return Err(module_error("AlreadyOffline"));
		}
		let reports = state
			.offline_reports
			.get(&operator.0)
			.copied()
			.filter(|(first, _, _)| now < first + OFFLINE_REPORT_WINDOW)
			.unwrap_or((now, now, 0));
		if reports.2 > 0 && reports.1 == now {
			return Err(module_error("AlreadyReportedThisBlock"));
		}
		let count = reports.2 + 1;
		let mut events = vec![StorageEvent::OperatorReportedOffline {
			who: *operator,
			reporter: me,
			reports: count,
		}];
		if count >= OFFLINE_REPORT_THRESHOLD {
			record.offline_since = Some(now as u32);
			state.offline_reports.remove(&operator.0);
			events.push(StorageEvent::OperatorMarkedOffline { who: *operator, reports: count });
		} else {
			state.offline_reports.insert(operator.0, (reports.0, now, count));
		}
		state.offline_calls.push(*operator);
		Ok(included(events))
	}

	async fn report_repair(
		&self,
		cid: &[u8],
		pieces: Vec<PieceReport>,
	) -> Result<Included, chain::Error> {
		let mut state = self.inner.lock().expect("lock");
		let deadline = state.block as u32 + 100;
		let file = state.files.get_mut(cid).ok_or_else(|| module_error("PinNotFound"))?;
		if pieces.is_empty() {
			return Err(module_error("EmptyReport"));
		}
		let mut seen = BTreeSet::new();
		for report in &pieces {
			if !seen.insert(report.index) {
				return Err(module_error("DuplicatePieceIndex"));
			}
			let piece =
				file.piece(report.index).ok_or_else(|| module_error("InvalidPieceIndex"))?;
			if !piece.awaits_repair() {
				return Err(module_error("NotAwaitingRepair"));
			}
			let content =
				piece.content.as_ref().ok_or_else(|| module_error("NotAwaitingRepair"))?;
			if content.cid != report.cid
				|| content.size != report.size
				|| content.root != report.root
			{
				return Err(module_error("RepairMismatch"));
			}
		}
		for report in &pieces {
			if let Some((_, piece)) = file.pieces.iter_mut().find(|(i, _)| *i == report.index) {
				piece.confirm_deadline = Some(deadline);
			}
		}
		let indices: Vec<PieceIndex> = pieces.iter().map(|p| p.index).collect();
		state.repair_reports.push((cid.to_vec(), indices.clone()));
		Ok(included(vec![StorageEvent::RepairReported {
			cid: cid.to_vec(),
			worker: self.me,
			indices,
		}]))
	}

	async fn shard_size(&self) -> Result<u32, chain::Error> {
		Ok(crate::layout::DEFAULT_SHARD_SIZE)
	}

	async fn report_pin_failed(
		&self,
		cid: &[u8],
		reason: chain::PinFailure,
	) -> Result<Included, chain::Error> {
		let mut state = self.inner.lock().expect("lock");
		let file = state.files.get(cid).ok_or_else(|| module_error("PinNotFound"))?;
		if file.record.reported > 0 {
			return Err(module_error("AlreadyPlaced"));
		}
		state.files.remove(cid);
		state.failed.push((cid.to_vec(), reason));
		Ok(included(vec![StorageEvent::PinFailed { cid: cid.to_vec(), worker: self.me, reason }]))
	}

	async fn submit_proof(
		&self,
		challenge: u64,
		leaf: Vec<u8>,
		proof: cairn_storage_primitives::MerkleProof,
	) -> Result<Included, chain::Error> {
		self.inner.lock().expect("lock").proofs.push((challenge, leaf, proof));
		Ok(included(vec![]))
	}

	async fn declare_online(&self) -> Result<Included, chain::Error> {
		let me = self.me;
		let mut state = self.inner.lock().expect("lock");
		let now = state.block;
		let record = &mut state
			.operators
			.get_mut(&me.0)
			.ok_or_else(|| module_error("NotRegistered"))?
			.record;
		let since = record.offline_since.ok_or_else(|| module_error("NotOffline"))?;
		if now < u64::from(since) + OFFLINE_REPORT_WINDOW {
			return Err(module_error("OfflineTooRecently"));
		}
		record.offline_since = None;
		Ok(included(vec![StorageEvent::OperatorBackOnline { who: me }]))
	}

	async fn claim_rewards(&self) -> Result<Included, chain::Error> {
		let mut state = self.inner.lock().expect("lock");
		if state.claimable == 0 {
			return Err(module_error("NoRewards"));
		}
		let amount = std::mem::take(&mut state.claimable);
		state.claimed += amount;
		Ok(included(vec![StorageEvent::RewardsClaimed { who: self.me, amount }]))
	}
}
