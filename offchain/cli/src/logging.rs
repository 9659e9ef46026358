//! Log set-up for the `cairn` binary: `tracing` to stderr, filtered by `RUST_LOG` (default:
//! `info` for Cairn's own crates, `warn` for the rest).

/// Install the global subscriber. Calling it twice is harmless (the second call does nothing).
pub fn init(verbose: bool) {
	let default = if verbose { "cairn_cli=debug,cairn=debug,info" } else { "cairn_cli=info,warn" };
	let filter = tracing_subscriber::EnvFilter::try_from_default_env()
		.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
	let _ = tracing_subscriber::fmt()
		.with_env_filter(filter)
		.with_writer(std::io::stderr)
		// Colours only on a terminal: logs written to files stay plain text (and greppable).
		.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
		.with_target(false)
		.try_init();
}
