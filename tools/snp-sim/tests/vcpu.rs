//! CREATE_VCPU / DELETE_VCPU on SNP against the simulated RMP and
//! hypervisor: the VMSA checks, the VMSA bit, AP creation, and every refusal
//! leaving the page as the guest had it.

mod common;

use svsm_protocol::core_protocol as core_p;
use svsm_protocol::error::SvsmError;
use svsm_protocol::platform::{PageSize, Platform};
use svsm_protocol::{GuestPhysAddr, Registers, Svsm, code};
use svsm_snp::SnpPlatform;
use svsm_snp::hw::VmplPermissions;
use svsm_snp::vcpu::{SEV_FEATURE_SNP, VMSA_SEV_FEATURES, VMSA_VMPL};
use svsm_snp_sim::SimHardware;
use svsm_snp_sim::hypervisor::ApCreation;
use svsm_snp_sim::ram::SimGuestMemory;
use svsm_snp_sim::rmp::{PageOp, RmpEntry};

const GUEST_VMPL: u8 = common::SVSM.guest_vmpl;
const VMSA: u64 = 0x40_1000;
const CAA: u64 = 0x40_2000;
/// A 2 MiB-aligned page (the erratum).
const VMSA_2M: u64 = 0x60_0000;
const SVSM_PAGE: u64 = common::SVSM.base;

fn gpa(raw: u64) -> GuestPhysAddr {
    GuestPhysAddr::new(raw)
}

struct Guest {
    platform: SnpPlatform<SimHardware>,
}

impl Guest {
    /// A platform whose guest validated VMSA, CAA and VMSA_2M (through the
    /// SVSM's PVALIDATE) and wrote a VMSA for its own VMPL into VMSA.
    fn new() -> Self {
        let g = Self {
            platform: common::platform(),
        };
        for page in [VMSA, CAA, VMSA_2M] {
            g.sim(|m| m.rmp.update(gpa(page), PageSize::Size4K, true))
                .unwrap();
            g.platform
                .pvalidate(gpa(page), PageSize::Size4K, true)
                .unwrap();
        }
        g.write_vmsa(VMSA, GUEST_VMPL, SEV_FEATURE_SNP);
        g
    }

    fn sim<R>(&self, f: impl FnOnce(&mut svsm_snp_sim::Machine) -> R) -> R {
        self.platform.hardware().with(f)
    }

    fn write_vmsa(&self, page: u64, vmpl: u8, features: u64) {
        self.sim(|m| {
            m.ram.poke(page + VMSA_VMPL, &[vmpl]);
            m.ram
                .poke(page + VMSA_SEV_FEATURES, &features.to_le_bytes());
        });
    }

    fn entry(&self, page: u64) -> RmpEntry {
        self.platform.hardware().rmp_entry(page)
    }

    fn ap_creations(&self) -> Vec<ApCreation> {
        self.sim(|m| m.hypervisor.ap_creations.clone())
    }

    fn create(&self, vmsa: u64, caa: u64, apic_id: u32) -> Result<(), SvsmError> {
        self.platform.create_vcpu(gpa(vmsa), gpa(caa), apic_id)
    }

    /// The page is the guest's, as it validated it: every permission, no
    /// VMSA bit.
    fn assert_guests(&self, page: u64) {
        let e = self.entry(page);
        assert!(e.assigned && e.validated && !e.vmsa, "{page:#x}: {e:?}");
        assert_eq!(e.perms_of(GUEST_VMPL), VmplPermissions::ALL, "{page:#x}");
    }

    fn assert_no_violations(&self) {
        assert_eq!(self.platform.hardware().violations(), []);
        assert_eq!(self.platform.hardware().stale_uses(), []);
    }
}

#[test]
fn create_marks_the_vmsa_and_starts_it_delete_reverses_it() {
    let g = Guest::new();
    assert!(g.platform.capabilities().vcpu_management);
    g.create(VMSA, CAA, 5).unwrap();
    let e = g.entry(VMSA);
    assert!(e.vmsa && e.validated);
    assert_eq!(e.perms_of(GUEST_VMPL), VmplPermissions::NONE);
    assert_eq!(
        g.ap_creations(),
        [ApCreation {
            request: 1,
            vmpl: GUEST_VMPL,
            apic_id: 5,
            vmsa: gpa(VMSA),
            sev_features: SEV_FEATURE_SNP,
        }]
    );
    let vcpu = g.platform.vcpus().find(gpa(VMSA)).unwrap();
    assert_eq!((vcpu.caa, vcpu.apic_id), (gpa(CAA), 5));
    // The same page cannot serve twice.
    assert_eq!(g.create(VMSA, CAA, 6), Err(SvsmError::InvalidParameter));
    assert_eq!(g.ap_creations().len(), 1);

    g.platform.delete_vcpu(gpa(VMSA)).unwrap();
    let destroy = g.ap_creations()[1];
    assert_eq!(
        (destroy.request, destroy.apic_id, destroy.vmsa),
        (2, 5, gpa(VMSA))
    );
    g.assert_guests(VMSA);
    assert_eq!(g.platform.vcpus().find(gpa(VMSA)), None);
    assert_eq!(
        g.platform.delete_vcpu(gpa(VMSA)),
        Err(SvsmError::InvalidParameter)
    );
    g.assert_no_violations();
}

#[test]
fn a_2mib_aligned_vmsa_is_refused_untouched() {
    let g = Guest::new();
    g.write_vmsa(VMSA_2M, GUEST_VMPL, SEV_FEATURE_SNP);
    let before = g.entry(VMSA_2M);
    assert_eq!(g.create(VMSA_2M, CAA, 1), Err(SvsmError::InvalidParameter));
    assert_eq!(g.entry(VMSA_2M), before);
    assert!(g.ap_creations().is_empty());
    g.assert_no_violations();
}

#[test]
fn svsm_memory_is_never_a_vmsa_or_calling_area() {
    let g = Guest::new();
    g.sim(|m| {
        m.rmp
            .update(gpa(SVSM_PAGE + 0x1000), PageSize::Size4K, true)
    })
    .unwrap();
    for (vmsa, caa) in [(SVSM_PAGE + 0x1000, CAA), (VMSA, SVSM_PAGE)] {
        assert_eq!(g.create(vmsa, caa, 1), Err(SvsmError::InvalidAddress));
    }
    assert_eq!(
        g.entry(SVSM_PAGE + 0x1000).perms_of(GUEST_VMPL),
        VmplPermissions::NONE
    );
    g.assert_guests(VMSA);
    assert!(g.ap_creations().is_empty());

    // Through the protocol, the guest's memory does not even grant it.
    let mem = SimGuestMemory {
        hw: g.platform.hardware(),
        start: 0x20_0000,
        end: 0x300_0000,
        svsm: common::SVSM.base..common::SVSM.base + common::SVSM.size,
    };
    let mut svsm = Svsm::new(&g.platform, None, Vec::new());
    let mut regs = Registers {
        rax: u64::from(core_p::CREATE_VCPU),
        rcx: SVSM_PAGE + 0x1000,
        rdx: CAA,
        r8: 1,
        r9: 0,
    };
    svsm.handle(&mem, &mut regs);
    assert_eq!(regs.rax, code::INVALID_ADDRESS);
    // And a good one through the protocol is served.
    let mut regs = Registers {
        rax: u64::from(core_p::CREATE_VCPU),
        rcx: VMSA,
        rdx: CAA,
        r8: 9,
        r9: 0,
    };
    svsm.handle(&mem, &mut regs);
    assert_eq!(regs.rax, code::SUCCESS);
    assert!(g.entry(VMSA).vmsa);
    g.assert_no_violations();
}

#[test]
fn a_vmsa_for_another_vmpl_or_without_snp_is_refused_and_given_back() {
    for (vmpl, features) in [
        (0, SEV_FEATURE_SNP),
        (GUEST_VMPL + 1, SEV_FEATURE_SNP),
        (GUEST_VMPL, 0),
    ] {
        let g = Guest::new();
        g.write_vmsa(VMSA, vmpl, features);
        assert_eq!(
            g.create(VMSA, CAA, 1),
            Err(SvsmError::InvalidParameter),
            "vmpl {vmpl}, features {features:#x}"
        );
        g.assert_guests(VMSA);
        assert!(g.ap_creations().is_empty());
        g.assert_no_violations();
    }
}

#[test]
fn a_page_the_guest_does_not_own_validated_is_refused_unread() {
    let g = Guest::new();
    // Assigned but never validated: never read (that would be a #VC).
    let page = 0x40_5000;
    g.sim(|m| m.rmp.update(gpa(page), PageSize::Size4K, true))
        .unwrap();
    assert_eq!(g.create(page, CAA, 1), Err(SvsmError::InvalidParameter));
    let e = g.entry(page);
    assert!(e.assigned && !e.validated && !e.vmsa);
    assert_eq!(e.perms_of(GUEST_VMPL), VmplPermissions::NONE);
    // Shared (the hypervisor's).
    assert_eq!(
        g.create(0x40_6000, CAA, 1),
        Err(SvsmError::InvalidParameter)
    );
    assert_eq!(g.entry(0x40_6000), RmpEntry::default());
    assert!(g.ap_creations().is_empty());
    g.assert_no_violations();
}

#[test]
fn a_hypervisor_that_fails_ap_creation_leaves_the_page_the_guests() {
    let g = Guest::new();
    g.sim(|m| m.hypervisor.misbehave.exit_info1 = Some(2));
    assert_eq!(g.create(VMSA, CAA, 3), Err(SvsmError::InvalidRequest));
    g.assert_guests(VMSA);
    assert_eq!(g.platform.vcpus().find(gpa(VMSA)), None);
    // Once it behaves, the same page works; a failed destroy keeps the vCPU.
    g.sim(|m| m.hypervisor.misbehave.exit_info1 = None);
    g.create(VMSA, CAA, 3).unwrap();
    g.sim(|m| m.hypervisor.misbehave.exit_info1 = Some(2));
    assert_eq!(
        g.platform.delete_vcpu(gpa(VMSA)),
        Err(SvsmError::InvalidRequest)
    );
    assert!(g.entry(VMSA).vmsa);
    assert!(g.platform.vcpus().find(gpa(VMSA)).is_some());
    g.assert_no_violations();
}

#[test]
fn create_flushes_the_revocation_before_it_checks_or_reads_the_vmsa() {
    let g = Guest::new();
    g.sim(|m| m.rmp.ops.clear());
    g.create(VMSA, CAA, 1).unwrap();
    let ops = g.sim(|m| std::mem::take(&mut m.rmp.ops));
    let size = PageSize::Size4K;
    assert_eq!(
        ops[..3],
        [
            PageOp::Rmpadjust {
                gpa: gpa(VMSA),
                size,
                vmpl: GUEST_VMPL,
                perms: VmplPermissions::NONE,
                vmsa: false
            },
            PageOp::FlushTlb,
            PageOp::Pvalidate {
                gpa: gpa(VMSA),
                size,
                validate: true
            },
        ]
    );
    g.assert_no_violations();
}

#[test]
fn without_a_broadcast_tlb_flush_create_is_refused_and_the_page_given_back() {
    let g = Guest::new();
    g.sim(|m| m.rmp.no_broadcast_flush = true);
    assert_eq!(g.create(VMSA, CAA, 1), Err(SvsmError::InvalidRequest));
    g.assert_guests(VMSA);
    assert_eq!(g.ap_creations(), []);
    assert_eq!(g.platform.vcpus().find(gpa(VMSA)), None);
    g.assert_no_violations();
}
