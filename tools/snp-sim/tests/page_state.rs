//! The SVSM's pages between private and shared against the simulated
//! hypervisor and RMP: the order (invalidate before sharing, validate and
//! zero after making private), 2 MiB pages and their 4 KiB fallback, and a
//! hypervisor that fails the change.

mod common;

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::platform::PageSize;
use svsm_snp::SnpPlatform;
use svsm_snp::ghcb::GhcbError;
use svsm_snp::page_state::{PageStateError, make_private, make_shared};
use svsm_snp_sim::SimHardware;
use svsm_snp_sim::rmp::RmpEntry;

const PAGE: u64 = 0x50_0000;
const HUGE: u64 = 0x60_0000;
const FRAMES: u64 = 512;

fn gpa(raw: u64) -> GuestPhysAddr {
    GuestPhysAddr::new(raw)
}

fn sim<R>(p: &SnpPlatform<SimHardware>, f: impl FnOnce(&mut svsm_snp_sim::Machine) -> R) -> R {
    p.hardware().with(f)
}

fn entry(p: &SnpPlatform<SimHardware>, page: u64) -> RmpEntry {
    p.hardware().rmp_entry(page)
}

fn private(p: &SnpPlatform<SimHardware>, page: u64, size: PageSize) -> Result<(), PageStateError> {
    make_private(p.hardware(), p.ghcb(), gpa(page), size)
}

fn shared(p: &SnpPlatform<SimHardware>, page: u64, size: PageSize) -> Result<(), PageStateError> {
    make_shared(p.hardware(), p.ghcb(), gpa(page), size)
}

fn is_private_validated(e: RmpEntry) -> bool {
    e.assigned && e.validated
}

fn assert_no_violations(p: &SnpPlatform<SimHardware>) {
    assert_eq!(p.hardware().violations(), []);
}

#[test]
fn a_4k_page_round_trip() {
    let p = common::platform();
    // What the frame held while it was the hypervisor's.
    sim(&p, |m| m.ram.poke(PAGE, &[0x77; 64]));
    private(&p, PAGE, PageSize::Size4K).unwrap();
    assert!(is_private_validated(entry(&p, PAGE)));
    let mut bytes = [1u8; 64];
    sim(&p, |m| m.ram.peek(PAGE, &mut bytes));
    assert_eq!(bytes, [0; 64], "made private, then zeroed");
    shared(&p, PAGE, PageSize::Size4K).unwrap();
    assert_eq!(entry(&p, PAGE), RmpEntry::default());
    // Misaligned: nothing asked of anyone.
    let exits = sim(&p, |m| m.exits);
    assert_eq!(
        private(&p, PAGE + 0x1000, PageSize::Size2M),
        Err(PageStateError::Pvalidate(
            svsm_protocol::platform::PvalidateFailure::Input
        ))
    );
    assert_eq!(sim(&p, |m| m.exits), exits);
    assert_no_violations(&p);
}

#[test]
fn a_2m_page_as_one_entry() {
    let p = common::platform();
    private(&p, HUGE, PageSize::Size2M).unwrap();
    for i in [0, 1, FRAMES - 1] {
        let e = entry(&p, HUGE + i * 4096);
        assert!(
            is_private_validated(e) && e.size == PageSize::Size2M,
            "frame {i}"
        );
    }
    shared(&p, HUGE, PageSize::Size2M).unwrap();
    assert!((0..FRAMES).all(|i| entry(&p, HUGE + i * 4096) == RmpEntry::default()));
    assert_no_violations(&p);
}

#[test]
fn a_2m_page_falls_back_to_4k_pages() {
    let p = common::platform();
    // The hypervisor backs the guest with 4 KiB pages only: the 2 MiB entry
    // is refused, the 512 pages go in three calls, and PVALIDATE of the
    // 2 MiB page answers FAIL_SIZEMISMATCH, so it runs per 4 KiB page.
    sim(&p, |m| m.hypervisor.misbehave.psc_refuse_2m = true);
    private(&p, HUGE, PageSize::Size2M).unwrap();
    for i in 0..FRAMES {
        let e = entry(&p, HUGE + i * 4096);
        assert!(
            is_private_validated(e) && e.size == PageSize::Size4K,
            "frame {i}"
        );
    }
    shared(&p, HUGE, PageSize::Size2M).unwrap();
    assert!((0..FRAMES).all(|i| entry(&p, HUGE + i * 4096) == RmpEntry::default()));
    assert_no_violations(&p);
}

#[test]
fn a_refused_change_is_rolled_back() {
    let p = common::platform();
    // Shared -> private refused: the page is shared as before.
    sim(&p, |m| m.hypervisor.misbehave.psc_fail_next = 1);
    assert_eq!(
        private(&p, PAGE, PageSize::Size4K),
        Err(PageStateError::Refused(GhcbError::Call(1)))
    );
    assert_eq!(entry(&p, PAGE), RmpEntry::default());

    // Private -> shared refused (after the SVSM invalidated it): private and
    // validated again.
    private(&p, PAGE, PageSize::Size4K).unwrap();
    sim(&p, |m| m.hypervisor.misbehave.psc_fail_next = 1);
    assert_eq!(
        shared(&p, PAGE, PageSize::Size4K),
        Err(PageStateError::Refused(GhcbError::Call(1)))
    );
    assert!(is_private_validated(entry(&p, PAGE)));
    // And it still works afterwards.
    shared(&p, PAGE, PageSize::Size4K).unwrap();
    assert_eq!(entry(&p, PAGE), RmpEntry::default());
    assert_no_violations(&p);
}

#[test]
fn a_hypervisor_that_refuses_the_rollback_too_loses_the_range_never_a_shared_validated_page() {
    let p = common::platform();
    private(&p, PAGE, PageSize::Size4K).unwrap();
    sim(&p, |m| m.hypervisor.misbehave.psc_error = Some(7));
    assert_eq!(
        shared(&p, PAGE, PageSize::Size4K),
        Err(PageStateError::Lost)
    );
    // The SVSM invalidated it and the hypervisor kept it: private, not
    // validated, so nothing can reach it.
    let e = entry(&p, PAGE);
    assert!(e.assigned && !e.validated, "{e:?}");

    assert_eq!(
        private(&p, HUGE, PageSize::Size2M),
        Err(PageStateError::Lost)
    );
    assert!((0..FRAMES).all(|i| !entry(&p, HUGE + i * 4096).validated));
    assert_no_violations(&p);
}
