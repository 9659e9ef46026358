//! Which pallets `cairn-node benchmark pallet` can measure in this runtime.
//!
//! `scripts/benchmark.sh` runs them on the machine at hand and writes the pallets' `weights.rs`;
//! `pallet_balances` is listed so Cairn's weights can be compared with a plain transfer measured
//! in the same run.

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_storage, Storage]
);
