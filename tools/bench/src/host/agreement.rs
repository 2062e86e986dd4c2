//! The agreement check: the module, OpenSSL and RustCrypto (through the test
//! oracle, `svsm-oracle`) give the same answers on the fixture's inputs.

use openssl::bn::BigNumContext;
use openssl::ecdsa::EcdsaSig;
use openssl::pkey::PKey;
use svsm_crypto::{AES_GCM_TAG_LEN, Curve, Error, HashAlg, Signature};
use svsm_oracle as oracle;

use super::adapters::*;
use super::fixture::{BULK_SIZES, Fixture, filler};

/// Runs every agreement check and returns the disagreements (empty: agreed).
/// `corrupt` flips one bit of the module's first SHA-256 output, to exercise
/// the refusal path.
pub fn check(f: &Fixture, corrupt: bool) -> Vec<String> {
    let mut bad = Vec::new();
    let m = f.module;
    let agree = |bad: &mut Vec<String>, what: String, module: &[u8], ossl: &[u8], rc: &[u8]| {
        if module.is_empty() || module != ossl || module != rc {
            bad.push(format!(
                "{what}: module {} / OpenSSL {} / RustCrypto {}",
                hex(module),
                hex(ossl),
                hex(rc)
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
                &hash_ossl(alg, msg),
                &oracle::hash(reference, msg),
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
                &hmac_ossl(&pkey, msg),
                &oracle::hmac(oracle::HashAlg::Sha384, &key, msg),
            );
        }
    }

    for okm_len in [32usize, 48, 100] {
        let (mut a, mut b) = (vec![0; okm_len], vec![0; okm_len]);
        let c = oracle::hkdf(oracle::HashAlg::Sha384, &f.ikm, &f.salt, &f.info, okm_len)
            .unwrap_or_default();
        let ok = hkdf_module(m, &f.ikm, &f.salt, &f.info, &mut a)
            && hkdf_ossl(&f.ikm, &f.salt, &f.info, &mut b);
        if !ok {
            a.clear();
        }
        agree(
            &mut bad,
            format!("HKDF-SHA-384 OKM {okm_len} B"),
            &a,
            &b,
            &c,
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
    for &n in sizes.iter().filter(|&&n| n > 0) {
        let pt = &f.msg[..n];
        let mut ct_m = vec![0u8; n];
        let mut tag_m = [0u8; AES_GCM_TAG_LEN];
        let sealed = mkey.seal_with_iv(&f.iv, &f.aad, pt, &mut ct_m, &mut tag_m);
        let mut ct_o = vec![0u8; n];
        let tag_o = seal_ossl(&mut oseal, &f.iv, &f.aad, pt, &mut ct_o);
        let (ct_r, tag_r) = oracle::gcm_seal(&f.aes_key, &f.iv, &f.aad, pt).unwrap_or_default();
        if sealed.is_err() {
            ct_m.clear();
        }
        let join = |c: &[u8], t: &[u8]| [c, t].concat();
        agree(
            &mut bad,
            format!("AES-256-GCM seal {n} B (ciphertext || tag)"),
            &join(&ct_m, &tag_m),
            &join(&ct_o, &tag_o),
            &join(&ct_r, &tag_r),
        );
        // Each opens the others' output, and all reject a forged tag.
        let mut out = vec![0u8; n];
        let opened = [
            mkey.open(&f.iv, &f.aad, &ct_o, &tag_o, &mut out).is_ok() && out == pt,
            open_ossl(&mut oopen, &f.iv, &f.aad, &ct_r, &tag_r, &mut out) && out == pt,
            oracle::gcm_open(&f.aes_key, &f.iv, &f.aad, &ct_m, &tag_m).as_deref() == Some(pt),
        ];
        let mut forged = tag_m;
        forged[0] ^= 1;
        let rejected = [
            mkey.open(&f.iv, &f.aad, &ct_m, &forged, &mut out) == Err(Error::Auth),
            !open_ossl(&mut oopen, &f.iv, &f.aad, &ct_m, &forged, &mut out),
            oracle::gcm_open(&f.aes_key, &f.iv, &f.aad, &ct_m, &forged).is_none(),
        ];
        if opened.contains(&false) || rejected.contains(&false) {
            bad.push(format!(
                "AES-256-GCM open {n} B: opened peers' output {opened:?}, rejected forgery {rejected:?} (module, OpenSSL, RustCrypto)"
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
            if !(o && r) {
                bad.push(format!(
                    "AES-256-GCM module-generated IV: OpenSSL opens {o}, RustCrypto opens {r}"
                ));
            }
        }
        Err(e) => bad.push(format!("AES-256-GCM module seal (generated IV): {e}")),
    }

    // ECDH both ways.
    for (name, own, peer) in [("A,B", &f.a, &f.b), ("B,A", &f.b, &f.a)] {
        let zm = m
            .ecdh(&own.module_private, &peer.module_public)
            .map(|z| z.value().as_bytes().to_vec())
            .unwrap_or_default();
        agree(
            &mut bad,
            format!("ECDH P-384 ({name})"),
            &zm,
            &ecdh_ossl(&own.ossl_pkey_private, &peer.ossl_pkey_public),
            &oracle::ecdh(
                oracle::Curve::P384,
                own.module_private.as_bytes(),
                peer.module_public.as_bytes(),
            )
            .unwrap_or_default(),
        );
    }

    // ECDSA: each signs; each verifies all three; all reject another digest.
    let digest = &f.digest;
    let mut other = *digest;
    other[0] ^= 1;
    let sig_m = m
        .ecdsa_sign_digest(&f.a.module_private, digest)
        .map(|s| s.value().as_bytes().to_vec());
    let sig_o = EcdsaSig::sign(digest, &f.a.ossl_private).map(|s| sig_ossl_to_bytes(&s));
    let sig_r = oracle::ecdsa_sign(oracle::Curve::P384, f.a.module_private.as_bytes(), digest);
    let (Ok(sig_m), Ok(sig_o), Some(sig_r)) = (sig_m, sig_o, sig_r) else {
        bad.push("ECDSA P-384: an implementation failed to sign".into());
        return bad;
    };
    for (signer, sig) in [
        ("module", &sig_m),
        ("OpenSSL", &sig_o),
        ("RustCrypto", &sig_r),
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
            if [by_m, by_o, by_r] != [expect; 3] {
                bad.push(format!(
                    "ECDSA P-384 signature by {signer} over {} digest: verified by module {by_m}, OpenSSL {by_o}, RustCrypto {by_r}",
                    if expect { "the signed" } else { "another" }
                ));
            }
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
    agree(
        &mut bad,
        "P-384 public key d*G".into(),
        &derived,
        &expected,
        &rc_point,
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
