//! Small I/O helpers, and checking a stored piece against its root.

use crate::{Error, Result, SizeFound};
use cairn_storage_primitives::{Hash, RootBuilder, LEAF_SIZE};
use std::io::{ErrorKind, Read};

/// Fill `buf` from `reader`, stopping early only at the end of the stream. Returns the number
/// of bytes read (short only at end of stream).
pub(crate) fn read_full<R: Read + ?Sized>(
	reader: &mut R,
	buf: &mut [u8],
) -> std::io::Result<usize> {
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

/// True if `reader` has no more bytes.
pub(crate) fn at_end<R: Read + ?Sized>(reader: &mut R) -> std::io::Result<bool> {
	let mut probe = [0u8; 1];
	Ok(read_full(reader, &mut probe)? == 0)
}

/// Bytes hashed per read while streaming a piece (512 leaves).
const CHUNK: usize = 512 * LEAF_SIZE;

/// The Merkle root and size of the piece read from `reader`, in bounded memory.
///
/// Fails if the piece is empty or not a whole number of leaves.
pub fn piece_root<R: Read>(mut reader: R) -> Result<(Hash, u64)> {
	let mut builder = RootBuilder::new();
	let mut buf = vec![0u8; CHUNK];
	let mut size = 0u64;
	loop {
		let read = read_full(&mut reader, &mut buf)?;
		// `read <= buf.len()`.
		builder.push_leaves(&buf[..read])?;
		size = size.saturating_add(read as u64);
		if read < buf.len() {
			return Ok((builder.finish()?, size));
		}
	}
}

/// Check that the piece read from `reader` is piece `index` of a file: `piece_size` bytes whose
/// root is `root` (both as recorded on-chain). Reads at most `piece_size + 1` bytes.
pub fn verify_piece<R: Read>(index: usize, reader: R, piece_size: u64, root: &Hash) -> Result<()> {
	let mut reader = reader.take(piece_size.saturating_add(1));
	let mut builder = RootBuilder::new();
	let mut buf = vec![0u8; CHUNK];
	let mut size = 0u64;
	loop {
		let read = read_full(&mut reader, &mut buf)?;
		size = size.saturating_add(read as u64);
		if size > piece_size {
			return Err(Error::PieceSize { index, expected: piece_size, actual: SizeFound::Long });
		}
		if read < buf.len() && size < piece_size {
			let actual = SizeFound::Short(size);
			return Err(Error::PieceSize { index, expected: piece_size, actual });
		}
		// `read <= buf.len()`; only the last chunk can be short, and then `size == piece_size`.
		builder.push_leaves(&buf[..read])?;
		if read < buf.len() {
			break;
		}
	}
	let found = builder.finish()?;
	if &found != root {
		return Err(Error::CorruptPiece { index, expected: *root, found });
	}
	Ok(())
}
