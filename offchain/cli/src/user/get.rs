//! `cairn get <cid> -o <file>`: fetch any `k` intact pieces, decode, check against the CID.

use super::Error;
use crate::{
	chain::{ChainApi, Client, FileInfo},
	cid::{self, Cid},
	fetch::{ranked_sources, Fetched},
	layout::PieceLayout,
};
use cairn_crypt::KeyWrapper;
use cairn_erasure::PieceReader;
use cairn_ipfs::Ipfs;
use std::{
	fs::File,
	io::{BufReader, BufWriter, Write},
	path::{Path, PathBuf},
	sync::Arc,
	time::Duration,
};

/// What `get` is asked to do.
#[derive(Clone, Debug)]
pub struct GetOptions {
	/// Longest wait for one piece to arrive.
	pub piece_timeout: Duration,
	/// The owner's key wrapper, to decrypt an encrypted file (not needed for a public one).
	pub secret: Option<Arc<KeyWrapper>>,
}

impl Default for GetOptions {
	fn default() -> Self {
		Self { piece_timeout: Duration::from_secs(120), secret: None }
	}
}

/// What `get` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetReport {
	/// Bytes written (the plaintext, for an encrypted file).
	pub size: u64,
	/// Whether the file was stored encrypted (and was decrypted here).
	pub encrypted: bool,
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

	// Without the owner's secret an encrypted file cannot be read: say so before fetching.
	let key = match (&record.wrapped_key, &options.secret) {
		(None, _) => None,
		(Some(_), None) => return Err(Error::SecretNeeded(name).into()),
		(Some(wrapped), Some(wrapper)) => Some(wrapper.unwrap(wrapped)?),
	};
	let mut report = GetReport {
		size: record.size,
		encrypted: key.is_some(),
		used: vec![],
		corrupt: vec![],
		unavailable: vec![],
	};
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
	let done = match key {
		None => partial,
		Some(key) => {
			// The ciphertext matches its CID; decrypting also authenticates every chunk, and a
			// failure leaves only the scratch directory (removed), never plaintext at `out`.
			let plain = scratch.0.join("plain");
			let (from, to) = (partial.clone(), plain.clone());
			report.size = tokio::task::spawn_blocking(move || -> crate::Result<u64> {
				let input = File::open(&from).map_err(io(format!("opening {}", from.display())))?;
				let output = File::create(&to).map_err(io(format!("creating {}", to.display())))?;
				let mut output = BufWriter::new(output);
				let written = cairn_crypt::decrypt(&key, BufReader::new(input), &mut output)?;
				output.flush().map_err(io(format!("writing {}", to.display())))?;
				Ok(written)
			})
			.await??;
			tracing::info!(file = %name, bytes = report.size, "decrypted with the owner's key");
			plain
		}
	};
	std::fs::rename(&done, out).map_err(io(format!("moving the file to {}", out.display())))?;
	tracing::info!(file = %name, out = %out.display(), bytes = report.size, "file written and checked against its CID");
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

	fn with_secret(suri: &str) -> GetOptions {
		let wrapper = crate::secret::key_wrapper(suri).expect("secret");
		GetOptions { secret: Some(std::sync::Arc::new(wrapper)), ..GetOptions::default() }
	}

	#[tokio::test]
	async fn an_encrypted_file_is_decrypted_with_its_owners_secret_only() {
		let data = bytes(200_000);
		let key = cairn_crypt::FileKey::generate().expect("key");
		let mut ciphertext = Vec::new();
		cairn_crypt::encrypt(&key, &data[..], &mut ciphertext).expect("encrypts");
		let ipfs = FakeIpfs::default();
		let file_cid = ipfs.put(&ciphertext);
		let chain = FakeChain::worker();
		chain.pin(&file_cid, ciphertext.len() as u64, 2, 3);
		let dir = tempfile::tempdir().expect("tempdir");
		crate::worker::place_file(&chain, &ipfs, dir.path(), &file_cid).await.expect("placed");
		let mut info = chain.file_now(&file_cid);
		let wrapped =
			crate::secret::key_wrapper("//Ferdie").expect("secret").wrap(&key).expect("wraps");
		info.record.wrapped_key = Some(wrapped.clone());
		let content = cid::from_bytes(&file_cid).expect("cid");
		let out_dir = tempfile::tempdir().expect("tempdir");
		let out = out_dir.path().join("out");

		let got = get_file(&chain, &ipfs, &content, &info, &out, &with_secret("//Ferdie"))
			.await
			.expect("decrypts");
		assert!(got.encrypted);
		assert_eq!(got.size, data.len() as u64);
		assert_eq!(std::fs::read(&out).expect("out"), data);
		std::fs::remove_file(&out).expect("rm");

		// Another secret, no secret, an unknown key format: typed errors, nothing written.
		let error = get_file(&chain, &ipfs, &content, &info, &out, &with_secret("//Eve"))
			.await
			.expect_err("wrong secret");
		assert!(matches!(error, crate::Error::Crypt(cairn_crypt::Error::WrongSecret)), "{error}");
		let error = get_file(&chain, &ipfs, &content, &info, &out, &GetOptions::default())
			.await
			.expect_err("no secret");
		assert!(matches!(error, crate::Error::User(Error::SecretNeeded(_))), "{error}");
		let mut future = wrapped;
		future[0] = 9;
		info.record.wrapped_key = Some(future);
		let error = get_file(&chain, &ipfs, &content, &info, &out, &with_secret("//Ferdie"))
			.await
			.expect_err("unknown version");
		assert!(
			matches!(error, crate::Error::Crypt(cairn_crypt::Error::UnsupportedVersion(9))),
			"{error}"
		);
		assert_eq!(std::fs::read_dir(out_dir.path()).expect("dir").count(), 0, "nothing written");
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
		let options = GetOptions { piece_timeout: Duration::from_secs(1), secret: None };
		let report =
			get_file(&chain, &ipfs, &content, &info, &out, &options).await.expect("decodes");
		assert_eq!(report.used, vec![1, 2]);
		assert!(report.unavailable.is_empty(), "the offline operator's piece was not even tried");
		assert_eq!(std::fs::read(&out).expect("out"), data);
		assert_eq!(ipfs.connects(), vec!["/peer/2".to_string(), "/peer/3".to_string()]);
	}
}
