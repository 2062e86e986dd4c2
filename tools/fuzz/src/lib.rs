//! Fuzz targets for the SVSM's hostile-input parsers, on stable Rust.
//!
//! Each target is a function `one_input(&[u8])` that panics when the code
//! under test breaks a property (a panic in that code is a failure too):
//! * [`protocol`]: the SVSM protocol dispatcher, with fuzzed registers and
//!   guest memory;
//! * [`acvp_json`]: the ACVP JSON reader (`svsm-acvp`), run through the module;
//! * [`snp`]: the SEV-SNP decoders of hypervisor- and PSP-written bytes
//!   (`svsm-snp`);
//! * [`boot_params`]: the start-info parser (PVH and IGVM) and the kernel
//!   command-line options (`svsm-boot-params`);
//! * [`tpm`]: the vTPM's command parser and engine (`svsm-vtpm`);
//! * [`igvm`]: the IGVM file reader of `svsm-igvm measure`, its heap
//!   measured by [`alloc_meter`] (this crate's global allocator).
//!
//! The same functions back two drivers: the `fuzz-*` binaries (feature
//! `libfuzzer`, built with coverage instrumentation by scripts/fuzz.sh and
//! linked with libFuzzer), and the ordinary `cargo test` of this crate, which
//! replays the committed seed corpus and every regression input
//! (`tools/fuzz/corpus/<target>/`, `tools/fuzz/regressions/<target>/`).
//! The module's C API target is C (`tools/fuzz/c/`), built by scripts/fuzz.sh.

pub mod acvp_json;
pub mod alloc_meter;
pub mod boot_params;
pub mod igvm;
pub mod input;
pub mod protocol;
pub mod snp;
pub mod tpm;

use std::path::{Path, PathBuf};

/// Defines `LLVMFuzzerTestOneInput` calling `$target(&[u8])`.
#[macro_export]
macro_rules! libfuzzer_target {
    ($target:path) => {
        /// Called by libFuzzer once per input.
        ///
        /// # Safety
        /// `data` points to `len` readable bytes (or `len` is 0).
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn LLVMFuzzerTestOneInput(data: *const u8, len: usize) -> i32 {
            let input: &[u8] = if len == 0 {
                &[]
            } else {
                // SAFETY: libFuzzer passes `len` readable bytes at `data`,
                // unchanged until this call returns.
                unsafe { std::slice::from_raw_parts(data, len) }
            };
            $target(input);
            0
        }
    };
}

/// A target's entry point.
pub type Target = fn(&[u8]);

/// The targets written in Rust, by the name their folders and binaries use.
pub const TARGETS: [(&str, Target); 6] = [
    ("protocol", protocol::one_input),
    ("acvp-json", acvp_json::one_input),
    ("snp", snp::one_input),
    ("boot-params", boot_params::one_input),
    ("tpm", tpm::one_input),
    ("igvm", igvm::one_input),
];

/// `tools/fuzz/`.
pub fn fuzz_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file of `tools/fuzz/<kind>/<target>/` (kind: `corpus` or
/// `regressions`), sorted; none if the folder does not exist.
pub fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}
