//! `cairn-node`: the Cairn full node.

// `sc_cli::Error` and `sc_service::Error` are large, and every command returns them.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;
mod storage_worker;

fn main() -> sc_cli::Result<()> {
	command::run()
}
