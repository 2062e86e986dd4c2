//! The SVSM's own pages between private and shared, in the order SEV-SNP
//! requires, with validation.
//!
//! * private -> shared ([`make_shared`]): PVALIDATE(0) first, so the page is
//!   never validated while the hypervisor owns it, then the page state change
//!   (GHCB SNP_PAGE_STATE_CHANGE) to shared.
//! * shared -> private ([`make_private`]): the page state change to private
//!   first (the hypervisor assigns the page), then PVALIDATE(1), then zero it
//!   (its contents are whatever the frame held).
//!
//! A 2 MiB page goes as one entry and one PVALIDATE when it can: a hypervisor
//! that refuses the 2 MiB entry gets its 512 4 KiB pages instead, and a
//! PVALIDATE answering FAIL_SIZEMISMATCH (the RMP holds 4 KiB entries) is
//! repeated per 4 KiB page.
//!
//! The hypervisor is hostile: it may fail a page state change, or do part of
//! it and then fail. Every failure is rolled back to the state the range had
//! before the call ([`PageStateError::Refused`]); if the hypervisor refuses
//! the rollback too, the range is reported [`PageStateError::Lost`]: its
//! state is unknown, and the caller must never use it again, neither as
//! private memory (it may be shared: secrets would leak) nor as shared (it
//! may be private: the hypervisor would not see the data).

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::platform::{PageSize, PvalidateFailure};

use crate::calls::{PSC_MAX_ENTRIES, PscEntry};
use crate::ghcb::{Ghcb, GhcbError};
use crate::hw::{PvalidateOutcome, SnpHardware};
use crate::msr_protocol::PageState;
use crate::pvalidate::pages_4k;

/// Why a page state change did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageStateError {
    /// Misaligned, or PVALIDATE refused the page (not this guest's, or
    /// already in the other state): nothing changed.
    Pvalidate(PvalidateFailure),
    /// The hypervisor failed the page state change; the range is back in
    /// the state it had.
    Refused(GhcbError),
    /// The hypervisor failed, and failed the rollback: never use the range
    /// again.
    Lost,
}

/// The page state change of the whole page of `size` at `gpa`: one 2 MiB
/// entry first, its 4 KiB pages (in as many calls as the shared buffer needs)
/// if the hypervisor refuses that.
fn change<H: SnpHardware>(
    hw: &H,
    ghcb: &Ghcb,
    gpa: GuestPhysAddr,
    size: PageSize,
    state: PageState,
) -> Result<(), GhcbError> {
    let entry = |gpa, huge| PscEntry { gpa, huge, state };
    let huge = size == PageSize::Size2M;
    match ghcb.page_state_change(hw, &[entry(gpa, huge)]) {
        Err(_) if huge => {
            let mut batch = [entry(gpa, false); PSC_MAX_ENTRIES];
            let mut pages = pages_4k(gpa, size).peekable();
            while pages.peek().is_some() {
                let mut n = 0;
                for (slot, page) in batch.iter_mut().zip(pages.by_ref()) {
                    *slot = entry(page, false);
                    n += 1;
                }
                ghcb.page_state_change(hw, &batch[..n])?;
            }
            Ok(())
        }
        other => other,
    }
}

/// PVALIDATE of the page of `size` at `gpa` to `validate`, per 4 KiB page
/// when the RMP answers FAIL_SIZEMISMATCH. Pages already in that state are
/// fine. On failure, the pages it changed are changed back.
fn set_validated<H: SnpHardware>(
    hw: &H,
    gpa: GuestPhysAddr,
    size: PageSize,
    validate: bool,
) -> Result<(), PvalidateFailure> {
    match hw.pvalidate(gpa, size, validate) {
        Ok(_) => return Ok(()),
        Err(PvalidateFailure::SizeMismatch) if size == PageSize::Size2M => {}
        Err(failure) => return Err(failure),
    }
    let mut changed = 0;
    for page in pages_4k(gpa, size) {
        match hw.pvalidate(page, PageSize::Size4K, validate) {
            Ok(PvalidateOutcome::Changed) => changed += 1,
            Ok(PvalidateOutcome::Unchanged) => {}
            Err(failure) => {
                for done in pages_4k(gpa, size).take(changed) {
                    let _ = hw.pvalidate(done, PageSize::Size4K, !validate);
                }
                return Err(failure);
            }
        }
    }
    Ok(())
}

fn check_alignment(gpa: GuestPhysAddr, size: PageSize) -> Result<(), PageStateError> {
    if gpa.is_aligned(size.bytes()) {
        Ok(())
    } else {
        Err(PageStateError::Pvalidate(PvalidateFailure::Input))
    }
}

/// Makes the SVSM's private, validated page of `size` at `gpa` shared.
pub fn make_shared<H: SnpHardware>(
    hw: &H,
    ghcb: &Ghcb,
    gpa: GuestPhysAddr,
    size: PageSize,
) -> Result<(), PageStateError> {
    check_alignment(gpa, size)?;
    set_validated(hw, gpa, size, false).map_err(PageStateError::Pvalidate)?;
    if let Err(refused) = change(hw, ghcb, gpa, size, PageState::Shared) {
        // Whatever the hypervisor did, ask for the range private again and
        // validate it: then it is private and validated as it was (its
        // contents are not guaranteed: frames the hypervisor took are new).
        let restored = change(hw, ghcb, gpa, size, PageState::Private).is_ok()
            && set_validated(hw, gpa, size, true).is_ok();
        return Err(if restored {
            PageStateError::Refused(refused)
        } else {
            PageStateError::Lost
        });
    }
    Ok(())
}

/// Makes the shared page of `size` at `gpa` the SVSM's private, validated
/// and zeroed page.
pub fn make_private<H: SnpHardware>(
    hw: &H,
    ghcb: &Ghcb,
    gpa: GuestPhysAddr,
    size: PageSize,
) -> Result<(), PageStateError> {
    check_alignment(gpa, size)?;
    let back_to_shared = || match change(hw, ghcb, gpa, size, PageState::Shared) {
        Ok(()) => Ok(()),
        Err(_) => Err(PageStateError::Lost),
    };
    if let Err(refused) = change(hw, ghcb, gpa, size, PageState::Private) {
        back_to_shared()?;
        return Err(PageStateError::Refused(refused));
    }
    let validated = set_validated(hw, gpa, size, true)
        .and_then(|()| hw.zero_page(gpa, size).map_err(|_| PvalidateFailure::Input));
    if let Err(failure) = validated {
        let _ = set_validated(hw, gpa, size, false);
        back_to_shared()?;
        return Err(PageStateError::Pvalidate(failure));
    }
    Ok(())
}
