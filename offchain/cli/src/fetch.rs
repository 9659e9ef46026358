//! Fetching one piece from IPFS into a scratch file and checking it against the chain.
//!
//! Shared by `cairn get` (decode a file from any `k` pieces) and the storage worker's repair
//! (rebuild moved pieces from any `k` pieces). A piece is only ever used once its bytes match
//! the size and Merkle root recorded on-chain: IPFS checks that blocks match their CIDs when it
//! fetches them from peers, but not what a daemon reads from its own disk, and a piece CID says
//! nothing about which piece of which file it is.

use crate::{
	chain::{AccountId, ChainApi, FileInfo, PieceContent},
	cid,
};
use cairn_ipfs::Ipfs;
use std::{
	collections::BTreeMap,
	fs::File,
	io::{BufReader, BufWriter, Write},
	path::Path,
	time::Duration,
};

/// What fetching one piece gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fetched {
	/// The piece is at the path given, and matches its on-chain size and root.
	Good,
	/// The bytes arrived but do not match the chain (why); the file was removed.
	Corrupt(String),
	/// The piece could not be fetched (why); the file was removed.
	Unavailable(String),
}

/// How likely a piece is to be fetched quickly, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
	/// Confirmed by an operator that is available (not marked offline, not leaving).
	Available,
	/// Confirmed by an operator marked offline or leaving (or that cannot be read).
	Unavailable,
	/// Not confirmed: reported and waiting for its operator, or moved by repair (then only its
	/// previous holder or the storage worker may still have it).
	Unconfirmed,
}

impl Rank {
	/// Why a piece of this rank is tried when it is.
	pub fn describe(self) -> &'static str {
		match self {
			Self::Available => "confirmed on an available operator",
			Self::Unavailable => "confirmed on an operator marked offline or leaving",
			Self::Unconfirmed => "not confirmed (just placed, or moved by repair)",
		}
	}
}

/// A piece of a file, where to ask for it and how promising it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
	/// The piece's index.
	pub index: u32,
	/// Its content as recorded on-chain (`None`: not reported yet).
	pub content: Option<PieceContent>,
	/// Its operator.
	pub operator: AccountId,
	/// The operator's IPFS peer address, if the operator could be read.
	pub peer: Option<String>,
	/// How promising it is.
	pub rank: Rank,
}

/// The pieces of `info`, best first: by [`Rank`], then data pieces first (decoding from all
/// data pieces is a plain copy). Each operator is read once.
pub async fn ranked_sources<C: ChainApi>(chain: &C, info: &FileInfo) -> Vec<Source> {
	let mut operators: BTreeMap<AccountId, (bool, Option<String>)> = BTreeMap::new();
	let mut sources = Vec::with_capacity(info.pieces.len());
	for (index, piece) in &info.pieces {
		let (available, peer) = match operators.get(&piece.operator) {
			Some(known) => known.clone(),
			None => {
				let known = match chain.operator(&piece.operator).await {
					Ok(Some(op)) => (
						op.record.offline_since.is_none() && !op.record.is_leaving(),
						Some(op.record.peer()),
					),
					Ok(None) => (false, None),
					Err(error) => {
						tracing::debug!(operator = %piece.operator, %error, "cannot read the operator; trying its piece later");
						(false, None)
					}
				};
				operators.insert(piece.operator, known.clone());
				known
			}
		};
		let rank = if !piece.confirmed {
			Rank::Unconfirmed
		} else if available {
			Rank::Available
		} else {
			Rank::Unavailable
		};
		sources.push(Source {
			index: *index,
			content: piece.content.clone(),
			operator: piece.operator,
			peer,
			rank,
		});
	}
	sources.sort_by_key(|s| (s.rank, s.index));
	sources
}

/// Connect the local daemon to `peer` first (best effort: the piece's operator serves it by
/// Bitswap, and with routing off only connected peers are asked), then stream piece `index`
/// (`content`, as recorded on-chain) into `path` within `timeout` and check its size
/// (`piece_size`) and root. Local I/O failures are errors; everything about the piece itself is
/// an outcome.
pub async fn fetch_piece<I: Ipfs>(
	ipfs: &I,
	peer: Option<&str>,
	index: u32,
	content: &PieceContent,
	piece_size: u64,
	path: &Path,
	timeout: Duration,
) -> std::io::Result<Fetched> {
	if let Some(peer) = peer.filter(|p| !p.is_empty()) {
		match tokio::time::timeout(timeout, ipfs.swarm_connect(peer)).await {
			Ok(Ok(())) => tracing::debug!(index, %peer, "connected to the piece's operator"),
			Ok(Err(error)) => {
				tracing::debug!(index, %peer, %error, "cannot connect to the piece's operator")
			}
			Err(_) => tracing::debug!(index, %peer, "connecting to the piece's operator timed out"),
		}
	}
	let piece_cid = match cid::from_bytes(&content.cid) {
		Ok(piece_cid) => piece_cid,
		Err(error) => return Ok(Fetched::Corrupt(format!("the recorded piece CID: {error}"))),
	};
	let fetched = {
		let mut file = File::create(path)?;
		let mut writer = BufWriter::new(&mut file);
		let result = tokio::time::timeout(timeout, ipfs.cat_to(&piece_cid, &mut writer)).await;
		writer.flush()?;
		match result {
			Ok(Ok(_)) => None,
			Ok(Err(error)) => Some(format!("{piece_cid}: {error}")),
			Err(_) => Some(format!("{piece_cid} did not arrive within {timeout:?}")),
		}
	};
	if let Some(why) = fetched {
		remove(path);
		return Ok(Fetched::Unavailable(why));
	}
	let reader = BufReader::new(File::open(path)?);
	let root = content.root;
	let checked = tokio::task::spawn_blocking(move || {
		cairn_erasure::verify_piece(index as usize, reader, piece_size, &root)
	})
	.await
	.map_err(std::io::Error::other)?;
	match checked {
		Ok(()) => Ok(Fetched::Good),
		Err(error) => {
			remove(path);
			Ok(Fetched::Corrupt(error.to_string()))
		}
	}
}

fn remove(path: &Path) {
	if let Err(error) = std::fs::remove_file(path) {
		if error.kind() != std::io::ErrorKind::NotFound {
			tracing::warn!(path = %path.display(), %error, "cannot remove a scratch file");
		}
	}
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
	use super::*;
	use crate::testing::FakeIpfs;
	use cairn_storage_primitives::{piece_root, LEAF_SIZE};

	#[tokio::test]
	async fn good_corrupt_and_missing_pieces() {
		let ipfs = FakeIpfs::default();
		let bytes: Vec<u8> = (0..3 * LEAF_SIZE).map(|i| (i % 251) as u8).collect();
		let piece_cid = ipfs.put(&bytes);
		let content = PieceContent {
			cid: piece_cid.clone(),
			size: bytes.len() as u64,
			root: piece_root(&bytes).expect("root"),
		};
		let dir = tempfile::tempdir().expect("tempdir");
		let path = dir.path().join("piece");
		let size = bytes.len() as u64;
		let second = Duration::from_secs(1);
		let good = fetch_piece(&ipfs, Some("/peer"), 0, &content, size, &path, second).await;
		assert_eq!(good.expect("io"), Fetched::Good);
		assert_eq!(std::fs::read(&path).expect("piece"), bytes);
		assert_eq!(ipfs.connects(), vec!["/peer".to_string()]);

		let mut other = bytes.clone();
		other[5] ^= 1;
		ipfs.put_as(&piece_cid, &other);
		let corrupt = fetch_piece(&ipfs, None, 0, &content, size, &path, second).await;
		assert!(matches!(corrupt.expect("io"), Fetched::Corrupt(_)));
		assert!(!path.exists(), "a corrupt piece is not left behind");

		ipfs.remove(&piece_cid);
		let missing = fetch_piece(&ipfs, None, 0, &content, size, &path, second).await;
		assert!(matches!(missing.expect("io"), Fetched::Unavailable(_)));
		assert!(!path.exists());
	}
}
