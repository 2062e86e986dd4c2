//! The kernel's own page tables.
//!
//! Built with the `x86_64` crate while the trampoline's identity map of the
//! first 4 GiB is still active (so a new table at physical address P is
//! reachable at virtual address P), then installed with one CR3 write.
//!
//! What gets mapped, and how (nothing else is present, in particular not the
//! null page and not the low 1 MiB):
//!
//! | range                                   | rights | page size |
//! |-----------------------------------------|--------|-----------|
//! | `.text`                                 | R X    | 4 KiB     |
//! | `.rodata` (incl. PVH note)              | R NX   | 4 KiB     |
//! | `.svsm_crypto` up to `svsm_crypto_data_start` | R X | 4 KiB |
//! | `.svsm_crypto` from `svsm_crypto_data_start`  | RW NX | 4 KiB |
//! | `.data`, `.bss`                         | RW NX  | 4 KiB     |
//! | each stack, minus its guard page        | RW NX  | 4 KiB     |
//! | usable RAM (the frame allocator's regions) | RW NX | 2 MiB where aligned, else 4 KiB |
//!
//! No page is both writable and executable. CR0.WP (set by the trampoline)
//! makes read-only pages read-only for the kernel too, and EFER.NXE makes NX
//! effective.

use core::fmt;
use core::ops::Range;

use x86_64::registers::control::{Cr3, Cr3Flags};
use x86_64::structures::paging::mapper::MapToError;
use x86_64::structures::paging::{
    Mapper, OffsetPageTable, Page, PageSize, PageTable, PageTableFlags as Flags, PhysFrame,
    Size2MiB, Size4KiB,
};
use x86_64::{PhysAddr, VirtAddr};

use super::frame::{FrameAllocator, FrameError};
use super::layout::KernelLayout;
use super::stack;

#[derive(Debug)]
pub enum PagingError {
    /// Ran out of frames for page tables.
    OutOfFrames,
    /// Two ranges overlap (a layout or memory-map inconsistency).
    AlreadyMapped(VirtAddr),
    /// The crate refused a mapping for another reason.
    Refused(VirtAddr),
}

impl fmt::Display for PagingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutOfFrames => write!(f, "out of frames for page tables"),
            Self::AlreadyMapped(va) => write!(f, "{:#x} mapped twice", va.as_u64()),
            Self::Refused(va) => write!(f, "mapping of {:#x} refused", va.as_u64()),
        }
    }
}

impl From<FrameError> for PagingError {
    fn from(_: FrameError) -> Self {
        Self::OutOfFrames
    }
}

/// What was mapped, for the boot log.
#[derive(Default, Debug)]
pub struct PagingStats {
    pub pages_4k: u64,
    pub pages_2m: u64,
    pub table_frames: u64,
}

const RX: Flags = Flags::PRESENT;
const R_NX: Flags = Flags::PRESENT.union(Flags::NO_EXECUTE);
const RW_NX: Flags = Flags::PRESENT
    .union(Flags::WRITABLE)
    .union(Flags::NO_EXECUTE);
/// Intermediate tables allow everything; leaves decide.
const TABLE_FLAGS: Flags = Flags::PRESENT.union(Flags::WRITABLE);

struct Builder<'a> {
    mapper: OffsetPageTable<'a>,
    frames: &'a mut FrameAllocator,
    stats: PagingStats,
}

impl Builder<'_> {
    fn map<S: PageSize>(&mut self, addr: u64, flags: Flags) -> Result<(), PagingError>
    where
        for<'a> OffsetPageTable<'a>: Mapper<S>,
    {
        let va = VirtAddr::new(addr);
        let page = Page::<S>::from_start_address(va).map_err(|_| PagingError::Refused(va))?;
        let frame = PhysFrame::<S>::from_start_address(PhysAddr::new(addr))
            .map_err(|_| PagingError::Refused(va))?;
        let before = self.frames.allocated_bytes();
        // SAFETY: identity mapping of memory that belongs to the kernel (its
        // image or usable RAM); the tables are not active yet, so no existing
        // mapping changes under running code.
        let flush = unsafe {
            self.mapper
                .map_to_with_table_flags(page, frame, flags, TABLE_FLAGS, self.frames)
        }
        .map_err(|e| match e {
            MapToError::FrameAllocationFailed => PagingError::OutOfFrames,
            MapToError::PageAlreadyMapped(_) | MapToError::ParentEntryHugePage => {
                PagingError::AlreadyMapped(va)
            }
        })?;
        // Not the active address space: no TLB entries to flush.
        flush.ignore();
        self.stats.table_frames += (self.frames.allocated_bytes() - before) / Size4KiB::SIZE;
        if S::SIZE == Size2MiB::SIZE {
            self.stats.pages_2m += 1;
        } else {
            self.stats.pages_4k += 1;
        }
        Ok(())
    }

    /// Identity-maps `range` with 4 KiB pages.
    fn map_4k(&mut self, range: Range<u64>, flags: Flags) -> Result<(), PagingError> {
        for addr in range.step_by(Size4KiB::SIZE as usize) {
            self.map::<Size4KiB>(addr, flags)?;
        }
        Ok(())
    }

    /// Identity-maps `range` with 2 MiB pages wherever a whole, aligned 2 MiB
    /// block fits, and 4 KiB pages for the ragged ends.
    fn map_mixed(&mut self, range: Range<u64>, flags: Flags) -> Result<(), PagingError> {
        let mut addr = range.start;
        while addr < range.end {
            let big = addr.is_multiple_of(Size2MiB::SIZE) && range.end - addr >= Size2MiB::SIZE;
            if big {
                self.map::<Size2MiB>(addr, flags)?;
                addr += Size2MiB::SIZE;
            } else {
                self.map::<Size4KiB>(addr, flags)?;
                addr += Size4KiB::SIZE;
            }
        }
        Ok(())
    }
}

fn raw(range: &Range<PhysAddr>) -> Range<u64> {
    range.start.as_u64()..range.end.as_u64()
}

/// Builds the kernel's page tables and switches to them.
pub fn init(
    layout: &KernelLayout,
    frames: &mut FrameAllocator,
) -> Result<PagingStats, PagingError> {
    let pml4_addr = frames.allocate_contiguous(1)?;
    let pml4_ptr = pml4_addr.as_u64() as *mut PageTable;
    // SAFETY: the frame was just allocated (exclusively ours), lies below 4 GiB
    // and is identity mapped by the trampoline's tables, and PageTable is valid
    // for any bit pattern once zeroed.
    let pml4 = unsafe {
        pml4_ptr.write(PageTable::new());
        &mut *pml4_ptr
    };
    // SAFETY: all page-table frames come from `frames`, which only returns RAM
    // below 4 GiB, identity mapped (offset 0) by the active boot tables.
    let mapper = unsafe { OffsetPageTable::new(pml4, VirtAddr::zero()) };
    let regions_end = frames.regions().len();
    let mut b = Builder {
        mapper,
        frames,
        stats: PagingStats {
            table_frames: 1,
            ..PagingStats::default()
        },
    };

    b.map_4k(raw(&layout.text), RX)?;
    b.map_4k(raw(&layout.rodata), R_NX)?;
    b.map_4k(raw(&layout.crypto_code), RX)?;
    b.map_4k(raw(&layout.crypto_data), RW_NX)?;
    b.map_4k(raw(&layout.data), RW_NX)?;
    for stack in stack::all() {
        b.map_4k(
            stack.usable.start.as_u64()..stack.usable.end.as_u64(),
            RW_NX,
        )?;
    }
    // The direct map. Frames allocated for page tables while building it come
    // from these same regions, so they end up mapped too.
    for i in 0..regions_end {
        let region = b.frames.regions()[i].clone();
        b.map_mixed(region, RW_NX)?;
    }

    let stats = b.stats;
    // SAFETY: the new tables map the running code (.text), the current stack
    // (boot stack), all statics and every frame allocated so far, with the same
    // virtual addresses as the boot tables, so execution continues unchanged.
    unsafe {
        Cr3::write(PhysFrame::containing_address(pml4_addr), Cr3Flags::empty());
    }
    Ok(stats)
}
