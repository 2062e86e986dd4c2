//! The FIPS 140-3 service indicator: approved and non-approved uses of the
//! same algorithm are told apart by the status of each call.

use svsm_crypto::host::module;
use svsm_crypto::{Curve, HashAlg, Indicator};

#[test]
fn gcm_seal_with_caller_iv_is_non_approved_generated_iv_is_approved() {
    let module = module();
    let mut gcm = module.aes_gcm_key(&[9u8; 32]).unwrap();
    let plaintext = [1u8; 64];
    let (mut ct, mut tag) = ([0u8; 64], [0u8; 16]);
    let caller_iv = gcm
        .seal_with_iv(&[3u8; 12], b"", &plaintext, &mut ct, &mut tag)
        .unwrap();
    assert_eq!(caller_iv, Indicator::NonApproved);
    let generated = gcm.seal(b"", &plaintext, &mut ct, &mut tag).unwrap();
    assert_eq!(generated.indicator(), Indicator::Approved);
    let iv = generated.into_value();
    let mut pt = [0u8; 64];
    assert_eq!(
        gcm.open(&iv, b"", &ct, &tag, &mut pt).unwrap(),
        Indicator::Approved
    );
    assert_eq!(pt, plaintext);
}

#[test]
fn hmac_key_below_112_bits_is_non_approved() {
    let module = module();
    let mut tag = [0u8; 32];
    assert_eq!(
        module
            .hmac(HashAlg::Sha256, &[7u8; 10], b"m", &mut tag)
            .unwrap(),
        Indicator::NonApproved
    );
    assert_eq!(
        module
            .hmac_verify(HashAlg::Sha256, &[7u8; 10], b"m", &tag)
            .unwrap(),
        Indicator::NonApproved
    );
    assert_eq!(
        module
            .hmac(HashAlg::Sha256, &[7u8; 13], b"m", &mut tag)
            .unwrap(),
        Indicator::NonApproved
    );
    assert_eq!(
        module
            .hmac(HashAlg::Sha256, &[7u8; 14], b"m", &mut tag)
            .unwrap(),
        Indicator::Approved
    );
    assert_eq!(
        module
            .hmac(HashAlg::Sha512, &[7u8; 64], b"m", &mut [0u8; 64])
            .unwrap(),
        Indicator::Approved
    );
}

#[test]
fn drbg_test_entropy_is_non_approved_and_approved_services_say_so() {
    let module = module();
    let drbg = module.drbg_test(&[1u8; 32], &[2u8; 16], b"").unwrap();
    assert_eq!(drbg.indicator(), Indicator::NonApproved);
    let mut drbg = drbg.into_value();
    assert_eq!(
        drbg.reseed_test(&[3u8; 32], b"").unwrap(),
        Indicator::NonApproved
    );

    assert!(module.hash(HashAlg::Sha384, b"x").unwrap().is_approved());
    assert!(
        module
            .hkdf_extract(HashAlg::Sha256, b"salt", &[1u8; 32])
            .unwrap()
            .is_approved()
    );
    let pair = module.ecc_keygen(Curve::P384).unwrap();
    assert!(pair.is_approved());
    let pair = pair.into_value();
    assert!(
        module
            .ecdsa_sign(&pair.private, HashAlg::Sha384, b"m")
            .unwrap()
            .is_approved()
    );
    assert!(
        module
            .ecdh(&pair.private, &pair.public)
            .unwrap()
            .is_approved()
    );
}
