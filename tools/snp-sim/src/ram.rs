//! The simulated guest's memory as the SVSM (VMPL0) reaches it, checked
//! against the RMP on every access.
//!
//! The SVSM reads and writes guest memory through a private mapping, which on
//! SNP works only for a page that is assigned to the guest and validated:
//! anything else is a #VC or #NPF that ends the SVSM. The model makes such an
//! access fail and records it as a [`Violation`], so a test can assert that
//! the SVSM never touched a page it no longer may use (an invalidated page, a
//! page made shared).

use std::collections::BTreeMap;

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::memory::{GuestMemory, MemoryError};

use crate::SimHardware;
use crate::rmp::{Rmp, RmpEntry};

const FRAME: u64 = 4096;

/// An access by the SVSM to a page it may not use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Violation {
    pub gpa: GuestPhysAddr,
    pub write: bool,
}

/// Guest memory contents (frames never written read as zero) and the
/// violations seen so far.
#[derive(Debug, Default)]
pub struct SimRam {
    frames: BTreeMap<u64, Box<[u8; FRAME as usize]>>,
    pub violations: Vec<Violation>,
}

impl SimRam {
    /// Whether the SVSM's private mapping can reach every frame of
    /// `[gpa, gpa + len)`; records a violation for the first that it cannot.
    fn reachable(&mut self, rmp: &Rmp, gpa: u64, len: u64, write: bool) -> bool {
        let end = gpa.saturating_add(len);
        let mut frame = gpa & !(FRAME - 1);
        while frame < end {
            let entry = rmp.entry(GuestPhysAddr::new(frame));
            if !(entry.assigned && entry.validated) {
                self.violations.push(Violation {
                    gpa: GuestPhysAddr::new(frame),
                    write,
                });
                return false;
            }
            frame += FRAME;
        }
        true
    }

    /// Copies `data` to `gpa` through the SVSM's private mapping.
    pub fn write(&mut self, rmp: &Rmp, gpa: u64, data: &[u8]) -> Result<(), MemoryError> {
        if !self.reachable(rmp, gpa, data.len() as u64, true) {
            return Err(MemoryError::NotGranted);
        }
        self.poke(gpa, data);
        Ok(())
    }

    /// Copies guest memory at `gpa` into `out` through the private mapping.
    pub fn read(&mut self, rmp: &Rmp, gpa: u64, out: &mut [u8]) -> Result<(), MemoryError> {
        if !self.reachable(rmp, gpa, out.len() as u64, false) {
            return Err(MemoryError::NotGranted);
        }
        self.peek(gpa, out);
        Ok(())
    }

    /// Writes bytes as the guest (or a test) does, without any check.
    pub fn poke(&mut self, gpa: u64, data: &[u8]) {
        for (i, byte) in data.iter().enumerate() {
            let at = gpa + i as u64;
            let frame = self
                .frames
                .entry(at / FRAME)
                .or_insert_with(|| Box::new([0; FRAME as usize]));
            frame[(at % FRAME) as usize] = *byte;
        }
    }

    /// Reads bytes without any check.
    pub fn peek(&self, gpa: u64, out: &mut [u8]) {
        for (i, byte) in out.iter_mut().enumerate() {
            let at = gpa + i as u64;
            *byte = self
                .frames
                .get(&(at / FRAME))
                .map_or(0, |f| f[(at % FRAME) as usize]);
        }
    }
}

/// The guest's memory as the protocol crate sees it on the simulated
/// machine: `[start, end)` is guest RAM, the SVSM's own range inside it is
/// not granted, and every copy goes through [`SimRam`]'s RMP check.
pub struct SimGuestMemory<'a> {
    pub hw: &'a SimHardware,
    pub start: u64,
    pub end: u64,
    pub svsm: core::ops::Range<u64>,
}

impl GuestMemory for SimGuestMemory<'_> {
    fn is_granted(&self, gpa: GuestPhysAddr, len: u64) -> bool {
        let (start, end) = (gpa.raw(), gpa.raw() + len);
        start >= self.start && end <= self.end && (end <= self.svsm.start || start >= self.svsm.end)
    }

    fn copy_from_guest(&self, gpa: GuestPhysAddr, out: &mut [u8]) -> Result<(), MemoryError> {
        self.hw.with(|m| m.ram.read(&m.rmp, gpa.raw(), out))
    }

    fn copy_to_guest(&self, gpa: GuestPhysAddr, data: &[u8]) -> Result<(), MemoryError> {
        self.hw.with(|m| m.ram.write(&m.rmp, gpa.raw(), data))
    }
}

/// What the tests ask of the simulated memory.
impl SimHardware {
    /// The RMP entry of the frame holding `gpa`.
    pub fn rmp_entry(&self, gpa: u64) -> RmpEntry {
        self.with(|m| m.rmp.entry(GuestPhysAddr::new(gpa)))
    }

    /// The SVSM's accesses to pages it may not use, so far.
    pub fn violations(&self) -> Vec<Violation> {
        self.with(|m| m.ram.violations.clone())
    }

    /// The frames the SVSM invalidated or read while a revocation of the
    /// guest's access was not yet flushed from every vCPU's TLB.
    pub fn stale_uses(&self) -> Vec<GuestPhysAddr> {
        self.with(|m| m.rmp.stale_uses.clone())
    }
}
