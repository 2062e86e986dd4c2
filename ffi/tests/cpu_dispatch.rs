//! The module's code paths follow the XCR0 its caller hands it: with XCR0 = 0
//! (no AVX state enabled) a loaded copy of the object stays on SSE/AES-NI
//! code, passes its self-tests and computes what the statically linked module
//! computes with the host's XCR0 (AVX, AVX2, AVX-512 or VAES paths, as the
//! host CPU offers).

#[macro_use]
mod common;

use common::dynamic::Instance;
use common::dynamic::bindings::*;
use std::path::Path;
use svsm_crypto::{Curve, HashAlg, PrivateKey};

#[test]
fn module_without_avx_state_computes_the_same_answers() {
    let object = Path::new(svsm_crypto_object::MANIFEST_PATH).with_file_name("svsm-crypto.o");
    let module = Instance::load(
        &object,
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("cpu-dispatch/xcr0-0"),
    );
    let host = svsm_crypto::host::module();

    let key = [0x42u8; 32];
    let iv = [0x24u8; 12];
    let message: Vec<u8> = (0..16_389u32).map(|i| (i * 13 + 1) as u8).collect();

    let mut want_ct = vec![0u8; message.len()];
    let mut want_tag = [0u8; 16];
    let mut gcm = host.aes_gcm_key(&key).unwrap();
    let _ = gcm
        .seal_with_iv(&iv, b"aad", &message, &mut want_ct, &mut want_tag)
        .unwrap();
    let want_sha512 = host.hash(HashAlg::Sha512, &message).unwrap().into_value();
    let peer = host.ecc_keygen(Curve::P256).unwrap().into_value();
    let mut thirty_four = [0u8; 32];
    thirty_four[31] = 34;
    let want_z = host
        .ecdh(
            &PrivateKey::from_bytes(Curve::P256, &thirty_four).unwrap(),
            &peer.public,
        )
        .unwrap()
        .into_value();

    // SAFETY: single-threaded use of this instance; every pointer is valid
    // for the length passed with it.
    unsafe {
        assert_eq!(
            module.init_with_xcr0(0),
            SVSM_CRYPTO_OK,
            "init with XCR0 = 0"
        );
        assert_eq!(module.svsm_crypto_state(), SVSM_CRYPTO_STATE_OPERATIONAL);

        let mut ctx = svsm_crypto_aes_gcm_ctx {
            opaque: [0; SVSM_CRYPTO_AES_GCM_CTX_SIZE as usize],
        };
        assert_eq!(
            module.svsm_crypto_aes_gcm_init(&mut ctx, key.as_ptr(), key.len()),
            SVSM_CRYPTO_OK
        );
        let mut ct = vec![0u8; message.len()];
        let mut tag = [0u8; 16];
        assert_eq!(
            module.svsm_crypto_aes_gcm_seal(
                &mut ctx,
                iv.as_ptr(),
                iv.len(),
                b"aad".as_ptr(),
                3,
                message.as_ptr(),
                message.len(),
                ct.as_mut_ptr(),
                tag.as_mut_ptr(),
                16,
            ),
            SVSM_CRYPTO_OK_NON_APPROVED
        );
        module.svsm_crypto_aes_gcm_cleanse(&mut ctx);
        assert!(ct == want_ct, "AES-256-GCM ciphertext");
        assert_eq!(tag, want_tag, "AES-256-GCM tag");

        let mut sha512 = [0u8; 64];
        assert_eq!(
            module.svsm_crypto_hash(
                SVSM_CRYPTO_SHA512,
                message.as_ptr(),
                message.len(),
                sha512.as_mut_ptr(),
                64
            ),
            SVSM_CRYPTO_OK
        );
        assert_eq!(sha512.as_slice(), want_sha512.as_bytes(), "SHA-512");

        // The doubling branch of the mul/adc point addition (the host takes
        // the BMI2/ADX twin): P-256 ECDH with n - 34 adds -17Q to -17Q last
        // (patches/ct-point-add.patch) and must give the x of 34*Q.
        let n_minus_34 =
            common::hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc63252f");
        let mut z = [0u8; 32];
        assert_eq!(
            module.svsm_crypto_ecdh_shared_secret(
                SVSM_CRYPTO_P256,
                n_minus_34.as_ptr(),
                n_minus_34.len(),
                peer.public.as_bytes().as_ptr(),
                peer.public.as_bytes().len(),
                z.as_mut_ptr(),
                z.len(),
            ),
            SVSM_CRYPTO_OK
        );
        assert_eq!(z.as_slice(), want_z.as_bytes(), "ECDH P-256 with n - 34");

        // A loaded public key: its table built and used by the SSE code
        // (no AVX2, BMI2 or ADX paths at XCR0 = 0), the host module's
        // answers (ECDH secret, a signature that verifies).
        for curve in [Curve::P256, Curve::P384] {
            let len = curve.scalar_len();
            let own = host.ecc_keygen(curve).unwrap().into_value();
            let peer = host.ecc_keygen(curve).unwrap().into_value();
            let want_z = host.ecdh(&own.private, &peer.public).unwrap().into_value();
            let digest = [0x5au8; 48];
            let sig = host
                .ecdsa_sign_digest(&peer.private, &digest[..len])
                .unwrap()
                .into_value();
            let id = match curve {
                Curve::P256 => SVSM_CRYPTO_P256,
                Curve::P384 => SVSM_CRYPTO_P384,
            };
            let mut handle = svsm_crypto_ecc_public_key_ctx {
                opaque: [0; SVSM_CRYPTO_ECC_PUBLIC_KEY_CTX_SIZE as usize],
            };
            let q = peer.public.as_bytes();
            assert_eq!(
                module.svsm_crypto_ecc_public_key_load(&mut handle, id, q.as_ptr(), q.len()),
                SVSM_CRYPTO_OK
            );
            let mut z = vec![0u8; len];
            let d = own.private.as_bytes();
            assert_eq!(
                module.svsm_crypto_ecdh_shared_secret_loaded(
                    &handle,
                    d.as_ptr(),
                    d.len(),
                    z.as_mut_ptr(),
                    z.len()
                ),
                SVSM_CRYPTO_OK
            );
            assert_eq!(
                z.as_slice(),
                want_z.as_bytes(),
                "{curve:?} ECDH, loaded key"
            );
            let rs = sig.as_bytes();
            assert_eq!(
                module.svsm_crypto_ecdsa_verify_digest_loaded(
                    &handle,
                    digest.as_ptr(),
                    len,
                    rs.as_ptr(),
                    rs.len()
                ),
                SVSM_CRYPTO_OK,
                "{curve:?} verify, loaded key"
            );
            module.svsm_crypto_ecc_public_key_cleanse(&mut handle);
        }
    }
}
