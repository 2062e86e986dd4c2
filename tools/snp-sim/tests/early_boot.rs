//! The SNP boot before the GHCB and the CPUID page are usable: CPUID through
//! the GHCB MSR protocol, the early #VC path, the C-bit and the page-table
//! entry addresses built from it, and the C-bit's confirmation against the
//! firmware-validated CPUID page.

use svsm_snp::cbit::{CBit, CBitError, CPUID_MEM_ENCRYPT, Visibility};
use svsm_snp::cpuid::{CpuidPage, CpuidResult, MissingLeaf};
use svsm_snp::ghcb::exit;
use svsm_snp::msr_protocol;
use svsm_snp::vc::{self, VcError, VcRegisters};
use svsm_snp_sim::{SimHardware, cpuid_page};

const CPUID: &[u8] = &[0x0f, 0xa2];

/// What the hypervisor of these tests answers for 0x8000_001F: as the CPUID
/// page of [`LEAVES`] (C-bit 51).
const MEM_ENCRYPT: [u32; 4] = [0x0001_b59f, 0x0417_7b33, 0x1fd, 0];

/// The firmware-validated CPUID page of these tests.
const LEAVES: &[((u32, u32), [u32; 4])] = &[
    ((0x0, 0), [0xd, 0x6874_7541, 0x444d_4163, 0x6974_6e65]),
    ((0x7, 0), [0, 0xf1bf_07ab, 0x0040_069c, 0x10]),
    ((CPUID_MEM_ENCRYPT, 0), MEM_ENCRYPT),
];

fn machine(mem_encrypt: [u32; 4]) -> SimHardware {
    let hw = SimHardware::new([7; 32]);
    hw.with(|m| {
        m.hypervisor.cpuid.insert(CPUID_MEM_ENCRYPT, mem_encrypt);
        m.hypervisor.cpuid.insert(0x7, [0x70, 0x71, 0x72, 0x73]);
    });
    hw
}

fn regs(rax: u64, rcx: u64) -> VcRegisters {
    VcRegisters {
        rax,
        rbx: 0xbbbb,
        rcx,
        rdx: 0xdddd,
        rip: 0x2000,
    }
}

fn validated_page() -> CpuidPage {
    CpuidPage::parse(&cpuid_page(LEAVES)).unwrap()
}

#[test]
fn msr_protocol_cpuid_asks_for_each_register() {
    let hw = machine(MEM_ENCRYPT);
    let exits = hw.with(|m| m.exits);
    let r = msr_protocol::cpuid(&hw, CPUID_MEM_ENCRYPT).unwrap();
    assert_eq!(
        r,
        CpuidResult {
            eax: 0x0001_b59f,
            ebx: 0x0417_7b33,
            ecx: 0x1fd,
            edx: 0
        }
    );
    assert_eq!(hw.with(|m| m.exits) - exits, 4);
}

#[test]
fn early_vc_answers_cpuid_through_the_msr_protocol() {
    let hw = machine(MEM_ENCRYPT);
    let mut r = regs(0x7, 0);
    vc::handle_early(&hw, None, exit::CPUID, CPUID, &mut r).unwrap();
    assert_eq!(
        (r.rax, r.rbx, r.rcx, r.rdx, r.rip),
        (0x70, 0x71, 0x72, 0x73, 0x2002)
    );
}

#[test]
fn early_vc_refuses_what_it_cannot_answer_and_leaves_registers_alone() {
    let hw = machine(MEM_ENCRYPT);
    let exits = hw.with(|m| m.exits);
    // The MSR protocol has no subleaf: an indexed leaf only for ECX = 0.
    let mut r = regs(0x7, 1);
    assert_eq!(
        vc::handle_early(&hw, None, exit::CPUID, CPUID, &mut r),
        Err(VcError::Cpuid(MissingLeaf {
            leaf: 7,
            subleaf: 1
        }))
    );
    assert_eq!(r, regs(0x7, 1));
    // No I/O (the console stays silent until the GHCB exists).
    let mut r = regs(0x41, 0);
    assert_eq!(
        vc::handle_early(&hw, None, exit::IOIO, &[0xee], &mut r),
        Err(VcError::Unsupported(exit::IOIO))
    );
    // Bytes that are not CPUID.
    assert_eq!(
        vc::handle_early(&hw, None, exit::CPUID, &[0x0f, 0x31], &mut r),
        Err(VcError::Decode(exit::CPUID))
    );
    assert_eq!(r, regs(0x41, 0));
    assert_eq!(hw.with(|m| m.exits), exits);
}

#[test]
fn early_vc_prefers_the_validated_page_and_asks_the_hypervisor_only_for_what_it_lacks() {
    let hw = machine(MEM_ENCRYPT);
    // The hypervisor would lie about leaf 0: the page answers.
    hw.with(|m| m.hypervisor.cpuid.insert(0, [1, 2, 3, 4]));
    let page = validated_page();
    let exits = hw.with(|m| m.exits);
    let mut r = regs(0, 0);
    vc::handle_early(&hw, Some(&page), exit::CPUID, CPUID, &mut r).unwrap();
    assert_eq!((r.rax, r.rbx, r.rip), (0xd, 0x6874_7541, 0x2002));
    assert_eq!(hw.with(|m| m.exits), exits);
    // A leaf the page lacks: the hypervisor's answer, four exits.
    hw.with(|m| m.hypervisor.cpuid.insert(0x8000_0007, [0, 0, 0, 1 << 8]));
    let mut r = regs(0x8000_0007, 0);
    vc::handle_early(&hw, Some(&page), exit::CPUID, CPUID, &mut r).unwrap();
    assert_eq!(r.rdx, 1 << 8);
    assert_eq!(hw.with(|m| m.exits), exits + 4);
    // A subleaf the page lacks cannot be asked for.
    let mut r = regs(0x7, 2);
    assert_eq!(
        vc::handle_early(&hw, Some(&page), exit::CPUID, CPUID, &mut r),
        Err(VcError::Cpuid(MissingLeaf {
            leaf: 7,
            subleaf: 2
        }))
    );
    assert_eq!(r, regs(0x7, 2));
}

#[test]
fn the_cbit_position_is_checked() {
    assert_eq!(CBit::from_cpuid_ebx(0x0417_7b33).unwrap().position(), 51);
    assert_eq!(CBit::from_cpuid_ebx(0x2f).unwrap().position(), 47);
    assert_eq!(CBit::from_cpuid_ebx(0x20).unwrap().position(), 32);
    for bad in [0, 12, 31, 52, 63] {
        assert_eq!(
            CBit::from_cpuid_ebx(bad),
            Err(CBitError::Position(bad as u8))
        );
    }
}

#[test]
fn entry_addresses_carry_the_cbit_only_when_private() {
    let c = CBit::from_cpuid_ebx(51).unwrap();
    let pa = 0x0012_3000;
    let private = c.entry_address(pa, Visibility::Private).unwrap();
    assert_eq!(private, pa | 1 << 51);
    assert_eq!(c.entry_address(pa, Visibility::Shared), Ok(pa));
    assert_eq!(c.strip(private), pa);
    assert_eq!(c.strip(pa), pa);
    // Not page aligned, or an address that already names the C-bit (an
    // alias of the other visibility) or lies beyond it.
    for bad in [pa + 8, pa | 1 << 51, 1 << 51, !0xfff] {
        assert_eq!(
            c.entry_address(bad, Visibility::Private),
            Err(CBitError::Address(bad))
        );
        assert_eq!(
            c.entry_address(bad, Visibility::Shared),
            Err(CBitError::Address(bad))
        );
    }
    let low = CBit::from_cpuid_ebx(47).unwrap();
    assert_eq!(
        low.entry_address(1 << 47, Visibility::Private),
        Err(CBitError::Address(1 << 47))
    );
    assert_eq!(
        low.entry_address((1 << 47) - 0x1000, Visibility::Private),
        Ok((1 << 48) - 0x1000)
    );
}

#[test]
fn the_early_cbit_is_confirmed_by_the_cpuid_page() {
    let hw = machine(MEM_ENCRYPT);
    let mut r = regs(u64::from(CPUID_MEM_ENCRYPT), 0);
    vc::handle_early(&hw, None, exit::CPUID, CPUID, &mut r).unwrap();
    let c = CBit::from_cpuid_ebx(r.rbx as u32).unwrap();
    assert_eq!(c.confirm(&validated_page()), Ok(()));
}

#[test]
fn a_hypervisor_lying_about_the_cbit_is_caught() {
    let mut lie = MEM_ENCRYPT;
    lie[1] = (lie[1] & !0x3f) | 47;
    let hw = machine(lie);
    let r = msr_protocol::cpuid(&hw, CPUID_MEM_ENCRYPT).unwrap();
    let c = CBit::from_cpuid_ebx(r.ebx).unwrap();
    assert_eq!(
        c.confirm(&validated_page()),
        Err(CBitError::Mismatch {
            in_use: 47,
            cpuid_page: 51
        })
    );
    let without_leaf = CpuidPage::parse(&cpuid_page(&LEAVES[..2])).unwrap();
    assert_eq!(
        c.confirm(&without_leaf),
        Err(CBitError::Missing(MissingLeaf {
            leaf: CPUID_MEM_ENCRYPT,
            subleaf: 0
        }))
    );
}
