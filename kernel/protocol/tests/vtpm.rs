//! The vTPM protocol (2): QUERY, CMD against the engine over the host module,
//! every hostile buffer, a backend that fails, and the vTPM service in
//! attestation (its EK bound to the report).

mod common;

use common::vtpm::*;
use common::*;
use sha2::{Digest, Sha256, Sha512};
use svsm_protocol::attest::{self, AttestRequest, AttestSingleRequest};
use svsm_protocol::core_protocol;
use svsm_protocol::platform::native::{DEV_REPORT_SIZE, DevReport};
use svsm_protocol::vtpm::{self, MAX_COMMAND, MAX_RESPONSE, SendCommandRequest, VtpmBackend};
use svsm_protocol::{Registers, Svsm, code};
use zerocopy::{FromBytes, IntoBytes};

const VTPM: u32 = vtpm::PROTOCOL_ID;
/// The command page (page aligned).
const PAGE: u64 = BASE + 0x6000;
/// Registers a call must hand back.
const MARK: [u64; 4] = [0, 0xd0d0_0000_00d1, 0x8888_0000_0081, 0x9999_0000_0091];

/// Writes a SEND_COMMAND request at `at` and calls SVSM_VTPM_CMD.
fn send_raw(
    svsm: &mut Svsm<'_>,
    mem: &FakeMemory,
    at: u64,
    platform_command: u32,
    locality: u8,
    size: u32,
    tpm: &[u8],
) -> Registers {
    let header = SendCommandRequest {
        command: platform_command.into(),
        locality,
        size: size.into(),
    };
    mem.put(at, header.as_bytes());
    mem.put(at + 9, tpm);
    call(
        svsm,
        mem,
        VTPM,
        vtpm::SVSM_VTPM_CMD,
        [at, MARK[1], MARK[2], MARK[3]],
    )
}

/// Sends a TPM command the way Linux does and returns the TPM response,
/// checking the protocol's side (SUCCESS, registers, response size).
fn send(svsm: &mut Svsm<'_>, mem: &FakeMemory, tpm: &[u8]) -> Vec<u8> {
    let r = send_raw(svsm, mem, PAGE, 8, 0, tpm.len() as u32, tpm);
    assert_eq!(r.rax, code::SUCCESS);
    assert_eq!(
        (r.rcx, r.rdx, r.r8, r.r9),
        (PAGE, MARK[1], MARK[2], MARK[3])
    );
    let size = u32::from_le_bytes(mem.get(PAGE, 4).try_into().unwrap()) as usize;
    assert!(size <= MAX_RESPONSE);
    let response = mem.get(PAGE + 4, size);
    let header_size = u32::from_be_bytes(response[2..6].try_into().unwrap()) as usize;
    assert_eq!(header_size, size, "the page's size is the TPM response's");
    response
}

fn query_protocol(svsm: &mut Svsm<'_>, mem: &FakeMemory) -> u64 {
    let r = call(
        svsm,
        mem,
        0,
        core_protocol::QUERY_PROTOCOL,
        [(u64::from(VTPM) << 32) | 1, 0, 0, 0],
    );
    assert_eq!(r.rax, code::SUCCESS);
    r.rcx
}

#[test]
fn offered_only_with_a_backend_and_the_module() {
    let f = Fixture::new();
    let mem = &f.mem;
    let mut without = svsm(&NATIVE, Some(&f.crypto));
    assert_eq!(query_protocol(&mut without, mem), 0);
    let r = call(&mut without, mem, VTPM, vtpm::SVSM_VTPM_QUERY, MARK);
    assert_eq!(r.rax, code::UNSUPPORTED_PROTOCOL);

    let mut svsm = f.svsm();
    assert_eq!(query_protocol(&mut svsm, mem), (1 << 32) | 1);
    assert!(svsm.offered().any(|p| p.id == VTPM));
    f.crypto.set_operational(false);
    assert_eq!(query_protocol(&mut svsm, mem), 0);
    let r = call(&mut svsm, mem, VTPM, vtpm::SVSM_VTPM_QUERY, MARK);
    assert_eq!(r.rax, code::UNSUPPORTED_PROTOCOL);
}

#[test]
fn query_reports_send_command_and_no_features() {
    let f = Fixture::new();
    let mem = &f.mem;
    let mut svsm = f.svsm();
    let r = call(&mut svsm, mem, VTPM, vtpm::SVSM_VTPM_QUERY, MARK);
    assert_eq!(r.rax, code::SUCCESS);
    assert_eq!((r.rcx, r.rdx), (1 << 8, 0));
    assert_eq!((r.r8, r.r9), (MARK[2], MARK[3]), "not outputs: unchanged");
    let r = call(&mut svsm, mem, VTPM, 2, MARK);
    assert_eq!(r.rax, code::UNSUPPORTED_CALL);
    assert_eq!((r.rcx, r.rdx, r.r8, r.r9), (0, MARK[1], MARK[2], MARK[3]));
}

#[test]
fn get_random_and_pcr_extend_read() {
    let f = Fixture::new();
    let mem = &f.mem;
    let mut svsm = f.svsm();

    let r = send(
        &mut svsm,
        mem,
        &tpm_command(TPM_ST_NO_SESSIONS, TPM_CC_GET_RANDOM, &[0, 32]),
    );
    assert_eq!(tpm_rc(&r), 0);
    assert_eq!(r.len(), 10 + 2 + 32);
    assert_eq!(&r[10..12], &[0, 32]);
    assert_ne!(&r[12..], &[0; 32]);

    // PCR_Extend(16, SHA-256 digest), then PCR_Read(16): SHA-256(0^32 || d).
    let digest: [u8; 32] = Sha256::digest(b"measured").into();
    let mut body = 16u32.to_be_bytes().to_vec();
    body.extend_from_slice(&password_session());
    body.extend_from_slice(&1u32.to_be_bytes());
    body.extend_from_slice(&TPM_ALG_SHA256.to_be_bytes());
    body.extend_from_slice(&digest);
    let r = send(
        &mut svsm,
        mem,
        &tpm_command(TPM_ST_SESSIONS, TPM_CC_PCR_EXTEND, &body),
    );
    assert_eq!(tpm_rc(&r), 0);
    let mut select = 1u32.to_be_bytes().to_vec();
    select.extend_from_slice(&TPM_ALG_SHA256.to_be_bytes());
    select.extend_from_slice(&[3, 0, 0, 1]);
    let r = send(
        &mut svsm,
        mem,
        &tpm_command(TPM_ST_NO_SESSIONS, TPM_CC_PCR_READ, &select),
    );
    assert_eq!(tpm_rc(&r), 0);
    let mut expected = Sha256::new();
    expected.update([0u8; 32]);
    expected.update(digest);
    // updateCounter(4), selection(4+2+1+3), count(4), size(2), digest.
    assert_eq!(&r[10 + 4 + 10 + 4..][..2], &[0, 32]);
    assert_eq!(r[10 + 4 + 10 + 4 + 2..], expected.finalize()[..]);
    assert!(f.backend.localities.lock().unwrap().iter().all(|&l| l == 0));
}

#[test]
fn any_alignment_and_the_largest_command() {
    let f = Fixture::new();
    let mem = &f.mem;
    let mut svsm = f.svsm();
    // A buffer that starts mid-page and spans two granted pages.
    let at = PAGE + 0x123;
    let get_random = tpm_command(TPM_ST_NO_SESSIONS, TPM_CC_GET_RANDOM, &[0, 8]);
    let r = send_raw(
        &mut svsm,
        mem,
        at,
        8,
        0,
        get_random.len() as u32,
        &get_random,
    );
    assert_eq!(r.rax, code::SUCCESS);
    assert_eq!(u32::from_le_bytes(mem.get(at, 4).try_into().unwrap()), 20);
    // MAX_COMMAND bytes fit the page: the TPM answers (with its own error
    // for an oversized command), the protocol succeeds.
    let mut big = tpm_command(TPM_ST_NO_SESSIONS, TPM_CC_GET_RANDOM, &[0, 8]);
    big.resize(MAX_COMMAND, 0);
    big[2..6].copy_from_slice(&(MAX_COMMAND as u32).to_be_bytes());
    let r = send_raw(&mut svsm, mem, PAGE, 8, 0, MAX_COMMAND as u32, &big);
    assert_eq!(r.rax, code::SUCCESS);
    let size = u32::from_le_bytes(mem.get(PAGE, 4).try_into().unwrap()) as usize;
    assert_eq!(size, 10);
    assert_ne!(tpm_rc(&mem.get(PAGE + 4, size)), 0);
}

/// A refused request leaves the page as the guest wrote it and the
/// registers as they were.
fn refused(svsm: &mut Svsm<'_>, mem: &FakeMemory, at: u64, cmd: u32, loc: u8, size: u32) -> u64 {
    let tpm = tpm_command(TPM_ST_NO_SESSIONS, TPM_CC_GET_RANDOM, &[0, 8]);
    let before = mem.get(PAGE, 0x2000);
    let r = send_raw(svsm, mem, at, cmd, loc, size, &tpm);
    let written = mem.get(PAGE, 0x2000);
    // Only the request the helper itself wrote differs from `before`.
    mem.put(PAGE, &before);
    let r2 = send_raw(svsm, mem, at, cmd, loc, size, &tpm);
    assert_eq!(mem.get(PAGE, 0x2000), written, "the page is not written");
    assert_eq!(r, r2);
    assert_eq!((r.rcx, r.rdx, r.r8, r.r9), (at, MARK[1], MARK[2], MARK[3]));
    r.rax
}

#[test]
fn hostile_requests_get_the_spec_codes() {
    let f = Fixture::new();
    let mem = &f.mem;
    let mut svsm = f.svsm();
    let beyond = MAX_COMMAND as u32 + 1;
    for (what, command, locality, size) in [
        ("command 7", 7, 0, 12),
        ("command 0", 0, 0, 12),
        ("locality 4", 8, 4, 12),
        ("locality 1", 8, 1, 12),
        ("size beyond the page", 8, 0, beyond),
        ("size 0xffffffff", 8, 0, u32::MAX),
    ] {
        let rax = refused(&mut svsm, mem, PAGE, command, locality, size);
        assert_eq!(rax, code::INVALID_PARAMETER, "{what}");
    }
    // Nothing reached the TPM.
    assert!(f.backend.localities.lock().unwrap().is_empty());

    let a = code::INVALID_ADDRESS;
    for (what, gpa) in [
        ("crosses into SVSM memory", HOLE - 0x800),
        ("inside SVSM memory", HOLE),
        ("the last page runs past guest RAM", BASE + SIZE - 0x800),
        ("below guest RAM", BASE - 0x1000),
        ("wraps", u64::MAX - 8),
    ] {
        let r = call(&mut svsm, mem, VTPM, vtpm::SVSM_VTPM_CMD, [gpa, 0, 0, 0]);
        assert_eq!(r.rax, a, "{what}");
    }
}

#[test]
fn a_truncated_tpm_command_gets_a_tpm_error() {
    let f = Fixture::new();
    let mem = &f.mem;
    let mut svsm = f.svsm();
    // The TPM header claims 12 bytes; only 11 are sent; then 4 (no header).
    let get_random = tpm_command(TPM_ST_NO_SESSIONS, TPM_CC_GET_RANDOM, &[0, 8]);
    for len in [11, 4, 0] {
        let r = send(&mut svsm, mem, &get_random[..len]);
        assert_eq!(r.len(), 10);
        assert_ne!(tpm_rc(&r), 0);
    }
    // The TPM still serves.
    let r = send(&mut svsm, mem, &get_random);
    assert_eq!(tpm_rc(&r), 0);
}

fn attest_request() -> AttestRequest {
    AttestRequest {
        report_gpa: (BASE + 0x5000).into(),
        report_size: 4096.into(),
        nonce_gpa: (BASE + 0x2000).into(),
        nonce_size: 64.into(),
        manifest_gpa: (BASE + 0x3000).into(),
        manifest_size: 4096.into(),
        certs_gpa: (BASE + 0x4000).into(),
        certs_size: 4096.into(),
        ..AttestRequest::default()
    }
}

/// Writes the attestation operation `op` and makes attestation call `which`.
fn attest_call(svsm: &mut Svsm<'_>, mem: &FakeMemory, which: u32, op: &[u8]) -> Registers {
    let at = BASE + 0x1000;
    mem.put(at, op);
    call(svsm, mem, attest::PROTOCOL_ID, which, [at, 0, 0, 0])
}

/// The services manifest the last successful ATTEST_SERVICES (`r`) wrote.
fn services_manifest(mem: &FakeMemory, r: &Registers) -> Vec<u8> {
    assert_eq!(r.rax, code::SUCCESS);
    mem.get(BASE + 0x3000, r.rcx as usize)
}

fn service_count(manifest: &[u8]) -> u32 {
    u32::from_le_bytes(manifest[20..24].try_into().unwrap())
}

/// REPORT_DATA of the report the last call wrote.
fn report_data(mem: &FakeMemory) -> [u8; 64] {
    let report = DevReport::read_from_bytes(&mem.get(BASE + 0x5000, DEV_REPORT_SIZE)).unwrap();
    report.report_data
}

fn expected_report_data(nonce: &[u8], manifest: &[u8]) -> [u8; 64] {
    let mut h = Sha512::new();
    h.update(nonce);
    h.update(manifest);
    h.finalize().into()
}

#[test]
fn the_ek_is_attested() {
    let f = Fixture::new();
    let mem = &f.mem;
    let nonce = [0x42u8; 64];
    mem.put(BASE + 0x2000, &nonce);
    let ek = f.backend.ek_public().unwrap().to_vec();
    assert_eq!(&ek[..2], &[0x00, 0x23], "an ECC public area");
    let mut svsm = f.svsm();

    // ATTEST_SERVICES lists the vTPM after the boot services.
    let services = attest::ATTEST_SERVICES;
    let r = attest_call(&mut svsm, mem, services, attest_request().as_bytes());
    let manifest = services_manifest(mem, &r);
    assert_eq!(service_count(&manifest), 3);
    let entry = &manifest[24 + 2 * 24..24 + 3 * 24];
    assert_eq!(
        entry[..16],
        [
            0xeb, 0xf1, 0x76, 0xc4, 0x23, 0x01, 0xa5, 0x45, 0x96, 0x41, 0xb4, 0xe7, 0xdd, 0x5b,
            0xfe, 0xe3
        ],
        "c476f1eb-0123-45a5-9641-b4e7dde5bfe3 in wire order"
    );
    let offset = u32::from_le_bytes(entry[16..20].try_into().unwrap()) as usize;
    let len = u32::from_le_bytes(entry[20..24].try_into().unwrap()) as usize;
    assert_eq!(manifest[offset..offset + len], ek[..]);
    assert_eq!(report_data(mem), expected_report_data(&nonce, &manifest));

    // ATTEST_SINGLE_SERVICE(vTPM): the manifest is the EK public area.
    let single = AttestSingleRequest {
        common: attest_request(),
        service_guid: vtpm::VTPM_SERVICE_GUID,
        ..AttestSingleRequest::default()
    };
    let one = attest::ATTEST_SINGLE_SERVICE;
    let r = attest_call(&mut svsm, mem, one, single.as_bytes());
    assert_eq!(r.rax, code::SUCCESS);
    assert_eq!(r.rcx as usize, ek.len());
    assert_eq!(mem.get(BASE + 0x3000, ek.len()), ek);
    assert_eq!(report_data(mem), expected_report_data(&nonce, &ek));

    // Without a vTPM the service is unknown.
    let mut plain = common::svsm(&NATIVE, Some(&f.crypto));
    let r = attest_call(&mut plain, mem, one, single.as_bytes());
    assert_eq!(r.rax, code::INVALID_PARAMETER);
}

#[test]
fn a_failed_backend_withdraws_the_protocol() {
    for behaviour in [Behaviour::Unavailable, Behaviour::Overlong] {
        let f = Fixture::new();
        let mem = &f.mem;
        let mut svsm = f.svsm();
        let get_random = tpm_command(TPM_ST_NO_SESSIONS, TPM_CC_GET_RANDOM, &[0, 8]);
        send(&mut svsm, mem, &get_random);

        f.backend.behave(behaviour);
        let size = get_random.len() as u32;
        let r = send_raw(&mut svsm, mem, PAGE, 8, 0, size, &get_random);
        assert_eq!(r.rax, code::UNSUPPORTED_PROTOCOL, "{behaviour:?}");
        assert_eq!(
            mem.get(PAGE, 4),
            8u32.to_le_bytes(),
            "{behaviour:?}: no response written"
        );
        // From then on, even when the backend would answer again.
        f.backend.behave(Behaviour::Serve);
        let r = send_raw(&mut svsm, mem, PAGE, 8, 0, size, &get_random);
        assert_eq!(r.rax, code::UNSUPPORTED_PROTOCOL);
        let r = call(&mut svsm, mem, VTPM, vtpm::SVSM_VTPM_QUERY, MARK);
        assert_eq!(r.rax, code::UNSUPPORTED_PROTOCOL);
        assert_eq!(query_protocol(&mut svsm, mem), 0);
        assert!(!svsm.offered().any(|p| p.id == VTPM));
        // The other protocols carry on; the vTPM leaves the manifest.
        mem.put(BASE + 0x2000, &[1; 64]);
        let request = attest_request();
        let r = attest_call(&mut svsm, mem, attest::ATTEST_SERVICES, request.as_bytes());
        assert_eq!(service_count(&services_manifest(mem, &r)), 2);
    }
}
