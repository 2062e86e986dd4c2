//! Bring-up of the crypto module (the `svsm-crypto` crate in `ffi/`), and the
//! one value that says how it went: [`CryptoBoot`].
//!
//! The kernel's side of the boundary is small and lives here on purpose:
//! * [`KernelEnvironment`] gives the module what it needs from the platform:
//!   raw entropy ([`cpu::entropy`]), timestamps ([`cpu::tsc`]), a scope in
//!   which vector registers are usable ([`cpu::xsave::run_with_vector_state`])
//!   and the XCR0 the kernel enabled ([`cpu::xsave::enabled_xcr0`]);
//! * [`init`] runs the module's power-on self-tests (inside
//!   `svsm_crypto::init`), prints their table, the module state and the
//!   SHA-256 of the certified object, generates the attestation
//!   (report-signing) key, and returns a [`CryptoBoot`].
//!
//! [`CryptoBoot`] is the only record of that outcome. Everything that depends
//! on it is derived from it: the protocols the SVSM offers, what the guest
//! harness is told to expect, and the kernel's exit status. A degraded kernel
//! holds no handle to the module, so it cannot hand out a crypto service.

use core::fmt::{self, Display};

use alloc::boxed::Box;
use log::{error, info};
use svsm_crypto::{Environment, ModuleState, Outcome, SelfTestId};
use svsm_protocol::crypto::{AttestationCrypto, ModuleCrypto};

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

/// How the crypto module came up.
#[derive(Clone, Copy)]
pub enum CryptoBoot {
    /// Every self-test passed and the module generated the report-signing
    /// key: crypto services (attestation) are offered, through this handle
    /// only. [`ModuleCrypto`] asks the module for its state on every call, so
    /// a module that fails later stops serving at once.
    Operational(&'static ModuleCrypto),
    /// Crypto services are refused for the rest of the boot.
    Degraded(Degraded),
}

/// Why the module is not operational.
#[derive(Clone, Copy, Debug)]
pub enum Degraded {
    /// `svsm_crypto::init` had already run: a kernel bug.
    AlreadyInitialised,
    /// The module is not operational after its power-on self-tests; `failed`
    /// is the test that failed, if the module names one.
    SelfTest {
        state: ModuleState,
        failed: Option<SelfTestId>,
    },
    /// The module refused to generate the report-signing key.
    AttestationKey(svsm_crypto::Error),
}

impl Display for Degraded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyInitialised => write!(f, "module was already initialised"),
            Self::SelfTest {
                state,
                failed: Some(test),
            } => write!(
                f,
                "module state {state:?}: self-test '{}' ({}) failed",
                test.key(),
                test.name()
            ),
            Self::SelfTest {
                state,
                failed: None,
            } => write!(f, "module state {state:?} after initialisation"),
            Self::AttestationKey(e) => write!(f, "report-signing key generation failed ({e})"),
        }
    }
}

impl CryptoBoot {
    /// The attestation crypto, if the module is operational.
    pub fn attestation(&self) -> Option<&'static dyn AttestationCrypto> {
        match self {
            Self::Operational(crypto) => Some(*crypto),
            Self::Degraded(_) => None,
        }
    }
}

fn table_row(
    index: impl Display,
    key: &str,
    name: &str,
    result: &str,
    time: impl Display,
    unit: &str,
) {
    // 23: the longest key the module allows (SELF_TEST_KEY_MAX in module.c,
    // 24 bytes with the terminating zero).
    info!("crypto: self-test {index:>3}  {key:<23} {name:<60} {result:<7} {time:>8} {unit}");
}

/// Initialises the module (running its self-tests), reports the result and,
/// if it is operational, generates the report-signing key in it.
pub fn init() -> CryptoBoot {
    let outcome = bring_up();
    if let CryptoBoot::Degraded(reason) = &outcome {
        error!("crypto: {reason}");
        error!("crypto: DEGRADED MODE: crypto services are refused");
    }
    outcome
}

fn bring_up() -> CryptoBoot {
    let Ok(module) = svsm_crypto::init(&ENVIRONMENT) else {
        return CryptoBoot::Degraded(Degraded::AlreadyInitialised);
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

    let state = module.state();
    if state != ModuleState::Operational {
        return CryptoBoot::Degraded(Degraded::SelfTest {
            state,
            failed: module.failed_test(),
        });
    }
    info!("crypto: module state Operational");
    match ModuleCrypto::new(module) {
        // Lives for the rest of the boot, like the module it wraps.
        Ok(crypto) => CryptoBoot::Operational(Box::leak(Box::new(crypto))),
        Err(e) => CryptoBoot::Degraded(Degraded::AttestationKey(e)),
    }
}
