//! A background task that follows finalized blocks and survives a lost connection.

use super::{BlockEvents, Client};
use crate::{retry::Backoff, Shutdown};
use std::time::Duration;
use tokio::sync::mpsc;

/// What the follower tells a service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
	/// The follower (re)subscribed: blocks may have been missed since the last [`Notice::Block`]
	/// (always sent first), so the service must re-read the state it depends on.
	Resync,
	/// A finalized block's `Storage` events.
	Block(BlockEvents),
}

/// Follow finalized blocks on `client` until `shutdown`; every subscription starts with a
/// [`Notice::Resync`]. A dropped subscription is re-made with backoff.
pub fn spawn_follower(client: Client, shutdown: Shutdown) -> mpsc::Receiver<Notice> {
	let (sender, receiver) = mpsc::channel(256);
	tokio::spawn(async move {
		let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
		while !shutdown.is_triggered() {
			let mut stream = match client.follow().await {
				Ok(stream) => stream,
				Err(error) => {
					let delay = backoff.next_delay();
					tracing::warn!(%error, ?delay, "cannot follow finalized blocks; retrying");
					if !shutdown.sleep(delay).await {
						break;
					}
					continue;
				}
			};
			tracing::debug!("following finalized blocks");
			if sender.send(Notice::Resync).await.is_err() {
				break;
			}
			loop {
				let next = tokio::select! {
					next = stream.next() => next,
					_ = shutdown.wait() => return,
				};
				match next {
					Ok(block) => {
						backoff.reset();
						if sender.send(Notice::Block(block)).await.is_err() {
							return;
						}
					}
					Err(error) => {
						let delay = backoff.next_delay();
						tracing::warn!(%error, ?delay, "lost the finalized block subscription; resubscribing");
						if !shutdown.sleep(delay).await {
							return;
						}
						break;
					}
				}
			}
		}
	});
	receiver
}
