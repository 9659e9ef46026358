//! Explicit shutdown: one handle per task, all told at once (mini-redis style).
//!
//! A [`Shutdown`] is cheap to clone; [`Shutdown::trigger`] tells every clone, and
//! [`Shutdown::wait`] completes once told (immediately if already told). Long-running loops
//! `select!` on it so they stop between actions, never in the middle of one.

use tokio::sync::watch;

/// A shutdown signal shared by every task of a service.
#[derive(Clone, Debug)]
pub struct Shutdown {
	sender: std::sync::Arc<watch::Sender<bool>>,
	receiver: watch::Receiver<bool>,
}

impl Default for Shutdown {
	fn default() -> Self {
		Self::new()
	}
}

impl Shutdown {
	/// A signal not yet triggered.
	pub fn new() -> Self {
		let (sender, receiver) = watch::channel(false);
		Self { sender: std::sync::Arc::new(sender), receiver }
	}

	/// Tell every holder to stop.
	pub fn trigger(&self) {
		self.sender.send_replace(true);
	}

	/// Whether the signal was triggered.
	pub fn is_triggered(&self) -> bool {
		*self.receiver.borrow()
	}

	/// Complete once the signal is triggered.
	pub async fn wait(&self) {
		let mut receiver = self.receiver.clone();
		// An error means every sender is gone, which can only happen once `self` is dropped.
		let _ = receiver.wait_for(|stopped| *stopped).await;
	}

	/// Trigger on Ctrl-C (SIGINT) or SIGTERM.
	pub fn trigger_on_signals(&self) {
		let shutdown = self.clone();
		tokio::spawn(async move {
			let ctrl_c = tokio::signal::ctrl_c();
			#[cfg(unix)]
			{
				let mut term =
					match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
					{
						Ok(term) => term,
						Err(error) => {
							tracing::warn!(%error, "cannot listen for SIGTERM; Ctrl-C only");
							let _ = ctrl_c.await;
							shutdown.trigger();
							return;
						}
					};
				tokio::select! {
					_ = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
					_ = term.recv() => tracing::info!("SIGTERM: shutting down"),
				}
			}
			#[cfg(not(unix))]
			{
				let _ = ctrl_c.await;
				tracing::info!("Ctrl-C: shutting down");
			}
			shutdown.trigger();
		});
	}

	/// Sleep for `duration`, or less if told to stop; returns `false` if told to stop.
	pub async fn sleep(&self, duration: std::time::Duration) -> bool {
		tokio::select! {
			_ = tokio::time::sleep(duration) => true,
			_ = self.wait() => false,
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[tokio::test]
	async fn every_clone_is_told() {
		let shutdown = Shutdown::new();
		let other = shutdown.clone();
		assert!(!other.is_triggered());
		let waiter = tokio::spawn(async move { other.wait().await });
		shutdown.trigger();
		assert!(waiter.await.is_ok());
		assert!(shutdown.is_triggered());
		assert!(!shutdown.sleep(std::time::Duration::from_secs(60)).await);
	}
}
