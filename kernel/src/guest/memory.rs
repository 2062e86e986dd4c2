//! [`GuestRam`]: the guest's memory as the protocol crate sees it.

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::memory::{GuestMemory, MemoryError};

/// A block of physically contiguous RAM granted to the guest.
///
/// # Invariants
///
/// `start..start + len` is usable RAM inside the kernel's direct map
/// (identity mapped, RW), set aside for the guest at boot: no Rust object of
/// the kernel lives there, so the only accesses are the raw copies below.
#[derive(Clone, Copy, Debug)]
pub struct GuestRam {
    start: u64,
    len: u64,
}

impl GuestRam {
    /// # Safety
    ///
    /// `start..start + len` must satisfy the type's invariants for the rest of
    /// the kernel's life.
    pub unsafe fn new(start: u64, len: u64) -> Self {
        // INVARIANT: by the caller's contract.
        Self { start, len }
    }

    fn contains(&self, gpa: GuestPhysAddr, len: u64) -> bool {
        let Some(end) = gpa.raw().checked_add(len) else {
            return false;
        };
        gpa.raw() >= self.start && end <= self.start + self.len
    }
}

impl GuestMemory for GuestRam {
    fn is_granted(&self, gpa: GuestPhysAddr, len: u64) -> bool {
        self.contains(gpa, len)
    }

    fn copy_from_guest(&self, gpa: GuestPhysAddr, out: &mut [u8]) -> Result<(), MemoryError> {
        if !self.contains(gpa, out.len() as u64) {
            return Err(MemoryError::NotGranted);
        }
        // SAFETY: the range lies inside the guest block (checked above),
        // which is mapped at its physical address and holds no Rust object
        // (type invariant); `out` is a distinct kernel buffer. The guest may
        // change the bytes concurrently, which only affects the value copied.
        unsafe {
            core::ptr::copy_nonoverlapping(gpa.raw() as *const u8, out.as_mut_ptr(), out.len())
        };
        Ok(())
    }

    fn copy_to_guest(&self, gpa: GuestPhysAddr, data: &[u8]) -> Result<(), MemoryError> {
        if !self.contains(gpa, data.len() as u64) {
            return Err(MemoryError::NotGranted);
        }
        // SAFETY: as in `copy_from_guest`, with the direct map writable.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), gpa.raw() as *mut u8, data.len()) };
        Ok(())
    }
}
