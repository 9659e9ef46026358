//! Repairing one file: rebuild the pieces the chain moved to replacement operators, from any
//! `k` pieces that match their on-chain roots, hand them over and report them.
//!
//! When the chain moves a piece by repair (`RepairScheduled`), it keeps the piece's recorded
//! content (CID, size, root) and waits for the storage worker to provide exactly those bytes
//! again (`report_repair` must match them, `RepairMismatch` otherwise). The code is
//! deterministic, so the rebuilt piece is the original one: same root, and the same CID when
//! added to IPFS the way placement added it.
//!
//! Steps, each logged with why:
//! 1. read `file(cid)`: the pieces awaiting repair (moved, not yet reported);
//! 2. a piece the worker already holds (pinned by an earlier attempt) is checked and reused;
//! 3. otherwise fetch pieces until `k` match their roots, in the order of
//!    [`ranked_sources`]: confirmed pieces on available operators first (connecting to each
//!    operator's IPFS peer first), data pieces first among them, then pieces on offline or
//!    leaving operators, then unconfirmed ones, including the moved pieces themselves (their
//!    previous holder may still serve them). Corrupt or unavailable pieces are skipped and
//!    named;
//! 4. rebuild the missing pieces with `cairn-erasure` (streamed segment by segment from scratch
//!    files to scratch files: memory is one segment whatever the file size; a `k = 1` replica
//!    is a copy) and check each rebuilt root against the recorded one;
//! 5. add each rebuilt piece to the worker's IPFS (pinned, so the new operators can fetch it)
//!    and check its CID against the recorded one;
//! 6. connect to the new operators' IPFS peers;
//! 7. read the chain again and report only the pieces still awaiting repair.

use super::{place::connect_to_operators, Error, Outcome, Scratch};
use crate::{
	agent::RootWriter,
	chain::{ChainApi, PieceContent, PieceIndex, PieceReport},
	cid,
	fetch::{fetch_piece, ranked_sources, Fetched},
	layout::PieceLayout,
};
use cairn_erasure::{PieceReader, PieceWriter};
use cairn_ipfs::Ipfs;
use std::{
	collections::{BTreeMap, BTreeSet},
	fs::File,
	io::{BufReader, BufWriter, Write},
	path::{Path, PathBuf},
	time::Duration,
};

/// How a repair fetches pieces.
#[derive(Clone, Debug)]
pub struct RepairOptions {
	/// Longest wait for one piece to arrive.
	pub piece_timeout: Duration,
}

impl Default for RepairOptions {
	fn default() -> Self {
		Self { piece_timeout: Duration::from_secs(120) }
	}
}

/// A file writer that also computes the Merkle root of what it writes.
struct RootedFile {
	file: BufWriter<File>,
	root: RootWriter,
}

impl Write for RootedFile {
	fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
		self.file.write_all(buf)?;
		self.root.write_all(buf)?;
		Ok(buf.len())
	}

	fn flush(&mut self) -> std::io::Result<()> {
		self.file.flush()
	}
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
	let context = context.into();
	move |source| Error::Io { context, source }
}

/// Rebuild pieces `targets` (index, recorded content) from the verified `sources` into
/// `dir/rebuilt-<i>`, checking each rebuilt piece's size and root. Blocking.
fn rebuild(
	layout: PieceLayout,
	file_size: u64,
	sources: &BTreeMap<PieceIndex, PathBuf>,
	targets: &[(PieceIndex, PieceContent)],
	dir: &Path,
	name: &str,
) -> Result<BTreeMap<PieceIndex, PathBuf>, Error> {
	let coder = layout.coder()?;
	let mut readers = Vec::with_capacity(sources.len());
	for (index, path) in sources {
		let file = File::open(path).map_err(io(format!("opening {}", path.display())))?;
		readers.push(PieceReader::new(*index as usize, BufReader::new(file)));
	}
	let mut writers = Vec::with_capacity(targets.len());
	let mut paths = BTreeMap::new();
	for (index, _) in targets {
		let path = dir.join(format!("rebuilt-{index}"));
		let file = File::create(&path).map_err(io(format!("creating {}", path.display())))?;
		let out = RootedFile { file: BufWriter::new(file), root: RootWriter::default() };
		writers.push(PieceWriter::new(*index as usize, out));
		paths.insert(*index, path);
	}
	// The sources were each checked against their roots already; the rebuilt pieces are
	// checked below, against the roots the chain recorded at placement.
	coder.reconstruct(file_size, &mut readers, None, &mut writers)?;
	for (writer, (index, content)) in writers.into_iter().zip(targets) {
		let RootedFile { mut file, root } = writer.writer;
		file.flush().map_err(io(format!("writing rebuilt piece {index}")))?;
		let (found, size) = root.finish().map_err(|e| Error::RepairMismatch {
			cid: name.to_string(),
			index: *index,
			reason: e.to_string(),
		})?;
		if size != content.size || found != content.root {
			return Err(Error::RepairMismatch {
				cid: name.to_string(),
				index: *index,
				reason: format!(
					"rebuilt {size} bytes with root {}, the chain recorded {} bytes with root {}",
					hex::encode(found),
					content.size,
					hex::encode(content.root)
				),
			});
		}
	}
	Ok(paths)
}

/// Repair file `file_cid` (canonical binary CID): rebuild, hand over and report every piece
/// the chain moved to a replacement operator and waits for.
///
/// Idempotent and safe to repeat: it reads the chain first and last, reports only pieces still
/// awaiting repair right before reporting, and treats "not awaiting repair" as done.
pub async fn repair_file<C: ChainApi, I: Ipfs>(
	chain: &C,
	ipfs: &I,
	work_dir: &Path,
	file_cid: &[u8],
	options: &RepairOptions,
) -> Result<Outcome, Error> {
	let name = cid::display(file_cid);
	let Some(info) = chain.file(file_cid).await? else {
		tracing::info!(cid = %name, "not pinned any more: nothing to repair");
		return Ok(Outcome::NothingToDo("the file is not pinned"));
	};
	let record = &info.record;
	if record.state == crate::chain::FileState::Expired {
		tracing::info!(cid = %name, "expired: the chain does not repair unpaid files");
		return Ok(Outcome::NothingToDo("the pin expired"));
	}
	let mut targets: Vec<(PieceIndex, PieceContent)> = Vec::new();
	for index in info.awaiting_repair() {
		let content = info.piece(index).and_then(|p| p.content.clone()).ok_or_else(|| {
			Error::Inconsistent(format!("piece {index} of {name} awaits repair without content"))
		})?;
		targets.push((index, content));
	}
	if targets.is_empty() {
		tracing::debug!(cid = %name, "no piece awaits repair: nothing to do");
		return Ok(Outcome::NothingToDo("no piece awaits repair"));
	}
	let layout = PieceLayout::new(record.k, record.n, chain.shard_size().await?)?;
	let piece_size = layout.piece_size(record.size)?;
	if piece_size != record.piece_size {
		return Err(Error::Inconsistent(format!(
			"{name}: the layout gives {piece_size}-byte pieces, the chain records {}",
			record.piece_size
		)));
	}
	let target_set: BTreeSet<PieceIndex> = targets.iter().map(|(i, _)| *i).collect();
	tracing::info!(
		cid = %name, size = record.size, k = record.k, n = record.n, pieces = ?target_set,
		"repairing: these pieces were moved to new operators and must be rebuilt"
	);

	let dir = work_dir.join(format!("repair-{}", hex::encode(file_cid)));
	std::fs::create_dir_all(&dir).map_err(io(format!("creating {}", dir.display())))?;
	let _scratch = Scratch(dir.clone());

	// Pieces already in the worker's IPFS (an earlier attempt added them, or they are still
	// pinned from placement): reused once they check out.
	let pinned: BTreeSet<Vec<u8>> = ipfs.pin_ls().await?.iter().map(cid::canonical_bytes).collect();
	let mut have: BTreeMap<PieceIndex, PathBuf> = BTreeMap::new();
	let mut held: BTreeSet<PieceIndex> = BTreeSet::new();
	for (index, content) in &targets {
		if !pinned.contains(&content.cid) {
			continue;
		}
		let path = dir.join(format!("piece-{index}"));
		let fetched =
			fetch_piece(ipfs, None, *index, content, piece_size, &path, options.piece_timeout)
				.await
				.map_err(io(format!("fetching piece {index} into {}", path.display())))?;
		match fetched {
			Fetched::Good => {
				tracing::info!(cid = %name, index, "the worker's IPFS already holds this piece and it matches its root: no rebuild needed");
				have.insert(*index, path);
				held.insert(*index);
			}
			Fetched::Corrupt(why) | Fetched::Unavailable(why) => {
				tracing::warn!(cid = %name, index, %why, "the worker's pinned copy of this piece is not usable; rebuilding it");
			}
		}
	}

	let missing: Vec<(PieceIndex, PieceContent)> =
		targets.iter().filter(|(i, _)| !held.contains(i)).cloned().collect();
	if !missing.is_empty() {
		let k = layout.k();
		let mut corrupt = Vec::new();
		let mut unavailable = Vec::new();
		for source in ranked_sources(chain, &info).await {
			if have.len() >= k {
				break;
			}
			let Some(content) = &source.content else { continue };
			if have.contains_key(&source.index) {
				continue;
			}
			let path = dir.join(format!("piece-{}", source.index));
			let why = if target_set.contains(&source.index) {
				"moved by repair; its previous holder may still serve it"
			} else {
				source.rank.describe()
			};
			tracing::info!(
				cid = %name, index = source.index, operator = %source.operator, why,
				"fetching a source piece for the rebuild"
			);
			let fetched = fetch_piece(
				ipfs,
				source.peer.as_deref(),
				source.index,
				content,
				piece_size,
				&path,
				options.piece_timeout,
			)
			.await
			.map_err(io(format!("fetching piece {} into {}", source.index, path.display())))?;
			match fetched {
				Fetched::Good => {
					tracing::info!(cid = %name, index = source.index, "source piece matches its on-chain root");
					have.insert(source.index, path);
				}
				Fetched::Corrupt(why) => {
					tracing::warn!(
						cid = %name, index = source.index, operator = %source.operator, %why,
						"source piece is CORRUPT (does not match its on-chain root): not using it"
					);
					corrupt.push(source.index);
				}
				Fetched::Unavailable(why) => {
					tracing::warn!(
						cid = %name, index = source.index, operator = %source.operator, %why,
						"source piece unavailable: trying another"
					);
					unavailable.push(source.index);
				}
			}
		}
		if have.len() < k {
			return Err(Error::NotEnoughPieces {
				cid: name,
				good: have.len(),
				needed: k,
				corrupt,
				unavailable,
			});
		}
		let rebuilt_from: Vec<PieceIndex> = have.keys().copied().collect();
		tracing::info!(
			cid = %name, from = ?rebuilt_from, pieces = ?missing.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
			"rebuilding the missing pieces"
		);
		let rebuilt = {
			let (sources, missing, dir, name) =
				(have.clone(), missing.clone(), dir.clone(), name.clone());
			let size = record.size;
			tokio::task::spawn_blocking(move || {
				rebuild(layout, size, &sources, &missing, &dir, &name)
			})
			.await
			.map_err(|e| Error::Task(e.to_string()))??
		};
		for (index, _) in &missing {
			tracing::info!(cid = %name, index, "rebuilt piece matches its recorded root");
		}
		have.extend(rebuilt);
	}

	// Hand the pieces over: in the worker's IPFS (pinned), under the recorded CIDs.
	let mut reports = Vec::with_capacity(targets.len());
	for (index, content) in &targets {
		if !held.contains(index) {
			let path = have.get(index).ok_or_else(|| {
				Error::Inconsistent(format!("piece {index} of {name} was not rebuilt"))
			})?;
			let file = File::open(path).map_err(io(format!("opening {}", path.display())))?;
			let added = ipfs.add(file).await?;
			let added_cid = cid::canonical_bytes(&added.cid);
			if added_cid != content.cid {
				return Err(Error::RepairMismatch {
					cid: name.clone(),
					index: *index,
					reason: format!(
						"IPFS gave the rebuilt piece CID {}, the chain recorded {} (another chunking?)",
						added.cid,
						cid::display(&content.cid)
					),
				});
			}
			tracing::info!(cid = %name, index, piece = %added.cid, "rebuilt piece added to IPFS");
		}
		reports.push(PieceReport {
			index: *index,
			cid: content.cid.clone(),
			size: content.size,
			root: content.root,
		});
	}

	let indices: Vec<PieceIndex> = reports.iter().map(|r| r.index).collect();
	connect_to_operators(chain, ipfs, &info, &indices).await;

	// Check again right before reporting: never report a piece twice.
	let Some(now) = chain.file(file_cid).await? else {
		tracing::info!(cid = %name, "unpinned while repairing: not reporting");
		return Ok(Outcome::NothingToDo("the file was unpinned meanwhile"));
	};
	reports.retain(|report| {
		now.piece(report.index).is_some_and(|p| {
			p.awaits_repair() && p.content.as_ref().is_some_and(|c| c.cid == report.cid)
		})
	});
	if reports.is_empty() {
		tracing::info!(cid = %name, "repair reported meanwhile (by another worker?): not reporting");
		return Ok(Outcome::NothingToDo("the pieces were reported meanwhile"));
	}
	let indices: Vec<PieceIndex> = reports.iter().map(|r| r.index).collect();
	match chain.report_repair(file_cid, reports).await {
		Ok(_) => {
			tracing::info!(cid = %name, pieces = ?indices, "repair reported: the new operators may confirm");
			Ok(Outcome::Reported(indices))
		}
		Err(error)
			if error.dispatch().is_some_and(|d| {
				d.is("Storage", "NotAwaitingRepair")
					|| d.is("Storage", "PinNotFound")
					|| d.is("Storage", "PinExpired")
			}) =>
		{
			tracing::info!(cid = %name, %error, "not reported: the chain's state moved on");
			Ok(Outcome::NothingToDo("the chain's state moved on"))
		}
		Err(error) => Err(error.into()),
	}
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
	use super::*;
	use crate::{
		chain::{FileState, StorageEvent},
		testing::{account, FakeChain, FakeIpfs},
		worker::place_file,
	};
	use cairn_storage_primitives::LEAF_SIZE;

	fn bytes(len: usize) -> Vec<u8> {
		let mut state = 0x9e37_79b9_7f4a_7c15u64;
		(0..len)
			.map(|_| {
				state ^= state << 13;
				state ^= state >> 7;
				state ^= state << 17;
				(state >> 32) as u8
			})
			.collect()
	}

	/// A stored file of `len` bytes, `k` of `n`, on operators `1..=n` (operators `n + 1` and
	/// `n + 2` are spare), and the bytes of each of its pieces.
	struct Stored {
		chain: FakeChain,
		file: Vec<u8>,
		pieces: BTreeMap<PieceIndex, (PieceContent, Vec<u8>)>,
	}

	impl Stored {
		async fn new(len: usize, k: u32, n: u32) -> Self {
			let ipfs = FakeIpfs::default();
			let file = ipfs.put(&bytes(len));
			let chain = FakeChain::worker();
			for i in 1..=n + 2 {
				chain.add_operator(account(i as u8), &format!("/peer/{i}"));
			}
			chain.pin(&file, len as u64, k, n);
			let dir = tempfile::tempdir().expect("tempdir");
			place_file(&chain, &ipfs, dir.path(), &file).await.expect("placed");
			chain.confirm_all(&file);
			let pieces = chain
				.file_now(&file)
				.pieces
				.iter()
				.map(|(index, piece)| {
					let content = piece.content.clone().expect("reported");
					let bytes = ipfs.get(&content.cid).expect("added by the worker");
					(*index, (content, bytes))
				})
				.collect();
			Self { chain, file, pieces }
		}

		/// The worker's IPFS: nothing local; the network serves the pieces `served`.
		fn network(&self, served: &[PieceIndex]) -> FakeIpfs {
			let ipfs = FakeIpfs::default();
			for index in served {
				let (content, bytes) = &self.pieces[index];
				ipfs.offer(&content.cid, bytes);
			}
			ipfs
		}

		fn content(&self, index: PieceIndex) -> &PieceContent {
			&self.pieces[&index].0
		}
	}

	async fn repair(chain: &FakeChain, ipfs: &FakeIpfs, file: &[u8]) -> Result<Outcome, Error> {
		let dir = tempfile::tempdir().expect("tempdir");
		let outcome = repair_file(chain, ipfs, dir.path(), file, &RepairOptions::default()).await;
		// Scratch files never outlive an attempt.
		assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
		outcome
	}

	#[tokio::test]
	async fn rebuilds_moved_pieces_from_any_k_and_reports_them_once() {
		// Several segments (1 MiB shards, k = 2: 2 MiB per segment), a short last one.
		let stored = Stored::new((5 << 20) + 12_345, 2, 4).await;
		let (chain, file) = (&stored.chain, &stored.file);
		// Pieces 0 and 3 move to the spare operators; their old holders are gone.
		let event = chain.schedule_repair(file, 0, account(5));
		assert!(matches!(event, StorageEvent::RepairScheduled { .. }));
		chain.schedule_repair(file, 3, account(6));
		let ipfs = stored.network(&[1, 2]);

		let outcome = repair(chain, &ipfs, file).await.expect("repaired");
		assert_eq!(outcome, Outcome::Reported(vec![0, 3]));
		assert_eq!(chain.repair_reports(), vec![(file.clone(), vec![0, 3])]);
		for index in [0, 3] {
			let (content, original) = &stored.pieces[&index];
			assert_eq!(&ipfs.get(&content.cid).expect("rebuilt piece added"), original);
			assert!(ipfs.is_pinned(&content.cid));
		}
		let connects = ipfs.connects();
		for peer in ["/peer/2", "/peer/3", "/peer/5", "/peer/6"] {
			assert!(connects.contains(&peer.to_string()), "{peer} in {connects:?}");
		}

		// Again: the chain says nothing awaits repair; nothing is reported twice.
		let again = repair(chain, &ipfs, file).await.expect("no-op");
		assert_eq!(again, Outcome::NothingToDo("no piece awaits repair"));
		assert_eq!(chain.repair_reports().len(), 1);

		// The new operators confirm: the file is repaired.
		chain.as_account(account(5)).confirm_piece(file, 0).await.expect("confirms");
		let last = chain.as_account(account(6)).confirm_piece(file, 3).await.expect("confirms");
		assert!(last.events.iter().any(|e| matches!(e, StorageEvent::FileRepaired { .. })));
		assert_eq!(chain.file_now(file).record.state, FileState::Stored);
	}

	#[tokio::test]
	async fn a_corrupt_source_is_skipped_and_named() {
		let stored = Stored::new(3 * LEAF_SIZE + 5, 2, 4).await;
		let (chain, file) = (&stored.chain, &stored.file);
		chain.schedule_repair(file, 3, account(5));
		// Piece 0 is served with wrong bytes (a daemon reading a damaged disk).
		let ipfs = stored.network(&[1, 2]);
		let c0 = stored.content(0);
		ipfs.offer(&c0.cid, &vec![7u8; c0.size as usize]);
		let outcome = repair(chain, &ipfs, file).await.expect("repaired from 1 and 2");
		assert_eq!(outcome, Outcome::Reported(vec![3]));
		assert_eq!(&ipfs.get(&stored.content(3).cid).expect("rebuilt"), &stored.pieces[&3].1);
	}

	#[tokio::test]
	async fn fewer_than_k_good_pieces_report_nothing_and_are_retried() {
		let stored = Stored::new(3 * LEAF_SIZE + 5, 2, 4).await;
		let (chain, file) = (&stored.chain, &stored.file);
		chain.schedule_repair(file, 2, account(5));
		chain.schedule_repair(file, 3, account(6));
		let ipfs = stored.network(&[]);
		let c0 = stored.content(0);
		ipfs.offer(&c0.cid, &vec![7u8; c0.size as usize]);
		let error = repair(chain, &ipfs, file).await.expect_err("not enough");
		match &error {
			Error::NotEnoughPieces { good, needed, corrupt, unavailable, .. } => {
				assert_eq!((*good, *needed), (0, 2));
				assert_eq!(corrupt, &vec![0]);
				assert_eq!(unavailable, &vec![1, 2, 3]);
			}
			other => panic!("unexpected {other}"),
		}
		assert!(!error.is_permanent(), "operators may come back: retried");
		assert!(chain.repair_reports().is_empty());
	}

	#[tokio::test]
	async fn a_replica_is_copied_and_one_byte_files_work() {
		// k = 1: every piece is the same replica; one source is enough.
		let stored = Stored::new(1, 1, 3).await;
		let (chain, file) = (&stored.chain, &stored.file);
		chain.schedule_repair(file, 1, account(4));
		let ipfs = stored.network(&[2]);
		let outcome = repair(chain, &ipfs, file).await.expect("copied");
		assert_eq!(outcome, Outcome::Reported(vec![1]));
		assert_eq!(ipfs.get(&stored.content(1).cid).expect("added").len(), LEAF_SIZE);
	}

	#[tokio::test]
	async fn a_piece_the_worker_still_holds_is_reused_without_sources() {
		let stored = Stored::new(10_000, 2, 3).await;
		let (chain, file) = (&stored.chain, &stored.file);
		chain.schedule_repair(file, 2, account(4));
		// No operator serves anything, but the worker still has piece 2 pinned.
		let ipfs = stored.network(&[]);
		let added = ipfs.add(std::io::Cursor::new(stored.pieces[&2].1.clone())).await.expect("add");
		assert_eq!(cid::canonical_bytes(&added.cid), stored.content(2).cid);
		let outcome = repair(chain, &ipfs, file).await.expect("reused");
		assert_eq!(outcome, Outcome::Reported(vec![2]));
	}

	#[tokio::test]
	async fn a_report_made_meanwhile_is_not_repeated() {
		let stored = Stored::new(10_000, 2, 4).await;
		let (chain, file) = (&stored.chain, &stored.file);
		chain.schedule_repair(file, 1, account(5));
		let content = stored.content(1).clone();
		let report =
			PieceReport { index: 1, cid: content.cid, size: content.size, root: content.root };
		chain.report_repair(file, vec![report]).await.expect("reported by another worker");
		let outcome = repair(chain, &stored.network(&[0, 2, 3]), file).await.expect("no-op");
		assert_eq!(outcome, Outcome::NothingToDo("no piece awaits repair"));
		assert_eq!(chain.repair_reports().len(), 1);
	}

	#[tokio::test]
	async fn the_fake_chain_refuses_mismatching_and_unexpected_repair_reports() {
		let stored = Stored::new(10_000, 2, 4).await;
		let (chain, file) = (&stored.chain, &stored.file);
		let content = stored.content(1).clone();
		let report =
			|root| PieceReport { index: 1, cid: content.cid.clone(), size: content.size, root };
		let not_moved =
			chain.report_repair(file, vec![report(content.root)]).await.expect_err("no");
		assert!(not_moved.dispatch().is_some_and(|d| d.is("Storage", "NotAwaitingRepair")));
		chain.schedule_repair(file, 1, account(5));
		let early = chain.as_account(account(5)).confirm_piece(file, 1).await.expect_err("early");
		assert!(early.dispatch().is_some_and(|d| d.is("Storage", "PieceNotReported")));
		let wrong = chain.report_repair(file, vec![report([0; 32])]).await.expect_err("mismatch");
		assert!(wrong.dispatch().is_some_and(|d| d.is("Storage", "RepairMismatch")));
	}
}
