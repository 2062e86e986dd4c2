//! Startup, Shutdown, self tests, GetRandom, StirRandom and the command
//! header checks.

mod common;
use common::*;

#[test]
fn commands_before_startup_answer_initialize() {
    let mut tpm = tpm_with_seeds();
    tpm.power_on();
    assert_eq!(rc(&tpm.execute(&command(0x8001, 0x17B, &[0, 8]))), 0x100);
    assert_eq!(rc(&tpm.execute(&command(0x8001, 0x144, &[0, 0]))), 0);
    // A second Startup is TPM_RC_INITIALIZE.
    assert_eq!(rc(&tpm.execute(&command(0x8001, 0x144, &[0, 0]))), 0x100);
    // power_on twice, then Startup once more.
    tpm.power_on();
    tpm.power_on();
    assert_eq!(rc(&tpm.execute(&command(0x8001, 0x17B, &[0, 8]))), 0x100);
    assert_eq!(rc(&tpm.execute(&command(0x8001, 0x144, &[0, 0]))), 0);
}

#[test]
fn startup_checks_its_parameter() {
    let mut tpm = tpm_with_seeds();
    tpm.power_on();
    // TPM_RC_VALUE + TPM_RC_P + TPM_RC_1.
    assert_eq!(rc(&tpm.execute(&command(0x8001, 0x144, &[0, 7]))), 0x1C4);
    // Truncated: TPM_RC_INSUFFICIENT + P + 1.
    assert_eq!(rc(&tpm.execute(&command(0x8001, 0x144, &[0]))), 0x1DA);
    // Trailing bytes: TPM_RC_SIZE.
    assert_eq!(rc(&tpm.execute(&command(0x8001, 0x144, &[0, 0, 0]))), 0x095);
}

#[test]
fn header_checks() {
    let mut tpm = started();
    // Size field not the buffer length.
    let mut c = command(0x8001, 0x17B, &[0, 8]);
    c[5] += 1;
    assert_eq!(rc(&tpm.execute(&c)), 0x142);
    // Shorter than a header.
    assert_eq!(rc(&tpm.execute(&[0x80, 0x01, 0])), 0x142);
    assert_eq!(rc(&tpm.execute(&[])), 0x142);
    // Over MAX_COMMAND_SIZE.
    let big = command(0x8001, 0x146, &vec![0; svsm_vtpm::MAX_COMMAND_SIZE]);
    assert_eq!(rc(&tpm.execute(&big)), 0x142);
    // Bad tag.
    assert_eq!(rc(&tpm.execute(&command(0x8003, 0x17B, &[0, 8]))), 0x01E);
    // Unknown command.
    assert_eq!(rc(&tpm.execute(&command(0x8001, 0x1FF, &[]))), 0x143);
}

#[test]
fn get_random_returns_what_was_asked_up_to_a_digest() {
    let mut tpm = started();
    let r = tpm.execute(&command(0x8001, 0x17B, &[0, 32]));
    assert_eq!(rc(&r), 0);
    assert_eq!(&body(&r)[..2], &[0, 32]);
    assert_eq!(body(&r).len(), 34);
    let again = tpm.execute(&command(0x8001, 0x17B, &[0, 32]));
    assert_ne!(body(&r), body(&again), "two draws differ");
    let r = tpm.execute(&command(0x8001, 0x17B, &[0xFF, 0xFF]));
    assert_eq!(rc(&r), 0);
    assert_eq!(&body(&r)[..2], &[0, 48]);
    let r = tpm.execute(&command(0x8001, 0x17B, &[0, 0]));
    assert_eq!(body(&r), &[0, 0]);
}

#[test]
fn stir_random_self_test_and_test_result() {
    let mut tpm = started();
    assert_eq!(
        rc(&tpm.execute(&command(0x8001, 0x146, &[0, 3, 1, 2, 3]))),
        0
    );
    // Larger than 128 bytes: TPM_RC_SIZE + P + 1.
    let mut big = vec![0, 129];
    big.extend_from_slice(&[0; 129]);
    assert_eq!(rc(&tpm.execute(&command(0x8001, 0x146, &big))), 0x1D5);
    assert_eq!(rc(&tpm.execute(&command(0x8001, 0x143, &[1]))), 0);
    assert_eq!(rc(&tpm.execute(&command(0x8001, 0x143, &[2]))), 0x1C4);
    let r = tpm.execute(&command(0x8001, 0x142, &[0, 0, 0, 1, 0, 0x0B]));
    assert_eq!(rc(&r), 0);
    assert_eq!(body(&r), &[0, 0, 0, 0]);
    let r = tpm.execute(&command(0x8001, 0x17C, &[]));
    assert_eq!(rc(&r), 0);
    assert_eq!(body(&r), &[0, 0, 0, 0, 0, 0]);
}
