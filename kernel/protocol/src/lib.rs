//! SVSM protocol logic, independent of the machine and testable on the host.
//!
//! * [`addr`]: guest-physical addresses.
//! * [`memory`]: the [`memory::GuestMemory`] trait and the checked, by-copy
//!   accessors that are the only way to guest memory.
//! * [`platform`]: what the protocols need from the machine, and the
//!   [`platform::native::Native`] implementation.
//! * [`crypto`]: what attestation needs from the crypto module.
//! * [`dispatch`]: registers in, registers out; the protocol table.
//! * [`core_protocol`], [`attest`], [`vtpm`]: the protocols, one file each.
//! * [`error`]: the one error enum and its mapping to result codes.
//!
//! Nothing here panics on a value the guest controls: every guest field is
//! checked, and arithmetic on guest values is checked.
#![no_std]
// Guest input is parsed in safe Rust only (docs/security.md, Fuzzing); deny,
// not forbid, so zerocopy's derives can vouch for their own impls.
#![deny(unsafe_code)]

extern crate alloc;

pub mod addr;
pub mod attest;
pub mod core_protocol;
pub mod crypto;
pub mod dispatch;
pub mod error;
pub mod memory;
pub mod platform;
pub mod vtpm;

pub use addr::GuestPhysAddr;
pub use dispatch::{Registers, Served, Service, Svsm};
pub use error::{SvsmError, code};
