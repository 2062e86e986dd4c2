//! Boot-time physical frame allocator.
//!
//! The usable set is computed once from the PVH memory map: RAM regions,
//! clipped to [`LOW_MEMORY_END`, `USABLE_LIMIT`), shrunk to whole pages, with
//! the kernel image cut out. Allocation bumps through those regions in address
//! order and never frees: the kernel allocates page tables and its heap once at
//! boot and keeps them forever, so a free list would be dead code. The same
//! region list is what [`crate::mm::paging`] maps as the RW+NX direct map, so
//! every frame this allocator returns is accessible after the switch to the
//! kernel's page tables.

use core::ops::Range;

use x86_64::PhysAddr;
use x86_64::structures::paging::{PhysFrame, Size4KiB};

use super::{LOW_MEMORY_END, PAGE_SIZE, USABLE_LIMIT};

/// Upper bound on the number of usable regions tracked (each RAM entry of the
/// memory map yields at most two after cutting out the kernel image).
pub const MAX_REGIONS: usize = 64;

const PAGE: u64 = PAGE_SIZE as u64;

#[derive(Debug)]
pub enum FrameError {
    /// The memory map has more usable regions than [`MAX_REGIONS`].
    TooManyRegions,
    /// No usable RAM at all.
    NoUsableMemory,
    /// A request could not be satisfied.
    OutOfMemory { pages: usize },
}

pub struct FrameAllocator {
    regions: [Range<u64>; MAX_REGIONS],
    count: usize,
    /// Index of the region being carved up, and the next free address in it.
    current: usize,
    next: u64,
    allocated_pages: usize,
}

impl FrameAllocator {
    /// Usable regions from the RAM ranges `ram` (physical, in any order),
    /// excluding `reserved` (the kernel image).
    pub fn new(
        ram: impl IntoIterator<Item = Range<u64>>,
        reserved: Range<PhysAddr>,
    ) -> Result<Self, FrameError> {
        let mut this = Self {
            regions: [const { 0..0 }; MAX_REGIONS],
            count: 0,
            current: 0,
            next: 0,
            allocated_pages: 0,
        };
        let reserved = reserved.start.as_u64()..reserved.end.as_u64();
        for region in ram {
            let start = region.start.max(LOW_MEMORY_END).next_multiple_of(PAGE);
            let end = region.end.min(USABLE_LIMIT) / PAGE * PAGE;
            // Cut out the reserved range: what is left is below and/or above it.
            this.push(start..end.min(reserved.start))?;
            this.push(start.max(reserved.end)..end)?;
        }
        if this.count == 0 {
            return Err(FrameError::NoUsableMemory);
        }
        this.regions[..this.count].sort_unstable_by_key(|r| r.start);
        this.next = this.regions[0].start;
        Ok(this)
    }

    fn push(&mut self, range: Range<u64>) -> Result<(), FrameError> {
        if range.start >= range.end {
            return Ok(());
        }
        let slot = self
            .regions
            .get_mut(self.count)
            .ok_or(FrameError::TooManyRegions)?;
        *slot = range;
        self.count += 1;
        Ok(())
    }

    /// The usable regions, in address order (the direct map covers exactly these).
    pub fn regions(&self) -> &[Range<u64>] {
        &self.regions[..self.count]
    }

    /// Allocates `pages` physically contiguous frames. Space left over at the
    /// end of a region too small for the request is skipped, not reused.
    pub fn allocate_contiguous(&mut self, pages: usize) -> Result<PhysAddr, FrameError> {
        let bytes = pages as u64 * PAGE;
        while self.current < self.count {
            let region = &self.regions[self.current];
            let start = self.next.max(region.start);
            if region.end.saturating_sub(start) >= bytes {
                self.next = start + bytes;
                self.allocated_pages += pages;
                return Ok(PhysAddr::new(start));
            }
            self.current += 1;
        }
        Err(FrameError::OutOfMemory { pages })
    }

    /// Total usable bytes.
    pub fn total_bytes(&self) -> u64 {
        self.regions().iter().map(|r| r.end - r.start).sum()
    }

    /// Bytes handed out so far.
    pub fn allocated_bytes(&self) -> u64 {
        self.allocated_pages as u64 * PAGE
    }
}

// SAFETY: every frame returned lies in usable RAM (type RAM in the memory map,
// outside the kernel image and low memory) and is returned at most once,
// because the bump pointer only moves forward.
unsafe impl x86_64::structures::paging::FrameAllocator<Size4KiB> for FrameAllocator {
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        let addr = self.allocate_contiguous(1).ok()?;
        Some(PhysFrame::containing_address(addr))
    }
}

impl core::fmt::Display for FrameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::TooManyRegions => write!(f, "more than {MAX_REGIONS} usable memory regions"),
            Self::NoUsableMemory => write!(f, "no usable RAM between 1 MiB and 4 GiB"),
            Self::OutOfMemory { pages } => write!(f, "out of memory allocating {pages} pages"),
        }
    }
}
