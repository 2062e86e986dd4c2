//! Attestation on SNP through the whole simulated path: the SVSM protocol
//! call, the guest request sealed in the module, the hypervisor, the PSP;
//! the report parsed and verified with the `sev` crate against a VCEK
//! certificate from the hypervisor's certificate table.

mod common;

use std::str::FromStr;
use std::time::Duration;

use p384::ecdsa::DerSignature;
use sev::certs::snp::{Certificate, Verifiable};
use sev::firmware::guest::AttestationReport;
use sev::parser::ByteParser;
use svsm_protocol::crypto::{AttestationCrypto, ModuleCrypto};
use svsm_protocol::platform::Platform;
use svsm_snp::certs::{self, VCEK_GUID};
use svsm_snp::platform::SNP_REPORT_SIZE;
use svsm_snp_sim::SimHardware;
use svsm_snp_sim::hypervisor::cert_table;
use svsm_snp_sim::ram::SimGuestMemory;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::Encode;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

/// A self-signed certificate for the PSP's VCEK (what the KDS would issue
/// under the ASK, minus the chain).
fn vcek_certificate(vcek: &p384::ecdsa::SigningKey) -> Vec<u8> {
    let spki = SubjectPublicKeyInfoOwned::from_key(*vcek.verifying_key()).expect("spki");
    let builder = CertificateBuilder::new(
        Profile::Root,
        SerialNumber::from(1u32),
        Validity::from_now(Duration::from_secs(3600)).expect("validity"),
        Name::from_str("CN=SEV-VCEK,O=svsm-snp-sim").expect("name"),
        spki,
        vcek,
    )
    .expect("builder");
    builder
        .build::<DerSignature>()
        .expect("certificate")
        .to_der()
        .expect("der")
}

fn module_crypto() -> &'static ModuleCrypto {
    static CRYPTO: std::sync::OnceLock<ModuleCrypto> = std::sync::OnceLock::new();
    CRYPTO.get_or_init(|| ModuleCrypto::new(svsm_crypto::host::module()).expect("keygen"))
}

#[test]
fn report_verifies_with_the_sev_crate_against_the_vcek_certificate() {
    let platform = common::platform();
    let vcek_der = platform.hardware().with(|m| vcek_certificate(m.psp.vcek()));
    platform.hardware().with(|m| {
        m.hypervisor.certificates = cert_table(&[(VCEK_GUID, &vcek_der)]);
    });
    platform.fetch_certificates().expect("certificates");

    // The certificates the protocol hands out: the hypervisor's table.
    let table = platform.certificates();
    certs::table_len(table).expect("table");
    let entry = certs::entries(table)
        .find(|e| e.guid == VCEK_GUID)
        .expect("VCEK entry");
    let cert_der = &table[entry.offset..entry.offset + entry.len];
    assert_eq!(cert_der, vcek_der.as_slice());

    let nonce = [0x42u8; 64];
    let report_data = module_crypto().sha512(&[&nonce, b"manifest"]).unwrap();
    let mut out = vec![0u8; platform.report_size()];
    platform
        .attestation_report(module_crypto(), &report_data, &mut out)
        .expect("report");
    assert_eq!(out.len(), SNP_REPORT_SIZE);

    let report = AttestationReport::from_bytes(&out).expect("sev parses the report");
    assert_eq!(report.version, 3);
    assert_eq!(report.vmpl, 0);
    assert_eq!(report.report_data, report_data);
    assert_eq!(report.measurement, [0x4d; 48]);
    let vcek = Certificate::from_der(cert_der).expect("sev parses the certificate");
    (&vcek, &report).verify().expect("VCEK signs the report");

    // A report altered after signing does not verify.
    let mut tampered = out.clone();
    tampered[0x50] ^= 1;
    let tampered = AttestationReport::from_bytes(&tampered).unwrap();
    assert!((&vcek, &tampered).verify().is_err());
}

#[test]
fn sequence_numbers_advance_by_two_per_exchange() {
    let platform = common::platform();
    let crypto = module_crypto();
    let mut out = vec![0u8; SNP_REPORT_SIZE];
    for i in 0..3u8 {
        platform
            .attestation_report(crypto, &[i; 64], &mut out)
            .expect("report");
        assert_eq!(&out[0x50..0x90], &[i; 64]);
    }
    assert_eq!(platform.hardware().with(|m| m.psp.reports), 3);
    assert!(platform.guest_requests_enabled());
}

#[test]
fn without_certificates_from_the_hypervisor_the_chain_is_empty() {
    let platform = common::platform();
    assert_eq!(platform.certificates(), &[] as &[u8]);
    // The hypervisor has no table: the certificate buffer stays zero, an
    // empty table.
    assert_eq!(platform.fetch_certificates(), Ok(0));
    assert!(platform.certificates().is_empty());
    // Reports still work.
    let mut out = vec![0u8; SNP_REPORT_SIZE];
    platform
        .attestation_report(module_crypto(), &[1; 64], &mut out)
        .expect("report");
}

/// The SVSM attestation protocol's ATTEST_SERVICES call through the
/// dispatcher on the SNP platform: the guest's buffers receive the services
/// manifest, the hypervisor's certificate table and the PSP's report, whose
/// REPORT_DATA is SHA-512(nonce || manifest) and whose signature the `sev`
/// crate verifies with the VCEK certificate from that table.
#[test]
fn the_attestation_protocol_returns_the_psp_report_and_the_hypervisor_certificates() {
    use sha2::{Digest, Sha512};
    use svsm_protocol::platform::PageSize;
    use svsm_protocol::{GuestPhysAddr, Registers, Service, Svsm, code};

    const OP: u64 = 0x20_1000;
    const NONCE: u64 = 0x20_2000;
    const MANIFEST: u64 = 0x20_3000;
    const CERTS: u64 = 0x20_4000;
    const REPORT: u64 = 0x20_5000;

    let platform = common::platform();
    let hw: &SimHardware = platform.hardware();
    let vcek_der = hw.with(|m| vcek_certificate(m.psp.vcek()));
    hw.with(|m| m.hypervisor.certificates = cert_table(&[(VCEK_GUID, &vcek_der)]));
    platform.fetch_certificates().expect("certificates");

    // The guest's pages: private and validated.
    let nonce: [u8; 64] = core::array::from_fn(|i| (i as u8).wrapping_mul(7));
    let mut op = [0u8; 64];
    for (at, value) in [(0, REPORT), (16, NONCE), (32, MANIFEST), (48, CERTS)] {
        op[at..at + 8].copy_from_slice(&value.to_le_bytes());
    }
    op[8..12].copy_from_slice(&4096u32.to_le_bytes()); // report size
    op[24..26].copy_from_slice(&64u16.to_le_bytes()); // nonce size
    op[40..44].copy_from_slice(&4096u32.to_le_bytes()); // manifest size
    op[56..60].copy_from_slice(&4096u32.to_le_bytes()); // certs size
    hw.with(|m| {
        for page in [OP, NONCE, MANIFEST, CERTS, REPORT] {
            let gpa = GuestPhysAddr::new(page);
            m.rmp.update(gpa, PageSize::Size4K, true).unwrap();
            m.rmp.pvalidate(gpa, PageSize::Size4K, true).unwrap();
        }
        m.ram.poke(OP, &op);
        m.ram.poke(NONCE, &nonce);
    });
    let mem = SimGuestMemory {
        hw,
        start: 0x20_0000,
        end: 0x100_0000,
        svsm: common::SVSM.base..common::SVSM.base + common::SVSM.size,
    };
    let services = vec![Service {
        guid: [0x11; 16],
        manifest: b"svsm build".to_vec(),
    }];
    let mut svsm = Svsm::new(&platform, Some(module_crypto()), services);
    let mut regs = Registers {
        rax: u64::from(svsm_protocol::attest::PROTOCOL_ID) << 32
            | u64::from(svsm_protocol::attest::ATTEST_SERVICES),
        rcx: OP,
        ..Registers::default()
    };
    svsm.handle(&mem, &mut regs);
    assert_eq!(regs.rax, code::SUCCESS);
    let (manifest_len, certs_len, report_len) =
        (regs.rcx as usize, regs.rdx as usize, regs.r8 as usize);
    assert_eq!(report_len, SNP_REPORT_SIZE);
    assert_eq!(certs_len, platform.certificates().len());

    let mut manifest = vec![0u8; manifest_len];
    let mut table = vec![0u8; certs_len];
    let mut report = vec![0u8; report_len];
    hw.with(|m| {
        m.ram.peek(MANIFEST, &mut manifest);
        m.ram.peek(CERTS, &mut table);
        m.ram.peek(REPORT, &mut report);
        assert_eq!(m.ram.violations, []);
    });
    let report = AttestationReport::from_bytes(&report).expect("sev parses the report");
    let expected: [u8; 64] = Sha512::new()
        .chain_update(nonce)
        .chain_update(&manifest)
        .finalize()
        .into();
    assert_eq!(report.report_data, expected);
    let entry = certs::entries(&table)
        .find(|e| e.guid == VCEK_GUID)
        .expect("VCEK entry");
    let vcek = Certificate::from_der(&table[entry.offset..entry.offset + entry.len]).unwrap();
    (&vcek, &report).verify().expect("VCEK signs the report");
}
