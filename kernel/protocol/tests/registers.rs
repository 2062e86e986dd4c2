//! Registers that are not outputs of a call come back as the guest left them,
//! on success and on error (COCONUT-SVSM's behaviour, which Linux relies on):
//! one test per call of every protocol, each with a successful and a failing
//! case. Every argument register a call does not use carries a marker value,
//! so a register the SVSM cleared or overwrote shows.

mod common;

use common::*;
use svsm_protocol::attest::{self, AttestRequest, AttestSingleRequest};
use svsm_protocol::core_protocol::{self as core_p, entry};
use svsm_protocol::{Registers, Svsm, code};
use zerocopy::IntoBytes;

const CORE: u32 = core_p::PROTOCOL_ID;
const ATTEST: u32 = attest::PROTOCOL_ID;

/// Marker values for argument registers a call does not read.
const M_RDX: u64 = 0xd0d0_d0d0_0000_00d1;
const M_R8: u64 = 0x8888_8888_0000_0081;
const M_R9: u64 = 0x9999_9999_0000_0091;

/// Which of RCX, RDX, R8 a call writes.
#[derive(Clone, Copy)]
enum Writes {
    Nothing,
    Rcx(u64),
    All([u64; 3]),
}

use Writes::Nothing;

/// One call: its arguments, the result it must answer, what it writes.
type Case = ([u64; 4], u64, Writes);

/// Issues each call and checks RAX, the outputs, and that every other
/// register is the one the guest passed.
#[track_caller]
fn check(svsm: &mut Svsm<'_>, mem: &FakeMemory, (protocol, id): (u32, u32), cases: &[Case]) {
    for &(args, want, writes) in cases {
        let r: Registers = call(svsm, mem, protocol, id, args);
        assert_eq!(r.rax, want, "result of {protocol}:{id} {args:x?}");
        let expected = match writes {
            Writes::Nothing => [args[0], args[1], args[2]],
            Writes::Rcx(rcx) => [rcx, args[1], args[2]],
            Writes::All(out) => out,
        };
        assert_eq!(
            [r.rcx, r.rdx, r.r8, r.r9],
            [expected[0], expected[1], expected[2], args[3]],
            "registers after {protocol}:{id} {args:x?}"
        );
    }
}

#[test]
fn unknown_protocol_and_call() {
    let mem = FakeMemory::new();
    let mut svsm = svsm(&NATIVE, None);
    let args = [0x1234, M_RDX, M_R8, M_R9];
    for target in [(9, 0), (u32::MAX, 1), (CORE, 8), (CORE, u32::MAX)] {
        let want = if target.0 == CORE {
            code::UNSUPPORTED_CALL
        } else {
            code::UNSUPPORTED_PROTOCOL
        };
        check(&mut svsm, &mem, target, &[(args, want, Nothing)]);
    }
}

/// Arguments with `rcx` and markers in the other registers.
const fn with_rcx(rcx: u64) -> [u64; 4] {
    [rcx, M_RDX, M_R8, M_R9]
}

#[test]
fn remap_ca() {
    let mem = FakeMemory::new();
    let mut svsm = svsm(&NATIVE, None);
    let cases = [
        (with_rcx(BASE + 0x3000), code::SUCCESS, Nothing),
        (with_rcx(HOLE), code::INVALID_ADDRESS, Nothing),
    ];
    check(&mut svsm, &mem, (CORE, core_p::REMAP_CA), &cases);
}

#[test]
fn pvalidate() {
    let mem = FakeMemory::new();
    let platform = FakePlatform::default();
    let mut svsm = svsm(&platform, None);
    let target = (CORE, core_p::PVALIDATE);
    let at = BASE + 0x5000;
    mem.put(at, &[1, 0, 0, 0, 0, 0, 0, 0]);
    mem.put_u64(at + 8, (BASE + 0x8000) | entry::VALIDATE);
    check(
        &mut svsm,
        &mem,
        target,
        &[(with_rcx(at), code::SUCCESS, Nothing)],
    );
    // A failing entry, a misaligned request: errors, registers untouched.
    mem.put(at + 2, &[0, 0]);
    mem.put_u64(at + 8, HOLE | entry::VALIDATE);
    let cases = [
        (with_rcx(at), code::INVALID_ADDRESS, Nothing),
        (with_rcx(at + 4), code::INVALID_ADDRESS, Nothing),
    ];
    check(&mut svsm, &mem, target, &cases);
}

#[test]
fn create_vcpu() {
    let mem = FakeMemory::new();
    let platform = FakePlatform::default();
    let mut svsm = svsm(&platform, None);
    let target = (CORE, core_p::CREATE_VCPU);
    let ok = [BASE + 0x6000, BASE + 0x7000, 3, M_R9];
    let cases = [
        (ok, code::SUCCESS, Nothing),
        (
            [ok[0], ok[1], 1 << 40, M_R9],
            code::INVALID_PARAMETER,
            Nothing,
        ),
    ];
    check(&mut svsm, &mem, target, &cases);
    // Native: unsupported, registers untouched.
    let mut native = common::svsm(&NATIVE, None);
    check(
        &mut native,
        &mem,
        target,
        &[(ok, code::UNSUPPORTED_CALL, Nothing)],
    );
}

#[test]
fn delete_vcpu() {
    let mem = FakeMemory::new();
    let platform = FakePlatform::default();
    let mut svsm = svsm(&platform, None);
    let vmsa = BASE + 0x6000;
    call(
        &mut svsm,
        &mem,
        CORE,
        core_p::CREATE_VCPU,
        [vmsa, BASE + 0x7000, 3, 0],
    );
    let cases = [
        (with_rcx(vmsa), code::SUCCESS, Nothing),
        (with_rcx(vmsa), code::INVALID_PARAMETER, Nothing),
    ];
    check(&mut svsm, &mem, (CORE, core_p::DELETE_VCPU), &cases);
}

#[test]
fn deposit_and_withdraw_mem() {
    let mem = FakeMemory::new();
    let mut svsm = svsm(&NATIVE, None);
    for id in [core_p::DEPOSIT_MEM, core_p::WITHDRAW_MEM] {
        let cases = [(with_rcx(BASE), code::UNSUPPORTED_CALL, Nothing)];
        check(&mut svsm, &mem, (CORE, id), &cases);
    }
}

#[test]
fn query_protocol() {
    let mem = FakeMemory::new();
    let mut svsm = svsm(&NATIVE, None);
    // RCX is the only output, whether the protocol is offered or not.
    let cases = [
        (with_rcx(1), code::SUCCESS, Writes::Rcx((1 << 32) | 1)),
        (with_rcx((2 << 32) | 1), code::SUCCESS, Writes::Rcx(0)),
    ];
    check(&mut svsm, &mem, (CORE, core_p::QUERY_PROTOCOL), &cases);
}

#[test]
fn configure_vtom() {
    let mem = FakeMemory::new();
    let mut svsm = svsm(&NATIVE, None);
    let cases = [
        (with_rcx(1), code::SUCCESS, Writes::Rcx(0)),
        (with_rcx(3), code::INVALID_PARAMETER, Nothing),
        (with_rcx(1 << 40), code::INVALID_REQUEST, Nothing),
    ];
    check(&mut svsm, &mem, (CORE, core_p::CONFIGURE_VTOM), &cases);
}

const OP: u64 = BASE + 0x1000;
const NONCE: u64 = BASE + 0x2000;

/// An attestation request whose buffers each hold `size` bytes.
fn attest_request(size: u32) -> AttestRequest {
    AttestRequest {
        report_gpa: (BASE + 0x5000).into(),
        report_size: size.into(),
        nonce_gpa: NONCE.into(),
        nonce_size: 64.into(),
        manifest_gpa: (BASE + 0x3000).into(),
        manifest_size: size.into(),
        certs_gpa: (BASE + 0x4000).into(),
        certs_size: size.into(),
        ..AttestRequest::default()
    }
}

/// The sizes ATTEST_SERVICES reports (manifest, certificates, report), taken
/// from the buffer negotiation.
fn sizes(svsm: &mut Svsm<'_>, mem: &FakeMemory, id: u32) -> [u64; 3] {
    let r = call(svsm, mem, ATTEST, id, [OP, 0, 0, 0]);
    assert_eq!(r.rax, code::INVALID_PARAMETER);
    [r.rcx, r.rdx, r.r8]
}

/// Both attestation calls: outputs RCX, RDX, R8 on success and when buffers
/// are too small; nothing on any other error.
fn attest_call(id: u32, put_request: impl Fn(&FakeMemory, u32)) {
    let mem = FakeMemory::new();
    mem.put(NONCE, &[7; 64]);
    let crypto = SwitchableCrypto::new();
    let mut svsm = svsm(&NATIVE, Some(&crypto));
    let target = (ATTEST, id);
    let args = with_rcx(OP);
    put_request(&mem, 1);
    let needed = sizes(&mut svsm, &mem, id);
    let too_small = (args, code::INVALID_PARAMETER, Writes::All(needed));
    check(&mut svsm, &mem, target, &[too_small]);
    put_request(&mem, 4096);
    check(
        &mut svsm,
        &mem,
        target,
        &[(args, code::SUCCESS, Writes::All(needed))],
    );
    // A reserved byte set, an operation outside guest memory: errors
    // without outputs.
    mem.put(OP + 12, &[1]);
    let cases = [
        (args, code::INVALID_PARAMETER, Nothing),
        (with_rcx(HOLE), code::INVALID_ADDRESS, Nothing),
    ];
    check(&mut svsm, &mem, target, &cases);
    // Not offered: unsupported, registers untouched.
    crypto.set_operational(false);
    put_request(&mem, 4096);
    check(
        &mut svsm,
        &mem,
        target,
        &[(args, code::UNSUPPORTED_PROTOCOL, Nothing)],
    );
}

#[test]
fn attest_services() {
    attest_call(attest::ATTEST_SERVICES, |mem, size| {
        mem.put(OP, attest_request(size).as_bytes());
    });
}

#[test]
fn attest_single_service() {
    attest_call(attest::ATTEST_SINGLE_SERVICE, |mem, size| {
        let request = AttestSingleRequest {
            common: attest_request(size),
            service_guid: BUILD_SERVICE_GUID,
            manifest_version: 0.into(),
            ..AttestSingleRequest::default()
        };
        mem.put(OP, request.as_bytes());
    });
}
