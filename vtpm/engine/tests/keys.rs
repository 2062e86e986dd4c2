//! CreatePrimary (keys derived from the seeds as Part 1 says, checked with
//! an independent KDFa and RustCrypto p256/p384), ReadPublic, Sign,
//! VerifySignature, Quote, the context commands and Clear.

mod common;
use common::*;

use p256::ecdsa::signature::hazmat::PrehashVerifier;

/// Sign parameters: a digest, a scheme (0x10 = the key's) and the NULL
/// hash-check ticket.
fn sign_params(digest: &[u8], scheme: &[u8]) -> Vec<u8> {
    B::new()
        .b2(digest)
        .bytes(scheme)
        .u16(0x8024)
        .u32(RH_NULL)
        .b2(&[])
        .0
}

fn flush(tpm: &mut HostTpm, h: u32) {
    ok(tpm, &command(ST_NO, 0x165, &B::new().u32(h).0));
}

fn p256_key(x: &[u8], y: &[u8]) -> p256::ecdsa::VerifyingKey {
    let mut sec1 = vec![4u8];
    sec1.extend_from_slice(x);
    sec1.extend_from_slice(y);
    p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).expect("a valid P-256 point")
}

/// Parses a TPMT_SIGNATURE (ECDSA) into r || s.
fn ecdsa_signature(p: &mut R<'_>) -> (u16, Vec<u8>) {
    assert_eq!(p.u16(), 0x0018);
    let hash = p.u16();
    let mut rs = p.b2().to_vec();
    rs.extend_from_slice(p.b2());
    (hash, rs)
}

#[test]
fn same_template_same_seed_same_key() {
    let mut tpm = started();
    let template = ecdsa_template(3, 0x0B);
    let (h1, public1, name1) = create_primary(&mut tpm, RH_OWNER, &[], &template, &[]);
    flush(&mut tpm, h1);
    let (h2, public2, name2) = create_primary(&mut tpm, RH_OWNER, &[], &template, &[]);
    assert_eq!(public1, public2);
    assert_eq!(name1, name2);
    // Another hierarchy, another seed, another key.
    let (_, public3, _) = create_primary(&mut tpm, RH_ENDORSEMENT, &[], &template, &[]);
    assert_ne!(ecc_point(&public1), ecc_point(&public3));
    // The name is nameAlg || SHA-256(TPMT_PUBLIC).
    let mut expected = vec![0, 0x0B];
    expected.extend_from_slice(&sha256(&[&public1]));
    assert_eq!(name1, expected);
    // A fresh TPM with the same seeds gives the same key.
    let mut other = started();
    let (_, public4, _) = create_primary(&mut other, RH_OWNER, &[], &template, &[]);
    assert_eq!(public1, public4);
    flush(&mut tpm, h2);
}

#[test]
fn the_key_is_kdfa_of_the_seed() {
    let mut tpm = started();
    let template = ecdsa_template(3, 0x0B);
    let (_, public, _) = create_primary(&mut tpm, RH_OWNER, &[], &template, &[]);
    // d = KDFa(SHA-256, owner seed, "ECC", SHA-256(template), [1]_32, 256).
    let context = sha256(&[&template]);
    let d = kdfa_sha256(&[0x22; 48], b"ECC", &context, &1u32.to_be_bytes(), 32);
    let secret = p256::SecretKey::from_slice(&d).expect("d in [1, n-1]");
    let point = secret.public_key().to_sec1_bytes();
    let (x, y) = ecc_point(&public);
    assert_eq!(&point[1..33], x.as_slice());
    assert_eq!(&point[33..], y.as_slice());
}

#[test]
fn p384_primary_in_the_endorsement_hierarchy() {
    let mut tpm = started();
    let template = ecdsa_template(4, 0x0C);
    let (h, public, name) = create_primary(&mut tpm, RH_ENDORSEMENT, &[], &template, &[]);
    let (x, y) = ecc_point(&public);
    assert_eq!((x.len(), y.len()), (48, 48));
    let mut sec1 = vec![4u8];
    sec1.extend_from_slice(&x);
    sec1.extend_from_slice(&y);
    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).expect("on P-384");
    assert_eq!(&name[..2], &[0, 0x0C]);
    // Sign a SHA-384 digest; RustCrypto verifies it.
    let digest = sha384(&[b"p384"]);
    let params = sign_params(&digest, &[0, 0x10]);
    let r = ok(&mut tpm, &with_pw(0x15D, &[h], &[], &params));
    let (hash, rs) = ecdsa_signature(&mut R(session_params(&r, false)));
    assert_eq!(hash, 0x0C);
    let sig = p384::ecdsa::Signature::from_slice(&rs).unwrap();
    key.verify_prehash(&digest, &sig)
        .expect("TPM signature verifies");
}

#[test]
fn storage_key_template_of_tpm2_tools() {
    let mut tpm = started();
    let (h, public, _) = create_primary(&mut tpm, RH_OWNER, &[], &storage_template(), &[]);
    let r = ok(&mut tpm, &command(ST_NO, 0x173, &B::new().u32(h).0));
    let mut p = R(body(&r));
    assert_eq!(p.b2(), public.as_slice());
    // A storage key cannot sign: TPM_RC_KEY + H1.
    let params = sign_params(&[0; 32], &[0, 0x18, 0, 0x0B]);
    assert_eq!(rc(&tpm.execute(&with_pw(0x15D, &[h], &[], &params))), 0x19C);
}

#[test]
fn template_errors_are_numbered() {
    let mut tpm = started();
    // RSA: TPM_RC_TYPE + P2.
    let mut rsa = ecdsa_template(3, 0x0B);
    rsa[1] = 0x01;
    let c = with_pw(0x131, &[RH_OWNER], &[], &create_primary_params(&rsa, &[]));
    assert_eq!(rc(&tpm.execute(&c)), 0x2CA);
    // P-521: TPM_RC_CURVE + P2.
    let p521 = ecdsa_template(5, 0x0B);
    let c = with_pw(0x131, &[RH_OWNER], &[], &create_primary_params(&p521, &[]));
    assert_eq!(rc(&tpm.execute(&c)), 0x2E6);
    // SHA-1 name algorithm: TPM_RC_HASH + P2.
    let sha1 = ecdsa_template(3, 0x04);
    let c = with_pw(0x131, &[RH_OWNER], &[], &create_primary_params(&sha1, &[]));
    assert_eq!(rc(&tpm.execute(&c)), 0x2C3);
    // Lockout is not a hierarchy for CreatePrimary: TPM_RC_VALUE + H1.
    let ok_template = ecdsa_template(3, 0x0B);
    let c = with_pw(
        0x131,
        &[RH_LOCKOUT],
        &[],
        &create_primary_params(&ok_template, &[]),
    );
    assert_eq!(rc(&tpm.execute(&c)), 0x184);
}

#[test]
fn object_slots_are_bounded() {
    let mut tpm = started();
    let template = ecdsa_template(3, 0x0B);
    let mut handles = Vec::new();
    for _ in 0..svsm_vtpm::LIMITS.objects {
        handles.push(create_primary(&mut tpm, RH_NULL, &[], &template, &[]).0);
    }
    assert_eq!(handles, vec![0x8000_0000, 0x8000_0001, 0x8000_0002]);
    let c = with_pw(
        0x131,
        &[RH_NULL],
        &[],
        &create_primary_params(&template, &[]),
    );
    assert_eq!(rc(&tpm.execute(&c)), 0x902, "TPM_RC_OBJECT_MEMORY");
    for h in handles {
        flush(&mut tpm, h);
    }
    // Flushing twice: TPM_RC_HANDLE + P1.
    assert_eq!(
        rc(&tpm.execute(&command(ST_NO, 0x165, &B::new().u32(0x8000_0000).0))),
        0x1CB
    );
    assert_eq!(tpm.resources(), (0, 0, 0));
}

#[test]
fn sign_verify_and_tickets() {
    let mut tpm = started();
    let (h, public, _) = create_primary(&mut tpm, RH_OWNER, &[], &ecdsa_template(3, 0x0B), b"key");
    let (x, y) = ecc_point(&public);
    let digest = sha256(&[b"message"]);
    let params = sign_params(&digest, &[0, 0x10]);
    // Wrong key password: TPM_RC_AUTH_FAIL + S1 (a DA-protected key).
    assert_eq!(
        rc(&tpm.execute(&with_pw(0x15D, &[h], b"nope", &params))),
        0x98E
    );
    let r = ok(&mut tpm, &with_pw(0x15D, &[h], b"key", &params));
    let mut p = R(session_params(&r, false));
    let (hash, rs) = ecdsa_signature(&mut p);
    assert_eq!(hash, 0x0B);
    let sig = p256::ecdsa::Signature::from_slice(&rs).unwrap();
    p256_key(&x, &y)
        .verify_prehash(&digest, &sig)
        .expect("verifies");

    // VerifySignature of that signature: a TPMT_TK_VERIFIED.
    let signature = B::new().u16(0x18).u16(0x0B).b2(&rs[..32]).b2(&rs[32..]).0;
    let r = ok(
        &mut tpm,
        &command(
            ST_NO,
            0x177,
            &B::new().u32(h).b2(&digest).bytes(&signature).0,
        ),
    );
    let mut p = R(body(&r));
    assert_eq!(p.u16(), 0x8022);
    assert_eq!(p.u32(), RH_OWNER);
    assert_eq!(p.b2().len(), 32);
    // A different digest: TPM_RC_SIGNATURE + P2.
    let other = sha256(&[b"other"]);
    let c = command(
        ST_NO,
        0x177,
        &B::new().u32(h).b2(&other).bytes(&signature).0,
    );
    assert_eq!(rc(&tpm.execute(&c)), 0x2DB);
    // Scheme mismatch (key says SHA-256, caller asks SHA-384): TPM_RC_SCHEME + P2.
    let params = sign_params(&digest, &[0, 0x18, 0, 0x0C]);
    assert_eq!(
        rc(&tpm.execute(&with_pw(0x15D, &[h], b"key", &params))),
        0x2D2
    );
}

#[test]
fn restricted_key_signs_only_with_a_hash_ticket() {
    let mut tpm = started();
    // Restricted ECDSA signing key (an attestation key).
    let mut template = ecdsa_template(3, 0x0B);
    template[4..8].copy_from_slice(&0x0005_0072u32.to_be_bytes());
    let (h, public, _) = create_primary(&mut tpm, RH_ENDORSEMENT, &[], &template, &[]);
    let data = b"external data";
    let r = ok(
        &mut tpm,
        &command(
            ST_NO,
            0x17D,
            &B::new().b2(data).u16(0x0B).u32(RH_ENDORSEMENT).0,
        ),
    );
    let mut p = R(body(&r));
    let digest = p.b2().to_vec();
    assert_eq!(digest, sha256(&[data]));
    let ticket = p.take(p.0.len()).to_vec();
    let params = B::new().b2(&digest).u16(0x10).bytes(&ticket).0;
    let r = ok(&mut tpm, &with_pw(0x15D, &[h], &[], &params));
    let (_, rs) = ecdsa_signature(&mut R(session_params(&r, false)));
    let (x, y) = ecc_point(&public);
    let sig = p256::ecdsa::Signature::from_slice(&rs).unwrap();
    p256_key(&x, &y).verify_prehash(&digest, &sig).unwrap();
    // The NULL ticket: TPM_RC_TICKET + P3.
    let params = sign_params(&digest, &[0, 0x10]);
    assert_eq!(rc(&tpm.execute(&with_pw(0x15D, &[h], &[], &params))), 0x3E0);
}

#[test]
fn quote_signs_the_pcr_digest() {
    let mut tpm = started();
    let extend = B::new().u32(1).u16(0x0B).bytes(&[0x42; 32]).0;
    ok(&mut tpm, &with_pw(0x182, &[7], &[], &extend));
    let (h, public, name) =
        create_primary(&mut tpm, RH_ENDORSEMENT, &[], &ecdsa_template(3, 0x0B), &[]);
    let sel = selection(0x0B, &[0, 7]);
    let params = B::new().b2(b"qualifying").u16(0x10).bytes(&sel).0;
    let r = ok(&mut tpm, &with_pw(0x158, &[h], &[], &params));
    let mut p = R(session_params(&r, false));
    let attest = p.b2().to_vec();
    let (_, rs) = ecdsa_signature(&mut p);
    // The signature covers SHA-256(TPMS_ATTEST).
    let sig = p256::ecdsa::Signature::from_slice(&rs).unwrap();
    let (x, y) = ecc_point(&public);
    p256_key(&x, &y)
        .verify_prehash(&sha256(&[&attest]), &sig)
        .expect("quote signature verifies");
    let mut a = R(&attest);
    assert_eq!(a.u32(), 0xFF54_4347, "TPM_GENERATED_VALUE");
    assert_eq!(a.u16(), 0x8018, "TPM_ST_ATTEST_QUOTE");
    // qualifiedSigner = nameAlg || H(endorsement handle || name).
    let mut qn = vec![0, 0x0B];
    qn.extend_from_slice(&sha256(&[&RH_ENDORSEMENT.to_be_bytes(), &name]));
    assert_eq!(a.b2(), qn.as_slice());
    assert_eq!(a.b2(), b"qualifying");
    a.u64();
    a.u32();
    a.u32();
    a.u8();
    a.u64();
    assert_eq!(a.take(sel.len()), sel.as_slice());
    let pcr7 = sha256(&[&[0; 32], &[0x42; 32]]);
    assert_eq!(a.b2(), sha256(&[&[0; 32], &pcr7]).as_slice());
    assert!(a.0.is_empty());
}

#[test]
fn context_save_and_load() {
    let mut tpm = started();
    let (h, public, _) = create_primary(&mut tpm, RH_OWNER, &[], &ecdsa_template(3, 0x0B), &[]);
    let r = ok(&mut tpm, &command(ST_NO, 0x162, &B::new().u32(h).0));
    let context = body(&r).to_vec();
    flush(&mut tpm, h);
    let r = ok(&mut tpm, &command(ST_NO, 0x161, &context));
    let loaded = u32::from_be_bytes(r[10..14].try_into().unwrap());
    let r = ok(&mut tpm, &command(ST_NO, 0x173, &B::new().u32(loaded).0));
    assert_eq!(R(body(&r)).b2(), public.as_slice());
    // A forged blob: TPM_RC_INTEGRITY + P1.
    let mut forged = context.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert_eq!(rc(&tpm.execute(&command(ST_NO, 0x161, &forged))), 0x1DF);
    // Power cycles forget saved contexts.
    tpm.power_on();
    ok(&mut tpm, &command(ST_NO, 0x144, &[0, 0]));
    assert_eq!(rc(&tpm.execute(&command(ST_NO, 0x161, &context))), 0x1DF);
}

#[test]
fn clear_changes_the_owner_seed_not_the_endorsement_seed() {
    let mut tpm = started();
    let template = ecdsa_template(3, 0x0B);
    let (h, before, _) = create_primary(&mut tpm, RH_OWNER, &[], &template, &[]);
    let (_, platform_before, _) = create_primary(&mut tpm, RH_PLATFORM, &[], &template, &[]);
    let (ek, ek_before, _) = create_primary(&mut tpm, RH_ENDORSEMENT, &[], &template, &[]);
    flush(&mut tpm, ek);
    // A hash-check ticket of the endorsement hierarchy, valid before Clear.
    let hash = B::new().b2(b"data").u16(0x0B).u32(RH_ENDORSEMENT).0;
    let r = ok(&mut tpm, &command(ST_NO, 0x17D, &hash));
    let ticket_before = body(&r).to_vec();
    ok(&mut tpm, &with_pw(0x126, &[RH_PLATFORM], &[], &[]));
    // The owner's objects are gone; the platform's stay.
    assert_eq!(
        rc(&tpm.execute(&command(ST_NO, 0x173, &B::new().u32(h).0))),
        0x910
    );
    assert_eq!(tpm.resources().0, 1);
    let (_, after, _) = create_primary(&mut tpm, RH_OWNER, &[], &template, &[]);
    assert_ne!(ecc_point(&before), ecc_point(&after));
    let (p, platform_after, _) = create_primary(&mut tpm, RH_PLATFORM, &[], &template, &[]);
    assert_eq!(platform_before, platform_after);
    flush(&mut tpm, p);
    // The EK survives Clear (the endorsement seed stays); ehProof changes.
    let (_, ek_after, _) = create_primary(&mut tpm, RH_ENDORSEMENT, &[], &template, &[]);
    assert_eq!(ek_before, ek_after);
    let r = ok(&mut tpm, &command(ST_NO, 0x17D, &hash));
    assert_ne!(body(&r), ticket_before.as_slice());
}
