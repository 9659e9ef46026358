//! The RPC calls Cairn makes, as `ipfs-api-prelude` request types.
//!
//! Cairn's own types rather than the crate's: the crate has no `repo/gc`, takes offsets as
//! `usize`, and offers no `timeout` on the calls that need one. Every field is a query parameter
//! of `/api/v0/<PATH>`; `None` fields are left out. Kubo and js-ipfs accept the same names.

use core::time::Duration;
use ipfs_api_prelude::ApiRequest;
use serde::Serialize;

/// The fixed-size chunker both daemons default to, named explicitly so that the same bytes give
/// the same CID on Kubo and on js-ipfs whatever their defaults become.
pub const CHUNKER: &str = "size-262144";

/// A duration as both daemons parse it (Go's `time.ParseDuration`, js `parse-duration`).
pub fn duration_param(d: Duration) -> String {
	format!("{}ms", d.as_millis().max(1))
}

/// `add`: one file, CIDv1, raw leaves, pinned, no progress lines.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Add {
	pub cid_version: u32,
	pub raw_leaves: bool,
	pub pin: bool,
	pub chunker: &'static str,
	pub hash: &'static str,
	pub progress: bool,
}

impl Default for Add {
	fn default() -> Self {
		Self {
			cid_version: 1,
			raw_leaves: true,
			pin: true,
			chunker: CHUNKER,
			hash: "sha2-256",
			progress: false,
		}
	}
}

impl ApiRequest for Add {
	const PATH: &'static str = "/add";
}

/// `cat` of a byte range.
#[derive(Serialize)]
pub struct Cat {
	pub arg: String,
	pub offset: Option<u64>,
	pub length: Option<u64>,
}

impl ApiRequest for Cat {
	const PATH: &'static str = "/cat";
}

/// `block/stat`, always with a timeout: without one a missing block is looked for forever.
#[derive(Serialize)]
pub struct BlockStat {
	pub arg: String,
	pub timeout: String,
}

impl ApiRequest for BlockStat {
	const PATH: &'static str = "/block/stat";
}

/// `pin/add`, recursive, bounded by a timeout (it fetches missing blocks by Bitswap).
#[derive(Serialize)]
pub struct PinAdd {
	pub arg: String,
	pub recursive: bool,
	pub progress: bool,
	pub timeout: String,
}

impl ApiRequest for PinAdd {
	const PATH: &'static str = "/pin/add";
}

/// `pin/rm`, recursive.
#[derive(Serialize)]
pub struct PinRm {
	pub arg: String,
	pub recursive: bool,
}

impl ApiRequest for PinRm {
	const PATH: &'static str = "/pin/rm";
}

/// `pin/ls` of one pin type.
#[derive(Serialize)]
pub struct PinLs {
	#[serde(rename = "type")]
	pub kind: &'static str,
}

impl ApiRequest for PinLs {
	const PATH: &'static str = "/pin/ls";
}

/// `swarm/connect` to one multiaddr, bounded by a timeout.
#[derive(Serialize)]
pub struct SwarmConnect {
	pub arg: String,
	pub timeout: String,
}

impl ApiRequest for SwarmConnect {
	const PATH: &'static str = "/swarm/connect";
}

/// `id` of the daemon itself.
#[derive(Serialize)]
pub struct Id {}

impl ApiRequest for Id {
	const PATH: &'static str = "/id";
}

/// `repo/gc` (missing from `ipfs-api-prelude`).
#[derive(Serialize)]
pub struct RepoGc {}

impl ApiRequest for RepoGc {
	const PATH: &'static str = "/repo/gc";
}

#[cfg(test)]
mod tests {
	use super::*;

	fn query<R: Serialize>(r: &R) -> String {
		serde_urlencoded::to_string(r).unwrap_or_else(|e| format!("error: {e}"))
	}

	#[test]
	fn add_asks_for_cidv1_raw_leaves_pinned() {
		assert_eq!(
			query(&Add::default()),
			"cid-version=1&raw-leaves=true&pin=true&chunker=size-262144&hash=sha2-256&progress=false"
		);
	}

	#[test]
	fn unset_range_is_left_out() {
		let cat = Cat { arg: "bafy".into(), offset: None, length: Some(7) };
		assert_eq!(query(&cat), "arg=bafy&length=7");
		assert_eq!(query(&Id {}), "");
		assert_eq!(query(&PinLs { kind: "recursive" }), "type=recursive");
	}

	#[test]
	fn durations_are_milliseconds_never_zero() {
		assert_eq!(duration_param(Duration::from_secs(2)), "2000ms");
		assert_eq!(duration_param(Duration::from_micros(10)), "1ms");
	}
}
