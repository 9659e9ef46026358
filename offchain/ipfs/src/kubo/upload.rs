//! The `add` upload body: one multipart/form-data file part, streamed in large chunks.
//!
//! `ipfs-api-backend-hyper`'s own multipart encoder hands hyper a file in chunks of at most
//! 2 KiB (its buffer's capacity), each a body frame of its own: 32,768 of them for 64 MiB. This
//! body sends [`UPLOAD_CHUNK`]s instead; the request itself is still built and sent by the
//! crate.

use bytes::Bytes;
use futures::{future::ready, stream, StreamExt};
use std::{
	collections::hash_map::RandomState,
	hash::{BuildHasher, Hasher},
	io::Read,
};

/// Bytes per body chunk of an upload (the daemon's chunker cuts 256 KiB blocks too).
pub const UPLOAD_CHUNK: usize = 256 * 1024;

/// A fresh multipart boundary: 128 random bits (from the standard library's per-instance
/// random hasher keys), so that file bytes containing it are as likely as guessing them.
pub fn boundary() -> String {
	let word = || RandomState::new().build_hasher().finish();
	format!("cairn-{:016x}{:016x}", word(), word())
}

/// The body of an `add`: `reader`'s bytes as the part `file`, between `boundary` lines. A read
/// error ends the body with that error, which aborts the request.
pub fn multipart_body<R: Read + Send + 'static>(reader: R, boundary: &str) -> hyper::Body {
	let head = format!(
		"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data\"\r\n\
		 Content-Type: application/octet-stream\r\n\r\n"
	);
	let tail = format!("\r\n--{boundary}--\r\n");
	let data = stream::unfold(Some(reader), |reader| async move {
		let mut reader = reader?;
		// Up to a whole chunk; fewer bytes only at the end of the input.
		let mut chunk = Vec::with_capacity(UPLOAD_CHUNK);
		match (&mut reader).take(UPLOAD_CHUNK as u64).read_to_end(&mut chunk) {
			Ok(0) => None,
			Ok(_) => Some((Ok(Bytes::from(chunk)), Some(reader))),
			Err(e) => Some((Err(e), None)),
		}
	});
	let body = stream::once(ready(Ok::<_, std::io::Error>(Bytes::from(head))))
		.chain(data)
		.chain(stream::once(ready(Ok(Bytes::from(tail)))));
	hyper::Body::wrap_stream(body)
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
	use super::*;
	use futures::TryStreamExt;

	async fn body_of(data: Vec<u8>, boundary: &str) -> Vec<Bytes> {
		let body = multipart_body(std::io::Cursor::new(data), boundary);
		body.try_collect().await.expect("body")
	}

	#[tokio::test]
	async fn one_file_part_in_large_chunks() {
		let data: Vec<u8> = (0..UPLOAD_CHUNK * 2 + 5).map(|i| (i % 251) as u8).collect();
		let chunks = body_of(data.clone(), "b0").await;
		// Head, two full chunks, the rest, tail.
		let sizes: Vec<usize> = chunks.iter().map(Bytes::len).collect();
		assert_eq!(sizes[1..4], [UPLOAD_CHUNK, UPLOAD_CHUNK, 5]);
		let whole: Vec<u8> = chunks.concat();
		let head = b"--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data\"\r\n\
			Content-Type: application/octet-stream\r\n\r\n";
		assert!(whole.starts_with(head));
		assert!(whole.ends_with(b"\r\n--b0--\r\n"));
		assert_eq!(&whole[head.len()..whole.len() - 10], &data[..]);
	}

	#[tokio::test]
	async fn an_empty_file_is_an_empty_part() {
		let whole = body_of(Vec::new(), "b1").await.concat();
		assert!(whole.ends_with(b"\r\n\r\n\r\n--b1--\r\n"), "{}", String::from_utf8_lossy(&whole));
	}

	#[test]
	fn boundaries_differ() {
		let a = boundary();
		assert_eq!(a.len(), "cairn-".len() + 32);
		assert_ne!(a, boundary());
	}
}
