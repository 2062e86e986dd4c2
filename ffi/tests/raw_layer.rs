//! The C API itself (through the same bindgen layer the crate uses, in tests
//! only): NULL pointers and short buffers are SVSM_CRYPTO_ERR_ARG, never a
//! crash, and outputs are zeroed on failure.
//!
//! Everything runs in one test function: the module is not reentrant and
//! these calls bypass the crate's lock. The module is brought up through the
//! safe API first.

#[path = "../src/bindings.rs"]
mod bindings;

mod common;

use bindings::*;
use common::{is_zero, poisoned};
use std::ptr::{null, null_mut};

const ARG: i32 = SVSM_CRYPTO_ERR_ARG;

fn hash_ctx() -> svsm_crypto_hash_ctx {
    svsm_crypto_hash_ctx {
        opaque: [0; SVSM_CRYPTO_HASH_CTX_SIZE as usize],
    }
}

fn gcm_ctx() -> svsm_crypto_aes_gcm_ctx {
    svsm_crypto_aes_gcm_ctx {
        opaque: [0; SVSM_CRYPTO_AES_GCM_CTX_SIZE as usize],
    }
}

fn drbg_ctx() -> svsm_crypto_drbg_ctx {
    svsm_crypto_drbg_ctx {
        opaque: [0; SVSM_CRYPTO_DRBG_CTX_SIZE as usize],
    }
}

#[test]
fn null_pointers_and_short_buffers_are_err_arg() {
    assert_eq!(
        svsm_crypto::host::module().state(),
        svsm_crypto::ModuleState::Operational
    );
    let msg = [0x61u8; 3];
    let key = [0x0bu8; 32];

    // SAFETY: every pointer passed is either NULL (what is being tested) or
    // valid for the length passed with it; calls are serialized (one test).
    unsafe {
        // Hash: NULL message with a length, NULL or short digest.
        let mut digest = poisoned(32);
        assert_eq!(
            svsm_crypto_hash(SVSM_CRYPTO_SHA256, null(), 3, digest.as_mut_ptr(), 32),
            ARG
        );
        assert!(is_zero(&digest));
        assert_eq!(
            svsm_crypto_hash(SVSM_CRYPTO_SHA256, msg.as_ptr(), 3, null_mut(), 32),
            ARG
        );
        let mut short = poisoned(31);
        assert_eq!(
            svsm_crypto_hash(SVSM_CRYPTO_SHA256, msg.as_ptr(), 3, short.as_mut_ptr(), 31),
            ARG
        );
        assert!(is_zero(&short));
        let mut long = poisoned(48);
        assert_eq!(
            svsm_crypto_hash(SVSM_CRYPTO_SHA256, msg.as_ptr(), 3, long.as_mut_ptr(), 48),
            ARG
        );
        assert!(is_zero(&long));
        let mut digest = poisoned(32);
        assert_eq!(
            svsm_crypto_hash(99, msg.as_ptr(), 3, digest.as_mut_ptr(), 32),
            ARG
        );
        assert!(is_zero(&digest));
        // NULL with length 0 is an empty message.
        let mut digest = poisoned(32);
        assert_eq!(
            svsm_crypto_hash(SVSM_CRYPTO_SHA256, null(), 0, digest.as_mut_ptr(), 32),
            SVSM_CRYPTO_OK
        );

        // Streaming.
        assert_eq!(svsm_crypto_hash_init(null_mut(), SVSM_CRYPTO_SHA256), ARG);
        let mut ctx = hash_ctx();
        assert_eq!(svsm_crypto_hash_init(&mut ctx, 0), ARG);
        assert_eq!(
            svsm_crypto_hash_init(&mut ctx, SVSM_CRYPTO_SHA384),
            SVSM_CRYPTO_OK
        );
        assert_eq!(svsm_crypto_hash_update(null_mut(), msg.as_ptr(), 3), ARG);
        assert_eq!(svsm_crypto_hash_update(&mut ctx, null(), 3), ARG);
        let mut digest = poisoned(32);
        assert_eq!(
            svsm_crypto_hash_final(&mut ctx, digest.as_mut_ptr(), 32),
            ARG
        );
        assert!(is_zero(&digest));
        svsm_crypto_hash_cleanse(&mut ctx);
        svsm_crypto_hash_cleanse(null_mut());

        // HMAC.
        let mut tag = poisoned(32);
        assert_eq!(
            svsm_crypto_hmac(
                SVSM_CRYPTO_SHA256,
                null(),
                32,
                msg.as_ptr(),
                3,
                tag.as_mut_ptr(),
                32
            ),
            ARG
        );
        assert!(is_zero(&tag));
        let mut tag = poisoned(32);
        assert_eq!(
            svsm_crypto_hmac(
                SVSM_CRYPTO_SHA256,
                key.as_ptr(),
                32,
                null(),
                3,
                tag.as_mut_ptr(),
                32
            ),
            ARG
        );
        assert!(is_zero(&tag));
        assert_eq!(
            svsm_crypto_hmac(
                SVSM_CRYPTO_SHA256,
                key.as_ptr(),
                32,
                msg.as_ptr(),
                3,
                null_mut(),
                32
            ),
            ARG
        );
        assert_eq!(
            svsm_crypto_hmac_verify(
                SVSM_CRYPTO_SHA256,
                key.as_ptr(),
                32,
                msg.as_ptr(),
                3,
                null(),
                32
            ),
            ARG
        );

        // HKDF.
        let mut okm = poisoned(42);
        assert_eq!(
            svsm_crypto_hkdf(
                SVSM_CRYPTO_SHA256,
                null(),
                22,
                null(),
                0,
                null(),
                0,
                okm.as_mut_ptr(),
                42
            ),
            ARG
        );
        assert!(is_zero(&okm));
        assert_eq!(
            svsm_crypto_hkdf(
                SVSM_CRYPTO_SHA256,
                key.as_ptr(),
                22,
                null(),
                0,
                null(),
                0,
                null_mut(),
                42
            ),
            ARG
        );
        let mut prk = poisoned(31);
        assert_eq!(
            svsm_crypto_hkdf_extract(
                SVSM_CRYPTO_SHA256,
                null(),
                0,
                key.as_ptr(),
                22,
                prk.as_mut_ptr(),
                31
            ),
            ARG
        );
        assert!(is_zero(&prk));
        let mut okm = poisoned(42);
        assert_eq!(
            svsm_crypto_hkdf_expand(
                SVSM_CRYPTO_SHA256,
                key.as_ptr(),
                31,
                null(),
                0,
                okm.as_mut_ptr(),
                42
            ),
            ARG
        );
        assert!(is_zero(&okm));

        // AES-GCM.
        let mut gcm = gcm_ctx();
        assert_eq!(svsm_crypto_aes_gcm_init(null_mut(), key.as_ptr(), 32), ARG);
        assert_eq!(svsm_crypto_aes_gcm_init(&mut gcm, null(), 32), ARG);
        assert_eq!(
            svsm_crypto_aes_gcm_init(&mut gcm, key.as_ptr(), 32),
            SVSM_CRYPTO_OK
        );
        let iv = [0u8; 12];
        let plaintext = [1u8; 32];
        let mut ct = poisoned(32);
        let mut tag = poisoned(16);
        let seal = |gcm: &mut svsm_crypto_aes_gcm_ctx,
                    iv: *const u8,
                    pt: *const u8,
                    ct: *mut u8,
                    tag: *mut u8| {
            svsm_crypto_aes_gcm_seal(gcm, iv, 12, null(), 0, pt, 32, ct, tag, 16)
        };
        assert_eq!(
            seal(
                &mut gcm,
                null(),
                plaintext.as_ptr(),
                ct.as_mut_ptr(),
                tag.as_mut_ptr()
            ),
            ARG
        );
        assert!(is_zero(&ct) && is_zero(&tag));
        let (mut ct, mut tag) = (poisoned(32), poisoned(16));
        assert_eq!(
            seal(
                &mut gcm,
                iv.as_ptr(),
                null(),
                ct.as_mut_ptr(),
                tag.as_mut_ptr()
            ),
            ARG
        );
        assert!(is_zero(&ct) && is_zero(&tag));
        let mut ct = poisoned(32);
        assert_eq!(
            seal(
                &mut gcm,
                iv.as_ptr(),
                plaintext.as_ptr(),
                ct.as_mut_ptr(),
                null_mut()
            ),
            ARG
        );
        assert!(is_zero(&ct));
        let mut tag = poisoned(16);
        assert_eq!(
            seal(
                &mut gcm,
                iv.as_ptr(),
                plaintext.as_ptr(),
                null_mut(),
                tag.as_mut_ptr()
            ),
            ARG
        );
        assert!(is_zero(&tag));
        let (mut ct, mut tag) = (poisoned(32), poisoned(16));
        assert_eq!(
            svsm_crypto_aes_gcm_seal_generated_iv(
                &mut gcm,
                null_mut(),
                12,
                null(),
                0,
                plaintext.as_ptr(),
                32,
                ct.as_mut_ptr(),
                tag.as_mut_ptr(),
                16
            ),
            ARG
        );
        assert!(is_zero(&ct) && is_zero(&tag));
        let (mut ivo, mut ct, mut tag) = (poisoned(11), poisoned(32), poisoned(16));
        assert_eq!(
            svsm_crypto_aes_gcm_seal_generated_iv(
                &mut gcm,
                ivo.as_mut_ptr(),
                11,
                null(),
                0,
                plaintext.as_ptr(),
                32,
                ct.as_mut_ptr(),
                tag.as_mut_ptr(),
                16
            ),
            ARG
        );
        assert!(is_zero(&ivo) && is_zero(&ct) && is_zero(&tag));
        let mut pt = poisoned(32);
        assert_eq!(
            svsm_crypto_aes_gcm_open(
                &mut gcm,
                iv.as_ptr(),
                12,
                null(),
                0,
                plaintext.as_ptr(),
                32,
                null(),
                16,
                pt.as_mut_ptr()
            ),
            ARG
        );
        assert!(is_zero(&pt));
        assert_eq!(
            svsm_crypto_aes_gcm_open(
                &mut gcm,
                iv.as_ptr(),
                12,
                null(),
                5,
                plaintext.as_ptr(),
                32,
                tag.as_ptr(),
                16,
                pt.as_mut_ptr()
            ),
            ARG
        );
        svsm_crypto_aes_gcm_cleanse(&mut gcm);
        svsm_crypto_aes_gcm_cleanse(null_mut());

        // DRBG.
        assert_eq!(svsm_crypto_drbg_instantiate(null_mut(), null(), 0), ARG);
        let mut drbg = drbg_ctx();
        assert_eq!(svsm_crypto_drbg_instantiate(&mut drbg, null(), 4), ARG);
        assert_eq!(
            svsm_crypto_drbg_instantiate(&mut drbg, null(), 0),
            SVSM_CRYPTO_OK
        );
        assert_eq!(
            svsm_crypto_drbg_generate(&mut drbg, null_mut(), 16, null(), 0),
            ARG
        );
        let mut out = poisoned(16);
        assert_eq!(
            svsm_crypto_drbg_generate(&mut drbg, out.as_mut_ptr(), 16, null(), 3),
            ARG
        );
        assert!(is_zero(&out));
        assert_eq!(svsm_crypto_drbg_reseed(&mut drbg, null(), 3), ARG);
        assert_eq!(
            svsm_crypto_drbg_reseed_test(&mut drbg, null(), 32, null(), 0),
            ARG
        );
        svsm_crypto_drbg_uninstantiate(&mut drbg);
        svsm_crypto_drbg_uninstantiate(null_mut());
        assert_eq!(
            svsm_crypto_drbg_instantiate_test(&mut drbg, null(), 32, null(), 16, null(), 0),
            ARG
        );
        assert_eq!(svsm_crypto_random(null_mut(), 8), ARG);

        // ECC.
        let (mut d, mut q) = (poisoned(32), poisoned(64));
        assert_eq!(
            svsm_crypto_ecc_keygen(SVSM_CRYPTO_P256, null_mut(), 32, q.as_mut_ptr(), 64),
            ARG
        );
        assert!(is_zero(&q));
        assert_eq!(
            svsm_crypto_ecc_keygen(SVSM_CRYPTO_P256, d.as_mut_ptr(), 32, null_mut(), 64),
            ARG
        );
        assert!(is_zero(&d));
        let (mut d, mut q) = (poisoned(32), poisoned(63));
        assert_eq!(
            svsm_crypto_ecc_keygen(SVSM_CRYPTO_P256, d.as_mut_ptr(), 32, q.as_mut_ptr(), 63),
            ARG
        );
        assert!(is_zero(&d) && is_zero(&q));
        let (mut d, mut q) = (poisoned(48), poisoned(96));
        assert_eq!(
            svsm_crypto_ecc_keygen(7, d.as_mut_ptr(), 48, q.as_mut_ptr(), 96),
            ARG
        );
        assert!(is_zero(&d) && is_zero(&q));
        assert_eq!(
            svsm_crypto_ecc_keygen(SVSM_CRYPTO_P256, d.as_mut_ptr(), 32, q.as_mut_ptr(), 64),
            SVSM_CRYPTO_OK
        );

        assert_eq!(
            svsm_crypto_ecc_public_key_validate(SVSM_CRYPTO_P256, null(), 64),
            ARG
        );
        assert_eq!(
            svsm_crypto_ecc_public_key_validate(SVSM_CRYPTO_P256, q.as_ptr(), 63),
            ARG
        );
        let mut q2 = poisoned(64);
        assert_eq!(
            svsm_crypto_ecc_public_key_derive(SVSM_CRYPTO_P256, null(), 32, q2.as_mut_ptr(), 64),
            ARG
        );
        assert!(is_zero(&q2));
        let mut q2 = poisoned(63);
        assert_eq!(
            svsm_crypto_ecc_public_key_derive(
                SVSM_CRYPTO_P256,
                d.as_ptr(),
                32,
                q2.as_mut_ptr(),
                63
            ),
            ARG
        );
        assert!(is_zero(&q2));

        let digest = [5u8; 32];
        let mut sig = poisoned(64);
        assert_eq!(
            svsm_crypto_ecdsa_sign_digest(
                SVSM_CRYPTO_P256,
                null(),
                32,
                digest.as_ptr(),
                32,
                sig.as_mut_ptr(),
                64
            ),
            ARG
        );
        assert!(is_zero(&sig));
        let mut sig = poisoned(64);
        assert_eq!(
            svsm_crypto_ecdsa_sign_digest(
                SVSM_CRYPTO_P256,
                d.as_ptr(),
                32,
                null(),
                32,
                sig.as_mut_ptr(),
                64
            ),
            ARG
        );
        assert!(is_zero(&sig));
        let mut sig = poisoned(63);
        assert_eq!(
            svsm_crypto_ecdsa_sign_digest(
                SVSM_CRYPTO_P256,
                d.as_ptr(),
                32,
                digest.as_ptr(),
                32,
                sig.as_mut_ptr(),
                63
            ),
            ARG
        );
        assert!(is_zero(&sig));
        let mut sig = poisoned(64);
        assert_eq!(
            svsm_crypto_ecdsa_sign_digest(
                SVSM_CRYPTO_P256,
                d.as_ptr(),
                31,
                digest.as_ptr(),
                32,
                sig.as_mut_ptr(),
                64
            ),
            ARG
        );
        assert!(is_zero(&sig));
        assert_eq!(
            svsm_crypto_ecdsa_verify_digest(
                SVSM_CRYPTO_P256,
                q.as_ptr(),
                64,
                digest.as_ptr(),
                32,
                null(),
                64
            ),
            ARG
        );
        assert_eq!(
            svsm_crypto_ecdsa_verify_digest(
                SVSM_CRYPTO_P256,
                null(),
                64,
                digest.as_ptr(),
                32,
                sig.as_ptr(),
                64
            ),
            ARG
        );

        let mut z = poisoned(32);
        assert_eq!(
            svsm_crypto_ecdh_shared_secret(
                SVSM_CRYPTO_P256,
                d.as_ptr(),
                32,
                null(),
                64,
                z.as_mut_ptr(),
                32
            ),
            ARG
        );
        assert!(is_zero(&z));
        let mut z = poisoned(31);
        assert_eq!(
            svsm_crypto_ecdh_shared_secret(
                SVSM_CRYPTO_P256,
                d.as_ptr(),
                32,
                q.as_ptr(),
                64,
                z.as_mut_ptr(),
                31
            ),
            ARG
        );
        assert!(is_zero(&z));
        assert_eq!(
            svsm_crypto_ecdh_shared_secret(
                SVSM_CRYPTO_P256,
                d.as_ptr(),
                32,
                q.as_ptr(),
                64,
                null_mut(),
                32
            ),
            ARG
        );

        // Control functions tolerate bad arguments too.
        assert_eq!(svsm_crypto_self_test_result_get(0, null_mut()), ARG);
        let mut result = svsm_crypto_self_test_result {
            id: 0,
            outcome: 0,
            start_ticks: 0,
            end_ticks: 0,
        };
        assert_eq!(
            svsm_crypto_self_test_result_get(SVSM_CRYPTO_SELF_TEST_COUNT, &mut result),
            ARG
        );
        assert!(svsm_crypto_self_test_key(SVSM_CRYPTO_SELF_TEST_COUNT).is_null());
        assert!(svsm_crypto_self_test_name(u32::MAX).is_null());
        let again = svsm_crypto_init(null());
        assert!(
            again == SVSM_CRYPTO_ERR_ALREADY || again == ARG,
            "second init: {again}"
        );
    }
    // Nothing above disturbed the module.
    assert_eq!(
        svsm_crypto::host::module().state(),
        svsm_crypto::ModuleState::Operational
    );
}
