//! End to end on one machine, everything real: a `cairn-node --dev`, eight js-ipfs daemons
//! (`scripts/ipfs.sh` through `cairn_ipfs::local_net`), the storage worker signing as Alice
//! (the dev chain's storage worker) with fast health probes, six operator agents, and a user
//! (Ferdie). The dev `Standard` tier is `k = 2` of `n = 4`, repair threshold `m = 3`.
//!
//! 1. The user puts three files (1 byte; exactly one segment, `k x ShardSize`; several
//!    segments), waits until every piece is confirmed, and gets each back byte for byte.

//! 2. The chain audits the pieces and the agents' answers pass.
//! 3. One operator's copy of a piece is corrupted on its disk (a block file of its IPFS repo):
//!    `get` through that operator's daemon detects the corrupt piece and still returns the
//!    right bytes from other pieces.
//! 4. That operator's daemon and another operator's of the same file are stopped (`n - k`
//!    pieces gone): the worker's probes report them, the chain marks them offline, repairs the
//!    file to the spare operators, the worker rebuilds the two pieces from the two left, the
//!    spares confirm (`FileRepaired`) and the file is `Stored` again; `get` returns it.
//! 5. Encrypted files (empty, 1 byte, one encryption chunk, several segments), put as `cairn
//!    put` does by default: read back from another directory with the owner's secret only,
//!    refused with another secret or none, and no daemon holds their plaintext (a marker
//!    search, checked against a public control file whose marker is found).
//!
//! Needs the IPFS daemon package (`scripts/bootstrap.sh` installs it in offchain/ipfs/daemon)
//! and the node binary (`cargo build -p cairn-node`). About 5 minutes on 2 cores.

#![allow(clippy::expect_used)]

mod common;

use cairn_cli::{
	agent,
	chain::{self, ChainApi, Client, FileState, PinTier, StorageEvent},
	cid, user, worker, Shutdown,
};
use cairn_ipfs::{local_net::LocalIpfs, Ipfs, KuboClient};
use common::{DevNode, MORE_OPERATORS, OPERATORS};
use std::{
	path::{Path, PathBuf},
	time::{Duration, Instant},
};

fn file_bytes(len: usize, seed: u64) -> Vec<u8> {
	// Deterministic but not repetitive (so pieces differ and IPFS cannot dedup chunks).
	let mut state = 0x2545_f491_4f6c_dd1du64 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
	(0..len)
		.map(|_| {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			(state >> 24) as u8
		})
		.collect()
}

/// Chunk size IPFS adds pieces with (`cairn_ipfs`: `size-262144`, raw leaves).
const CHUNK: usize = 262_144;

/// The file holding the block of `chunk` in a js-ipfs repo: blocks are stored by multihash,
/// base32 upper case without padding, sharded by the two characters before the last.
fn block_file(repo: &Path, chunk: &[u8]) -> PathBuf {
	use sha2::Digest;
	let mut multihash = vec![0x12, 0x20];
	multihash.extend_from_slice(&sha2::Sha256::digest(chunk));
	let text = ::cid::multibase::encode(::cid::multibase::Base::Base32Upper, &multihash);
	// Without the multibase prefix ("B").
	let key = &text[1..];
	let shard = &key[key.len() - 3..key.len() - 1];
	repo.join("blocks").join(shard).join(format!("{key}.data"))
}

/// Stop a daemon this test started (through `scripts/ipfs.sh`) by its process id.
fn stop_daemon(pid: u32) {
	let _ = std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
	let start = Instant::now();
	while Path::new(&format!("/proc/{pid}")).exists() && start.elapsed() < Duration::from_secs(15) {
		std::thread::sleep(Duration::from_millis(100));
	}
	if Path::new(&format!("/proc/{pid}")).exists() {
		let _ = std::process::Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
	}
}

/// One line for a repair-related event, operators by their dev names.
fn describe(event: &StorageEvent, name: &dyn Fn(&chain::AccountId) -> String) -> String {
	let names = |who: &[chain::AccountId]| who.iter().map(name).collect::<Vec<_>>().join(", ");
	match event {
		StorageEvent::OperatorReportedOffline { who, reports, .. } => {
			format!("OperatorReportedOffline {} (reports {reports})", name(who))
		}
		StorageEvent::OperatorMarkedOffline { who, reports } => {
			format!("OperatorMarkedOffline {} (reports {reports})", name(who))
		}
		StorageEvent::FileStateChanged { from, to, .. } => {
			format!("FileStateChanged {from:?} -> {to:?}")
		}
		StorageEvent::RepairScheduled { indices, operators, .. } => {
			format!("RepairScheduled pieces {indices:?} -> [{}]", names(operators))
		}
		StorageEvent::PiecesReleased { operators, .. } => {
			let released: Vec<String> =
				operators.iter().map(|(i, o)| format!("{i}: {}", name(o))).collect();
			format!("PiecesReleased [{}]", released.join(", "))
		}
		StorageEvent::RepairReported { indices, .. } => {
			format!("RepairReported pieces {indices:?}")
		}
		StorageEvent::PieceConfirmed { index, operator, .. } => {
			format!("PieceConfirmed piece {index} by {}", name(operator))
		}
		StorageEvent::RepairDeferred { healthy, missing, .. } => {
			format!("RepairDeferred (healthy {healthy}, missing {missing})")
		}
		other => other.name().to_string(),
	}
}

/// Wait (following finalized blocks) until `cid` is in `state`.
async fn wait_for_state(reader: &Client, cid: &[u8], state: FileState, timeout: Duration) {
	let deadline = Instant::now() + timeout;
	loop {
		let info = reader.file(cid).await.expect("view").expect("pinned");
		if info.record.state == state {
			return;
		}
		assert!(
			Instant::now() < deadline,
			"{} is {:?}, not {state:?}, after {timeout:?}",
			cid::display(cid),
			info.record.state
		);
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
}

/// Get `file` through `daemon` into `dir`, check the bytes; returns the report.
async fn get_and_check(
	reader: &Client,
	daemon: &KuboClient,
	file: &cid::Cid,
	expected: &[u8],
	dir: &Path,
	ipfs: &LocalIpfs,
) -> user::GetReport {
	let output = dir.join(format!("out-{}", &file.to_string()[..16]));
	let options = user::GetOptions { piece_timeout: Duration::from_secs(60), secret: None };
	let got = user::get(reader, daemon, &file.to_string(), &output, &options)
		.await
		.unwrap_or_else(|e| panic!("get {file} failed: {e}\n{}", ipfs.logs_tail(20)));
	assert_eq!(got.size, expected.len() as u64);
	assert!(std::fs::read(&output).expect("output") == expected, "{file}: other bytes");
	std::fs::remove_file(&output).expect("cleanup");
	got
}

/// Whether any file under `dir` contains `needle`.
fn dir_contains(dir: &Path, needle: &[u8]) -> bool {
	let Ok(entries) = std::fs::read_dir(dir) else { return false };
	entries.flatten().any(|entry| {
		let path = entry.path();
		if path.is_dir() {
			dir_contains(&path, needle)
		} else {
			std::fs::read(&path).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
		}
	})
}

/// Step 1b of the test below.
async fn encrypted_files_round_trip_and_stay_private(
	reader: &Client,
	user_client: &Client,
	user_daemon: &KuboClient,
	daemons: &[cairn_ipfs::local_net::LocalDaemon],
	segment: usize,
	dir: &Path,
) {
	const SECRET: &str = "//Ferdie";
	let private_marker = b"CAIRN-PRIVATE-MARKER-7f3a9c";
	let public_marker = b"CAIRN-PUBLIC-MARKER-51d2e8";
	let wrapper = std::sync::Arc::new(cairn_cli::secret::key_wrapper(SECRET).expect("secret"));
	let encrypted = user::PutOptions {
		tier: PinTier::Standard,
		eras: 2,
		wait: true,
		timeout: Duration::from_secs(600),
		progress: false,
		encrypt_for: Some(wrapper.clone()),
	};
	let chunk = cairn_crypt::CHUNK_SIZE;
	let sizes = [0, 1, chunk, 2 * segment + 300_000];
	let mut datas = Vec::new();
	let mut inputs = Vec::new();
	for (i, size) in sizes.iter().enumerate() {
		let mut data = file_bytes(*size, 100 + i as u64);
		// The marker in every file long enough, inside the first IPFS block of piece 0.
		if data.len() >= 1000 + private_marker.len() {
			data[1000..1000 + private_marker.len()].copy_from_slice(private_marker);
		}
		let input = dir.join(format!("private-{i}.bin"));
		std::fs::write(&input, &data).expect("input");
		datas.push(data);
		inputs.push(input);
	}
	let mut control = file_bytes(300_000, 99);
	control[1000..1000 + public_marker.len()].copy_from_slice(public_marker);
	let control_input = dir.join("public-control.bin");
	std::fs::write(&control_input, &control).expect("input");
	let public = user::PutOptions { encrypt_for: None, ..encrypted.clone() };

	let mut puts = futures::future::join_all(
		inputs.iter().map(|input| user::put(user_client, user_daemon, input, &encrypted)),
	)
	.await;
	puts.push(user::put(user_client, user_daemon, &control_input, &public).await);
	let mut files = Vec::new();
	for (put, size) in puts.into_iter().zip(sizes.iter().chain([&300_000])) {
		let put = put.unwrap_or_else(|e| panic!("encrypted put of {size} bytes failed: {e}"));
		assert_eq!(put.file.record.state, FileState::Stored);
		files.push(put);
	}
	let control_put = files.pop().expect("control");
	assert!(!control_put.encrypted && control_put.file.record.wrapped_key.is_none());
	for (put, size) in files.iter().zip(sizes) {
		assert!(put.encrypted);
		// The chain records the ciphertext's size and the wrapped key, never the key.
		assert_eq!(put.size, cairn_crypt::ciphertext_len(size as u64));
		assert_eq!(put.file.record.size, put.size);
		let wrapped = put.file.record.wrapped_key.as_ref().expect("wrapped key on-chain");
		assert_eq!(wrapped.len(), cairn_crypt::WRAPPED_KEY_LEN);
		assert!(user::render_status(&put.file, None).contains("encrypted by its owner"));
	}

	// From a second, empty directory, with nothing but the secret.
	let elsewhere = dir.join("another-machine");
	std::fs::create_dir(&elsewhere).expect("dir");
	let with = |secret: Option<&str>| user::GetOptions {
		piece_timeout: Duration::from_secs(60),
		secret: secret.map(|s| std::sync::Arc::new(cairn_cli::secret::key_wrapper(s).expect("s"))),
	};
	for (i, (put, data)) in files.iter().zip(&datas).enumerate() {
		let out = elsewhere.join(format!("got-{i}"));
		let got = user::get(reader, user_daemon, &put.cid.to_string(), &out, &with(Some(SECRET)))
			.await
			.unwrap_or_else(|e| panic!("get of encrypted file {i} failed: {e}"));
		assert!(got.encrypted);
		assert_eq!(got.size, data.len() as u64);
		assert!(std::fs::read(&out).expect("output") == *data, "file {i}: other bytes");
	}
	// Another secret, or none: a clear error, and no file.
	let out = elsewhere.join("wrong");
	let error =
		user::get(reader, user_daemon, &files[3].cid.to_string(), &out, &with(Some("//Eve")))
			.await
			.expect_err("another secret cannot decrypt");
	assert!(matches!(error, cairn_cli::Error::Crypt(cairn_crypt::Error::WrongSecret)), "{error}");
	let error = user::get(reader, user_daemon, &files[3].cid.to_string(), &out, &with(None))
		.await
		.expect_err("no secret");
	assert!(matches!(error, cairn_cli::Error::User(user::Error::SecretNeeded(_))), "{error}");
	assert!(!out.exists());
	assert_eq!(std::fs::read_dir(&elsewhere).expect("dir").count(), files.len(), "nothing else");

	// No daemon (the user's, the worker's, the operators') holds the private marker; the
	// public control's marker is found, so the search does find what is there.
	for daemon in daemons {
		assert!(
			!dir_contains(&daemon.repo, private_marker),
			"{} holds plaintext of an encrypted file",
			daemon.name
		);
	}
	assert!(
		daemons[2..].iter().any(|d| dir_contains(&d.repo, public_marker)),
		"the public control file's marker is in no operator's repo: the search is broken"
	);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_stored_read_back_audited_and_repaired() {
	let t0 = Instant::now();
	let (node, reader) = DevNode::start("e2e").await;
	let all_operators: Vec<(&str, &str)> =
		OPERATORS.iter().chain(MORE_OPERATORS.iter()).copied().collect();
	let ipfs =
		LocalIpfs::start(2 + all_operators.len()).expect("IPFS daemons start (scripts/ipfs.sh)");
	let daemons = ipfs.daemons().to_vec();
	let (user_ipfs, worker_ipfs, operator_ipfs) = (&daemons[0], &daemons[1], &daemons[2..]);
	let scratch = tempfile::tempdir().expect("tempdir");
	let shutdown = Shutdown::new();
	eprintln!("[{:>5.1?}] node and {} IPFS daemons up", t0.elapsed(), daemons.len());

	// The storage worker, as cairn-node --storage-worker runs it, probing every 3 s (a block).
	let mut worker_config = worker::Config::new(
		node.url.clone(),
		chain::signer_from_suri("//Alice").expect("suri"),
		worker_ipfs.api.clone(),
	);
	worker_config.probe_interval = Duration::from_secs(3);
	worker_config.probe.timeout = Duration::from_secs(5);
	worker_config.probe.pause = Duration::from_millis(500);
	worker_config.repair.piece_timeout = Duration::from_secs(60);
	let worker_task = tokio::spawn(worker::run(worker_config, shutdown.clone()));

	// Six operators, each with its own IPFS daemon and state directory.
	let bond: u128 = reader.constant("MinOperatorBond").await.expect("constant");
	let mut agents = Vec::new();
	let mut accounts = Vec::new();
	for ((suri, region), daemon) in all_operators.iter().zip(operator_ipfs) {
		let signer = chain::signer_from_suri(suri).expect("suri");
		accounts.push(chain::account_of(&signer));
		let config = agent::Config {
			rpc_url: node.url.clone(),
			signer,
			ipfs_api: daemon.api.clone(),
			registration: agent::Registration {
				bond,
				capacity: 10 << 30,
				region: region.to_string(),
				ipfs_peer: Some(daemon.swarm.clone()),
			},
			state_dir: scratch.path().join(suri.replace('/', "_")),
			claim_interval: Duration::from_secs(3600),
			pin_timeout: Duration::from_secs(120),
		};
		agents.push(tokio::spawn(agent::run(config, shutdown.clone())));
	}
	let start = Instant::now();
	for (who, (suri, _)) in accounts.iter().zip(&all_operators) {
		while reader.operator(who).await.expect("view").is_none() {
			assert!(start.elapsed() < Duration::from_secs(180), "{suri} did not register");
			tokio::time::sleep(Duration::from_secs(1)).await;
		}
	}
	let name_of = |who: &chain::AccountId| {
		accounts
			.iter()
			.position(|a| a == who)
			.map_or_else(|| who.to_string(), |at| all_operators[at].0.to_string())
	};
	let daemon_of = |who: &chain::AccountId| {
		let at = accounts.iter().position(|a| a == who).expect("one of our operators");
		&operator_ipfs[at]
	};
	eprintln!("[{:>5.1?}] {} operators registered", t0.elapsed(), accounts.len());

	// 1. Three files: 1 byte, exactly one segment (k x ShardSize), several segments.
	let tier = reader.tier_config(PinTier::Standard).await.expect("read").expect("configured");
	let shard: u32 = reader.constant("ShardSize").await.expect("constant");
	let segment = tier.k as usize * shard as usize;
	let sizes = [1, segment, 2 * segment + 300_000];
	let user_client = node.signed("//Ferdie").await;
	let user_daemon = user::ipfs_client(&user_ipfs.api).expect("client");
	let options = user::PutOptions {
		tier: PinTier::Standard,
		eras: 2,
		wait: true,
		timeout: Duration::from_secs(600),
		progress: false,
		encrypt_for: None,
	};
	let mut datas = Vec::new();
	let mut inputs = Vec::new();
	for (i, size) in sizes.iter().enumerate() {
		let data = file_bytes(*size, i as u64);
		let input = scratch.path().join(format!("input-{i}.bin"));
		std::fs::write(&input, &data).expect("input");
		datas.push(data);
		inputs.push(input);
	}
	let puts = futures::future::join_all(
		inputs.iter().map(|input| user::put(&user_client, &user_daemon, input, &options)),
	)
	.await;
	let mut files = Vec::new();
	for (put, size) in puts.into_iter().zip(sizes) {
		let put = put.unwrap_or_else(|e| panic!("put failed: {e}\n{}", ipfs.logs_tail(20)));
		assert_eq!(put.file.record.state, FileState::Stored);
		assert_eq!(put.file.record.confirmed, put.file.record.n);
		assert_eq!(put.file.record.size, size as u64);
		assert!(put.cost > 0);
		assert!(user::render_status(&put.file, None).contains("Stored"));
		for (_, piece) in &put.file.pieces {
			assert!(piece.confirmed && piece.content.is_some());
		}
		files.push(put.cid);
	}
	eprintln!("[{:>5.1?}] files of {sizes:?} bytes stored", t0.elapsed());

	// Get each back through the user's own daemon: any k verified pieces, decoded, CID-checked.
	for (file, data) in files.iter().zip(&datas) {
		let got = get_and_check(&reader, &user_daemon, file, data, scratch.path(), &ipfs).await;
		assert!(got.corrupt.is_empty() && got.unavailable.is_empty(), "{got:?}");
	}
	eprintln!("[{:>5.1?}] all three read back byte for byte", t0.elapsed());

	// 2. The chain audits confirmed pieces (a few challenges every block): the agents answer
	// from their pinned copies, and the answers pass.
	let canonicals: Vec<Vec<u8>> = files.iter().map(cid::canonical_bytes).collect();
	let mut events = reader.follow().await.expect("follows");
	let deadline = Instant::now() + Duration::from_secs(180);
	let mut passed = 0;
	while passed == 0 {
		assert!(Instant::now() < deadline, "no audit of the files passed within 180 s");
		let block = events.next().await.expect("events");
		for event in block
			.events
			.iter()
			.filter(|e| e.cid().is_some_and(|c| canonicals.iter().any(|f| f == c)))
		{
			match event {
				StorageEvent::AuditPassed { .. } => passed += 1,
				StorageEvent::AuditFailed { .. } => panic!("an audit failed: {event:?}"),
				_ => {}
			}
		}
	}
	drop(events);
	eprintln!("[{:>5.1?}] an audit passed", t0.elapsed());

	// 3. Corrupt piece 0 of the several-segment file on its operator's disk: its first 256 KiB
	// block in that daemon's repo gets other bytes. IPFS checks blocks it receives from peers,
	// not the ones it reads from its own disk, so `get` through that daemon reads the corrupt
	// piece, and must detect it against the on-chain root.
	let big = canonicals[2].clone();
	let info = reader.file(&big).await.expect("view").expect("pinned");
	let piece0 = info.piece(0).expect("piece 0").clone();
	let holder = piece0.operator;
	let holder_daemon = daemon_of(&holder);
	let holder_client = KuboClient::new(&holder_daemon.api).expect("client");
	let piece0_cid = cid::from_bytes(&piece0.content.as_ref().expect("reported").cid).expect("cid");
	let mut piece0_bytes = Vec::new();
	holder_client.cat_to(&piece0_cid, &mut piece0_bytes).await.expect("the holder has piece 0");
	let block = block_file(&holder_daemon.repo, &piece0_bytes[..piece0_bytes.len().min(CHUNK)]);
	let mut damaged = std::fs::read(&block)
		.unwrap_or_else(|e| panic!("block file {} of piece 0: {e}", block.display()));
	for byte in &mut damaged[100..132] {
		*byte ^= 0xa5;
	}
	std::fs::write(&block, &damaged).expect("corrupt the block");
	let got =
		get_and_check(&reader, &holder_client, &files[2], &datas[2], scratch.path(), &ipfs).await;
	assert_eq!(got.corrupt, vec![0], "{got:?}");
	assert!(!got.used.contains(&0), "{got:?}");
	eprintln!(
		"[{:>5.1?}] corrupt piece 0 detected by get; file still read back ({got:?})",
		t0.elapsed()
	);

	// 4. n - k = 2 operators of that file become unreachable: the corrupt holder and the
	// operator of piece 1. The worker's and the user's daemons forget the pieces they cached
	// (unpinned copies), so only operators serve them.
	let other = info.piece(1).expect("piece 1").operator;
	let victims = [holder, other];
	let worker_client = KuboClient::new(&worker_ipfs.api).expect("client");
	worker_client.repo_gc().await.expect("worker gc");
	user_daemon.repo_gc().await.expect("user gc");
	let mut events = reader.follow().await.expect("follows");
	let stopped_at = Instant::now();
	for victim in &victims {
		stop_daemon(daemon_of(victim).pid);
	}
	eprintln!(
		"[{:>5.1?}] stopped the IPFS daemons of {} and {}",
		t0.elapsed(),
		name_of(&victims[0]),
		name_of(&victims[1])
	);

	let mut seen: Vec<(Duration, String)> = Vec::new();
	let mut marked = Vec::new();
	let mut repaired = false;
	let mut scheduled: Option<(Vec<u32>, Vec<chain::AccountId>)> = None;
	let deadline = Instant::now() + Duration::from_secs(420);
	while !repaired {
		assert!(
			Instant::now() < deadline,
			"the file was not repaired within 420 s; events: {seen:#?}\n{}",
			ipfs.logs_tail(10)
		);
		let block = tokio::time::timeout(Duration::from_secs(60), events.next())
			.await
			.expect("a finalized block")
			.expect("events");
		for event in block.events {
			let about_victim = match &event {
				StorageEvent::OperatorReportedOffline { who, .. }
				| StorageEvent::OperatorMarkedOffline { who, .. } => victims.contains(who),
				_ => false,
			};
			let audit = matches!(
				event,
				StorageEvent::ChallengeIssued { .. }
					| StorageEvent::AuditPassed { .. }
					| StorageEvent::AuditFailed { .. }
			);
			if audit || (!about_victim && event.cid() != Some(&big[..])) {
				continue;
			}
			seen.push((
				stopped_at.elapsed(),
				format!("#{} {}", block.number, describe(&event, &name_of)),
			));
			match event {
				StorageEvent::OperatorMarkedOffline { who, .. } => marked.push(who),
				StorageEvent::RepairScheduled { indices, operators, .. } => {
					scheduled = Some((indices, operators))
				}
				StorageEvent::FileRepaired { .. } => repaired = true,
				StorageEvent::FileLost { .. } => panic!("the file was lost: {seen:#?}"),
				_ => {}
			}
		}
	}
	let to_full_health = stopped_at.elapsed();
	for (at, event) in &seen {
		eprintln!("  +{at:>5.1?} {event}");
	}
	eprintln!("[{:>5.1?}] FileRepaired {to_full_health:?} after the daemons stopped", t0.elapsed());
	marked.sort();
	let mut expected_marked = victims.to_vec();
	expected_marked.sort();
	assert_eq!(marked, expected_marked, "both operators were marked offline");
	let (indices, new_operators) = scheduled.expect("RepairScheduled");
	let mut indices = indices;
	indices.sort();
	assert_eq!(indices, vec![0, 1], "the two unreachable operators' pieces moved");
	assert!(new_operators
		.iter()
		.all(|o| !victims.contains(o) && !info.pieces.iter().any(|(_, p)| p.operator == *o)));
	let names: Vec<&str> =
		seen.iter().map(|(_, e)| e.split_whitespace().nth(1).unwrap_or("")).collect();
	for expected in
		["OperatorReportedOffline", "RepairScheduled", "RepairReported", "PieceConfirmed"]
	{
		assert!(names.iter().any(|n| n.starts_with(expected)), "no {expected}: {seen:#?}");
	}

	// The file is stored again, on the two spares, with the same pieces as placed.
	let after = reader.file(&big).await.expect("view").expect("pinned");
	assert_eq!(after.record.state, FileState::Stored);
	assert_eq!(after.record.confirmed, after.record.n);
	for ((index, before), (_, now)) in info.pieces.iter().zip(&after.pieces) {
		assert_eq!(before.content, now.content, "piece {index} keeps its recorded content");
		assert!(now.confirmed && !now.repair);
	}
	// Every other file is stored too (repaired as well if both operators held a piece of it).
	for file in &canonicals {
		wait_for_state(&reader, file, FileState::Stored, Duration::from_secs(300)).await;
	}
	// And every file reads back, now without the stopped operators.
	for (file, data) in files.iter().zip(&datas) {
		let got = get_and_check(&reader, &user_daemon, file, data, scratch.path(), &ipfs).await;
		assert!(got.corrupt.is_empty(), "{got:?}");
	}
	eprintln!("[{:>5.1?}] every file stored and read back after the repair", t0.elapsed());

	// 5. Encrypted by default (on the four operators left): the same user puts files encrypted on this machine (empty, one
	// byte, exactly one 64 KiB encryption chunk, several segments), each carrying a marker;
	// a public control file carries another marker. Gets from a fresh directory with the
	// owner's secret return the bytes; another secret and no secret fail and write nothing;
	// no IPFS daemon holds the encrypted files' marker, while the control's is found.
	encrypted_files_round_trip_and_stay_private(
		&reader,
		&user_client,
		&user_daemon,
		&daemons,
		segment,
		scratch.path(),
	)
	.await;
	eprintln!("[{:>5.1?}] encrypted files stored, read back, private", t0.elapsed());

	shutdown.trigger();
	tokio::time::timeout(Duration::from_secs(30), worker_task)
		.await
		.expect("worker stops")
		.expect("worker task")
		.expect("worker ran cleanly");
	for task in agents {
		tokio::time::timeout(Duration::from_secs(30), task)
			.await
			.expect("agent stops")
			.expect("agent task")
			.expect("agent ran cleanly");
	}
	drop(ipfs);
}
