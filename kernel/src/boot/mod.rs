//! Everything between "QEMU jumps to us" and "Rust owns the machine".
//!
//! * [`pvh`]: the ELF note that makes the image PVH-bootable and the 32-bit
//!   trampoline that turns protected mode into long mode.
//! * [`start_info`]: reading the `hvm_start_info` block the loader hands
//!   over (memory map, command line); its parsing, and the command-line
//!   options, are the host-tested crate `svsm-boot-params`.

pub mod pvh;
pub mod start_info;
