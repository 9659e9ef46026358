//! A real `cairn-node --dev` on loopback for integration tests, killed when dropped.

#![allow(clippy::expect_used, dead_code)]

use cairn_cli::chain::{self, Client};
use std::{
	net::TcpListener,
	path::PathBuf,
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// The node binary: `$CAIRN_NODE`, else `$CARGO_TARGET_DIR/debug/cairn-node`, else
/// `~/.cache/cairn/target/debug/cairn-node` (the project's default target dir).
pub fn node_binary() -> PathBuf {
	if let Some(path) = std::env::var_os("CAIRN_NODE") {
		return PathBuf::from(path);
	}
	let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| {
		PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/cairn/target")
	});
	target.join("debug/cairn-node")
}

fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// A running dev node.
pub struct DevNode {
	child: Option<Child>,
	base: PathBuf,
	log: PathBuf,
	pub url: String,
}

impl DevNode {
	/// Start `cairn-node --dev` on loopback and wait (polling, up to 4 minutes) until its RPC
	/// answers with a Cairn runtime.
	pub async fn start(tag: &str) -> (Self, Client) {
		Self::start_with(tag, &[]).await
	}

	/// Like [`DevNode::start`], with extra command-line arguments.
	pub async fn start_with(tag: &str, extra: &[&str]) -> (Self, Client) {
		// `RUST_LOG=cairn_cli=debug` shows what the client does.
		cairn_cli::logging::init(false);
		let bin = node_binary();
		assert!(
			bin.exists(),
			"cairn-node not found at {}: build it with `cargo build -p cairn-node` or set CAIRN_NODE",
			bin.display()
		);
		let base = std::env::temp_dir().join(format!("cairn-cli-{tag}-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&base);
		std::fs::create_dir_all(&base).expect("base dir");
		let log = base.join("node.log");
		let rpc_port = free_port();
		let p2p_port = free_port();
		let out = std::fs::File::create(&log).expect("log file");
		let err = out.try_clone().expect("log handle");
		let child = Command::new(&bin)
			.args(["--dev", "--no-telemetry", "--no-prometheus", "--no-mdns"])
			.arg("--base-path")
			.arg(&base)
			.args(["--rpc-port", &rpc_port.to_string()])
			.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{p2p_port}")])
			.args(extra)
			.stdout(Stdio::from(out))
			.stderr(Stdio::from(err))
			.spawn()
			.expect("cairn-node starts");
		let mut node =
			Self { child: Some(child), base, log, url: format!("ws://127.0.0.1:{rpc_port}") };
		let start = Instant::now();
		loop {
			// The RPC server may fall back to another port if this one was taken meanwhile.
			if let Some(port) = node.port_from_log() {
				node.url = format!("ws://127.0.0.1:{port}");
			}
			if let Ok(client) = Client::connect(&node.url).await {
				return (node, client);
			}
			if let Some(child) = node.child.as_mut() {
				if let Ok(Some(status)) = child.try_wait() {
					panic!(
						"cairn-node exited with {status} before answering; log:\n{}",
						node.log_tail()
					);
				}
			}
			assert!(
				start.elapsed() < Duration::from_secs(240),
				"cairn-node RPC did not answer within 240 s; log:\n{}",
				node.log_tail()
			);
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
	}

	fn port_from_log(&self) -> Option<u16> {
		let text = std::fs::read_to_string(&self.log).ok()?;
		let at = text.find("Running JSON-RPC server: addr=127.0.0.1:")?;
		let rest = &text[at + "Running JSON-RPC server: addr=127.0.0.1:".len()..];
		rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
	}

	/// The node's whole log so far.
	pub fn log(&self) -> String {
		std::fs::read_to_string(&self.log).unwrap_or_default()
	}

	/// The last lines of the node's log.
	pub fn log_tail(&self) -> String {
		let text = std::fs::read_to_string(&self.log).unwrap_or_default();
		let lines: Vec<&str> = text.lines().collect();
		lines[lines.len().saturating_sub(40)..].join("\n")
	}

	/// A client of this node signing as `suri`.
	pub async fn signed(&self, suri: &str) -> Client {
		Client::connect(&self.url)
			.await
			.expect("connects")
			.with_signer(chain::signer_from_suri(suri).expect("valid suri"))
	}
}

impl Drop for DevNode {
	fn drop(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
		if std::thread::panicking() {
			eprintln!("cairn-node log ({}):\n{}", self.log.display(), self.log_tail());
		}
		let _ = std::fs::remove_dir_all(&self.base);
	}
}

/// The dev accounts used as operators, with their regions (three regions for four operators).
pub const OPERATORS: [(&str, &str); 4] =
	[("//Bob", "eu-west"), ("//Charlie", "us-east"), ("//Dave", "ap-south"), ("//Eve", "eu-west")];

/// Two more endowed dev accounts, for tests that need spare operators (repair).
pub const MORE_OPERATORS: [(&str, &str); 2] =
	[("//Bob//stash", "us-east"), ("//Charlie//stash", "ap-south")];
