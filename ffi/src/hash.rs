//! SHA-2 hashing: one-shot and streaming.

use crate::bindings;
use crate::errors::{Error, Indicated, Indicator};
use crate::module::Module;

/// The module's hash functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    /// Digest size in bytes.
    pub const fn digest_len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    pub(crate) const fn raw(self) -> u32 {
        match self {
            HashAlg::Sha256 => bindings::SVSM_CRYPTO_SHA256,
            HashAlg::Sha384 => bindings::SVSM_CRYPTO_SHA384,
            HashAlg::Sha512 => bindings::SVSM_CRYPTO_SHA512,
        }
    }
}

/// Length of an exported hash state ([`HashState`]).
pub const HASH_STATE_LEN: usize = bindings::SVSM_CRYPTO_HASH_STATE_LEN as usize;

/// The state of a streaming hash outside the module ([`Hasher::export`]),
/// to continue it later ([`Module::hasher_import`]). It reveals no more
/// than the data absorbed so far, and is as secret as that data: it is
/// wiped on drop. The module checks it on import.
pub struct HashState {
    bytes: [u8; HASH_STATE_LEN],
}

impl HashState {
    /// The state bytes, for a caller that stores them.
    pub fn as_bytes(&self) -> &[u8; HASH_STATE_LEN] {
        &self.bytes
    }

    /// State bytes a caller stored; the module checks them on import.
    pub fn from_bytes(bytes: &[u8; HASH_STATE_LEN]) -> Self {
        HashState { bytes: *bytes }
    }
}

impl Drop for HashState {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.bytes);
    }
}

impl core::fmt::Debug for HashState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("<hash state>")
    }
}

/// Largest digest the module produces.
pub const MAX_DIGEST_LEN: usize = bindings::SVSM_CRYPTO_MAX_DIGEST_LEN as usize;

/// A message digest.
///
/// # Invariants
///
/// `len == alg.digest_len()`; bytes past `len` are zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digest {
    alg: HashAlg,
    bytes: [u8; MAX_DIGEST_LEN],
    len: usize,
}

impl Digest {
    /// The algorithm that produced the digest.
    pub fn alg(&self) -> HashAlg {
        self.alg
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn empty(alg: HashAlg) -> Self {
        // INVARIANT: the length is the algorithm's; unused bytes are zero.
        Digest {
            alg,
            bytes: [0; MAX_DIGEST_LEN],
            len: alg.digest_len(),
        }
    }
}

impl AsRef<[u8]> for Digest {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Module {
    /// Hashes `msg` in one call.
    pub fn hash(&self, alg: HashAlg, msg: &[u8]) -> Result<Indicated<Digest>, Error> {
        let mut digest = Digest::empty(alg);
        let out = &mut digest.bytes[..digest.len];
        // SAFETY: `msg` and `out` are valid for their lengths for the whole
        // call and do not overlap (`out` is a local).
        let indicator = self.service(|| unsafe {
            bindings::svsm_crypto_hash(
                alg.raw(),
                msg.as_ptr(),
                msg.len(),
                out.as_mut_ptr(),
                out.len(),
            )
        })?;
        Ok(Indicated::new(digest, indicator))
    }

    /// Continues a streaming hash from an exported state of algorithm
    /// `alg` ([`Error::Arg`] when the module refuses the state, one of
    /// another algorithm included).
    pub fn hasher_import(&self, alg: HashAlg, state: &HashState) -> Result<Hasher<'_>, Error> {
        let mut ctx = bindings::svsm_crypto_hash_ctx {
            opaque: [0; bindings::SVSM_CRYPTO_HASH_CTX_SIZE as usize],
        };
        let raw = &mut ctx;
        let bytes = &state.bytes;
        // SAFETY: `raw` is writable, exclusively borrowed storage of the
        // context's size and alignment; `bytes` is valid for reads of its
        // fixed length.
        let indicator = self.service(|| unsafe {
            bindings::svsm_crypto_hash_import(raw, alg.raw(), bytes.as_ptr(), bytes.len())
        })?;
        // INVARIANT: the module initialized `ctx` from a state of `alg`.
        Ok(Hasher {
            module: self,
            alg,
            ctx,
            indicator,
        })
    }

    /// Starts a streaming hash.
    pub fn hasher(&self, alg: HashAlg) -> Result<Hasher<'_>, Error> {
        let mut ctx = bindings::svsm_crypto_hash_ctx {
            opaque: [0; bindings::SVSM_CRYPTO_HASH_CTX_SIZE as usize],
        };
        let raw = &mut ctx;
        // SAFETY: `raw` is writable, exclusively borrowed storage of the
        // context's size and alignment; the module initializes it.
        let indicator =
            self.service(|| unsafe { bindings::svsm_crypto_hash_init(raw, alg.raw()) })?;
        // INVARIANT: `ctx` was initialized for `alg` by the module.
        Ok(Hasher {
            module: self,
            alg,
            ctx,
            indicator,
        })
    }
}

/// A streaming hash computation. Dropping it cleanses the context.
///
/// # Invariants
///
/// `ctx` was initialized by `svsm_crypto_hash_init` for `alg`; `indicator`
/// is approved only if every call on `ctx` so far was.
pub struct Hasher<'m> {
    module: &'m Module,
    alg: HashAlg,
    ctx: bindings::svsm_crypto_hash_ctx,
    indicator: Indicator,
}

impl Hasher<'_> {
    /// Absorbs more data.
    pub fn update(&mut self, data: &[u8]) -> Result<(), Error> {
        let ctx = &mut self.ctx;
        // SAFETY: `ctx` is an initialized context exclusively borrowed for
        // the call; `data` is valid for its length.
        let indicator = self.module.service(|| unsafe {
            bindings::svsm_crypto_hash_update(ctx, data.as_ptr(), data.len())
        })?;
        // INVARIANT: the running indicator folds in this call.
        self.indicator = self.indicator.and(indicator);
        Ok(())
    }

    /// The state so far, to continue later with [`Module::hasher_import`];
    /// this hasher carries on unchanged.
    pub fn export(&self) -> Result<Indicated<HashState>, Error> {
        let mut state = HashState {
            bytes: [0; HASH_STATE_LEN],
        };
        let out = &mut state.bytes;
        let ctx = &self.ctx;
        // SAFETY: `ctx` is an initialized context the module only reads;
        // `out` is a local buffer of the state's length.
        let indicator = self.module.service(|| unsafe {
            bindings::svsm_crypto_hash_export(ctx, out.as_mut_ptr(), out.len())
        })?;
        Ok(Indicated::new(state, indicator))
    }

    /// Finishes the computation and returns the digest.
    pub fn finalize(mut self) -> Result<Indicated<Digest>, Error> {
        let mut digest = Digest::empty(self.alg);
        let out = &mut digest.bytes[..digest.len];
        let ctx = &mut self.ctx;
        // SAFETY: `ctx` is an initialized context exclusively borrowed for
        // the call; `out` is a local buffer of the digest size.
        let indicator = self.module.service(|| unsafe {
            bindings::svsm_crypto_hash_final(ctx, out.as_mut_ptr(), out.len())
        })?;
        Ok(Indicated::new(digest, self.indicator.and(indicator)))
    }
}

impl Drop for Hasher<'_> {
    fn drop(&mut self) {
        let ctx = &mut self.ctx;
        // SAFETY: `ctx` is a context owned by this value; cleansing an
        // initialized or already finished context is allowed.
        self.module
            .call(|| unsafe { bindings::svsm_crypto_hash_cleanse(ctx) });
    }
}
