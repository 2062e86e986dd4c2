//! Bring-up of the crypto module (the `svsm-crypto` crate in `ffi/`).
//!
//! The kernel's side of the boundary is small and lives here on purpose:
//! * [`KernelEnvironment`] gives the module what it needs from the platform:
//!   raw entropy ([`cpu::entropy`]), timestamps ([`cpu::tsc`]), a scope in
//!   which vector registers are usable ([`cpu::xsave::run_with_vector_state`])
//!   and the XCR0 the kernel enabled ([`cpu::xsave::enabled_xcr0`]);
//! * [`init`] runs the module's power-on self-tests (inside
//!   `svsm_crypto::init`), prints their table, the module state and the
//!   SHA-256 of the certified object, and decides between operational and
//!   degraded;
//! * [`module`] is the only way to reach crypto services afterwards, and it
//!   refuses (returns `None`) unless the self-tests passed.

use core::fmt::Display;

use log::{error, info};
use spin::Once;
use svsm_crypto::{Environment, Module, ModuleState, Outcome};

use crate::CryptoStatus;
use crate::cpu::{self, tsc};

struct KernelEnvironment;

impl Environment for KernelEnvironment {
    fn fill_entropy(&self, out: &mut [u8]) -> Result<(), svsm_crypto::EntropyUnavailable> {
        cpu::entropy::fill_entropy(out).map_err(|_| svsm_crypto::EntropyUnavailable)
    }

    fn timestamp(&self) -> u64 {
        tsc::now()
    }

    fn run_with_vector_state(&self, f: &mut dyn FnMut()) {
        cpu::xsave::run_with_vector_state(f)
    }

    fn xcr0(&self) -> u64 {
        cpu::xsave::enabled_xcr0().bits()
    }
}

static ENVIRONMENT: KernelEnvironment = KernelEnvironment;

/// Set only once the module is operational.
static OPERATIONAL: Once<&'static Module> = Once::new();

/// The crypto module, if its self-tests passed. Crypto services must be
/// obtained through this function so that a degraded kernel refuses them.
pub fn module() -> Option<&'static Module> {
    OPERATIONAL.get().copied()
}

fn table_row(
    index: impl Display,
    key: &str,
    name: &str,
    result: &str,
    time: impl Display,
    unit: &str,
) {
    info!("crypto: self-test {index:>3}  {key:<19} {name:<60} {result:<7} {time:>8} {unit}");
}

/// Initialises the module (running its self-tests) and reports the result.
pub fn init() -> CryptoStatus {
    let module = match svsm_crypto::init(&ENVIRONMENT) {
        Ok(module) => module,
        Err(_) => {
            error!("crypto: module was already initialised; refusing crypto services");
            return CryptoStatus::Degraded;
        }
    };

    info!("crypto: object SHA-256 {}", svsm_crypto::OBJECT_SHA256);
    table_row("#", "key", "name", "result", "time", "");
    for (i, test) in module.self_tests().enumerate() {
        let result = match test.outcome {
            Outcome::Passed => "PASS",
            Outcome::Failed => "FAIL",
            Outcome::NotRun => "NOT RUN",
        };
        let ticks = test.end_ticks.saturating_sub(test.start_ticks);
        let (time, unit) = tsc::ticks_to_us(ticks).map_or((ticks, "ticks"), |us| (us, "us"));
        table_row(i + 1, test.id.key(), test.id.name(), result, time, unit);
    }

    match module.state() {
        ModuleState::Operational => {
            info!("crypto: module state Operational");
            OPERATIONAL.call_once(|| module);
            CryptoStatus::Operational
        }
        state => {
            match module.failed_test() {
                Some(test) => error!(
                    "crypto: module state {state:?}: self-test '{}' ({}) failed",
                    test.key(),
                    test.name()
                ),
                None => error!("crypto: module state {state:?} after initialisation"),
            }
            error!("crypto: DEGRADED MODE: crypto services are refused");
            CryptoStatus::Degraded
        }
    }
}
