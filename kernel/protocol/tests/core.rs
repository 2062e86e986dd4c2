//! The dispatcher, the Calling Area and every call of the Core protocol,
//! with their error paths.

mod common;

use common::*;
use svsm_protocol::core_protocol::{self as core_p, entry};
use svsm_protocol::error::code_name;
use svsm_protocol::platform::{PageSize, PvalidateFailure};
use svsm_protocol::{GuestPhysAddr, Registers, Served, code};

const CORE: u32 = core_p::PROTOCOL_ID;

#[test]
fn unknown_protocol_and_call() {
    let mem = FakeMemory::new();
    let crypto = SwitchableCrypto::new();
    let mut svsm = svsm(&NATIVE, Some(&crypto));
    assert_eq!(
        call(&mut svsm, &mem, 9, 0, [0; 4]).rax,
        code::UNSUPPORTED_PROTOCOL
    );
    assert_eq!(
        call(&mut svsm, &mem, 2, 0, [0; 4]).rax,
        code::UNSUPPORTED_PROTOCOL
    );
    assert_eq!(
        call(&mut svsm, &mem, CORE, 8, [0; 4]).rax,
        code::UNSUPPORTED_CALL
    );
    assert_eq!(
        call(&mut svsm, &mem, 1, 2, [0; 4]).rax,
        code::UNSUPPORTED_CALL
    );
    // Every register but RAX comes back unchanged on failure.
    let r = call(&mut svsm, &mem, CORE, 0xffff, [1, 2, 3, 4]);
    assert_eq!((r.rcx, r.rdx, r.r8, r.r9), (1, 2, 3, 4));
}

#[test]
fn calling_area_pending_and_cleared() {
    let mem = FakeMemory::new();
    let mut svsm = svsm(&NATIVE, None);
    let query = (u64::from(CORE) << 32) | u64::from(core_p::QUERY_PROTOCOL);
    let mut regs = Registers {
        rax: query,
        rcx: 1,
        ..Registers::default()
    };
    // No Calling Area yet.
    assert_eq!(svsm.serve(&mem, &mut regs), Ok(Served::NotPending));
    let caa = BASE + 0x1000;
    svsm.set_calling_area(GuestPhysAddr::new(caa));
    // Not pending: registers untouched.
    assert_eq!(svsm.serve(&mem, &mut regs), Ok(Served::NotPending));
    assert_eq!(regs.rax, query);
    mem.put(caa, &[1]);
    assert_eq!(svsm.serve(&mem, &mut regs), Ok(Served::Handled));
    assert_eq!(regs.rax, code::SUCCESS);
    assert_eq!(regs.rcx, (1 << 32) | 1);
    assert_eq!(mem.get(caa, 1), [0]);
    // A Calling Area the guest no longer owns is an error, not a crash.
    svsm.set_calling_area(GuestPhysAddr::new(HOLE));
    assert!(svsm.serve(&mem, &mut regs).is_err());
}

#[test]
fn remap_ca() {
    let mem = FakeMemory::new();
    let mut svsm = svsm(&NATIVE, None);
    let new = BASE + 0x3000;
    let r = call(&mut svsm, &mem, CORE, core_p::REMAP_CA, [new, 0, 0, 0]);
    assert_eq!(r.rax, code::SUCCESS);
    assert_eq!(svsm.calling_area(), Some(GuestPhysAddr::new(new)));
    for bad in [new + 8, HOLE, BASE + SIZE, 0, !0xfff] {
        let r = call(&mut svsm, &mem, CORE, core_p::REMAP_CA, [bad, 0, 0, 0]);
        assert_eq!(r.rax, code::INVALID_ADDRESS, "{bad:#x}");
    }
    assert_eq!(svsm.calling_area(), Some(GuestPhysAddr::new(new)));
}

/// Writes a PVALIDATE request at `at`; returns its GPA.
fn request(mem: &FakeMemory, at: u64, next: u16, entries: &[u64]) -> u64 {
    let mut header = Vec::new();
    header.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    header.extend_from_slice(&next.to_le_bytes());
    header.extend_from_slice(&[0; 4]);
    mem.put(at, &header);
    for (i, e) in entries.iter().enumerate() {
        mem.put_u64(at + 8 + 8 * i as u64, *e);
    }
    at
}

fn e4k(gpa: u64) -> u64 {
    gpa | entry::VALIDATE
}

const REQ: u64 = BASE + 0x5000;

fn pvalidate(svsm: &mut svsm_protocol::Svsm<'_>, mem: &FakeMemory, at: u64) -> u64 {
    call(svsm, mem, CORE, core_p::PVALIDATE, [at, 0, 0, 0]).rax
}

#[test]
fn pvalidate_success_advances_next() {
    let mem = FakeMemory::new();
    let platform = FakePlatform::default();
    let mut svsm = svsm(&platform, None);
    let entries = [
        e4k(BASE + 0x8000),
        0x40_0000 | entry::PAGE_SIZE_2M | entry::VALIDATE,
        BASE + 0x9000, // invalidate
    ];
    let at = request(&mem, REQ, 0, &entries);
    assert_eq!(pvalidate(&mut svsm, &mem, at), code::SUCCESS);
    assert_eq!(mem.get_u16(at + 2), 3);
    assert_eq!(
        *platform.validated.lock().unwrap(),
        [
            (BASE + 0x8000, PageSize::Size4K, true),
            (0x40_0000, PageSize::Size2M, true),
            (BASE + 0x9000, PageSize::Size4K, false),
        ]
    );
}

#[test]
fn pvalidate_resumes_from_next() {
    let mem = FakeMemory::new();
    let platform = FakePlatform::default();
    let mut svsm = svsm(&platform, None);
    let at = request(&mem, REQ, 1, &[e4k(BASE), e4k(BASE + 0x1000)]);
    assert_eq!(pvalidate(&mut svsm, &mem, at), code::SUCCESS);
    assert_eq!(platform.validated.lock().unwrap().len(), 1);
    assert_eq!(platform.validated.lock().unwrap()[0].0, BASE + 0x1000);
    // next == entries: nothing left to do.
    assert_eq!(pvalidate(&mut svsm, &mem, at), code::SUCCESS);
    assert_eq!(platform.validated.lock().unwrap().len(), 1);
}

#[test]
fn pvalidate_entry_errors_stop_at_the_entry() {
    let mem = FakeMemory::new();
    let bad_entries = [
        (e4k(BASE) | 2, code::INVALID_PARAMETER), // page size 2
        (e4k(BASE) | 3, code::INVALID_PARAMETER), // page size 3
        (e4k(BASE) | (1 << 4), code::INVALID_PARAMETER), // reserved bit 4
        (e4k(BASE) | (1 << 11), code::INVALID_PARAMETER), // reserved bit 11
        (
            (BASE + 0x1000) | entry::PAGE_SIZE_2M,
            code::INVALID_PARAMETER,
        ), // 2M misaligned
        (e4k(HOLE), code::INVALID_ADDRESS),       // not granted
        (e4k(BASE + SIZE), code::INVALID_ADDRESS), // out of range
        (e4k(0x20_0000_0000), code::INVALID_ADDRESS), // far out of range
        (0x60_0000 | entry::PAGE_SIZE_2M, code::INVALID_ADDRESS), // 2M past the end
        (!0xfff, code::INVALID_ADDRESS),          // highest GFN
    ];
    for (bad, want) in bad_entries {
        let platform = FakePlatform::default();
        let mut svsm = svsm(&platform, None);
        let at = request(&mem, REQ, 0, &[e4k(BASE), bad, e4k(BASE + 0x1000)]);
        let rax = pvalidate(&mut svsm, &mem, at);
        assert_eq!(rax, want, "entry {bad:#x}: {}", code_name(rax));
        assert_eq!(mem.get_u16(at + 2), 1, "next points at the failing entry");
        assert_eq!(platform.validated.lock().unwrap().len(), 1);
    }
}

#[test]
fn pvalidate_header_errors() {
    let mem = FakeMemory::new();
    let platform = FakePlatform::default();
    let mut svsm = svsm(&platform, None);
    // Misaligned, not granted, out of range.
    request(&mem, REQ, 0, &[e4k(BASE)]);
    for bad in [REQ + 4, HOLE, BASE + SIZE, 0, u64::MAX - 7] {
        assert_eq!(
            pvalidate(&mut svsm, &mem, bad),
            code::INVALID_ADDRESS,
            "{bad:#x}"
        );
    }
    // No entries; next beyond entries.
    let at = request(&mem, REQ, 0, &[]);
    assert_eq!(pvalidate(&mut svsm, &mem, at), code::INVALID_PARAMETER);
    let at = request(&mem, REQ, 3, &[e4k(BASE), e4k(BASE)]);
    assert_eq!(pvalidate(&mut svsm, &mem, at), code::INVALID_PARAMETER);
    // Entries running past the end of the page.
    let at = request(&mem, REQ + 0xff0, 0, &[e4k(BASE), e4k(BASE)]);
    assert_eq!(pvalidate(&mut svsm, &mem, at), code::INVALID_PARAMETER);
    // A count larger than a page can hold.
    let at = request(&mem, REQ, 0, &[]);
    mem.put(at, &600u16.to_le_bytes());
    assert_eq!(pvalidate(&mut svsm, &mem, at), code::INVALID_PARAMETER);
    assert!(platform.validated.lock().unwrap().is_empty());
}

#[test]
fn pvalidate_ignores_the_header_reserved_field() {
    // Linux leaves whatever its Calling Area held in these bytes.
    let mem = FakeMemory::new();
    let platform = FakePlatform::default();
    let mut svsm = svsm(&platform, None);
    for reserved in [1u32, 0x8000_0000, u32::MAX, 0x1234_5678] {
        platform.validated.lock().unwrap().clear();
        let at = request(&mem, REQ, 0, &[e4k(BASE), e4k(BASE + 0x1000)]);
        mem.put(at + 4, &reserved.to_le_bytes());
        assert_eq!(
            pvalidate(&mut svsm, &mem, at),
            code::SUCCESS,
            "{reserved:#x}"
        );
        assert_eq!(mem.get_u16(at + 2), 2);
        assert_eq!(platform.validated.lock().unwrap().len(), 2);
        // The field is left as the guest wrote it.
        assert_eq!(mem.get(at + 4, 4), reserved.to_le_bytes());
    }
}

#[test]
fn pvalidate_refuses_to_rescind_the_request_or_calling_area_page() {
    let mem = FakeMemory::new();
    let caa = BASE + 0x1000;
    let big = 0x40_0000; // a 2 MiB page of guest RAM
    // (request at, entry): the request's page, the Calling Area, and a 2 MiB
    // page holding either.
    let cases = [
        (REQ, REQ),
        (REQ + 0x100, REQ),
        (REQ, caa),
        (big + 0x5000, big | entry::PAGE_SIZE_2M),
        (REQ, big | entry::PAGE_SIZE_2M),
    ];
    for (at, bad) in cases {
        let platform = FakePlatform::default();
        let mut svsm = svsm(&platform, None);
        let own_caa = if bad & entry::PAGE_SIZE_2M != 0 && at == REQ {
            big + 0x1000
        } else {
            caa
        };
        svsm.set_calling_area(GuestPhysAddr::new(own_caa));
        let at = request(&mem, at, 0, &[e4k(BASE + 0x8000), bad, e4k(BASE + 0x9000)]);
        assert_eq!(
            pvalidate(&mut svsm, &mem, at),
            code::INVALID_PARAMETER,
            "entry {bad:#x} with the request at {at:#x}"
        );
        // Nothing was done for the entry, and `next` points at it.
        assert_eq!(mem.get_u16(at + 2), 1);
        assert_eq!(
            *platform.validated.lock().unwrap(),
            [(BASE + 0x8000, PageSize::Size4K, true)]
        );
    }
    // Validating those pages, or invalidating their neighbours, is served.
    let platform = FakePlatform::default();
    let mut svsm = svsm(&platform, None);
    svsm.set_calling_area(GuestPhysAddr::new(caa));
    let fine = [
        e4k(REQ),
        e4k(caa),
        REQ - 0x1000,
        REQ + 0x1000,
        caa - 0x1000,
        caa + 0x1000,
        big | entry::PAGE_SIZE_2M,
    ];
    let at = request(&mem, REQ, 0, &fine);
    assert_eq!(pvalidate(&mut svsm, &mem, at), code::SUCCESS);
    assert_eq!(mem.get_u16(at + 2), fine.len() as u16);
    assert_eq!(platform.validated.lock().unwrap().len(), fine.len());
}

#[test]
fn pvalidate_platform_failures() {
    let mem = FakeMemory::new();
    for (failure, want) in [
        (PvalidateFailure::Input, code::PVALIDATE_FAIL_INPUT),
        (
            PvalidateFailure::SizeMismatch,
            code::PVALIDATE_FAIL_SIZE_MISMATCH,
        ),
        (PvalidateFailure::NoChange, code::PVALIDATE_FAIL_NO_CHANGE),
    ] {
        let platform = FakePlatform {
            failures: vec![(BASE + 0x1000, failure)],
            ..FakePlatform::default()
        };
        let mut svsm = svsm(&platform, None);
        let at = request(
            &mem,
            REQ,
            0,
            &[e4k(BASE), e4k(BASE + 0x1000), e4k(BASE + 0x2000)],
        );
        assert_eq!(pvalidate(&mut svsm, &mem, at), want);
        assert_eq!(mem.get_u16(at + 2), 1);
        // Resuming after the guest fixed the failing entry.
        mem.put_u64(at + 16, e4k(BASE + 0x3000));
        assert_eq!(pvalidate(&mut svsm, &mem, at), code::SUCCESS);
        assert_eq!(mem.get_u16(at + 2), 3);
    }
    assert_eq!(code::PVALIDATE_FAIL_INPUT, 0x8000_1001);
    assert_eq!(code::PVALIDATE_FAIL_SIZE_MISMATCH, 0x8000_1006);
    assert_eq!(code::PVALIDATE_FAIL_NO_CHANGE, 0x8000_1010);
}

#[test]
fn pvalidate_ignores_no_change_when_asked() {
    let mem = FakeMemory::new();
    let platform = FakePlatform {
        failures: vec![(BASE + 0x1000, PvalidateFailure::NoChange)],
        ..FakePlatform::default()
    };
    let mut svsm = svsm(&platform, None);
    let entries = [e4k(BASE + 0x1000) | entry::IGNORE_NO_CHANGE, e4k(BASE)];
    let at = request(&mem, REQ, 0, &entries);
    assert_eq!(pvalidate(&mut svsm, &mem, at), code::SUCCESS);
    assert_eq!(mem.get_u16(at + 2), 2);
}

#[test]
fn pvalidate_on_native_is_a_checked_no_op() {
    let mem = FakeMemory::new();
    let mut svsm = svsm(&NATIVE, None);
    let at = request(&mem, REQ, 0, &[e4k(BASE), e4k(HOLE)]);
    assert_eq!(pvalidate(&mut svsm, &mem, at), code::INVALID_ADDRESS);
    assert_eq!(mem.get_u16(at + 2), 1);
}

#[test]
fn vcpu_calls() {
    let mem = FakeMemory::new();
    // Native: unsupported whatever the arguments.
    let mut native = svsm(&NATIVE, None);
    for id in [core_p::CREATE_VCPU, core_p::DELETE_VCPU] {
        for args in [[BASE, BASE + 0x1000, 1, 0], [1, 2, 3, 4]] {
            assert_eq!(
                call(&mut native, &mem, CORE, id, args).rax,
                code::UNSUPPORTED_CALL
            );
        }
    }
    // A platform that manages vCPUs: arguments are checked first.
    let platform = FakePlatform::default();
    let mut svsm = svsm(&platform, None);
    let (vmsa, caa) = (BASE + 0x6000, BASE + 0x7000);
    let create = |svsm: &mut svsm_protocol::Svsm<'_>, args| {
        call(svsm, &mem, CORE, core_p::CREATE_VCPU, args).rax
    };
    assert_eq!(
        create(&mut svsm, [vmsa + 8, caa, 1, 0]),
        code::INVALID_ADDRESS
    );
    assert_eq!(create(&mut svsm, [HOLE, caa, 1, 0]), code::INVALID_ADDRESS);
    assert_eq!(
        create(&mut svsm, [vmsa, caa + 1, 1, 0]),
        code::INVALID_ADDRESS
    );
    assert_eq!(
        create(&mut svsm, [vmsa, caa, 1 << 32, 0]),
        code::INVALID_PARAMETER
    );
    assert_eq!(create(&mut svsm, [vmsa, caa, 7, 0]), code::SUCCESS);
    assert_eq!(*platform.vcpus.lock().unwrap(), [(vmsa, caa, 7)]);
    let delete = |svsm: &mut svsm_protocol::Svsm<'_>, vmsa| {
        call(svsm, &mem, CORE, core_p::DELETE_VCPU, [vmsa, 0, 0, 0]).rax
    };
    assert_eq!(delete(&mut svsm, vmsa + 0x10), code::INVALID_ADDRESS);
    assert_eq!(delete(&mut svsm, vmsa), code::SUCCESS);
    assert_eq!(delete(&mut svsm, vmsa), code::INVALID_PARAMETER);
}

#[test]
fn memory_deposit_is_unsupported() {
    let mem = FakeMemory::new();
    let mut svsm = svsm(&NATIVE, None);
    for id in [core_p::DEPOSIT_MEM, core_p::WITHDRAW_MEM] {
        assert_eq!(
            call(&mut svsm, &mem, CORE, id, [BASE, 0, 0, 0]).rax,
            code::UNSUPPORTED_CALL
        );
    }
}

#[test]
fn query_protocol_reports_what_is_served() {
    let mem = FakeMemory::new();
    let crypto = SwitchableCrypto::new();
    let mut svsm = svsm(&NATIVE, Some(&crypto));
    let query = |svsm: &mut svsm_protocol::Svsm<'_>, protocol: u64, version: u64| {
        let r = call(
            svsm,
            &mem,
            CORE,
            core_p::QUERY_PROTOCOL,
            [protocol << 32 | version, 0, 0, 0],
        );
        assert_eq!(r.rax, code::SUCCESS);
        r.rcx
    };
    let v1 = (1 << 32) | 1;
    assert_eq!(query(&mut svsm, 0, 1), v1);
    assert_eq!(query(&mut svsm, 0, 0), 0);
    assert_eq!(query(&mut svsm, 0, 2), 0);
    assert_eq!(query(&mut svsm, 1, 1), v1);
    for unserved in [2, 3, 4, 0xffff_ffff] {
        assert_eq!(query(&mut svsm, unserved, 1), 0);
    }
    // Crypto in its error state: attestation is no longer offered.
    crypto.set_operational(false);
    assert_eq!(query(&mut svsm, 1, 1), 0);
    assert_eq!(query(&mut svsm, 0, 1), v1);
    let mut without = svsm_protocol::Svsm::new(&NATIVE, None, services());
    assert_eq!(query(&mut without, 1, 1), 0);
}

#[test]
fn configure_vtom() {
    let mem = FakeMemory::new();
    let mut svsm = svsm(&NATIVE, None);
    let r = call(&mut svsm, &mem, CORE, core_p::CONFIGURE_VTOM, [1, 0, 0, 0]);
    assert_eq!((r.rax, r.rcx), (code::SUCCESS, 0));
    let r = call(&mut svsm, &mem, CORE, core_p::CONFIGURE_VTOM, [3, 0, 0, 0]);
    assert_eq!(r.rax, code::INVALID_PARAMETER);
    let r = call(
        &mut svsm,
        &mem,
        CORE,
        core_p::CONFIGURE_VTOM,
        [0x1_0000_0000, 0, 0, 0],
    );
    assert_eq!(r.rax, code::INVALID_REQUEST);
}

#[test]
fn result_code_names() {
    assert_eq!(code_name(code::SUCCESS), "SUCCESS");
    assert_eq!(code_name(code::INVALID_ADDRESS), "INVALID_ADDRESS");
    assert_eq!(code_name(0x8000_1010), "PROTOCOL_ERROR(0x10)");
    assert_eq!(code_name(0x8000_1abc), "PROTOCOL_ERROR");
    assert_eq!(code_name(42), "UNKNOWN");
}
