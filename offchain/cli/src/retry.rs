//! Exponential backoff for actions that may fail for a while (a daemon restarting, a node
//! catching up): each failure doubles the wait, up to a ceiling; a success resets it.

use std::time::Duration;

/// Backoff state of one action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
	initial: Duration,
	max: Duration,
	attempts: u32,
}

impl Backoff {
	/// First wait `initial`, doubling up to `max`.
	pub fn new(initial: Duration, max: Duration) -> Self {
		Self { initial, max, attempts: 0 }
	}

	/// Failures so far.
	pub fn attempts(&self) -> u32 {
		self.attempts
	}

	/// Record a failure and return how long to wait before the next attempt.
	pub fn next_delay(&mut self) -> Duration {
		let factor = 1u32.checked_shl(self.attempts.min(20)).unwrap_or(u32::MAX);
		self.attempts = self.attempts.saturating_add(1);
		self.initial.saturating_mul(factor).min(self.max)
	}

	/// Record a success.
	pub fn reset(&mut self) {
		self.attempts = 0;
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn doubles_up_to_the_ceiling_and_resets() {
		let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
		let delays: Vec<u64> = (0..5).map(|_| backoff.next_delay().as_secs()).collect();
		assert_eq!(delays, [1, 2, 4, 5, 5]);
		assert_eq!(backoff.attempts(), 5);
		backoff.reset();
		assert_eq!(backoff.next_delay(), Duration::from_secs(1));
	}
}
