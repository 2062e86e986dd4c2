//! The reverse map (RMP) of the simulated guest, one entry per 4 KiB frame,
//! and the three things that change it: PVALIDATE and RMPADJUST (the guest
//! at VMPL0) and RMPUPDATE (the hypervisor's page state changes).
//!
//! An entry holds what the SVSM's correctness depends on: whether the frame
//! is assigned to the guest (private; otherwise hypervisor-owned, i.e.
//! shared), whether it is validated, the size of the RMP page it belongs to
//! (the 512 frames of a 2 MiB entry carry the same state), the permissions of
//! VMPL1..3 (VMPL0 always has all) and the VMSA bit. The instructions fail
//! with the hardware's codes:
//!
//! * PVALIDATE: FAIL_INPUT for a 2 MiB request that is not 2 MiB aligned or a
//!   frame that is not assigned (hardware raises #NPF for the latter; the
//!   model reports it as FAIL_INPUT so tests see it), FAIL_SIZEMISMATCH when
//!   the request's size differs from the RMP entry's, and "no change" (carry
//!   flag) when the frame is already in the requested state.
//! * RMPADJUST from VMPL0: FAIL_PERMISSION for target VMPL 0 or above 3,
//!   FAIL_INPUT for a frame that is not assigned, or a VMSA request on a
//!   2 MiB page, FAIL_SIZEMISMATCH as PVALIDATE. The model lets RMPADJUST act
//!   on an assigned page whether or not it is validated (see docs/snp.md).
//! * RMPUPDATE (page state change): private makes the page assigned, not
//!   validated, no VMPL permissions, no VMSA bit; shared clears everything.
//!   A VMSA page cannot be changed while the bit is set (the hypervisor's
//!   RMPUPDATE fails on an in-use VMSA).
//!
//! The TLB, as far as revocations go: an RMPADJUST that takes permissions
//! away from a lower VMPL leaves the frame *stale* (other vCPUs may still
//! reach it through their TLB entries) until a broadcast flush
//! ([`Rmp::flush_tlb`]); PVALIDATE(0) of a stale frame, and the SVSM reading
//! one, are recorded in [`Rmp::stale_uses`], which the tests assert stays
//! empty.
//!
//! Not modelled: ASIDs and the GPA an entry was assigned at (one guest),
//! immutable and firmware pages, the hypervisor's nested page tables, the
//! PSMASH/RMP "smash" of a 2 MiB entry (a page state change of one frame of
//! a 2 MiB page is refused with a size mismatch instead).

use std::collections::{BTreeMap, BTreeSet};

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::platform::{PageSize, PvalidateFailure};
use svsm_snp::hw::{PvalidateOutcome, RmpadjustFailure, TlbFlushError, VmplPermissions};

const FRAME: u64 = 4096;
const FRAMES_2M: u64 = 512;

/// One RMP entry (the state of one 4 KiB frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RmpEntry {
    /// Assigned to the guest (private); a shared page is not.
    pub assigned: bool,
    pub validated: bool,
    /// Size of the RMP page the frame belongs to.
    pub size: PageSize,
    /// Permissions of VMPL1, VMPL2, VMPL3 (VMPL0 always has all).
    pub perms: [VmplPermissions; 3],
    pub vmsa: bool,
}

impl Default for RmpEntry {
    fn default() -> Self {
        Self {
            assigned: false,
            validated: false,
            size: PageSize::Size4K,
            perms: [VmplPermissions::NONE; 3],
            vmsa: false,
        }
    }
}

impl RmpEntry {
    /// The permissions of `vmpl` (1..=3) on the frame.
    pub fn perms_of(&self, vmpl: u8) -> VmplPermissions {
        match vmpl {
            1..=3 => self.perms[usize::from(vmpl - 1)],
            _ => VmplPermissions::ALL,
        }
    }
}

/// Why the hypervisor's RMPUPDATE refused a page state change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RmpUpdateError {
    /// A 2 MiB change that is not 2 MiB aligned.
    Misaligned,
    /// A 4 KiB change inside a 2 MiB RMP page (would need a smash).
    SizeMismatch,
    /// The page (or one frame of it) is an in-use VMSA.
    InUseVmsa,
}

/// One page operation the SVSM asked for, in order (what the tests read to
/// check the order of revoking, invalidating, zeroing and granting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageOp {
    Pvalidate {
        gpa: GuestPhysAddr,
        size: PageSize,
        validate: bool,
    },
    Rmpadjust {
        gpa: GuestPhysAddr,
        size: PageSize,
        vmpl: u8,
        perms: VmplPermissions,
        vmsa: bool,
    },
    /// The SVSM zeroed the page (through [`crate::ram::SimRam`]).
    Zero { gpa: GuestPhysAddr, size: PageSize },
    /// A broadcast flush of the guest's TLB entries (INVLPGB + TLBSYNC),
    /// attempted.
    FlushTlb,
}

/// The RMP, keyed by guest frame number; a frame never touched is shared.
#[derive(Debug, Default)]
pub struct Rmp {
    entries: BTreeMap<u64, RmpEntry>,
    /// Every PVALIDATE, RMPADJUST and zeroing, failed ones included.
    pub ops: Vec<PageOp>,
    /// Makes the next RMPADJUST fail with this code (then behaves).
    pub fail_next_rmpadjust: Option<RmpadjustFailure>,
    /// Frames whose lower-VMPL permissions were reduced since the last
    /// broadcast TLB flush.
    stale: BTreeSet<u64>,
    /// The frames the SVSM invalidated or read while stale.
    pub stale_uses: Vec<GuestPhysAddr>,
    /// The CPU has no broadcast flush (INVLPGB/TLBSYNC).
    pub no_broadcast_flush: bool,
}

/// The frames of the page at `gpa` of `size`.
fn frames(gpa: GuestPhysAddr, size: PageSize) -> impl Iterator<Item = u64> {
    let first = gpa.raw() / FRAME;
    let count = match size {
        PageSize::Size4K => 1,
        PageSize::Size2M => FRAMES_2M,
    };
    first..first + count
}

impl Rmp {
    /// The entry of `gpa`'s frame.
    pub fn entry(&self, gpa: GuestPhysAddr) -> RmpEntry {
        self.entries
            .get(&(gpa.raw() / FRAME))
            .copied()
            .unwrap_or_default()
    }

    fn set(&mut self, gpa: GuestPhysAddr, size: PageSize, f: impl Fn(&mut RmpEntry)) {
        for frame in frames(gpa, size) {
            f(self.entries.entry(frame).or_default());
        }
    }

    /// The entry that describes a request of `size` at `gpa`, or the
    /// instruction's failure when the sizes disagree.
    fn entry_for(&self, gpa: GuestPhysAddr, size: PageSize) -> Result<RmpEntry, PvalidateFailure> {
        let aligned = gpa.is_aligned(size.bytes());
        if !aligned {
            return Err(PvalidateFailure::Input);
        }
        let entry = self.entry(gpa);
        if entry.assigned && entry.size != size {
            return Err(PvalidateFailure::SizeMismatch);
        }
        Ok(entry)
    }

    /// RMPUPDATE by the hypervisor: the page of `size` at `gpa` becomes
    /// private (assigned, not validated, no permissions) or shared.
    pub fn update(
        &mut self,
        gpa: GuestPhysAddr,
        size: PageSize,
        private: bool,
    ) -> Result<(), RmpUpdateError> {
        if !gpa.is_aligned(size.bytes()) {
            return Err(RmpUpdateError::Misaligned);
        }
        let inside_2m = frames(gpa, size).any(|f| {
            let e = self.entry(GuestPhysAddr::new(f * FRAME));
            e.assigned && e.size != size
        });
        if inside_2m {
            return Err(RmpUpdateError::SizeMismatch);
        }
        if frames(gpa, size).any(|f| self.entry(GuestPhysAddr::new(f * FRAME)).vmsa) {
            return Err(RmpUpdateError::InUseVmsa);
        }
        self.set(gpa, size, |e| {
            *e = RmpEntry {
                assigned: private,
                size: if private { size } else { PageSize::Size4K },
                ..RmpEntry::default()
            }
        });
        Ok(())
    }

    /// The broadcast TLB flush: every revocation so far is visible.
    pub fn flush_tlb(&mut self) -> Result<(), TlbFlushError> {
        self.ops.push(PageOp::FlushTlb);
        if self.no_broadcast_flush {
            return Err(TlbFlushError::NoBroadcast);
        }
        self.stale.clear();
        Ok(())
    }

    /// Records a use of any stale frame of `[gpa, gpa + len)`.
    pub fn check_not_stale(&mut self, gpa: u64, len: u64) {
        let first = gpa / FRAME;
        let last = gpa.saturating_add(len.max(1) - 1) / FRAME;
        for frame in first..=last {
            if self.stale.contains(&frame) {
                self.stale_uses.push(GuestPhysAddr::new(frame * FRAME));
            }
        }
    }

    /// PVALIDATE.
    pub fn pvalidate(
        &mut self,
        gpa: GuestPhysAddr,
        size: PageSize,
        validate: bool,
    ) -> Result<PvalidateOutcome, PvalidateFailure> {
        self.ops.push(PageOp::Pvalidate {
            gpa,
            size,
            validate,
        });
        if !validate {
            self.check_not_stale(gpa.raw(), size.bytes());
        }
        let entry = self.entry_for(gpa, size)?;
        if !entry.assigned {
            return Err(PvalidateFailure::Input);
        }
        if entry.validated == validate {
            return Ok(PvalidateOutcome::Unchanged);
        }
        self.set(gpa, size, |e| e.validated = validate);
        Ok(PvalidateOutcome::Changed)
    }

    /// RMPADJUST from VMPL0.
    pub fn rmpadjust(
        &mut self,
        gpa: GuestPhysAddr,
        size: PageSize,
        target_vmpl: u8,
        perms: VmplPermissions,
        vmsa: bool,
    ) -> Result<(), RmpadjustFailure> {
        self.ops.push(PageOp::Rmpadjust {
            gpa,
            size,
            vmpl: target_vmpl,
            perms,
            vmsa,
        });
        if let Some(failure) = self.fail_next_rmpadjust.take() {
            return Err(failure);
        }
        if !(1..=3).contains(&target_vmpl) {
            return Err(RmpadjustFailure::Permission);
        }
        let entry = self.entry_for(gpa, size).map_err(|f| match f {
            PvalidateFailure::SizeMismatch => RmpadjustFailure::SizeMismatch,
            _ => RmpadjustFailure::Input,
        })?;
        if !entry.assigned || (vmsa && size != PageSize::Size4K) {
            return Err(RmpadjustFailure::Input);
        }
        let index = usize::from(target_vmpl - 1);
        for frame in frames(gpa, size) {
            let before = self.entry(GuestPhysAddr::new(frame * FRAME)).perms[index];
            if !perms.contains(before) {
                self.stale.insert(frame);
            }
        }
        self.set(gpa, size, |e| {
            e.perms[index] = perms;
            e.vmsa = vmsa;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: GuestPhysAddr = GuestPhysAddr::new(0x40_0000);

    #[test]
    fn pvalidate_follows_the_rmp() {
        let mut rmp = Rmp::default();
        // Shared: not the guest's to validate.
        assert_eq!(
            rmp.pvalidate(A, PageSize::Size4K, true),
            Err(PvalidateFailure::Input)
        );
        rmp.update(A, PageSize::Size4K, true).unwrap();
        assert_eq!(
            rmp.pvalidate(A, PageSize::Size4K, true),
            Ok(PvalidateOutcome::Changed)
        );
        assert_eq!(
            rmp.pvalidate(A, PageSize::Size4K, true),
            Ok(PvalidateOutcome::Unchanged)
        );
        // A 2 MiB request on a 4 KiB entry.
        assert_eq!(
            rmp.pvalidate(A, PageSize::Size2M, false),
            Err(PvalidateFailure::SizeMismatch)
        );
        assert_eq!(
            rmp.pvalidate(A.checked_add(FRAME).unwrap(), PageSize::Size2M, true),
            Err(PvalidateFailure::Input)
        );
    }

    #[test]
    fn two_mib_pages_act_on_all_their_frames() {
        let mut rmp = Rmp::default();
        rmp.update(A, PageSize::Size2M, true).unwrap();
        let last = A.checked_add(511 * FRAME).unwrap();
        assert_eq!(
            rmp.pvalidate(last, PageSize::Size4K, true),
            Err(PvalidateFailure::SizeMismatch)
        );
        rmp.pvalidate(A, PageSize::Size2M, true).unwrap();
        assert!(rmp.entry(last).validated);
        rmp.rmpadjust(A, PageSize::Size2M, 1, VmplPermissions::ALL, false)
            .unwrap();
        assert_eq!(rmp.entry(last).perms_of(1), VmplPermissions::ALL);
        assert_eq!(rmp.entry(last).perms_of(2), VmplPermissions::NONE);
        // No VMSA on a 2 MiB page; no 4 KiB change inside one.
        assert_eq!(
            rmp.rmpadjust(A, PageSize::Size2M, 1, VmplPermissions::NONE, true),
            Err(RmpadjustFailure::Input)
        );
        assert_eq!(
            rmp.update(last, PageSize::Size4K, false),
            Err(RmpUpdateError::SizeMismatch)
        );
        rmp.update(A, PageSize::Size2M, false).unwrap();
        assert_eq!(rmp.entry(last), RmpEntry::default());
    }

    #[test]
    fn rmpadjust_checks() {
        let mut rmp = Rmp::default();
        assert_eq!(
            rmp.rmpadjust(A, PageSize::Size4K, 1, VmplPermissions::ALL, false),
            Err(RmpadjustFailure::Input)
        );
        rmp.update(A, PageSize::Size4K, true).unwrap();
        for vmpl in [0, 4] {
            assert_eq!(
                rmp.rmpadjust(A, PageSize::Size4K, vmpl, VmplPermissions::ALL, false),
                Err(RmpadjustFailure::Permission)
            );
        }
        rmp.rmpadjust(A, PageSize::Size4K, 1, VmplPermissions::READ, true)
            .unwrap();
        assert!(rmp.entry(A).vmsa);
        // An in-use VMSA cannot be taken back by the hypervisor.
        assert_eq!(
            rmp.update(A, PageSize::Size4K, false),
            Err(RmpUpdateError::InUseVmsa)
        );
    }
}
