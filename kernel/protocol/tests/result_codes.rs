//! The result codes pinned against the specification.
//!
//! The numbers below are copied by hand from the SVSM specification (AMD
//! publication 58019, "Secure VM Service Module for SEV-SNP Guests", rev 1.00;
//! summarised in the project's docs/svsm-abi.md) and from the SNP PVALIDATE
//! instruction's return codes. They are deliberately written out, not taken
//! from the crate: a changed constant in `svsm_protocol::code` must fail here,
//! because a guest (Linux, OVMF) compares RAX with the specification's values.

use svsm_protocol::code;
use svsm_protocol::error::code_name;

#[test]
fn generic_result_codes_are_the_specifications() {
    let spec: [(&str, u64, u64); 9] = [
        ("SUCCESS", code::SUCCESS, 0x0000_0000),
        ("INCOMPLETE", code::INCOMPLETE, 0x8000_0000),
        (
            "UNSUPPORTED_PROTOCOL",
            code::UNSUPPORTED_PROTOCOL,
            0x8000_0001,
        ),
        ("UNSUPPORTED_CALL", code::UNSUPPORTED_CALL, 0x8000_0002),
        ("INVALID_ADDRESS", code::INVALID_ADDRESS, 0x8000_0003),
        ("INVALID_FORMAT", code::INVALID_FORMAT, 0x8000_0004),
        ("INVALID_PARAMETER", code::INVALID_PARAMETER, 0x8000_0005),
        ("INVALID_REQUEST", code::INVALID_REQUEST, 0x8000_0006),
        ("BUSY", code::BUSY, 0x8000_0007),
    ];
    for (name, ours, spec) in spec {
        assert_eq!(ours, spec, "{name}");
        assert_eq!(code_name(ours), name, "{name}: printed name");
    }
}

#[test]
fn protocol_specific_codes_are_0x8000_1000_plus_n() {
    // Protocol-specific error n is 0x8000_1000 + n.
    assert_eq!(code::PROTOCOL_BASE, 0x8000_1000);
    // Core PVALIDATE passes the instruction's failure on as n: FAIL_INPUT 1,
    // FAIL_SIZEMISMATCH 6; the SVSM's own "no change" failure is 0x10.
    assert_eq!(code::PVALIDATE_FAIL_INPUT, 0x8000_1001);
    assert_eq!(code::PVALIDATE_FAIL_SIZE_MISMATCH, 0x8000_1006);
    assert_eq!(code::PVALIDATE_FAIL_NO_CHANGE, 0x8000_1010);
    // Attestation: this implementation's code for a crypto-module failure
    // (docs/protocol.md), protocol-specific error 1.
    assert_eq!(code::ATTEST_CRYPTO_FAILURE, 0x8000_1001);
}
