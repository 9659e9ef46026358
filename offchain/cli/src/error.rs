//! The one error type of the crate: each module's own error, wrapped.

/// Everything that can go wrong in the Cairn client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
	/// Talking to the chain failed, or a call was rejected (see [`crate::chain::Error`]).
	#[error(transparent)]
	Chain(#[from] crate::chain::Error),
	/// Talking to the IPFS daemon failed.
	#[error(transparent)]
	Ipfs(#[from] cairn_ipfs::Error),
	/// Encoding or decoding pieces failed.
	#[error("erasure coding: {0}")]
	Erasure(#[from] cairn_erasure::Error),
	/// Encrypting or decrypting a file, or unwrapping its key, failed.
	#[error("encryption: {0}")]
	Crypt(#[from] cairn_crypt::Error),
	/// A CID could not be parsed or is not what the chain stores.
	#[error(transparent)]
	Cid(#[from] crate::cid::CidError),
	/// The user commands failed (see [`crate::user::Error`]).
	#[error(transparent)]
	User(#[from] crate::user::Error),
	/// The operator agent failed (see [`crate::agent::Error`]).
	#[error(transparent)]
	Agent(#[from] crate::agent::Error),
	/// Building an audit answer failed (see [`crate::audit::Error`]).
	#[error(transparent)]
	Audit(#[from] crate::audit::Error),
	/// The storage worker failed (see [`crate::worker::Error`]).
	#[error(transparent)]
	Worker(#[from] crate::worker::Error),
	/// A local file could not be read or written.
	#[error("{context}: {source}")]
	Io {
		/// What was being done.
		context: String,
		/// The underlying error.
		source: std::io::Error,
	},
	/// A blocking task panicked or was cancelled.
	#[error("background task failed: {0}")]
	Task(String),
}

impl Error {
	/// An I/O error with what was being done.
	pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
		Self::Io { context: context.into(), source }
	}

	/// The dispatch error name (`Pallet.Error`) if this is a call the chain rejected.
	pub fn dispatch_name(&self) -> Option<String> {
		match self {
			Self::Chain(crate::chain::Error::Dispatch(failure)) => Some(failure.to_string()),
			_ => None,
		}
	}
}

impl From<tokio::task::JoinError> for Error {
	fn from(error: tokio::task::JoinError) -> Self {
		Self::Task(error.to_string())
	}
}

/// Result of this crate's functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;
