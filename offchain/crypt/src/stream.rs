//! The chunked stream: encryption as a reader (and into a writer), decryption into a writer.

use crate::{
	format::Header, key::random, locate::tagged_prefixes, Error, FileKey, CHUNK_SIZE,
	ENCRYPTED_CHUNK_LEN, HEADER_LEN, KEY_LEN, NONCE_PREFIX_LEN, TAG_LEN,
};
use aes_gcm::{aead::AeadInPlace, Aes256Gcm};
use std::io::{self, ErrorKind, Read, Write};
use zeroize::Zeroizing;

/// Fill `buf` from `reader` as far as it goes; fewer bytes only at the end of the input.
fn read_full<R: Read + ?Sized>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
	let mut filled = 0;
	while filled < buf.len() {
		// `filled < buf.len()`, so the range is in bounds.
		match reader.read(&mut buf[filled..]) {
			Ok(0) => break,
			Ok(read) => filled += read,
			Err(error) if error.kind() == ErrorKind::Interrupted => continue,
			Err(error) => return Err(error),
		}
	}
	Ok(filled)
}

/// The next byte of `reader`, `None` at its end: the look-ahead that tells whether a full
/// chunk is the last one.
fn read_byte<R: Read + ?Sized>(reader: &mut R) -> io::Result<Option<u8>> {
	let mut byte = [0u8; 1];
	Ok((read_full(reader, &mut byte)? == 1).then_some(byte[0]))
}

/// The sealing side of a stream: key, header and position, apart from any buffering.
struct Sealer<R> {
	inner: R,
	aead: Aes256Gcm,
	header: Header,
	/// Index of the next chunk.
	index: u64,
	/// First plaintext byte of the next chunk, read to learn that the previous chunk was not
	/// the last.
	lookahead: Option<u8>,
	/// The last chunk has been sealed.
	done: bool,
}

impl<R: Read> Sealer<R> {
	fn new(key: &FileKey, prefix: [u8; NONCE_PREFIX_LEN], inner: R) -> Self {
		Self {
			inner,
			aead: key.aead_key(),
			header: Header::new(prefix),
			index: 0,
			lookahead: None,
			done: false,
		}
	}

	/// Read the next chunk's plaintext into `out` and seal it there in place, tag after it;
	/// returns its length (`out` must hold [`ENCRYPTED_CHUNK_LEN`] bytes). A chunk is the last
	/// one if it is short, or if it is full and the input ends right after it.
	///
	/// On error `out` is zeroed: it may be the caller's read buffer, and must not be left
	/// holding plaintext that a careless caller could pass on as ciphertext.
	fn seal_next(&mut self, out: &mut [u8]) -> Result<usize, Error> {
		let out =
			out.get_mut(..ENCRYPTED_CHUNK_LEN).ok_or(Error::Internal("chunk buffer too small"))?;
		self.try_seal_next(out).inspect_err(|_| out.fill(0))
	}

	fn try_seal_next(&mut self, out: &mut [u8]) -> Result<usize, Error> {
		let mut len = 0;
		if let Some(byte) = self.lookahead.take() {
			out[0] = byte;
			len = 1;
		}
		len += read_full(&mut self.inner, &mut out[len..CHUNK_SIZE])?;
		let last = if len < CHUNK_SIZE {
			true
		} else {
			self.lookahead = read_byte(&mut self.inner)?;
			self.lookahead.is_none()
		};
		let nonce = self.header.nonce(self.index, last).ok_or(Error::TooLarge)?;
		let (plaintext, tag_out) = out.split_at_mut(len);
		let tag = self
			.aead
			.encrypt_in_place_detached(&nonce.into(), &self.header.bytes, plaintext)
			.map_err(|_| Error::Internal("AES-256-GCM refused to seal a chunk"))?;
		tag_out[..TAG_LEN].copy_from_slice(&tag);
		self.index += 1;
		self.done = last;
		Ok(len + TAG_LEN)
	}
}

/// Encrypts as it is read: wraps a plaintext reader and yields the encrypted stream (header,
/// then chunks).
///
/// Memory: one encrypted chunk of staging, and only for reads into buffers smaller than
/// [`ENCRYPTED_CHUNK_LEN`]; larger buffers are filled in place (plaintext read into them and
/// encrypted there), so feeding it to `cairn_erasure::Coder::encode` adds no copy.
///
/// An error from the inner reader (other than `Interrupted`, which is retried) ends the
/// stream: that call and every later one fail, because the plaintext of the chunk being read
/// is lost. A chunk-count overflow ([`Error::TooLarge`]) arrives inside an `io::Error`; get it
/// back with [`io::Error::downcast`].
pub struct EncryptReader<R: Read> {
	sealer: Sealer<R>,
	/// Bytes of the header or of one chunk waiting to be returned, from `pos` on.
	staged: Vec<u8>,
	pos: usize,
	/// An earlier read failed.
	failed: bool,
}

impl<R: Read> EncryptReader<R> {
	/// Encrypt `inner` under `key` (with a random nonce prefix).
	pub fn new(key: &FileKey, inner: R) -> Result<Self, Error> {
		let mut prefix = [0u8; NONCE_PREFIX_LEN];
		random(&mut prefix)?;
		Self::with_nonce_prefix(key, prefix, inner)
	}

	/// With a chosen nonce prefix, for byte-for-byte tests.
	pub(crate) fn with_nonce_prefix(
		key: &FileKey,
		prefix: [u8; NONCE_PREFIX_LEN],
		inner: R,
	) -> Result<Self, Error> {
		let sealer = Sealer::new(key, prefix, inner);
		let staged = sealer.header.bytes.to_vec();
		Ok(Self { sealer, staged, pos: 0, failed: false })
	}

	/// Give back the plaintext reader.
	pub fn into_inner(self) -> R {
		self.sealer.inner
	}

	fn fill(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
		let mut written = 0;
		loop {
			// Staged bytes first.
			let staged = &self.staged[self.pos..];
			let n = staged.len().min(buf.len() - written);
			buf[written..written + n].copy_from_slice(&staged[..n]);
			(self.pos, written) = (self.pos + n, written + n);
			let room = buf.len() - written;
			if self.pos < self.staged.len() || self.sealer.done || room == 0 {
				return Ok(written);
			}
			if room >= ENCRYPTED_CHUNK_LEN {
				// Room for a whole chunk: seal it in the caller's buffer.
				written += self.sealer.seal_next(&mut buf[written..])?;
			} else {
				self.staged.resize(ENCRYPTED_CHUNK_LEN, 0);
				let len = self.sealer.seal_next(&mut self.staged)?;
				self.staged.truncate(len);
				self.pos = 0;
			}
		}
	}
}

impl<R: Read> Read for EncryptReader<R> {
	fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
		if self.failed {
			return Err(io::Error::other("encryption stopped: an earlier read of the file failed"));
		}
		self.fill(buf).map_err(|error| {
			self.failed = true;
			error.into()
		})
	}
}

/// Encrypt everything `plaintext` yields into `ciphertext` under `key` (random nonce prefix);
/// returns the ciphertext bytes written, [`ciphertext_len`](crate::ciphertext_len) of the
/// plaintext's length. Memory: one encrypted chunk.
pub fn encrypt<R: Read, W: Write>(
	key: &FileKey,
	plaintext: R,
	ciphertext: W,
) -> Result<u64, Error> {
	let mut prefix = [0u8; NONCE_PREFIX_LEN];
	random(&mut prefix)?;
	encrypt_with_nonce_prefix(key, prefix, plaintext, ciphertext)
}

/// [`encrypt`] with a chosen nonce prefix, for byte-for-byte tests.
pub(crate) fn encrypt_with_nonce_prefix<R: Read, W: Write>(
	key: &FileKey,
	prefix: [u8; NONCE_PREFIX_LEN],
	plaintext: R,
	mut ciphertext: W,
) -> Result<u64, Error> {
	let mut sealer = Sealer::new(key, prefix, plaintext);
	ciphertext.write_all(&sealer.header.bytes)?;
	let mut written = HEADER_LEN as u64;
	let mut chunk = vec![0u8; ENCRYPTED_CHUNK_LEN];
	while !sealer.done {
		let len = sealer.seal_next(&mut chunk)?;
		ciphertext.write_all(&chunk[..len])?;
		written += len as u64;
	}
	ciphertext.flush()?;
	Ok(written)
}

/// Decrypt the stream `ciphertext` under `key` into `plaintext`; returns the plaintext bytes
/// written.
///
/// Each chunk's plaintext is written only after that chunk authenticated, so on
/// [`Error::ChunkRejected`] the writer holds exactly the chunks before the rejected one.
/// Truncation ([`Error::Truncated`]) and trailing data ([`Error::TrailingData`]) can only be
/// seen at the end, after the authentic chunks were written: on **any** error the output is
/// incomplete and must be discarded (the CLI writes to a temporary file and deletes it).
///
/// Memory: two chunk buffers (the ciphertext as read, and the copy opened in place, so that a
/// chunk that fails one way can still be tried another) and a one-byte look-ahead.
pub fn decrypt<R: Read, W: Write>(
	key: &FileKey,
	mut ciphertext: R,
	plaintext: W,
) -> Result<u64, Error> {
	let mut first = [0u8; HEADER_LEN];
	let got = read_full(&mut ciphertext, &mut first)?;
	let header = Header::parse(&first[..got])?;
	let opener = Opener { aead: key.aead_key(), key: Zeroizing::new(*key.as_bytes()), header };
	let mut output = Output { writer: plaintext, written: 0 };
	let mut sealed = vec![0u8; ENCRYPTED_CHUNK_LEN];
	let mut opened = vec![0u8; ENCRYPTED_CHUNK_LEN];
	let mut lookahead = None;
	let mut index = 0u64;
	loop {
		let mut len = 0;
		if let Some(byte) = lookahead.take() {
			sealed[0] = byte;
			len = 1;
		}
		len += read_full(&mut ciphertext, &mut sealed[len..])?;
		if len == ENCRYPTED_CHUNK_LEN {
			lookahead = read_byte(&mut ciphertext)?;
		}
		let chunk = &sealed[..len];
		if lookahead.is_some() {
			// A full chunk with more after it: a middle chunk...
			if let Some(bytes) = opener.open(index, false, chunk, &mut opened) {
				output.emit(bytes)?;
				index += 1;
				continue;
			}
			// ... or else the last chunk (this one or a prefix of it) with bytes appended.
			return match opener.find_last(index, chunk, len, &mut opened) {
				Some(bytes) => output.emit(bytes).and(Err(Error::TrailingData)),
				None => Err(Error::ChunkRejected { index }),
			};
		}
		// The input ends within or right after this chunk, so it must be the last one.
		if len == 0 {
			// Only possible right after the header: every later chunk starts with the
			// look-ahead byte.
			return Err(Error::Truncated { chunks: index });
		}
		if let Some(bytes) = opener.open(index, true, chunk, &mut opened) {
			output.emit(bytes)?;
			output.writer.flush()?;
			return Ok(output.written);
		}
		// A full middle chunk at the end: the stream was cut at a chunk boundary.
		if len == ENCRYPTED_CHUNK_LEN {
			if let Some(bytes) = opener.open(index, false, chunk, &mut opened) {
				output.emit(bytes)?;
				return Err(Error::Truncated { chunks: index + 1 });
			}
		}
		return match opener.find_last(index, chunk, len - 1, &mut opened) {
			Some(bytes) => output.emit(bytes).and(Err(Error::TrailingData)),
			None => Err(Error::ChunkRejected { index }),
		};
	}
}

/// The plaintext writer and the bytes written to it.
struct Output<W> {
	writer: W,
	written: u64,
}

impl<W: Write> Output<W> {
	fn emit(&mut self, bytes: &[u8]) -> Result<(), Error> {
		self.writer.write_all(bytes)?;
		self.written += bytes.len() as u64;
		Ok(())
	}
}

/// The opening side of a stream.
struct Opener {
	aead: Aes256Gcm,
	/// The file key, for [`tagged_prefixes`].
	key: Zeroizing<[u8; KEY_LEN]>,
	header: Header,
}

impl Opener {
	/// Open `chunk` (ciphertext then tag) as chunk `index`, last or not, in a copy in `out`;
	/// the plaintext if it authenticates. The copy keeps `chunk` intact for other attempts:
	/// aes-gcm 0.10.3 leaves a buffer it fails to open untouched, but the `AeadInPlace` trait
	/// does not promise it.
	fn open<'o>(
		&self,
		index: u64,
		last: bool,
		chunk: &[u8],
		out: &'o mut [u8],
	) -> Option<&'o [u8]> {
		let body_len = chunk.len().checked_sub(TAG_LEN)?;
		let (body, tag) = chunk.split_at(body_len);
		let tag: [u8; TAG_LEN] = tag.try_into().ok()?;
		let nonce = self.header.nonce(index, last)?;
		let out = out.get_mut(..body_len)?;
		out.copy_from_slice(body);
		self.aead
			.decrypt_in_place_detached(&nonce.into(), &self.header.bytes, out, &tag.into())
			.ok()?;
		Some(out)
	}

	/// The plaintext of the longest prefix of `chunk`, at most `max_len` bytes, that opens as
	/// the last chunk `index`: asked when `chunk` did not open, to tell bytes appended after
	/// the end of the stream ([`Error::TrailingData`]) from a damaged chunk. Candidates come
	/// from [`tagged_prefixes`] (one linear pass); each is then opened for real.
	fn find_last<'o>(
		&self,
		index: u64,
		chunk: &[u8],
		max_len: usize,
		out: &'o mut [u8],
	) -> Option<&'o [u8]> {
		let nonce = self.header.nonce(index, true)?;
		let lens = tagged_prefixes(&self.key, &nonce, &self.header.bytes, chunk, max_len);
		let len =
			lens.into_iter().find(|&len| self.open(index, true, &chunk[..len], out).is_some())?;
		self.open(index, true, &chunk[..len], out)
	}
}

#[cfg(test)]
#[allow(clippy::expect_used)] // Tests state what they expect.
mod tests {
	use super::*;
	use crate::{ciphertext_len, format::ALGORITHM_AES_256_GCM, MAGIC};
	use proptest::prelude::*;

	const PREFIX: [u8; NONCE_PREFIX_LEN] = [7, 6, 5, 4, 3, 2, 1];

	fn data(seed: u64, len: usize) -> Vec<u8> {
		let mut state = seed | 1;
		(0..len)
			.map(|_| {
				state ^= state << 13;
				state ^= state >> 7;
				state ^= state << 17;
				state as u8
			})
			.collect()
	}

	fn reference(key: &FileKey, plaintext: &[u8]) -> Vec<u8> {
		let mut out = Vec::new();
		encrypt_with_nonce_prefix(key, PREFIX, plaintext, &mut out).expect("encrypts");
		out
	}

	/// Read all of `reader` with read buffers cycling through `sizes`.
	fn read_with(mut reader: impl Read, sizes: &[usize]) -> Vec<u8> {
		let mut out = Vec::new();
		let mut buf = vec![0u8; sizes.iter().copied().max().unwrap_or(1)];
		for &size in sizes.iter().cycle() {
			match reader.read(&mut buf[..size]).expect("reads") {
				0 if size > 0 => return out,
				n => out.extend_from_slice(&buf[..n]),
			}
		}
		out
	}

	/// The format, rebuilt with an independent AES-256-GCM (RustCrypto's) from the README's
	/// description alone, must give the same bytes: header, then per chunk
	/// AES-256-GCM(key, prefix || BE32 index || last, aad = header, plaintext) || tag.
	#[test]
	fn matches_an_independent_aes_gcm_built_from_the_spec() {
		use aes_gcm::{aead::AeadInPlace, Aes256Gcm, KeyInit};
		let key_bytes = [0x42u8; 32];
		let key = FileKey::from_bytes(key_bytes);
		let cipher = Aes256Gcm::new(&key_bytes.into());
		for len in [0, 1, 100, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE + 5] {
			let plaintext = data(len as u64, len);
			let mut expected = Vec::new();
			expected.extend_from_slice(MAGIC);
			expected.extend_from_slice(&[1, ALGORITHM_AES_256_GCM, 16]);
			expected.extend_from_slice(&PREFIX);
			expected.extend_from_slice(&[0u8; 14]);
			assert_eq!(expected.len(), HEADER_LEN);
			let header = expected.clone();
			let chunks: Vec<&[u8]> =
				if len == 0 { vec![&[][..]] } else { plaintext.chunks(CHUNK_SIZE).collect() };
			for (index, chunk) in chunks.iter().enumerate() {
				let mut nonce = [0u8; 12];
				nonce[..7].copy_from_slice(&PREFIX);
				nonce[7..11].copy_from_slice(&(index as u32).to_be_bytes());
				nonce[11] = u8::from(index + 1 == chunks.len());
				let mut sealed = chunk.to_vec();
				let tag = cipher
					.encrypt_in_place_detached(&nonce.into(), &header, &mut sealed)
					.expect("seals");
				expected.extend_from_slice(&sealed);
				expected.extend_from_slice(&tag);
			}
			assert_eq!(reference(&key, &plaintext), expected, "length {len}");
		}
	}

	#[test]
	fn header_layout_is_as_documented() {
		let key = FileKey::from_bytes([1; 32]);
		let out = reference(&key, b"");
		assert_eq!(out.len(), HEADER_LEN + TAG_LEN);
		assert_eq!(&out[..8], b"CAIRNENC");
		assert_eq!(out[8..11], [1, 1, 16]);
		assert_eq!(out[11..18], PREFIX);
		assert_eq!(out[18..32], [0u8; 14]);
	}

	#[test]
	fn the_chunk_counter_stops_at_two_to_the_32() {
		let header = Header::new(PREFIX);
		assert!(header.nonce(u64::from(u32::MAX), true).is_some());
		assert!(header.nonce(1 << 32, false).is_none());
		assert!(header.nonce(1 << 32, true).is_none());
	}

	#[test]
	fn random_nonce_prefixes_differ() {
		let key = FileKey::from_bytes([3; 32]);
		let mut a = Vec::new();
		let mut b = Vec::new();
		encrypt(&key, &b"same"[..], &mut a).expect("encrypts");
		encrypt(&key, &b"same"[..], &mut b).expect("encrypts");
		assert_ne!(a[11..18], b[11..18]);
	}

	/// A reader that yields `good` bytes, then fails once, then would yield more.
	struct Flaky {
		good: usize,
		failed: bool,
	}

	impl Read for Flaky {
		fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
			if self.good == 0 && !self.failed {
				self.failed = true;
				return Err(io::Error::other("disk on fire"));
			}
			let n = buf.len().min(self.good.max(1));
			self.good = self.good.saturating_sub(n);
			buf[..n].fill(9);
			Ok(n)
		}
	}

	#[test]
	fn an_inner_read_error_ends_the_stream() {
		let key = FileKey::from_bytes([4; 32]);
		let mut reader =
			EncryptReader::new(&key, Flaky { good: 1000, failed: false }).expect("creates");
		let mut buf = vec![0u8; 4 * ENCRYPTED_CHUNK_LEN];
		let error = reader.read(&mut buf).expect_err("the inner error surfaces");
		assert_eq!(error.to_string(), "disk on fire");
		// The plaintext read before the failure (bytes of 9) is not left in the buffer.
		assert!(!buf.contains(&9));
		// The inner reader would go on, but the chunk it was reading is lost.
		assert!(reader.read(&mut buf).is_err());
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(64))]

		/// Any read sizes give the same bytes as `encrypt`, and they decrypt.
		#[test]
		fn reads_of_any_size_give_the_same_stream(
			len in prop_oneof![0usize..300, 0usize..3 * CHUNK_SIZE + 100],
			seed in any::<u64>(),
			sizes in prop::collection::vec(prop_oneof![1usize..64, 1usize..2 * ENCRYPTED_CHUNK_LEN + 50], 1..6),
		) {
			let key = FileKey::from_bytes([seed as u8; 32]);
			let plaintext = data(seed, len);
			let expected = reference(&key, &plaintext);
			prop_assert_eq!(expected.len() as u64, ciphertext_len(len as u64));
			let reader = EncryptReader::with_nonce_prefix(&key, PREFIX, &plaintext[..]).expect("creates");
			let streamed = read_with(reader, &sizes);
			prop_assert!(streamed == expected, "read sizes {:?} differ from encrypt", sizes);
			let mut decrypted = Vec::new();
			decrypt(&key, &streamed[..], &mut decrypted).expect("decrypts");
			prop_assert!(decrypted == plaintext);
		}
	}
}
