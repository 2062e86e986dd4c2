//! Facts about the crypto object this build linked in.
//!
//! The build script (../build.rs) builds `svsm-crypto.o`, wraps it unchanged in
//! `libsvsm_crypto.a` and tells rustc to link it. This crate carries no code of
//! its own: it exists so that every crate linking the module links it through
//! one dependency, and can tell which object that was.
#![no_std]

/// SHA-256 (lower-case hex) of the exact `svsm-crypto.o` bytes that are linked.
pub const OBJECT_SHA256: &str = env!("SVSM_CRYPTO_OBJECT_SHA256");

/// HMAC-SHA-256 (hex) over every constant byte of the module, as computed at
/// build time and stored in the object for the integrity self-test.
pub const INTEGRITY_HMAC: &str = env!("SVSM_CRYPTO_INTEGRITY_HMAC");

/// Absolute path of the manifest describing that object.
pub const MANIFEST_PATH: &str = env!("SVSM_CRYPTO_MANIFEST");

/// The BREAK id this object was built with (`make crypto BREAK=<id>`; the
/// manifest's `broken.self_test` names the test it fails), or `None` for the
/// real module.
pub const BROKEN_SELF_TEST: Option<&str> = option_env!("SVSM_CRYPTO_BROKEN_SELF_TEST");
