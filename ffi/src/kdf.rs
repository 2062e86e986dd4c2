//! Key derivation for the TPM engine: the SP 800-108r1 counter-mode KDF
//! with HMAC and the SP 800-56C rev. 2 one-step KDF with a hash, in their
//! general form (fixed data in pieces) and in the TPM 2.0 Part 1 forms built
//! on them, KDFa (11.4.10.2) and KDFe (11.4.10.3).
//!
//! The caller owns the key material it passes and wipes it. A key or Z
//! shorter than 112 bits is a non-approved use ([`Indicator::NonApproved`]),
//! as for HMAC.

use crate::bindings;
use crate::errors::{Error, Indicator};
use crate::hash::HashAlg;
use crate::module::Module;

/// Most pieces the fixed data of one derivation may come in.
pub const KDF_MAX_PARTS: usize = bindings::SVSM_CRYPTO_KDF_MAX_PARTS as usize;

/// The pieces as the module takes them; `None` when there are too many.
fn spans(parts: &[&[u8]]) -> Option<[bindings::svsm_crypto_bytes; KDF_MAX_PARTS]> {
    let mut spans = [bindings::svsm_crypto_bytes {
        ptr: core::ptr::null(),
        len: 0,
    }; KDF_MAX_PARTS];
    if parts.len() > KDF_MAX_PARTS {
        return None;
    }
    for (span, part) in spans.iter_mut().zip(parts) {
        *span = bindings::svsm_crypto_bytes {
            ptr: part.as_ptr(),
            len: part.len(),
        };
    }
    Some(spans)
}

/// The module's two KDF calls: (alg, key or Z, fixed pieces, output).
type KdfFn = unsafe extern "C" fn(
    u32,
    *const u8,
    usize,
    *const bindings::svsm_crypto_bytes,
    usize,
    *mut u8,
    usize,
) -> bindings::svsm_crypto_status;

/// `[L]_32`, the output length in bits as TPM 2.0 KDFa encodes it; `None`
/// when it does not fit 32 bits.
fn bits_be32(out: &[u8]) -> Option<[u8; 4]> {
    let bits = out.len().checked_mul(8)?;
    Some(u32::try_from(bits).ok()?.to_be_bytes())
}

impl Module {
    fn kdf(
        &self,
        op: KdfFn,
        alg: HashAlg,
        secret: &[u8],
        fixed: &[&[u8]],
        out: &mut [u8],
    ) -> Result<Indicator, Error> {
        let Some(spans) = spans(fixed) else {
            out.fill(0);
            return Err(Error::Arg);
        };
        // SAFETY: `secret` and every piece `spans` points to are valid for
        // reads of their lengths for the call (they borrow `secret` and
        // `fixed`); `spans` holds `fixed.len()` initialized entries; `out`
        // is exclusively borrowed and valid for writes of its length.
        self.service(|| unsafe {
            op(
                alg.raw(),
                secret.as_ptr(),
                secret.len(),
                spans.as_ptr(),
                fixed.len(),
                out.as_mut_ptr(),
                out.len(),
            )
        })
    }

    /// SP 800-108r1 counter mode with HMAC-`alg`, the 32-bit counter before
    /// the fixed data: fills `out` with the first bytes of
    /// HMAC(key, \[i\]_32 || FixedData) for i = 1, 2, ..., where FixedData is
    /// the concatenation of `fixed_data` (at most [`KDF_MAX_PARTS`] pieces).
    /// [`Error::Arg`] for an empty `out`.
    pub fn kdf_counter_hmac(
        &self,
        alg: HashAlg,
        key: &[u8],
        fixed_data: &[&[u8]],
        out: &mut [u8],
    ) -> Result<Indicator, Error> {
        self.kdf(
            bindings::svsm_crypto_kdf_counter_hmac,
            alg,
            key,
            fixed_data,
            out,
        )
    }

    /// SP 800-56C rev. 2 one-step KDF with hash `alg`: fills `out` with the
    /// first bytes of H(\[i\]_32 || Z || FixedInfo) for i = 1, 2, ..., where
    /// FixedInfo is the concatenation of `fixed_info` (at most
    /// [`KDF_MAX_PARTS`] pieces). [`Error::Arg`] for an empty `z` or `out`.
    pub fn kdf_one_step(
        &self,
        alg: HashAlg,
        z: &[u8],
        fixed_info: &[&[u8]],
        out: &mut [u8],
    ) -> Result<Indicator, Error> {
        self.kdf(bindings::svsm_crypto_kdf_one_step, alg, z, fixed_info, out)
    }

    /// TPM 2.0 KDFa (Part 1, 11.4.10.2) of `out.len()` bytes:
    /// HMAC(key, \[i\]_32 || Label || 0x00 || ContextU || ContextV ||
    /// \[L\]_32), L = 8 * `out.len()`. `label` comes without its terminating
    /// zero (this adds it). A TPM caller asking for a bit count that is not
    /// a multiple of 8 masks the first byte itself.
    pub fn kdfa(
        &self,
        alg: HashAlg,
        key: &[u8],
        label: &[u8],
        context_u: &[u8],
        context_v: &[u8],
        out: &mut [u8],
    ) -> Result<Indicator, Error> {
        let Some(bits) = bits_be32(out) else {
            out.fill(0);
            return Err(Error::Arg);
        };
        self.kdf_counter_hmac(alg, key, &[label, &[0], context_u, context_v, &bits], out)
    }

    /// TPM 2.0 KDFe (Part 1, 11.4.10.3) of `out.len()` bytes:
    /// H(\[i\]_32 || Z || Label || 0x00 || PartyUInfo || PartyVInfo).
    /// `label` comes without its terminating zero (this adds it).
    pub fn kdfe(
        &self,
        alg: HashAlg,
        z: &[u8],
        label: &[u8],
        party_u_info: &[u8],
        party_v_info: &[u8],
        out: &mut [u8],
    ) -> Result<Indicator, Error> {
        self.kdf_one_step(alg, z, &[label, &[0], party_u_info, party_v_info], out)
    }
}
