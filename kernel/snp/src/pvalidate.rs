//! PVALIDATE on behalf of the guest, and the memory the guest may never name.
//!
//! On SNP the core protocol's PVALIDATE does more than the instruction: the
//! guest runs at a lower VMPL (the secrets page names it, normally VMPL1)
//! and can use a page only with the permissions VMPL0 gives it with
//! RMPADJUST. So:
//!
//! * validate: PVALIDATE(1), zero the page (its old contents are whatever
//!   the frame last held), then grant the guest's VMPL every permission;
//! * invalidate: revoke the guest's permissions first, flush the guest's
//!   TLB entries on every vCPU (the revocation is not visible to the other
//!   vCPUs before), then PVALIDATE(0). Without a broadcast flush the page
//!   is given back and the entry fails: it is never invalidated while a
//!   stale translation may still let the guest reach it.
//!
//! The order keeps one invariant: a page the guest can reach is validated
//! and holds nothing it did not write itself. If a later step fails, the
//! earlier one is undone (a page validated but not zeroed or not granted is
//! invalidated again), so a failure leaves the page as it was.
//!
//! A 2 MiB entry is served as one 2 MiB page when the RMP holds it as one;
//! when the instruction answers FAIL_SIZEMISMATCH (the RMP or the nested page
//! tables map it as 4 KiB pages) it is served as its 512 4 KiB pages.
//!
//! The SVSM's own memory ([`SvsmMemory`]) is refused before any instruction:
//! the protocol layer already answers INVALID_ADDRESS for it (the kernel's
//! guest memory does not grant it); this is the platform's own check, so a
//! page of the SVSM never gets lower-VMPL permissions whatever the caller.

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::platform::{PageSize, PvalidateFailure};

use crate::hw::{PvalidateOutcome, RmpadjustFailure, SnpHardware, VmplPermissions};

/// The SVSM's own memory: guest-physical `[start, end)`, never validated,
/// invalidated or granted on the guest's behalf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvsmMemory {
    start: u64,
    end: u64,
}

impl SvsmMemory {
    /// `size` bytes at `base`; `None` if the range wraps.
    pub const fn new(base: GuestPhysAddr, size: u64) -> Option<Self> {
        match base.raw().checked_add(size) {
            Some(end) => Some(Self {
                start: base.raw(),
                end,
            }),
            None => None,
        }
    }

    /// Whether any byte of `[gpa, gpa + len)` is SVSM memory (a range that
    /// wraps counts as overlapping).
    pub fn overlaps(&self, gpa: GuestPhysAddr, len: u64) -> bool {
        match gpa.raw().checked_add(len) {
            Some(end) => gpa.raw() < self.end && end > self.start,
            None => true,
        }
    }
}

/// What the memory calls need to know about the guest: the SVSM's own memory
/// and the VMPL the guest (Linux, OVMF) runs at, both from the secrets page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestLayout {
    pub svsm: SvsmMemory,
    pub guest_vmpl: u8,
}

/// RMPADJUST's failure as the core protocol reports it.
fn rmpadjust_failure(failure: RmpadjustFailure) -> PvalidateFailure {
    match failure {
        RmpadjustFailure::SizeMismatch => PvalidateFailure::SizeMismatch,
        RmpadjustFailure::Input | RmpadjustFailure::Permission | RmpadjustFailure::Other(_) => {
            PvalidateFailure::Input
        }
    }
}

/// The 4 KiB pages of the page of `size` at `gpa` (those whose address
/// does not overflow).
pub(crate) fn pages_4k(gpa: GuestPhysAddr, size: PageSize) -> impl Iterator<Item = GuestPhysAddr> {
    let count = size.bytes() / PageSize::Size4K.bytes();
    (0..count).filter_map(move |i| gpa.checked_add(i * PageSize::Size4K.bytes()))
}

/// The guest's pages on one machine: the PVALIDATE policy and the
/// permissions of the guest's VMPL.
pub struct GuestPages<'a, H: SnpHardware> {
    pub hw: &'a H,
    pub layout: &'a GuestLayout,
}

impl<H: SnpHardware> GuestPages<'_, H> {
    /// Gives the guest's VMPL `perms` on the page (no VMSA bit).
    pub(crate) fn set_guest_access(
        &self,
        gpa: GuestPhysAddr,
        size: PageSize,
        perms: VmplPermissions,
    ) -> Result<(), RmpadjustFailure> {
        self.hw
            .rmpadjust(gpa, size, self.layout.guest_vmpl, perms, false)
    }

    /// Validates one page for the guest: PVALIDATE(1), zero, grant.
    fn validate(&self, gpa: GuestPhysAddr, size: PageSize) -> Result<(), PvalidateFailure> {
        if self.hw.pvalidate(gpa, size, true)? == PvalidateOutcome::Unchanged {
            // Already valid: its contents and permissions are the guest's.
            return Err(PvalidateFailure::NoChange);
        }
        let granted = self
            .hw
            .zero_page(gpa, size)
            .map_err(|_| PvalidateFailure::Input)
            .and_then(|()| {
                self.set_guest_access(gpa, size, VmplPermissions::ALL)
                    .map_err(rmpadjust_failure)
            });
        if granted.is_err() {
            // Undo: the page goes back to not validated. Should the
            // instruction refuse now, the page stays validated without guest
            // access, which the guest cannot use either way.
            let _ = self.hw.pvalidate(gpa, size, false);
        }
        granted
    }

    /// Invalidates one page for the guest: revoke, flush, PVALIDATE(0).
    fn invalidate(&self, gpa: GuestPhysAddr, size: PageSize) -> Result<(), PvalidateFailure> {
        self.set_guest_access(gpa, size, VmplPermissions::NONE)
            .map_err(rmpadjust_failure)?;
        if self.hw.flush_guest_tlb().is_err() {
            // Undo: the page stays validated and the guest's, as before.
            let _ = self.set_guest_access(gpa, size, VmplPermissions::ALL);
            return Err(PvalidateFailure::Input);
        }
        match self.hw.pvalidate(gpa, size, false)? {
            PvalidateOutcome::Changed => Ok(()),
            PvalidateOutcome::Unchanged => Err(PvalidateFailure::NoChange),
        }
    }

    fn one_page(
        &self,
        gpa: GuestPhysAddr,
        size: PageSize,
        validate: bool,
    ) -> Result<(), PvalidateFailure> {
        if validate {
            self.validate(gpa, size)
        } else {
            self.invalidate(gpa, size)
        }
    }

    /// The core protocol's PVALIDATE of one entry on SNP (see the module
    /// comment). `NoChange` means no page changed state.
    pub fn pvalidate(
        &self,
        gpa: GuestPhysAddr,
        size: PageSize,
        validate: bool,
    ) -> Result<(), PvalidateFailure> {
        if self.layout.svsm.overlaps(gpa, size.bytes()) || !gpa.is_aligned(size.bytes()) {
            return Err(PvalidateFailure::Input);
        }
        match self.one_page(gpa, size, validate) {
            Err(PvalidateFailure::SizeMismatch) if size == PageSize::Size2M => {
                self.fallback_4k(gpa, validate)
            }
            other => other,
        }
    }

    /// A 2 MiB entry as its 512 4 KiB pages. Pages already in the requested
    /// state are skipped; the first other failure stops, leaving the pages
    /// before it done (the guest retries the entry, the done ones answer "no
    /// change").
    fn fallback_4k(&self, gpa: GuestPhysAddr, validate: bool) -> Result<(), PvalidateFailure> {
        let mut changed = false;
        for page in pages_4k(gpa, PageSize::Size2M) {
            match self.one_page(page, PageSize::Size4K, validate) {
                Ok(()) => changed = true,
                Err(PvalidateFailure::NoChange) => {}
                Err(failure) => return Err(failure),
            }
        }
        if changed {
            Ok(())
        } else {
            Err(PvalidateFailure::NoChange)
        }
    }
}
