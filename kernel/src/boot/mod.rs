//! Everything between "QEMU jumps to us" and "Rust owns the machine".
//!
//! * [`pvh`]: the ELF note that makes the image PVH-bootable and the 32-bit
//!   trampoline that turns protected mode into long mode.
//! * [`start_info`]: reading what the loader hands over (memory map, command
//!   line): the `hvm_start_info` block under PVH, or, under IGVM, the
//!   launch-info page and parameter areas of `svsm_boot_params::igvm`; its
//!   parsing, and the command-line options, are the host-tested crate
//!   `svsm-boot-params`.
//!
//! One binary serves both launches: an IGVM loader starts the boot vCPU at
//! the same 32-bit entry ([`pvh`]), in the same state, with `%ebx` at the
//! launch-info page instead of `hvm_start_info` (the image is built from
//! this ELF by `tools/igvm`, see docs/launch.md).

pub mod pvh;
pub mod start_info;
