//! The AES block cipher in ECB and CFB128 (SP 800-38A), 128- and 256-bit
//! keys: single blocks (the engine's context-blob wrapping) and TPM 2.0
//! parameter encryption (AES-128-CFB).
//!
//! [`AesKey`] holds the module's context with both expanded key schedules.
//! The module only reads it after loading, so every operation takes
//! `&self`; each CFB128 call starts from the IV it is given and keeps no
//! state. All operations work in place and are approved.

use crate::bindings;
use crate::errors::{Error, Indicator};
use crate::module::Module;

/// The AES block size in bytes.
pub const AES_BLOCK_LEN: usize = bindings::SVSM_CRYPTO_AES_BLOCK_LEN as usize;

/// An AES key loaded into the module for ECB and CFB128. The context is
/// cleansed by the module when the key is dropped.
///
/// # Invariants
///
/// A value reachable by callers holds a `ctx` initialized by
/// `svsm_crypto_aes_init`.
pub struct AesKey<'m> {
    module: &'m Module,
    ctx: bindings::svsm_crypto_aes_ctx,
}

impl Module {
    /// Loads a 16- or 32-byte AES key for ECB and CFB128 ([`Error::Arg`]
    /// for any other length).
    pub fn aes_key(&self, key: &[u8]) -> Result<AesKey<'_>, Error> {
        let mut ctx = bindings::svsm_crypto_aes_ctx {
            opaque: [0; bindings::SVSM_CRYPTO_AES_CTX_SIZE as usize],
        };
        let raw = &mut ctx;
        // SAFETY: `raw` is exclusively borrowed storage of the context's size
        // and alignment; `key` is valid for reads of its length.
        let status = self
            .service(|| unsafe { bindings::svsm_crypto_aes_init(raw, key.as_ptr(), key.len()) });
        // INVARIANT: the key escapes only on success; after a failed init it
        // is dropped right here, which cleanses whatever the module wrote.
        let key = AesKey { module: self, ctx };
        status.map(|_| key)
    }
}

/// The module's ECB calls (encrypt, decrypt).
type EcbFn = unsafe extern "C" fn(
    *const bindings::svsm_crypto_aes_ctx,
    *const u8,
    *mut u8,
    usize,
) -> bindings::svsm_crypto_status;

/// The module's CFB128 calls (encrypt, decrypt).
type CfbFn = unsafe extern "C" fn(
    *const bindings::svsm_crypto_aes_ctx,
    *const u8,
    usize,
    *const u8,
    *mut u8,
    usize,
) -> bindings::svsm_crypto_status;

impl AesKey<'_> {
    fn ecb(&self, op: EcbFn, in_out: &mut [u8]) -> Result<Indicator, Error> {
        let ctx = &self.ctx;
        let data = in_out.as_mut_ptr();
        // SAFETY: `ctx` is initialized and only read by the module; `data`
        // is valid for reads and writes of `in_out.len()` bytes and is
        // exclusively borrowed, and in-place operation is allowed.
        self.module
            .service(|| unsafe { op(ctx, data, data, in_out.len()) })
    }

    fn cfb128(
        &self,
        op: CfbFn,
        iv: &[u8; AES_BLOCK_LEN],
        in_out: &mut [u8],
    ) -> Result<Indicator, Error> {
        let ctx = &self.ctx;
        let data = in_out.as_mut_ptr();
        // SAFETY: as in `ecb`; `iv` is valid for reads of its fixed length.
        self.module
            .service(|| unsafe { op(ctx, iv.as_ptr(), iv.len(), data, data, in_out.len()) })
    }

    /// Encrypts whole blocks in place (ECB; one block is the plain block
    /// cipher). [`Error::Arg`] when the length is 0 or not a multiple of
    /// [`AES_BLOCK_LEN`], with `in_out` zeroed.
    pub fn ecb_encrypt(&self, in_out: &mut [u8]) -> Result<Indicator, Error> {
        self.ecb(bindings::svsm_crypto_aes_ecb_encrypt, in_out)
    }

    /// Decrypts whole blocks in place (ECB), as [`AesKey::ecb_encrypt`].
    pub fn ecb_decrypt(&self, in_out: &mut [u8]) -> Result<Indicator, Error> {
        self.ecb(bindings::svsm_crypto_aes_ecb_decrypt, in_out)
    }

    /// Encrypts `in_out` in place with CFB128 from `iv`: any non-zero
    /// length ([`Error::Arg`] for an empty buffer).
    pub fn cfb128_encrypt(
        &self,
        iv: &[u8; AES_BLOCK_LEN],
        in_out: &mut [u8],
    ) -> Result<Indicator, Error> {
        self.cfb128(bindings::svsm_crypto_aes_cfb128_encrypt, iv, in_out)
    }

    /// Decrypts `in_out` in place with CFB128 from `iv`, as
    /// [`AesKey::cfb128_encrypt`].
    pub fn cfb128_decrypt(
        &self,
        iv: &[u8; AES_BLOCK_LEN],
        in_out: &mut [u8],
    ) -> Result<Indicator, Error> {
        self.cfb128(bindings::svsm_crypto_aes_cfb128_decrypt, iv, in_out)
    }
}

impl Drop for AesKey<'_> {
    fn drop(&mut self) {
        let ctx = &mut self.ctx;
        // SAFETY: `ctx` belongs to this value; the module's cleanse accepts
        // any context storage and zeroes it.
        self.module
            .call(|| unsafe { bindings::svsm_crypto_aes_cleanse(ctx) });
    }
}
