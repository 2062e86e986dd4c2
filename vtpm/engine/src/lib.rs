//! A TPM 2.0 engine whose every cryptographic operation goes through the
//! SVSM crypto module.
//!
//! [`Tpm`] takes a marshalled TPM command and returns a marshalled response
//! ([`Tpm::execute`]); it never panics on any input and always answers a
//! well-formed response (tag, size, response code). Its cryptography is a
//! [`TpmCrypto`] implementation chosen by the caller: [`ModuleCrypto`]
//! (feature `module`) calls the module directly; a ring-3 service uses
//! [`gate::GateCrypto`], which crosses the kernel's crypto gate, whose
//! kernel end is [`gate::serve`]. Profile, commands and limits:
//! docs/vtpm.md.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod capability;
mod commands;
mod consts;
mod context;
mod crypto;
mod engine;
pub mod gate;
mod hash;
mod hierarchy;
mod marshal;
#[cfg(feature = "module")]
mod module_crypto;
mod nv;
mod object;
mod pcr;
mod rc;
mod session;
mod startup;

pub use commands::cc;
pub use crypto::{AeadCrypto, CryptoError, HashStateCrypto, TpmCrypto, TpmCurve, TpmHash};
pub use engine::{LIMITS, Limits, SEED_LEN, Seeds, Tpm};
#[cfg(feature = "module")]
pub use module_crypto::ModuleCrypto;
pub use rc::Rc;

/// Largest command (and response) the engine accepts, in bytes
/// (TPM_PT_MAX_COMMAND_SIZE); larger commands get TPM_RC_COMMAND_SIZE.
pub const MAX_COMMAND_SIZE: usize = 4096;
