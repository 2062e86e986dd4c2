//! The SVSM kernel's boot-time physical frame allocator.
//!
//! The usable set is computed once from the RAM ranges of the memory map the
//! kernel was handed: clipped to the window the kernel may use, shrunk to
//! whole pages, with the kernel image cut out. Allocation bumps through those
//! regions in address order and never frees: the kernel allocates page tables
//! and its heap once at boot and keeps them forever, so a free list would be
//! dead code. The same region list is what the kernel maps as its RW+NX
//! direct map, so every frame this allocator returns is accessible after the
//! switch to the kernel's page tables.
//!
//! Pure bookkeeping over numbers, no memory is touched: tested on the host.
#![cfg_attr(not(test), no_std)]

use core::ops::Range;

use x86_64::PhysAddr;
use x86_64::structures::paging::{PhysFrame, Size4KiB};

const PAGE: u64 = svsm_abi::PAGE_SIZE;

/// Upper bound on the number of usable regions tracked (each RAM entry of the
/// memory map yields at most two after cutting out the kernel image).
pub const MAX_REGIONS: usize = 64;

#[derive(Debug, PartialEq, Eq)]
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
    /// Usable regions: the RAM ranges `ram` (physical, in any order) within
    /// `window`, excluding `reserved` (the kernel image).
    pub fn new(
        ram: impl IntoIterator<Item = Range<u64>>,
        window: Range<u64>,
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
            // Clip to the window first: the ranges are the loader's numbers,
            // and rounding one near the top of the address space would wrap.
            let start = region.start.max(window.start);
            let end = region.end.min(window.end);
            let Some(start) = start.checked_next_multiple_of(PAGE) else {
                continue;
            };
            let end = end / PAGE * PAGE;
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
    /// end of a region too small for the request is skipped, not reused; a
    /// request that fails changes nothing.
    pub fn allocate_contiguous(&mut self, pages: usize) -> Result<PhysAddr, FrameError> {
        let bytes = (pages as u64).saturating_mul(PAGE);
        // `next` lies in the current region and below every later one.
        let fits = |region: &Range<u64>| {
            let start = self.next.max(region.start);
            (region.end.saturating_sub(start) >= bytes).then_some(start)
        };
        let (index, start) = (self.current..self.count)
            .find_map(|i| Some((i, fits(&self.regions[i])?)))
            .ok_or(FrameError::OutOfMemory { pages })?;
        self.current = index;
        self.next = start + bytes;
        self.allocated_pages += pages;
        Ok(PhysAddr::new(start))
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

// SAFETY: every frame returned lies in usable RAM (a RAM range of the memory
// map, inside the window, outside the kernel image) and is returned at most
// once, because the bump pointer only moves forward.
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
            Self::NoUsableMemory => write!(f, "no usable RAM in the kernel's window"),
            Self::OutOfMemory { pages } => write!(f, "out of memory allocating {pages} pages"),
        }
    }
}

#[cfg(test)]
// The expected region lists are arrays of ranges, some of one range.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;
    const WINDOW: Range<u64> = MIB..4096 * MIB;

    fn phys(r: Range<u64>) -> Range<PhysAddr> {
        PhysAddr::new(r.start)..PhysAddr::new(r.end)
    }

    /// QEMU's map for 256 MiB, with the kernel image at 1 MiB..3 MiB.
    fn qemu() -> FrameAllocator {
        let ram = [0..0x9_fc00, MIB..256 * MIB];
        FrameAllocator::new(ram, WINDOW, phys(MIB..3 * MIB)).unwrap()
    }

    #[test]
    fn regions_are_clipped_to_the_window_and_skip_the_image() {
        let frames = qemu();
        assert_eq!(frames.regions(), [3 * MIB..256 * MIB]);
        assert_eq!(frames.total_bytes(), 253 * MIB);
        assert_eq!(frames.allocated_bytes(), 0);
    }

    #[test]
    fn an_image_inside_a_region_splits_it_and_regions_are_sorted() {
        let ram = [512 * MIB..600 * MIB, MIB..64 * MIB];
        let frames = FrameAllocator::new(ram, WINDOW, phys(8 * MIB..10 * MIB)).unwrap();
        assert_eq!(
            frames.regions(),
            [MIB..8 * MIB, 10 * MIB..64 * MIB, 512 * MIB..600 * MIB]
        );
    }

    #[test]
    fn ragged_edges_are_shrunk_to_whole_pages() {
        let ram = [MIB + 1..2 * MIB - 1, 3 * MIB + 0x800..3 * MIB + 0xfff];
        let frames = FrameAllocator::new(ram, WINDOW, phys(0..0)).unwrap();
        assert_eq!(frames.regions(), [MIB + PAGE..2 * MIB - PAGE]);
    }

    #[test]
    fn ranges_near_the_top_of_the_address_space_do_not_wrap() {
        let ram = [u64::MAX - 10..u64::MAX - 5, 16 * MIB..17 * MIB];
        let frames = FrameAllocator::new(ram, WINDOW, phys(0..0)).unwrap();
        assert_eq!(frames.regions(), [16 * MIB..17 * MIB]);
        let top = [u64::MAX - PAGE..u64::MAX];
        let everything = 0..u64::MAX;
        assert_eq!(
            FrameAllocator::new(top, everything, phys(0..0)).err(),
            Some(FrameError::NoUsableMemory)
        );
    }

    #[test]
    fn no_usable_ram_is_an_error() {
        let below = [0..MIB];
        assert_eq!(
            FrameAllocator::new(below, WINDOW, phys(0..0)).err(),
            Some(FrameError::NoUsableMemory)
        );
        let only_image = [MIB..3 * MIB];
        assert_eq!(
            FrameAllocator::new(only_image, WINDOW, phys(MIB..3 * MIB)).err(),
            Some(FrameError::NoUsableMemory)
        );
        assert_eq!(
            FrameAllocator::new([], WINDOW, phys(0..0)).err(),
            Some(FrameError::NoUsableMemory)
        );
    }

    #[test]
    fn too_many_regions_is_an_error() {
        let ram = (0..MAX_REGIONS as u64 + 1).map(|i| (2 * i + 1) * MIB..(2 * i + 2) * MIB);
        assert_eq!(
            FrameAllocator::new(ram, WINDOW, phys(0..0)).err(),
            Some(FrameError::TooManyRegions)
        );
        let ram = (0..MAX_REGIONS as u64).map(|i| (2 * i + 1) * MIB..(2 * i + 2) * MIB);
        assert!(FrameAllocator::new(ram, WINDOW, phys(0..0)).is_ok());
    }

    #[test]
    fn allocation_bumps_in_address_order_and_never_overlaps() {
        let mut frames = qemu();
        let a = frames.allocate_contiguous(1).unwrap();
        let b = frames.allocate_contiguous(16).unwrap();
        let c = frames.allocate_contiguous(1).unwrap();
        assert_eq!(a.as_u64(), 3 * MIB);
        assert_eq!(b.as_u64(), 3 * MIB + PAGE);
        assert_eq!(c.as_u64(), 3 * MIB + 17 * PAGE);
        assert_eq!(frames.allocated_bytes(), 18 * PAGE);
    }

    #[test]
    fn a_request_too_big_for_the_rest_of_a_region_moves_to_the_next() {
        let ram = [MIB..MIB + 4 * PAGE, 8 * MIB..9 * MIB];
        let mut frames = FrameAllocator::new(ram, WINDOW, phys(0..0)).unwrap();
        assert_eq!(frames.allocate_contiguous(3).unwrap().as_u64(), MIB);
        assert_eq!(frames.allocate_contiguous(2).unwrap().as_u64(), 8 * MIB);
        // The page left in the first region is not reused.
        assert_eq!(
            frames.allocate_contiguous(1).unwrap().as_u64(),
            8 * MIB + 2 * PAGE
        );
    }

    #[test]
    fn running_out_is_an_error_not_a_wrap() {
        let ram = [MIB..MIB + 4 * PAGE];
        let mut frames = FrameAllocator::new(ram, WINDOW, phys(0..0)).unwrap();
        assert_eq!(
            frames.allocate_contiguous(5).err(),
            Some(FrameError::OutOfMemory { pages: 5 })
        );
        assert_eq!(frames.allocate_contiguous(4).unwrap().as_u64(), MIB);
        assert_eq!(
            frames.allocate_contiguous(1).err(),
            Some(FrameError::OutOfMemory { pages: 1 })
        );
        assert_eq!(frames.allocated_bytes(), 4 * PAGE);
    }

    #[test]
    fn the_paging_trait_hands_out_single_frames() {
        use x86_64::structures::paging::FrameAllocator as _;
        let mut frames = FrameAllocator::new([MIB..MIB + 2 * PAGE], WINDOW, phys(0..0)).unwrap();
        let first = frames.allocate_frame().unwrap();
        let second = frames.allocate_frame().unwrap();
        assert_eq!(first.start_address().as_u64(), MIB);
        assert_eq!(second.start_address().as_u64(), MIB + PAGE);
        assert!(frames.allocate_frame().is_none());
    }
}
