//! HMAC sessions: StartAuthSession, command and response HMACs, bound
//! sessions, AES-128-CFB parameter encryption, session limits; password
//! sessions with HierarchyChangeAuth. HMACs, KDFa and AES-CFB of the
//! expected values are RustCrypto's.

mod common;
use common::*;

use aes::cipher::{AsyncStreamCipher, KeyIvInit};

struct Session {
    handle: u32,
    /// The caller's nonce for the next command.
    caller: Vec<u8>,
    nonce_tpm: Vec<u8>,
    key: Vec<u8>,
}

/// StartAuthSession parameters with tpmKey and bind NULL, SHA-256.
fn start_params(caller: &[u8], salt: &[u8], kind: u8, symmetric: &[u8]) -> Vec<u8> {
    B::new()
        .u32(RH_NULL)
        .u32(RH_NULL)
        .b2(caller)
        .b2(salt)
        .u8(kind)
        .bytes(symmetric)
        .u16(0x0B)
        .0
}

/// StartAuthSession(tpmKey NULL, bind, HMAC, symmetric, SHA-256).
fn start(tpm: &mut HostTpm, bind: u32, bind_auth: &[u8], aes: bool, caller: &[u8]) -> Session {
    let mut params = B::new().u32(RH_NULL).u32(bind).b2(caller).b2(&[]).u8(0);
    params = if aes {
        params.u16(0x06).u16(128).u16(0x43)
    } else {
        params.u16(0x10)
    };
    let r = ok(tpm, &command(ST_NO, 0x176, &params.u16(0x0B).0));
    let handle = u32::from_be_bytes(r[10..14].try_into().unwrap());
    let nonce_tpm = R(&r[14..]).b2().to_vec();
    assert_eq!(nonce_tpm.len(), 32);
    let key = if bind == RH_NULL {
        Vec::new()
    } else {
        kdfa_sha256(bind_auth, b"ATH", &nonce_tpm, caller, 32)
    };
    Session {
        handle,
        caller: caller.to_vec(),
        nonce_tpm,
        key,
    }
}

/// A command authorized by `s`: handles, their names, the entity's
/// authValue, session attributes, parameters as sent.
fn hmac_command(
    s: &Session,
    code: u32,
    handles: &[u32],
    names: &[&[u8]],
    auth: &[u8],
    attrs: u8,
    params: &[u8],
) -> Vec<u8> {
    let caller = s.caller.as_slice();
    let mut cp = code.to_be_bytes().to_vec();
    for n in names {
        cp.extend_from_slice(n);
    }
    cp.extend_from_slice(params);
    let cp_hash = sha256(&[&cp]);
    let key = [s.key.as_slice(), auth].concat();
    let hmac = hmac_sha256(&key, &[&cp_hash, caller, &s.nonce_tpm, &[attrs]]);
    let area = B::new().u32(s.handle).b2(caller).u8(attrs).b2(&hmac).0;
    let mut body = B::new();
    for h in handles {
        body = body.u32(*h);
    }
    command(
        ST_SESS,
        code,
        &body.u32(area.len() as u32).bytes(&area).bytes(params).0,
    )
}

/// Checks the response HMAC and returns (response parameters, new nonceTPM).
fn check_response(
    s: &Session,
    code: u32,
    response: &[u8],
    auth: &[u8],
    caller: &[u8],
    attrs: u8,
) -> (Vec<u8>, Vec<u8>) {
    assert_eq!(rc(response), 0);
    let params = session_params(response, false).to_vec();
    let mut p = R(&response[14 + params.len()..]);
    let nonce = p.b2().to_vec();
    assert_eq!(p.u8(), attrs);
    let hmac = p.b2().to_vec();
    let rp_hash = sha256(&[&0u32.to_be_bytes(), &code.to_be_bytes(), &params]);
    let key = [s.key.as_slice(), auth].concat();
    assert_eq!(
        hmac,
        hmac_sha256(&key, &[&rp_hash, &nonce, caller, &[attrs]]),
        "response HMAC"
    );
    (params, nonce)
}

#[test]
fn unbound_hmac_session_authorizes_pcr_extend() {
    let mut tpm = started();
    let caller = [7u8; 16];
    let mut s = start(&mut tpm, RH_NULL, &[], false, &caller);
    assert_eq!(s.handle, 0x0200_0000);
    let params = B::new().u32(1).u16(0x0B).bytes(&[9; 32]).0;
    let c = hmac_command(&s, 0x182, &[5], &[&5u32.to_be_bytes()], &[], 1, &params);
    let r = tpm.execute(&c);
    let (_, nonce) = check_response(&s, 0x182, &r, &[], &caller, 1);
    assert_eq!(
        pcr_read(&mut tpm, 0x0B, &[5]),
        vec![sha256(&[&[0; 32], &[9; 32]])]
    );
    // The old nonceTPM no longer works.
    let c = hmac_command(&s, 0x182, &[5], &[&5u32.to_be_bytes()], &[], 1, &params);
    assert_eq!(rc(&tpm.execute(&c)), 0x9A2, "TPM_RC_BAD_AUTH + S1");
    // A bad HMAC did not end the session; the rolled nonce does work.
    s.nonce_tpm = nonce;
    let caller2 = [8u8; 16];
    s.caller = caller2.to_vec();
    let c = hmac_command(&s, 0x182, &[5], &[&5u32.to_be_bytes()], &[], 0, &params);
    let r = tpm.execute(&c);
    check_response(&s, 0x182, &r, &[], &caller2, 0);
    // continueSession was clear: the session is gone.
    assert_eq!(tpm.resources().1, 0);
    assert_eq!(rc(&tpm.execute(&c)), 0x918, "TPM_RC_REFERENCE_S0");
}

#[test]
fn owner_auth_through_password_and_hmac_sessions() {
    let mut tpm = started();
    let template = ecdsa_template(3, 0x0B);
    ok(
        &mut tpm,
        &with_pw(0x129, &[RH_OWNER], &[], &B::new().b2(b"owner").0),
    );
    let c = with_pw(
        0x131,
        &[RH_OWNER],
        b"wrong",
        &create_primary_params(&template, &[]),
    );
    assert_eq!(rc(&tpm.execute(&c)), 0x9A2);
    let (h, _, _) = create_primary(&mut tpm, RH_OWNER, b"owner", &template, &[]);
    ok(&mut tpm, &command(ST_NO, 0x165, &B::new().u32(h).0));
    // The same through an unbound HMAC session (sessionKey empty, so the
    // HMAC key is the owner's authValue), as tpm2-tools does.
    let caller = [1u8; 32];
    let s = start(&mut tpm, RH_NULL, &[], false, &caller);
    let params = create_primary_params(&template, &[]);
    let name = RH_OWNER.to_be_bytes();
    let c = hmac_command(&s, 0x131, &[RH_OWNER], &[&name], b"owner", 1, &params);
    let r = tpm.execute(&c);
    assert_eq!(rc(&r), 0);
    // The response has a handle before the parameters: check the HMAC by hand.
    let size = u32::from_be_bytes(r[14..18].try_into().unwrap()) as usize;
    let resp_params = &r[18..18 + size];
    let mut p = R(&r[18 + size..]);
    let nonce = p.b2().to_vec();
    assert_eq!(p.u8(), 1);
    let hmac = p.b2();
    let rp = sha256(&[&0u32.to_be_bytes(), &0x131u32.to_be_bytes(), resp_params]);
    assert_eq!(
        hmac,
        hmac_sha256(b"owner", &[&rp, &nonce, &caller, &[1]]).as_slice()
    );
}

#[test]
fn bound_session_encrypts_the_first_parameter() {
    let mut tpm = started();
    ok(
        &mut tpm,
        &with_pw(0x129, &[RH_OWNER], &[], &B::new().b2(b"secret-owner").0),
    );
    let caller = [3u8; 16];
    let s = start(&mut tpm, RH_OWNER, b"secret-owner", true, &caller);
    assert_eq!(s.key.len(), 32);
    // PCR_Event on PCR 12 with the event data encrypted (decrypt
    // attribute): the PCR is not the bind entity, so the HMAC and CFB key
    // is sessionKey || authValue(PCR) = sessionKey.
    let event = b"an event the wire must not show";
    let material = kdfa_sha256(&s.key, b"CFB", &caller, &s.nonce_tpm, 32);
    let mut data = event.to_vec();
    cfb_mode::Encryptor::<aes::Aes128>::new_from_slices(&material[..16], &material[16..])
        .unwrap()
        .encrypt(&mut data);
    let params = B::new().b2(&data).0;
    let attrs = 0x20 | 1;
    let c = hmac_command(
        &s,
        0x13C,
        &[12],
        &[&12u32.to_be_bytes()],
        &[],
        attrs,
        &params,
    );
    let r = tpm.execute(&c);
    let (out, _) = check_response(&s, 0x13C, &r, &[], &caller, attrs);
    let mut p = R(&out);
    p.u32();
    p.u16();
    assert_eq!(
        p.take(32),
        sha256(&[event]).as_slice(),
        "TPM saw the plaintext"
    );
    // A session without a symmetric algorithm cannot decrypt:
    // TPM_RC_SYMMETRIC + S1.
    let plain = start(&mut tpm, RH_NULL, &[], false, &caller);
    let c = hmac_command(
        &plain,
        0x13C,
        &[12],
        &[&12u32.to_be_bytes()],
        &[],
        attrs,
        &params,
    );
    assert_eq!(rc(&tpm.execute(&c)), 0x996);
}

#[test]
fn encrypted_response_decrypts_with_the_new_nonce() {
    let mut tpm = started();
    // An NV index (owner-defined, its own auth "nvpw") holding known data.
    let nv_public = B::new()
        .u32(0x0150_0000)
        .u16(0x0B)
        .u32(0x0004_0004)
        .b2(&[])
        .u16(16)
        .0;
    ok(
        &mut tpm,
        &with_pw(
            0x12A,
            &[RH_OWNER],
            &[],
            &B::new().b2(b"nvpw").b2(&nv_public).0,
        ),
    );
    let secret = b"sixteen byte msg";
    let index = 0x0150_0000;
    ok(
        &mut tpm,
        &with_pw(
            0x137,
            &[index, index],
            b"nvpw",
            &B::new().b2(secret).u16(0).0,
        ),
    );
    let r = ok(&mut tpm, &command(ST_NO, 0x169, &B::new().u32(index).0));
    let mut p = R(body(&r));
    p.b2();
    let name = p.b2().to_vec();
    // NV_Read authorized and encrypted by one HMAC session.
    let caller = [4u8; 16];
    let s = start(&mut tpm, RH_NULL, &[], true, &caller);
    let attrs = 0x40 | 1;
    let params = B::new().u16(16).u16(0).0;
    let c = hmac_command(
        &s,
        0x14E,
        &[index, index],
        &[&name, &name],
        b"nvpw",
        attrs,
        &params,
    );
    let r = tpm.execute(&c);
    let (out, nonce) = check_response(&s, 0x14E, &r, b"nvpw", &caller, attrs);
    assert_eq!(&out[..2], &[0, 16]);
    assert_ne!(&out[2..], secret, "the wire does not show the data");
    // Response encryption: KDFa(sessionKey || authValue, "CFB", nonceTPM, nonceCaller).
    let material = kdfa_sha256(b"nvpw", b"CFB", &nonce, &caller, 32);
    let mut data = out[2..].to_vec();
    cfb_mode::Decryptor::<aes::Aes128>::new_from_slices(&material[..16], &material[16..])
        .unwrap()
        .decrypt(&mut data);
    assert_eq!(data, secret);
}

#[test]
fn session_limits_and_start_checks() {
    let mut tpm = started();
    for i in 0..svsm_vtpm::LIMITS.sessions {
        let s = start(&mut tpm, RH_NULL, &[], false, &[i as u8; 16]);
        assert_eq!(s.handle, 0x0200_0000 + i as u32);
    }
    let params = start_params(&[0; 16], &[], 0, &[0, 0x10]);
    assert_eq!(
        rc(&tpm.execute(&command(ST_NO, 0x176, &params))),
        0x905,
        "TPM_RC_SESSION_HANDLES"
    );
    ok(
        &mut tpm,
        &command(ST_NO, 0x165, &B::new().u32(0x0200_0001).0),
    );
    // A nonce under 16 bytes: TPM_RC_SIZE + P1.
    let short = start_params(&[0; 15], &[], 0, &[0, 0x10]);
    assert_eq!(rc(&tpm.execute(&command(ST_NO, 0x176, &short))), 0x1D5);
    // XOR obfuscation is not offered: TPM_RC_SYMMETRIC + P4.
    let xor = start_params(&[0; 16], &[], 0, &[0, 0x0A, 0, 0x0B]);
    assert_eq!(rc(&tpm.execute(&command(ST_NO, 0x176, &xor))), 0x4D6);
    // A salt without a key: TPM_RC_VALUE + P2.
    let salt = start_params(&[0; 16], &[1], 0, &[0, 0x10]);
    assert_eq!(rc(&tpm.execute(&command(ST_NO, 0x176, &salt))), 0x2C4);
    // Session context save and load keeps the handle.
    let r = ok(
        &mut tpm,
        &command(ST_NO, 0x162, &B::new().u32(0x0200_0000).0),
    );
    let context = body(&r).to_vec();
    assert_eq!(tpm.resources(), (0, 2, 1));
    let r = ok(&mut tpm, &command(ST_NO, 0x161, &context));
    assert_eq!(&r[10..14], &0x0200_0000u32.to_be_bytes());
    // Loaded again, the context cannot be replayed.
    assert_eq!(rc(&tpm.execute(&command(ST_NO, 0x161, &context))), 0x1DF);
}

#[test]
fn policy_sessions_satisfy_no_policy() {
    let mut tpm = started();
    let params = start_params(&[0; 16], &[], 1, &[0, 0x10]);
    let r = ok(&mut tpm, &command(ST_NO, 0x176, &params));
    let handle = u32::from_be_bytes(r[10..14].try_into().unwrap());
    assert_eq!(handle >> 24, 0x03);
    let area = B::new().u32(handle).b2(&[0; 16]).u8(1).b2(&[]).0;
    let body = B::new().u32(3).u32(area.len() as u32).bytes(&area).u32(0).0;
    assert_eq!(
        rc(&tpm.execute(&command(ST_SESS, 0x182, &body))),
        0x99D,
        "TPM_RC_POLICY_FAIL + S1"
    );
}

#[test]
fn salted_session_with_an_ecc_storage_key() {
    let mut tpm = started();
    let (key, public, _) = create_primary(&mut tpm, RH_NULL, &[], &storage_template(), &[]);
    let (qs_x, qs_y) = ecc_point(&public);
    // The caller's ephemeral key (fixed here) and Z = x(e * Qs).
    let e = p256::SecretKey::from_slice(&[0x42; 32]).unwrap();
    let qe = e.public_key().to_sec1_bytes();
    let (qe_x, qe_y) = (&qe[1..33], &qe[33..]);
    let mut qs = vec![4u8];
    qs.extend_from_slice(&qs_x);
    qs.extend_from_slice(&qs_y);
    let qs = p256::PublicKey::from_sec1_bytes(&qs).unwrap();
    let z = p256::ecdh::diffie_hellman(e.to_nonzero_scalar(), qs.as_affine());
    // salt = KDFe(SHA-256, Z, "SECRET", Qe.x, Qs.x, 256).
    let salt = sha256(&[
        &1u32.to_be_bytes(),
        z.raw_secret_bytes(),
        b"SECRET\0",
        qe_x,
        &qs_x,
    ]);
    let point = B::new().b2(qe_x).b2(qe_y).0;
    let caller = [6u8; 32];
    let params = B::new()
        .u32(key)
        .u32(RH_NULL)
        .b2(&caller)
        .b2(&point)
        .u8(0)
        .u16(0x10)
        .u16(0x0B)
        .0;
    let r = ok(&mut tpm, &command(ST_NO, 0x176, &params));
    let handle = u32::from_be_bytes(r[10..14].try_into().unwrap());
    let nonce_tpm = R(&r[14..]).b2().to_vec();
    let s = Session {
        handle,
        caller: caller.to_vec(),
        key: kdfa_sha256(&salt, b"ATH", &nonce_tpm, &caller, 32),
        nonce_tpm,
    };
    let params = B::new().u32(1).u16(0x0B).bytes(&[1; 32]).0;
    let c = hmac_command(&s, 0x182, &[9], &[&9u32.to_be_bytes()], &[], 1, &params);
    let r = tpm.execute(&c);
    check_response(&s, 0x182, &r, &[], &caller, 1);
    // A point not on the curve: TPM_RC_ECC_POINT + P2.
    let bad = B::new().b2(&[1; 32]).b2(&[2; 32]).0;
    let params = B::new()
        .u32(key)
        .u32(RH_NULL)
        .b2(&caller)
        .b2(&bad)
        .u8(0)
        .u16(0x10)
        .u16(0x0B)
        .0;
    assert_eq!(rc(&tpm.execute(&command(ST_NO, 0x176, &params))), 0x2E7);
}

#[test]
fn first_session_hmac_covers_the_decrypt_sessions_nonce() {
    // As tpm2-tools does: an HMAC session authorizes, a second session
    // (AES) decrypts. Session 1's HMAC includes session 2's nonceTPM
    // (nonceTPMdecrypt); session 2 authorizes nothing.
    let mut tpm = started();
    let c1 = [0x11u8; 32];
    let c2 = [0x22u8; 32];
    let auth = start(&mut tpm, RH_NULL, &[], false, &c1);
    let enc = start(&mut tpm, RH_NULL, &[], true, &c2);
    let event = b"two sessions";
    let material = kdfa_sha256(&[], b"CFB", &c2, &enc.nonce_tpm, 32);
    let mut data = event.to_vec();
    cfb_mode::Encryptor::<aes::Aes128>::new_from_slices(&material[..16], &material[16..])
        .unwrap()
        .encrypt(&mut data);
    let params = B::new().b2(&data).0;
    let cp = sha256(&[&0x13Cu32.to_be_bytes(), &13u32.to_be_bytes(), &params]);
    let hmac1 = hmac_sha256(&[], &[&cp, &c1, &auth.nonce_tpm, &enc.nonce_tpm, &[1]]);
    let hmac2 = hmac_sha256(&[], &[&cp, &c2, &enc.nonce_tpm, &[0x21]]);
    let area = B::new()
        .u32(auth.handle)
        .b2(&c1)
        .u8(1)
        .b2(&hmac1)
        .u32(enc.handle)
        .b2(&c2)
        .u8(0x21)
        .b2(&hmac2)
        .0;
    let body = B::new()
        .u32(13)
        .u32(area.len() as u32)
        .bytes(&area)
        .bytes(&params)
        .0;
    let r = ok(&mut tpm, &command(ST_SESS, 0x13C, &body));
    let mut p = R(session_params(&r, false));
    p.u32();
    p.u16();
    assert_eq!(p.take(32), sha256(&[event]).as_slice());
    // Without nonceTPMdecrypt the first HMAC fails: TPM_RC_BAD_AUTH + S1.
    let mut sessions = R(&r[r.len() - 2 * (2 + 32 + 1 + 2 + 32)..]);
    let auth_nonce = sessions.b2().to_vec();
    let hmac1 = hmac_sha256(&[], &[&cp, &c1, &auth_nonce, &[1]]);
    let area = B::new()
        .u32(auth.handle)
        .b2(&c1)
        .u8(1)
        .b2(&hmac1)
        .u32(enc.handle)
        .b2(&c2)
        .u8(0x21)
        .b2(&[])
        .0;
    let body = B::new()
        .u32(13)
        .u32(area.len() as u32)
        .bytes(&area)
        .bytes(&params)
        .0;
    assert_eq!(rc(&tpm.execute(&command(ST_SESS, 0x13C, &body))), 0x9A2);
}
