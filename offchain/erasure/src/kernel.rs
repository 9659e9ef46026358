//! Which GF(2^8) slice kernels the codec runs: reed-solomon-erasure's own, or portable ones
//! where the CPU cannot run those.

use reed_solomon_erasure::{galois_8, Field};

/// The kernels that multiply whole shards by field elements: the only part of the coding whose
/// speed depends on the CPU. Both give the same bytes (`tests/golden.rs` checks it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
	/// reed-solomon-erasure's kernels as built: with the `simd-accel` feature (the default) its
	/// C/SIMD code, built for x86-64 Haswell (AVX2) unless `RUST_REED_SOLOMON_ERASURE_ARCH`
	/// names another `-march` at build time; without the feature, its pure-Rust code.
	Accelerated,
	/// Table look-ups in Rust over reed-solomon-erasure's GF(2^8) tables: run anywhere, several
	/// times slower. Chosen at run time when the CPU lacks what `Accelerated` was built for.
	Portable,
}

impl Kernel {
	/// The fastest kernel this CPU runs: [`Kernel::Accelerated`] if it can, else
	/// [`Kernel::Portable`].
	pub fn best() -> Self {
		if Self::accelerated_runs_here() {
			Self::Accelerated
		} else {
			Self::Portable
		}
	}

	/// True if [`Kernel::Accelerated`] can run on this CPU.
	///
	/// A default `simd-accel` build on x86-64 compiles the C kernels with `-march=haswell`, so
	/// they need every instruction set Haswell added. With `RUST_REED_SOLOMON_ERASURE_ARCH` set
	/// at build time the builder chose the target CPU, and is trusted.
	pub fn accelerated_runs_here() -> bool {
		#[cfg(all(feature = "simd-accel", target_arch = "x86_64"))]
		{
			if option_env!("RUST_REED_SOLOMON_ERASURE_ARCH").is_some() {
				return true;
			}
			std::arch::is_x86_feature_detected!("avx2")
				&& std::arch::is_x86_feature_detected!("fma")
				&& std::arch::is_x86_feature_detected!("bmi1")
				&& std::arch::is_x86_feature_detected!("bmi2")
				&& std::arch::is_x86_feature_detected!("lzcnt")
				&& std::arch::is_x86_feature_detected!("movbe")
				&& std::arch::is_x86_feature_detected!("popcnt")
				&& std::arch::is_x86_feature_detected!("f16c")
		}
		#[cfg(not(all(feature = "simd-accel", target_arch = "x86_64")))]
		{
			true
		}
	}
}

/// GF(2^8) exactly as reed-solomon-erasure's `galois_8` defines it (same tables, same field
/// operations, so the same coding matrices), with slice kernels that any CPU runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PortableField;

impl Field for PortableField {
	const ORDER: usize = 256;
	type Elem = u8;

	fn add(a: u8, b: u8) -> u8 {
		galois_8::add(a, b)
	}

	fn mul(a: u8, b: u8) -> u8 {
		galois_8::mul(a, b)
	}

	fn div(a: u8, b: u8) -> u8 {
		galois_8::div(a, b)
	}

	fn exp(a: u8, n: usize) -> u8 {
		galois_8::exp(a, n)
	}

	fn zero() -> u8 {
		0
	}

	fn one() -> u8 {
		1
	}

	fn nth_internal(n: usize) -> u8 {
		// The codec asks only for `n < ORDER = 256`.
		n as u8
	}

	fn mul_slice(c: u8, input: &[u8], out: &mut [u8]) {
		let row = &galois_8::MUL_TABLE[usize::from(c)];
		for (out, input) in out.iter_mut().zip(input) {
			*out = row[usize::from(*input)];
		}
	}

	fn mul_slice_add(c: u8, input: &[u8], out: &mut [u8]) {
		let row = &galois_8::MUL_TABLE[usize::from(c)];
		for (out, input) in out.iter_mut().zip(input) {
			*out ^= row[usize::from(*input)];
		}
	}
}

/// A Reed-Solomon codec over one of the kernels.
#[derive(Debug)]
pub(crate) enum Codec {
	Accelerated(galois_8::ReedSolomon),
	Portable(reed_solomon_erasure::ReedSolomon<PortableField>),
}

type CodecResult = Result<(), reed_solomon_erasure::Error>;

impl Codec {
	pub(crate) fn new(
		kernel: Kernel,
		k: usize,
		parity: usize,
	) -> Result<Self, reed_solomon_erasure::Error> {
		Ok(match kernel {
			Kernel::Accelerated => Self::Accelerated(galois_8::ReedSolomon::new(k, parity)?),
			Kernel::Portable => Self::Portable(reed_solomon_erasure::ReedSolomon::new(k, parity)?),
		})
	}

	pub(crate) fn kernel(&self) -> Kernel {
		match self {
			Self::Accelerated(_) => Kernel::Accelerated,
			Self::Portable(_) => Kernel::Portable,
		}
	}

	/// Parity from data (`k` inputs, `n - k` outputs, all of one length).
	pub(crate) fn encode_sep(&self, data: &[&[u8]], parity: &mut [&mut [u8]]) -> CodecResult {
		match self {
			Self::Accelerated(rs) => rs.encode_sep(data, parity),
			Self::Portable(rs) => rs.encode_sep(data, parity),
		}
	}

	/// Rebuild the slots marked missing: all of them, or only the data ones if `data_only`.
	pub(crate) fn reconstruct(
		&self,
		slots: &mut [(&mut [u8], bool)],
		data_only: bool,
	) -> CodecResult {
		match (self, data_only) {
			(Self::Accelerated(rs), false) => rs.reconstruct(slots),
			(Self::Accelerated(rs), true) => rs.reconstruct_data(slots),
			(Self::Portable(rs), false) => rs.reconstruct(slots),
			(Self::Portable(rs), true) => rs.reconstruct_data(slots),
		}
	}
}
