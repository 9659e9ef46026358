//! `cairn`: store files on a Cairn chain, run an operator, run a storage worker.

use cairn_cli::{
	agent,
	chain::{self, Client, PinTier},
	secret, user, worker, Shutdown,
};
use clap::{Parser, Subcommand};
use std::{path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

#[derive(Parser)]
#[command(name = "cairn", version, about = "Erasure-coded storage on a Cairn chain")]
struct Cli {
	/// WebSocket RPC URL of a Cairn node.
	#[arg(long, global = true, env = "CAIRN_URL", default_value = "ws://127.0.0.1:9944")]
	url: String,
	/// More logs (RUST_LOG overrides).
	#[arg(short, long, global = true)]
	verbose: bool,
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Add a file to IPFS, pin it on the chain and wait until it is stored.
	Put {
		/// The file.
		file: PathBuf,
		/// Tier: critical, standard or temporary.
		#[arg(long, default_value = "standard")]
		tier: PinTier,
		/// Eras to pay for.
		#[arg(long)]
		eras: u32,
		/// IPFS RPC API of your daemon.
		#[arg(long, env = "CAIRN_IPFS", default_value = "http://127.0.0.1:5001")]
		ipfs: String,
		/// Secret URI of the paying account (`//Alice`, a seed phrase). It also derives the key
		/// that wraps the file's key: keep it safe, it decrypts every file you store.
		#[arg(long, env = "CAIRN_SURI")]
		suri: String,
		/// Pin the file as it is, readable by anyone with its CID (default: encrypt it on this
		/// machine first, so that only the holder of the secret can read it).
		#[arg(long)]
		public: bool,
		/// Return once pinned, without waiting for the operators to confirm.
		#[arg(long)]
		no_wait: bool,
		/// Longest wait for the file to be stored, in seconds.
		#[arg(long, default_value_t = 900)]
		timeout: u64,
	},
	/// Fetch a stored file: any k intact pieces, decoded and checked against the CID.
	Get {
		/// The file's CID.
		cid: String,
		/// Where to write it.
		#[arg(short, long)]
		output: PathBuf,
		/// IPFS RPC API of your daemon.
		#[arg(long, env = "CAIRN_IPFS", default_value = "http://127.0.0.1:5001")]
		ipfs: String,
		/// Longest wait for one piece, in seconds.
		#[arg(long, default_value_t = 120)]
		piece_timeout: u64,
		/// Secret URI of the file's owner: needed to decrypt an encrypted file.
		#[arg(long, env = "CAIRN_SURI")]
		suri: Option<String>,
	},
	/// Show a file's tier, state, privacy, pieces, health and expiry.
	Status {
		/// The file's CID.
		cid: String,
	},
	/// Storage operator commands.
	Operator {
		#[command(subcommand)]
		command: OperatorCommand,
	},
	/// Storage worker commands.
	Worker {
		#[command(subcommand)]
		command: WorkerCommand,
	},
}

#[derive(Subcommand)]
enum OperatorCommand {
	/// Run the operator agent: register, store assigned pieces, confirm them, claim rewards.
	Run {
		/// Secret URI of the operator account.
		#[arg(long, env = "CAIRN_SURI")]
		suri: String,
		/// IPFS RPC API of the operator's daemon.
		#[arg(long, env = "CAIRN_IPFS", default_value = "http://127.0.0.1:5001")]
		ipfs: String,
		/// Bond to hold when registering (smallest units).
		#[arg(long)]
		bond: u128,
		/// Capacity offered (bytes; K, M, G, T suffixes are binary).
		#[arg(long, value_parser = parse_size)]
		capacity: u64,
		/// Failure-domain tag, e.g. eu-west-1.
		#[arg(long)]
		region: String,
		/// IPFS multiaddr to announce (default: the daemon's first address).
		#[arg(long)]
		peer: Option<String>,
		/// Where the agent keeps its state.
		#[arg(long)]
		state_dir: PathBuf,
		/// Seconds between reward claims.
		#[arg(long, default_value_t = 3600)]
		claim_interval: u64,
		/// Longest wait for a piece to arrive by Bitswap, in seconds.
		#[arg(long, default_value_t = 120)]
		pin_timeout: u64,
	},
	/// Claim the rewards earned so far.
	Claim {
		/// Secret URI of the operator account.
		#[arg(long, env = "CAIRN_SURI")]
		suri: String,
	},
}

#[derive(Subcommand)]
enum WorkerCommand {
	/// Run the storage worker: encode pinned files, add their pieces to IPFS, report them;
	/// rebuild the pieces repair moves; probe the operators and report unreachable ones.
	Run {
		/// Secret URI of a storage worker account.
		#[arg(long, env = "CAIRN_SURI")]
		suri: String,
		/// IPFS RPC API of the worker's daemon.
		#[arg(long, env = "CAIRN_IPFS", default_value = "http://127.0.0.1:5001")]
		ipfs: String,
		/// Scratch directory for encoding and repairs.
		#[arg(long)]
		work_dir: Option<PathBuf>,
		/// Seconds between two rounds of operator health probes (0: no probes).
		#[arg(long, default_value_t = 60)]
		probe_interval: u64,
		/// Longest wait for one operator's IPFS peer to answer a probe, in seconds.
		#[arg(long, default_value_t = 20)]
		probe_timeout: u64,
		/// Longest wait for one piece fetched for a repair, in seconds.
		#[arg(long, default_value_t = 120)]
		piece_timeout: u64,
	},
}

/// `1024`, `10G`, `1T`, `512M`, `4K` (binary multiples).
fn parse_size(text: &str) -> Result<u64, String> {
	let text = text.trim();
	let (number, shift) = match text.char_indices().last() {
		Some((i, 'K' | 'k')) => (&text[..i], 10),
		Some((i, 'M' | 'm')) => (&text[..i], 20),
		Some((i, 'G' | 'g')) => (&text[..i], 30),
		Some((i, 'T' | 't')) => (&text[..i], 40),
		_ => (text, 0),
	};
	let value: u64 = number.trim().parse().map_err(|e| format!("{text:?}: {e}"))?;
	value.checked_mul(1u64 << shift).ok_or_else(|| format!("{text:?} is too large"))
}

async fn signed_client(url: &str, suri: &str) -> cairn_cli::Result<Client> {
	let signer = chain::signer_from_suri(suri)?;
	Ok(Client::connect(url).await?.with_signer(signer))
}

async fn run(cli: Cli) -> cairn_cli::Result<()> {
	match cli.command {
		Command::Put { file, tier, eras, ipfs, suri, public, no_wait, timeout } => {
			let client = signed_client(&cli.url, &suri).await?;
			let ipfs = user::ipfs_client(&ipfs)?;
			let encrypt_for =
				if public { None } else { Some(Arc::new(secret::key_wrapper(&suri)?)) };
			let options = user::PutOptions {
				tier,
				eras,
				wait: !no_wait,
				timeout: Duration::from_secs(timeout),
				progress: true,
				encrypt_for,
			};
			let report = user::put(&client, &ipfs, &file, &options).await?;
			println!("{}", report.cid);
			eprintln!("{}", user::render_status(&report.file, None));
		}
		Command::Get { cid, output, ipfs, piece_timeout, suri } => {
			let client = Client::connect(&cli.url).await?;
			let ipfs = user::ipfs_client(&ipfs)?;
			let secret = suri.as_deref().map(secret::key_wrapper).transpose()?.map(Arc::new);
			let options =
				user::GetOptions { piece_timeout: Duration::from_secs(piece_timeout), secret };
			let report = user::get(&client, &ipfs, &cid, &output, &options).await?;
			eprintln!(
				"wrote {} bytes to {}{} (pieces {:?}; corrupt {:?}; unavailable {:?})",
				report.size,
				output.display(),
				if report.encrypted { ", decrypted" } else { "" },
				report.used,
				report.corrupt,
				report.unavailable
			);
		}
		Command::Status { cid } => {
			let client = Client::connect(&cli.url).await?;
			let info = user::status(&client, &cid).await?;
			let era_length: u32 = client.constant("EraLength").await?;
			let block = client.finalized_number().await?;
			let era = u32::try_from(block).ok().and_then(|b| b.checked_div(era_length));
			print!("{}", user::render_status(&info, era));
		}
		Command::Operator { command: OperatorCommand::Claim { suri } } => {
			let client = signed_client(&cli.url, &suri).await?;
			let paid = agent::claim_now(&client).await?;
			println!("{paid}");
		}
		Command::Operator {
			command:
				OperatorCommand::Run {
					suri,
					ipfs,
					bond,
					capacity,
					region,
					peer,
					state_dir,
					claim_interval,
					pin_timeout,
				},
		} => {
			let shutdown = Shutdown::new();
			shutdown.trigger_on_signals();
			let config = agent::Config {
				rpc_url: cli.url,
				signer: chain::signer_from_suri(&suri)?,
				ipfs_api: ipfs,
				registration: agent::Registration { bond, capacity, region, ipfs_peer: peer },
				state_dir,
				claim_interval: Duration::from_secs(claim_interval),
				pin_timeout: Duration::from_secs(pin_timeout),
			};
			agent::run(config, shutdown).await?;
		}
		Command::Worker {
			command:
				WorkerCommand::Run {
					suri,
					ipfs,
					work_dir,
					probe_interval,
					probe_timeout,
					piece_timeout,
				},
		} => {
			let shutdown = Shutdown::new();
			shutdown.trigger_on_signals();
			let mut config = worker::Config::new(cli.url, chain::signer_from_suri(&suri)?, ipfs);
			config.work_dir = work_dir;
			config.probe_interval = Duration::from_secs(probe_interval);
			config.probe.timeout = Duration::from_secs(probe_timeout);
			config.repair.piece_timeout = Duration::from_secs(piece_timeout);
			worker::run(config, shutdown).await?;
		}
	}
	Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
	let cli = Cli::parse();
	cairn_cli::logging::init(cli.verbose);
	match run(cli).await {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("error: {error}");
			ExitCode::FAILURE
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn sizes_parse_with_binary_suffixes() {
		assert_eq!(parse_size("1024"), Ok(1024));
		assert_eq!(parse_size("4K"), Ok(4096));
		assert_eq!(parse_size("10G"), Ok(10 << 30));
		assert!(parse_size("x").is_err());
		assert!(parse_size("99999999999T").is_err());
	}

	#[test]
	fn the_command_line_is_well_formed() {
		use clap::CommandFactory;
		Cli::command().debug_assert();
	}
}
