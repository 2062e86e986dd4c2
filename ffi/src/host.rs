//! Running the module in a host process (tests, the ACVP harness,
//! benchmarks). Enabled by the `host` feature; uses std.
//!
//! In user space the OS already preserves vector registers across context
//! switches, so `run_with_vector_state` just runs the call; entropy comes from
//! the OS through `getrandom`.

use std::sync::OnceLock;

use crate::module::{EntropyUnavailable, Environment, Module, init, initialized};

/// The host process as the module's environment.
pub struct HostEnvironment;

impl Environment for HostEnvironment {
    fn fill_entropy(&self, out: &mut [u8]) -> Result<(), EntropyUnavailable> {
        getrandom::fill(out).map_err(|_| EntropyUnavailable)
    }

    fn timestamp(&self) -> u64 {
        static START: OnceLock<std::time::Instant> = OnceLock::new();
        let start = START.get_or_init(std::time::Instant::now);
        u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn run_with_vector_state(&self, f: &mut dyn FnMut()) {
        f();
    }
}

static HOST: HostEnvironment = HostEnvironment;

/// The process-wide module, initialized (power-on self-tests run) on first
/// use with [`HostEnvironment`]. If another environment initialized the
/// module first, that module is returned.
pub fn module() -> &'static Module {
    static MODULE: OnceLock<&'static Module> = OnceLock::new();
    MODULE.get_or_init(|| match init(&HOST) {
        Ok(module) => module,
        Err(_) => initialized().expect("init reported AlreadyInitialized, so a module exists"),
    })
}
