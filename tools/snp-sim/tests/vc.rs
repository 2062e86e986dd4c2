//! The #VC handler's decode and answers.

mod common;

use svsm_snp::cpuid::MissingLeaf;
use svsm_snp::ghcb::{GhcbError, exit};
use svsm_snp::vc::{VcError, VcRegisters};

const PORTS: &[core::ops::RangeInclusive<u16>] = &[0x3f8..=0x3ff, 0xf4..=0xf4];

fn regs(rax: u64, rcx: u64, rdx: u64) -> VcRegisters {
    VcRegisters {
        rax,
        rbx: 0xbbbb,
        rcx,
        rdx,
        rip: 0x1000,
    }
}

#[test]
fn cpuid_is_answered_from_the_validated_page_only() {
    let platform = common::platform();
    let exits = platform.hardware().with(|m| m.exits);
    let mut r = regs(0x8000_001f, 0x55, 0);
    platform
        .handle_vc(PORTS, exit::CPUID, &[0x0f, 0xa2], &mut r)
        .unwrap();
    assert_eq!(
        (r.rax, r.rbx, r.rcx, r.rdx, r.rip),
        (0x0001_b59f, 0x0417_7b33, 0x1fd, 0, 0x1002)
    );
    // Subleaf-indexed leaves match ECX.
    let mut r = regs(0x7, 1, 0);
    platform
        .handle_vc(PORTS, exit::CPUID, &[0x0f, 0xa2], &mut r)
        .unwrap();
    assert_eq!(r.rax, 1);
    // The hypervisor was never asked.
    assert_eq!(platform.hardware().with(|m| m.exits), exits);
}

#[test]
fn a_leaf_missing_from_the_cpuid_page_is_fatal_and_not_forwarded() {
    let platform = common::platform();
    let exits = platform.hardware().with(|m| m.exits);
    let before = regs(0x8000_0008, 0, 0);
    let mut r = before;
    assert_eq!(
        platform.handle_vc(PORTS, exit::CPUID, &[0x0f, 0xa2], &mut r),
        Err(VcError::Cpuid(MissingLeaf {
            leaf: 0x8000_0008,
            subleaf: 0
        }))
    );
    assert_eq!(r, before);
    let mut r = regs(0x7, 2, 0);
    assert!(matches!(
        platform.handle_vc(PORTS, exit::CPUID, &[0x0f, 0xa2], &mut r),
        Err(VcError::Cpuid(_))
    ));
    assert_eq!(platform.hardware().with(|m| m.exits), exits);
}

#[test]
fn serial_port_io_goes_through_the_ghcb() {
    let platform = common::platform();
    // out dx, al
    let mut r = regs(0xffff_ff41, 0, 0x3f8);
    platform
        .handle_vc(PORTS, exit::IOIO, &[0xee], &mut r)
        .unwrap();
    assert_eq!(r.rip, 0x1001);
    // in al, dx merges into RAX.
    platform
        .hardware()
        .with(|m| m.hypervisor.io_inputs.insert(0x3fd, 0x20));
    let mut r = regs(0xaaaa_bbbb_cccc_dd00, 0, 0x3fd);
    platform
        .handle_vc(PORTS, exit::IOIO, &[0xec], &mut r)
        .unwrap();
    assert_eq!(r.rax, 0xaaaa_bbbb_cccc_dd20);
    // out 0xf4, eax (immediate port)
    let mut r = regs(0x31, 0, 0);
    platform
        .handle_vc(PORTS, exit::IOIO, &[0xe7, 0xf4], &mut r)
        .unwrap();
    assert_eq!(r.rip, 0x1002);
    // 0x66: out dx, ax
    let mut r = regs(0x1234, 0, 0x3f8);
    platform
        .handle_vc(PORTS, exit::IOIO, &[0x66, 0xef], &mut r)
        .unwrap();
    assert_eq!(r.rip, 0x1002);
    assert_eq!(
        platform.hardware().with(|m| m.hypervisor.io_writes.clone()),
        [(0x3f8, 0x41), (0xf4, 0x31), (0x3f8, 0x1234)]
    );
}

#[test]
fn io_to_other_ports_and_string_io_are_fatal() {
    let platform = common::platform();
    let mut r = regs(0, 0, 0x70);
    assert_eq!(
        platform.handle_vc(PORTS, exit::IOIO, &[0xee], &mut r),
        Err(VcError::Port(0x70))
    );
    // outsb
    assert_eq!(
        platform.handle_vc(PORTS, exit::IOIO, &[0x6e], &mut r),
        Err(VcError::Decode(exit::IOIO))
    );
    assert!(
        platform
            .hardware()
            .with(|m| m.hypervisor.io_writes.is_empty())
    );
}

#[test]
fn msr_and_tsc_instructions() {
    let platform = common::platform();
    let mut r = regs(0x9abc_def0, 0xc000_0100, 0x1234_5678);
    platform
        .handle_vc(PORTS, exit::MSR, &[0x0f, 0x30], &mut r)
        .unwrap();
    let mut r = regs(0, 0xc000_0100, 0);
    platform
        .handle_vc(PORTS, exit::MSR, &[0x0f, 0x32], &mut r)
        .unwrap();
    assert_eq!((r.rax, r.rdx, r.rip), (0x9abc_def0, 0x1234_5678, 0x1002));
    let mut r = regs(0, 0, 0);
    platform
        .handle_vc(PORTS, exit::RDTSC, &[0x0f, 0x31], &mut r)
        .unwrap();
    assert_eq!((r.rax, r.rip), (1000, 0x1002));
    platform
        .handle_vc(PORTS, exit::RDTSCP, &[0x0f, 0x01, 0xf9], &mut r)
        .unwrap();
    assert_eq!((r.rax, r.rcx, r.rip), (2000, 0, 0x1005));
}

#[test]
fn anything_else_is_fatal() {
    let platform = common::platform();
    let mut r = regs(0, 0, 0);
    // VMMCALL, MMIO (NPF): not served.
    assert_eq!(
        platform.handle_vc(PORTS, 0x81, &[0x0f, 0x01, 0xd9], &mut r),
        Err(VcError::Unsupported(0x81))
    );
    assert_eq!(
        platform.handle_vc(PORTS, 0x400, &[0x8b, 0x00], &mut r),
        Err(VcError::Unsupported(0x400))
    );
    // Instruction bytes that are not the exit's instruction.
    assert_eq!(
        platform.handle_vc(PORTS, exit::CPUID, &[0x0f, 0x31], &mut r),
        Err(VcError::Decode(exit::CPUID))
    );
    // A hypervisor that does not answer an MSR read.
    platform
        .hardware()
        .with(|m| m.hypervisor.misbehave.omit_valid_bits = true);
    assert!(matches!(
        platform.handle_vc(PORTS, exit::MSR, &[0x0f, 0x32], &mut r),
        Err(VcError::Ghcb(GhcbError::MissingOutput(_)))
    ));
    // Failed handling leaves the registers as they were.
    assert_eq!(r, regs(0, 0, 0));
}
