//! End-to-end: a real `cairn-node --dev` on loopback authors and finalizes blocks, answers the
//! standard RPC, and shuts down cleanly on SIGINT.

#![allow(clippy::expect_used)]

use std::{
	io::{BufRead, BufReader, Read, Write},
	net::{TcpListener, TcpStream},
	path::PathBuf,
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use serde_json::{json, Value};

/// A node process that is killed if the test ends early, so no test leaves an orphan behind.
struct Node {
	child: Option<Child>,
	rpc_port: u16,
	log: PathBuf,
	_base: TempDir,
}

impl Drop for Node {
	fn drop(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
	fn new(tag: &str) -> Self {
		let dir = std::env::temp_dir().join(format!("cairn-{tag}-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		std::fs::create_dir_all(&dir).expect("temp dir is writable");
		Self(dir)
	}
}

impl Drop for TempDir {
	fn drop(&mut self) {
		let _ = std::fs::remove_dir_all(&self.0);
	}
}

fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

impl Node {
	fn start_dev() -> Self {
		let base = TempDir::new("dev-node");
		let log = base.0.join("node.log");
		let rpc_port = free_port();
		let p2p_port = free_port();
		let stdout = std::fs::File::create(&log).expect("log file");
		let stderr = stdout.try_clone().expect("log file handle");
		let child = Command::new(env!("CARGO_BIN_EXE_cairn-node"))
			.args(["--dev", "--no-telemetry", "--no-prometheus", "--no-mdns"])
			.arg("--base-path")
			.arg(&base.0)
			.args(["--rpc-port", &rpc_port.to_string()])
			.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{p2p_port}")])
			.stdout(Stdio::from(stdout))
			.stderr(Stdio::from(stderr))
			.spawn()
			.expect("cairn-node starts");
		Node { child: Some(child), rpc_port, log, _base: base }
	}

	fn log_tail(&self) -> String {
		let text = std::fs::read_to_string(&self.log).unwrap_or_default();
		let lines: Vec<&str> = text.lines().collect();
		lines[lines.len().saturating_sub(30)..].join("\n")
	}

	/// A JSON-RPC call over HTTP; `None` while the server is not up.
	fn rpc(&self, method: &str, params: Value) -> Option<Value> {
		let body =
			json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
		let mut stream = TcpStream::connect(("127.0.0.1", self.rpc_port)).ok()?;
		stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
		write!(
			stream,
			"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
			 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
			body.len()
		)
		.ok()?;
		let mut reader = BufReader::new(stream);
		let mut line = String::new();
		let mut content_length = None;
		loop {
			line.clear();
			reader.read_line(&mut line).ok()?;
			let l = line.trim_end();
			if l.is_empty() {
				break;
			}
			if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
				content_length = v.trim().parse::<usize>().ok();
			}
		}
		let mut buf = vec![0u8; content_length?];
		reader.read_exact(&mut buf).ok()?;
		let v: Value = serde_json::from_slice(&buf).ok()?;
		v.get("result").cloned()
	}

	fn wait_for<T>(
		&self,
		what: &str,
		timeout: Duration,
		mut f: impl FnMut(&Self) -> Option<T>,
	) -> T {
		let start = Instant::now();
		loop {
			if let Some(v) = f(self) {
				return v;
			}
			if start.elapsed() > timeout {
				panic!(
					"timed out after {timeout:?} waiting for {what}; node log:\n{}",
					self.log_tail()
				);
			}
			std::thread::sleep(Duration::from_millis(500));
		}
	}

	/// The header of block `hash`, or of the best block for `Value::Null`.
	fn header(&self, hash: &Value) -> Option<Value> {
		self.rpc("chain_getHeader", json!([hash]))
	}

	/// Sends SIGINT and waits for a clean exit.
	fn stop(mut self) -> std::process::ExitStatus {
		let mut child = self.child.take().expect("node is running");
		let status = Command::new("kill")
			.args(["-INT", &child.id().to_string()])
			.status()
			.expect("kill runs");
		assert!(status.success(), "SIGINT could not be sent");
		let start = Instant::now();
		loop {
			if let Some(status) = child.try_wait().expect("wait on node") {
				return status;
			}
			if start.elapsed() > Duration::from_secs(60) {
				let _ = child.kill();
				panic!("node did not exit within 60 s of SIGINT; log:\n{}", self.log_tail());
			}
			std::thread::sleep(Duration::from_millis(200));
		}
	}
}

/// The block number of a JSON-RPC header (a hex string).
fn number_of(header: &Value) -> Option<u64> {
	u64::from_str_radix(header.get("number")?.as_str()?.trim_start_matches("0x"), 16).ok()
}

#[test]
fn dev_node_authors_and_finalizes_blocks_then_stops_cleanly() {
	let node = Node::start_dev();

	// A debug build compiles the runtime with an unoptimised wasmtime first: allow for it.
	let health = node
		.wait_for("RPC to answer", Duration::from_secs(240), |n| n.rpc("system_health", json!([])));
	assert_eq!(health["shouldHavePeers"], json!(false), "a --dev node expects no peers");

	let chain = node.rpc("system_chain", json!([])).expect("system_chain answers");
	assert_eq!(chain, json!("Cairn Development"));
	let props = node.rpc("system_properties", json!([])).expect("system_properties answers");
	assert_eq!(props["tokenSymbol"], json!("CAIRN"));

	// BABE authors, GRANDPA finalizes.
	let finalized = node.wait_for("finalized height >= 3", Duration::from_secs(120), |n| {
		let head = n.rpc("chain_getFinalizedHead", json!([]))?;
		n.header(&head).as_ref().and_then(number_of).filter(|&h| h >= 3)
	});
	let header = node.header(&Value::Null).expect("best header");
	let best = number_of(&header).expect("best header has a number");
	assert!(best >= finalized, "best {best} is behind finalized {finalized}");

	// Every block carries a BABE pre-runtime digest (engine id "BABE").
	let logs = header["digest"]["logs"].as_array().expect("digest logs").clone();
	assert!(
		logs.iter().any(|l| l.as_str().is_some_and(|s| s.starts_with("0x0642414245"))),
		"no BABE pre-digest in {logs:?}"
	);

	// The database is ParityDB (the node is built without RocksDB).
	let db = node._base.0.join("chains/cairn_dev/paritydb/full");
	assert!(db.is_dir(), "no ParityDB database at {}", db.display());

	// The standard RPC set and the node's extensions (nonce, fees) are served.
	let methods = node.rpc("rpc_methods", json!([])).expect("rpc_methods answers");
	let methods: Vec<&str> =
		methods["methods"].as_array().expect("methods").iter().filter_map(|m| m.as_str()).collect();
	for m in [
		"system_health",
		"chain_getBlock",
		"state_getStorage",
		"author_submitExtrinsic",
		"payment_queryInfo",
		"system_accountNextIndex",
	] {
		assert!(methods.contains(&m), "RPC method {m} missing");
	}

	let status = node.stop();
	assert!(status.success(), "node exited with {status} on SIGINT");
}
