//! The SEV-SNP platform: the SVSM at VMPL0 of an SNP guest.
//!
//! * [`hw`]: the narrow trait around the privileged operations
//!   ([`hw::SnpHardware`]) and the pages shared with the hypervisor.
//! * [`msr_protocol`]: the GHCB MSR protocol (SEV information, features,
//!   CPUID, GHCB registration, page state, termination).
//! * [`cbit`]: the C-bit position and the page-table entry addresses.
//! * [`ghcb`]: the GHCB page layout and the call mechanics.
//! * [`platform`]: [`platform::SnpPlatform`], the protocol crate's
//!   `Platform` on SNP.
//! * [`pvalidate`]: PVALIDATE for the guest (RMPADJUST around the
//!   instruction, 2 MiB with its 4 KiB fallback) and the memory the guest
//!   may never name.
//! * [`own_memory`]: validating the SVSM's own memory (the required-memory
//!   range) before its first use, 2 MiB with its 4 KiB fallback.
//! * [`page_state`]: the SVSM's pages between private and shared, with
//!   validation, 2 MiB pages and the rollback of a failed change.
//! * [`vcpu`]: CREATE_VCPU / DELETE_VCPU (VMSA checks, the VMSA bit, AP
//!   creation).
//! * [`window`]: the temporary mapping through which the SVSM reaches one
//!   guest page at a time, encrypted.
//!
//! Nothing here executes a privileged instruction: the kernel supplies them,
//! the host tests (`tools/snp-sim`) simulate them.
#![no_std]

extern crate alloc;

pub mod boot;
pub mod calls;
pub mod cbit;
pub mod certs;
pub mod cpuid;
pub mod ghcb;
pub mod greq;
pub mod guest_msg;
pub mod hw;
pub mod msr_protocol;
pub mod own_memory;
pub mod page_state;
pub mod platform;
pub mod pvalidate;
pub mod secrets;
pub mod vc;
pub mod vcpu;
pub mod window;

pub use hw::SnpHardware;
pub use platform::SnpPlatform;
