//! A ring-3 task's address space.
//!
//! Each task gets its own PML4. Its entries are the kernel's, except the
//! first, which points to a private copy of the kernel's first PDPT: the
//! kernel's 0-1 GiB entry is shared as is (supervisor only: its tables carry
//! no USER bit), and the 1-2 GiB slot, empty in the kernel, holds the task's
//! user pages. So the task's mappings exist only while its CR3 is loaded,
//! and ring 3 can reach nothing of the kernel.
//!
//! A ring-3 image (the guest harness, a service) is loaded into a new space
//! by [`UserSpace::load`]; a [`SharedBuf`] is memory both a task (mapped in
//! its space) and the kernel (through the direct map) see.

use x86_64::registers::control::Cr3;
use x86_64::structures::paging::mapper::{MapToError, TranslateResult};
use x86_64::structures::paging::{
    Mapper, OffsetPageTable, Page, PageTable, PageTableFlags as Flags, PhysFrame, Size4KiB,
    Translate,
};
use x86_64::{PhysAddr, VirtAddr};

use svsm_abi::PAGE_SIZE as PAGE;
use svsm_abi::harness::{BASE, Header, MAX_IMAGE, STACK_PAGES, STACK_TOP};
use svsm_abi::{USER_END, USER_START};

use crate::mm::frame::FrameAllocator;
use crate::mm::paging::PagingError;

/// The PDPT slot (1 GiB each) that holds the user window.
const USER_PDPT_INDEX: usize = (USER_START >> 30) as usize;
const _: () =
    assert!(USER_START == (USER_PDPT_INDEX as u64) << 30 && USER_END - USER_START == 1 << 30);

/// Rights of a user page.
#[derive(Clone, Copy, Debug)]
pub enum UserRights {
    ReadExecute,
    ReadWrite,
}

/// # Invariants
///
/// `pml4` is a frame from the frame allocator holding a valid PML4 built by
/// [`UserSpace::new`]; every table reachable from it lies in the direct map.
pub struct UserSpace {
    pml4: PhysAddr,
}

impl UserSpace {
    /// A new address space: the kernel's mappings plus an empty user slot.
    pub fn new(frames: &mut FrameAllocator) -> Result<Self, PagingError> {
        let (kernel_pml4, _) = Cr3::read();
        let pml4 = frames.allocate_contiguous(1)?;
        let pdpt = frames.allocate_contiguous(1)?;
        let kernel_pml4 = kernel_pml4.start_address().as_u64() as *const PageTable;
        // SAFETY: the kernel PML4 is live and in the direct map; the two new
        // frames were just allocated, are exclusively ours and are in the
        // direct map (identity), and a PageTable is valid for any bits.
        unsafe {
            let new = &mut *(pml4.as_u64() as *mut PageTable);
            *new = (*kernel_pml4).clone();
            let kernel_pdpt = new[0].addr().as_u64() as *const PageTable;
            let copy = &mut *(pdpt.as_u64() as *mut PageTable);
            *copy = (*kernel_pdpt).clone();
            if !copy[USER_PDPT_INDEX].is_unused() {
                return Err(PagingError::AlreadyMapped(VirtAddr::new(USER_START)));
            }
            let flags = new[0].flags() | Flags::USER_ACCESSIBLE;
            new[0].set_addr(pdpt, flags);
        }
        // INVARIANT: a valid PML4 sharing the kernel's tables, user slot empty.
        Ok(Self { pml4 })
    }

    /// The task's tables, for CR3.
    pub fn root(&self) -> PhysFrame {
        PhysFrame::containing_address(self.pml4)
    }

    fn mapper(&mut self) -> OffsetPageTable<'_> {
        // SAFETY: by the type invariant `pml4` is a valid PML4 in the direct
        // map (offset 0), borrowed mutably through `self` for the mapper's
        // lifetime.
        unsafe {
            OffsetPageTable::new(
                &mut *(self.pml4.as_u64() as *mut PageTable),
                VirtAddr::zero(),
            )
        }
    }

    /// Maps `pages` frames from `phys` at user address `va`.
    pub fn map(
        &mut self,
        frames: &mut FrameAllocator,
        va: u64,
        phys: PhysAddr,
        pages: u64,
        rights: UserRights,
    ) -> Result<(), PagingError> {
        let flags = match rights {
            UserRights::ReadExecute => Flags::PRESENT | Flags::USER_ACCESSIBLE,
            UserRights::ReadWrite => {
                Flags::PRESENT | Flags::WRITABLE | Flags::NO_EXECUTE | Flags::USER_ACCESSIBLE
            }
        };
        let tables = Flags::PRESENT | Flags::WRITABLE | Flags::USER_ACCESSIBLE;
        let mut mapper = self.mapper();
        for i in 0..pages {
            let addr = VirtAddr::new(va + i * PAGE);
            if !(USER_START..USER_END).contains(&addr.as_u64()) {
                return Err(PagingError::Refused(addr));
            }
            let page = Page::<Size4KiB>::containing_address(addr);
            let frame = PhysFrame::containing_address(phys + i * PAGE);
            // SAFETY: the frame belongs to this task (allocated for it), the
            // page is in the task's private user slot, and these tables are
            // not active while being built.
            unsafe { mapper.map_to_with_table_flags(page, frame, flags, tables, frames) }
                .map_err(|e| match e {
                    MapToError::FrameAllocationFailed => PagingError::OutOfFrames,
                    _ => PagingError::AlreadyMapped(addr),
                })?
                .ignore();
        }
        Ok(())
    }

    /// Copies user memory at `va` into `out`, through the direct map. Fails
    /// unless every byte is in a user-accessible page of this task.
    pub fn read_user(&mut self, va: u64, out: &mut [u8]) -> Option<()> {
        let mapper = self.mapper();
        let mut done = 0;
        while done < out.len() {
            let addr = va.checked_add(done as u64)?;
            if !(USER_START..USER_END).contains(&addr) {
                return None;
            }
            let TranslateResult::Mapped {
                frame,
                offset,
                flags,
            } = mapper.translate(VirtAddr::new(addr))
            else {
                return None;
            };
            if !flags.contains(Flags::USER_ACCESSIBLE) {
                return None;
            }
            let phys = frame.start_address().as_u64() + offset;
            let in_page = (PAGE - phys % PAGE) as usize;
            let n = in_page.min(out.len() - done);
            // SAFETY: `phys..phys + n` lies in one user frame of this task,
            // which is RAM in the direct map; `out` is a kernel buffer.
            unsafe {
                core::ptr::copy_nonoverlapping(phys as *const u8, out[done..].as_mut_ptr(), n)
            };
            done += n;
        }
        Some(())
    }
}

/// Allocates `pages` zeroed frames.
pub fn zeroed_frames(frames: &mut FrameAllocator, pages: u64) -> Result<PhysAddr, PagingError> {
    let start = frames.allocate_contiguous(pages as usize)?;
    // SAFETY: the frames were just allocated (exclusively ours) and lie in
    // the kernel's direct map.
    unsafe { core::ptr::write_bytes(start.as_u64() as *mut u8, 0, (pages * PAGE) as usize) };
    Ok(start)
}

/// The header of a ring-3 image, if it is there and describes an image
/// that fits.
fn image_header(image: &[u8]) -> Option<Header> {
    let h = Header::read(image)?;
    let window = BASE..BASE + MAX_IMAGE;
    let sane = h.text_end.is_multiple_of(PAGE)
        && window.contains(&h.entry)
        && h.entry < h.text_end
        && h.text_end <= h.image_end
        && h.image_end <= window.end
        && (image.len() as u64) <= h.image_end - BASE;
    sane.then_some(h)
}

impl UserSpace {
    /// A new space holding `image` (code R+X, data RW+NX, at
    /// [`BASE`]) and a zeroed stack below [`STACK_TOP`]; `None` when the
    /// image's header is invalid.
    pub fn load(
        frames: &mut FrameAllocator,
        image: &[u8],
    ) -> Result<Option<(Self, Header)>, PagingError> {
        let Some(h) = image_header(image) else {
            return Ok(None);
        };
        let mut space = Self::new(frames)?;
        let image_pages = (h.image_end - BASE).div_ceil(PAGE);
        let text_pages = (h.text_end - BASE) / PAGE;
        let copy = zeroed_frames(frames, image_pages)?;
        // SAFETY: `copy` has `image_pages` pages, at least image.len() bytes
        // (checked by `image_header`), exclusively ours, in the direct map.
        unsafe {
            core::ptr::copy_nonoverlapping(image.as_ptr(), copy.as_u64() as *mut u8, image.len())
        };
        space.map(frames, BASE, copy, text_pages, UserRights::ReadExecute)?;
        space.map(
            frames,
            BASE + text_pages * PAGE,
            copy + text_pages * PAGE,
            image_pages - text_pages,
            UserRights::ReadWrite,
        )?;
        let stack = zeroed_frames(frames, STACK_PAGES)?;
        space.map(
            frames,
            STACK_TOP - STACK_PAGES * PAGE,
            stack,
            STACK_PAGES,
            UserRights::ReadWrite,
        )?;
        Ok(Some((space, h)))
    }
}

/// Memory shared between the kernel and one task: zeroed frames mapped
/// RW+NX in the task's space, read and written by the kernel through the
/// direct map. The task runs only while the kernel is not looking (one CPU,
/// the kernel acts between its runs or inside its gates), so the kernel's
/// view is never written behind its back; every offset into it is checked
/// by the slice it hands out.
///
/// # Invariants
///
/// `phys..phys + len` are frames allocated for this buffer, never freed, in
/// the direct map.
pub struct SharedBuf {
    phys: PhysAddr,
    len: usize,
}

impl SharedBuf {
    /// `pages` zeroed frames mapped at `va` in `space`.
    pub fn new(
        frames: &mut FrameAllocator,
        space: &mut UserSpace,
        va: u64,
        pages: u64,
    ) -> Result<Self, PagingError> {
        let phys = zeroed_frames(frames, pages)?;
        space.map(frames, va, phys, pages, UserRights::ReadWrite)?;
        // INVARIANT: fresh frames, kept for the kernel's life.
        Ok(Self {
            phys,
            len: (pages * PAGE) as usize,
        })
    }

    pub fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: by the invariant the range is ours and mapped; the task
        // does not run while the kernel holds this borrow (see the type).
        unsafe { core::slice::from_raw_parts_mut(self.phys.as_u64() as *mut u8, self.len) }
    }
}
