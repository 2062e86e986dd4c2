//! The SEV-SNP platform: the SVSM at VMPL0 of an SNP guest.
//!
//! * [`hw`]: the narrow trait around the privileged operations
//!   ([`hw::SnpHardware`]) and the pages shared with the hypervisor.
//! * [`msr_protocol`]: the GHCB MSR protocol (SEV information, features,
//!   GHCB registration, page state, termination).
//! * [`ghcb`]: the GHCB page layout and the call mechanics.
//! * [`platform`]: [`platform::SnpPlatform`], the protocol crate's
//!   `Platform` on SNP.
//! * [`pvalidate`]: PVALIDATE for the guest (RMPADJUST around the
//!   instruction, 2 MiB with its 4 KiB fallback) and the SVSM's own memory.
//!
//! Nothing here executes a privileged instruction: the kernel supplies them,
//! the host tests (`tools/snp-sim`) simulate them.
#![no_std]

pub mod ghcb;
pub mod hw;
pub mod msr_protocol;
pub mod platform;
pub mod pvalidate;

pub use hw::SnpHardware;
pub use platform::SnpPlatform;
