//! The harness in the normal test suite: pseudo-random inputs for a bounded time, and
//! hand-written sequences that must reach the deep states (so the harness is shown to get past
//! input validation).

use crate::{
	actions::{
		Action::{self, *},
		ChallengeSel, CidSel, IndexSel, OperatorSel, Origin, ProofMode, ReportMode, SizeSel,
		Spelling, TierConfigSel, TierSel,
	},
	run, run_actions,
	runtime::*,
	Setup, Stats,
};
use pallet_storage::{PinFailure, PinTier};
use std::time::Instant;

/// splitmix64: a tiny PRNG, enough to make fuzz inputs.
struct SplitMix(u64);

impl SplitMix {
	fn next(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		z ^ (z >> 31)
	}
}

/// Pseudo-random input number `i`: 64 to 1,023 bytes.
fn input(i: u64) -> Vec<u8> {
	let mut rng = SplitMix(0xca1e_0000 ^ i);
	let len = 64 + (rng.next() % 960) as usize;
	(0..len).map(|_| rng.next() as u8).collect()
}

/// Inputs the bounded run executes: about 30 s in the debug profile on a 2-core machine.
const RANDOM_INPUTS: u64 = 200;

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `data`; on a panic, prints what to replay before passing the panic on.
fn run_reporting(label: &str, data: &[u8]) -> Stats {
	match std::panic::catch_unwind(|| run(data)) {
		Ok(stats) => stats,
		Err(panic) => {
			eprintln!(
				"{label} failed; replay with pallet_storage_fuzzer::run(&hex!(\"{}\"))",
				hex(data)
			);
			std::panic::resume_unwind(panic)
		}
	}
}

#[test]
fn random_call_sequences_keep_the_invariants() {
	let started = Instant::now();
	let mut total = Stats::default();
	for i in 0..RANDOM_INPUTS {
		let data = input(i);
		total.merge(&run_reporting(&format!("random input {i}"), &data));
	}
	println!(
		"storage fuzz, {} random inputs in {:.1?}:\n{total}",
		RANDOM_INPUTS,
		started.elapsed()
	);
	let mut errors: Vec<_> = total.errors.iter().collect();
	errors.sort_by_key(|(_, count)| std::cmp::Reverse(**count));
	println!("most frequent errors:");
	for (error, count) in errors.iter().take(40) {
		println!("  {error:<50} {count:>7}");
	}
	assert_eq!(total.inputs, RANDOM_INPUTS);
	// The random inputs get past input validation: every call succeeds sometimes, and files
	// get stored, audited and expired.
	for (name, stats) in &total.per_call {
		assert!(stats.ok > 0, "{name} never succeeded in {} calls", stats.calls);
	}
	assert_every_call_made(&total);
	for event in ["FileState->Stored", "AuditPassed", "PinExpired", "ChallengeIssued"] {
		assert!(total.event(event) > 0, "no {event} in the random runs");
	}
}

/// Every call of the pallet (from its metadata, so a new call without a harness arm fails here)
/// was made.
fn assert_every_call_made(stats: &Stats) {
	use frame::traits::GetCallName;
	for name in pallet_storage::Call::<Runtime>::get_call_names() {
		assert!(stats.per_call.contains_key(name), "the harness never made call {name}");
	}
}

/// Replays and shrinks one input: `STORAGE_FUZZ_INPUT=<hex or absolute path> cargo test -p
/// pallet-storage-fuzzer shrink_input -- --ignored --nocapture` (a cargo-fuzz crash file from
/// `fuzz/artifacts/storage_calls/`, or the hex a failed random input printed).
#[test]
#[ignore = "needs STORAGE_FUZZ_INPUT"]
fn shrink_input() {
	let input = std::env::var("STORAGE_FUZZ_INPUT").expect("STORAGE_FUZZ_INPUT is set");
	let data = std::fs::read(&input).unwrap_or_else(|_| {
		(0..input.len() / 2)
			.map(|i| u8::from_str_radix(&input[2 * i..2 * i + 2], 16).expect("hex input"))
			.collect()
	});
	let (setup, actions) = crate::decode(&data);
	println!("{setup:?}, {} actions", actions.len());
	match crate::shrink(&setup, &actions) {
		None => println!("the input does not fail"),
		Some((actions, message)) => {
			println!("fails with: {message}\nminimal sequence ({} actions):", actions.len());
			println!("{setup:?}\n{actions:#?}");
		}
	}
}

/// Writes the pseudo-random inputs of the bounded run as seeds of the cargo-fuzz corpus
/// (`fuzz/corpus/storage_calls/`), so that libFuzzer starts from long sequences that already
/// reach stored files and audits instead of growing them from a few bytes:
/// `cargo test -p pallet-storage-fuzzer write_fuzz_seeds -- --ignored`.
#[test]
#[ignore = "writes into fuzz/corpus"]
fn write_fuzz_seeds() {
	let dir =
		std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../fuzz/corpus/storage_calls");
	std::fs::create_dir_all(&dir).expect("corpus directory");
	for i in 0..RANDOM_INPUTS {
		std::fs::write(dir.join(format!("seed-{i:03}")), input(i)).expect("seed written");
	}
	println!("{RANDOM_INPUTS} seeds in {}", dir.display());
}

#[test]
fn degenerate_inputs_run() {
	for data in [&[][..], &[0], &[255, 255], &[0; 64], &[255; 300]] {
		run(data);
	}
}

// ---------------------------------------------------------------------------------------------
// Hand-written sequences
// ---------------------------------------------------------------------------------------------

const AUTO: Origin = Origin::Auto(1);
const FIRST_FILE: CidSel = CidSel::Pinned { nth: 0, spelling: Spelling::Binary };

fn pin(cid: u8, tier: PinTier, eras: u32) -> Action {
	RequestPin {
		origin: AUTO,
		cid: CidSel::Fresh(cid),
		size: SizeSel::Bytes(4096),
		tier: TierSel::Tier(tier),
		eras,
		key: None,
	}
}

fn report(mode: ReportMode) -> Action {
	ReportPlacement { origin: AUTO, cid: FIRST_FILE, mode }
}

fn confirm() -> Action {
	ConfirmPiece { origin: AUTO, cid: FIRST_FILE, index: IndexSel::Auto }
}

fn blocks(blocks: u32) -> Action {
	AdvanceBlocks { blocks, audit_randomness: true }
}

fn answer(mode: ProofMode) -> Action {
	SubmitProof { origin: AUTO, challenge: ChallengeSel::Outstanding(0), mode }
}

/// Pins a Standard file (three replicas) and reports it with `mode`, and every operator
/// confirms: a `Stored` file.
fn stored(mode: ReportMode) -> Vec<Action> {
	vec![pin(0, PinTier::Standard, MAX_PIN_ERAS), report(mode), confirm(), confirm(), confirm()]
}

fn print(name: &str, stats: &Stats) {
	println!("{name}:\n{stats}");
	for (error, count) in &stats.errors {
		println!("  {error:<50} {count:>7}");
	}
}

#[test]
fn a_stored_file_passes_its_audits() {
	let mut actions = stored(ReportMode::Real);
	for _ in 0..20 {
		actions.extend([blocks(1), answer(ProofMode::Correct), answer(ProofMode::Correct)]);
	}
	let stats = run_actions(&Setup::default(), &actions);
	print("stored and audited", &stats);
	assert_eq!(stats.event("FileState->Stored"), 1);
	assert!(stats.event("AuditPassed") >= 5, "audits passed");
	assert_eq!(stats.event("AuditFailed(InvalidProof)"), 0);
	assert_eq!(stats.event("OperatorContained"), 0);
}

#[test]
fn wrong_proofs_fail_their_audits() {
	// Garbage roots: the harness's "correct" proofs are wrong for them.
	let mut actions = stored(ReportMode::GarbageRoot(3));
	for _ in 0..10 {
		actions.extend([blocks(1), answer(ProofMode::Correct)]);
	}
	let garbage = run_actions(&Setup::default(), &actions);
	print("garbage roots", &garbage);
	assert!(garbage.event("AuditFailed(InvalidProof)") >= 2, "wrong roots fail");
	assert!(garbage.event("OperatorSuspended") + garbage.event("OperatorDisqualified") >= 1);
	// Real roots, wrong answers of every kind (each on a fresh chain: two failures
	// disqualify the only operator and lose the file).
	for mode in [
		ProofMode::WrongLeaf,
		ProofMode::OtherLeaf,
		ProofMode::Truncated,
		ProofMode::Extended,
		ProofMode::ShortLeaf(10),
	] {
		let mut actions =
			vec![pin(1, PinTier::Temporary, MAX_PIN_ERAS), report(ReportMode::Real), confirm()];
		for _ in 0..6 {
			actions.extend([blocks(1), answer(mode)]);
		}
		let wrong = run_actions(&Setup { operators: 1, ..Setup::default() }, &actions);
		assert!(wrong.event("AuditFailed(InvalidProof)") >= 1, "{mode:?} fails");
		assert_eq!(wrong.event("AuditPassed"), 0, "{mode:?} never passes");
	}
}

#[test]
fn unanswered_challenges_contain_then_fail() {
	let mut actions = stored(ReportMode::Real);
	actions.push(blocks(30));
	let stats = run_actions(&Setup::default(), &actions);
	print("unanswered", &stats);
	assert!(stats.event("OperatorContained") >= 2, "missed deadlines contain");
	assert!(stats.event("AuditFailed(Unanswered)") >= 1, "containment ends in failure");
}

#[test]
fn pins_expire_are_revived_and_removed() {
	let actions = vec![
		// Temporary, no grace: removed when its era ends.
		pin(0, PinTier::Temporary, 1),
		// Standard, one era of grace: expires, is revived by a renewal, expires and goes.
		pin(1, PinTier::Standard, 1),
		blocks(ERA_LENGTH as u32 + 1),
		RenewPin { origin: AUTO, cid: FIRST_FILE, eras: 1 },
		blocks(4 * ERA_LENGTH as u32),
	];
	let stats = run_actions(&Setup::default(), &actions);
	print("expiry", &stats);
	assert!(stats.event("PinExpired") >= 3, "both pins expired, one twice");
	assert_eq!(stats.event("PinRemoved(Expired)"), 2, "both pins removed");
	assert_eq!(stats.per_call["renew_pin"].ok, 1, "an expired pin is revived");
	assert!(stats.event("FileState->Expired") >= 2);
}

#[test]
fn unconfirmed_pieces_are_reassigned() {
	let actions = vec![pin(0, PinTier::Standard, 4), report(ReportMode::Real), blocks(8)];
	let stats = run_actions(&Setup { operators: 6, ..Setup::default() }, &actions);
	print("re-assignment", &stats);
	assert!(stats.event("PieceReassigned") >= 1, "pieces move after the confirm window");
	// With no spare operator, the piece stays and gets another window.
	let stats = run_actions(&Setup { operators: 3, ..Setup::default() }, &actions);
	assert!(stats.event("ReassignmentFailed") >= 1);
}

/// Every call of the pallet succeeds at least once, from the right origin, and the same calls
/// from the wrong origins fail without changing anything.
#[test]
fn every_call_succeeds_from_the_right_origin() {
	let spare = Origin::Signed(OPERATORS[5]);
	let mut actions = vec![
		// Operators. Capacity for no piece: the spare never gets one, so it can leave.
		RegisterOperator { origin: spare, bond: MIN_BOND, capacity: 1, region: 3, peer: 9 },
		UpdateOperator {
			origin: spare,
			bond: Some(500),
			capacity: Some(2),
			region: Some(5),
			peer: None,
		},
		// Admin.
		SetTierConfig {
			origin: Origin::Root,
			tier: PinTier::Temporary,
			config: TierConfigSel::Preset(2),
		},
		SetTierConfig {
			origin: Origin::Signed(USER),
			tier: PinTier::Temporary,
			config: TierConfigSel::Preset(2),
		},
		AddStorageWorker { origin: Origin::Root, who: SPARE_WORKER },
		AddStorageWorker { origin: Origin::Signed(WORKER), who: USER },
		RemoveStorageWorker { origin: Origin::Root, who: SPARE_WORKER },
		// A dag-pb CID on operators 1, 2, 3, renewed through its text CIDv0 spelling (and so
		// co-funded), its base32 one and a request of the same CID in base58.
		pin(0, PinTier::Standard, 2),
		RenewPin {
			origin: Origin::Signed(OTHER_USER),
			cid: CidSel::Pinned { nth: 0, spelling: Spelling::V0Text },
			eras: 1,
		},
		RenewPin {
			origin: AUTO,
			cid: CidSel::Pinned { nth: 0, spelling: Spelling::Base32 },
			eras: 1,
		},
		RequestPin {
			origin: AUTO,
			cid: CidSel::Pinned { nth: 0, spelling: Spelling::Base58 },
			size: SizeSel::Auto,
			tier: TierSel::Auto,
			eras: 1,
			key: None,
		},
		report(ReportMode::Real),
		ConfirmPiece { origin: Origin::None, cid: FIRST_FILE, index: IndexSel::Auto },
		ConfirmPiece { origin: Origin::Signed(NOBODY), cid: FIRST_FILE, index: IndexSel::Auto },
		confirm(),
		confirm(),
		confirm(),
		// A second file, encrypted: a Standard pin moved to Temporary (same k), then unpinned.
		RequestPin {
			origin: Origin::Signed(USER),
			cid: CidSel::Fresh(1),
			size: SizeSel::Bytes(5000),
			tier: TierSel::Tier(PinTier::Standard),
			eras: 3,
			key: Some(0x85),
		},
		ChangeTier {
			origin: AUTO,
			cid: CidSel::Pinned { nth: 1, spelling: Spelling::Base16 },
			tier: PinTier::Temporary,
		},
		Unpin { origin: AUTO, cid: CidSel::Pinned { nth: 1, spelling: Spelling::Binary } },
		// A third file the worker cannot place.
		pin(2, PinTier::Temporary, 1),
		ReportPinFailed {
			origin: AUTO,
			cid: CidSel::Pinned { nth: 1, spelling: Spelling::Binary },
			reason: PinFailure::SizeMismatch { actual: 1 },
		},
		// One offline report (of two needed) about an operator, twice in a block.
		ReportOperatorOffline { origin: AUTO, operator: OperatorSel::Account(OPERATORS[0]) },
		ReportOperatorOffline { origin: AUTO, operator: OperatorSel::Account(OPERATORS[0]) },
		// Nothing awaits repair yet.
		ReportRepair { origin: AUTO, cid: FIRST_FILE, mode: ReportMode::Real },
		ReportRepair { origin: AUTO, cid: FIRST_FILE, mode: ReportMode::AlreadyReported },
		// Operator 1 leaves: its piece moves to the new operator 4 and is rebuilt.
		RegisterOperator {
			origin: Origin::Signed(OPERATORS[3]),
			bond: MIN_BOND,
			capacity: 1 << 20,
			region: 3,
			peer: 4,
		},
		UnregisterOperator { origin: Origin::Signed(OPERATORS[0]) },
		blocks(3),
		ReportRepair { origin: AUTO, cid: FIRST_FILE, mode: ReportMode::Real },
		confirm(),
	];
	for _ in 0..6 {
		actions.extend([blocks(1), answer(ProofMode::Correct), answer(ProofMode::Correct)]);
	}
	actions.extend([
		ClaimRewards { origin: Origin::Signed(OPERATORS[1]) },
		ClaimRewards { origin: Origin::Signed(OPERATORS[2]) },
		ClaimRewards { origin: Origin::Signed(OPERATORS[3]) },
		ClaimRewards { origin: Origin::Signed(POOR) },
		// The spare operator holds no piece: it leaves and takes its bond back; so does
		// operator 1, whose piece was handed over.
		UnregisterOperator { origin: spare },
		WithdrawBond { origin: spare },
		blocks(UNBONDING as u32),
		WithdrawBond { origin: spare },
		WithdrawBond { origin: Origin::Signed(OPERATORS[0]) },
		// Operator 2 is marked offline and, after the window, declares itself back.
		ReportOperatorOffline { origin: AUTO, operator: OperatorSel::Account(OPERATORS[1]) },
		blocks(1),
		ReportOperatorOffline { origin: AUTO, operator: OperatorSel::Account(OPERATORS[1]) },
		DeclareOnline { origin: AUTO },
		blocks(6),
		DeclareOnline { origin: AUTO },
	]);
	let stats = run_actions(&Setup { operators: 3, ..Setup::default() }, &actions);
	print("every call", &stats);
	for (name, calls) in &stats.per_call {
		assert!(calls.ok > 0, "{name} succeeded");
	}
	assert_every_call_made(&stats);
	for event in [
		"RewardsClaimed",
		"TierChanged",
		"PinFailed",
		"PinRemoved(Unpinned)",
		"PinRemoved(PlacementFailed)",
		"OperatorReportedOffline",
		"RepairScheduled",
		"FileRepaired",
		"AuditPassed",
	] {
		assert!(stats.event(event) > 0, "{event} emitted");
	}
	assert_eq!(stats.event("BondWithdrawn"), 2);
	assert!(stats.errors.keys().any(|e| e.contains("Bad origin")), "wrong origins fail");
	assert!(stats.errors.contains_key("claim_rewards: NotRegistered"));
	assert!(stats.errors.contains_key("withdraw_bond: UnbondingNotFinished"));
	assert!(stats.errors.contains_key("report_operator_offline: AlreadyReportedThisBlock"));
	assert!(stats.errors.contains_key("report_repair: EmptyReport"));
	assert!(stats.errors.contains_key("report_repair: NotAwaitingRepair"));
	assert!(stats.errors.contains_key("declare_online: OfflineTooRecently"));
	assert_eq!(stats.event("OperatorBackOnline"), 1);
}

/// Found by the harness (shrunk from a random input): a repair that moves a piece the storage
/// worker has not reported yet (or one reported but not confirmed) lists the file in
/// `AwaitingRepair` although no piece of it waits to be rebuilt, which breaks the invariant
/// "AwaitingRepair lists exactly the paid-up files with pieces to rebuild" (`repair_file`
/// inserts the entry whenever it moved a piece, instead of `refresh_awaiting_repair`).
#[test]
fn moving_an_unreported_piece_does_not_await_repair() {
	let actions = vec![
		// Three replicas on operators 1, 2 and 3, not reported yet.
		pin(0, PinTier::Standard, MAX_PIN_ERAS),
		RegisterOperator {
			origin: Origin::Signed(OPERATORS[3]),
			bond: MIN_BOND,
			capacity: 1 << 20,
			region: 3,
			peer: 4,
		},
		// Operator 1 leaves: its unreported piece moves to operator 4.
		UnregisterOperator { origin: Origin::Signed(OPERATORS[0]) },
		blocks(2),
	];
	run_actions(&Setup { operators: 3, ..Setup::default() }, &actions);
}

/// A leaving operator's piece is moved to a new operator, rebuilt by the worker and confirmed.
#[test]
fn repair_hands_over_a_leaving_operators_piece() {
	let mut actions = stored(ReportMode::Real);
	actions.extend([
		RegisterOperator {
			origin: Origin::Signed(OPERATORS[3]),
			bond: MIN_BOND,
			capacity: 1 << 20,
			region: 3,
			peer: 4,
		},
		UnregisterOperator { origin: Origin::Signed(OPERATORS[0]) },
		blocks(3),
		// Wrong rebuilds first: they change nothing.
		ReportRepair { origin: AUTO, cid: FIRST_FILE, mode: ReportMode::GarbageRoot(1) },
		ReportRepair { origin: AUTO, cid: FIRST_FILE, mode: ReportMode::WrongSize(1) },
		ReportRepair { origin: AUTO, cid: FIRST_FILE, mode: ReportMode::BadPieceCid(2) },
		ReportRepair { origin: AUTO, cid: FIRST_FILE, mode: ReportMode::AlreadyReported },
		confirm(),
		ReportRepair { origin: AUTO, cid: FIRST_FILE, mode: ReportMode::Real },
		confirm(),
		blocks(UNBONDING as u32),
		WithdrawBond { origin: Origin::Signed(OPERATORS[0]) },
	]);
	for _ in 0..10 {
		actions.extend([blocks(1), answer(ProofMode::Correct), answer(ProofMode::Correct)]);
	}
	let stats = run_actions(&Setup { operators: 3, ..Setup::default() }, &actions);
	print("repair", &stats);
	for event in [
		"RepairScheduled",
		"RepairReported",
		"FileRepaired",
		"FileState->Repairing",
		"BondWithdrawn",
	] {
		assert_eq!(stats.event(event), 1, "{event} emitted once");
	}
	assert_eq!(stats.event("FileState->Stored"), 2, "stored, then stored again");
	assert!(stats.errors.contains_key("report_repair: RepairMismatch"));
	assert!(stats.errors.contains_key("report_repair: NotAwaitingRepair"));
	assert!(stats.errors.contains_key("confirm_piece: PieceNotReported"));
	// The rebuilt piece has the same content: its new operator answers audits.
	assert!(stats.event("AuditPassed") > 0);
	assert_eq!(stats.event("AuditFailed(InvalidProof)"), 0);
}

/// Offline reports mark operators offline; a file with fewer than `k` readable pieces is lost;
/// one that still has `m` healthy ones is not moved.
#[test]
fn offline_operators_lose_unrebuildable_files() {
	let offline = |who| ReportOperatorOffline { origin: AUTO, operator: OperatorSel::Account(who) };
	let actions = vec![
		pin(0, PinTier::Temporary, MAX_PIN_ERAS),
		report(ReportMode::Real),
		confirm(),
		offline(OPERATORS[0]),
		offline(OPERATORS[1]),
		blocks(1),
		offline(OPERATORS[0]),
		offline(OPERATORS[1]),
		blocks(3),
	];
	let stats = run_actions(&Setup { operators: 2, ..Setup::default() }, &actions);
	print("offline", &stats);
	assert_eq!(stats.event("OperatorMarkedOffline"), 2);
	assert_eq!(stats.event("FileLost"), 1, "its only replica is offline");
	assert_eq!(stats.event("PinRemoved(Lost)"), 1);
}

#[test]
fn vetting_operators_get_vetted_by_audits() {
	let mut actions = stored(ReportMode::Real);
	for _ in 0..20 {
		actions.extend([blocks(1), answer(ProofMode::Correct), answer(ProofMode::Correct)]);
	}
	let stats = run_actions(&Setup { vetting_audits: 1, ..Setup::default() }, &actions);
	print("vetting", &stats);
	assert!(stats.event("OperatorVetted") >= 1);
}

#[test]
fn pool_cids_are_valid_and_every_spelling_canonicalises() {
	for n in 0..16 {
		let cid = crate::pool_cid(n);
		for spelling in [
			Spelling::Binary,
			Spelling::Base16,
			Spelling::Base32,
			Spelling::Base58,
			Spelling::V0Binary,
			Spelling::V0Text,
		] {
			let spelt = crate::exec::spell(&cid, spelling);
			assert_eq!(
				pallet_storage::cid::canonicalize(&spelt),
				Ok(cid.clone()),
				"CID {n} spelt {spelling:?}"
			);
		}
	}
}
