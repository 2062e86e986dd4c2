//! The agreement check: the module, OpenSSL, RustCrypto (through the test
//! oracle, `svsm-oracle`), AWS-LC and ring give the same answers on the
//! fixture's inputs, wherever the peer offers the operation.

use openssl::bn::BigNumContext;
use openssl::ecdsa::EcdsaSig;
use openssl::pkey::PKey;
use svsm_crypto::{AES_GCM_TAG_LEN, Curve, Error, HashAlg, Signature};
use svsm_oracle as oracle;

use super::adapters::*;
use super::fixture::{BULK_SIZES, Fixture, P384_LEN, filler};
use super::peers;

/// Runs every agreement check and returns the disagreements (empty: agreed).
/// `corrupt` flips one bit of the module's first SHA-256 output, to exercise
/// the refusal path.
pub fn check(f: &Fixture, corrupt: bool) -> Vec<String> {
    let mut bad = Vec::new();
    let m = f.module;
    // The module's answer must be non-empty and equal to every peer's.
    let agree = |bad: &mut Vec<String>, what: String, module: &[u8], peers: &[(&str, &[u8])]| {
        if module.is_empty() || peers.iter().any(|(_, p)| module != *p) {
            let answers: Vec<String> = peers
                .iter()
                .map(|(name, p)| format!("{name} {}", hex(p)))
                .collect();
            bad.push(format!(
                "{what}: module {} / {}",
                hex(module),
                answers.join(" / ")
            ));
        }
    };

    let mut sizes: Vec<usize> = vec![0, 1, 55, 56, 111, 112, 127, 128, 1000];
    sizes.extend(BULK_SIZES);
    for (alg, reference) in [
        (HashAlg::Sha256, oracle::HashAlg::Sha256),
        (HashAlg::Sha384, oracle::HashAlg::Sha384),
        (HashAlg::Sha512, oracle::HashAlg::Sha512),
    ] {
        for &n in &sizes {
            let msg = &f.msg[..n];
            let mut module = hash_module(m, alg, msg);
            if corrupt && n == 0 && alg == HashAlg::Sha256 {
                module[0] ^= 1;
            }
            agree(
                &mut bad,
                format!("{alg:?} of {n} B"),
                &module,
                &[
                    ("OpenSSL", &hash_ossl(alg, msg)),
                    ("RustCrypto", &oracle::hash(reference, msg)),
                    ("AWS-LC", &peers::awslc::hash(alg, msg)),
                    ("ring", &peers::ring::hash(alg, msg)),
                ],
            );
        }
    }

    for key_len in [16usize, 48, 128, 200] {
        let key = filler(10 + key_len as u64, key_len);
        let pkey = PKey::hmac(&key).expect("HMAC key");
        for n in [0usize, 1024, 5000] {
            let msg = &f.msg[..n];
            agree(
                &mut bad,
                format!("HMAC-SHA-384 key {key_len} B, msg {n} B"),
                &hmac_module(m, &key, msg),
                &[
                    ("OpenSSL", &hmac_ossl(&pkey, msg)),
                    (
                        "RustCrypto",
                        &oracle::hmac(oracle::HashAlg::Sha384, &key, msg),
                    ),
                    ("AWS-LC", &peers::awslc::hmac_sha384(&key, msg)),
                    ("ring", &peers::ring::hmac_sha384(&key, msg)),
                ],
            );
        }
    }

    for okm_len in [32usize, 48, 100] {
        let mut okm = vec![vec![0; okm_len]; 4];
        let c = oracle::hkdf(oracle::HashAlg::Sha384, &f.ikm, &f.salt, &f.info, okm_len)
            .unwrap_or_default();
        let ok = hkdf_module(m, &f.ikm, &f.salt, &f.info, &mut okm[0])
            && hkdf_ossl(&f.ikm, &f.salt, &f.info, &mut okm[1])
            && peers::awslc::hkdf_sha384(&f.ikm, &f.salt, &f.info, &mut okm[2])
            && peers::ring::hkdf_sha384(&f.ikm, &f.salt, &f.info, &mut okm[3]);
        if !ok {
            okm[0].clear();
        }
        agree(
            &mut bad,
            format!("HKDF-SHA-384 OKM {okm_len} B"),
            &okm[0],
            &[
                ("OpenSSL", &okm[1]),
                ("RustCrypto", &c),
                ("AWS-LC", &okm[2]),
                ("ring", &okm[3]),
            ],
        );
    }

    // The DRBG rows' mechanism: an instance seeded with test entropy (the
    // timed one is seeded from the entropy source) against the oracle's
    // CTR_DRBG model, at the benchmarked request sizes. No peer exposes a
    // CTR_DRBG with caller entropy.
    for n in [32usize, 4096] {
        let (entropy, nonce) = (filler(20, 32), filler(21, 16));
        let mut model = oracle::CtrDrbg::instantiate(&entropy, &nonce, b"svsm-bench");
        let mut out = vec![0u8; n];
        let ok = m
            .drbg_test(&entropy, &nonce, b"svsm-bench")
            .and_then(|d| d.into_value().generate(&mut out, &[]))
            .is_ok();
        if !ok {
            out.clear();
        }
        agree(
            &mut bad,
            format!("CTR_DRBG {n} B"),
            &out,
            &[("CTR_DRBG model", &model.generate(n, &[]))],
        );
    }

    let mut mkey = match f.aes_module() {
        Ok(k) => k,
        Err(e) => {
            bad.push(format!("module AES-GCM key setup: {e}"));
            return bad;
        }
    };
    let mut oseal = f.aes_ossl(true);
    let mut oopen = f.aes_ossl(false);
    let (akey, rkey) = (f.aes_awslc(), f.aes_ring());
    for &n in sizes.iter().filter(|&&n| n > 0) {
        let pt = &f.msg[..n];
        let mut ct_m = vec![0u8; n];
        let mut tag_m = [0u8; AES_GCM_TAG_LEN];
        let sealed = mkey.seal_with_iv(&f.iv, &f.aad, pt, &mut ct_m, &mut tag_m);
        let mut ct_o = vec![0u8; n];
        let tag_o = seal_ossl(&mut oseal, &f.iv, &f.aad, pt, &mut ct_o);
        let (ct_r, tag_r) = oracle::gcm_seal(&f.aes_key, &f.iv, &f.aad, pt).unwrap_or_default();
        let (mut ct_a, mut ct_b) = (vec![0u8; n], vec![0u8; n]);
        let tag_a = peers::awslc::seal(&akey, &f.iv, &f.aad, pt, &mut ct_a);
        let tag_b = peers::ring::seal(&rkey, &f.iv, &f.aad, pt, &mut ct_b);
        if sealed.is_err() {
            ct_m.clear();
        }
        let join = |c: &[u8], t: &[u8]| [c, t].concat();
        agree(
            &mut bad,
            format!("AES-256-GCM seal {n} B (ciphertext || tag)"),
            &join(&ct_m, &tag_m),
            &[
                ("OpenSSL", &join(&ct_o, &tag_o)),
                ("RustCrypto", &join(&ct_r, &tag_r)),
                ("AWS-LC", &join(&ct_a, &tag_a)),
                ("ring", &join(&ct_b, &tag_b)),
            ],
        );
        // Each opens the others' output, and all reject a forged tag.
        let mut out = vec![0u8; n];
        let opened = [
            mkey.open(&f.iv, &f.aad, &ct_o, &tag_o, &mut out).is_ok() && out == pt,
            open_ossl(&mut oopen, &f.iv, &f.aad, &ct_r, &tag_r, &mut out) && out == pt,
            oracle::gcm_open(&f.aes_key, &f.iv, &f.aad, &ct_m, &tag_m).as_deref() == Some(pt),
            peers::awslc_open(&akey, &f.sealed(&ct_m, &tag_m), &mut out) && out == pt,
            peers::ring_open(&rkey, &f.sealed(&ct_a, &tag_a), &mut out) && out == pt,
        ];
        let mut forged = tag_m;
        forged[0] ^= 1;
        let forgery = f.sealed(&ct_m, &forged);
        let rejected = [
            mkey.open(&f.iv, &f.aad, &ct_m, &forged, &mut out) == Err(Error::Auth),
            !open_ossl(&mut oopen, &f.iv, &f.aad, &ct_m, &forged, &mut out),
            oracle::gcm_open(&f.aes_key, &f.iv, &f.aad, &ct_m, &forged).is_none(),
            !peers::awslc_open(&akey, &forgery, &mut out),
            !peers::ring_open(&rkey, &forgery, &mut out),
        ];
        if opened.contains(&false) || rejected.contains(&false) {
            bad.push(format!(
                "AES-256-GCM open {n} B: opened peers' output {opened:?}, rejected forgery {rejected:?} (module, OpenSSL, RustCrypto, AWS-LC, ring)"
            ));
        }
    }
    // The approved path: the module picks the IV; the peers must open it.
    let pt = &f.msg[..1024];
    let mut ct = vec![0u8; pt.len()];
    let mut tag = [0u8; AES_GCM_TAG_LEN];
    match mkey.seal(&f.aad, pt, &mut ct, &mut tag) {
        Ok(iv) => {
            let iv = *iv.value();
            let mut out = vec![0u8; pt.len()];
            let o = open_ossl(&mut oopen, &iv, &f.aad, &ct, &tag, &mut out) && out == pt;
            let r = oracle::gcm_open(&f.aes_key, &iv, &f.aad, &ct, &tag).as_deref() == Some(pt);
            let a = peers::awslc_open(
                &akey,
                &Sealed {
                    iv: &iv,
                    aad: &f.aad,
                    ct: &ct,
                    tag: &tag,
                },
                &mut out,
            ) && out == pt;
            if !(o && r && a) {
                bad.push(format!(
                    "AES-256-GCM module-generated IV: OpenSSL opens {o}, RustCrypto opens {r}, AWS-LC opens {a}"
                ));
            }
        }
        Err(e) => bad.push(format!("AES-256-GCM module seal (generated IV): {e}")),
    }

    // ECDH both ways, with the peer key as bytes and loaded.
    for (name, own, peer) in [("A,B", &f.a, &f.b), ("B,A", &f.b, &f.a)] {
        let zm = m
            .ecdh(&own.module_private, &peer.module_public)
            .map(|z| z.value().as_bytes().to_vec())
            .unwrap_or_default();
        let zl = m
            .ecc_load_public_key(&peer.module_public)
            .and_then(|k| k.into_value().ecdh(&own.module_private))
            .map(|z| z.value().as_bytes().to_vec())
            .unwrap_or_default();
        let za = peers::awslc_ecdh_peer(&peer.peers.sec1)
            .map(|k| peers::awslc_ecdh_parsed(&own.peers.awslc_ecdh, &k))
            .unwrap_or_default();
        agree(
            &mut bad,
            format!("ECDH P-384 ({name}), module loaded key / AWS-LC parsed key"),
            &zl,
            &[("module by bytes", &zm), ("AWS-LC parsed", &za)],
        );
        agree(
            &mut bad,
            format!("ECDH P-384 ({name})"),
            &zm,
            &[
                (
                    "OpenSSL",
                    &ecdh_ossl(&own.ossl_pkey_private, &peer.ossl_pkey_public),
                ),
                (
                    "RustCrypto",
                    &oracle::ecdh(
                        oracle::Curve::P384,
                        own.module_private.as_bytes(),
                        peer.module_public.as_bytes(),
                    )
                    .unwrap_or_default(),
                ),
                (
                    "AWS-LC",
                    &peers::awslc_ecdh(&own.peers.awslc_ecdh, &peer.peers.sec1),
                ),
            ],
        );
    }

    // ECDSA: each signs; each verifies all; all reject another digest.
    let digest = &f.digest;
    let mut other = *digest;
    other[0] ^= 1;
    let sig_m = m
        .ecdsa_sign_digest(&f.a.module_private, digest)
        .map(|s| s.value().as_bytes().to_vec());
    let sig_o = EcdsaSig::sign(digest, &f.a.ossl_private).map(|s| sig_ossl_to_bytes(&s, P384_LEN));
    let sig_r = oracle::ecdsa_sign(oracle::Curve::P384, f.a.module_private.as_bytes(), digest);
    let (Ok(sig_m), Ok(sig_o), Some(sig_r)) = (sig_m, sig_o, sig_r) else {
        bad.push("ECDSA P-384: an implementation failed to sign".into());
        return bad;
    };
    // ring signs the message whose SHA-384 is `digest`.
    let sig_a = peers::awslc_sign_digest(&f.a.peers.awslc_ecdsa, digest);
    let sig_b = peers::ring_sign(&f.a.peers.ring_ecdsa, &f.msg[..1024]);
    for (signer, sig) in [
        ("module", &sig_m),
        ("OpenSSL", &sig_o),
        ("RustCrypto", &sig_r),
        ("AWS-LC", &sig_a),
        ("ring", &sig_b),
    ] {
        for (d, expect) in [(digest.as_slice(), true), (other.as_slice(), false)] {
            let by_m = Signature::from_bytes(Curve::P384, sig)
                .and_then(|s| m.ecdsa_verify_digest(&f.a.module_public, d, &s))
                .is_ok();
            let by_o = sig_ossl_from_bytes(sig)
                .verify(d, &f.a.ossl_public)
                .unwrap_or(false);
            let by_r =
                oracle::ecdsa_verify(oracle::Curve::P384, f.a.module_public.as_bytes(), d, sig);
            let by_a = peers::awslc_verify_digest(&f.a.peers.sec1, d, sig);
            let by_loaded = Signature::from_bytes(Curve::P384, sig)
                .and_then(|s| {
                    m.ecc_load_public_key(&f.a.module_public)?
                        .into_value()
                        .ecdsa_verify_digest(d, &s)
                })
                .is_ok();
            if [by_m, by_o, by_r, by_a, by_loaded] != [expect; 5] {
                bad.push(format!(
                    "ECDSA P-384 signature by {signer} over {} digest: verified by module {by_m}, OpenSSL {by_o}, RustCrypto {by_r}, AWS-LC {by_a}, module loaded key {by_loaded}",
                    if expect { "the signed" } else { "another" }
                ));
            }
        }
        // ring verifies over the message; a message one bit off must fail.
        let mut other_msg = f.msg[..1024].to_vec();
        other_msg[0] ^= 1;
        let by_ring = [
            peers::ring_verify(&f.a.peers.sec1, &f.msg[..1024], sig),
            peers::ring_verify(&f.a.peers.sec1, &other_msg, sig),
        ];
        if by_ring != [true, false] {
            bad.push(format!(
                "ECDSA P-384 signature by {signer}: ring verifies the signed message / another: {by_ring:?}"
            ));
        }
    }

    // Key generation: the module's d*G matches OpenSSL's.
    let mut bn = BigNumContext::new().expect("BN_CTX");
    let derived = m
        .ecc_public_key(&f.a.module_private)
        .map(|q| q.value().as_bytes().to_vec())
        .unwrap_or_default();
    let expected =
        f.a.ossl_public
            .public_key()
            .to_bytes(
                &f.group,
                openssl::ec::PointConversionForm::UNCOMPRESSED,
                &mut bn,
            )
            .map(|v| v[1..].to_vec())
            .unwrap_or_default();
    let rc_point =
        oracle::ecc_public(oracle::Curve::P384, f.a.module_private.as_bytes()).unwrap_or_default();
    f.p256.check(&mut bad);
    agree(
        &mut bad,
        "P-384 public key d*G".into(),
        &derived,
        &[
            ("OpenSSL", &expected),
            ("RustCrypto", &rc_point),
            ("AWS-LC", &peers::awslc_public(&f.a.peers.awslc_ecdh)),
        ],
    );
    bad
}

fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(failed)".into();
    }
    let shown: String = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 16 {
        format!("{shown}..({} B)", bytes.len())
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implementations_agree_and_a_corruption_is_caught() {
        let f = Fixture::new(svsm_crypto::host::module()).expect("fixture");
        assert_eq!(check(&f, false), Vec::<String>::new());
        let bad = check(&f, true);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].starts_with("Sha256 of 0 B"), "{bad:?}");
    }
}
