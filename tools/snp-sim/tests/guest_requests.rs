//! Guest requests against a hostile hypervisor and PSP: each case asserts
//! its outcome, and every response that fails the checks wipes VMPCK0.

mod common;

use svsm_crypto::Indicator;
use svsm_protocol::crypto::ModuleCrypto;
use svsm_protocol::error::SvsmError;
use svsm_protocol::platform::Platform;
use svsm_snp::boot;
use svsm_snp::ghcb::{Ghcb, GhcbError};
use svsm_snp::greq::{GuestRequestError, GuestRequester};
use svsm_snp::guest_msg::{self, MAX_PAYLOAD, MsgType, REPORT_RESPONSE_SIZE};
use svsm_snp::platform::{CertificatesError, SNP_REPORT_SIZE};
use svsm_snp::secrets::{self, SecretsError, VMPCK_OFFSET};
use svsm_snp_sim::psp::{FW_BAD_SEQNO, PspBehaviour};
use svsm_snp_sim::{CERTS_PAGES, SimHardware, secrets_page};

fn crypto() -> &'static ModuleCrypto {
    static CRYPTO: std::sync::OnceLock<ModuleCrypto> = std::sync::OnceLock::new();
    CRYPTO.get_or_init(|| ModuleCrypto::new(svsm_crypto::host::module()).expect("keygen"))
}

/// A requester over a fresh machine.
fn requester() -> (SimHardware, Ghcb, GuestRequester) {
    let hw = SimHardware::new(common::VMPCK0);
    boot::establish_ghcb(&hw).expect("handshake");
    let key = svsm_crypto::host::module()
        .aes_gcm_key(&common::VMPCK0)
        .expect("key");
    (hw, Ghcb::new(), GuestRequester::new(key))
}

fn report_request(
    hw: &SimHardware,
    ghcb: &Ghcb,
    req: &mut GuestRequester,
) -> Result<svsm_snp::greq::Exchange, GuestRequestError> {
    let mut response = [0u8; REPORT_RESPONSE_SIZE];
    req.request(
        hw,
        ghcb,
        MsgType::ReportRequest,
        &guest_msg::report_request(&[7; 64], 0),
        &mut response,
        false,
    )
}

#[test]
fn an_honest_exchange_labels_the_caller_iv_seal_non_approved() {
    let (hw, ghcb, mut req) = requester();
    let exchange = report_request(&hw, &ghcb, &mut req).expect("exchange");
    assert_eq!(exchange.len, REPORT_RESPONSE_SIZE);
    assert_eq!(exchange.seal_indicator, Indicator::NonApproved);
    assert_eq!(exchange.open_indicator, Indicator::Approved);
    assert_eq!(req.next_seqno(), 3);
}

#[test]
fn a_forged_response_wipes_vmpck0() {
    let (hw, ghcb, mut req) = requester();
    hw.with(|m| m.psp.behaviour = PspBehaviour::ForgeTag);
    assert_eq!(
        report_request(&hw, &ghcb, &mut req),
        Err(GuestRequestError::Authentication)
    );
    assert!(!req.is_enabled());
    // Nothing reaches the hypervisor any more.
    let exits = hw.with(|m| m.exits);
    assert_eq!(
        report_request(&hw, &ghcb, &mut req),
        Err(GuestRequestError::Disabled)
    );
    assert_eq!(hw.with(|m| m.exits), exits);
}

#[test]
fn a_replayed_response_is_a_sequence_mismatch() {
    let (hw, ghcb, mut req) = requester();
    report_request(&hw, &ghcb, &mut req).expect("first exchange");
    hw.with(|m| m.psp.behaviour = PspBehaviour::Replay);
    assert_eq!(
        report_request(&hw, &ghcb, &mut req),
        Err(GuestRequestError::Sequence {
            expected: 4,
            got: 2
        })
    );
    assert!(!req.is_enabled());
}

#[test]
fn an_authentic_response_with_the_wrong_sequence_number_wipes_vmpck0() {
    let (hw, ghcb, mut req) = requester();
    hw.with(|m| m.psp.behaviour = PspBehaviour::WrongSeqno);
    assert_eq!(
        report_request(&hw, &ghcb, &mut req),
        Err(GuestRequestError::Sequence {
            expected: 2,
            got: 4
        })
    );
    assert!(!req.is_enabled());
}

#[test]
fn a_request_larger_than_the_shared_page_is_refused_before_sealing() {
    let (hw, ghcb, mut req) = requester();
    let big = vec![0u8; MAX_PAYLOAD + 1];
    let mut response = [0u8; REPORT_RESPONSE_SIZE];
    let exits = hw.with(|m| m.exits);
    assert_eq!(
        req.request(
            &hw,
            &ghcb,
            MsgType::ReportRequest,
            &big,
            &mut response,
            false
        ),
        Err(GuestRequestError::TooLarge)
    );
    assert_eq!(hw.with(|m| m.exits), exits);
    assert!(req.is_enabled());
    assert_eq!(req.next_seqno(), 1);
    report_request(&hw, &ghcb, &mut req).expect("the next request still works");
}

#[test]
fn a_firmware_error_reported_by_the_hypervisor_disables_requests() {
    let (hw, ghcb, mut req) = requester();
    hw.with(|m| m.hypervisor.misbehave.guest_request_error = Some(u64::from(FW_BAD_SEQNO)));
    assert_eq!(
        report_request(&hw, &ghcb, &mut req),
        Err(GuestRequestError::Ghcb(GhcbError::Call(u64::from(
            FW_BAD_SEQNO
        ))))
    );
    assert!(!req.is_enabled());
}

#[test]
fn bogus_exit_information_disables_requests() {
    let (hw, ghcb, mut req) = requester();
    hw.with(|m| m.hypervisor.misbehave.exit_info1 = Some(0x7));
    assert_eq!(
        report_request(&hw, &ghcb, &mut req),
        Err(GuestRequestError::Ghcb(GhcbError::BadExitInfo(0x7)))
    );
    assert!(!req.is_enabled());
}

#[test]
fn a_hypervisor_that_stays_busy_exhausts_the_retries() {
    let (hw, ghcb, mut req) = requester();
    hw.with(|m| m.hypervisor.misbehave.guest_request_error = Some(2 << 32));
    assert_eq!(
        report_request(&hw, &ghcb, &mut req),
        Err(GuestRequestError::Busy)
    );
    assert!(!req.is_enabled());
    assert_eq!(hw.with(|m| m.psp.reports), 0);
}

#[test]
fn a_certificate_table_too_large_resends_the_same_message_without_it() {
    let platform = common::platform();
    platform.hardware().with(|m| {
        m.hypervisor.certificates = vec![1; (CERTS_PAGES + 1) * 4096];
    });
    assert_eq!(
        platform.fetch_certificates(),
        Err(CertificatesError::NotSupplied)
    );
    // The resent request consumed the sequence number at the PSP: the next
    // report works and nothing was disabled.
    assert!(platform.guest_requests_enabled());
    let mut out = vec![0u8; SNP_REPORT_SIZE];
    platform
        .attestation_report(crypto(), &[3; 64], &mut out)
        .expect("report");
    assert_eq!(platform.hardware().with(|m| m.psp.reports), 2);
}

#[test]
fn the_platform_answers_invalid_request_once_requests_are_disabled() {
    let platform = common::platform();
    platform
        .hardware()
        .with(|m| m.psp.behaviour = PspBehaviour::ForgeTag);
    let mut out = vec![0u8; SNP_REPORT_SIZE];
    assert_eq!(
        platform.attestation_report(crypto(), &[1; 64], &mut out),
        Err(SvsmError::InvalidRequest)
    );
    assert!(!platform.guest_requests_enabled());
    platform
        .hardware()
        .with(|m| m.psp.behaviour = PspBehaviour::Honest);
    assert_eq!(
        platform.attestation_report(crypto(), &[1; 64], &mut out),
        Err(SvsmError::InvalidRequest)
    );
    assert_eq!(out, vec![0u8; SNP_REPORT_SIZE]);
}

#[test]
fn the_secrets_page_is_read_once_and_every_vmpck_wiped() {
    let mut page = secrets_page(common::VMPCK0);
    let (secrets, _key) = secrets::take(&mut page, svsm_crypto::host::module()).expect("take");
    assert_eq!(secrets.version, 3);
    assert!(
        page[VMPCK_OFFSET..VMPCK_OFFSET + 128]
            .iter()
            .all(|b| *b == 0)
    );
    // Read again, the page holds no key.
    assert_eq!(
        secrets::take(&mut page, svsm_crypto::host::module()).err(),
        Some(SecretsError::NoVmpck0)
    );
}

#[test]
fn an_old_secrets_page_is_refused_and_still_wiped() {
    let mut page = secrets_page(common::VMPCK0);
    page[0..4].copy_from_slice(&1u32.to_le_bytes());
    assert_eq!(
        secrets::take(&mut page, svsm_crypto::host::module()).err(),
        Some(SecretsError::Version(1))
    );
    assert!(
        page[VMPCK_OFFSET..VMPCK_OFFSET + 128]
            .iter()
            .all(|b| *b == 0)
    );
}
