//! The crypto gate's two ends joined in-process: `GateCrypto` (the ring-3
//! service's `TpmCrypto`) over `serve` (the kernel's end) over the host
//! module, against the module called directly; and `serve` given hostile
//! pages.

mod common;

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};

use common::{B, R, RH_NULL, Rng, command, rc, session_params, with_pw};
use svsm_abi::vtpm_service::CRYPTO_BYTES;
use svsm_abi::vtpm_service::gate::{
    self as abi, ALG_256, ALG_384, Call, HASH_STATE_BYTES, HASH_UPDATE_MAX, HEADER_BYTES, op,
};
use svsm_vtpm::gate::{GateCrypto, Loopback, serve};
use svsm_vtpm::{AeadCrypto, CryptoError, ModuleCrypto, Tpm, TpmCrypto, TpmCurve, TpmHash};

fn direct() -> ModuleCrypto<'static> {
    ModuleCrypto::new(svsm_crypto::host::module()).expect("module DRBG")
}

fn gated() -> GateCrypto<Loopback<'static>> {
    let page = Box::leak(vec![0u8; CRYPTO_BYTES].into_boxed_slice());
    GateCrypto::new(Loopback(direct()), page)
}

const D1: [u8; 32] = [0x11; 32];
const D2: [u8; 32] = [0x22; 32];

#[test]
fn the_gate_answers_as_the_module_does_directly() {
    let (g, m) = (gated(), direct());
    for alg in [TpmHash::Sha256, TpmHash::Sha384] {
        let n = alg.digest_len();
        let (mut a, mut b) = (vec![0; n], vec![0; n]);
        g.hash(alg, b"abc", &mut a).unwrap();
        m.hash(alg, b"abc", &mut b).unwrap();
        assert_eq!(a, b);
        let mut seq = g.hash_start(alg).unwrap();
        g.hash_update(&mut seq, b"a").unwrap();
        g.hash_update(&mut seq, b"bc").unwrap();
        let mut c = vec![0; n];
        g.hash_finish(seq, &mut c).unwrap();
        assert_eq!(c, b);
        g.hmac(alg, b"key", b"data", &mut a).unwrap();
        m.hmac(alg, b"key", b"data", &mut b).unwrap();
        assert_eq!(a, b);
        let (mut ka, mut kb) = (vec![0; 40], vec![0; 40]);
        g.kdfa(alg, b"key", b"STORAGE", b"u", b"v", &mut ka)
            .unwrap();
        m.kdfa(alg, b"key", b"STORAGE", b"u", b"v", &mut kb)
            .unwrap();
        assert_eq!(ka, kb);
        g.kdfe(alg, b"z", b"SECRET", b"pu", b"pv", &mut ka).unwrap();
        m.kdfe(alg, b"z", b"SECRET", b"pu", b"pv", &mut kb).unwrap();
        assert_eq!(ka, kb);
    }

    let plain: Vec<u8> = (0..100u8).collect();
    let (mut a, mut b) = (plain.clone(), plain.clone());
    g.aes_cfb(true, &[7; 32], &[9; 16], &mut a).unwrap();
    m.aes_cfb(true, &[7; 32], &[9; 16], &mut b).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, plain);
    g.aes_cfb(false, &[7; 32], &[9; 16], &mut a).unwrap();
    assert_eq!(a, plain);

    let (mut q1, mut q1m, mut q2) = ([0; 64], [0; 64], [0; 64]);
    g.ecc_public(TpmCurve::P256, &D1, &mut q1).unwrap();
    m.ecc_public(TpmCurve::P256, &D1, &mut q1m).unwrap();
    assert_eq!(q1, q1m);
    m.ecc_public(TpmCurve::P256, &D2, &mut q2).unwrap();
    let (mut z1, mut z2) = ([0; 32], [0; 32]);
    g.ecdh(TpmCurve::P256, &D1, &q2, &mut z1).unwrap();
    m.ecdh(TpmCurve::P256, &D2, &q1, &mut z2).unwrap();
    assert_eq!(z1, z2);

    let digest = [0x5a; 32];
    let mut sig = [0; 64];
    g.ecdsa_sign(TpmCurve::P256, &D1, &digest, &mut sig)
        .unwrap();
    m.ecdsa_verify(TpmCurve::P256, &q1, &digest, &sig).unwrap();
    g.ecdsa_verify(TpmCurve::P256, &q1, &digest, &sig).unwrap();

    let mut r = [0; 48];
    g.random(&mut r).unwrap();
    assert_ne!(r, [0; 48]);
    g.stir(b"more entropy").unwrap();
}

#[test]
fn errors_cross_the_gate_as_errors_with_the_output_zeroed() {
    let g = gated();
    let mut q = [0xff; 64];
    assert_eq!(
        g.ecc_public(TpmCurve::P256, &[0; 32], &mut q),
        Err(CryptoError::Key)
    );
    assert_eq!(q, [0; 64]);
    g.ecc_public(TpmCurve::P256, &D1, &mut q).unwrap();
    let bad = [1; 64];
    assert_eq!(
        g.ecdsa_verify(TpmCurve::P256, &q, &[0x5a; 32], &bad),
        Err(CryptoError::Verify)
    );
    let mut short = [0xff; 31];
    assert_eq!(
        g.hash(TpmHash::Sha256, b"x", &mut short),
        Err(CryptoError::Arg)
    );
    assert_eq!(short, [0; 31]);
    // Larger than the page: refused before anything crosses.
    let big = vec![0; CRYPTO_BYTES];
    assert_eq!(
        g.hash(TpmHash::Sha256, &big, &mut [0; 32]),
        Err(CryptoError::Arg)
    );
    // A running hash takes it: the state crosses, the data in pieces.
    let mut seq = g.hash_start(TpmHash::Sha256).unwrap();
    g.hash_update(&mut seq, &big).unwrap();
    let mut d = [0; 32];
    g.hash_finish(seq, &mut d).unwrap();
    assert_eq!(d.to_vec(), common::sha256(&[&big]));
    // A finish with the wrong digest size is refused with nothing out.
    let seq = g.hash_start(TpmHash::Sha384).unwrap();
    let mut short = [0xff; 32];
    assert_eq!(g.hash_finish(seq, &mut short), Err(CryptoError::Arg));
    assert_eq!(short, [0; 32]);
}

/// 1 MiB and a bit, in pieces of awkward sizes (one byte, the TPM's input
/// buffer, one gate call's worth and one more, the rest).
fn mebibyte() -> (Vec<u8>, Vec<std::ops::Range<usize>>) {
    let data: Vec<u8> = (0..(1 << 20) + 123u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let cuts = [0, 1, 1025, 1025 + HASH_UPDATE_MAX + 1, 200_000, data.len()];
    let pieces = cuts.windows(2).map(|w| w[0]..w[1]).collect();
    (data, pieces)
}

fn sequence<C: TpmCrypto>(
    c: &C,
    alg: TpmHash,
    data: &[u8],
    pieces: &[std::ops::Range<usize>],
) -> Vec<u8> {
    let mut seq = c.hash_start(alg).unwrap();
    for piece in pieces {
        c.hash_update(&mut seq, &data[piece.clone()]).unwrap();
    }
    let mut out = vec![0; alg.digest_len()];
    c.hash_finish(seq, &mut out).unwrap();
    out
}

#[test]
fn a_sequence_over_a_mebibyte_is_the_one_shot_digest() {
    let (g, m) = (gated(), direct());
    let (data, pieces) = mebibyte();
    for (alg, reference) in [
        (TpmHash::Sha256, common::sha256(&[&data])),
        (TpmHash::Sha384, common::sha384(&[&data])),
    ] {
        let mut one_shot = vec![0; alg.digest_len()];
        m.hash(alg, &data, &mut one_shot).unwrap();
        assert_eq!(one_shot, reference);
        assert_eq!(
            sequence(&m, alg, &data, &pieces),
            reference,
            "{alg:?} direct"
        );
        assert_eq!(sequence(&g, alg, &data, &pieces), reference, "{alg:?} gate");
    }
}

/// A TPM over the gate hashes 1 MiB with HashSequenceStart, SequenceUpdate
/// (1024 bytes per command, the TPM's input buffer) and SequenceComplete.
#[test]
fn a_tpm_over_the_gate_completes_a_mebibyte_sequence() {
    let mut tpm = Tpm::manufacture(gated()).expect("seeds through the gate");
    tpm.power_on();
    assert_eq!(rc(&tpm.execute(&command(0x8001, 0x144, &[0, 0]))), 0);
    let (data, _) = mebibyte();
    let start = command(0x8001, 0x186, &B::new().b2(b"pw").u16(0x0B).0);
    let r = tpm.execute(&start);
    assert_eq!(rc(&r), 0, "HashSequenceStart");
    let h = u32::from_be_bytes(r[10..14].try_into().unwrap());
    let (body, last) = data.split_at(data.len() - 100);
    for chunk in body.chunks(1024) {
        let update = with_pw(0x15C, &[h], b"pw", &B::new().b2(chunk).0);
        assert_eq!(rc(&tpm.execute(&update)), 0, "SequenceUpdate");
    }
    let complete = with_pw(0x13E, &[h], b"pw", &B::new().b2(last).u32(RH_NULL).0);
    let r = tpm.execute(&complete);
    assert_eq!(rc(&r), 0, "SequenceComplete");
    let mut p = R(session_params(&r, false));
    assert_eq!(p.b2(), common::sha256(&[&data]).as_slice());
}

/// What serve answers for a hash-state call with `state` as its first input.
fn serve_state(op: u32, param: u32, state: &[u8], data: &[u8], output: u32) -> (u64, Vec<u8>) {
    let m = direct();
    let sizes = [state.len() as u32, data.len() as u32, 0, 0, 0];
    let c = call(op, param, sizes, output);
    let mut page = page_with(c, &[state, data].concat());
    let status = serve(&m, &mut page);
    let inputs = state.len() + data.len();
    assert!(
        page[HEADER_BYTES..HEADER_BYTES + inputs]
            .iter()
            .all(|&b| b == 0),
        "inputs wiped"
    );
    let out = page[HEADER_BYTES + inputs..HEADER_BYTES + inputs + output as usize].to_vec();
    if status != abi::OK {
        assert!(out.iter().all(|&b| b == 0), "no output after an error");
    }
    (status, out)
}

#[test]
fn serve_refuses_forged_hash_states() {
    let n = HASH_STATE_BYTES as u32;
    let (status, empty) = serve_state(op::HASH_START, ALG_256, &[], &[], n);
    assert_eq!(status, abi::OK);
    let (status, good) = serve_state(op::HASH_UPDATE, ALG_256, &empty, b"abcdef", n);
    assert_eq!(status, abi::OK);
    let (status, digest) = serve_state(op::HASH_FINISH, ALG_256, &good, b"g", 32);
    assert_eq!((status, digest), (abi::OK, common::sha256(&[b"abcdefg"])));

    let forged = |at: usize, v: u8| {
        let mut s = good.clone();
        s[at] = v;
        s
    };
    // The module's layout (crypto-c/src/hashing.c): magic, algorithm,
    // buffered count, reserved (u32 each), byte count (u64), high count
    // (u64), chaining value (64 bytes), partial block (128 bytes).
    let refused: [(&str, Vec<u8>); 9] = [
        ("magic", forged(0, 0)),
        ("algorithm field", forged(4, 9)),
        ("buffered count", forged(8, 5)),
        ("reserved", forged(12, 1)),
        ("byte count", forged(16, 7)),
        ("chaining value past SHA-256's", forged(32 + 32, 1)),
        ("partial block past its count", forged(96 + 6, 1)),
        ("random bytes", vec![0xa5; HASH_STATE_BYTES]),
        ("all zero", vec![0; HASH_STATE_BYTES]),
    ];
    for (what, state) in &refused {
        for op in [op::HASH_UPDATE, op::HASH_FINISH] {
            let out = if op == op::HASH_UPDATE { n } else { 32 };
            let (status, _) = serve_state(op, ALG_256, state, b"x", out);
            assert_eq!(status, abi::ERR_ARG, "{what}, op {op}");
        }
    }
    // A SHA-256 state is no SHA-384 state; a state has its one length.
    assert_eq!(
        serve_state(op::HASH_FINISH, ALG_384, &good, b"", 48).0,
        abi::ERR_ARG
    );
    assert_eq!(
        serve_state(op::HASH_UPDATE, ALG_256, &good[..n as usize - 1], b"", n).0,
        abi::ERR_ARG
    );
    assert_eq!(
        serve_state(
            op::HASH_UPDATE,
            ALG_256,
            &[good.clone(), vec![0]].concat(),
            b"",
            n
        )
        .0,
        abi::ERR_ARG
    );
    // Outputs of the wrong size, an unknown algorithm, inputs the call
    // does not take.
    assert_eq!(
        serve_state(op::HASH_START, ALG_256, &[], &[], n - 1).0,
        abi::ERR_ARG
    );
    assert_eq!(
        serve_state(op::HASH_UPDATE, ALG_256, &good, b"x", n + 1).0,
        abi::ERR_ARG
    );
    assert_eq!(
        serve_state(op::HASH_FINISH, ALG_256, &good, b"x", 31).0,
        abi::ERR_ARG
    );
    assert_eq!(serve_state(op::HASH_START, 2, &[], &[], n).0, abi::ERR_ARG);
    assert_eq!(
        serve_state(op::HASH_START, ALG_256, &[1], &[], n).0,
        abi::ERR_ARG
    );
    let m = direct();
    let mut page = page_with(
        call(op::HASH_UPDATE, ALG_256, [n, 1, 1, 0, 0], n),
        &[good.as_slice(), b"xy"].concat(),
    );
    assert_eq!(serve(&m, &mut page), abi::ERR_ARG);
    // A forged chaining value is a state the module could have written: it
    // is accepted and only changes the service's own digest.
    let (status, other) = serve_state(
        op::HASH_FINISH,
        ALG_256,
        &forged(32, good[32] ^ 1),
        b"g",
        32,
    );
    assert_eq!(status, abi::OK);
    assert_ne!(other, common::sha256(&[b"abcdefg"]));
}

/// A page holding `call` with `input` bytes after the header.
fn page_with(call: Call, input: &[u8]) -> Vec<u8> {
    let mut page = vec![0u8; CRYPTO_BYTES];
    call.write(&mut page).unwrap();
    page[HEADER_BYTES..HEADER_BYTES + input.len()].copy_from_slice(input);
    page
}

fn call(op: u32, param: u32, inputs: [u32; 5], output: u32) -> Call {
    Call {
        op,
        param,
        inputs,
        output,
    }
}

#[test]
fn serve_wipes_the_inputs_and_writes_only_the_output() {
    let m = direct();
    let mut page = page_with(call(op::HMAC, ALG_256, [3, 4, 0, 0, 0], 32), b"keydata");
    assert_eq!(serve(&m, &mut page), abi::OK);
    assert_eq!(
        &page[HEADER_BYTES..HEADER_BYTES + 7],
        &[0; 7],
        "inputs wiped"
    );
    let mut mac = [0; 32];
    m.hmac(TpmHash::Sha256, b"key", b"data", &mut mac).unwrap();
    assert_eq!(&page[HEADER_BYTES + 7..HEADER_BYTES + 39], &mac);
    assert!(page[HEADER_BYTES + 39..].iter().all(|&b| b == 0));

    // A failed call wipes its inputs and leaves its output zero.
    let mut page = page_with(
        call(op::ECC_PUBLIC, ALG_256, [32, 0, 0, 0, 0], 64),
        &[0; 32],
    );
    page[HEADER_BYTES + 32..HEADER_BYTES + 96].fill(0xee);
    assert_eq!(serve(&m, &mut page), abi::ERR_KEY);
    assert!(page[HEADER_BYTES..].iter().all(|&b| b == 0));
}

#[test]
fn serve_refuses_hostile_pages() {
    let m = direct();
    let room = (CRYPTO_BYTES - HEADER_BYTES) as u32;
    let cases = [
        // Lengths beyond the page, or overflowing when added.
        (
            call(op::HASH, ALG_256, [room, 0, 0, 0, 0], 32),
            abi::ERR_ARG,
        ),
        (
            call(op::HASH, ALG_256, [u32::MAX, 2, 0, 0, 0], 32),
            abi::ERR_ARG,
        ),
        (call(op::RANDOM, 0, [0; 5], u32::MAX), abi::ERR_ARG),
        // An algorithm, curve or direction that does not exist.
        (call(op::HASH, 2, [1, 0, 0, 0, 0], 32), abi::ERR_ARG),
        (call(op::ECC_PUBLIC, 9, [32, 0, 0, 0, 0], 64), abi::ERR_ARG),
        (call(op::AES_CFB, 2, [32, 16, 16, 0, 0], 16), abi::ERR_ARG),
        // An IV that is not 16 bytes; data and output of different sizes.
        (call(op::AES_CFB, 1, [32, 15, 16, 0, 0], 16), abi::ERR_ARG),
        (call(op::AES_CFB, 1, [32, 16, 16, 0, 0], 17), abi::ERR_ARG),
        // Wrong digest size; no such call.
        (call(op::HASH, ALG_256, [1, 0, 0, 0, 0], 31), abi::ERR_ARG),
        (call(0, 0, [0; 5], 0), abi::ERR_UNSUPPORTED),
    ];
    let gcm = |op, param, inputs, output| (call(op, param, inputs, output), abi::ERR_ARG);
    let gcm_cases = [
        // AES-GCM seal (key, IV, AAD, plaintext → ciphertext || tag): a
        // parameter, a fifth input, an output shorter than the plaintext, a
        // tag of a size GCM does not have, a key that is no AES key, no IV.
        gcm(op::AES_GCM_SEAL, 1, [32, 12, 0, 8, 0], 24),
        gcm(op::AES_GCM_SEAL, 0, [32, 12, 0, 8, 1], 24),
        gcm(op::AES_GCM_SEAL, 0, [32, 12, 0, 8, 0], 7),
        gcm(op::AES_GCM_SEAL, 0, [32, 12, 0, 8, 0], 8 + 3),
        gcm(op::AES_GCM_SEAL, 0, [32, 12, 0, 8, 0], 8 + 17),
        gcm(op::AES_GCM_SEAL, 0, [31, 12, 0, 8, 0], 24),
        gcm(op::AES_GCM_SEAL, 0, [32, 0, 0, 8, 0], 24),
        // ... and lengths that together overrun the page.
        gcm(op::AES_GCM_SEAL, 0, [32, 12, 0, room - 44, 0], 16),
        gcm(op::AES_GCM_SEAL, 0, [32, 12, u32::MAX - 40, 8, 0], 24),
        // AES-GCM open: a parameter, plaintext and ciphertext of different
        // sizes, a tag of a size GCM does not have, more than the page.
        gcm(op::AES_GCM_OPEN, 1, [32, 12, 0, 8, 16], 8),
        gcm(op::AES_GCM_OPEN, 0, [32, 12, 0, 8, 16], 9),
        gcm(op::AES_GCM_OPEN, 0, [32, 12, 0, 8, 3], 8),
        gcm(op::AES_GCM_OPEN, 0, [32, 12, 0, room, 16], 0),
    ];
    for (c, want) in cases.into_iter().chain(gcm_cases) {
        let mut page = page_with(c, &[0x11; 64]);
        assert_eq!(serve(&m, &mut page), want, "{c:?}");
        // Nothing of a refused call stays in the page: inputs wiped, no
        // output.
        if let Some(end) = c.extent() {
            assert!(page[HEADER_BYTES..end].iter().all(|&b| b == 0), "{c:?}");
        }
    }
    // A page shorter than a header.
    assert_eq!(serve(&m, &mut [0u8; HEADER_BYTES - 1]), abi::ERR_ARG);
}

#[test]
fn a_tpm_runs_over_the_gate() {
    let mut tpm = Tpm::manufacture(gated()).expect("seeds through the gate");
    tpm.power_on();
    assert_eq!(
        rc(&tpm.execute(&command(0x8001, 0x144, &[0, 0]))),
        0,
        "Startup"
    );
    let r = tpm.execute(&command(0x8001, 0x17B, &[0, 16]));
    assert_eq!(rc(&r), 0, "GetRandom");
    assert_eq!(&r[10..12], &[0, 16]);
}

const KEY: [u8; 32] = [0x42; 32];
const IV: [u8; 12] = [0x24; 12];
const AAD: &[u8] = b"block 7";

#[test]
fn aes_gcm_over_the_gate_is_the_modules() {
    let (g, m) = (gated(), direct());
    let plain: Vec<u8> = (0..=255u8).cycle().take(4096 + 5).collect();
    for key in [&KEY[..16], &KEY[..]] {
        for text in [&plain[..0], &plain[..1], &plain[..]] {
            let (mut cg, mut tg) = (vec![0; text.len()], [0; 16]);
            let (mut cm, mut tm) = (vec![0; text.len()], [0; 16]);
            g.aes_gcm_seal(key, &IV, AAD, text, &mut cg, &mut tg)
                .unwrap();
            m.aes_gcm_seal(key, &IV, AAD, text, &mut cm, &mut tm)
                .unwrap();
            assert_eq!((&cg, tg), (&cm, tm));
            assert_ne!(tg, [0; 16]);
            if !text.is_empty() {
                assert_ne!(&cg[..], text);
            }
            let mut back = vec![0xff; text.len()];
            g.aes_gcm_open(key, &IV, AAD, &cg, &tg, &mut back).unwrap();
            assert_eq!(&back[..], text);
        }
    }
    // An independent AES-256-GCM (RustCrypto) agrees.
    let mut reference = plain.clone();
    let tag = Aes256Gcm::new_from_slice(&KEY)
        .unwrap()
        .encrypt_in_place_detached(&Nonce::from(IV), AAD, &mut reference)
        .unwrap();
    let (mut c, mut t) = (vec![0; plain.len()], [0; 16]);
    g.aes_gcm_seal(&KEY, &IV, AAD, &plain, &mut c, &mut t)
        .unwrap();
    assert_eq!((c, &t[..]), (reference, &tag[..]));
    // A short tag is the leading bytes of the full one.
    let (mut c, mut t8, mut t16) = ([0; 3], [0; 8], [0; 16]);
    g.aes_gcm_seal(&KEY, &IV, b"", b"abc", &mut c, &mut t8)
        .unwrap();
    m.aes_gcm_seal(&KEY, &IV, b"", b"abc", &mut c, &mut t16)
        .unwrap();
    assert_eq!(t8, t16[..8]);
}

#[test]
fn a_forged_aes_gcm_open_returns_no_plaintext() {
    let g = gated();
    let plain = b"sixteen byte blk and some more";
    let (mut c, mut t) = ([0; 30], [0; 16]);
    g.aes_gcm_seal(&KEY, &IV, AAD, plain, &mut c, &mut t)
        .unwrap();
    let mut forged_tag = t;
    forged_tag[15] ^= 1;
    let mut forged_text = c;
    forged_text[0] ^= 0x80;
    let mut other_key = KEY;
    other_key[0] ^= 1;
    let forgeries: [[&[u8]; 5]; 5] = [
        [&KEY, &IV, AAD, &c, &forged_tag],
        [&KEY, &IV, AAD, &forged_text, &t],
        [&KEY, &IV, b"block 8", &c, &t],
        [&KEY, &[0x25; 12], AAD, &c, &t],
        [&other_key, &IV, AAD, &c, &t],
    ];
    for [key, iv, aad, text, tag] in forgeries {
        let mut out = [0xff; 30];
        assert_eq!(
            g.aes_gcm_open(key, iv, aad, text, tag, &mut out),
            Err(CryptoError::Verify)
        );
        assert_eq!(out, [0; 30], "no plaintext after a failed open");
    }

    // The kernel's end: a forged open leaves the page empty (inputs,
    // key included, wiped; no output) and a good one leaves only the
    // plaintext.
    let m = direct();
    let sizes = [32, 12, AAD.len() as u32, 30, 16];
    let inputs = [&KEY[..], &IV, AAD, &c, &forged_tag].concat();
    let mut page = page_with(call(op::AES_GCM_OPEN, 0, sizes, 30), &inputs);
    assert_eq!(serve(&m, &mut page), abi::ERR_VERIFY);
    assert!(page[HEADER_BYTES..].iter().all(|&b| b == 0));
    let inputs = [&KEY[..], &IV, AAD, &c, &t].concat();
    let mut page = page_with(call(op::AES_GCM_OPEN, 0, sizes, 30), &inputs);
    assert_eq!(serve(&m, &mut page), abi::OK);
    let end = HEADER_BYTES + inputs.len();
    assert!(page[HEADER_BYTES..end].iter().all(|&b| b == 0));
    assert_eq!(&page[end..end + 30], plain);
}

#[test]
fn aes_gcm_lengths_the_service_gets_wrong_are_refused_with_outputs_zeroed() {
    let g = gated();
    let mut c = [0xff; 4];
    let mut t = [0xff; 16];
    // Ciphertext not the plaintext's size: refused before the gate.
    assert_eq!(
        g.aes_gcm_seal(&KEY, &IV, b"", b"abc", &mut c, &mut t),
        Err(CryptoError::Arg)
    );
    assert_eq!((c, t), ([0; 4], [0; 16]));
    // A tag size GCM does not have; a key that is no AES key.
    let mut c = [0xff; 3];
    let mut t5 = [0xff; 5];
    assert_eq!(
        g.aes_gcm_seal(&KEY, &IV, b"", b"abc", &mut c, &mut t5),
        Err(CryptoError::Arg)
    );
    assert_eq!((c, t5), ([0; 3], [0; 5]));
    assert_eq!(
        g.aes_gcm_seal(&KEY[..24], &IV, b"", b"abc", &mut c, &mut t),
        Err(CryptoError::Arg)
    );
    // More than the page carries.
    let big = vec![0; CRYPTO_BYTES];
    let mut out = vec![0xff; CRYPTO_BYTES];
    assert_eq!(
        g.aes_gcm_seal(&KEY, &IV, b"", &big, &mut out, &mut t),
        Err(CryptoError::Arg)
    );
    assert!(out.iter().all(|&b| b == 0));
    assert_eq!(
        g.aes_gcm_open(&KEY, &IV, b"", &big, &t, &mut out),
        Err(CryptoError::Arg)
    );
    assert!(out.iter().all(|&b| b == 0));
}

/// Thousands of forged states, each through HASH_UPDATE and HASH_FINISH:
/// a few bytes of a real state flipped (any field), counts set to anything
/// (buffered count kept consistent or not, up to the counters' ends), the
/// partial block filled with junk. The module never fails otherwise than
/// `ERR_ARG`, the page is wiped after every refusal, and a state it accepts
/// and continues is one it accepts again.
#[test]
fn serve_survives_random_forged_hash_states() {
    let n = HASH_STATE_BYTES as u32;
    let mut rng = Rng(0x5eed_0f9a_7e11);
    let mut seeds = Vec::new();
    for (alg, digest) in [(ALG_256, 32u32), (ALG_384, 48)] {
        let (status, empty) = serve_state(op::HASH_START, alg, &[], &[], n);
        assert_eq!(status, abi::OK);
        for len in [1usize, 63, 64, 65, 127, 200] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let (status, state) = serve_state(op::HASH_UPDATE, alg, &empty, &data, n);
            assert_eq!(status, abi::OK);
            seeds.push((alg, digest, state));
        }
    }
    let (mut accepted, mut refused) = (0, 0);
    for round in 0..6000 {
        let (alg, digest, seed) = &seeds[round % seeds.len()];
        let mut state = seed.clone();
        match rng.below(3) {
            0 => {
                for _ in 0..1 + rng.below(4) {
                    let at = rng.below(state.len());
                    state[at] ^= 1 << rng.below(8);
                }
            }
            1 => {
                // Byte count (16..24) and high count (24..32) anything; the
                // buffered count (8..12) agreeing with it half the time.
                let lo = rng.next() >> (rng.below(64) as u32);
                state[16..24].copy_from_slice(&lo.to_le_bytes());
                state[24..32].copy_from_slice(&rng.next().to_le_bytes());
                let block = if *alg == ALG_256 { 64 } else { 128 };
                let buffered = if rng.below(2) == 0 {
                    lo % block
                } else {
                    rng.next() % 256
                };
                state[8..12].copy_from_slice(&(buffered as u32).to_le_bytes());
            }
            _ => {
                let buffered = u32::from_le_bytes(state[8..12].try_into().unwrap()) as usize;
                for b in &mut state[96..96 + buffered.min(128)] {
                    *b = rng.next() as u8;
                }
            }
        }
        let data = vec![0x3c; rng.below(300)];
        let (status, next) = serve_state(op::HASH_UPDATE, *alg, &state, &data, n);
        match status {
            abi::OK => {
                accepted += 1;
                let (again, _) = serve_state(op::HASH_FINISH, *alg, &next, b"", *digest);
                assert_eq!(again, abi::OK, "round {round}: a state the kernel wrote");
            }
            abi::ERR_ARG => refused += 1,
            other => panic!("round {round}: status {other}"),
        }
        let (status, _) = serve_state(op::HASH_FINISH, *alg, &state, &data, *digest);
        assert!(
            status == abi::OK || status == abi::ERR_ARG,
            "round {round}: {status}"
        );
    }
    assert!(
        accepted > 100 && refused > 100,
        "{accepted} accepted, {refused} refused"
    );
}
