//! In-memory fakes of the chain and of IPFS, for unit tests only.

#![allow(clippy::expect_used)]

use crate::chain::{
	self, AccountId, Balance, ChainApi, FileInfo, FileRecord, FileState, Included, OperatorInfo,
	OperatorRecord, OperatorStatus, PieceContent, PieceIndex, PieceRecord, PieceRef, PieceReport,
	PinTier, StorageEvent,
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
	/// Content other daemons have (what `pin_add` may fetch).
	network: BTreeMap<Vec<u8>, Vec<u8>>,
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

	/// The local bytes of `cid`.
	pub fn get(&self, cid: &[u8]) -> Option<Vec<u8>> {
		self.inner.lock().expect("lock").blocks.get(cid).cloned()
	}

	/// Whether `cid` is pinned.
	pub fn is_pinned(&self, cid: &[u8]) -> bool {
		self.inner.lock().expect("lock").pins.contains(cid)
	}

	fn local(&self, cid: &Cid) -> cairn_ipfs::Result<Vec<u8>> {
		self.get(&cid.to_bytes())
			.ok_or_else(|| cairn_ipfs::Error::Timeout(Duration::from_millis(1)))
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
		let bytes = self.local(cid)?;
		let start = (offset as usize).min(bytes.len());
		let end = length.map_or(bytes.len(), |l| (start + l as usize).min(bytes.len()));
		Ok(bytes[start..end].to_vec())
	}

	async fn cat_to<W>(&self, cid: &Cid, out: &mut W) -> cairn_ipfs::Result<u64>
	where
		W: std::io::Write + Send,
	{
		let bytes = self.local(cid)?;
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

	async fn swarm_connect(&self, _addr: &str) -> cairn_ipfs::Result<()> {
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
}

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
			piece_size: crate::layout::PieceLayout::new(k, n, crate::layout::DEFAULT_SHARD_SIZE)
				.and_then(|l| l.piece_size(size))
				.unwrap_or(0),
			state: FileState::Requested,
			created_at: 1,
			expires_at: 10,
			escrow: 1000,
			reported: 0,
			confirmed: 0,
			co_funded: false,
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
		if piece.content.is_none() {
			return Err(module_error("PieceNotReported"));
		}
		if piece.confirmed {
			return Err(module_error("PieceAlreadyConfirmed"));
		}
		piece.confirmed = true;
		file.record.confirmed += 1;
		state.confirms += 1;
		Ok(included(vec![StorageEvent::PieceConfirmed { cid: cid.to_vec(), index, operator: me }]))
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
