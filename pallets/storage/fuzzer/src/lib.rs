//! Stateful fuzz harness of `pallet-storage`.
//!
//! [`run`] takes arbitrary bytes, decodes them as a [`Setup`](runtime::Setup) and a sequence of
//! [`Action`](actions::Action)s (every call of the pallet from any origin, and runs of blocks
//! with their hooks) and executes them on a fresh mock runtime ([`runtime`]). After every call
//! and every block it checks that
//!
//! - nothing panicked (a `defensive!` failure panics too: debug assertions are on in tests and
//!   in the fuzz build);
//! - `Pallet::do_try_state()` holds (funds conserved exactly, assignments, queues, audits);
//! - a call that returned an error changed no storage at all (the storage root is the same
//!   before and after it).
//!
//! Errors are expected (most random calls are rejected); only a panic or a broken check is a
//! bug. The same function runs in the unit tests (bounded, fixed seeds) and in the cargo-fuzz
//! target `storage_calls` (`scripts/fuzz.sh storage_calls`).

// The harness's job is to panic when a check fails.
#![allow(clippy::expect_used)]

pub mod actions;
mod exec;
pub mod runtime;
#[cfg(test)]
mod tests;

use std::{collections::BTreeMap, fmt};

pub use actions::{decode, Action};
pub use exec::{piece_pattern, piece_root, pool_cid, MAX_BLOCKS};
pub use runtime::Setup;

/// Calls of one kind: how many ran and how many succeeded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallStats {
	/// Dispatched.
	pub calls: u64,
	/// Returned `Ok`.
	pub ok: u64,
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
	/// Runs of [`run`] / [`run_actions`] merged into this.
	pub inputs: u64,
	/// Actions executed (calls and runs of blocks).
	pub actions: u64,
	/// Calls dispatched.
	pub calls: u64,
	/// Calls that returned `Ok`.
	pub succeeded: u64,
	/// Blocks run (each with `on_finalize` and the next `on_initialize`).
	pub blocks: u64,
	/// Per call of the pallet.
	pub per_call: BTreeMap<&'static str, CallStats>,
	/// Errors returned, as `"call: Error"`.
	pub errors: BTreeMap<String, u64>,
	/// Events of the pallet emitted, by name (`FileStateChanged` by target state, `AuditFailed`
	/// and `PinRemoved` by reason): which deep states a run reached.
	pub events: BTreeMap<String, u64>,
}

impl Stats {
	/// Adds `other` to `self`.
	pub fn merge(&mut self, other: &Stats) {
		self.inputs += other.inputs;
		self.actions += other.actions;
		self.calls += other.calls;
		self.succeeded += other.succeeded;
		self.blocks += other.blocks;
		for (name, stats) in &other.per_call {
			let entry = self.per_call.entry(name).or_default();
			entry.calls += stats.calls;
			entry.ok += stats.ok;
		}
		for (name, count) in &other.errors {
			*self.errors.entry(name.clone()).or_default() += count;
		}
		for (name, count) in &other.events {
			*self.events.entry(name.clone()).or_default() += count;
		}
	}

	/// How many times the pallet emitted event `name` (as counted in [`Stats::events`]).
	pub fn event(&self, name: &str) -> u64 {
		self.events.get(name).copied().unwrap_or_default()
	}
}

impl fmt::Display for Stats {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(
			f,
			"{} inputs, {} actions: {} calls executed ({} succeeded), {} blocks, 0 panics, 0 \
			 broken invariants",
			self.inputs, self.actions, self.calls, self.succeeded, self.blocks
		)?;
		writeln!(f, "calls (ok/executed):")?;
		for (name, stats) in &self.per_call {
			writeln!(f, "  {name:<22} {:>7} / {:>7}", stats.ok, stats.calls)?;
		}
		writeln!(f, "events:")?;
		for (name, count) in &self.events {
			writeln!(f, "  {name:<34} {count:>7}")?;
		}
		writeln!(f, "errors: {} distinct", self.errors.len())
	}
}

/// Decodes `data` (see [`actions::decode`]) and runs it on a fresh runtime, checking after every
/// call and block. Panics on a bug.
pub fn run(data: &[u8]) -> Stats {
	let (setup, actions) = decode(data);
	run_actions(&setup, &actions)
}

/// Runs `actions` on a fresh runtime set up as `setup`, checking after every call and block.
pub fn run_actions(setup: &Setup, actions: &[Action]) -> Stats {
	let mut ext = runtime::new_externalities(setup);
	let mut stats = Stats { inputs: 1, ..Default::default() };
	ext.execute_with(|| {
		if let Err(error) = runtime::CairnStorage::do_try_state() {
			panic!("invariant broken: {error:?} (after setup)");
		}
	});
	for action in actions {
		ext.execute_with(|| exec::step(action, &mut stats));
		// With the changes committed to the backend after every action, the storage root
		// before a call (and after a failed one) is the backend's, so the root comparison of
		// failed calls costs almost nothing.
		ext.commit_all().expect("in-memory backend commits");
	}
	stats
}

/// The panic message of running `actions`, if it panics. Silence the panic hook around it
/// (see [`shrink`]) to keep the output readable.
pub fn failure(setup: &Setup, actions: &[Action]) -> Option<String> {
	let outcome = std::panic::catch_unwind(|| run_actions(setup, actions));
	let panic = outcome.err()?;
	Some(
		panic
			.downcast_ref::<String>()
			.cloned()
			.or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
			.unwrap_or_else(|| "non-string panic".into()),
	)
}

/// What makes two failures the same bug: the check that failed (without where it failed) or
/// the panic's first line without numbers.
fn failure_kind(message: &str) -> String {
	let line = message.lines().next().unwrap_or_default();
	let line = line.split(" (").next().unwrap_or(line);
	line.chars().filter(|c| !c.is_ascii_digit()).collect()
}

/// Shrinks a failing action sequence to a locally minimal one that fails the same way (drops
/// runs of actions, then shortens runs of blocks). Returns it with its panic message, or `None`
/// if `actions` does not fail. Panic output is silenced while it runs.
pub fn shrink(setup: &Setup, actions: &[Action]) -> Option<(Vec<Action>, String)> {
	let hook = std::panic::take_hook();
	std::panic::set_hook(Box::new(|_| {}));
	let shrunk = (|| {
		let kind = failure_kind(&failure(setup, actions)?);
		let fails = |candidate: &[Action]| {
			failure(setup, candidate).filter(|message| failure_kind(message) == kind)
		};
		let mut current = actions.to_vec();
		let mut message = fails(&current)?;
		let mut chunk = current.len().div_ceil(2).max(1);
		loop {
			let mut progress = false;
			let mut at = 0;
			while at < current.len() {
				let end = (at + chunk).min(current.len());
				let candidate: Vec<Action> =
					current[..at].iter().chain(&current[end..]).cloned().collect();
				match fails(&candidate) {
					Some(m) => {
						(current, message, progress) = (candidate, m, true);
					}
					None => at += chunk,
				}
			}
			if !progress {
				if chunk == 1 {
					break;
				}
				chunk = chunk.div_ceil(2);
			}
		}
		for at in 0..current.len() {
			while let Action::AdvanceBlocks { blocks, audit_randomness } = current[at] {
				if blocks <= 1 {
					break;
				}
				let mut candidate = current.clone();
				candidate[at] = Action::AdvanceBlocks { blocks: blocks - 1, audit_randomness };
				match fails(&candidate) {
					Some(m) => (current, message) = (candidate, m),
					None => break,
				}
			}
		}
		Some((current, message))
	})();
	std::panic::set_hook(hook);
	shrunk
}
