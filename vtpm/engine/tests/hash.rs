//! TPM2_Hash and hash sequences against RustCrypto sha2.

mod common;
use common::*;

#[test]
fn hash_both_algorithms() {
    let mut tpm = started();
    for (alg, expected) in [(0x0Bu16, sha256(&[b"abc"])), (0x0C, sha384(&[b"abc"]))] {
        let r = ok(
            &mut tpm,
            &command(ST_NO, 0x17D, &B::new().b2(b"abc").u16(alg).u32(RH_OWNER).0),
        );
        let mut p = R(body(&r));
        assert_eq!(p.b2(), expected.as_slice());
        assert_eq!(p.u16(), 0x8024);
        assert_eq!(p.u32(), RH_OWNER);
        assert_eq!(p.b2().len(), 32, "an HMAC-SHA-256 ticket");
    }
    // The NULL hierarchy gets the NULL ticket.
    let r = ok(
        &mut tpm,
        &command(ST_NO, 0x17D, &B::new().b2(b"abc").u16(0x0B).u32(RH_NULL).0),
    );
    let mut p = R(body(&r));
    p.b2();
    assert_eq!((p.u16(), p.u32(), p.b2()), (0x8024, RH_NULL, &[][..]));
    // Data that starts like a TPM-generated structure gets no ticket.
    let generated = [0xFF, 0x54, 0x43, 0x47, 1];
    let r = ok(
        &mut tpm,
        &command(
            ST_NO,
            0x17D,
            &B::new().b2(&generated).u16(0x0B).u32(RH_OWNER).0,
        ),
    );
    let mut p = R(body(&r));
    p.b2();
    assert_eq!((p.u16(), p.u32(), p.b2()), (0x8024, RH_NULL, &[][..]));
    // SHA-1: TPM_RC_HASH + P2; a bad hierarchy: TPM_RC_VALUE + P3.
    let c = command(ST_NO, 0x17D, &B::new().b2(b"abc").u16(0x04).u32(RH_OWNER).0);
    assert_eq!(rc(&tpm.execute(&c)), 0x2C3);
    let c = command(
        ST_NO,
        0x17D,
        &B::new().b2(b"abc").u16(0x0B).u32(RH_LOCKOUT).0,
    );
    assert_eq!(rc(&tpm.execute(&c)), 0x3C4);
}

#[test]
fn sequence_hashes_what_it_was_given() {
    let mut tpm = started();
    let r = ok(
        &mut tpm,
        &command(ST_NO, 0x186, &B::new().b2(b"seqpw").u16(0x0C).0),
    );
    let h = u32::from_be_bytes(r[10..14].try_into().unwrap());
    let big = vec![0x61u8; 1024];
    ok(
        &mut tpm,
        &with_pw(0x15C, &[h], b"seqpw", &B::new().b2(&big).0),
    );
    ok(
        &mut tpm,
        &with_pw(0x15C, &[h], b"seqpw", &B::new().b2(b"middle").0),
    );
    assert_eq!(
        rc(&tpm.execute(&with_pw(0x15C, &[h], b"nope", &B::new().b2(b"x").0))),
        0x9A2
    );
    let r = ok(
        &mut tpm,
        &with_pw(0x13E, &[h], b"seqpw", &B::new().b2(b"end").u32(RH_NULL).0),
    );
    let mut p = R(session_params(&r, false));
    assert_eq!(p.b2(), sha384(&[&big, b"middle", b"end"]).as_slice());
    // Completed sequences are flushed.
    assert_eq!(tpm.resources(), (0, 0, 0));
    // Over the input buffer: TPM_RC_SIZE + P1.
    let r = ok(
        &mut tpm,
        &command(ST_NO, 0x186, &B::new().b2(b"").u16(0x0B).0),
    );
    let h = u32::from_be_bytes(r[10..14].try_into().unwrap());
    let c = with_pw(0x15C, &[h], &[], &B::new().b2(&[0; 1025]).0);
    assert_eq!(rc(&tpm.execute(&c)), 0x1D5);
    // Event sequences (hashAlg NULL) are not offered: TPM_RC_HASH + P2.
    let c = command(ST_NO, 0x186, &B::new().b2(b"").u16(0x10).0);
    assert_eq!(rc(&tpm.execute(&c)), 0x2C3);
}
