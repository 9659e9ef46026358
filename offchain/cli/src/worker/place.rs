//! Placing one file: fetch it, encode it, add its pieces to IPFS, report them.

use super::Error;
use crate::{
	chain::{self, ChainApi, FileInfo, PieceIndex, PieceReport},
	cid,
	layout::PieceLayout,
};
use cairn_erasure::Encoded;
use cairn_ipfs::Ipfs;
use std::{
	collections::BTreeSet,
	fs::File,
	io::{BufWriter, Write},
	path::{Path, PathBuf},
};

/// What placing a file did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
	/// These pieces were reported.
	Reported(Vec<PieceIndex>),
	/// Nothing was needed, for this reason.
	NothingToDo(&'static str),
	/// The pin cannot be placed; the chain was told (`report_pin_failed`) and refunded it.
	Failed(chain::PinFailure),
}

/// A piece sink of the encoder: a file, or nowhere (the parity piece of a tier without
/// redundancy, see [`crate::layout`]).
enum Sink {
	File(BufWriter<File>),
	Discard,
}

impl Write for Sink {
	fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
		match self {
			Self::File(file) => file.write(buf),
			Self::Discard => Ok(buf.len()),
		}
	}

	fn flush(&mut self) -> std::io::Result<()> {
		match self {
			Self::File(file) => file.flush(),
			Self::Discard => Ok(()),
		}
	}
}

/// A directory removed when dropped, whatever happened.
pub(super) struct Scratch(pub(super) PathBuf);

impl Drop for Scratch {
	fn drop(&mut self) {
		if let Err(error) = std::fs::remove_dir_all(&self.0) {
			if error.kind() != std::io::ErrorKind::NotFound {
				tracing::warn!(dir = %self.0.display(), %error, "cannot remove scratch directory");
			}
		}
	}
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
	let context = context.into();
	move |source| Error::Io { context, source }
}

/// Encode `input` (exactly `size` bytes) into the pieces of `layout`, written as
/// `dir/piece-<i>` for every stored piece. Blocking.
fn encode_to_files(
	layout: PieceLayout,
	input: &Path,
	size: u64,
	dir: &Path,
) -> Result<Encoded, Error> {
	let coder = layout.coder()?;
	let mut sinks = Vec::with_capacity(layout.coded());
	for index in 0..layout.coded() {
		if index < layout.stored() {
			let path = dir.join(format!("piece-{index}"));
			let file = File::create(&path).map_err(io(format!("creating {}", path.display())))?;
			sinks.push(Sink::File(BufWriter::new(file)));
		} else {
			sinks.push(Sink::Discard);
		}
	}
	let reader = File::open(input).map_err(io(format!("opening {}", input.display())))?;
	Ok(coder.encode_exact(std::io::BufReader::new(reader), size, &mut sinks)?)
}

/// Place file `file_cid` (canonical binary CID): everything the storage worker does for it.
///
/// Idempotent and safe to repeat after a crash: it reads the chain first and last, reports
/// only pieces still unreported right before reporting, and treats "already reported" as done.
pub async fn place_file<C: ChainApi, I: Ipfs>(
	chain: &C,
	ipfs: &I,
	work_dir: &Path,
	file_cid: &[u8],
) -> Result<Outcome, Error> {
	let name = cid::display(file_cid);
	let Some(info) = chain.file(file_cid).await? else {
		tracing::info!(cid = %name, "not pinned any more: nothing to place");
		return Ok(Outcome::NothingToDo("the file is not pinned"));
	};
	let unreported = info.unreported();
	if unreported.is_empty() {
		tracing::debug!(cid = %name, "every piece already reported: nothing to place");
		return Ok(Outcome::NothingToDo("every piece is already reported"));
	}
	let record = &info.record;
	let layout = PieceLayout::new(record.k, record.n, chain.shard_size().await?)?;
	tracing::info!(
		cid = %name, size = record.size, k = record.k, n = record.n, pieces = ?unreported,
		"placing: pieces are assigned but not reported, so fetching the file to encode it"
	);

	let dir = work_dir.join(hex::encode(file_cid));
	std::fs::create_dir_all(&dir).map_err(io(format!("creating {}", dir.display())))?;
	let _scratch = Scratch(dir.clone());
	let input = dir.join("file");

	// Fetch the file (streamed to disk: memory stays bounded whatever its size).
	let content = cid::from_bytes(file_cid)?;
	let fetched = {
		let mut out = File::create(&input).map_err(io(format!("creating {}", input.display())))?;
		let mut writer = BufWriter::new(&mut out);
		let fetched = match ipfs.cat_to(&content, &mut writer).await {
			Ok(fetched) => fetched,
			Err(cairn_ipfs::Error::Timeout(after)) => {
				tracing::warn!(cid = %name, ?after, "no IPFS peer provided the file's content in time");
				return Err(Error::ContentUnavailable {
					cid: name,
					reason: format!("timed out after {after:?}"),
				});
			}
			Err(error) => return Err(error.into()),
		};
		writer.flush().map_err(io("writing the fetched file"))?;
		fetched
	};
	if fetched != record.size {
		tracing::warn!(
			cid = %name, declared = record.size, fetched,
			"the file's size is not the size declared on-chain: refusing to place it"
		);
		if record.reported == 0 {
			let reason = chain::PinFailure::SizeMismatch { actual: fetched };
			return report_failure(chain, file_cid, reason).await;
		}
		return Err(Error::SizeMismatch { cid: name, declared: record.size, fetched });
	}
	tracing::debug!(cid = %name, bytes = fetched, "fetched; encoding");

	let encoded = {
		let (input, dir, size) = (input.clone(), dir.clone(), record.size);
		tokio::task::spawn_blocking(move || encode_to_files(layout, &input, size, &dir))
			.await
			.map_err(|e| Error::Task(e.to_string()))??
	};
	let piece_size = encoded.plan.piece_size();

	// Add the unreported pieces to IPFS (pinned there, so the operators can fetch them).
	let mut reports = Vec::with_capacity(unreported.len());
	for &index in &unreported {
		let path = dir.join(format!("piece-{index}"));
		let file = File::open(&path).map_err(io(format!("opening {}", path.display())))?;
		let added = ipfs.add(file).await?;
		let root = *encoded.roots.get(index as usize).ok_or(Error::Inconsistent(format!(
			"piece {index} of {name} is not below n = {}",
			layout.stored()
		)))?;
		tracing::info!(
			cid = %name, index, piece = %added.cid, size = piece_size, root = %hex::encode(root),
			"piece added to IPFS"
		);
		reports.push(PieceReport {
			index,
			cid: cid::canonical_bytes(&added.cid),
			size: piece_size,
			root,
		});
	}

	connect_to_operators(chain, ipfs, &info, &unreported).await;

	// Check again right before reporting: never report a piece twice.
	let Some(now) = chain.file(file_cid).await? else {
		tracing::info!(cid = %name, "unpinned while encoding: not reporting");
		return Ok(Outcome::NothingToDo("the file was unpinned meanwhile"));
	};
	let still: BTreeSet<PieceIndex> = now.unreported().into_iter().collect();
	reports.retain(|report| still.contains(&report.index));
	if reports.is_empty() {
		tracing::info!(cid = %name, "reported meanwhile (by another worker?): not reporting");
		return Ok(Outcome::NothingToDo("the pieces were reported meanwhile"));
	}
	let indices: Vec<PieceIndex> = reports.iter().map(|r| r.index).collect();
	match chain.report_placement(file_cid, reports).await {
		Ok(_) => {
			tracing::info!(cid = %name, pieces = ?indices, "placement reported");
			Ok(Outcome::Reported(indices))
		}
		Err(error) if error.dispatch().is_some_and(|d| d.is("Storage", "PieceAlreadyReported")) => {
			tracing::info!(cid = %name, "the chain says already reported: done");
			Ok(Outcome::NothingToDo("the pieces were reported meanwhile"))
		}
		Err(error) => Err(error.into()),
	}
}

/// Tell the chain the pin cannot be placed (it is removed and its payment refunded).
pub async fn report_failure<C: ChainApi>(
	chain: &C,
	file_cid: &[u8],
	reason: chain::PinFailure,
) -> Result<Outcome, Error> {
	let name = cid::display(file_cid);
	tracing::warn!(cid = %name, ?reason, "reporting the pin as failed: it will be removed and refunded");
	match chain.report_pin_failed(file_cid, reason).await {
		Ok(_) => Ok(Outcome::Failed(reason)),
		Err(error)
			if error.dispatch().is_some_and(|d| {
				d.is("Storage", "AlreadyPlaced") || d.is("Storage", "PinNotFound")
			}) =>
		{
			tracing::info!(cid = %name, %error, "not failing the pin: the chain's state moved on");
			Ok(Outcome::NothingToDo("the pin was placed or removed meanwhile"))
		}
		Err(error) => Err(error.into()),
	}
}

/// Connect the worker's IPFS daemon to the operators of `indices`, so they can fetch their
/// pieces by Bitswap (best effort: an operator may already be connected or reachable by
/// routing; a failure is logged, not fatal).
pub(super) async fn connect_to_operators<C: ChainApi, I: Ipfs>(
	chain: &C,
	ipfs: &I,
	info: &FileInfo,
	indices: &[PieceIndex],
) {
	let mut seen = BTreeSet::new();
	for &index in indices {
		let Some(piece) = info.piece(index) else { continue };
		if !seen.insert(piece.operator) {
			continue;
		}
		let peer = match chain.operator(&piece.operator).await {
			Ok(Some(operator)) => operator.record.peer(),
			Ok(None) => continue,
			Err(error) => {
				tracing::warn!(operator = %piece.operator, %error, "cannot read operator record");
				continue;
			}
		};
		match ipfs.swarm_connect(&peer).await {
			Ok(()) => tracing::debug!(operator = %piece.operator, %peer, "connected to operator"),
			Err(error) => tracing::warn!(
				operator = %piece.operator, %peer, %error,
				"cannot connect to the operator's IPFS peer; it must find the piece by routing"
			),
		}
	}
}

/// After a file is stored (every piece confirmed), the worker's own copies of its pieces are no
/// longer needed: unpin them.
pub async fn release_file<C: ChainApi, I: Ipfs>(
	chain: &C,
	ipfs: &I,
	file_cid: &[u8],
) -> Result<usize, Error> {
	let Some(info) = chain.file(file_cid).await? else { return Ok(0) };
	let mut unpinned = BTreeSet::new();
	for (_, piece) in &info.pieces {
		let Some(content) = &piece.content else { continue };
		if unpinned.insert(content.cid.clone()) {
			ipfs.pin_rm(&cid::from_bytes(&content.cid)?).await?;
		}
	}
	tracing::info!(
		cid = %cid::display(file_cid), pieces = unpinned.len(),
		"file stored by its operators: unpinned the worker's copies of its pieces"
	);
	Ok(unpinned.len())
}
