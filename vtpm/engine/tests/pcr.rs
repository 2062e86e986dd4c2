//! PCR_Extend, PCR_Event, PCR_Read, PCR_Reset and PCR state across
//! Shutdown/Startup, against values computed with RustCrypto sha2.

mod common;
use common::*;

#[test]
fn extend_both_banks_matches_sha2() {
    let mut tpm = started();
    let d256 = [0xA5u8; 32];
    let d384 = [0x5Au8; 48];
    let digests = B::new()
        .u32(2)
        .u16(0x0B)
        .bytes(&d256)
        .u16(0x0C)
        .bytes(&d384)
        .0;
    ok(&mut tpm, &with_pw(0x182, &[10], &[], &digests));
    let expected256 = sha256(&[&[0; 32], &d256]);
    let expected384 = sha384(&[&[0; 48], &d384]);
    assert_eq!(pcr_read(&mut tpm, 0x0B, &[10]), vec![expected256.clone()]);
    assert_eq!(pcr_read(&mut tpm, 0x0C, &[10]), vec![expected384]);
    // A second extend chains.
    ok(
        &mut tpm,
        &with_pw(0x182, &[10], &[], &B::new().u32(1).u16(0x0B).bytes(&d256).0),
    );
    assert_eq!(
        pcr_read(&mut tpm, 0x0B, &[10]),
        vec![sha256(&[&expected256, &d256])]
    );
}

#[test]
fn extend_checks_its_input() {
    let mut tpm = started();
    // SHA-1 is not a bank: TPM_RC_HASH + P1.
    let sha1 = B::new().u32(1).u16(0x04).bytes(&[0; 20]).0;
    assert_eq!(rc(&tpm.execute(&with_pw(0x182, &[10], &[], &sha1))), 0x1C3);
    // A short digest: TPM_RC_INSUFFICIENT + P1.
    let short = B::new().u32(1).u16(0x0B).bytes(&[0; 31]).0;
    assert_eq!(rc(&tpm.execute(&with_pw(0x182, &[10], &[], &short))), 0x1DA);
    // PCR 24 does not exist: TPM_RC_VALUE + H1.
    let fine = B::new().u32(1).u16(0x0B).bytes(&[0; 32]).0;
    assert_eq!(rc(&tpm.execute(&with_pw(0x182, &[24], &[], &fine))), 0x184);
    // Without an authorization: TPM_RC_AUTH_MISSING.
    let bare = B::new().u32(10).bytes(&fine).0;
    assert_eq!(rc(&tpm.execute(&command(ST_NO, 0x182, &bare))), 0x125);
    // TPM_RH_NULL is accepted and changes nothing.
    ok(&mut tpm, &with_pw(0x182, &[RH_NULL], &[], &fine));
    assert_eq!(pcr_read(&mut tpm, 0x0B, &[10]), vec![vec![0; 32]]);
}

#[test]
fn event_hashes_with_every_bank() {
    let mut tpm = started();
    let event = b"measured boot event";
    let r = ok(&mut tpm, &with_pw(0x13C, &[11], &[], &B::new().b2(event).0));
    let mut p = R(session_params(&r, false));
    assert_eq!(p.u32(), 2);
    assert_eq!(p.u16(), 0x0B);
    assert_eq!(p.take(32), sha256(&[event]).as_slice());
    assert_eq!(p.u16(), 0x0C);
    assert_eq!(p.take(48), sha384(&[event]).as_slice());
    assert_eq!(
        pcr_read(&mut tpm, 0x0B, &[11]),
        vec![sha256(&[&[0; 32], &sha256(&[event])])]
    );
    assert_eq!(
        pcr_read(&mut tpm, 0x0C, &[11]),
        vec![sha384(&[&[0; 48], &sha384(&[event])])]
    );
}

#[test]
fn read_returns_at_most_eight_and_says_which() {
    let mut tpm = started();
    let all: Vec<usize> = (0..24).collect();
    let r = ok(&mut tpm, &command(ST_NO, 0x17E, &selection(0x0B, &all)));
    let mut p = R(body(&r));
    assert_eq!(p.u32(), 0, "update counter");
    assert_eq!(p.u32(), 1);
    assert_eq!(p.u16(), 0x0B);
    assert_eq!(p.u8(), 3);
    assert_eq!(p.take(3), &[0xFF, 0, 0]);
    assert_eq!(p.u32(), 8);
    // PC Client reset values: 0-16 and 23 zero, 17-22 all ones.
    let values = pcr_read(&mut tpm, 0x0C, &[16, 17, 22, 23]);
    assert_eq!(
        values,
        vec![vec![0; 48], vec![0xFF; 48], vec![0xFF; 48], vec![0; 48]]
    );
    // An unknown bank comes back with nothing selected.
    let r = ok(&mut tpm, &command(ST_NO, 0x17E, &selection(0x04, &[0])));
    let mut p = R(body(&r));
    p.u32();
    assert_eq!(p.u32(), 1);
    assert_eq!(p.u16(), 0x04);
    p.u8();
    assert_eq!(p.take(3), &[0, 0, 0]);
    assert_eq!(p.u32(), 0);
}

#[test]
fn reset_only_resettable_pcrs() {
    let mut tpm = started();
    let d = B::new().u32(1).u16(0x0B).bytes(&[1; 32]).0;
    ok(&mut tpm, &with_pw(0x182, &[16], &[], &d));
    assert_ne!(pcr_read(&mut tpm, 0x0B, &[16]), vec![vec![0; 32]]);
    ok(&mut tpm, &with_pw(0x13D, &[16], &[], &[]));
    assert_eq!(pcr_read(&mut tpm, 0x0B, &[16]), vec![vec![0; 32]]);
    // PCR 10 is not resettable at locality 0: TPM_RC_LOCALITY.
    assert_eq!(rc(&tpm.execute(&with_pw(0x13D, &[10], &[], &[]))), 0x907);
}

#[test]
fn shutdown_state_keeps_pcrs_for_startup_state() {
    let mut tpm = started();
    let d = B::new().u32(1).u16(0x0B).bytes(&[3; 32]).0;
    ok(&mut tpm, &with_pw(0x182, &[4], &[], &d));
    ok(&mut tpm, &with_pw(0x182, &[16], &[], &d));
    let value = pcr_read(&mut tpm, 0x0B, &[4]);
    ok(&mut tpm, &command(ST_NO, 0x145, &[0, 1]));
    tpm.power_on();
    ok(&mut tpm, &command(ST_NO, 0x144, &[0, 1]));
    assert_eq!(pcr_read(&mut tpm, 0x0B, &[4]), value);
    // PCR 16 is not in the saved set: a resume resets it (as swtpm does).
    assert_eq!(pcr_read(&mut tpm, 0x0B, &[16]), vec![vec![0; 32]]);
    // Without Shutdown(STATE), Startup(STATE) is TPM_RC_VALUE + P1 and
    // Startup(CLEAR) resets the PCRs.
    tpm.power_on();
    assert_eq!(rc(&tpm.execute(&command(ST_NO, 0x144, &[0, 1]))), 0x1C4);
    ok(&mut tpm, &command(ST_NO, 0x144, &[0, 0]));
    assert_eq!(pcr_read(&mut tpm, 0x0B, &[4]), vec![vec![0; 32]]);
}
