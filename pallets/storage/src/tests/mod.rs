//! Unit tests, one file per behaviour. Every test runs through
//! [`ExtBuilder::build_and_execute`](crate::mock::ExtBuilder::build_and_execute), which checks
//! every `try_state` invariant after the test body.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod assignments;
mod audits;
mod expiry;
mod invariants;
mod operators;
mod pins;
mod placement;
mod repair;
mod rewards;
mod tiers;
