//! `cairn put <file>`: add a file to IPFS, pin it on the chain, watch it get stored.

use super::Error;
use crate::{
	chain::{ChainApi, Client, FileInfo, FileState, PinTier, StorageEvent},
	cid,
};
use cairn_crypt::{EncryptReader, FileKey, KeyWrapper};
use cairn_ipfs::Ipfs;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::{
	io::Read,
	path::Path,
	sync::Arc,
	time::{Duration, Instant},
};

/// What `put` is asked to do.
#[derive(Clone, Debug)]
pub struct PutOptions {
	/// Tier to pin in.
	pub tier: PinTier,
	/// Eras to pay for.
	pub eras: u32,
	/// Wait until every piece is confirmed (`Stored`); otherwise return once pinned.
	pub wait: bool,
	/// Longest wait for `Stored`.
	pub timeout: Duration,
	/// Show progress bars (off for tests and pipes).
	pub progress: bool,
	/// Encrypt the file for its owner before it leaves this machine (`None`: pin it as-is).
	pub encrypt_for: Option<Arc<KeyWrapper>>,
}

/// What `put` did.
#[derive(Clone, Debug)]
pub struct PutReport {
	/// The CID of what was pinned (the ciphertext, for an encrypted file).
	pub cid: cid::Cid,
	/// Size in bytes of what was pinned.
	pub size: u64,
	/// Whether the file was encrypted before it was added to IPFS.
	pub encrypted: bool,
	/// What the pin cost (0 if the CID was already pinned and this renewed it).
	pub cost: u128,
	/// The file as the chain records it at the end.
	pub file: FileInfo,
}

/// A reader that advances a progress bar.
struct Counting<R> {
	inner: R,
	bar: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
	fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
		let read = self.inner.read(buf)?;
		self.bar.inc(read as u64);
		Ok(read)
	}
}

fn bar(multi: &MultiProgress, len: u64, template: &str, show: bool) -> ProgressBar {
	if !show {
		return ProgressBar::hidden();
	}
	let bar = multi.add(ProgressBar::new(len));
	if let Ok(style) = ProgressStyle::with_template(template) {
		bar.set_style(style.progress_chars("=> "));
	}
	bar
}

/// Add `path` to IPFS, `request_pin` it, and (with `wait`) follow it until it is stored.
pub async fn put<I: Ipfs>(
	client: &Client,
	ipfs: &I,
	path: &Path,
	options: &PutOptions,
) -> crate::Result<PutReport> {
	let shown = path.display().to_string();
	let plain_size =
		std::fs::metadata(path).map_err(|e| crate::Error::io(format!("reading {shown}"), e))?.len();
	// An encrypted file is never empty (its header and final chunk); a public one must not be.
	let size = match &options.encrypt_for {
		Some(_) => cairn_crypt::ciphertext_len(plain_size),
		None => plain_size,
	};
	if size == 0 {
		return Err(Error::EmptyFile(shown).into());
	}
	let tier = client
		.tier_config(options.tier)
		.await?
		.ok_or_else(|| Error::TierNotConfigured(options.tier.to_string()))?;
	let price: Option<u128> = client.view("pin_price", (size, options.tier, options.eras)).await?;
	let encrypted = options.encrypt_for.is_some();
	tracing::info!(
		file = %shown, size, tier = %options.tier, k = tier.k, n = tier.n, eras = options.eras, ?price,
		encrypted,
		"{}",
		if encrypted {
			"encrypting the file with a new key, adding the ciphertext to IPFS, then pinning it on-chain"
		} else {
			"adding the file to IPFS as it is (public), then pinning it on-chain"
		}
	);

	let multi = MultiProgress::new();
	let upload = bar(
		&multi,
		size,
		"upload    [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec}",
		options.progress,
	);
	let file =
		std::fs::File::open(path).map_err(|e| crate::Error::io(format!("opening {shown}"), e))?;
	let counted = Counting { inner: std::io::BufReader::new(file), bar: upload.clone() };
	let (added, wrapped_key) = match &options.encrypt_for {
		Some(wrapper) => {
			// A fresh key for every file; only its wrapped form leaves this machine.
			let key = FileKey::generate()?;
			let wrapped = wrapper.wrap(&key)?;
			(ipfs.add(EncryptReader::new(&key, counted)?).await?, Some(wrapped))
		}
		None => (ipfs.add(counted).await?, None),
	};
	upload.finish();
	tracing::info!(cid = %added.cid, encrypted, "added to IPFS");
	if added.size != size {
		// What IPFS received is not what the chain will be told: the file changed while it
		// was read. Nothing is pinned on-chain.
		return Err(Error::FileChanged { file: shown, expected: size, added: added.size }.into());
	}

	let canonical = cid::canonical_bytes(&added.cid);
	let included = match wrapped_key {
		Some(wrapped) => {
			client
				.request_encrypted_pin(&canonical, size, options.tier, options.eras, wrapped)
				.await?
		}
		None => client.request_pin(&canonical, size, options.tier, options.eras).await?,
	};
	let mut cost = 0;
	for event in &included.events {
		match event {
			StorageEvent::PinRequested { cost: paid, expires_at, .. } => {
				cost = *paid;
				tracing::info!(cost, expires_at, "pin requested and paid");
			}
			StorageEvent::PiecesAssigned { operators, .. } => {
				tracing::info!(pieces = operators.len(), "pieces assigned to operators");
			}
			other => tracing::debug!(event = other.name(), "event"),
		}
	}

	let mut file =
		client.file(&canonical).await?.ok_or_else(|| Error::NotPinned(added.cid.to_string()))?;
	if options.wait {
		file = wait_until_stored(client, &canonical, file, options, &multi).await?;
	}
	Ok(PutReport { cid: added.cid, size, encrypted, cost, file })
}

/// Follow finalized blocks, re-reading the file on each, until it is stored.
async fn wait_until_stored(
	client: &Client,
	canonical: &[u8],
	mut file: FileInfo,
	options: &PutOptions,
	multi: &MultiProgress,
) -> crate::Result<FileInfo> {
	let n = u64::from(file.record.n);
	let placed =
		bar(multi, n, "placement [{bar:40}] {pos}/{len} pieces reported", options.progress);
	let confirmed =
		bar(multi, n, "confirmed [{bar:40}] {pos}/{len} pieces confirmed", options.progress);
	let mut blocks = client.follow().await?;
	let start = Instant::now();
	loop {
		placed.set_position(u64::from(file.record.reported));
		confirmed.set_position(u64::from(file.record.confirmed));
		if file.record.state == FileState::Stored {
			placed.finish();
			confirmed.finish();
			tracing::info!(cid = %cid::display(canonical), "stored: every piece is confirmed by its operator");
			return Ok(file);
		}
		let left = options.timeout.saturating_sub(start.elapsed());
		if left.is_zero() {
			return Err(Error::Timeout {
				cid: cid::display(canonical),
				waited_secs: start.elapsed().as_secs(),
				state: format!("{:?}", file.record.state),
			}
			.into());
		}
		match tokio::time::timeout(left, blocks.next()).await {
			Ok(block) => {
				let block = block?;
				for event in block.events.iter().filter(|e| e.cid() == Some(canonical)) {
					tracing::debug!(block = block.number, event = event.name(), "progress");
					if let StorageEvent::PinFailed { reason, .. } = event {
						return Err(Error::PinFailed {
							cid: cid::display(canonical),
							reason: format!("{reason:?}"),
						}
						.into());
					}
				}
			}
			Err(_) => continue,
		}
		file = client
			.file(canonical)
			.await?
			.ok_or_else(|| Error::NotPinned(cid::display(canonical)))?;
	}
}
