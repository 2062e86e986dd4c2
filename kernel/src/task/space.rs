//! A ring-3 task's address space.
//!
//! Each task gets its own PML4. Its entries are the kernel's, except the
//! first, which points to a private copy of the kernel's first PDPT: the
//! kernel's 0-1 GiB entry is shared as is (supervisor only: its tables carry
//! no USER bit), and the 1-2 GiB slot, empty in the kernel, holds the task's
//! user pages. So the task's mappings exist only while its CR3 is loaded,
//! and ring 3 can reach nothing of the kernel.

use x86_64::registers::control::Cr3;
use x86_64::structures::paging::mapper::{MapToError, TranslateResult};
use x86_64::structures::paging::{
    Mapper, OffsetPageTable, Page, PageTable, PageTableFlags as Flags, PhysFrame, Size4KiB,
    Translate,
};
use x86_64::{PhysAddr, VirtAddr};

use svsm_abi::PAGE_SIZE as PAGE;
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
