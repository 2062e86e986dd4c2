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
use svsm_snp_sim::hypervisor::cert_table;
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
