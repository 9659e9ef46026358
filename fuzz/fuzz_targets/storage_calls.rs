//! Random sequences of every `pallet-storage` call, from random origins, with random runs of
//! blocks between them, on the mock runtime of `pallet-storage-fuzzer`. After every call and
//! every block: no panic (including `defensive!` failures: debug assertions are on), the
//! pallet's `try_state` invariants hold, and a call that failed changed no storage.
//!
//! The input is raw bytes, decoded by `pallet_storage_fuzzer::decode` (dense: every byte string
//! is an input, arguments that name state are resolved against the current state). Shrink a
//! crash from the main workspace with `STORAGE_FUZZ_INPUT=<absolute path of the crash file>
//! cargo test -p pallet-storage-fuzzer shrink_input -- --ignored --nocapture`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
	pallet_storage_fuzzer::run(data);
});
