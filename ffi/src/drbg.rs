//! CTR_DRBG with AES-256 and the derivation function (SP 800-90A rev. 1).
//!
//! [`Drbg`] is an instance owned by the caller, seeded from the module's
//! entropy source. The `*_test` variants take the entropy input from the
//! caller for mechanism testing (CAVP/ACVP); their output is not usable as
//! random data and they report [`Indicator::NonApproved`].
//! [`Module::random`] draws from the module's own internal DRBG.

use crate::bindings;
use crate::errors::{Error, Indicated, Indicator};
use crate::module::Module;

/// Largest request `generate` serves in one call.
pub const DRBG_MAX_REQUEST: usize = bindings::SVSM_CRYPTO_DRBG_MAX_REQUEST as usize;
/// Largest personalization string or additional input.
pub const DRBG_MAX_INPUT: usize = bindings::SVSM_CRYPTO_DRBG_MAX_INPUT as usize;

/// A CTR_DRBG instance. Dropping it uninstantiates it (the module zeroes the
/// whole state).
///
/// # Invariants
///
/// A value reachable by callers holds a `ctx` instantiated by the module.
pub struct Drbg<'m> {
    module: &'m Module,
    ctx: bindings::svsm_crypto_drbg_ctx,
}

impl Module {
    /// Instantiates a DRBG seeded from the module's entropy source.
    pub fn drbg(&self, personalization: &[u8]) -> Result<Indicated<Drbg<'_>>, Error> {
        let mut drbg = self.empty_drbg();
        let ctx = &mut drbg.ctx;
        // SAFETY: `ctx` is exclusively borrowed context storage;
        // `personalization` is valid for reads of its length.
        let indicator = self.service(|| unsafe {
            bindings::svsm_crypto_drbg_instantiate(
                ctx,
                personalization.as_ptr(),
                personalization.len(),
            )
        })?;
        // INVARIANT: instantiated; on failure `drbg` was dropped (zeroed).
        Ok(Indicated::new(drbg, indicator))
    }

    /// Instantiates a DRBG from caller-supplied entropy input and nonce
    /// (mechanism testing only; non-approved).
    pub fn drbg_test(
        &self,
        entropy: &[u8],
        nonce: &[u8],
        personalization: &[u8],
    ) -> Result<Indicated<Drbg<'_>>, Error> {
        let mut drbg = self.empty_drbg();
        let ctx = &mut drbg.ctx;
        // SAFETY: `ctx` is exclusively borrowed context storage; the inputs
        // are valid for reads of their lengths.
        let indicator = self.service(|| unsafe {
            bindings::svsm_crypto_drbg_instantiate_test(
                ctx,
                entropy.as_ptr(),
                entropy.len(),
                nonce.as_ptr(),
                nonce.len(),
                personalization.as_ptr(),
                personalization.len(),
            )
        })?;
        // INVARIANT: instantiated; on failure `drbg` was dropped (zeroed).
        Ok(Indicated::new(drbg, indicator))
    }

    /// Fills `out` from the module's internal DRBG.
    pub fn random(&self, out: &mut [u8]) -> Result<Indicator, Error> {
        // SAFETY: `out` is valid for writes of its length and exclusively
        // borrowed.
        self.service(|| unsafe { bindings::svsm_crypto_random(out.as_mut_ptr(), out.len()) })
    }

    fn empty_drbg(&self) -> Drbg<'_> {
        Drbg {
            module: self,
            ctx: bindings::svsm_crypto_drbg_ctx {
                opaque: [0; bindings::SVSM_CRYPTO_DRBG_CTX_SIZE as usize],
            },
        }
    }
}

impl Drbg<'_> {
    /// Fills `out` (at most [`DRBG_MAX_REQUEST`] bytes), mixing in
    /// `additional` input.
    pub fn generate(&mut self, out: &mut [u8], additional: &[u8]) -> Result<Indicator, Error> {
        let ctx = &mut self.ctx;
        // SAFETY: `ctx` is instantiated and exclusively borrowed; `out` is
        // valid for writes and `additional` for reads of their lengths.
        self.module.service(|| unsafe {
            bindings::svsm_crypto_drbg_generate(
                ctx,
                out.as_mut_ptr(),
                out.len(),
                additional.as_ptr(),
                additional.len(),
            )
        })
    }

    /// Reseeds from the module's entropy source.
    pub fn reseed(&mut self, additional: &[u8]) -> Result<Indicator, Error> {
        let ctx = &mut self.ctx;
        // SAFETY: `ctx` is instantiated and exclusively borrowed;
        // `additional` is valid for reads of its length.
        self.module.service(|| unsafe {
            bindings::svsm_crypto_drbg_reseed(ctx, additional.as_ptr(), additional.len())
        })
    }

    /// Reseeds from caller-supplied entropy input (mechanism testing only;
    /// non-approved).
    pub fn reseed_test(&mut self, entropy: &[u8], additional: &[u8]) -> Result<Indicator, Error> {
        let ctx = &mut self.ctx;
        // SAFETY: `ctx` is instantiated and exclusively borrowed; the inputs
        // are valid for reads of their lengths.
        self.module.service(|| unsafe {
            bindings::svsm_crypto_drbg_reseed_test(
                ctx,
                entropy.as_ptr(),
                entropy.len(),
                additional.as_ptr(),
                additional.len(),
            )
        })
    }

    /// Uninstantiates the DRBG now (dropping it does the same).
    pub fn uninstantiate(self) {
        drop(self);
    }
}

impl Drop for Drbg<'_> {
    fn drop(&mut self) {
        let ctx = &mut self.ctx;
        // SAFETY: `ctx` belongs to this value; uninstantiate zeroes any
        // context storage, instantiated or not.
        self.module
            .call(|| unsafe { bindings::svsm_crypto_drbg_uninstantiate(ctx) });
    }
}
