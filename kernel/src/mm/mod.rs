//! Memory management: what the image looks like, where free RAM is, and how
//! both are mapped.
//!
//! The kernel runs identity mapped (virtual address == physical address), so
//! the `x86_64` crate's [`x86_64::PhysAddr`] and [`x86_64::VirtAddr`] newtypes
//! are used as-is and converting between them is an explicit, visible step.
//!
//! * [`layout`]: the image's sections, from linker-script symbols.
//! * [`frame`]: the boot-time frame allocator over the RAM ranges the kernel
//!   was handed (the host-tested crate `svsm-frames`): all RAM of the memory
//!   map on Native, the SVSM's required-memory range on SEV-SNP.
//! * [`paging`]: the kernel's own page tables (W^X per section, guard pages).
//! * [`heap`]: a small spin-locked global allocator.
//! * [`stack`]: kernel stacks and the high-water mark.

pub use svsm_frames as frame;

pub mod heap;
pub mod layout;
pub mod paging;
pub mod stack;

/// Size of a base page (the ABI's, as a `usize`).
pub const PAGE_SIZE: usize = svsm_abi::PAGE_SIZE as usize;

/// Only memory below this address is used: the trampoline identity-maps the
/// first 4 GiB, which is where the page-table code can reach new tables.
pub const USABLE_LIMIT: u64 = 4 << 30;

/// Memory below this address (BIOS data, the PVH start-info block, legacy
/// holes) is never handed out or mapped.
pub const LOW_MEMORY_END: u64 = 1 << 20;

/// The physical window the frame allocator hands out frames from.
pub const USABLE: core::ops::Range<u64> = LOW_MEMORY_END..USABLE_LIMIT;

/// A byte count displayed in the largest binary unit that keeps it whole-ish
/// (`639 KiB`, `255 MiB`).
pub struct ByteSize(pub u64);

impl core::fmt::Display for ByteSize {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        const UNITS: [(u64, &str); 4] = [
            (1 << 30, "GiB"),
            (1 << 20, "MiB"),
            (1 << 10, "KiB"),
            (1, "B"),
        ];
        let (scale, unit) = UNITS
            .into_iter()
            .find(|&(scale, _)| self.0 >= scale)
            .unwrap_or((1, "B"));
        write!(f, "{} {unit}", self.0 / scale)
    }
}
