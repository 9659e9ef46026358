//! `cairn status <cid>`: a file's tier, state, pieces, health and expiry.

use super::Error;
use crate::{
	chain::{ChainApi, Client, FileInfo, FileState},
	cid,
};
use std::fmt::Write;

/// The file `cid_text` as the chain records it.
pub async fn status(client: &Client, cid_text: &str) -> crate::Result<FileInfo> {
	let content = cid::parse(cid_text)?;
	let info = client
		.file(&cid::canonical_bytes(&content))
		.await?
		.ok_or_else(|| Error::NotPinned(content.to_string()))?;
	Ok(info)
}

/// A human-readable report of `info`; `era` is the current era, `era_length` blocks per era.
pub fn render_status(info: &FileInfo, era: Option<u32>) -> String {
	let record = &info.record;
	let mut out = String::new();
	let healthy = info.pieces.iter().filter(|(_, p)| p.confirmed).count();
	let health = if record.state == FileState::Expired {
		"expired (in its grace period: renew it to keep it)".to_string()
	} else if healthy >= record.k as usize {
		format!(
			"recoverable: {healthy} of {} pieces confirmed, any {} rebuild it",
			record.n, record.k
		)
	} else {
		format!(
			"not yet recoverable from confirmed pieces: {healthy} of {} confirmed, {} needed",
			record.n, record.k
		)
	};
	let _ = writeln!(out, "cid:      {}", cid::display(&record.cid));
	let _ = writeln!(out, "file id:  {}", info.file_id);
	let _ = writeln!(out, "owner:    {}", record.owner);
	let _ = writeln!(out, "size:     {} bytes", record.size);
	let privacy = match &record.wrapped_key {
		Some(wrapped) => format!(
			"encrypted by its owner (key wrapped for the owner, format version {}); operators hold ciphertext only",
			wrapped.first().copied().unwrap_or_default()
		),
		None => "public: stored as it is, readable by anyone with the CID".to_string(),
	};
	let _ = writeln!(out, "privacy:  {privacy}");
	let _ = writeln!(
		out,
		"tier:     {} (k = {}, n = {}, repaired below m = {} healthy pieces)",
		record.tier, record.k, record.n, record.m
	);
	let _ = writeln!(out, "state:    {:?}", record.state);
	let _ = writeln!(out, "health:   {health}");
	let expiry = match era {
		Some(era) if record.expires_at > era => {
			format!("paid until era {} ({} more eras)", record.expires_at, record.expires_at - era)
		}
		_ => format!("paid until era {}", record.expires_at),
	};
	let _ =
		writeln!(out, "expiry:   {expiry}{}", if record.co_funded { ", co-funded" } else { "" });
	let _ = writeln!(out, "pieces:");
	for (index, piece) in &info.pieces {
		let content = match &piece.content {
			Some(c) => format!("{} ({} bytes)", cid::display(&c.cid), c.size),
			None => "not reported yet".into(),
		};
		let confirmation = if piece.confirmed {
			"confirmed".to_string()
		} else if piece.awaits_repair() {
			"moved by repair; waiting for the storage worker to rebuild it".to_string()
		} else if let Some(deadline) = piece.confirm_deadline {
			format!("unconfirmed (deadline block {deadline})")
		} else {
			"unconfirmed".into()
		};
		let _ = writeln!(out, "  #{index}  {}  {confirmation}  {content}", piece.operator);
	}
	out
}
