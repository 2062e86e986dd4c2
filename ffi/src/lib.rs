//! Safe Rust API over the SVSM cryptographic module.
//!
//! The module is one C object whose only interface is `svsm_crypto.h`. This
//! crate has two layers, as in Rust-for-Linux: [`bindings`] is bindgen output
//! and nothing else (private), and the other modules wrap it in types that
//! make misuse hard to write. Callers never write `unsafe`.
//!
//! - One gate ([`Module`]'s private `call`) serializes every call into C
//!   with a spin lock and runs it inside
//!   [`Environment::run_with_vector_state`]: the module is not reentrant and
//!   may use SSE/AVX.
//! - Status codes become [`Error`] or the FIPS service indicator
//!   ([`Indicator`]) in one place (`errors::to_result`).
//! - Secrets the crate holds ([`PrivateKey`], [`SharedSecret`], [`Prk`]) are
//!   wiped on drop; module contexts ([`AesKey`], [`AesGcmKey`], [`Drbg`], [`Hasher`]) are
//!   cleansed by the module on drop.
//!
//! The kernel calls [`init`] once with its [`Environment`]; host code uses
//! `host::module()` (feature `host`).
#![no_std]

#[cfg(feature = "host")]
extern crate std;

mod bindings;

mod aes;
mod aes_gcm;
mod drbg;
mod ecc;
mod errors;
mod hash;
mod hkdf;
mod hmac;
mod kdf;
mod module;
mod secret;

#[cfg(feature = "host")]
pub mod host;

pub use aes::{AES_BLOCK_LEN, AesKey};
pub use aes_gcm::{AES_GCM_IV_FIXED_LEN, AES_GCM_IV_LEN, AES_GCM_TAG_LEN, AesGcmKey};
pub use drbg::{DRBG_MAX_INPUT, DRBG_MAX_REQUEST, Drbg};
pub use ecc::{Curve, KeyPair, LoadedPublicKey, PrivateKey, PublicKey, SharedSecret, Signature};
pub use errors::{Error, Indicated, Indicator};
pub use hash::{Digest, HashAlg, Hasher, MAX_DIGEST_LEN};
pub use hkdf::Prk;
pub use hmac::HMAC_MIN_TAG_LEN;
pub use kdf::KDF_MAX_PARTS;
pub use module::{
    AlreadyInitialized, EntropyUnavailable, Environment, Module, ModuleState, Outcome, SelfTestId,
    SelfTestResult, init, initialized,
};

/// SHA-256 of the exact `svsm-crypto.o` linked into this program.
pub use svsm_crypto_object::OBJECT_SHA256;
