//! The one place where C status codes become Rust values.
//!
//! A status `>= 0` is success and doubles as the FIPS 140-3 service indicator,
//! so success is an [`Indicator`] and failure an [`Error`]. Callers never see
//! the integers.

use crate::bindings;

/// Why a service of the module failed. The module zeroes every output buffer
/// of a failed call, and the shim does the same for the failures it detects
/// before calling the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The module is not operational (self-test failure, entropy failure, or
    /// not initialized); no service produces output.
    State,
    /// A length, identifier or combination of arguments the service cannot take.
    Arg,
    /// A tag or signature did not verify.
    Auth,
    /// An invalid key or public point.
    Key,
    /// The entropy source failed; the module is now in the error state.
    Entropy,
    /// A self-test failed; the module is now in the error state.
    SelfTest,
    /// An unexpected failure inside the module.
    Internal,
    /// `svsm_crypto_init` ran twice.
    Already,
    /// A usage limit was reached (GCM generated-IV count, DRBG reseed).
    Limit,
    /// A status the header does not define.
    Unknown(i32),
}

/// The FIPS 140-3 service indicator returned by every successful service.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Indicator {
    /// An approved service ran (`SVSM_CRYPTO_OK`).
    Approved,
    /// A non-approved service ran (`SVSM_CRYPTO_OK_NON_APPROVED`).
    NonApproved,
}

impl Indicator {
    /// Whether the service that produced this indicator is approved.
    pub fn is_approved(self) -> bool {
        self == Indicator::Approved
    }

    /// The indicator of a service made of two module calls: approved only if
    /// both were.
    pub(crate) fn and(self, other: Indicator) -> Indicator {
        if self.is_approved() && other.is_approved() {
            Indicator::Approved
        } else {
            Indicator::NonApproved
        }
    }
}

/// A service's output together with its service indicator.
#[must_use]
#[derive(Debug)]
pub struct Indicated<T> {
    value: T,
    indicator: Indicator,
}

impl<T> Indicated<T> {
    pub(crate) fn new(value: T, indicator: Indicator) -> Self {
        Indicated { value, indicator }
    }

    /// The service indicator of the call that produced the value.
    pub fn indicator(&self) -> Indicator {
        self.indicator
    }

    /// Whether the call that produced the value was an approved service.
    pub fn is_approved(&self) -> bool {
        self.indicator.is_approved()
    }

    /// Borrows the output.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The output, dropping the indicator.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The output and the indicator.
    pub fn into_parts(self) -> (T, Indicator) {
        (self.value, self.indicator)
    }
}

/// Maps a module status to the indicator (success) or the error (failure).
pub(crate) fn to_result(status: bindings::svsm_crypto_status) -> Result<Indicator, Error> {
    match status {
        bindings::SVSM_CRYPTO_OK => Ok(Indicator::Approved),
        bindings::SVSM_CRYPTO_OK_NON_APPROVED => Ok(Indicator::NonApproved),
        bindings::SVSM_CRYPTO_ERR_STATE => Err(Error::State),
        bindings::SVSM_CRYPTO_ERR_ARG => Err(Error::Arg),
        bindings::SVSM_CRYPTO_ERR_AUTH => Err(Error::Auth),
        bindings::SVSM_CRYPTO_ERR_KEY => Err(Error::Key),
        bindings::SVSM_CRYPTO_ERR_ENTROPY => Err(Error::Entropy),
        bindings::SVSM_CRYPTO_ERR_SELF_TEST => Err(Error::SelfTest),
        bindings::SVSM_CRYPTO_ERR_INTERNAL => Err(Error::Internal),
        bindings::SVSM_CRYPTO_ERR_ALREADY => Err(Error::Already),
        bindings::SVSM_CRYPTO_ERR_LIMIT => Err(Error::Limit),
        other => Err(Error::Unknown(other)),
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let text = match self {
            Error::State => "crypto module not operational",
            Error::Arg => "invalid argument to crypto service",
            Error::Auth => "authentication failed",
            Error::Key => "invalid key",
            Error::Entropy => "entropy source failed",
            Error::SelfTest => "crypto self-test failed",
            Error::Internal => "internal crypto module failure",
            Error::Already => "crypto module already initialized",
            Error::Limit => "crypto usage limit reached",
            Error::Unknown(code) => return write!(f, "unknown crypto module status {code}"),
        };
        f.write_str(text)
    }
}

impl core::error::Error for Error {}
