//! The module handle, and the single gate every call into C goes through.
//!
//! The C module is not reentrant and may use SSE/AVX registers. Both rules are
//! enforced here, once: [`Module::call`] takes a global spin lock and runs the
//! call inside [`Environment::run_with_vector_state`]. Every other file of the
//! crate reaches the raw layer only from a closure handed to `call`.
//!
//! The module calls back into the environment (`get_noise`, `timestamp`)
//! through `extern "C"` trampolines whose context pointer is the address of
//! the static [`ENV`] slot holding the `&'static dyn Environment`; at init it
//! also takes the environment's XCR0 (see [`Environment::xcr0`]).

use core::ffi::{CStr, c_char, c_void};

use spin::{Mutex, Once};

use crate::bindings;
use crate::errors::{Error, Indicator, to_result};

/// What the module needs from the platform it runs on.
///
/// The methods are called with the module's lock held (from inside a call into
/// the module), so they must not call back into the module.
pub trait Environment: Sync {
    /// Fills `out` with raw samples of the noise source, one sample per byte.
    /// The module runs its SP 800-90B health tests on them.
    fn fill_entropy(&self, out: &mut [u8]) -> Result<(), EntropyUnavailable>;

    /// Monotonic ticks (the TSC on x86); only used to time the self-tests.
    fn timestamp(&self) -> u64;

    /// Runs `f` with SIMD registers usable, and their previous contents
    /// preserved for whoever owned them before. Must call `f` exactly once.
    fn run_with_vector_state(&self, f: &mut dyn FnMut());

    /// The XCR0 value the OS enabled: which register state (SSE, AVX,
    /// AVX-512) `run_with_vector_state` makes usable and preserves. The
    /// module trusts it to choose its code paths and never reads XCR0 itself;
    /// a value claiming more than is enabled makes the module fault. Read once,
    /// at [`init`].
    fn xcr0(&self) -> u64;
}

/// The noise source could not deliver samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntropyUnavailable;

/// [`init`] was called before; the module initializes once per boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlreadyInitialized;

/// The module's life cycle, as the module reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModuleState {
    Uninitialized,
    SelfTesting,
    Operational,
    Error,
}

/// Outcome of one power-on self-test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    NotRun,
}

/// One power-on self-test, by its position in the module's run order.
///
/// # Invariants
///
/// `index < SVSM_CRYPTO_SELF_TEST_COUNT`, and `key`/`name` are the module's
/// strings for that index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelfTestId {
    index: u32,
    key: &'static str,
    name: &'static str,
}

impl SelfTestId {
    /// The stable identifier used by reports, the manifest and BREAK builds,
    /// e.g. `"integrity"`.
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// Human-readable name, e.g. `"Software integrity test (HMAC-SHA-256)"`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Position in the run order (the C enum value).
    pub fn index(&self) -> u32 {
        self.index
    }
}

/// The record the module keeps of one self-test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelfTestResult {
    pub id: SelfTestId,
    pub outcome: Outcome,
    pub start_ticks: u64,
    pub end_ticks: u64,
}

/// Handle to the initialized module; every crypto service is a method on it.
///
/// There is one per boot, obtained from [`init`]; it lives in a static.
pub struct Module {
    env: &'static dyn Environment,
}

/// Serializes every call into the module.
static LOCK: Mutex<()> = Mutex::new(());

/// The environment the callbacks reach through their context pointer.
static ENV: Once<&'static dyn Environment> = Once::new();

/// The one module handle.
static MODULE: Once<Module> = Once::new();

/// The callback table for `env`: its context is the address of [`ENV`].
/// The module copies the table during `svsm_crypto_init`.
fn callbacks(env: &dyn Environment) -> bindings::svsm_crypto_callbacks {
    bindings::svsm_crypto_callbacks {
        context: &ENV as *const Once<&'static dyn Environment> as *mut c_void,
        get_noise: Some(get_noise),
        timestamp: Some(timestamp),
        xcr0: env.xcr0(),
    }
}

/// Reads the environment from a callback context.
///
/// # Safety
///
/// `context` must be the context of [`callbacks`], i.e. the address of [`ENV`].
unsafe fn env_from_context(context: *mut c_void) -> Option<&'static dyn Environment> {
    // SAFETY: by the caller's contract `context` points to the static `ENV`,
    // which lives for the whole program and is only read here.
    let slot = unsafe { &*(context as *const Once<&'static dyn Environment>) };
    slot.get().copied()
}

extern "C" fn get_noise(context: *mut c_void, out: *mut u8, len: usize) -> i32 {
    if len == 0 {
        return 0;
    }
    if out.is_null() {
        return -1;
    }
    // SAFETY: the module only calls this with the context from `callbacks`.
    let Some(env) = (unsafe { env_from_context(context) }) else {
        return -1;
    };
    // SAFETY: the module passes a writable buffer of `len` bytes that nothing
    // else accesses during the callback (the module is single-threaded and
    // waits for us); `out` is non-null as checked above.
    let out = unsafe { core::slice::from_raw_parts_mut(out, len) };
    match env.fill_entropy(out) {
        Ok(()) => 0,
        Err(EntropyUnavailable) => -1,
    }
}

extern "C" fn timestamp(context: *mut c_void) -> u64 {
    // SAFETY: the module only calls this with the context from `callbacks`.
    match unsafe { env_from_context(context) } {
        Some(env) => env.timestamp(),
        None => 0,
    }
}

/// Initializes the module: registers `env`, runs the power-on self-tests and
/// returns the handle. The handle is returned even when a self-test failed;
/// the module is then in [`ModuleState::Error`] and every service fails with
/// [`Error::State`] (see [`Module::failed_test`]).
pub fn init(env: &'static dyn Environment) -> Result<&'static Module, AlreadyInitialized> {
    let mut first = false;
    let module = MODULE.call_once(|| {
        first = true;
        ENV.call_once(|| env);
        let module = Module { env };
        let table = callbacks(env);
        // A self-test failure is reported through `state()`/`failed_test()`;
        // the status adds nothing to that.
        // SAFETY: `table` is valid for the call, which copies it; its context
        // designates the static `ENV` (set above) and its functions are valid
        // callbacks for that context.
        let _ = module.call(|| unsafe { bindings::svsm_crypto_init(&table) });
        module
    });
    if first {
        Ok(module)
    } else {
        Err(AlreadyInitialized)
    }
}

/// The module handle, if [`init`] has run.
pub fn initialized() -> Option<&'static Module> {
    MODULE.get()
}

/// Turns a NUL-terminated string owned by the module into a `&'static str`.
///
/// # Safety
///
/// `ptr` must be null or point to a NUL-terminated string that the module
/// never frees or changes (the module's strings are constants in the object).
unsafe fn static_str(ptr: *const c_char) -> &'static str {
    if ptr.is_null() {
        return "";
    }
    // SAFETY: non-null, NUL-terminated and immutable for the program's
    // lifetime by the caller's contract.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str().unwrap_or("")
}

impl Module {
    /// The gate: runs `f` (which calls into C) with the module lock held and
    /// vector state available. Nothing else in the crate calls the raw layer.
    pub(crate) fn call<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = LOCK.lock();
        let mut f = Some(f);
        let mut result = None;
        self.env.run_with_vector_state(&mut || {
            if let Some(f) = f.take() {
                result = Some(f());
            }
        });
        match result {
            Some(result) => result,
            // A broken Environment is a platform bug, not a recoverable error.
            None => panic!("Environment::run_with_vector_state did not run the call"),
        }
    }

    /// Calls a service and maps its status.
    pub(crate) fn service(
        &self,
        f: impl FnOnce() -> bindings::svsm_crypto_status,
    ) -> Result<Indicator, Error> {
        to_result(self.call(f))
    }

    /// The module's current state.
    pub fn state(&self) -> ModuleState {
        // SAFETY: `svsm_crypto_state` takes no arguments and is available in
        // every state; the gate serializes it.
        let raw = self.call(|| unsafe { bindings::svsm_crypto_state() });
        match raw {
            bindings::SVSM_CRYPTO_STATE_UNINITIALIZED => ModuleState::Uninitialized,
            bindings::SVSM_CRYPTO_STATE_SELF_TEST => ModuleState::SelfTesting,
            bindings::SVSM_CRYPTO_STATE_OPERATIONAL => ModuleState::Operational,
            _ => ModuleState::Error,
        }
    }

    /// The self-test that failed, if one did.
    pub fn failed_test(&self) -> Option<SelfTestId> {
        // SAFETY: no arguments; available in every state.
        let raw = self.call(|| unsafe { bindings::svsm_crypto_failed_self_test() });
        u32::try_from(raw)
            .ok()
            .and_then(|index| self.self_test_id(index))
    }

    /// Every power-on self-test with its outcome and timing, in run order.
    pub fn self_tests(&self) -> impl Iterator<Item = SelfTestResult> {
        (0..bindings::SVSM_CRYPTO_SELF_TEST_COUNT).filter_map(|index| self.self_test_result(index))
    }

    /// Looks a self-test up by its stable key (`"integrity"`, ...).
    pub fn self_test_by_key(&self, key: &str) -> Option<SelfTestId> {
        (0..bindings::SVSM_CRYPTO_SELF_TEST_COUNT)
            .filter_map(|index| self.self_test_id(index))
            .find(|id| id.key == key)
    }

    /// The module's version string.
    pub fn version(&self) -> &'static str {
        // SAFETY: no arguments; available in every state.
        let ptr = self.call(|| unsafe { bindings::svsm_crypto_version() });
        // SAFETY: the version is a constant string inside the module.
        unsafe { static_str(ptr) }
    }

    /// Destroys every SSP the module holds (its DRBG state, entropy pool).
    /// Contexts owned by callers ([`crate::Drbg`], [`crate::AesGcmKey`], ...)
    /// are cleansed when they are dropped.
    pub fn zeroize(&self) {
        // SAFETY: no arguments; available in every state.
        self.call(|| unsafe { bindings::svsm_crypto_zeroize() });
    }

    fn self_test_id(&self, index: u32) -> Option<SelfTestId> {
        if index >= bindings::SVSM_CRYPTO_SELF_TEST_COUNT {
            return None;
        }
        // SAFETY: any id is accepted (NULL for unknown ones); no other
        // argument.
        let (key, name) = self.call(|| unsafe {
            (
                bindings::svsm_crypto_self_test_key(index),
                bindings::svsm_crypto_self_test_name(index),
            )
        });
        if key.is_null() {
            return None;
        }
        // INVARIANT: `index` is in range and the strings are the module's own.
        // SAFETY: the module's self-test keys and names are constant strings.
        let (key, name) = unsafe { (static_str(key), static_str(name)) };
        Some(SelfTestId { index, key, name })
    }

    fn self_test_result(&self, index: u32) -> Option<SelfTestResult> {
        let id = self.self_test_id(index)?;
        let mut raw = bindings::svsm_crypto_self_test_result {
            id: 0,
            outcome: 0,
            start_ticks: 0,
            end_ticks: 0,
        };
        // SAFETY: `raw` is a valid, exclusively borrowed result structure.
        let status =
            self.call(|| unsafe { bindings::svsm_crypto_self_test_result_get(index, &mut raw) });
        let outcome = match (to_result(status), raw.outcome) {
            (Ok(_), bindings::SVSM_CRYPTO_TEST_PASSED) => Outcome::Passed,
            (Ok(_), bindings::SVSM_CRYPTO_TEST_FAILED) => Outcome::Failed,
            _ => Outcome::NotRun,
        };
        Some(SelfTestResult {
            id,
            outcome,
            start_ticks: raw.start_ticks,
            end_ticks: raw.end_ticks,
        })
    }
}
