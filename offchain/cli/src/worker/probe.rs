//! Health probes: can the storage worker's IPFS daemon reach each operator's IPFS peer?
//!
//! Every `probe_interval` the prober reads the registered operators, dials the `ipfs_peer` of
//! each one that is neither leaving (its pieces are moved away anyway) nor already marked
//! offline (`swarm connect`, with a timeout, a second attempt after a short pause), and calls
//! `report_operator_offline` for each one it cannot reach. The chain marks an operator offline
//! only after `OfflineReportThreshold` such reports in distinct blocks within
//! `OfflineReportWindow`, so one lost probe does nothing; a marked operator's pieces stop
//! counting towards file health and files below their repair threshold are repaired.
//!
//! The chain counts one report per operator and block (`AlreadyReportedThisBlock`): the
//! prober reports an operator at most once per finalized block it has seen, and treats that
//! error, `AlreadyOffline` and `NotRegistered` (the chain's state moved on) as fine.

use crate::{
	chain::{AccountId, ChainApi, Included, OperatorRecord, StorageEvent},
	Shutdown,
};
use cairn_ipfs::Ipfs;
use std::{collections::BTreeMap, time::Duration};

/// How the prober probes.
#[derive(Clone, Debug)]
pub struct ProbeOptions {
	/// Longest wait for one `swarm connect`.
	pub timeout: Duration,
	/// Connection attempts before an operator counts as unreachable.
	pub attempts: u32,
	/// Pause between two attempts.
	pub pause: Duration,
}

impl Default for ProbeOptions {
	fn default() -> Self {
		Self { timeout: Duration::from_secs(20), attempts: 2, pause: Duration::from_secs(2) }
	}
}

/// What one round of probes found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProbeRound {
	/// Operators probed and reached.
	pub reachable: Vec<AccountId>,
	/// Operators probed and not reached.
	pub unreachable: Vec<AccountId>,
	/// Unreachable operators reported to the chain in this round.
	pub reported: Vec<AccountId>,
	/// Operators the chain marked offline on our report in this round.
	pub marked_offline: Vec<AccountId>,
	/// Operators not probed: already offline, or leaving.
	pub skipped: Vec<AccountId>,
}

/// The probes of one storage worker.
pub struct Prober<C, I> {
	chain: C,
	ipfs: I,
	options: ProbeOptions,
	/// The finalized block number seen when each operator was last reported.
	reported_at: BTreeMap<AccountId, u64>,
}

/// Whether the chain refused a report because its state already says enough.
fn is_benign(error: &crate::chain::Error) -> bool {
	error.dispatch().is_some_and(|d| {
		d.is("Storage", "AlreadyReportedThisBlock")
			|| d.is("Storage", "AlreadyOffline")
			|| d.is("Storage", "NotRegistered")
	})
}

impl<C: ChainApi, I: Ipfs> Prober<C, I> {
	/// A prober over `chain` (signing as a storage worker) and the worker's IPFS daemon.
	pub fn new(chain: C, ipfs: I, options: ProbeOptions) -> Self {
		Self { chain, ipfs, options, reported_at: BTreeMap::new() }
	}

	/// Whether the daemon reaches `peer`, and why not.
	async fn reach(&self, peer: &str) -> Result<(), String> {
		if peer.trim().is_empty() {
			return Err("the operator has no IPFS peer address".into());
		}
		let mut why = String::new();
		for attempt in 1..=self.options.attempts.max(1) {
			if attempt > 1 {
				tokio::time::sleep(self.options.pause).await;
			}
			match tokio::time::timeout(self.options.timeout, self.ipfs.swarm_connect(peer)).await {
				Ok(Ok(())) => return Ok(()),
				Ok(Err(error)) => why = error.to_string(),
				Err(_) => why = format!("no answer within {:?}", self.options.timeout),
			}
		}
		Err(why)
	}

	/// One round: probe every operator that may hold healthy pieces, report the unreachable.
	pub async fn probe_once(&mut self) -> Result<ProbeRound, crate::chain::Error> {
		let operators = self.chain.operators().await?;
		let mut round = ProbeRound::default();
		let mut probed: Vec<(AccountId, OperatorRecord)> = Vec::new();
		for (who, record) in operators {
			if let Some(since) = record.offline_since {
				tracing::debug!(operator = %who, since, "not probing: already marked offline (an audit it passes brings it back)");
				round.skipped.push(who);
			} else if record.is_leaving() {
				tracing::debug!(operator = %who, "not probing: leaving (repair moves its pieces away)");
				round.skipped.push(who);
			} else {
				probed.push((who, record));
			}
		}
		let this = &*self;
		let results = futures::future::join_all(probed.iter().map(|(who, record)| async move {
			let peer = record.peer();
			let reached = this.reach(&peer).await;
			(*who, peer, reached)
		}))
		.await;
		let block = self.chain.finalized_number().await?;
		let mut to_report = Vec::new();
		for (who, peer, result) in results {
			match result {
				Ok(()) => {
					tracing::debug!(operator = %who, %peer, "operator reachable");
					round.reachable.push(who);
				}
				Err(why) => {
					round.unreachable.push(who);
					match self.reported_at.get(&who) {
						Some(at) if *at >= block => tracing::info!(
							operator = %who, %peer, %why, reported_at = at,
							"operator unreachable; already reported at this finalized block (the chain counts one report per block)"
						),
						_ => {
							tracing::warn!(operator = %who, %peer, %why, "operator unreachable: reporting it offline");
							to_report.push(who);
						}
					}
				}
			}
		}
		let chain = &self.chain;
		let outcomes = futures::future::join_all(
			to_report
				.iter()
				.map(|who| async move { (*who, chain.report_operator_offline(who).await) }),
		)
		.await;
		for (who, outcome) in outcomes {
			match outcome {
				Ok(included) => {
					round.reported.push(who);
					self.log_report(&who, &included, &mut round);
				}
				Err(error) if is_benign(&error) => {
					tracing::info!(operator = %who, %error, "report not needed: the chain's state already says enough");
				}
				Err(error) => {
					tracing::warn!(operator = %who, %error, "cannot report the operator offline; trying again next round")
				}
			}
		}
		if !to_report.is_empty() {
			// The reports are in finalized blocks up to this one: the next ones go in later
			// blocks.
			let block = self.chain.finalized_number().await.unwrap_or(block);
			for who in &round.reported {
				self.reported_at.insert(*who, block);
			}
		}
		Ok(round)
	}

	fn log_report(&self, who: &AccountId, included: &Included, round: &mut ProbeRound) {
		for event in &included.events {
			match event {
				StorageEvent::OperatorReportedOffline { who: w, reports, .. } if w == who => {
					tracing::info!(operator = %who, reports, block = %included.block_hash, "operator reported offline")
				}
				StorageEvent::OperatorMarkedOffline { who: w, reports } if w == who => {
					tracing::warn!(operator = %who, reports, "the chain marked the operator OFFLINE: its pieces no longer count towards file health");
					round.marked_offline.push(*who);
				}
				_ => {}
			}
		}
	}

	/// Probe every `interval` until `shutdown`.
	pub async fn run(mut self, interval: Duration, shutdown: Shutdown) {
		tracing::info!(?interval, timeout = ?self.options.timeout, "probing the operators' IPFS peers");
		loop {
			let round = tokio::select! {
				round = self.probe_once() => round,
				_ = shutdown.wait() => return,
			};
			match round {
				Ok(round) => tracing::debug!(
					reachable = round.reachable.len(),
					unreachable = round.unreachable.len(),
					reported = round.reported.len(),
					skipped = round.skipped.len(),
					"probe round done"
				),
				Err(error) => tracing::warn!(%error, "probe round failed; trying again next round"),
			}
			if !shutdown.sleep(interval).await {
				return;
			}
		}
	}
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
	use super::*;
	use crate::{
		chain::OperatorStatus,
		testing::{account, FakeChain, FakeIpfs, OFFLINE_REPORT_THRESHOLD},
	};

	fn fast() -> ProbeOptions {
		ProbeOptions {
			timeout: Duration::from_millis(200),
			attempts: 2,
			pause: Duration::from_millis(1),
		}
	}

	/// Operators 1..=4 at `/peer/<i>`.
	fn setup() -> (FakeChain, FakeIpfs) {
		let chain = FakeChain::worker();
		for i in 1..=4u8 {
			chain.add_operator(account(i), &format!("/peer/{i}"));
		}
		(chain, FakeIpfs::default())
	}

	#[tokio::test]
	async fn unreachable_operators_are_reported_once_per_block_until_marked_offline() {
		let (chain, ipfs) = setup();
		ipfs.set_reachable("/peer/2", false);
		ipfs.set_reachable("/peer/4", false);
		let mut prober = Prober::new(chain.clone(), ipfs.clone(), fast());

		let round = prober.probe_once().await.expect("round");
		assert_eq!(round.reachable, vec![account(1), account(3)]);
		assert_eq!(round.unreachable, vec![account(2), account(4)]);
		assert_eq!(round.reported, vec![account(2), account(4)]);
		// Two attempts for each unreachable operator, one for the others.
		assert_eq!(ipfs.connects().iter().filter(|a| *a == "/peer/2").count(), 2);
		assert_eq!(ipfs.connects().iter().filter(|a| *a == "/peer/1").count(), 1);

		// Same block: nothing is reported again (the chain would refuse it).
		let round = prober.probe_once().await.expect("round");
		assert_eq!(round.unreachable.len(), 2);
		assert!(round.reported.is_empty());
		assert_eq!(chain.offline_calls().len(), 2);

		// Operator 4 comes back; operator 2 stays away and is marked offline at the threshold.
		ipfs.set_reachable("/peer/4", true);
		let mut marked = Vec::new();
		for _ in 1..OFFLINE_REPORT_THRESHOLD {
			chain.advance_block();
			let round = prober.probe_once().await.expect("round");
			assert_eq!(round.reported, vec![account(2)]);
			marked.extend(round.marked_offline);
		}
		assert_eq!(marked, vec![account(2)]);
		let record = chain.operator(&account(2)).await.expect("read").expect("registered").record;
		assert!(record.offline_since.is_some());

		// Offline operators are not probed any more.
		chain.advance_block();
		let round = prober.probe_once().await.expect("round");
		assert_eq!(round.skipped, vec![account(2)]);
		assert!(round.reported.is_empty());
	}

	#[tokio::test]
	async fn leaving_operators_are_not_probed_and_benign_refusals_are_fine() {
		let (chain, ipfs) = setup();
		chain.update_operator(&account(3), |r| r.status = OperatorStatus::Leaving { since: 1 });
		ipfs.set_reachable("/peer/3", false);
		ipfs.set_reachable("/peer/1", false);
		// Another worker already reported operator 1 in this block.
		chain.report_operator_offline(&account(1)).await.expect("first report");
		let mut prober = Prober::new(chain.clone(), ipfs.clone(), fast());
		let round = prober.probe_once().await.expect("a refused report is not an error");
		assert_eq!(round.skipped, vec![account(3)]);
		assert_eq!(round.unreachable, vec![account(1)]);
		assert!(round.reported.is_empty());
		assert!(!ipfs.connects().contains(&"/peer/3".to_string()));
	}

	#[tokio::test]
	async fn a_peer_that_never_answers_times_out() {
		let (chain, ipfs) = setup();
		ipfs.set_hanging("/peer/1");
		let options = ProbeOptions { attempts: 1, ..fast() };
		let mut prober = Prober::new(chain.clone(), ipfs, options);
		let round = prober.probe_once().await.expect("round");
		assert_eq!(round.unreachable, vec![account(1)]);
		assert_eq!(round.reported, vec![account(1)]);
	}
}
