//! `cairn get <cid> -o <file>`: fetch any `k` intact pieces, decode, check against the CID.

use super::Error;
use crate::{
	chain::{ChainApi, Client, FileInfo},
	cid::{self, Cid},
	fetch::{ranked_sources, Fetched},
	layout::PieceLayout,
};
use cairn_erasure::PieceReader;
use cairn_ipfs::Ipfs;
use std::{
	fs::File,
	io::{BufReader, BufWriter},
	path::{Path, PathBuf},
	time::Duration,
};

/// What `get` is asked to do.
#[derive(Clone, Debug)]
pub struct GetOptions {
	/// Longest wait for one piece to arrive.
	pub piece_timeout: Duration,
}

impl Default for GetOptions {
	fn default() -> Self {
		Self { piece_timeout: Duration::from_secs(120) }
	}
}

/// What `get` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetReport {
	/// Bytes written.
	pub size: u64,
	/// Pieces decoded from.
	pub used: Vec<u32>,
	/// Pieces skipped because they did not match their on-chain root (or size).
	pub corrupt: Vec<u32>,
	/// Pieces that could not be fetched.
	pub unavailable: Vec<u32>,
}

/// A scratch directory next to the output, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
	fn drop(&mut self) {
		let _ = std::fs::remove_dir_all(&self.0);
	}
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> crate::Error {
	move |source| crate::Error::io(context, source)
}

/// Fetch file `cid_text` into `out`.
pub async fn get<I: Ipfs>(
	client: &Client,
	ipfs: &I,
	cid_text: &str,
	out: &Path,
	options: &GetOptions,
) -> crate::Result<GetReport> {
	let content = cid::parse(cid_text)?;
	let canonical = cid::canonical_bytes(&content);
	let info =
		client.file(&canonical).await?.ok_or_else(|| Error::NotPinned(content.to_string()))?;
	get_file(client, ipfs, &content, &info, out, options).await
}

/// Fetch the pieces of `info`, decode them into `out` and check the result against `content`.
pub async fn get_file<C: ChainApi, I: Ipfs>(
	chain: &C,
	ipfs: &I,
	content: &Cid,
	info: &FileInfo,
	out: &Path,
	options: &GetOptions,
) -> crate::Result<GetReport> {
	let record = &info.record;
	let name = content.to_string();
	let shard_size = chain.shard_size().await?;
	let layout =
		PieceLayout::new(record.k, record.n, shard_size).map_err(cairn_erasure::Error::from)?;
	let piece_size = layout.piece_size(record.size).map_err(cairn_erasure::Error::from)?;
	let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
	let scratch = Scratch(parent.join(format!(
		".cairn-get-{}-{}",
		std::process::id(),
		hex::encode(&content.hash().digest()[..6])
	)));
	std::fs::create_dir_all(&scratch.0).map_err(io(format!("creating {}", scratch.0.display())))?;

	let mut report =
		GetReport { size: record.size, used: vec![], corrupt: vec![], unavailable: vec![] };
	let mut good: Vec<(u32, PathBuf)> = Vec::new();
	// Pieces on available operators first, data pieces first among them (with all of them,
	// decoding is a plain copy).
	for source in ranked_sources(chain, info).await {
		if good.len() == layout.k() {
			break;
		}
		let index = source.index;
		let Some(piece_content) = &source.content else {
			tracing::info!(file = %name, index, "piece not reported yet; skipping");
			report.unavailable.push(index);
			continue;
		};
		let path = scratch.0.join(format!("piece-{index}"));
		tracing::info!(
			file = %name, index, piece = %cid::display(&piece_content.cid), operator = %source.operator,
			why = source.rank.describe(), "fetching piece"
		);
		let fetched = crate::fetch::fetch_piece(
			ipfs,
			source.peer.as_deref(),
			index,
			piece_content,
			piece_size,
			&path,
			options.piece_timeout,
		)
		.await
		.map_err(|e| {
			crate::Error::io(format!("fetching piece {index} into {}", path.display()), e)
		})?;
		match fetched {
			Fetched::Good => good.push((index, path)),
			Fetched::Corrupt(why) => {
				tracing::warn!(file = %name, index, operator = %source.operator, %why, "piece is corrupt (does not match its on-chain root); skipping it");
				report.corrupt.push(index);
			}
			Fetched::Unavailable(why) => {
				tracing::warn!(file = %name, index, operator = %source.operator, %why, "cannot fetch piece; trying another");
				report.unavailable.push(index);
			}
		}
	}
	if good.len() < layout.k() {
		return Err(
			Error::NotEnoughPieces { cid: name, good: good.len(), needed: layout.k() }.into()
		);
	}
	report.used = good.iter().map(|(i, _)| *i).collect();
	report.used.sort_unstable();
	tracing::info!(file = %name, pieces = ?report.used, "decoding");

	let partial = scratch.0.join("file");
	{
		let partial = partial.clone();
		let size = record.size;
		let coder = layout.coder()?;
		tokio::task::spawn_blocking(move || -> crate::Result<()> {
			let mut readers = Vec::with_capacity(good.len());
			for (index, path) in &good {
				let file = File::open(path).map_err(io(format!("opening {}", path.display())))?;
				readers.push(PieceReader::new(*index as usize, BufReader::new(file)));
			}
			let out =
				File::create(&partial).map_err(io(format!("creating {}", partial.display())))?;
			coder.decode(size, &mut readers, None, BufWriter::new(out))?;
			Ok(())
		})
		.await??;
	}

	check_cid(ipfs, content, &partial).await?;
	std::fs::rename(&partial, out).map_err(io(format!("moving the file to {}", out.display())))?;
	tracing::info!(file = %name, out = %out.display(), bytes = record.size, "file written and checked against its CID");
	Ok(report)
}

/// Check that the bytes at `path` have CID `expected`: by hashing them for a raw-codec CID,
/// otherwise by adding them to the local IPFS daemon the way `cairn put` did (same defaults)
/// and comparing (the pin is removed again unless the daemon had it pinned already).
async fn check_cid<I: Ipfs>(ipfs: &I, expected: &Cid, path: &Path) -> crate::Result<()> {
	if let Some(digest) = cid::raw_sha256_digest(expected) {
		let path = path.to_path_buf();
		let found = tokio::task::spawn_blocking(move || -> std::io::Result<[u8; 32]> {
			let mut hasher = cid::Sha256Writer::default();
			std::io::copy(&mut BufReader::new(File::open(path)?), &mut hasher)?;
			Ok(hasher.finish())
		})
		.await?
		.map_err(|e| crate::Error::io("hashing the decoded file", e))?;
		if found != digest {
			return Err(Error::CidMismatch {
				expected: expected.to_string(),
				found: format!("sha2-256 {}", hex::encode(found)),
			}
			.into());
		}
		return Ok(());
	}
	let was_pinned = ipfs.pin_ls().await?.iter().any(|c| cid::same(c, expected));
	let file = File::open(path).map_err(io(format!("opening {}", path.display())))?;
	let added = ipfs.add(file).await?;
	if !was_pinned && cid::same(&added.cid, expected) {
		ipfs.pin_rm(&added.cid).await?;
	}
	if !cid::same(&added.cid, expected) {
		ipfs.pin_rm(&added.cid).await?;
		return Err(Error::CidMismatch {
			expected: expected.to_string(),
			found: added.cid.to_string(),
		}
		.into());
	}
	Ok(())
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
	use super::*;
	use crate::{
		chain::PieceContent,
		testing::{FakeChain, FakeIpfs},
	};

	fn bytes(len: usize) -> Vec<u8> {
		(0..len).map(|i| (i * 13 % 256) as u8).collect()
	}

	/// A file of `len` bytes placed by the worker on a fake chain with `k`, `n`.
	async fn placed(len: usize, k: u32, n: u32) -> (FakeChain, FakeIpfs, Vec<u8>, Vec<u8>) {
		let ipfs = FakeIpfs::default();
		let data = bytes(len);
		let file_cid = ipfs.put(&data);
		let chain = FakeChain::worker();
		chain.pin(&file_cid, len as u64, k, n);
		let dir = tempfile::tempdir().expect("tempdir");
		crate::worker::place_file(&chain, &ipfs, dir.path(), &file_cid).await.expect("placed");
		(chain, ipfs, data, file_cid)
	}

	#[tokio::test]
	async fn decodes_from_intact_pieces_skipping_a_corrupt_one() {
		let (chain, ipfs, data, file_cid) = placed(300_000, 2, 4).await;
		// Piece 0's bytes in IPFS are replaced by garbage under its CID's entry.
		let info = chain.file_now(&file_cid);
		let piece0 = info.pieces[0].1.content.clone().expect("reported");
		let mut garbage = ipfs.get(&piece0.cid).expect("piece");
		garbage[10] ^= 0xff;
		let corrupted = FakeIpfs::default();
		for (_, piece) in &info.pieces {
			let c = piece.content.as_ref().expect("reported");
			corrupted.put_as(&c.cid, &ipfs.get(&c.cid).expect("piece"));
		}
		corrupted.put_as(&piece0.cid, &garbage);
		corrupted.put(&data);
		let dir = tempfile::tempdir().expect("tempdir");
		let out = dir.path().join("out");
		let content = cid::from_bytes(&file_cid).expect("cid");
		let report = get_file(&chain, &corrupted, &content, &info, &out, &GetOptions::default())
			.await
			.expect("decodes");
		assert_eq!(report.corrupt, vec![0]);
		assert_eq!(report.used, vec![1, 2]);
		assert_eq!(std::fs::read(&out).expect("out"), data);
		// Only the output is left behind.
		assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
	}

	#[tokio::test]
	async fn too_few_intact_pieces_is_an_error_and_writes_nothing() {
		let (chain, _ipfs, _data, file_cid) = placed(10_000, 2, 3).await;
		let mut info = chain.file_now(&file_cid);
		// Pretend two roots on-chain differ from the pieces: both are "corrupt".
		for (_, piece) in info.pieces.iter_mut().take(2) {
			let content = piece.content.as_mut().expect("reported");
			*content = PieceContent { root: [9; 32], ..content.clone() };
		}
		let (_, ipfs, _, _) = placed(10_000, 2, 3).await;
		let dir = tempfile::tempdir().expect("tempdir");
		let out = dir.path().join("out");
		let content = cid::from_bytes(&file_cid).expect("cid");
		let error = get_file(&chain, &ipfs, &content, &info, &out, &GetOptions::default())
			.await
			.expect_err("not enough");
		assert!(
			matches!(error, crate::Error::User(Error::NotEnoughPieces { good: 1, needed: 2, .. })),
			"{error}"
		);
		assert!(!out.exists());
	}

	#[tokio::test]
	async fn pieces_on_available_operators_are_tried_first() {
		let (chain, ipfs, data, file_cid) = placed(50_000, 2, 4).await;
		for i in 1..=4u8 {
			chain.add_operator(crate::testing::account(i), &format!("/peer/{i}"));
		}
		chain.confirm_all(&file_cid);
		// Piece 0's operator is marked offline and its piece is nowhere any more.
		chain.update_operator(&crate::testing::account(1), |r| r.offline_since = Some(7));
		let info = chain.file_now(&file_cid);
		ipfs.remove(&info.pieces[0].1.content.as_ref().expect("reported").cid);
		let dir = tempfile::tempdir().expect("tempdir");
		let out = dir.path().join("out");
		let content = cid::from_bytes(&file_cid).expect("cid");
		let options = GetOptions { piece_timeout: Duration::from_secs(1) };
		let report =
			get_file(&chain, &ipfs, &content, &info, &out, &options).await.expect("decodes");
		assert_eq!(report.used, vec![1, 2]);
		assert!(report.unavailable.is_empty(), "the offline operator's piece was not even tried");
		assert_eq!(std::fs::read(&out).expect("out"), data);
		assert_eq!(ipfs.connects(), vec!["/peer/2".to_string(), "/peer/3".to_string()]);
	}
}
