//! The Attestation protocol: both calls, the services manifest, the
//! development report (checked independently with the RustCrypto crates),
//! buffer negotiation and every error path.

mod common;

use common::*;
use p384::ecdsa::signature::Verifier;
use sha2::{Digest, Sha512};
use svsm_protocol::attest::{self, AttestRequest, AttestSingleRequest};
use svsm_protocol::core_protocol;
use svsm_protocol::platform::native::{
    DEV_REPORT_MAGIC, DEV_REPORT_NOT_HARDWARE_ROOTED, DEV_REPORT_SIGNED_LEN, DEV_REPORT_SIZE,
    DevReport,
};
use svsm_protocol::{Svsm, code};
use zerocopy::{FromBytes, IntoBytes};

const ATTEST: u32 = attest::PROTOCOL_ID;
const OP: u64 = BASE + 0x1000;
const NONCE: u64 = BASE + 0x2000;
const MANIFEST: u64 = BASE + 0x3000;
const CERTS: u64 = BASE + 0x4000;
const REPORT: u64 = BASE + 0x5000;

fn nonce() -> [u8; 64] {
    core::array::from_fn(|i| i as u8 ^ 0xa5)
}

/// A request with every buffer large enough.
fn good_request() -> AttestRequest {
    AttestRequest {
        report_gpa: REPORT.into(),
        report_size: 4096.into(),
        nonce_gpa: NONCE.into(),
        nonce_size: 64.into(),
        manifest_gpa: MANIFEST.into(),
        manifest_size: 4096.into(),
        certs_gpa: CERTS.into(),
        certs_size: 4096.into(),
        ..AttestRequest::default()
    }
}

fn setup() -> FakeMemory {
    let mem = FakeMemory::new();
    mem.put(NONCE, &nonce());
    mem
}

fn services_call(
    svsm: &mut Svsm<'_>,
    mem: &FakeMemory,
    req: &AttestRequest,
) -> svsm_protocol::Registers {
    mem.put(OP, req.as_bytes());
    call(svsm, mem, ATTEST, attest::ATTEST_SERVICES, [OP, 0, 0, 0])
}

fn single_call(
    svsm: &mut Svsm<'_>,
    mem: &FakeMemory,
    req: &AttestSingleRequest,
) -> svsm_protocol::Registers {
    mem.put(OP, req.as_bytes());
    call(
        svsm,
        mem,
        ATTEST,
        attest::ATTEST_SINGLE_SERVICE,
        [OP, 0, 0, 0],
    )
}

/// Checks the report the way a relying party would, independently of the
/// module: layout, flags, REPORT_DATA and the signature.
fn check_report(mem: &FakeMemory, crypto: &SwitchableCrypto, manifest: &[u8]) {
    use svsm_protocol::crypto::AttestationCrypto;
    let bytes = mem.get(REPORT, DEV_REPORT_SIZE);
    let report = DevReport::read_from_bytes(&bytes).unwrap();
    assert_eq!(report.magic, DEV_REPORT_MAGIC);
    assert_eq!(report.version, 1);
    assert_ne!(report.flags & DEV_REPORT_NOT_HARDWARE_ROOTED, 0);
    assert_eq!(report.size as usize, DEV_REPORT_SIZE);
    assert_eq!(report.measurement, [0x5a; 32]);
    assert!(
        report
            .notice
            .starts_with(b"SVSM DEVELOPMENT REPORT: NOT HARDWARE-ROOTED")
    );
    let mut hasher = Sha512::new();
    hasher.update(nonce());
    hasher.update(manifest);
    assert_eq!(report.report_data[..], hasher.finalize()[..]);
    assert_eq!(report.public_key, crypto.signing_public_key());
    let mut sec1 = vec![4u8];
    sec1.extend_from_slice(&report.public_key);
    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).unwrap();
    let signature = p384::ecdsa::Signature::from_slice(&report.signature).unwrap();
    key.verify(&bytes[..DEV_REPORT_SIGNED_LEN], &signature)
        .expect("report signature verifies");
    // Tampering is detected.
    let mut tampered = bytes.clone();
    tampered[0x20] ^= 1;
    assert!(
        key.verify(&tampered[..DEV_REPORT_SIGNED_LEN], &signature)
            .is_err()
    );
}

/// Parses the services manifest: (guid, service manifest) pairs.
fn parse_manifest(bytes: &[u8]) -> Vec<([u8; 16], Vec<u8>)> {
    assert_eq!(bytes[..16], attest::SERVICES_MANIFEST_GUID);
    assert_eq!(
        attest::SERVICES_MANIFEST_GUID[..4],
        [0xbb, 0x9e, 0x84, 0x63],
        "GUID 63849ebb-... is little endian on the wire"
    );
    let size = u32::from_le_bytes(bytes[16..20].try_into().unwrap()) as usize;
    assert_eq!(size, bytes.len());
    let count = u32::from_le_bytes(bytes[20..24].try_into().unwrap()) as usize;
    (0..count)
        .map(|i| {
            let e = &bytes[24 + 24 * i..48 + 24 * i];
            let offset = u32::from_le_bytes(e[16..20].try_into().unwrap()) as usize;
            let len = u32::from_le_bytes(e[20..24].try_into().unwrap()) as usize;
            (
                e[..16].try_into().unwrap(),
                bytes[offset..offset + len].to_vec(),
            )
        })
        .collect()
}

#[test]
fn attest_services_produces_a_verifiable_report() {
    let mem = setup();
    let crypto = SwitchableCrypto::new();
    let mut svsm = svsm(&NATIVE, Some(&crypto));
    let r = services_call(&mut svsm, &mem, &good_request());
    assert_eq!(r.rax, code::SUCCESS);
    let manifest_len = 24 + 2 * 24 + b"build manifest".len() + b"other".len();
    assert_eq!(
        (r.rcx, r.rdx, r.r8),
        (manifest_len as u64, 0, DEV_REPORT_SIZE as u64)
    );
    let manifest = mem.get(MANIFEST, manifest_len);
    assert_eq!(
        parse_manifest(&manifest),
        [
            (BUILD_SERVICE_GUID, b"build manifest".to_vec()),
            (OTHER_SERVICE_GUID, b"other".to_vec())
        ]
    );
    check_report(&mem, &crypto, &manifest);
}

#[test]
fn attest_single_service() {
    let mem = setup();
    let crypto = SwitchableCrypto::new();
    let mut svsm = svsm(&NATIVE, Some(&crypto));
    let mut req = AttestSingleRequest {
        common: good_request(),
        service_guid: OTHER_SERVICE_GUID,
        ..AttestSingleRequest::default()
    };
    let r = single_call(&mut svsm, &mem, &req);
    assert_eq!(r.rax, code::SUCCESS);
    assert_eq!((r.rcx, r.rdx, r.r8), (5, 0, DEV_REPORT_SIZE as u64));
    assert_eq!(mem.get(MANIFEST, 5), b"other");
    check_report(&mem, &crypto, b"other");

    req.manifest_version = 1.into();
    assert_eq!(single_call(&mut svsm, &mem, &req).rax, code::SUCCESS);
    req.manifest_version = 2.into();
    assert_eq!(
        single_call(&mut svsm, &mem, &req).rax,
        code::INVALID_PARAMETER
    );
    req.manifest_version = 0.into();
    req.service_guid = [0x33; 16];
    assert_eq!(
        single_call(&mut svsm, &mem, &req).rax,
        code::INVALID_PARAMETER
    );
    req.service_guid = OTHER_SERVICE_GUID;
    req.reserved5[3] = 1;
    assert_eq!(
        single_call(&mut svsm, &mem, &req).rax,
        code::INVALID_PARAMETER
    );
    req.reserved5 = [0; 4];
    req.common.reserved2[0] = 1;
    assert_eq!(
        single_call(&mut svsm, &mem, &req).rax,
        code::INVALID_PARAMETER
    );
}

#[test]
fn too_small_buffers_return_the_sizes_needed() {
    let mem = setup();
    let crypto = SwitchableCrypto::new();
    let mut svsm = svsm(&NATIVE, Some(&crypto));
    for (manifest, report) in [
        (0, 4096),
        (4096, 0),
        (0, 0),
        (10, DEV_REPORT_SIZE as u32 - 1),
    ] {
        mem.put(MANIFEST, &[0xee; 16]);
        let req = AttestRequest {
            manifest_size: manifest.into(),
            report_size: report.into(),
            ..good_request()
        };
        let r = services_call(&mut svsm, &mem, &req);
        assert_eq!(r.rax, code::INVALID_PARAMETER);
        assert_eq!((r.rcx, r.rdx, r.r8), (91, 0, DEV_REPORT_SIZE as u64));
        assert_eq!(mem.get(MANIFEST, 16), [0xee; 16], "nothing written");
        // Retried with exactly the sizes returned.
        let retry = AttestRequest {
            manifest_size: (r.rcx as u32).into(),
            certs_size: (r.rdx as u32).into(),
            report_size: (r.r8 as u32).into(),
            ..req
        };
        assert_eq!(services_call(&mut svsm, &mem, &retry).rax, code::SUCCESS);
    }
}

#[test]
fn nonce_checks() {
    let mem = setup();
    let crypto = SwitchableCrypto::new();
    let mut svsm = svsm(&NATIVE, Some(&crypto));
    for size in [0u16, 32, 63, 65, 0xffff] {
        let req = AttestRequest {
            nonce_size: size.into(),
            ..good_request()
        };
        assert_eq!(
            services_call(&mut svsm, &mem, &req).rax,
            code::INVALID_PARAMETER
        );
    }
    // Crossing a page, not granted, out of range, wrapping.
    for gpa in [NONCE + 0xfc1, HOLE + 0x10, BASE + SIZE, u64::MAX - 10] {
        let req = AttestRequest {
            nonce_gpa: gpa.into(),
            ..good_request()
        };
        assert_eq!(
            services_call(&mut svsm, &mem, &req).rax,
            code::INVALID_ADDRESS,
            "{gpa:#x}"
        );
    }
    // Last 64 bytes of a page: fine.
    let req = AttestRequest {
        nonce_gpa: (NONCE + 0xfc0).into(),
        ..good_request()
    };
    assert_eq!(services_call(&mut svsm, &mem, &req).rax, code::SUCCESS);
}

#[test]
fn reserved_bytes_must_be_zero() {
    let mem = setup();
    let crypto = SwitchableCrypto::new();
    let mut svsm = svsm(&NATIVE, Some(&crypto));
    let good = good_request();
    let offsets = [12, 13, 14, 15, 26, 31, 44, 47, 60, 63];
    for at in offsets {
        let mut bytes = good.as_bytes().to_vec();
        bytes[at] = 0x80;
        let req = AttestRequest::read_from_bytes(&bytes).unwrap();
        assert_eq!(
            services_call(&mut svsm, &mem, &req).rax,
            code::INVALID_PARAMETER,
            "byte {at}"
        );
    }
}

#[test]
fn bad_addresses_write_nothing() {
    let mem = setup();
    let crypto = SwitchableCrypto::new();
    let mut svsm = svsm(&NATIVE, Some(&crypto));
    // The operation structure itself.
    for op in [HOLE, BASE + SIZE - 8, u64::MAX - 8] {
        let r = call(
            &mut svsm,
            &mem,
            ATTEST,
            attest::ATTEST_SERVICES,
            [op, 0, 0, 0],
        );
        assert_eq!(r.rax, code::INVALID_ADDRESS);
        let r = call(
            &mut svsm,
            &mem,
            ATTEST,
            attest::ATTEST_SINGLE_SERVICE,
            [op, 0, 0, 0],
        );
        assert_eq!(r.rax, code::INVALID_ADDRESS);
    }
    // Each output buffer.
    let bad = [
        AttestRequest {
            report_gpa: HOLE.into(),
            ..good_request()
        },
        AttestRequest {
            manifest_gpa: (BASE + SIZE - 8).into(),
            ..good_request()
        },
        AttestRequest {
            report_gpa: (u64::MAX - 100).into(),
            ..good_request()
        },
    ];
    for req in bad {
        mem.put(MANIFEST, &[0xee; 16]);
        mem.put(REPORT, &[0xee; 16]);
        assert_eq!(
            services_call(&mut svsm, &mem, &req).rax,
            code::INVALID_ADDRESS
        );
        assert_eq!(mem.get(MANIFEST, 16), [0xee; 16]);
        assert_eq!(mem.get(REPORT, 16), [0xee; 16]);
    }
    // Certificates: none on Native, so any address with size 0 is fine.
    let req = AttestRequest {
        certs_gpa: 0.into(),
        certs_size: 0.into(),
        ..good_request()
    };
    assert_eq!(services_call(&mut svsm, &mem, &req).rax, code::SUCCESS);
}

#[test]
fn refused_without_operational_crypto() {
    let mem = setup();
    let crypto = SwitchableCrypto::new();
    let mut svsm = svsm(&NATIVE, Some(&crypto));
    crypto.set_operational(false);
    assert_eq!(
        services_call(&mut svsm, &mem, &good_request()).rax,
        code::UNSUPPORTED_PROTOCOL
    );
    let single = AttestSingleRequest {
        common: good_request(),
        service_guid: BUILD_SERVICE_GUID,
        ..Default::default()
    };
    assert_eq!(
        single_call(&mut svsm, &mem, &single).rax,
        code::UNSUPPORTED_PROTOCOL
    );
    let query = call(
        &mut svsm,
        &mem,
        core_protocol::PROTOCOL_ID,
        core_protocol::QUERY_PROTOCOL,
        [1 << 32 | 1, 0, 0, 0],
    );
    assert_eq!((query.rax, query.rcx), (code::SUCCESS, 0));

    let mut none = Svsm::new(&NATIVE, None, services());
    assert_eq!(
        services_call(&mut none, &mem, &good_request()).rax,
        code::UNSUPPORTED_PROTOCOL
    );
}

#[test]
fn crypto_failure_during_a_call() {
    let mem = setup();
    let crypto = SwitchableCrypto::new();
    let mut svsm = svsm(&NATIVE, Some(&crypto));
    crypto.set_sign_fails(true);
    mem.put(REPORT, &[0xee; 16]);
    assert_eq!(
        services_call(&mut svsm, &mem, &good_request()).rax,
        code::ATTEST_CRYPTO_FAILURE
    );
    assert_eq!(mem.get(REPORT, 16), [0xee; 16]);
}

#[test]
fn empty_services_manifest() {
    let manifest = attest::services_manifest([].iter()).unwrap();
    assert_eq!(manifest.len(), 24);
    assert!(parse_manifest(&manifest).is_empty());
}

#[test]
fn native_report_needs_a_large_enough_buffer() {
    use svsm_protocol::error::SvsmError;
    use svsm_protocol::platform::Platform;
    let crypto = SwitchableCrypto::new();
    let mut short = [0u8; DEV_REPORT_SIZE - 1];
    assert_eq!(
        NATIVE.attestation_report(&crypto, &[0; 64], &mut short),
        Err(SvsmError::InvalidRequest)
    );
    assert!(NATIVE.certificates().is_empty());
    assert_eq!(NATIVE.report_size(), DEV_REPORT_SIZE);
}
