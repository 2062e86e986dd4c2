//! Validating the SVSM's own memory before its first use.
//!
//! The launch validates only the pages the firmware measured (the image).
//! The required-memory range the IGVM file declares after it is private but
//! not validated: the first access to a page of it would raise #VC
//! (page not validated), so the kernel validates the whole range before it
//! hands out its first frame, and before the GHCB exists (page tables are
//! allocated from it).
//!
//! Per page: PVALIDATE(1) of 2 MiB wherever the range holds a whole aligned
//! 2 MiB page, its 512 4 KiB pages when the instruction answers
//! FAIL_SIZEMISMATCH (the RMP or the nested tables hold it as 4 KiB
//! pages), 4 KiB pages elsewhere. A page already validated ("no change")
//! is fine: whoever validated it, it is private and the SVSM's now. Any
//! other failure stops: the memory cannot be trusted, and with no GHCB yet
//! the only report is the reason code of an MSR-protocol termination
//! ([`OwnMemoryError::termination_reason`]: [`svsm_reason::OWN_MEMORY`]).
//! Nothing outside the range is touched.

use core::ops::Range;

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::platform::{PageSize, PvalidateFailure};

use crate::hw::{PvalidateOutcome, SnpHardware};
use crate::msr_protocol::{TerminationReason, svsm_reason};
use crate::pvalidate::pages_4k;

/// What the validation did, for the boot log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Validated {
    /// 2 MiB pages validated by one PVALIDATE each.
    pub pages_2m: u64,
    /// 4 KiB pages validated one by one (ragged ends, size fallback).
    pub pages_4k: u64,
    /// PVALIDATEs (either size) that found the page validated already.
    pub unchanged: u64,
}

/// Why the SVSM's memory could not be validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnMemoryError {
    /// The range is empty, not page aligned, or wraps.
    Range { start: u64, end: u64 },
    /// PVALIDATE of this page failed.
    Pvalidate {
        gpa: GuestPhysAddr,
        size: PageSize,
        failure: PvalidateFailure,
    },
}

impl OwnMemoryError {
    /// The termination reason to give the hypervisor.
    pub fn termination_reason(&self) -> TerminationReason {
        TerminationReason::svsm(svsm_reason::OWN_MEMORY)
    }
}

impl core::fmt::Display for OwnMemoryError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Range { start, end } => {
                write!(
                    f,
                    "the SVSM's memory {start:#x}-{end:#x} is not a page range"
                )
            }
            Self::Pvalidate { gpa, size, failure } => write!(
                f,
                "PVALIDATE of the SVSM's page {:#x} ({size:?}) failed: {failure:?}",
                gpa.raw()
            ),
        }
    }
}

/// Validates one page; "no change" counts as done.
fn one<H: SnpHardware>(
    hw: &H,
    gpa: GuestPhysAddr,
    size: PageSize,
    done: &mut Validated,
) -> Result<(), PvalidateFailure> {
    match hw.pvalidate(gpa, size, true) {
        Ok(PvalidateOutcome::Changed) => {
            match size {
                PageSize::Size2M => done.pages_2m += 1,
                PageSize::Size4K => done.pages_4k += 1,
            }
            Ok(())
        }
        Ok(PvalidateOutcome::Unchanged) | Err(PvalidateFailure::NoChange) => {
            done.unchanged += 1;
            Ok(())
        }
        Err(failure) => Err(failure),
    }
}

/// Validates every page of `range` (guest-physical, 4 KiB aligned), in
/// address order; stops at the first page that fails.
pub fn validate<H: SnpHardware>(hw: &H, range: Range<u64>) -> Result<Validated, OwnMemoryError> {
    let small = PageSize::Size4K.bytes();
    let big = PageSize::Size2M.bytes();
    if range.start >= range.end
        || !range.start.is_multiple_of(small)
        || !range.end.is_multiple_of(small)
    {
        return Err(OwnMemoryError::Range {
            start: range.start,
            end: range.end,
        });
    }
    let mut done = Validated::default();
    let mut at = range.start;
    while at < range.end {
        let gpa = GuestPhysAddr::new(at);
        let size = if at.is_multiple_of(big) && range.end - at >= big {
            PageSize::Size2M
        } else {
            PageSize::Size4K
        };
        let fail = |gpa, size, failure| OwnMemoryError::Pvalidate { gpa, size, failure };
        match one(hw, gpa, size, &mut done) {
            Ok(()) => {}
            Err(PvalidateFailure::SizeMismatch) if size == PageSize::Size2M => {
                for page in pages_4k(gpa, size) {
                    one(hw, page, PageSize::Size4K, &mut done)
                        .map_err(|failure| fail(page, PageSize::Size4K, failure))?;
                }
            }
            Err(failure) => return Err(fail(gpa, size, failure)),
        }
        at += size.bytes();
    }
    Ok(done)
}
