//! Ordinary NV indices: define, write, read, read public, undefine, and
//! their limits and codes.

mod common;
use common::*;

const INDEX: u32 = 0x0100_0010;
// AUTHWRITE | AUTHREAD | OWNERREAD
const ATTRS: u32 = 0x0006_0004;

fn nv_public(index: u32, attrs: u32, size: u16) -> Vec<u8> {
    B::new().u32(index).u16(0x0B).u32(attrs).b2(&[]).u16(size).0
}

fn define(tpm: &mut HostTpm, index: u32, attrs: u32, size: u16) -> Vec<u8> {
    tpm.execute(&with_pw(
        0x12A,
        &[RH_OWNER],
        &[],
        &B::new().b2(b"pw").b2(&nv_public(index, attrs, size)).0,
    ))
}

/// NV_Write of `data` at `offset`, authorized by the index's password.
fn write(tpm: &mut HostTpm, data: &[u8], offset: u16) -> u32 {
    let params = B::new().b2(data).u16(offset).0;
    rc(&tpm.execute(&with_pw(0x137, &[INDEX, INDEX], b"pw", &params)))
}

#[test]
fn define_write_read_undefine() {
    let mut tpm = started();
    assert_eq!(rc(&define(&mut tpm, INDEX, ATTRS, 32)), 0);
    assert_eq!(
        rc(&define(&mut tpm, INDEX, ATTRS, 32)),
        0x14C,
        "TPM_RC_NV_DEFINED"
    );
    // Read before any write: TPM_RC_NV_UNINITIALIZED.
    let read = |size: u16, offset: u16| B::new().u16(size).u16(offset).0;
    assert_eq!(
        rc(&tpm.execute(&with_pw(0x14E, &[INDEX, INDEX], b"pw", &read(4, 0)))),
        0x14A
    );
    // The public area and name before the write.
    let r = ok(&mut tpm, &command(ST_NO, 0x169, &B::new().u32(INDEX).0));
    let mut p = R(body(&r));
    assert_eq!(p.b2(), nv_public(INDEX, ATTRS, 32).as_slice());
    let mut name = vec![0, 0x0B];
    name.extend_from_slice(&sha256(&[&nv_public(INDEX, ATTRS, 32)]));
    assert_eq!(p.b2(), name.as_slice());
    // Write with the index's own auth, then read it back as the owner.
    assert_eq!(write(&mut tpm, b"hello", 3), 0);
    let r = ok(
        &mut tpm,
        &with_pw(0x14E, &[RH_OWNER, INDEX], &[], &read(8, 0)),
    );
    assert_eq!(R(session_params(&r, false)).b2(), b"\0\0\0hello");
    // WRITTEN is now set in the public area, and in the name.
    let r = ok(&mut tpm, &command(ST_NO, 0x169, &B::new().u32(INDEX).0));
    let written = nv_public(INDEX, ATTRS | 1 << 29, 32);
    assert_eq!(R(body(&r)).b2(), written.as_slice());
    // The owner may not write (no OWNERWRITE): TPM_RC_NV_AUTHORIZATION.
    let c = with_pw(0x137, &[RH_OWNER, INDEX], &[], &B::new().b2(b"x").u16(0).0);
    assert_eq!(rc(&tpm.execute(&c)), 0x149);
    // Wrong index password: TPM_RC_AUTH_FAIL + S1 (DA-protected index).
    let c = with_pw(0x137, &[INDEX, INDEX], b"no", &B::new().b2(b"x").u16(0).0);
    assert_eq!(rc(&tpm.execute(&c)), 0x98E);
    // Past the end: TPM_RC_NV_RANGE.
    assert_eq!(write(&mut tpm, b"xy", 31), 0x146);
    assert_eq!(
        rc(&tpm.execute(&with_pw(0x14E, &[INDEX, INDEX], b"pw", &read(2, 31)))),
        0x146
    );
    ok(&mut tpm, &with_pw(0x122, &[RH_OWNER, INDEX], &[], &[]));
    assert_eq!(
        rc(&tpm.execute(&command(ST_NO, 0x169, &B::new().u32(INDEX).0))),
        0x18B
    );
}

#[test]
fn define_checks_and_limits() {
    let mut tpm = started();
    // A counter index (TPM_NT_COUNTER): not offered, TPM_RC_ATTRIBUTES + P2.
    assert_eq!(rc(&define(&mut tpm, INDEX, ATTRS | 1 << 4, 8)), 0x2C2);
    // No read attribute at all: TPM_RC_ATTRIBUTES + P2.
    assert_eq!(rc(&define(&mut tpm, INDEX, 0x4, 8)), 0x2C2);
    // PLATFORMCREATE from the owner: TPM_RC_ATTRIBUTES + P2.
    assert_eq!(rc(&define(&mut tpm, INDEX, ATTRS | 1 << 30, 8)), 0x2C2);
    // Larger than an index may be: TPM_RC_SIZE + P2.
    let too_big = (svsm_vtpm::LIMITS.nv_index_max + 1) as u16;
    assert_eq!(rc(&define(&mut tpm, INDEX, ATTRS, too_big)), 0x2D5);
    // Not an NV handle: TPM_RC_HANDLE + P2.
    assert_eq!(rc(&define(&mut tpm, 0x8000_0000, ATTRS, 8)), 0x2CB);
    // Fill the store: the total is bounded (TPM_RC_NV_SPACE).
    let max = svsm_vtpm::LIMITS.nv_index_max as u16;
    let mut i = 0;
    let last = loop {
        let r = define(&mut tpm, INDEX + i, ATTRS, max);
        if rc(&r) != 0 {
            break rc(&r);
        }
        i += 1;
    };
    assert_eq!(last, 0x14B);
    assert_eq!(
        i as usize,
        svsm_vtpm::LIMITS.nv_bytes / svsm_vtpm::LIMITS.nv_index_max
    );
}

#[test]
fn nv_survives_power_cycles_and_clear_removes_owner_indices() {
    let mut tpm = started();
    assert_eq!(rc(&define(&mut tpm, INDEX, ATTRS, 4)), 0);
    assert_eq!(write(&mut tpm, b"keep", 0), 0);
    tpm.power_on();
    ok(&mut tpm, &command(ST_NO, 0x144, &[0, 0]));
    let r = ok(
        &mut tpm,
        &with_pw(0x14E, &[INDEX, INDEX], b"pw", &B::new().u16(4).u16(0).0),
    );
    assert_eq!(R(session_params(&r, false)).b2(), b"keep");
    ok(&mut tpm, &with_pw(0x126, &[RH_PLATFORM], &[], &[]));
    assert_eq!(
        rc(&tpm.execute(&command(ST_NO, 0x169, &B::new().u32(INDEX).0))),
        0x18B
    );
}
