//! Answers of the daemon, decoded leniently: only the fields Cairn reads, each accepting every
//! shape Kubo or js-ipfs sends (numbers as strings or numbers, lists as `null`, unknown fields).

use crate::{Cid, Error, Result};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

/// A count that Kubo sends as a string and js-ipfs as a number (`add`'s `Size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LenientU64(pub u64);

impl<'de> Deserialize<'de> for LenientU64 {
	fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
		#[derive(Deserialize)]
		#[serde(untagged)]
		enum NumOrText {
			Num(u64),
			Text(String),
		}
		match NumOrText::deserialize(d)? {
			NumOrText::Num(n) => Ok(Self(n)),
			NumOrText::Text(s) => s.trim().parse().map(Self).map_err(serde::de::Error::custom),
		}
	}
}

fn null_as_default<'de, D, T>(d: D) -> core::result::Result<T, D::Error>
where
	D: Deserializer<'de>,
	T: Default + Deserialize<'de>,
{
	Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The error object both daemons send with a non-200 status (and Kubo inside some streams).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiErrorBody {
	pub message: String,
}

/// One line of the `add` answer. Kubo may add progress lines (`Bytes`, no `Hash`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddLine {
	#[serde(default)]
	pub hash: Option<String>,
	// `Size` (a string in Kubo, a number in js-ipfs) is the DAG size, data plus UnixFS overhead,
	// not the data size Cairn reports: not read.
	#[serde(default)]
	pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BlockStatAnswer {
	pub size: LenientU64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PinAddAnswer {
	#[serde(default, deserialize_with = "null_as_default")]
	pub pins: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct PinKey {}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PinLsAnswer {
	#[serde(default, deserialize_with = "null_as_default")]
	pub keys: BTreeMap<String, PinKey>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdAnswer {
	#[serde(rename = "ID")]
	pub id: String,
	#[serde(default, deserialize_with = "null_as_default")]
	pub addresses: Vec<String>,
}

/// One line of the `repo/gc` answer: Kubo reports failures in `Error`, js-ipfs in `Err`.
#[derive(Debug, Deserialize)]
pub struct GcLine {
	#[serde(default, rename = "Error")]
	pub error: Option<String>,
	#[serde(default, rename = "Err")]
	pub err: Option<String>,
}

/// Parses a CID the way Cairn always does: text in any multibase (`Qm…`, `bafy…`, `zb2…`).
pub fn parse_cid(text: &str) -> Result<Cid> {
	Cid::try_from(text.trim()).map_err(|e| Error::InvalidCid(format!("{text:?}: {e}")))
}

/// The last `Hash` of an `add` answer (JSON lines), or the error it reports.
pub fn added_cid(body: &[u8]) -> Result<Cid> {
	let mut cid = None;
	for line in body.split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)) {
		let line: AddLine = serde_json::from_slice(line)
			.map_err(|e| Error::Decode(format!("add answer line {}: {e}", lossy(line))))?;
		if let Some(message) = line.message {
			return Err(Error::Api(message));
		}
		if let Some(hash) = line.hash {
			cid = Some(parse_cid(&hash)?);
		}
	}
	cid.ok_or_else(|| Error::Decode(format!("add answer names no CID: {}", lossy(body))))
}

/// At most 300 characters of a body, for error messages.
pub fn lossy(body: &[u8]) -> String {
	let text = String::from_utf8_lossy(body);
	let text = text.trim();
	match text.char_indices().nth(300) {
		Some((cut, _)) => format!("{}…", &text[..cut]),
		None => text.to_string(),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn cid_of(r: Result<Cid>) -> String {
		r.map(|c| c.to_string()).unwrap_or_else(|e| format!("error: {e}"))
	}

	#[test]
	fn add_size_as_number_or_string() {
		// js-ipfs 0.66 (number, base58 CIDv1) and Kubo (string, base32 CIDv1) for the same bytes.
		let js = br#"{"Name":"f","Hash":"zb2rhZfjRh2FHHB2RkHVEvL2vJnCTcu7kwRqgVsf9gpkLgteo","Size":5,"Mode":"0644"}"#;
		let kubo = br#"{"Name":"f","Hash":"bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq","Size":"5"}
"#;
		assert_eq!(cid_of(added_cid(js)), cid_of(added_cid(kubo)));
		for size in [&b"{\"Size\":158}"[..], b"{\"Size\":\"158\"}"] {
			let stat = serde_json::from_slice::<BlockStatAnswer>(size).map(|s| s.size);
			assert_eq!(stat.ok(), Some(LenientU64(158)));
		}
		assert!(serde_json::from_slice::<BlockStatAnswer>(b"{\"Size\":\"x\"}").is_err());
	}

	#[test]
	fn add_progress_lines_are_skipped_and_errors_reported() {
		let body = b"{\"Name\":\"\",\"Bytes\":262144}\n{\"Name\":\"f\",\"Hash\":\"QmRgutAxd8t7oGkSm4wmeuByG6M51wcTso6cubDdQtuEfL\",\"Size\":\"12\"}\n";
		assert_eq!(cid_of(added_cid(body)), "QmRgutAxd8t7oGkSm4wmeuByG6M51wcTso6cubDdQtuEfL");
		let err = added_cid(b"{\"Message\":\"disk full\",\"Code\":0,\"Type\":\"error\"}\n");
		assert!(matches!(err, Err(Error::Api(m)) if m == "disk full"));
		assert!(matches!(added_cid(b""), Err(Error::Decode(_))));
		assert!(matches!(added_cid(b"{\"Hash\":\"nope\"}"), Err(Error::InvalidCid(_))));
	}

	#[test]
	fn null_lists_and_maps() {
		let id: Result<IdAnswer> = serde_json::from_str(r#"{"ID":"12D3Koo","Addresses":null}"#)
			.map_err(|e| Error::Decode(e.to_string()));
		assert!(matches!(id, Ok(IdAnswer { ref addresses, .. }) if addresses.is_empty()));
		let pins: Result<PinLsAnswer> =
			serde_json::from_str(r#"{"Keys":null}"#).map_err(|e| Error::Decode(e.to_string()));
		assert!(matches!(pins, Ok(PinLsAnswer { ref keys }) if keys.is_empty()));
	}

	#[test]
	fn error_bodies_are_cut() {
		let long = "x".repeat(1000);
		assert_eq!(lossy(long.as_bytes()).chars().count(), 301);
	}
}
