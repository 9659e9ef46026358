//! The Cairn storage worker inside the node: `cairn-node --storage-worker`.
//!
//! The node runs `cairn_cli::worker::run` as one of its tasks: the same worker as
//! `cairn worker run` (placement, repair, operator health probes), talking to this node over its
//! own WebSocket RPC and to the IPFS daemon at `--ipfs-api`. It signs with one sr25519 key:
//!
//! 1. `--storage-worker-key <SURI>` if given (`//Alice` on a dev chain, or a seed phrase);
//! 2. otherwise the one key of type `cwkr` in the node's keystore, put there with
//!    `cairn-node key insert --key-type cwkr --scheme sr25519 --suri "<phrase>"` (with the
//!    same `--base-path`/`--chain`; a keystore password applies as for every key);
//! 3. otherwise, on a development chain only, `//Alice` (the dev chain's storage worker).
//!
//! The account must be a storage worker on-chain (`Storage.add_storage_worker`, or the genesis
//! `storageWorkers`); the worker warns at start when it is not. The worker's task is not
//! essential: if it fails, the node keeps running and says why.

use cairn_cli::{chain::Signer, worker, Shutdown};
use sc_service::{config::KeystoreConfig, ChainType, Configuration};
use sp_core::crypto::ExposeSecret;
use std::{path::PathBuf, time::Duration};

/// The keystore key type of the storage worker's key.
pub const KEY_TYPE: [u8; 4] = *b"cwkr";

/// The node's storage worker options.
#[derive(Debug, Clone, clap::Args)]
pub struct StorageWorkerParams {
	/// Run the Cairn storage worker inside this node: encode and place pinned files, rebuild
	/// the pieces repair moves, probe the operators' IPFS peers.
	#[arg(long)]
	pub storage_worker: bool,

	/// IPFS RPC API of the storage worker's IPFS daemon.
	#[arg(long, value_name = "URL", default_value = "http://127.0.0.1:5001")]
	pub ipfs_api: String,

	/// Secret URI of the storage worker's sr25519 key (`//Alice` on a dev chain, or a seed
	/// phrase). Without it, the node's keystore key of type `cwkr` is used.
	#[arg(long, value_name = "SURI")]
	pub storage_worker_key: Option<String>,

	/// Seconds between two rounds of operator health probes (0: no probes).
	#[arg(long, value_name = "SECONDS", default_value_t = 60)]
	pub storage_worker_probe_interval: u64,

	/// Scratch directory for encoding and repairs (default: `storage-worker` in the chain's
	/// data directory).
	#[arg(long, value_name = "PATH")]
	pub storage_worker_dir: Option<PathBuf>,
}

/// A storage worker ready to start once the RPC server listens.
pub struct Prepared {
	signer: Signer,
	ipfs_api: String,
	work_dir: PathBuf,
	probe_interval: Duration,
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The key of type `cwkr` in the keystore at `path`, if there is exactly one.
fn key_from_keystore(
	path: &std::path::Path,
	password: Option<&str>,
) -> Result<Option<Signer>, String> {
	let prefix = hex(&KEY_TYPE);
	let entries = match std::fs::read_dir(path) {
		Ok(entries) => entries,
		Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
		Err(error) => return Err(format!("cannot read the keystore {}: {error}", path.display())),
	};
	let mut keys = Vec::new();
	for entry in entries.flatten() {
		let name = entry.file_name().to_string_lossy().into_owned();
		if let Some(public) = name.strip_prefix(&prefix) {
			if public.len() == 64 {
				keys.push((entry.path(), public.to_string()));
			}
		}
	}
	let (file, public) = match keys.len() {
		0 => return Ok(None),
		1 => keys.remove(0),
		n => {
			return Err(format!(
				"{n} storage worker keys (type cwkr) in {}: keep one, or pass --storage-worker-key",
				path.display()
			))
		}
	};
	let text = std::fs::read_to_string(&file)
		.map_err(|e| format!("cannot read {}: {e}", file.display()))?;
	let phrase: String = serde_json::from_str(&text)
		.map_err(|e| format!("{} is not a keystore entry: {e}", file.display()))?;
	// The keystore's password applies to every key in it, as `///password` of a secret URI.
	let suri = match password {
		Some(password) => format!("{phrase}///{password}"),
		None => phrase,
	};
	let signer = cairn_cli::chain::signer_from_suri(&suri)
		.map_err(|e| format!("the cwkr key in {}: {e}", path.display()))?;
	if hex(&signer.public_key().0) != public {
		return Err(format!(
			"the cwkr key in {} does not match its public key (wrong keystore password?)",
			file.display()
		));
	}
	Ok(Some(signer))
}

/// Resolve the storage worker's key and settings from the command line and the node's
/// configuration (`None` without `--storage-worker`).
pub fn prepare(
	params: &StorageWorkerParams,
	config: &Configuration,
) -> Result<Option<Prepared>, String> {
	if !params.storage_worker {
		return Ok(None);
	}
	let signer = if let Some(suri) = &params.storage_worker_key {
		log::info!("🪨 Storage worker key: from --storage-worker-key");
		cairn_cli::chain::signer_from_suri(suri)
			.map_err(|e| format!("--storage-worker-key: {e}"))?
	} else {
		let from_keystore = match &config.keystore {
			KeystoreConfig::Path { path, password } => {
				key_from_keystore(path, password.as_ref().map(|p| p.expose_secret().as_str()))?
			}
			KeystoreConfig::InMemory => None,
		};
		match from_keystore {
			Some(signer) => {
				log::info!("🪨 Storage worker key: the keystore's cwkr key");
				signer
			}
			None if config.chain_spec.chain_type() == ChainType::Development => {
				log::warn!(
					"🪨 Storage worker key: //Alice (development chain, no --storage-worker-key and no cwkr key in the keystore)"
				);
				cairn_cli::chain::signer_from_suri("//Alice").map_err(|e| e.to_string())?
			}
			None => {
				return Err("--storage-worker needs a key: --storage-worker-key <SURI>, or a cwkr key in the keystore (`cairn-node key insert --key-type cwkr --scheme sr25519 --suri ...`)".into())
			}
		}
	};
	let work_dir = params
		.storage_worker_dir
		.clone()
		.unwrap_or_else(|| config.data_path.join("storage-worker"));
	Ok(Some(Prepared {
		signer,
		ipfs_api: params.ipfs_api.clone(),
		work_dir,
		probe_interval: Duration::from_secs(params.storage_worker_probe_interval),
	}))
}

/// The WebSocket URL of the node's own RPC server, from its listen addresses
/// (`/ip4/127.0.0.1/tcp/9944/ws`); an unspecified address is reached on loopback.
pub fn local_rpc_url(listen_addresses: &[String]) -> Option<String> {
	listen_addresses.iter().find_map(|address| {
		let parts: Vec<&str> = address.split('/').collect();
		let host = match parts.get(1..3)? {
			["ip4", "0.0.0.0"] => "127.0.0.1".to_string(),
			["ip4", ip] => ip.to_string(),
			["ip6", "::"] => "[::1]".to_string(),
			["ip6", ip] => format!("[{ip}]"),
			_ => return None,
		};
		let port: u16 = match parts.get(3..5)? {
			["tcp", port] => port.parse().ok()?,
			_ => return None,
		};
		Some(format!("ws://{host}:{port}"))
	})
}

/// Triggers the worker's shutdown when the node drops its task.
struct StopOnDrop(Shutdown);

impl Drop for StopOnDrop {
	fn drop(&mut self) {
		self.0.trigger();
	}
}

impl Prepared {
	/// The worker's task, talking to the node at `rpc_url`.
	pub fn task(self, rpc_url: String) -> impl std::future::Future<Output = ()> + Send + 'static {
		let mut config = worker::Config::new(rpc_url.clone(), self.signer, self.ipfs_api.clone());
		config.work_dir = Some(self.work_dir);
		config.probe_interval = self.probe_interval;
		let account = cairn_cli::chain::account_of(&config.signer);
		log::info!("🪨 Storage worker {account} starting: node {rpc_url}, IPFS {}", self.ipfs_api);
		async move {
			let shutdown = Shutdown::new();
			let _stop = StopOnDrop(shutdown.clone());
			match worker::run(config, shutdown).await {
				Ok(()) => log::info!("🪨 Storage worker stopped"),
				Err(error) => log::error!("🪨 Storage worker failed: {error}"),
			}
		}
	}
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
	use super::*;

	#[test]
	fn the_rpc_url_comes_from_the_listen_addresses() {
		let url = |a: &[&str]| local_rpc_url(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
		assert_eq!(url(&["/ip4/127.0.0.1/tcp/9944"]), Some("ws://127.0.0.1:9944".into()));
		assert_eq!(url(&["/ip4/127.0.0.1/tcp/9944/ws"]), Some("ws://127.0.0.1:9944".into()));
		assert_eq!(url(&["/ip4/0.0.0.0/tcp/9945/ws"]), Some("ws://127.0.0.1:9945".into()));
		assert_eq!(url(&["/ip6/::/tcp/9946/ws"]), Some("ws://[::1]:9946".into()));
		assert_eq!(
			url(&["/dns/x/tcp/1", "/ip4/10.0.0.1/tcp/2/ws"]),
			Some("ws://10.0.0.1:2".into())
		);
		assert_eq!(url(&[]), None);
	}

	#[test]
	fn the_keystore_key_is_found_and_checked() {
		let dir = std::env::temp_dir().join(format!("cairn-node-keystore-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		std::fs::create_dir_all(&dir).expect("dir");
		assert!(key_from_keystore(&dir, None).expect("empty").is_none());
		let phrase = "//Alice";
		let signer = cairn_cli::chain::signer_from_suri(phrase).expect("suri");
		let file = dir.join(format!("{}{}", hex(&KEY_TYPE), hex(&signer.public_key().0)));
		std::fs::write(&file, serde_json::to_string(phrase).expect("json")).expect("write");
		// Another key type is ignored.
		std::fs::write(dir.join(format!("{}{}", hex(b"babe"), "00".repeat(32))), "\"x\"")
			.expect("write");
		let found = key_from_keystore(&dir, None).expect("read").expect("found");
		assert_eq!(found.public_key().0, signer.public_key().0);
		// With a password the key is another one: the public key no longer matches.
		assert!(key_from_keystore(&dir, Some("secret")).is_err());
		let _ = std::fs::remove_dir_all(&dir);
	}
}
