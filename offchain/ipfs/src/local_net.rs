//! Real IPFS daemons on 127.0.0.1 for tests, started and stopped by `scripts/ipfs.sh`.
//!
//! [`LocalIpfs::start`] runs `scripts/ipfs.sh start N --dir <fresh temp dir> --owner-pid <this
//! process>`: N js-ipfs daemons on kernel-chosen loopback ports, connected pairwise. Dropping the
//! [`LocalIpfs`] stops them and removes the directory, also when the test panicked; if the test
//! process dies without unwinding, the script's watcher stops them. Several networks can run
//! side by side (own directory, own ports). Blocking calls: use them outside or at the start of
//! an async test, never in a hot path.
//!
//! Set `CAIRN_IPFS_KEEP=1` to keep the directory (repos and daemon logs) after the run.

use crate::KuboClient;
use serde::Deserialize;
use std::{
	path::{Path, PathBuf},
	process::Command,
	sync::atomic::{AtomicU32, Ordering},
	time::{SystemTime, UNIX_EPOCH},
};

/// Why a local network did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalNetError {
	/// The js-ipfs npm package is not installed in `offchain/ipfs/daemon`.
	#[error("js-ipfs is not installed ({0} missing): run scripts/bootstrap.sh, which runs `npm ci --ignore-scripts` in offchain/ipfs/daemon")]
	NotInstalled(PathBuf),
	/// `scripts/ipfs.sh start` failed; its output says why.
	#[error("scripts/ipfs.sh start failed: {0}")]
	Start(String),
	/// The state file the script writes could not be read.
	#[error("cannot read {0}: {1}")]
	State(PathBuf, String),
	/// Running the script failed.
	#[error("cannot run scripts/ipfs.sh: {0}")]
	Io(#[from] std::io::Error),
}

/// One daemon of a [`LocalIpfs`] network, as `scripts/ipfs.sh` describes it in `daemons.json`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct LocalDaemon {
	/// `ipfs0`, `ipfs1`, …
	pub name: String,
	/// RPC API, `http://127.0.0.1:<port>`.
	pub api: String,
	/// Swarm address with peer id, `/ip4/127.0.0.1/tcp/<port>/p2p/<peer id>`.
	pub swarm: String,
	/// Read-only gateway, `http://127.0.0.1:<port>`.
	pub gateway: String,
	/// Peer id from the repo config.
	pub peer_id: String,
	/// PID of the daemon process.
	pub pid: u32,
	/// The daemon's repo (`IPFS_PATH`).
	pub repo: PathBuf,
	/// The daemon's log.
	pub log: PathBuf,
}

#[derive(Deserialize)]
struct State {
	daemons: Vec<LocalDaemon>,
}

/// A running local network of IPFS daemons, stopped on drop.
#[derive(Debug)]
pub struct LocalIpfs {
	dir: PathBuf,
	daemons: Vec<LocalDaemon>,
	stopped: bool,
}

/// The work tree's root: `$CAIRN_ROOT` (the scripts export it), else two levels above the
/// running test's package (`cargo test` sets `CARGO_MANIFEST_DIR` at run time; Cairn's crates
/// that use this live at `offchain/<crate>`), else two above this crate as it was compiled. The
/// compile-time path comes last because a shared target directory may hold this crate built
/// from another checkout (cargo reuses artifacts across work-tree locations).
fn cairn_root() -> PathBuf {
	let has_script = |root: &Path| root.join("scripts/ipfs.sh").is_file();
	if let Some(root) = std::env::var_os("CAIRN_ROOT") {
		return PathBuf::from(root);
	}
	if let Some(package) = std::env::var_os("CARGO_MANIFEST_DIR") {
		let root = Path::new(&package).join("../..");
		if has_script(&root) {
			return root;
		}
	}
	Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl LocalIpfs {
	/// Starts `n` connected daemons in a fresh temporary directory.
	///
	/// # Errors
	/// [`LocalNetError::NotInstalled`] when the npm package is missing; otherwise what the script
	/// reported.
	pub fn start(n: usize) -> Result<Self, LocalNetError> {
		static NEXT: AtomicU32 = AtomicU32::new(0);
		let nanos =
			SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
		let dir = std::env::temp_dir().join(format!(
			"cairn-ipfs-{}-{}-{nanos}",
			std::process::id(),
			NEXT.fetch_add(1, Ordering::Relaxed)
		));
		Self::start_in(n, &dir)
	}

	/// Starts `n` connected daemons with repos and logs under `dir` (removed again on drop).
	///
	/// # Errors
	/// As [`LocalIpfs::start`].
	pub fn start_in(n: usize, dir: &Path) -> Result<Self, LocalNetError> {
		let root = cairn_root();
		let jsipfs = root.join("offchain/ipfs/daemon/node_modules/.bin/jsipfs");
		if !jsipfs.exists() {
			return Err(LocalNetError::NotInstalled(jsipfs));
		}
		let mut net = Self { dir: dir.to_path_buf(), daemons: Vec::new(), stopped: false };
		let out = Command::new(root.join("scripts/ipfs.sh"))
			.arg("start")
			.arg(n.to_string())
			.arg("--dir")
			.arg(dir)
			.arg("--owner-pid")
			.arg(std::process::id().to_string())
			.output()?;
		if !out.status.success() {
			// `net` drops here: whatever started is stopped and the directory removed.
			let text = String::from_utf8_lossy(&out.stderr).trim().to_string();
			return Err(LocalNetError::Start(text));
		}
		let state = dir.join("daemons.json");
		let text = std::fs::read_to_string(&state)
			.map_err(|e| LocalNetError::State(state.clone(), e.to_string()))?;
		let parsed: State = serde_json::from_str(&text)
			.map_err(|e| LocalNetError::State(state.clone(), e.to_string()))?;
		net.daemons = parsed.daemons;
		Ok(net)
	}

	/// The daemons, in start order.
	pub fn daemons(&self) -> &[LocalDaemon] {
		&self.daemons
	}

	/// The directory holding repos, logs and `daemons.json`.
	pub fn dir(&self) -> &Path {
		&self.dir
	}

	/// A client for daemon `i`.
	///
	/// # Errors
	/// [`crate::Error::Unreachable`] if there is no daemon `i`.
	pub fn client(&self, i: usize) -> crate::Result<KuboClient> {
		let daemon = self.daemons.get(i).ok_or_else(|| {
			crate::Error::Unreachable(format!(
				"no daemon {i} in a network of {}",
				self.daemons.len()
			))
		})?;
		KuboClient::new(&daemon.api)
	}

	/// The last lines of every daemon's log, for failure messages.
	pub fn logs_tail(&self, lines: usize) -> String {
		let mut out = String::new();
		for d in &self.daemons {
			let text = std::fs::read_to_string(&d.log).unwrap_or_default();
			let all: Vec<&str> = text.lines().collect();
			out.push_str(&format!("---- {} ({})\n", d.name, d.log.display()));
			for line in &all[all.len().saturating_sub(lines)..] {
				out.push_str(line);
				out.push('\n');
			}
		}
		out
	}

	/// Stops the daemons (by PID, through the script) and removes the directory.
	pub fn stop(mut self) {
		self.shutdown();
	}

	fn shutdown(&mut self) {
		if self.stopped {
			return;
		}
		self.stopped = true;
		let stopped = Command::new(cairn_root().join("scripts/ipfs.sh"))
			.arg("stop")
			.arg("--dir")
			.arg(&self.dir)
			.output();
		if let Ok(out) = &stopped {
			if !out.status.success() {
				eprintln!("scripts/ipfs.sh stop: {}", String::from_utf8_lossy(&out.stderr).trim());
			}
		}
		if std::env::var_os("CAIRN_IPFS_KEEP").is_some_and(|v| v == "1") {
			eprintln!("CAIRN_IPFS_KEEP=1: keeping {}", self.dir.display());
		} else if stopped.is_ok() {
			let _ = std::fs::remove_dir_all(&self.dir);
		}
	}
}

impl Drop for LocalIpfs {
	fn drop(&mut self) {
		self.shutdown();
	}
}
