//! PVALIDATE on behalf of the guest, and the memory the guest may never name.
//!
//! On SNP the core protocol's PVALIDATE does more than the instruction: the
//! guest runs at a lower VMPL ([`GUEST_VMPL`] in the kernel)
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

use core::ops::Range;

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::platform::{PageSize, PvalidateFailure};

use crate::hw::{PvalidateOutcome, RmpadjustFailure, SnpHardware, VmplPermissions};

/// Most ranges an [`SvsmMemory`] holds (the kernel needs three: the launch
/// pages, the image with its required memory, the boot vCPU's VMSA).
pub const SVSM_MEMORY_RANGES: usize = 4;

/// The SVSM's own memory: up to [`SVSM_MEMORY_RANGES`] guest-physical
/// ranges `[start, end)`, never validated, invalidated or granted on the
/// guest's behalf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvsmMemory {
    ranges: [(u64, u64); SVSM_MEMORY_RANGES],
    len: usize,
}

impl SvsmMemory {
    /// `size` bytes at `base`; `None` if the range wraps.
    pub const fn new(base: GuestPhysAddr, size: u64) -> Option<Self> {
        match base.raw().checked_add(size) {
            Some(end) => {
                let mut ranges = [(0, 0); SVSM_MEMORY_RANGES];
                ranges[0] = (base.raw(), end);
                Some(Self { ranges, len: 1 })
            }
            None => None,
        }
    }

    /// The union of `ranges`; refused if there are more than
    /// [`SVSM_MEMORY_RANGES`] or one ends before it starts.
    pub fn from_ranges(ranges: &[Range<u64>]) -> Result<Self, LayoutError> {
        if ranges.len() > SVSM_MEMORY_RANGES || ranges.iter().any(|r| r.end < r.start) {
            return Err(LayoutError::SvsmMemory);
        }
        let mut out = [(0, 0); SVSM_MEMORY_RANGES];
        for (slot, r) in out.iter_mut().zip(ranges) {
            *slot = (r.start, r.end);
        }
        Ok(Self {
            ranges: out,
            len: ranges.len(),
        })
    }

    /// The ranges, in the order given.
    pub fn ranges(&self) -> impl Iterator<Item = Range<u64>> + '_ {
        self.ranges[..self.len]
            .iter()
            .map(|&(start, end)| start..end)
    }

    /// The largest range (the first of equal ones), or an empty one.
    pub fn largest(&self) -> Range<u64> {
        self.ranges()
            .reduce(|a, b| {
                if b.end - b.start > a.end - a.start {
                    b
                } else {
                    a
                }
            })
            .unwrap_or(0..0)
    }

    /// Whether any byte of `[gpa, gpa + len)` is SVSM memory (a range that
    /// wraps counts as overlapping).
    pub fn overlaps(&self, gpa: GuestPhysAddr, len: u64) -> bool {
        match gpa.raw().checked_add(len) {
            Some(end) => self.ranges().any(|r| gpa.raw() < r.end && end > r.start),
            None => true,
        }
    }
}

/// The VMPL the guest (Linux, OVMF) runs at under this SVSM. Linux reads it
/// from the SVSM area of its copy of the secrets page
/// ([`crate::secrets::fill_guest_copy`]); VMPL1 is the first one below the
/// SVSM's, as every SVSM and guest firmware in use assume.
pub const GUEST_VMPL: u8 = 1;

/// Why a [`GuestLayout`] is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// The guest would run at VMPL0 (the SVSM's: RMPADJUST cannot grant
    /// it anything, and its VMSAs would run beside the SVSM) or at no VMPL
    /// at all (above 3).
    GuestVmpl(u8),
    /// More ranges than [`SVSM_MEMORY_RANGES`], or one ending before it
    /// starts.
    SvsmMemory,
}

/// What the memory calls need to know about the guest: the SVSM's own memory
/// and the VMPL the guest runs at, both the kernel's (never the secrets
/// page's: the PSP leaves its SVSM area zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestLayout {
    svsm: SvsmMemory,
    guest_vmpl: u8,
}

impl GuestLayout {
    /// The layout of a guest at `guest_vmpl` (1..=3) beside `svsm`.
    pub const fn new(svsm: SvsmMemory, guest_vmpl: u8) -> Result<Self, LayoutError> {
        match guest_vmpl {
            1..=3 => Ok(Self { svsm, guest_vmpl }),
            _ => Err(LayoutError::GuestVmpl(guest_vmpl)),
        }
    }

    /// The SVSM's own memory.
    pub const fn svsm(&self) -> &SvsmMemory {
        &self.svsm
    }

    /// The guest's VMPL (never 0).
    pub const fn guest_vmpl(&self) -> u8 {
        self.guest_vmpl
    }
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
            .rmpadjust(gpa, size, self.layout.guest_vmpl(), perms, false)
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
        if self.layout.svsm().overlaps(gpa, size.bytes()) || !gpa.is_aligned(size.bytes()) {
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
