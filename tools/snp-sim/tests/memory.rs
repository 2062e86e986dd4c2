//! PVALIDATE on SNP through the whole path: the guest's request, the core
//! protocol, the SNP platform, the RMP of the simulated machine. Every test
//! also checks that the SVSM never touched a page it may not use (the RMP
//! model records such accesses).

mod common;

use svsm_protocol::core_protocol::{self as core_p, entry};
use svsm_protocol::platform::{PageSize, Platform, PvalidateFailure, native::Native};
use svsm_protocol::{GuestPhysAddr, Registers, Svsm, code};
use svsm_snp::SnpPlatform;
use svsm_snp::hw::VmplPermissions;
use svsm_snp_sim::SimHardware;
use svsm_snp_sim::ram::SimGuestMemory;
use svsm_snp_sim::rmp::RmpEntry;

/// Guest RAM, and the SVSM's own memory (the secrets page's) inside it.
const RAM: (u64, u64) = (0x20_0000, 0x300_0000);
const SVSM: (u64, u64) = (common::SVSM.base, common::SVSM.base + common::SVSM.size);
/// The VMPL the secrets page gives the guest.
const GUEST_VMPL: u8 = common::SVSM.guest_vmpl;
/// The guest's Calling Area and its request page, validated at launch.
const CAA: u64 = common::SVSM.caa;
const LIST: u64 = 0x21_0000;
/// Pages the guest asks to (in)validate.
const PAGE_A: u64 = 0x40_0000;
const PAGE_B: u64 = 0x40_1000;
/// A 2 MiB page.
const HUGE: u64 = 0x60_0000;
/// The 2 MiB page just below the SVSM: the guest's.
const BELOW_SVSM: u64 = SVSM.0 - 0x20_0000;

fn gpa(raw: u64) -> GuestPhysAddr {
    GuestPhysAddr::new(raw)
}

struct Machine {
    platform: SnpPlatform<SimHardware>,
}

impl Machine {
    fn new() -> Self {
        let machine = Self {
            platform: common::platform(),
        };
        // The launch: the Calling Area and the request page are private,
        // validated and the guest's.
        for page in [CAA, LIST] {
            machine.sim(|m| {
                m.rmp.update(gpa(page), PageSize::Size4K, true).unwrap();
                m.rmp.pvalidate(gpa(page), PageSize::Size4K, true).unwrap();
                m.rmp
                    .rmpadjust(
                        gpa(page),
                        PageSize::Size4K,
                        GUEST_VMPL,
                        VmplPermissions::ALL,
                        false,
                    )
                    .unwrap();
            });
        }
        machine
    }

    /// A machine whose guest has validated PAGE_A through the SVSM.
    fn with_page_a_validated() -> Self {
        let m = Self::new();
        m.assign(PAGE_A, PageSize::Size4K);
        assert_eq!(m.pvalidate(&[PAGE_A | entry::VALIDATE]), code::SUCCESS);
        m
    }

    fn hw(&self) -> &SimHardware {
        self.platform.hardware()
    }

    fn sim<R>(&self, f: impl FnOnce(&mut svsm_snp_sim::Machine) -> R) -> R {
        self.hw().with(f)
    }

    fn entry(&self, page: u64) -> RmpEntry {
        self.platform.hardware().rmp_entry(page)
    }

    fn mem(&self) -> SimGuestMemory<'_> {
        SimGuestMemory {
            hw: self.hw(),
            start: RAM.0,
            end: RAM.1,
            svsm: SVSM.0..SVSM.1,
        }
    }

    /// The hypervisor assigns a page to the guest (a page state change the
    /// guest asked it for).
    fn assign(&self, page: u64, size: PageSize) {
        self.sim(|m| m.rmp.update(gpa(page), size, true)).unwrap();
    }

    /// The guest writes its PVALIDATE list at LIST and calls; returns RAX.
    fn pvalidate(&self, entries: &[u64]) -> u64 {
        let mut list = Vec::new();
        list.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        list.extend_from_slice(&0u16.to_le_bytes());
        // Linux leaves whatever was there in the reserved field.
        list.extend_from_slice(&0xdead_beef_u32.to_le_bytes());
        for e in entries {
            list.extend_from_slice(&e.to_le_bytes());
        }
        self.sim(|m| m.ram.poke(LIST, &list));
        let mut svsm = Svsm::new(&self.platform, None, Vec::new());
        svsm.set_calling_area(gpa(CAA));
        let mut regs = Registers {
            rax: u64::from(core_p::PVALIDATE),
            rcx: LIST,
            ..Registers::default()
        };
        svsm.handle(&self.mem(), &mut regs);
        regs.rax
    }

    fn next(&self) -> u16 {
        let mut next = [0; 2];
        self.sim(|m| m.ram.peek(LIST + 2, &mut next));
        u16::from_le_bytes(next)
    }

    fn assert_no_violations(&self) {
        assert_eq!(self.platform.hardware().violations(), []);
        assert_eq!(self.platform.hardware().stale_uses(), []);
    }
}

fn guest_owned(entry: RmpEntry) -> bool {
    entry.assigned && entry.validated && entry.perms_of(GUEST_VMPL) == VmplPermissions::ALL
}

#[test]
fn validate_zeroes_and_grants_invalidate_revokes() {
    let m = Machine::new();
    m.assign(PAGE_A, PageSize::Size4K);
    m.assign(PAGE_B, PageSize::Size4K);
    // Whatever the frames held before.
    m.sim(|s| s.ram.poke(PAGE_A, &[0xa5; 4096]));
    m.sim(|s| s.ram.poke(PAGE_B + 100, &[0x5a; 8]));

    let validate = [PAGE_A | entry::VALIDATE, PAGE_B | entry::VALIDATE];
    assert_eq!(m.pvalidate(&validate), code::SUCCESS);
    assert_eq!(m.next(), 2);
    for page in [PAGE_A, PAGE_B] {
        assert!(guest_owned(m.entry(page)), "{page:#x}: {:?}", m.entry(page));
        let mut bytes = vec![1; 4096];
        m.sim(|s| s.ram.peek(page, &mut bytes));
        assert!(bytes.iter().all(|b| *b == 0), "{page:#x} was not zeroed");
    }
    // Validating again: no change, nothing zeroed.
    m.sim(|s| s.ram.poke(PAGE_A, &[7]));
    assert_eq!(m.pvalidate(&validate[..1]), code::PVALIDATE_FAIL_NO_CHANGE);
    assert_eq!(
        m.pvalidate(&[validate[0] | entry::IGNORE_NO_CHANGE]),
        code::SUCCESS
    );
    let mut first = [0];
    m.sim(|s| s.ram.peek(PAGE_A, &mut first));
    assert_eq!(first, [7]);

    assert_eq!(m.pvalidate(&[PAGE_A, PAGE_B]), code::SUCCESS);
    for page in [PAGE_A, PAGE_B] {
        let e = m.entry(page);
        assert!(e.assigned && !e.validated, "{page:#x}: {e:?}");
        assert_eq!(e.perms_of(GUEST_VMPL), VmplPermissions::NONE);
    }
    assert_eq!(m.pvalidate(&[PAGE_A]), code::PVALIDATE_FAIL_NO_CHANGE);
    m.assert_no_violations();
}

#[test]
fn a_page_the_hypervisor_did_not_assign_fails_input() {
    let m = Machine::new();
    assert_eq!(
        m.pvalidate(&[PAGE_A | entry::VALIDATE]),
        code::PVALIDATE_FAIL_INPUT
    );
    assert_eq!(m.next(), 0);
    assert_eq!(m.entry(PAGE_A), RmpEntry::default());
    m.assert_no_violations();
}

#[test]
fn two_mib_pages_and_their_4k_fallback() {
    let m = Machine::new();
    // The hypervisor backs the range with one 2 MiB RMP page.
    m.assign(HUGE, PageSize::Size2M);
    let huge = HUGE | entry::PAGE_SIZE_2M;
    assert_eq!(m.pvalidate(&[huge | entry::VALIDATE]), code::SUCCESS);
    let last = HUGE + 511 * 4096;
    assert!(guest_owned(m.entry(last)));
    assert_eq!(m.entry(last).size, PageSize::Size2M);
    assert_eq!(m.pvalidate(&[huge]), code::SUCCESS);
    assert!(!m.entry(last).validated);
    assert_eq!(m.entry(last).perms_of(GUEST_VMPL), VmplPermissions::NONE);

    // The same range backed by 4 KiB pages: the instruction answers
    // FAIL_SIZEMISMATCH and the SVSM serves the 512 pages one by one.
    let m = Machine::new();
    for i in 0..512 {
        m.assign(HUGE + i * 4096, PageSize::Size4K);
    }
    // One page the guest validated before: skipped, not zeroed again.
    m.sim(|s| s.rmp.pvalidate(gpa(HUGE + 0x3000), PageSize::Size4K, true))
        .unwrap();
    assert_eq!(m.pvalidate(&[huge | entry::VALIDATE]), code::SUCCESS);
    for i in 0..512 {
        let e = m.entry(HUGE + i * 4096);
        assert!(e.validated && e.size == PageSize::Size4K, "frame {i}");
    }
    assert!(guest_owned(m.entry(HUGE + 0x1000)));
    assert_eq!(
        m.pvalidate(&[huge | entry::VALIDATE]),
        code::PVALIDATE_FAIL_NO_CHANGE
    );
    assert_eq!(m.pvalidate(&[huge]), code::SUCCESS);
    assert!((0..512).all(|i| !m.entry(HUGE + i * 4096).validated));

    // A hole in the range (one frame still shared): the fallback stops there
    // with the instruction's code, the pages before it done; the guest
    // retries after fixing the hole and the done ones are skipped.
    let m = Machine::new();
    for i in (0..512).filter(|i| *i != 7) {
        m.assign(HUGE + i * 4096, PageSize::Size4K);
    }
    assert_eq!(
        m.pvalidate(&[huge | entry::VALIDATE]),
        code::PVALIDATE_FAIL_INPUT
    );
    assert!((0..7).all(|i| guest_owned(m.entry(HUGE + i * 4096))));
    assert!(!m.entry(HUGE + 8 * 4096).validated);
    m.assign(HUGE + 7 * 4096, PageSize::Size4K);
    assert_eq!(m.pvalidate(&[huge | entry::VALIDATE]), code::SUCCESS);
    assert!((0..512).all(|i| guest_owned(m.entry(HUGE + i * 4096))));
    m.assert_no_violations();
}

#[test]
fn svsm_memory_is_refused_and_never_touched() {
    let m = Machine::new();
    for page in [SVSM.0, SVSM.1 - 4096] {
        m.assign(page, PageSize::Size4K);
    }
    let before = [m.entry(SVSM.0), m.entry(SVSM.1 - 4096)];
    // A request or a Calling Area in SVSM memory: INVALID_ADDRESS.
    let mut svsm = Svsm::new(&m.platform, None, Vec::new());
    for (call, rcx) in [(core_p::PVALIDATE, SVSM.0), (core_p::REMAP_CA, SVSM.0)] {
        let mut regs = Registers {
            rax: u64::from(call),
            rcx,
            ..Registers::default()
        };
        svsm.handle(&m.mem(), &mut regs);
        assert_eq!(regs.rax, code::INVALID_ADDRESS, "call {call}");
    }
    // An entry in SVSM memory: INVALID_ADDRESS, `next` at the entry.
    for bad in [
        SVSM.0 | entry::VALIDATE,
        SVSM.0,
        (SVSM.1 - 4096) | entry::VALIDATE,
        BELOW_SVSM | entry::PAGE_SIZE_2M | entry::VALIDATE, // ends where the SVSM starts
    ] {
        let rax = m.pvalidate(&[bad]);
        if bad & entry::PAGE_SIZE_2M != 0 {
            // The 2 MiB page just below the SVSM is the guest's own.
            assert_ne!(rax, code::INVALID_ADDRESS, "{bad:#x}");
        } else {
            assert_eq!(rax, code::INVALID_ADDRESS, "{bad:#x}");
        }
    }
    assert_eq!(
        m.pvalidate(&[SVSM.0 | entry::PAGE_SIZE_2M | entry::VALIDATE]),
        code::INVALID_ADDRESS
    );
    // The platform's own check, whatever the caller: FAIL_INPUT.
    for (page, size) in [
        (SVSM.0, PageSize::Size4K),
        (SVSM.1 - 4096, PageSize::Size4K),
        (SVSM.0, PageSize::Size2M),
    ] {
        for validate in [true, false] {
            assert_eq!(
                m.platform.pvalidate(gpa(page), size, validate),
                Err(PvalidateFailure::Input)
            );
        }
    }
    assert_eq!([m.entry(SVSM.0), m.entry(SVSM.1 - 4096)], before);
    m.assert_no_violations();
}

#[test]
fn a_list_that_rescinds_its_own_page_is_refused_before_the_svsm_writes_into_it() {
    let m = Machine::new();
    m.assign(PAGE_A, PageSize::Size4K);
    // Entry 0 is served, entry 1 would invalidate the list's own page.
    assert_eq!(
        m.pvalidate(&[PAGE_A | entry::VALIDATE, LIST, PAGE_B]),
        code::INVALID_PARAMETER
    );
    assert_eq!(m.next(), 1);
    assert!(guest_owned(m.entry(PAGE_A)));
    assert!(
        guest_owned(m.entry(LIST)),
        "the list's page was not touched"
    );
    // The Calling Area likewise.
    assert_eq!(m.pvalidate(&[CAA]), code::INVALID_PARAMETER);
    assert!(guest_owned(m.entry(CAA)));
    m.assert_no_violations();

    // Had the SVSM invalidated the list's page and then written `next`, the
    // model would have recorded it: the same writes after a real
    // invalidation are violations.
    m.sim(|s| {
        s.rmp.pvalidate(gpa(LIST), PageSize::Size4K, false).unwrap();
        assert!(s.ram.write(&s.rmp, LIST + 2, &[2, 0]).is_err());
        assert_eq!(s.ram.violations.len(), 1);
    });
}

#[test]
fn the_protocol_crate_serves_both_platforms_the_same_way() {
    // The same request on Native is a checked no-op: only the platform
    // differs (the protocol crate has no SNP branch).
    let m = Machine::new();
    m.assign(PAGE_A, PageSize::Size4K);
    let native = Native::new([0; 32]);
    let mut svsm = Svsm::new(&native, None, Vec::new());
    m.sim(|s| {
        s.ram.poke(LIST, &[1, 0, 0, 0, 0, 0, 0, 0]);
        s.ram
            .poke(LIST + 8, &(PAGE_A | entry::VALIDATE).to_le_bytes());
    });
    let mut regs = Registers {
        rax: u64::from(core_p::PVALIDATE),
        rcx: LIST,
        ..Registers::default()
    };
    svsm.handle(&m.mem(), &mut regs);
    assert_eq!(regs.rax, code::SUCCESS);
    assert!(!m.entry(PAGE_A).validated, "Native does not touch the RMP");
    assert_eq!(m.pvalidate(&[PAGE_A | entry::VALIDATE]), code::SUCCESS);
    assert!(guest_owned(m.entry(PAGE_A)));
}

#[test]
fn the_order_revoke_before_invalidating_zero_before_granting() {
    use svsm_snp_sim::rmp::PageOp;
    let m = Machine::new();
    m.assign(PAGE_A, PageSize::Size4K);
    let size = PageSize::Size4K;
    let page = gpa(PAGE_A);
    let access = |perms| PageOp::Rmpadjust {
        gpa: page,
        size,
        vmpl: GUEST_VMPL,
        perms,
        vmsa: false,
    };
    let ops_of = |m: &Machine| {
        m.sim(|s| std::mem::take(&mut s.rmp.ops))
            .into_iter()
            .filter(|op| match op {
                PageOp::Pvalidate { gpa, .. }
                | PageOp::Rmpadjust { gpa, .. }
                | PageOp::Zero { gpa, .. } => *gpa == page,
                PageOp::FlushTlb => true,
            })
            .collect::<Vec<_>>()
    };
    m.sim(|s| s.rmp.ops.clear());
    assert_eq!(m.pvalidate(&[PAGE_A | entry::VALIDATE]), code::SUCCESS);
    assert_eq!(
        ops_of(&m),
        [
            PageOp::Pvalidate {
                gpa: page,
                size,
                validate: true
            },
            PageOp::Zero { gpa: page, size },
            access(VmplPermissions::ALL),
        ]
    );
    assert_eq!(m.pvalidate(&[PAGE_A]), code::SUCCESS);
    assert_eq!(
        ops_of(&m),
        [
            access(VmplPermissions::NONE),
            PageOp::FlushTlb,
            PageOp::Pvalidate {
                gpa: page,
                size,
                validate: false
            },
        ]
    );
    m.assert_no_violations();
}

#[test]
fn without_a_broadcast_tlb_flush_invalidation_fails_and_the_page_stays_the_guests() {
    let m = Machine::with_page_a_validated();
    m.sim(|s| s.rmp.no_broadcast_flush = true);
    assert_eq!(m.pvalidate(&[PAGE_A]), code::PVALIDATE_FAIL_INPUT);
    // Not invalidated while another vCPU may still reach it; given back.
    assert!(guest_owned(m.entry(PAGE_A)));
    m.sim(|s| s.rmp.no_broadcast_flush = false);
    assert_eq!(m.pvalidate(&[PAGE_A]), code::SUCCESS);
    assert!(!m.entry(PAGE_A).validated);
    m.assert_no_violations();
}

#[test]
fn the_model_catches_an_invalidation_before_the_flush() {
    // What the SVSM must never do, done by hand: revoke, then PVALIDATE(0)
    // with no flush in between.
    let m = Machine::with_page_a_validated();
    m.sim(|s| {
        let a = gpa(PAGE_A);
        let size = PageSize::Size4K;
        s.rmp
            .rmpadjust(a, size, GUEST_VMPL, VmplPermissions::NONE, false)
            .unwrap();
        s.rmp.pvalidate(a, size, false).unwrap();
    });
    assert_eq!(m.hw().stale_uses(), [gpa(PAGE_A)]);
}

#[test]
fn a_failed_grant_or_revoke_leaves_the_page_as_it_was() {
    use svsm_snp::hw::RmpadjustFailure;
    let m = Machine::new();
    m.assign(PAGE_A, PageSize::Size4K);
    // Validated, zeroed, then the grant fails: invalidated again, no access.
    m.sim(|s| s.rmp.fail_next_rmpadjust = Some(RmpadjustFailure::Input));
    assert_eq!(
        m.pvalidate(&[PAGE_A | entry::VALIDATE]),
        code::PVALIDATE_FAIL_INPUT
    );
    let e = m.entry(PAGE_A);
    assert!(e.assigned && !e.validated, "{e:?}");
    assert_eq!(e.perms_of(GUEST_VMPL), VmplPermissions::NONE);
    // Validated for real; then the revoke fails: not invalidated, the guest
    // keeps its page.
    assert_eq!(m.pvalidate(&[PAGE_A | entry::VALIDATE]), code::SUCCESS);
    m.sim(|s| s.rmp.fail_next_rmpadjust = Some(RmpadjustFailure::SizeMismatch));
    assert_eq!(m.pvalidate(&[PAGE_A]), code::PVALIDATE_FAIL_SIZE_MISMATCH);
    assert!(guest_owned(m.entry(PAGE_A)));
    m.assert_no_violations();
}
