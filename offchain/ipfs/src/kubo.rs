//! [`KuboClient`]: [`Ipfs`] over the Kubo RPC API (`/api/v0/...`), for Kubo and js-ipfs alike.
//!
//! The transport is `ipfs-api-backend-hyper` 0.6 (hyper 0.14): its HTTP client, multipart upload
//! and URL building. The request types ([`requests`]) and the answer decoding ([`responses`]) are
//! Cairn's own, because the crate's are written for Kubo alone and break on js-ipfs answers (e.g.
//! `add`'s `Size` is a number there, a string in Kubo) and lack calls Cairn needs (`repo/gc`,
//! timeouts). Every call maps its failures to the crate's [`Error`]; nothing here panics.

mod requests;
mod responses;
mod upload;

pub use responses::parse_cid;

use crate::{Added, Cid, Error, Ipfs, PeerInfo, Result};
use bytes::Bytes;
use core::{fmt, time::Duration};
use futures::{stream, StreamExt, TryStreamExt};
use http::{header::HeaderName, StatusCode, Uri};
use ipfs_api_backend_hyper::{IpfsClient, TryFromUri};
use ipfs_api_prelude::{ApiRequest, Backend, BoxStream};
use std::{
	io::Read,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex,
	},
};

type BackendError = ipfs_api_backend_hyper::Error;
/// The crate's client over plain HTTP (no TLS connector is built in).
type Client = IpfsClient<hyper::client::HttpConnector>;

/// Kubo sends the byte count of a `cat` in this header; a shorter body means the daemon failed
/// mid-stream (it reports that only in an HTTP trailer, which hyper 0.14 does not surface).
const X_CONTENT_LENGTH: HeaderName = HeaderName::from_static("x-content-length");

/// How much longer than the timeout given to the daemon the client waits for its answer.
const GRACE: Duration = Duration::from_secs(10);

/// Default limit on the short calls (`id`, `swarm/connect`, `pin/ls`, `pin/rm`).
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Default longest pause in a streamed answer (`cat`, `repo/gc`) before giving up.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(120);

/// An IPFS daemon reached over its Kubo RPC API, e.g. `http://127.0.0.1:5001`.
///
/// Cheap to clone (the HTTP client is shared). Needs a Tokio runtime with the time driver.
#[derive(Clone)]
pub struct KuboClient {
	backend: Client,
	api_url: String,
	call_timeout: Duration,
	stall_timeout: Duration,
}

impl fmt::Debug for KuboClient {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.debug_struct("KuboClient")
			.field("api_url", &self.api_url)
			.field("call_timeout", &self.call_timeout)
			.field("stall_timeout", &self.stall_timeout)
			.finish()
	}
}

impl KuboClient {
	/// A client for the daemon whose RPC API listens at `api_url`: an HTTP URL
	/// (`http://127.0.0.1:5001`, optionally ending in `/api/v0`) or the multiaddr a daemon writes
	/// to `$IPFS_PATH/api` (`/ip4/127.0.0.1/tcp/5001[/http]`). No request is made here.
	///
	/// # Errors
	/// [`Error::Unreachable`] when `api_url` is neither (or is HTTPS, which is not supported:
	/// the daemon listens on loopback).
	pub fn new(api_url: &str) -> Result<Self> {
		let authority = authority_of(api_url).map_err(|why| {
			Error::Unreachable(format!("invalid IPFS API URL {api_url:?}: {why}"))
		})?;
		let base: Uri = format!("http://{authority}/api/v0")
			.parse()
			.map_err(|e| Error::Unreachable(format!("invalid IPFS API URL {api_url:?}: {e}")))?;
		Ok(Self {
			backend: Client::build_with_base_uri(base),
			api_url: format!("http://{authority}"),
			call_timeout: DEFAULT_CALL_TIMEOUT,
			stall_timeout: DEFAULT_STALL_TIMEOUT,
		})
	}

	/// The limit on short calls (`id`, `swarm_connect`, `pin_ls`, `pin_rm`).
	#[must_use]
	pub fn with_call_timeout(mut self, timeout: Duration) -> Self {
		self.call_timeout = timeout;
		self
	}

	/// The longest pause while a `cat` or `repo/gc` answer streams in (not a limit on the whole
	/// transfer: a 100 MiB piece may take longer, as long as bytes keep coming).
	#[must_use]
	pub fn with_stall_timeout(mut self, timeout: Duration) -> Self {
		self.stall_timeout = timeout;
		self
	}

	/// The daemon's API as `http://host:port`.
	pub fn api_url(&self) -> &str {
		&self.api_url
	}

	/// One call with a small JSON answer, limited to `limit` on the client side.
	async fn call<Req: ApiRequest>(&self, req: Req, limit: Duration) -> Result<Bytes> {
		let (status, body) = tokio::time::timeout(limit, self.backend.request_raw(req, None))
			.await
			.map_err(|_| Error::Timeout(limit))?
			.map_err(from_backend)?;
		if status == StatusCode::OK {
			Ok(body)
		} else {
			Err(api_error(status, &body))
		}
	}

	/// A streamed call: the answer's parts, each awaited at most `stall_timeout`.
	fn open_stream<Req, Res, F>(&self, req: Req, process: F) -> Result<Streamed<Res>>
	where
		Req: ApiRequest,
		F: 'static + Send + Fn(http::Response<hyper::Body>) -> BoxStream<Res, BackendError>,
	{
		let req = self.backend.build_base_request(req, None).map_err(from_backend)?;
		Ok(Streamed { inner: self.backend.request_stream(req, process), stall: self.stall_timeout })
	}

	/// Streams `cid` from `offset` (at most `length` bytes) into `sink`; returns the byte count.
	async fn cat_into<F>(
		&self,
		cid: &Cid,
		offset: u64,
		length: Option<u64>,
		mut sink: F,
	) -> Result<u64>
	where
		F: FnMut(&[u8]) -> Result<()> + Send,
	{
		if length == Some(0) {
			// js-ipfs rejects `length=0` ("Invalid request query input"); Kubo sends nothing.
			return Ok(0);
		}
		let req =
			requests::Cat { arg: cid.to_string(), offset: (offset > 0).then_some(offset), length };
		let mut parts = self.open_stream(req, |res| {
			let announced = Client::get_header(&res, X_CONTENT_LENGTH)
				.and_then(|v| v.to_str().ok())
				.and_then(|v| v.trim().parse::<u64>().ok());
			let head = stream::once(futures::future::ready(Ok::<_, BackendError>(
				CatPart::Announced(announced),
			)));
			Box::new(head.chain(Client::response_to_byte_stream(res).map_ok(CatPart::Data)))
		})?;
		let mut announced = None;
		let mut received = 0u64;
		loop {
			match parts.next().await {
				Ok(None) => break,
				Ok(Some(CatPart::Announced(n))) => announced = n,
				Ok(Some(CatPart::Data(bytes))) => {
					received = received.saturating_add(bytes.len() as u64);
					if let Some(max) = length.filter(|max| received > *max) {
						return Err(Error::Decode(format!(
							"cat of {cid} sent more than the {max} bytes asked for"
						)));
					}
					sink(&bytes)?;
				}
				// js-ipfs refuses an offset past the end; Kubo answers with no bytes. Cairn
				// follows Kubo: nothing to read there is not an error.
				Err(Error::Api(m)) if m.contains("Offset must be less than the file size") => {
					return Ok(0)
				}
				Err(e) => return Err(e),
			}
		}
		match announced {
			Some(n) if n != received => Err(Error::Api(format!(
				"cat of {cid} ended after {received} of {n} bytes (the daemon failed mid-stream)"
			))),
			_ => Ok(received),
		}
	}
}

/// What a streamed `cat` yields: first the announced length, then the data.
enum CatPart {
	Announced(Option<u64>),
	Data(Bytes),
}

/// A streamed answer whose parts may each take at most `stall`.
struct Streamed<T> {
	inner: BoxStream<T, BackendError>,
	stall: Duration,
}

impl<T> Streamed<T> {
	async fn next(&mut self) -> Result<Option<T>> {
		match tokio::time::timeout(self.stall, self.inner.next()).await {
			Err(_) => Err(Error::Timeout(self.stall)),
			Ok(None) => Ok(None),
			Ok(Some(part)) => part.map(Some).map_err(from_backend),
		}
	}
}

/// What `add` learns from the reader while the upload runs.
#[derive(Default)]
struct ReadLog {
	/// Bytes read (the daemon's own `Size` is the DAG size, not this).
	bytes: AtomicU64,
	/// The reader's first error: the multipart body passes on only its text.
	error: Mutex<Option<std::io::Error>>,
}

/// The reader given to `add`, observed by a [`ReadLog`].
struct Observed<R> {
	inner: R,
	log: Arc<ReadLog>,
}

impl<R: Read> Read for Observed<R> {
	fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
		match self.inner.read(buf) {
			Ok(n) => {
				self.log.bytes.fetch_add(n as u64, Ordering::Relaxed);
				Ok(n)
			}
			Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(e),
			Err(e) => {
				let copy = std::io::Error::new(e.kind(), e.to_string());
				if let Ok(mut slot) = self.log.error.lock() {
					slot.get_or_insert(e);
				}
				Err(copy)
			}
		}
	}
}

impl Ipfs for KuboClient {
	async fn add<R>(&self, data: R) -> Result<Added>
	where
		R: Read + Send + Sync + Unpin + 'static,
	{
		let log = Arc::new(ReadLog::default());
		let reader = Observed { inner: data, log: Arc::clone(&log) };
		let boundary = upload::boundary();
		let mut req = self
			.backend
			.build_base_request(requests::Add::default(), None)
			.map_err(from_backend)?;
		let content_type = format!("multipart/form-data; boundary={boundary}");
		req.headers_mut().insert(
			http::header::CONTENT_TYPE,
			http::HeaderValue::from_str(&content_type)
				.map_err(|e| Error::Unreachable(format!("cannot build the request: {e}")))?,
		);
		*req.body_mut() = upload::multipart_body(reader, &boundary);
		let answer: std::result::Result<Vec<Bytes>, BackendError> =
			self.backend.request_stream_bytes(req).try_collect().await;
		// A failed read aborts the upload; report the reader's error, not the transport's.
		if let Some(e) = log.error.lock().ok().and_then(|mut slot| slot.take()) {
			return Err(Error::Io(e));
		}
		let body = answer.map_err(from_backend)?.concat();
		let cid = responses::added_cid(&body)?;
		Ok(Added { cid, size: log.bytes.load(Ordering::Relaxed) })
	}

	async fn cat(&self, cid: &Cid, offset: u64, length: Option<u64>) -> Result<Vec<u8>> {
		let mut out = Vec::new();
		self.cat_into(cid, offset, length, |chunk| {
			out.extend_from_slice(chunk);
			Ok(())
		})
		.await?;
		Ok(out)
	}

	async fn cat_to<W>(&self, cid: &Cid, out: &mut W) -> Result<u64>
	where
		W: std::io::Write + Send,
	{
		let n =
			self.cat_into(cid, 0, None, |chunk| out.write_all(chunk).map_err(Error::Io)).await?;
		out.flush()?;
		Ok(n)
	}

	async fn pin_add(&self, cid: &Cid, timeout: Duration) -> Result<()> {
		let req = requests::PinAdd {
			arg: cid.to_string(),
			recursive: true,
			progress: false,
			timeout: requests::duration_param(timeout),
		};
		let body = match self.call(req, timeout.saturating_add(GRACE)).await {
			Ok(body) => body,
			Err(Error::Api(m)) if is_timeout(&m) => return Err(Error::Timeout(timeout)),
			Err(e) => return Err(e),
		};
		let answer: responses::PinAddAnswer = decode("pin/add", &body)?;
		// The daemon names the pinned root in its own CID form: compare multihashes.
		let pinned =
			answer.pins.iter().filter_map(|p| parse_cid(p).ok()).any(|p| p.hash() == cid.hash());
		if pinned {
			Ok(())
		} else {
			Err(Error::Decode(format!("pin/add of {cid} answered {}", responses::lossy(&body))))
		}
	}

	async fn pin_rm(&self, cid: &Cid) -> Result<()> {
		let req = requests::PinRm { arg: cid.to_string(), recursive: true };
		match self.call(req, self.call_timeout).await {
			Ok(_) => Ok(()),
			// Kubo: "not pinned or pinned indirectly"; js-ipfs: "<cid> is not pinned".
			Err(Error::Api(m)) if m.contains("not pinned") => Ok(()),
			Err(e) => Err(e),
		}
	}

	async fn pin_ls(&self) -> Result<Vec<Cid>> {
		let body = self.call(requests::PinLs { kind: "recursive" }, self.call_timeout).await?;
		let answer: responses::PinLsAnswer = decode("pin/ls", &body)?;
		answer.keys.keys().map(|k| parse_cid(k)).collect()
	}

	async fn block_stat(&self, cid: &Cid, timeout: Duration) -> Result<Option<u64>> {
		let req = requests::BlockStat {
			arg: cid.to_string(),
			timeout: requests::duration_param(timeout),
		};
		match self.call(req, timeout.saturating_add(GRACE)).await {
			Ok(body) => {
				decode::<responses::BlockStatAnswer>("block/stat", &body).map(|a| Some(a.size.0))
			}
			Err(Error::Api(m)) if is_timeout(&m) || is_not_found(&m) => Ok(None),
			Err(e) => Err(e),
		}
	}

	async fn swarm_connect(&self, addr: &str) -> Result<()> {
		let req = requests::SwarmConnect {
			arg: addr.to_string(),
			timeout: requests::duration_param(self.call_timeout),
		};
		match self.call(req, self.call_timeout.saturating_add(GRACE)).await {
			Ok(_) => Ok(()),
			Err(Error::Api(m)) if is_timeout(&m) => Err(Error::Timeout(self.call_timeout)),
			Err(Error::Api(m)) => Err(Error::Api(format!("swarm connect {addr}: {m}"))),
			Err(e) => Err(e),
		}
	}

	async fn id(&self) -> Result<PeerInfo> {
		let body = self.call(requests::Id {}, self.call_timeout).await?;
		let answer: responses::IdAnswer = decode("id", &body)?;
		Ok(PeerInfo { peer_id: answer.id, addresses: answer.addresses })
	}

	async fn repo_gc(&self) -> Result<()> {
		let mut parts =
			self.open_stream(requests::RepoGc {}, |res| Client::response_to_byte_stream(res))?;
		let mut pending = Vec::new();
		while let Some(chunk) = parts.next().await? {
			pending.extend_from_slice(&chunk);
			while let Some(end) = pending.iter().position(|b| *b == b'\n') {
				let line: Vec<u8> = pending.drain(..=end).collect();
				gc_line(&line)?;
			}
		}
		gc_line(&pending)
	}
}

/// One line of a `repo/gc` answer: fine, or the failure it reports.
fn gc_line(line: &[u8]) -> Result<()> {
	if line.iter().all(u8::is_ascii_whitespace) {
		return Ok(());
	}
	let line: responses::GcLine = decode("repo/gc", line)?;
	match line.error.or(line.err).filter(|e| !e.is_empty()) {
		Some(e) => Err(Error::Api(format!("repo/gc: {e}"))),
		None => Ok(()),
	}
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, body: &[u8]) -> Result<T> {
	serde_json::from_slice(body)
		.map_err(|e| Error::Decode(format!("{what} answer {}: {e}", responses::lossy(body))))
}

/// The error a non-200 answer carries.
fn api_error(status: StatusCode, body: &[u8]) -> Error {
	match serde_json::from_slice::<responses::ApiErrorBody>(body) {
		Ok(e) => Error::Api(e.message),
		Err(_) => Error::Api(format!("HTTP {status}: {}", responses::lossy(body))),
	}
}

/// A daemon-side timeout: js-ipfs "request timed out", Kubo "context deadline exceeded".
fn is_timeout(message: &str) -> bool {
	let m = message.to_ascii_lowercase();
	m.contains("timed out") || m.contains("deadline exceeded") || m.contains("timeout")
}

/// A block nobody has, as an offline daemon reports it.
fn is_not_found(message: &str) -> bool {
	let m = message.to_ascii_lowercase();
	m.contains("not found") || m.contains("could not find")
}

fn from_backend(e: BackendError) -> Error {
	use ipfs_api_prelude::Error as Prelude;
	match e {
		BackendError::Api(e) => Error::Api(e.message),
		BackendError::Client(e) => from_hyper(&e),
		BackendError::Http(e) => Error::Unreachable(format!("cannot build the request: {e}")),
		BackendError::IpfsClientError(e) => match e {
			Prelude::Io(e) => Error::Io(e),
			Prelude::ParseUtf8(e) => Error::Decode(e.to_string()),
			Prelude::Parse(e) => Error::Decode(e.to_string()),
			Prelude::Url(e) => Error::Unreachable(format!("invalid URL: {e}")),
			Prelude::EncodeUrl(e) => Error::Unreachable(format!("cannot build the request: {e}")),
			Prelude::StreamError(e) => Error::Api(e),
			Prelude::UnrecognizedTrailerHeader(e) => {
				Error::Decode(format!("unknown trailer header {e}"))
			}
			Prelude::UnrecognizedApiError(e) => Error::Api(responses::lossy(e.as_bytes())),
		},
	}
}

/// A transport failure, with the causes hyper keeps behind its own message.
fn from_hyper(e: &hyper::Error) -> Error {
	let mut text = e.to_string();
	let mut source = std::error::Error::source(e);
	while let Some(s) = source {
		let s_text = s.to_string();
		if !text.contains(&s_text) {
			text = format!("{text}: {s_text}");
		}
		source = s.source();
	}
	Error::Unreachable(text)
}

/// `host:port` of an API given as an HTTP URL or a `/ip4|ip6|dns*/…/tcp/…` multiaddr.
fn authority_of(api_url: &str) -> core::result::Result<String, String> {
	let api_url = api_url.trim();
	if api_url.starts_with('/') {
		let parts: Vec<&str> = api_url.trim_end_matches('/').split('/').skip(1).collect();
		let (host, port, rest) = match parts.as_slice() {
			[proto, host, "tcp", port, rest @ ..] => {
				let host = match *proto {
					"ip4" | "dns" | "dns4" | "dns6" => host.to_string(),
					"ip6" => format!("[{host}]"),
					other => return Err(format!("unsupported protocol /{other}")),
				};
				(host, port, rest)
			}
			_ => return Err("expected /ip4/<address>/tcp/<port>".into()),
		};
		if !matches!(rest, [] | ["http"]) {
			return Err(format!("unsupported suffix /{}", rest.join("/")));
		}
		let port: u16 = port.parse().map_err(|_| format!("bad port {port:?}"))?;
		return Ok(format!("{host}:{port}"));
	}
	let uri: Uri = api_url.parse().map_err(|e| format!("{e}"))?;
	match uri.scheme_str() {
		Some("http") => {}
		Some(other) => return Err(format!("scheme {other} not supported (use http)")),
		None => return Err("no scheme (expected http://host:port)".into()),
	}
	let authority = uri.authority().ok_or("no host")?;
	if authority.port_u16().is_none() {
		return Err("no port (expected http://host:port)".into());
	}
	if !matches!(uri.path().trim_end_matches('/'), "" | "/api/v0") {
		return Err(format!("unexpected path {}", uri.path()));
	}
	if uri.query().is_some() {
		return Err("unexpected query".into());
	}
	Ok(authority.to_string())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn api_urls() {
		let ok = |u: &str| authority_of(u).unwrap_or_else(|e| format!("error: {e}"));
		assert_eq!(ok("http://127.0.0.1:5001"), "127.0.0.1:5001");
		assert_eq!(ok("http://127.0.0.1:5001/"), "127.0.0.1:5001");
		assert_eq!(ok("http://127.0.0.1:5001/api/v0"), "127.0.0.1:5001");
		assert_eq!(ok("/ip4/127.0.0.1/tcp/5001/http"), "127.0.0.1:5001");
		assert_eq!(ok("/ip4/127.0.0.1/tcp/5001"), "127.0.0.1:5001");
		assert_eq!(ok("/ip6/::1/tcp/5001"), "[::1]:5001");
		for bad in [
			"",
			"127.0.0.1:5001",
			"https://127.0.0.1:5001",
			"http://127.0.0.1",
			"http://127.0.0.1:5001/other",
			"/ip4/127.0.0.1/udp/5001",
			"/ip4/127.0.0.1/tcp/99999",
			"/ip4/127.0.0.1/tcp/5001/https",
			"not a url",
		] {
			assert!(authority_of(bad).is_err(), "{bad:?} accepted");
			assert!(matches!(KuboClient::new(bad), Err(Error::Unreachable(_))), "{bad:?}");
		}
	}

	#[test]
	fn timeouts_and_missing_blocks_are_recognised() {
		assert!(is_timeout("Failed to get block stats: request timed out"));
		assert!(is_timeout("context deadline exceeded"));
		assert!(!is_timeout("invalid path"));
		assert!(is_not_found("block was not found locally (offline)"));
	}

	#[test]
	fn gc_lines() {
		assert!(gc_line(
			br#"{"Key":{"/":"bafkreiay32s45hbg7cr4d4wc3lethzzqn3fmc64i44hk757netvkhbxc64"}}"#
		)
		.is_ok());
		assert!(gc_line(b"  \n").is_ok());
		assert!(matches!(gc_line(br#"{"Error":"could not remove"}"#), Err(Error::Api(_))));
		assert!(matches!(gc_line(br#"{"Err":"could not remove"}"#), Err(Error::Api(_))));
		assert!(matches!(gc_line(b"<html>"), Err(Error::Decode(_))));
	}

	#[test]
	fn non_json_errors_keep_the_status() {
		let e = api_error(StatusCode::NOT_FOUND, b"404 page not found");
		assert!(matches!(e, Error::Api(m) if m == "HTTP 404 Not Found: 404 page not found"));
	}
}
