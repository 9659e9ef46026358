//! Answering audit challenges, apart from the agent's main loop.
//!
//! The main loop handles one file at a time, and fetching a piece may take minutes
//! (`--pin-timeout`); an answer is due within the response window (10 blocks). So the
//! [`Auditor`] reads the follower's notices first: it starts an answer for each challenge
//! addressed to us as soon as its block arrives, each in a task of its own (one piece that
//! cannot be read holds up no other answer), and passes every notice on to the main loop.

use super::Error;
use crate::{
	chain::{AccountId, ChainApi, Notice, StorageEvent},
	cid, Shutdown,
};
use cairn_ipfs::Ipfs;
use std::time::Duration;
use tokio::{sync::mpsc, task::JoinSet};

/// How long the agent reads a challenged piece before giving up on the answer: well inside a
/// response window (10 blocks, 30 s on the dev chain), and far below kubo's 120 s wait for a
/// block nobody has. A piece that takes longer is deleted or being lost; reading a 128 MiB
/// piece from the local daemon takes a second or two.
pub const AUDIT_READ_TIMEOUT: Duration = Duration::from_secs(20);

/// Answers the challenges addressed to one operator.
pub struct Auditor<C, I> {
	chain: C,
	ipfs: I,
	me: AccountId,
	/// How long a challenged piece may take to read ([`AUDIT_READ_TIMEOUT`]).
	pub timeout: Duration,
	/// Answers in flight.
	pub(super) tasks: JoinSet<()>,
}

impl<C, I> Auditor<C, I>
where
	C: ChainApi + Clone + 'static,
	I: Ipfs + Clone + 'static,
{
	/// An auditor answering for `me`.
	pub fn new(chain: C, ipfs: I, me: AccountId) -> Self {
		Self { chain, ipfs, me, timeout: AUDIT_READ_TIMEOUT, tasks: JoinSet::new() }
	}

	/// Start answering the challenges addressed to us in `events`, and log our audit results.
	pub fn on_events(&mut self, events: &[StorageEvent]) {
		for event in events {
			match event {
				StorageEvent::ChallengeIssued {
					challenge,
					cid,
					index,
					operator,
					leaf_index,
					deadline,
					..
				} if *operator == self.me => {
					let challenge = crate::audit::Challenge {
						id: *challenge,
						cid: cid.clone(),
						piece_index: *index,
						leaf_index: *leaf_index,
						deadline: *deadline,
					};
					let (chain, ipfs, limit) =
						(self.chain.clone(), self.ipfs.clone(), self.timeout);
					self.tasks.spawn(async move {
						if let Err(error) = answer_challenge(&chain, &ipfs, &challenge, limit).await
						{
							tracing::error!(challenge = challenge.id, %error, "cannot answer an audit challenge");
						}
					});
				}
				StorageEvent::AuditPassed { challenge, cid, index, operator, .. }
					if *operator == self.me =>
				{
					tracing::info!(challenge, file = %cid::display(cid), index, "audit passed")
				}
				StorageEvent::AuditFailed { challenge, cid, index, operator, slashed, .. }
					if *operator == self.me =>
				{
					tracing::error!(challenge, file = %cid::display(cid), index, slashed, "audit FAILED")
				}
				_ => {}
			}
		}
	}

	/// Wait until every answer in flight is submitted or given up.
	pub async fn finish(&mut self) {
		while let Some(done) = self.tasks.join_next().await {
			log_task(done);
		}
	}

	/// Run in a task of its own until `shutdown` or the end of `notices`: answer challenges as
	/// their blocks arrive and pass every notice on, in order, to the returned receiver.
	pub fn in_front_of(
		mut self,
		mut notices: mpsc::Receiver<Notice>,
		shutdown: Shutdown,
	) -> mpsc::Receiver<Notice> {
		let (sender, receiver) = mpsc::channel(256);
		tokio::spawn(async move {
			loop {
				tokio::select! {
					_ = shutdown.wait() => return,
					Some(done) = self.tasks.join_next(), if !self.tasks.is_empty() => log_task(done),
					notice = notices.recv() => {
						let Some(notice) = notice else { return };
						if let Notice::Block(block) = &notice {
							self.on_events(&block.events);
						}
						if sender.send(notice).await.is_err() {
							return;
						}
					}
				}
			}
		});
		receiver
	}
}

/// Answer an audit challenge from our pinned copy of the piece, giving up if the piece cannot
/// be read within `read_timeout`.
pub async fn answer_challenge<C: ChainApi, I: Ipfs>(
	chain: &C,
	ipfs: &I,
	challenge: &crate::audit::Challenge,
	read_timeout: Duration,
) -> Result<(), Error> {
	let name = cid::display(&challenge.cid);
	let index = challenge.piece_index;
	let unknown = || Error::UnknownPiece { challenge: challenge.id, file: name.clone(), index };
	let info = chain.file(&challenge.cid).await?.ok_or_else(unknown)?;
	let content = info.piece(index).and_then(|p| p.content.clone()).ok_or_else(unknown)?;
	let piece_cid = cid::from_bytes(&content.cid)?;
	tracing::info!(
		challenge = challenge.id, file = %name, index,
		leaf = challenge.leaf_index, deadline = challenge.deadline,
		"challenged: proving we still hold the piece"
	);
	let read = crate::audit::answer(ipfs, &piece_cid, &content.root, challenge);
	let answer =
		tokio::time::timeout(read_timeout, read).await.map_err(|_| Error::AuditReadTimeout {
			challenge: challenge.id,
			file: name.clone(),
			index,
			waited: read_timeout,
		})??;
	chain.submit_proof(answer.challenge_id, answer.leaf, answer.proof).await?;
	tracing::info!(challenge = challenge.id, file = %name, "audit answer submitted");
	Ok(())
}

/// An answer task ended: nothing to report unless it panicked.
fn log_task(done: Result<(), tokio::task::JoinError>) {
	if let Err(error) = done {
		tracing::error!(%error, "an audit answer task failed");
	}
}
