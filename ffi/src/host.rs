//! Running the module in a host process (tests, the ACVP harness,
//! benchmarks). Enabled by the `host` feature; uses std.
//!
//! In user space the OS already preserves vector registers across context
//! switches, so `run_with_vector_state` just runs the call; entropy comes from
//! the OS through `getrandom`, and XCR0 is the one the OS set ([`xcr0`]).

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

    fn xcr0(&self) -> u64 {
        xcr0()
    }
}

/// The XCR0 the host OS enabled, or 0 (SSE only) when the OS has not turned
/// XSAVE on. Host code may execute XGETBV; the module never does.
pub fn xcr0() -> u64 {
    if std::arch::is_x86_feature_detected!("xsave") {
        // SAFETY: the `xsave` feature is only detected when the CPU has XSAVE
        // and the OS set CR4.OSXSAVE, which makes XGETBV with ECX = 0 valid.
        unsafe { core::arch::x86_64::_xgetbv(0) }
    } else {
        0
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
