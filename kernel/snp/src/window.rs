//! The temporary mapping window: how the SVSM reaches one guest page at a
//! time, encrypted.
//!
//! On SEV-SNP the kernel's page tables map only its own memory. To zero a
//! page it has just validated for the guest, or to read a VMSA the guest
//! named, it maps that one guest page private (C-bit set, so the access uses
//! the guest's key and is checked against the RMP), no-execute, at a fixed
//! kernel virtual address (one slot per CPU), flushes the slot's stale TLB
//! entry (INVLPG), accesses it, then unmaps it and flushes again. No
//! mapping outlives the access, so no later access can reach a page the
//! guest took back or the SVSM invalidated.
//!
//! Refused before any entry is written: a GPA that is SVSM memory, one at
//! or above the end of the guest's RAM, one that would alias the other
//! visibility (at or above the C-bit), and a slot already in use (a
//! nested use, which would silently remap the outer one's page).
//!
//! The page-table writes, the TLB flush and the access itself are the
//! [`WindowTables`] trait (the kernel implements it over its real tables,
//! the tests over a recording model), so everything here is host-tested.

use core::sync::atomic::{AtomicBool, Ordering};

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::platform::PageSize;

use crate::cbit::{CBit, Visibility};
use crate::hw::PAGE_BYTES;
use crate::pvalidate::{SvsmMemory, pages_4k};

/// Page-table entry bits of a window mapping.
pub const ENTRY_PRESENT: u64 = 1 << 0;
pub const ENTRY_WRITABLE: u64 = 1 << 1;
pub const ENTRY_NO_EXECUTE: u64 = 1 << 63;

/// How the page is accessed while mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read only: the entry is not writable.
    Read,
    /// Read and write.
    Write,
}

/// The page-table operations behind the window, on the current CPU.
pub trait WindowTables {
    /// Writes the leaf entry of `slot` (`0`: not present).
    fn set_entry(&self, slot: usize, entry: u64);

    /// Drops the current CPU's TLB entry for `va` (INVLPG).
    fn flush_local(&self, va: u64);

    /// Zeroes the page mapped at `va` (a slot's address, mapped writable).
    fn zero_mapped(&self, va: u64);

    /// Copies `out.len()` bytes from `va` (inside the page a slot maps).
    fn read_mapped(&self, va: u64, out: &mut [u8]);
}

/// Why the window refused a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowError {
    /// The GPA is SVSM memory or outside the guest's RAM.
    NotGuest(GuestPhysAddr),
    /// The GPA is not page aligned or reaches the C-bit.
    Address(GuestPhysAddr),
    /// No such slot (the CPU index is out of range).
    NoSlot(usize),
    /// The slot is mapped already (a nested use).
    Busy(usize),
}

/// What the guest owns: RAM below `ram_end`, except the SVSM's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestOwned {
    pub svsm: SvsmMemory,
    /// End (exclusive) of the guest-physical RAM.
    pub ram_end: u64,
}

impl GuestOwned {
    /// The RAM below `ram_end` except `svsm` (the SVSM's own memory, the
    /// same the platform's [`crate::pvalidate::GuestLayout`] refuses).
    pub const fn new(svsm: SvsmMemory, ram_end: u64) -> Self {
        Self { svsm, ram_end }
    }

    /// Whether all of `[gpa, gpa + len)` is the guest's.
    pub fn owns(&self, gpa: GuestPhysAddr, len: u64) -> bool {
        gpa.raw()
            .checked_add(len)
            .is_some_and(|end| end <= self.ram_end)
            && !self.svsm.overlaps(gpa, len)
    }
}

/// The window: `SLOTS` consecutive 4 KiB virtual pages from `base`, slot
/// `n` for CPU `n`.
pub struct Window<T: WindowTables, const SLOTS: usize> {
    tables: T,
    c_bit: CBit,
    base: u64,
    guest: GuestOwned,
    in_use: [AtomicBool; SLOTS],
}

/// A slot held for one access; unmaps and flushes when dropped.
struct Mapped<'a, T: WindowTables> {
    tables: &'a T,
    slot: usize,
    va: u64,
    in_use: &'a AtomicBool,
}

impl<T: WindowTables> Drop for Mapped<'_, T> {
    fn drop(&mut self) {
        self.tables.set_entry(self.slot, 0);
        self.tables.flush_local(self.va);
        self.in_use.store(false, Ordering::Release);
    }
}

impl<T: WindowTables, const SLOTS: usize> Window<T, SLOTS> {
    /// The window at `base` (page aligned, its slots' entries not present)
    /// over the guest memory `guest`.
    pub const fn new(tables: T, c_bit: CBit, base: u64, guest: GuestOwned) -> Self {
        Self {
            tables,
            c_bit,
            base,
            guest,
            in_use: [const { AtomicBool::new(false) }; SLOTS],
        }
    }

    /// The virtual address of `slot`.
    pub fn slot_address(&self, slot: usize) -> Option<u64> {
        (slot < SLOTS).then(|| self.base + (slot * PAGE_BYTES) as u64)
    }

    /// The entry mapping the 4 KiB guest page at `gpa` for `access`.
    pub fn entry(&self, gpa: GuestPhysAddr, access: Access) -> Result<u64, WindowError> {
        if !self.guest.owns(gpa, PAGE_BYTES as u64) {
            return Err(WindowError::NotGuest(gpa));
        }
        let address = self
            .c_bit
            .entry_address(gpa.raw(), Visibility::Private)
            .map_err(|_| WindowError::Address(gpa))?;
        let writable = match access {
            Access::Read => 0,
            Access::Write => ENTRY_WRITABLE,
        };
        Ok(address | ENTRY_PRESENT | ENTRY_NO_EXECUTE | writable)
    }

    /// Maps the page at `gpa` into `slot` until the result is dropped.
    fn map(
        &self,
        slot: usize,
        gpa: GuestPhysAddr,
        access: Access,
    ) -> Result<Mapped<'_, T>, WindowError> {
        let entry = self.entry(gpa, access)?;
        let va = self.slot_address(slot).ok_or(WindowError::NoSlot(slot))?;
        let in_use = &self.in_use[slot];
        if in_use.swap(true, Ordering::Acquire) {
            return Err(WindowError::Busy(slot));
        }
        self.tables.set_entry(slot, entry);
        self.tables.flush_local(va);
        Ok(Mapped {
            tables: &self.tables,
            slot,
            va,
            in_use,
        })
    }

    /// Zeroes the guest page of `size` at `gpa`, 4 KiB at a time.
    pub fn zero(&self, slot: usize, gpa: GuestPhysAddr, size: PageSize) -> Result<(), WindowError> {
        if !gpa.is_aligned(size.bytes()) || !self.guest.owns(gpa, size.bytes()) {
            return Err(WindowError::NotGuest(gpa));
        }
        for page in pages_4k(gpa, size) {
            let mapped = self.map(slot, page, Access::Write)?;
            self.tables.zero_mapped(mapped.va);
        }
        Ok(())
    }

    /// Copies guest memory from `gpa` into `out`, one page at a time.
    pub fn read(&self, slot: usize, gpa: GuestPhysAddr, out: &mut [u8]) -> Result<(), WindowError> {
        if !self.guest.owns(gpa, out.len() as u64) {
            return Err(WindowError::NotGuest(gpa));
        }
        let mut at = gpa.raw();
        let mut rest = out;
        while !rest.is_empty() {
            let offset = (at % PAGE_BYTES as u64) as usize;
            let take = rest.len().min(PAGE_BYTES - offset);
            let (chunk, tail) = rest.split_at_mut(take);
            let page = GuestPhysAddr::new(at - offset as u64);
            let mapped = self.map(slot, page, Access::Read)?;
            self.tables.read_mapped(mapped.va + offset as u64, chunk);
            drop(mapped);
            at += take as u64;
            rest = tail;
        }
        Ok(())
    }
}
