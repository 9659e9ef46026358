//! Errors of the chain client.

use std::fmt;

/// A call the chain executed and rejected: the dispatch error, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DispatchFailure {
	/// Pallet of a module error (`Storage`), `None` for the other dispatch errors.
	pub pallet: Option<String>,
	/// The error's name (`InvalidCid`), or the dispatch error's description.
	pub error: String,
	/// The error's documentation from the metadata (why, and how to avoid it).
	pub docs: String,
}

impl DispatchFailure {
	/// Whether this is `pallet.error`.
	pub fn is(&self, pallet: &str, error: &str) -> bool {
		self.pallet.as_deref() == Some(pallet) && self.error == error
	}
}

impl fmt::Display for DispatchFailure {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match &self.pallet {
			Some(pallet) => write!(f, "{pallet}.{}", self.error),
			None => f.write_str(&self.error),
		}
	}
}

/// What can go wrong talking to a Cairn node.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
	/// The node could not be reached or its metadata not read.
	#[error("cannot connect to {url}: {reason}")]
	Connect {
		/// The RPC URL.
		url: String,
		/// Why.
		reason: String,
	},
	/// The secret URI does not make an sr25519 key.
	#[error("invalid secret URI: {0}")]
	InvalidSuri(String),
	/// A call needs a signer and the client has none.
	#[error("this action needs a signing key (--suri)")]
	NoSigner,
	/// The call was executed and failed: `Pallet.Error`.
	#[error("the chain rejected the call: {0}{docs}", docs = docs_suffix(.0))]
	Dispatch(DispatchFailure),
	/// The transaction never made it into a finalized block (invalid, dropped, usurped).
	#[error("transaction not included: {0}")]
	NotIncluded(String),
	/// The node's metadata lacks something this client needs (wrong chain or runtime).
	#[error("the node's runtime does not match this client: {0}")]
	Metadata(String),
	/// An RPC request failed or a value did not decode.
	#[error("RPC: {0}")]
	Rpc(String),
	/// The finalized block subscription ended.
	#[error("the node closed the finalized block subscription")]
	SubscriptionEnded,
}

fn docs_suffix(failure: &DispatchFailure) -> String {
	if failure.docs.is_empty() {
		String::new()
	} else {
		format!(" ({})", failure.docs)
	}
}

impl Error {
	/// The dispatch failure, if the chain rejected the call.
	pub fn dispatch(&self) -> Option<&DispatchFailure> {
		match self {
			Self::Dispatch(failure) => Some(failure),
			_ => None,
		}
	}

	/// Whether trying again later may succeed (network trouble, a dropped transaction), as
	/// opposed to a call the chain rejected.
	pub fn is_transient(&self) -> bool {
		matches!(self, Self::Connect { .. } | Self::NotIncluded(_) | Self::Rpc(_))
			|| matches!(self, Self::SubscriptionEnded)
	}
}

/// Any subxt error (or one of its many specific ones) as an RPC error.
pub(crate) fn rpc(error: impl fmt::Display) -> Error {
	Error::Rpc(error.to_string())
}
