//! The test oracle of the SVSM crypto module: reference computations made
//! with RustCrypto crates and a CTR_DRBG model written from SP 800-90A.
//!
//! The ffi tests, the ACVP harness and the benchmark agreement check all ask
//! this crate for the answer the module must give, so the three never hold
//! their own copy of the reference code. Everything is bytes in, bytes out:
//! public keys are X || Y without a SEC1 prefix; scalars, coordinates and
//! signature halves are big-endian of the curve's length.

mod drbg;
mod ecc;
mod symmetric;

pub use drbg::CtrDrbg;
pub use ecc::{
    ecc_keygen, ecc_public, ecc_valid, ecdh, ecdsa_equal_points_signature, ecdsa_sign, ecdsa_verify,
};
pub use symmetric::{
    aes_cfb128, aes_ecb, gcm_open, gcm_seal, hash, hkdf, hkdf_extract, hmac, kdf_counter_hmac,
    kdf_one_step,
};

/// The SHA-2 functions the module offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    pub const ALL: [HashAlg; 3] = [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512];

    pub fn digest_len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    /// The ACVP name ("SHA2-256", ...).
    pub fn acvp_name(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "SHA2-256",
            HashAlg::Sha384 => "SHA2-384",
            HashAlg::Sha512 => "SHA2-512",
        }
    }

    /// Parses an ACVP hash name; `None` for hashes the module does not have.
    pub fn from_acvp(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.acvp_name() == name)
    }
}

/// The curves the module offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Curve {
    P256,
    P384,
}

impl Curve {
    pub const ALL: [Curve; 2] = [Curve::P256, Curve::P384];

    /// Length of a scalar or of one coordinate in bytes.
    pub fn scalar_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }

    pub fn acvp_name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
        }
    }

    pub fn from_acvp(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.acvp_name() == name)
    }
}
