//! A minimal model of the reverse map (RMP): per 4 KiB guest frame, whether
//! it is assigned to the guest (private), validated, the VMPL permissions of
//! VMPL1..3 and the VMSA bit. PVALIDATE, RMPADJUST and page state changes act
//! on it.

use std::collections::BTreeMap;

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::platform::{PageSize, PvalidateFailure};
use svsm_snp::hw::{PvalidateOutcome, RmpadjustFailure, VmplPermissions};

/// One RMP entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RmpEntry {
    /// Assigned to the guest (private); a shared page is not.
    pub assigned: bool,
    pub validated: bool,
    /// Permissions of VMPL1, VMPL2, VMPL3 (VMPL0 always has all).
    pub perms: [VmplPermissions; 3],
    pub vmsa: bool,
}

/// The RMP of the simulated guest, keyed by guest frame number.
#[derive(Debug, Default)]
pub struct Rmp {
    entries: BTreeMap<u64, RmpEntry>,
}

impl Rmp {
    /// The entry of `gpa`'s frame (an unknown frame is shared: all default).
    pub fn entry(&self, gpa: GuestPhysAddr) -> RmpEntry {
        self.entries
            .get(&(gpa.raw() >> 12))
            .copied()
            .unwrap_or_default()
    }

    fn entry_mut(&mut self, gpa: GuestPhysAddr) -> &mut RmpEntry {
        self.entries.entry(gpa.raw() >> 12).or_default()
    }

    /// Page state change by the hypervisor: assigning makes the page private
    /// and not validated; unassigning makes it shared and drops everything.
    pub fn set_assigned(&mut self, gpa: GuestPhysAddr, assigned: bool) {
        *self.entry_mut(gpa) = RmpEntry {
            assigned,
            ..RmpEntry::default()
        };
    }

    /// PVALIDATE of one 4 KiB page.
    pub fn pvalidate(
        &mut self,
        gpa: GuestPhysAddr,
        size: PageSize,
        validate: bool,
    ) -> Result<PvalidateOutcome, PvalidateFailure> {
        if size != PageSize::Size4K || !gpa.is_page_aligned() {
            return Err(PvalidateFailure::Input);
        }
        let entry = self.entry_mut(gpa);
        if !entry.assigned {
            return Err(PvalidateFailure::Input);
        }
        if entry.validated == validate {
            return Ok(PvalidateOutcome::Unchanged);
        }
        entry.validated = validate;
        Ok(PvalidateOutcome::Changed)
    }

    /// RMPADJUST from VMPL0 of one 4 KiB page.
    pub fn rmpadjust(
        &mut self,
        gpa: GuestPhysAddr,
        size: PageSize,
        target_vmpl: u8,
        perms: VmplPermissions,
        vmsa: bool,
    ) -> Result<(), RmpadjustFailure> {
        if size != PageSize::Size4K || !gpa.is_page_aligned() {
            return Err(RmpadjustFailure::Input);
        }
        let index = match target_vmpl {
            1..=3 => usize::from(target_vmpl - 1),
            _ => return Err(RmpadjustFailure::Permission),
        };
        let entry = self.entry_mut(gpa);
        if !entry.assigned || !entry.validated {
            return Err(RmpadjustFailure::Input);
        }
        entry.perms[index] = perms;
        entry.vmsa = vmsa;
        Ok(())
    }
}
