//! The operations of a cryptographic module that ACVP testing needs.
//!
//! The harness is written against this trait only. `shim.rs` implements it
//! with the SVSM module (through the `svsm-crypto` crate); `standin.rs`
//! implements it with the test oracle (RustCrypto) so that the harness itself can be
//! tested without the module object.

use std::fmt;

/// Hash functions and curves of the module: the oracle's, so the harness,
/// its checks and the oracle name them the same way.
pub use svsm_oracle::{Curve, HashAlg};

/// Why a module operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleError {
    /// A tag or a signature did not verify.
    Auth,
    /// An invalid key or public point.
    Key,
    /// Any other failure, with the module's own description.
    Other(String),
}

impl fmt::Display for ModuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleError::Auth => write!(f, "authentication failed"),
            ModuleError::Key => write!(f, "invalid key"),
            ModuleError::Other(s) => write!(f, "{s}"),
        }
    }
}

pub type ModResult<T> = Result<T, ModuleError>;

/// A CTR_DRBG instance seeded with caller-supplied (test) entropy.
pub trait TestDrbg {
    /// Generates `len` bytes with optional additional input.
    fn generate(&mut self, len: usize, additional: &[u8]) -> ModResult<Vec<u8>>;
    /// Reseeds with caller-supplied entropy and additional input.
    fn reseed(&mut self, entropy: &[u8], additional: &[u8]) -> ModResult<()>;
}

/// What the harness asks of a module. Public keys are X || Y without a
/// prefix; scalars, coordinates and signature halves are big-endian of the
/// curve's length.
pub trait CryptoModule {
    /// A short description (name and version) for reports.
    fn description(&self) -> String;

    /// SHA-256 of the module object, when the module knows it.
    fn object_sha256(&self) -> Option<String> {
        None
    }

    fn hash(&self, alg: HashAlg, msg: &[u8]) -> ModResult<Vec<u8>>;

    /// HMAC truncated to `tag_len` bytes (the left bytes).
    fn hmac(&self, alg: HashAlg, key: &[u8], msg: &[u8], tag_len: usize) -> ModResult<Vec<u8>>;

    /// HKDF (extract then expand) of `okm_len` bytes.
    fn hkdf(
        &self,
        alg: HashAlg,
        ikm: &[u8],
        salt: &[u8],
        info: &[u8],
        okm_len: usize,
    ) -> ModResult<Vec<u8>>;

    /// AES-GCM seal with the caller's IV: (ciphertext, tag).
    fn gcm_seal(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        pt: &[u8],
        tag_len: usize,
    ) -> ModResult<(Vec<u8>, Vec<u8>)>;

    /// AES-GCM seal with a 96-bit IV the module generates: (iv, ciphertext, tag).
    fn gcm_seal_generated_iv(
        &self,
        key: &[u8],
        aad: &[u8],
        pt: &[u8],
        tag_len: usize,
    ) -> ModResult<(Vec<u8>, Vec<u8>, Vec<u8>)>;

    /// AES-GCM open; `Err(ModuleError::Auth)` when the tag does not verify.
    fn gcm_open(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        ct: &[u8],
        tag: &[u8],
    ) -> ModResult<Vec<u8>>;

    /// Instantiates a CTR_DRBG (AES-256, derivation function) with caller entropy.
    fn drbg_instantiate_test<'a>(
        &'a self,
        entropy: &[u8],
        nonce: &[u8],
        personalization: &[u8],
    ) -> ModResult<Box<dyn TestDrbg + 'a>>;

    /// Generates a key pair: (private scalar, public X || Y).
    fn ecc_keygen(&self, curve: Curve) -> ModResult<(Vec<u8>, Vec<u8>)>;

    /// Full public-key validation: `Ok(())` when valid, `Err(Key)` when not.
    fn ecc_public_key_validate(&self, curve: Curve, public: &[u8]) -> ModResult<()>;

    /// Derives the public key (X || Y) of a private scalar.
    fn ecc_public_key_derive(&self, curve: Curve, private: &[u8]) -> ModResult<Vec<u8>>;

    /// ECDSA signature (r || s) over a digest.
    fn ecdsa_sign_digest(&self, curve: Curve, private: &[u8], digest: &[u8]) -> ModResult<Vec<u8>>;

    /// ECDSA verification: `Ok(())` when valid, `Err(Auth)` (or `Err(Key)`) when not.
    fn ecdsa_verify_digest(
        &self,
        curve: Curve,
        public: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> ModResult<()>;

    /// ECC CDH primitive: the X coordinate of d * Q, after full validation of Q.
    fn ecdh(&self, curve: Curve, private: &[u8], peer_public: &[u8]) -> ModResult<Vec<u8>>;
}
