//! What the agent remembers across restarts: the pieces it holds (or waits for) and the CID it
//! pinned for each, so that a piece released while the agent was down is still unpinned.
//!
//! One JSON file, `<state dir>/agent.json`, replaced atomically (written aside, then renamed)
//! after every change.

use serde::{Deserialize, Serialize};
use std::{
	collections::BTreeMap,
	path::{Path, PathBuf},
};

/// A piece the operator holds or was assigned.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldPiece {
	/// The file's canonical CID (hex).
	pub file: String,
	/// The piece's index.
	pub index: u32,
	/// The piece's own CID (text) once pinned locally.
	pub pinned: Option<String>,
	/// Whether the chain has our confirmation.
	pub confirmed: bool,
}

/// The agent's persisted state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
	/// Held pieces by key `<file hex>/<index>`.
	pub pieces: BTreeMap<String, HeldPiece>,
}

impl State {
	/// The key of piece `index` of `file`.
	pub fn key(file: &[u8], index: u32) -> String {
		format!("{}/{index}", hex::encode(file))
	}

	/// The held pieces of `file`.
	pub fn pieces_of(&self, file: &[u8]) -> Vec<HeldPiece> {
		let prefix = format!("{}/", hex::encode(file));
		self.pieces
			.range(prefix.clone()..)
			.take_while(|(k, _)| k.starts_with(&prefix))
			.map(|(_, p)| p.clone())
			.collect()
	}

	/// The files with held pieces (binary CIDs).
	pub fn files(&self) -> Vec<Vec<u8>> {
		let mut files: Vec<Vec<u8>> =
			self.pieces.values().filter_map(|p| hex::decode(&p.file).ok()).collect();
		files.dedup();
		files
	}

	/// Whether a held piece other than `except` is pinned as `piece_cid`.
	pub fn other_holder_of(&self, piece_cid: &str, except: &str) -> bool {
		self.pieces.iter().any(|(k, p)| k != except && p.pinned.as_deref() == Some(piece_cid))
	}
}

/// The state file of a state directory.
#[derive(Clone, Debug)]
pub struct Store {
	path: PathBuf,
}

impl Store {
	/// The store in `dir` (created if missing).
	pub fn open(dir: &Path) -> std::io::Result<Self> {
		std::fs::create_dir_all(dir)?;
		Ok(Self { path: dir.join("agent.json") })
	}

	/// The saved state, or an empty one if none was saved.
	pub fn load(&self) -> std::io::Result<State> {
		match std::fs::read(&self.path) {
			Ok(bytes) => serde_json::from_slice(&bytes)
				.map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
			Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
			Err(error) => Err(error),
		}
	}

	/// Replace the saved state atomically.
	pub fn save(&self, state: &State) -> std::io::Result<()> {
		let aside = self.path.with_extension("json.tmp");
		let bytes = serde_json::to_vec_pretty(state)
			.map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
		std::fs::write(&aside, bytes)?;
		std::fs::rename(&aside, &self.path)
	}
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
	use super::*;

	#[test]
	fn state_survives_a_restart() {
		let dir = tempfile::tempdir().expect("tempdir");
		let store = Store::open(dir.path()).expect("store");
		assert_eq!(store.load().expect("empty"), State::default());
		let mut state = State::default();
		let key = State::key(&[1, 2], 3);
		state.pieces.insert(
			key.clone(),
			HeldPiece {
				file: "0102".into(),
				index: 3,
				pinned: Some("bafk".into()),
				confirmed: true,
			},
		);
		state.pieces.insert(
			State::key(&[1, 3], 0),
			HeldPiece { file: "0103".into(), ..Default::default() },
		);
		store.save(&state).expect("saved");
		let loaded = Store::open(dir.path()).expect("store").load().expect("loaded");
		assert_eq!(loaded, state);
		assert_eq!(loaded.pieces_of(&[1, 2]).len(), 1);
		assert_eq!(loaded.files(), vec![vec![1, 2], vec![1, 3]]);
		assert!(!loaded.other_holder_of("bafk", &key));
	}
}
