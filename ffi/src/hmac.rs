//! HMAC (FIPS 198-1). Keys shorter than 112 bits are a non-approved use; the
//! module says so through the service indicator.

use crate::bindings;
use crate::errors::{Error, Indicator};
use crate::hash::HashAlg;
use crate::module::Module;

/// Shortest tag the module produces or checks (a truncated MAC keeps the
/// leftmost bytes).
pub const HMAC_MIN_TAG_LEN: usize = 4;

impl Module {
    /// Computes HMAC of `msg` under `key`, writing `tag.len()` bytes (from
    /// [`HMAC_MIN_TAG_LEN`] to the digest size). The caller owns `key` and is
    /// responsible for wiping it.
    pub fn hmac(
        &self,
        alg: HashAlg,
        key: &[u8],
        msg: &[u8],
        tag: &mut [u8],
    ) -> Result<Indicator, Error> {
        // SAFETY: `key`, `msg` are valid for reads and `tag` for writes of
        // their lengths during the call; `tag` cannot alias the shared ones.
        self.service(|| unsafe {
            bindings::svsm_crypto_hmac(
                alg.raw(),
                key.as_ptr(),
                key.len(),
                msg.as_ptr(),
                msg.len(),
                tag.as_mut_ptr(),
                tag.len(),
            )
        })
    }

    /// Checks an HMAC tag in constant time: [`Error::Auth`] on mismatch.
    pub fn hmac_verify(
        &self,
        alg: HashAlg,
        key: &[u8],
        msg: &[u8],
        tag: &[u8],
    ) -> Result<Indicator, Error> {
        // SAFETY: all three buffers are valid for reads of their lengths
        // during the call.
        self.service(|| unsafe {
            bindings::svsm_crypto_hmac_verify(
                alg.raw(),
                key.as_ptr(),
                key.len(),
                msg.as_ptr(),
                msg.len(),
                tag.as_ptr(),
                tag.len(),
            )
        })
    }
}
