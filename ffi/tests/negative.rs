//! Failures: tampered or mismatched inputs, invalid points and signatures,
//! lengths the algorithms cannot take. Every failed call leaves its outputs
//! zeroed (they are pre-filled with 0xAA).

mod common;

use common::{P256_N, P384_N, hex, is_zero, poisoned};
use svsm_crypto::host::module;
use svsm_crypto::{Curve, Error, HashAlg, PrivateKey, Prk, PublicKey, Signature};

const P256_P: &str = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";
/// P-256 generator.
const P256_GX: &str = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296";
const P256_GY: &str = "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";

#[test]
fn aes_gcm_tampering_and_wrong_key_fail_with_zeroed_plaintext() {
    let module = module();
    let key = common::random_bytes(32);
    let iv = common::random_bytes(12);
    let plaintext = common::random_bytes(1000);
    let mut gcm = module.aes_gcm_key(&key).unwrap();
    let mut ct = vec![0u8; plaintext.len()];
    let mut tag = [0u8; 16];
    let _ = gcm
        .seal_with_iv(&iv, b"aad", &plaintext, &mut ct, &mut tag)
        .unwrap();

    let open =
        |gcm: &mut svsm_crypto::AesGcmKey<'_>, iv: &[u8], aad: &[u8], ct: &[u8], tag: &[u8]| {
            let mut pt = poisoned(ct.len());
            let result = gcm.open(iv, aad, ct, tag, &mut pt);
            (result, pt)
        };

    let mut bad_tag = tag;
    bad_tag[15] ^= 1;
    let (result, pt) = open(&mut gcm, &iv, b"aad", &ct, &bad_tag);
    assert_eq!(result, Err(Error::Auth));
    assert!(is_zero(&pt), "plaintext zeroed on tag failure");

    let mut bad_ct = ct.clone();
    bad_ct[500] ^= 0x80;
    let (result, pt) = open(&mut gcm, &iv, b"aad", &bad_ct, &tag);
    assert_eq!(result, Err(Error::Auth));
    assert!(is_zero(&pt));

    let (result, pt) = open(&mut gcm, &iv, b"aae", &ct, &tag);
    assert_eq!(result, Err(Error::Auth));
    assert!(is_zero(&pt));

    let mut bad_iv = iv.clone();
    bad_iv[0] ^= 1;
    let (result, _) = open(&mut gcm, &bad_iv, b"aad", &ct, &tag);
    assert_eq!(result, Err(Error::Auth));

    // A truncated tag is checked against the same prefix of the computed one.
    let (result, _) = open(&mut gcm, &iv, b"aad", &ct, &tag[..12]);
    assert!(result.is_ok(), "12-byte prefix of the tag verifies");
    let mut bad_short = tag[..12].to_vec();
    bad_short[11] ^= 0x10;
    let (result, pt) = open(&mut gcm, &iv, b"aad", &ct, &bad_short);
    assert_eq!(result, Err(Error::Auth));
    assert!(is_zero(&pt));

    let mut other_key = module.aes_gcm_key(&common::random_bytes(32)).unwrap();
    let (result, pt) = open(&mut other_key, &iv, b"aad", &ct, &tag);
    assert_eq!(result, Err(Error::Auth));
    assert!(is_zero(&pt));

    // Still fine with the right inputs.
    let (result, pt) = open(&mut gcm, &iv, b"aad", &ct, &tag);
    assert!(result.is_ok());
    assert_eq!(pt, plaintext);
}

#[test]
fn aes_gcm_bad_lengths() {
    let module = module();
    for len in [0, 1, 15, 24, 31, 33, 64] {
        assert_eq!(
            module.aes_gcm_key(&vec![7u8; len]).err(),
            Some(Error::Arg),
            "key length {len}"
        );
    }
    let mut gcm = module.aes_gcm_key(&[1u8; 16]).unwrap();
    let plaintext = [5u8; 40];
    let iv = [0u8; 12];

    for tag_len in [0, 1, 3, 5, 7, 9, 11, 17] {
        let mut ct = poisoned(40);
        let mut tag = poisoned(tag_len);
        assert_eq!(
            gcm.seal_with_iv(&iv, b"", &plaintext, &mut ct, &mut tag),
            Err(Error::Arg),
            "tag {tag_len}"
        );
        assert!(
            is_zero(&ct) && is_zero(&tag),
            "outputs zeroed (tag {tag_len})"
        );
        let mut ct = poisoned(40);
        let mut tag = poisoned(tag_len);
        assert_eq!(
            gcm.seal(b"", &plaintext, &mut ct, &mut tag).err(),
            Some(Error::Arg)
        );
        assert!(is_zero(&ct) && is_zero(&tag));
    }

    // An empty IV is never valid.
    let mut ct = poisoned(40);
    let mut tag = poisoned(16);
    assert_eq!(
        gcm.seal_with_iv(&[], b"", &plaintext, &mut ct, &mut tag),
        Err(Error::Arg)
    );
    assert!(is_zero(&ct) && is_zero(&tag));

    // Output buffers of the wrong size are refused before the module runs.
    let mut ct = poisoned(39);
    let mut tag = poisoned(16);
    assert_eq!(
        gcm.seal_with_iv(&iv, b"", &plaintext, &mut ct, &mut tag),
        Err(Error::Arg)
    );
    assert!(is_zero(&ct) && is_zero(&tag));
    let mut pt = poisoned(41);
    assert_eq!(
        gcm.open(&iv, b"", &plaintext, &[0u8; 16], &mut pt),
        Err(Error::Arg)
    );
    assert!(is_zero(&pt));
}

#[test]
fn hmac_bad_lengths_and_wrong_tags() {
    let module = module();
    let key = [0x42u8; 32];
    for alg in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
        for tag_len in [0, 1, 3, alg.digest_len() + 1] {
            let mut tag = poisoned(tag_len);
            assert_eq!(
                module.hmac(alg, &key, b"msg", &mut tag),
                Err(Error::Arg),
                "{alg:?} tag {tag_len}"
            );
            assert!(is_zero(&tag));
        }
        let mut tag = vec![0u8; alg.digest_len()];
        let _ = module.hmac(alg, &key, b"msg", &mut tag).unwrap();
        let _ = module.hmac_verify(alg, &key, b"msg", &tag).unwrap();
        let _ = module.hmac_verify(alg, &key, b"msg", &tag[..16]).unwrap();
        tag[3] ^= 4;
        assert_eq!(
            module.hmac_verify(alg, &key, b"msg", &tag),
            Err(Error::Auth)
        );
        tag[3] ^= 4;
        assert_eq!(
            module.hmac_verify(alg, &key, b"msh", &tag),
            Err(Error::Auth)
        );
        assert_eq!(
            module.hmac_verify(alg, &[0x43u8; 32], b"msg", &tag),
            Err(Error::Auth)
        );
    }
}

#[test]
fn hash_and_hkdf_bad_lengths() {
    let module = module();
    // HKDF output is limited to 255 blocks.
    let mut okm = poisoned(255 * 32 + 1);
    assert_eq!(
        module.hkdf(HashAlg::Sha256, b"ikm ikm ikm ikm", b"", b"", &mut okm),
        Err(Error::Arg)
    );
    assert!(is_zero(&okm));
    let prk = module
        .hkdf_extract(HashAlg::Sha256, b"salt", b"ikm")
        .unwrap()
        .into_value();
    let mut okm = poisoned(255 * 32 + 1);
    assert_eq!(module.hkdf_expand(&prk, b"", &mut okm), Err(Error::Arg));
    assert!(is_zero(&okm));
    let mut okm = vec![0u8; 255 * 32];
    let _ = module.hkdf_expand(&prk, b"", &mut okm).unwrap();

    assert_eq!(
        Prk::from_bytes(HashAlg::Sha384, &[0u8; 32]).err(),
        Some(Error::Arg)
    );
}

#[test]
fn drbg_bad_lengths() {
    let module = module();
    let long = vec![1u8; svsm_crypto::DRBG_MAX_INPUT + 1];
    assert_eq!(module.drbg(&long).err(), Some(Error::Arg));
    let mut drbg = module.drbg(b"").unwrap().into_value();
    let mut out = poisoned(svsm_crypto::DRBG_MAX_REQUEST + 1);
    assert_eq!(drbg.generate(&mut out, &[]), Err(Error::Arg));
    assert!(is_zero(&out));
    let mut out = poisoned(32);
    assert_eq!(drbg.generate(&mut out, &long), Err(Error::Arg));
    assert!(is_zero(&out));
    assert_eq!(drbg.reseed(&long), Err(Error::Arg));
    // Too little test entropy for 256-bit security.
    assert_eq!(
        module.drbg_test(&[1u8; 16], &[2u8; 16], &[]).err(),
        Some(Error::Arg)
    );
}

#[test]
fn invalid_public_points_are_rejected() {
    let module = module();
    let (gx, gy) = (hex(P256_GX), hex(P256_GY));
    let valid = PublicKey::from_coordinates(Curve::P256, &gx, &gy).unwrap();
    let _ = module.ecc_validate_public_key(&valid).unwrap();

    let mut off_curve_y = gy.clone();
    off_curve_y[31] ^= 1;
    let off_curve = PublicKey::from_coordinates(Curve::P256, &gx, &off_curve_y).unwrap();
    let identity = PublicKey::from_bytes(Curve::P256, &[0u8; 64]).unwrap();
    let x_is_p = PublicKey::from_coordinates(Curve::P256, &hex(P256_P), &gy).unwrap();
    let y_is_p = PublicKey::from_coordinates(Curve::P256, &gx, &hex(P256_P)).unwrap();
    let x_all_ones = PublicKey::from_coordinates(Curve::P256, &[0xff; 32], &gy).unwrap();
    let private = PrivateKey::from_bytes(Curve::P256, &[0x11; 32]).unwrap();
    let digest = [0x5a; 32];
    let signature = Signature::from_bytes(Curve::P256, &[0x22; 64]).unwrap();

    for (what, point) in [
        ("off-curve", off_curve),
        ("identity", identity),
        ("x = p", x_is_p),
        ("y = p", y_is_p),
        ("x = 2^256 - 1", x_all_ones),
    ] {
        assert_eq!(
            module.ecc_validate_public_key(&point),
            Err(Error::Key),
            "{what}"
        );
        assert_eq!(
            module.ecdh(&private, &point).err(),
            Some(Error::Key),
            "ECDH with {what}"
        );
        assert_eq!(
            module.ecdsa_verify_digest(&point, &digest, &signature),
            Err(Error::Key),
            "verify with {what}"
        );
        assert_eq!(
            module.ecc_load_public_key(&point).err(),
            Some(Error::Key),
            "loading {what}"
        );
    }
    // A loaded P-256 key refuses P-384 inputs before the module is called.
    let loaded = module.ecc_load_public_key(&valid).unwrap().into_value();
    let p384_signature = Signature::from_bytes(Curve::P384, &[0x22; 96]).unwrap();
    let p384_private = PrivateKey::from_bytes(Curve::P384, &[0x11; 48]).unwrap();
    assert_eq!(
        loaded.ecdsa_verify_digest(&digest, &p384_signature),
        Err(Error::Arg)
    );
    assert_eq!(loaded.ecdh(&p384_private).err(), Some(Error::Arg));
    assert_eq!(
        loaded.ecdsa_verify_digest(&digest, &signature),
        Err(Error::Auth),
        "a wrong signature under a loaded key"
    );
}

#[test]
fn invalid_private_scalars_are_rejected() {
    let module = module();
    for (curve, n) in [(Curve::P256, P256_N), (Curve::P384, P384_N)] {
        let len = curve.scalar_len();
        let zero = PrivateKey::from_bytes(curve, &vec![0u8; len]).unwrap();
        let n_key = PrivateKey::from_bytes(curve, &hex(n)).unwrap();
        let ones = PrivateKey::from_bytes(curve, &vec![0xff; len]).unwrap();
        let peer = module.ecc_keygen(curve).unwrap().into_value().public;
        for (what, key) in [("d = 0", zero), ("d = n", n_key), ("d > n", ones)] {
            assert_eq!(
                module.ecc_public_key(&key).err(),
                Some(Error::Key),
                "{curve:?} {what}"
            );
            assert_eq!(
                module.ecdsa_sign_digest(&key, &[1u8; 32]).err(),
                Some(Error::Key),
                "{curve:?} {what}"
            );
            assert_eq!(
                module.ecdh(&key, &peer).err(),
                Some(Error::Key),
                "{curve:?} {what}"
            );
        }
        assert_eq!(
            PrivateKey::from_bytes(curve, &vec![1u8; len + 1]).err(),
            Some(Error::Arg)
        );
    }
}

#[test]
fn out_of_range_signatures_do_not_verify() {
    let module = module();
    for (curve, n, hash) in [
        (Curve::P256, P256_N, HashAlg::Sha256),
        (Curve::P384, P384_N, HashAlg::Sha384),
    ] {
        let len = curve.scalar_len();
        let pair = module.ecc_keygen(curve).unwrap().into_value();
        let good = module
            .ecdsa_sign(&pair.private, hash, b"message")
            .unwrap()
            .into_value();
        let _ = module
            .ecdsa_verify(&pair.public, hash, b"message", &good)
            .unwrap();
        assert_eq!(
            module.ecdsa_verify(&pair.public, hash, b"massage", &good),
            Err(Error::Auth)
        );

        let n = hex(n);
        let zero = vec![0u8; len];
        let ones = vec![0xff; len];
        let mut n_plus_r = n.clone();
        n_plus_r[len - 1] = n_plus_r[len - 1].wrapping_add(1);
        for (what, r, s) in [
            ("r = 0", &zero[..], good.s()),
            ("s = 0", good.r(), &zero[..]),
            ("r = n", &n[..], good.s()),
            ("s = n", good.r(), &n[..]),
            ("r = n + 1", &n_plus_r[..], good.s()),
            ("s > n", good.r(), &ones[..]),
        ] {
            let bad = Signature::from_components(curve, r, s).unwrap();
            assert_eq!(
                module.ecdsa_verify(&pair.public, hash, b"message", &bad),
                Err(Error::Auth),
                "{curve:?} {what}"
            );
        }
    }
}

#[test]
fn mixed_curves_and_bad_encodings_are_refused() {
    let module = module();
    let p256 = module.ecc_keygen(Curve::P256).unwrap().into_value();
    let p384 = module.ecc_keygen(Curve::P384).unwrap().into_value();
    assert_eq!(
        module.ecdh(&p256.private, &p384.public).err(),
        Some(Error::Arg)
    );
    let sig = module
        .ecdsa_sign_digest(&p384.private, &[3u8; 48])
        .unwrap()
        .into_value();
    assert_eq!(
        module.ecdsa_verify_digest(&p256.public, &[3u8; 48], &sig),
        Err(Error::Arg)
    );
    assert_eq!(
        PublicKey::from_bytes(Curve::P256, &[1u8; 65]).err(),
        Some(Error::Arg)
    );
    assert_eq!(
        Signature::from_bytes(Curve::P384, &[1u8; 64]).err(),
        Some(Error::Arg)
    );
    // Digest lengths the module takes are 1 to 64 bytes.
    assert_eq!(
        module.ecdsa_sign_digest(&p256.private, &[]).err(),
        Some(Error::Arg)
    );
    assert_eq!(
        module.ecdsa_sign_digest(&p256.private, &[1u8; 65]).err(),
        Some(Error::Arg)
    );
}

/// Found by the module-api fuzz target: an all-zero digest made signing
/// fail with ERR_INTERNAL (wolfCrypt refuses it). It is an argument the
/// module refuses, and no signature verifies over it.
#[test]
fn all_zero_digests_are_refused_not_internal_errors() {
    let module = module();
    for curve in [Curve::P256, Curve::P384] {
        let pair = module.ecc_keygen(curve).unwrap().into_value();
        for len in [1, 32, 48, 64] {
            assert_eq!(
                module
                    .ecdsa_sign_digest(&pair.private, &vec![0u8; len])
                    .err(),
                Some(Error::Arg),
                "{curve:?}, {len}-byte zero digest"
            );
        }
        let sig = module
            .ecdsa_sign_digest(&pair.private, &[1u8; 32])
            .unwrap()
            .into_value();
        assert_eq!(
            module.ecdsa_verify_digest(&pair.public, &[0u8; 32], &sig),
            Err(Error::Auth)
        );
    }
}
