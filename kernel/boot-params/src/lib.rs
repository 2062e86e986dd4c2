//! What the kernel is handed at boot, parsed: the PVH start info
//! ([`start_info`]: memory map, command line, ACPI RSDP) and the options on
//! that command line ([`cmdline`]); on SEV-SNP, which of the memory map is
//! the SVSM's own ([`own_memory`]).
//!
//! Both are pure functions of bytes the loader controls, so they live here,
//! apart from the kernel binary, and are tested on the host with hostile and
//! truncated input. The kernel supplies the one machine-dependent piece: how
//! loader memory is read ([`start_info::LoaderMemory`]).
#![cfg_attr(not(test), no_std)]
// Loader input is parsed in safe Rust only (docs/security.md, Fuzzing).
#![forbid(unsafe_code)]

pub mod cmdline;
pub mod igvm;
pub mod own_memory;
pub mod start_info;
