//! The SVSM validating its own required-memory range before first use
//! (`svsm_snp::own_memory`) against the simulated RMP: every page ends
//! validated, 2 MiB pages where the RMP holds them, 4 KiB otherwise; pages
//! validated already are fine; a page that fails stops the validation there,
//! with the SVSM's OWN_MEMORY termination reason (the kernel hands it to the
//! hypervisor through the MSR protocol); nothing outside the range is
//! touched.

use std::ops::Range;

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::platform::{PageSize, PvalidateFailure};
use svsm_snp::msr_protocol::svsm_reason;
use svsm_snp::own_memory::{self, OwnMemoryError, Validated};
use svsm_snp_sim::SimHardware;
use svsm_snp_sim::rmp::PageOp;

const MIB: u64 = 1 << 20;
const PAGE: u64 = 4096;
/// The required range of an image ending below 6 MiB: 16 MiB from 6 MiB.
const REQUIRED: Range<u64> = 6 * MIB..22 * MIB;

fn gpa(raw: u64) -> GuestPhysAddr {
    GuestPhysAddr::new(raw)
}

/// A machine on which the hypervisor has made `range` private, in RMP pages
/// of `size` (what it does as the guest first touches required memory).
fn machine(range: Range<u64>, size: PageSize) -> SimHardware {
    let hw = fresh();
    assign(&hw, range, size);
    hw
}

/// A machine with no page operation recorded yet (its launch validated the
/// shared pages, at 1 MiB, below every range here).
fn fresh() -> SimHardware {
    let hw = SimHardware::new([0xa5; 32]);
    hw.with(|m| m.rmp.ops.clear());
    hw
}

fn assign(hw: &SimHardware, range: Range<u64>, size: PageSize) {
    hw.with(|m| {
        for page in range.step_by(size.bytes() as usize) {
            m.rmp.update(gpa(page), size, true).unwrap();
        }
    });
}

/// Validates `range` as the guest did before the SVSM ran (a loader, or a
/// boot that was retried).
fn prevalidate(hw: &SimHardware, range: Range<u64>, size: PageSize) {
    hw.with(|m| {
        for page in range.step_by(size.bytes() as usize) {
            m.rmp.pvalidate(gpa(page), size, true).unwrap();
        }
        m.rmp.ops.clear();
    });
}

fn all_validated(hw: &SimHardware, range: Range<u64>) -> bool {
    hw.with(|m| {
        range
            .step_by(PAGE as usize)
            .all(|page| m.rmp.entry(gpa(page)).validated)
    })
}

/// Every page operation so far: PVALIDATE(1) inside `range`, nothing else.
fn only_validations_inside(hw: &SimHardware, range: &Range<u64>) -> bool {
    hw.with(|m| {
        m.rmp.ops.iter().all(|op| match *op {
            PageOp::Pvalidate {
                gpa,
                size,
                validate,
            } => validate && range.start <= gpa.raw() && gpa.raw() + size.bytes() <= range.end,
            _ => false,
        })
    })
}

/// The reason the kernel gives the hypervisor when it stops on `err`.
fn reason(err: &OwnMemoryError) -> (u8, u8) {
    let reason = err.termination_reason();
    (reason.set, reason.code)
}

#[test]
fn a_range_held_in_2_mib_pages_is_validated_in_2_mib_pages() {
    let hw = machine(REQUIRED, PageSize::Size2M);
    let done = own_memory::validate(&hw, REQUIRED).unwrap();
    assert_eq!(
        done,
        Validated {
            pages_2m: 8,
            pages_4k: 0,
            unchanged: 0
        }
    );
    assert!(all_validated(&hw, REQUIRED));
    assert!(only_validations_inside(&hw, &REQUIRED));
    assert_eq!(hw.with(|m| m.rmp.ops.len()), 8);
}

#[test]
fn a_size_mismatch_falls_back_to_4_kib_pages() {
    let hw = machine(REQUIRED, PageSize::Size4K);
    let done = own_memory::validate(&hw, REQUIRED).unwrap();
    assert_eq!(done.pages_2m, 0);
    assert_eq!(done.pages_4k, (REQUIRED.end - REQUIRED.start) / PAGE);
    assert!(all_validated(&hw, REQUIRED));
    assert!(only_validations_inside(&hw, &REQUIRED));
    // One 2 MiB attempt per 2 MiB page, then its 512 pages.
    let attempts_2m = hw.with(|m| {
        m.rmp
            .ops
            .iter()
            .filter(|op| {
                matches!(
                    op,
                    PageOp::Pvalidate {
                        size: PageSize::Size2M,
                        ..
                    }
                )
            })
            .count()
    });
    assert_eq!(attempts_2m, 8);
}

#[test]
fn already_validated_pages_are_accepted() {
    // The first 2 MiB page in 4 KiB RMP pages, half of them validated; the
    // second a validated 2 MiB page; the rest plain 2 MiB pages.
    let hw = fresh();
    assign(
        &hw,
        REQUIRED.start..REQUIRED.start + 2 * MIB,
        PageSize::Size4K,
    );
    assign(
        &hw,
        REQUIRED.start + 2 * MIB..REQUIRED.end,
        PageSize::Size2M,
    );
    prevalidate(&hw, REQUIRED.start..REQUIRED.start + MIB, PageSize::Size4K);
    prevalidate(
        &hw,
        REQUIRED.start + 2 * MIB..REQUIRED.start + 4 * MIB,
        PageSize::Size2M,
    );
    let done = own_memory::validate(&hw, REQUIRED).unwrap();
    assert_eq!(
        done,
        Validated {
            pages_2m: 6,
            pages_4k: 256,
            unchanged: 257
        }
    );
    assert!(all_validated(&hw, REQUIRED));
    assert!(only_validations_inside(&hw, &REQUIRED));
}

#[test]
fn ragged_ends_use_4_kib_pages_and_stay_inside() {
    // Not 2 MiB aligned at either end: 4 KiB pages up to the first 2 MiB
    // boundary and after the last, the 2 MiB page between.
    let range = 2 * MIB - 2 * PAGE..4 * MIB + 3 * PAGE;
    let hw = fresh();
    assign(&hw, 2 * MIB - 4 * PAGE..2 * MIB, PageSize::Size4K);
    assign(&hw, 2 * MIB..4 * MIB, PageSize::Size2M);
    assign(&hw, 4 * MIB..4 * MIB + 4 * PAGE, PageSize::Size4K);
    let done = own_memory::validate(&hw, range.clone()).unwrap();
    assert_eq!(
        done,
        Validated {
            pages_2m: 1,
            pages_4k: 5,
            unchanged: 0
        }
    );
    assert!(all_validated(&hw, range.clone()));
    assert!(only_validations_inside(&hw, &range));
    // The neighbours stay as they were.
    hw.with(|m| {
        assert!(!m.rmp.entry(gpa(range.start - PAGE)).validated);
        assert!(!m.rmp.entry(gpa(range.end)).validated);
    });
}

#[test]
fn a_failing_page_stops_with_the_own_memory_reason() {
    // The hypervisor left one 4 KiB page of the third 2 MiB page shared.
    let bad = REQUIRED.start + 4 * MIB + 7 * PAGE;
    let hw = machine(REQUIRED, PageSize::Size4K);
    hw.with(|m| m.rmp.update(gpa(bad), PageSize::Size4K, false).unwrap());
    let err = own_memory::validate(&hw, REQUIRED).unwrap_err();
    assert_eq!(
        err,
        OwnMemoryError::Pvalidate {
            gpa: gpa(bad),
            size: PageSize::Size4K,
            failure: PvalidateFailure::Input
        }
    );
    assert_eq!(reason(&err), (1, svsm_reason::OWN_MEMORY));
    // It stopped there: the pages before it are validated, none after it
    // was asked for.
    assert!(all_validated(&hw, REQUIRED.start..bad));
    assert!(only_validations_inside(&hw, &REQUIRED));
    assert!(hw.with(|m| {
        m.rmp
            .ops
            .iter()
            .all(|op| matches!(op, PageOp::Pvalidate { gpa, .. } if gpa.raw() <= bad))
    }));
    assert!(!hw.with(|m| m.rmp.entry(gpa(bad + PAGE)).validated));
}

#[test]
fn a_failing_2_mib_page_stops_too() {
    // Nothing assigned: the first PVALIDATE fails (FAIL_INPUT in the model).
    let hw = fresh();
    let err = own_memory::validate(&hw, REQUIRED).unwrap_err();
    assert_eq!(
        err,
        OwnMemoryError::Pvalidate {
            gpa: gpa(REQUIRED.start),
            size: PageSize::Size2M,
            failure: PvalidateFailure::Input
        }
    );
    assert_eq!(hw.with(|m| m.rmp.ops.len()), 1);
    assert_eq!(reason(&err), (1, svsm_reason::OWN_MEMORY));
}

#[test]
fn a_range_that_is_not_pages_is_refused_before_any_instruction() {
    let hw = machine(REQUIRED, PageSize::Size2M);
    for range in [
        REQUIRED.start + 1..REQUIRED.end,
        REQUIRED.start..REQUIRED.end - 1,
        REQUIRED.start..REQUIRED.start,
        // Reversed.
        Range {
            start: REQUIRED.end,
            end: REQUIRED.start,
        },
    ] {
        let err = own_memory::validate(&hw, range.clone()).unwrap_err();
        assert_eq!(
            err,
            OwnMemoryError::Range {
                start: range.start,
                end: range.end
            }
        );
        assert_eq!(reason(&err), (1, svsm_reason::OWN_MEMORY));
    }
    assert!(hw.with(|m| m.rmp.ops.is_empty()));
}
