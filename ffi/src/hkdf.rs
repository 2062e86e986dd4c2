//! HKDF (RFC 5869; SP 800-56C rev. 2 two-step key derivation).

use crate::bindings;
use crate::errors::{Error, Indicated, Indicator};
use crate::hash::{HashAlg, MAX_DIGEST_LEN};
use crate::module::Module;
use crate::secret::SecretBytes;

/// A pseudorandom key from HKDF-Extract; wiped on drop.
///
/// # Invariants
///
/// `bytes` holds exactly `alg.digest_len()` bytes.
#[derive(Debug)]
pub struct Prk {
    alg: HashAlg,
    bytes: SecretBytes<MAX_DIGEST_LEN>,
}

impl Prk {
    /// Wraps an existing PRK (for example from a test vector). Its length
    /// must be the digest size of `alg`.
    pub fn from_bytes(alg: HashAlg, prk: &[u8]) -> Result<Self, Error> {
        if prk.len() != alg.digest_len() {
            return Err(Error::Arg);
        }
        let mut bytes = SecretBytes::zeroed(prk.len());
        bytes.as_mut_bytes().copy_from_slice(prk);
        // INVARIANT: length checked above.
        Ok(Prk { alg, bytes })
    }

    /// The hash function the PRK belongs to.
    pub fn alg(&self) -> HashAlg {
        self.alg
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_bytes()
    }
}

impl Module {
    /// Extract-then-expand in one call: fills `okm`.
    pub fn hkdf(
        &self,
        alg: HashAlg,
        ikm: &[u8],
        salt: &[u8],
        info: &[u8],
        okm: &mut [u8],
    ) -> Result<Indicator, Error> {
        // SAFETY: the inputs are valid for reads and `okm` for writes of
        // their lengths during the call; `okm` is exclusively borrowed.
        self.service(|| unsafe {
            bindings::svsm_crypto_hkdf(
                alg.raw(),
                ikm.as_ptr(),
                ikm.len(),
                salt.as_ptr(),
                salt.len(),
                info.as_ptr(),
                info.len(),
                okm.as_mut_ptr(),
                okm.len(),
            )
        })
    }

    /// HKDF-Extract.
    pub fn hkdf_extract(
        &self,
        alg: HashAlg,
        salt: &[u8],
        ikm: &[u8],
    ) -> Result<Indicated<Prk>, Error> {
        let mut bytes = SecretBytes::zeroed(alg.digest_len());
        let prk = bytes.as_mut_bytes();
        // SAFETY: `salt`, `ikm` are valid for reads and `prk` (a local) for
        // writes of their lengths during the call.
        let indicator = self.service(|| unsafe {
            bindings::svsm_crypto_hkdf_extract(
                alg.raw(),
                salt.as_ptr(),
                salt.len(),
                ikm.as_ptr(),
                ikm.len(),
                prk.as_mut_ptr(),
                prk.len(),
            )
        })?;
        // INVARIANT: `bytes` has the digest length of `alg`.
        Ok(Indicated::new(Prk { alg, bytes }, indicator))
    }

    /// HKDF-Expand: fills `okm` from `prk` and `info`.
    pub fn hkdf_expand(&self, prk: &Prk, info: &[u8], okm: &mut [u8]) -> Result<Indicator, Error> {
        let key = prk.as_bytes();
        // SAFETY: `key`, `info` are valid for reads and `okm` for writes of
        // their lengths during the call; `okm` is exclusively borrowed.
        self.service(|| unsafe {
            bindings::svsm_crypto_hkdf_expand(
                prk.alg.raw(),
                key.as_ptr(),
                key.len(),
                info.as_ptr(),
                info.len(),
                okm.as_mut_ptr(),
                okm.len(),
            )
        })
    }
}
