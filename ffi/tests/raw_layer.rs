//! The C API itself (through the same bindgen layer the crate uses, in tests
//! only): NULL pointers and short buffers are SVSM_CRYPTO_ERR_ARG, never a
//! crash, and outputs are zeroed on failure.
//!
//! Everything runs in one test function: the module is not reentrant and
//! these calls bypass the crate's lock. The module is brought up through the
//! safe API first.

#[path = "../src/bindings.rs"]
mod bindings;

#[macro_use]
mod common;

use bindings::*;
use common::{fails_zeroed, hex, poisoned};
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

fn aes_ctx() -> svsm_crypto_aes_ctx {
    svsm_crypto_aes_ctx {
        opaque: [0; SVSM_CRYPTO_AES_CTX_SIZE as usize],
    }
}

fn drbg_ctx() -> svsm_crypto_drbg_ctx {
    svsm_crypto_drbg_ctx {
        opaque: [0; SVSM_CRYPTO_DRBG_CTX_SIZE as usize],
    }
}

/// `call` on fresh poisoned outputs of `lens` bytes is refused with
/// SVSM_CRYPTO_ERR_ARG and zeroes them.
fn refused<const N: usize>(what: &str, lens: [usize; N], call: impl FnOnce([*mut u8; N]) -> i32) {
    fails_zeroed(what, ARG, lens, call);
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
        let hash = |alg, msg, digest, len| svsm_crypto_hash(alg, msg, 3, digest, len);
        refused("hash: NULL message", [32], |[d]| {
            hash(SVSM_CRYPTO_SHA256, null(), d, 32)
        });
        refused("hash: NULL digest", [], |[]| {
            hash(SVSM_CRYPTO_SHA256, msg.as_ptr(), null_mut(), 32)
        });
        refused("hash: short digest", [31], |[d]| {
            hash(SVSM_CRYPTO_SHA256, msg.as_ptr(), d, 31)
        });
        refused("hash: long digest", [48], |[d]| {
            hash(SVSM_CRYPTO_SHA256, msg.as_ptr(), d, 48)
        });
        refused("hash: unknown algorithm", [32], |[d]| {
            hash(99, msg.as_ptr(), d, 32)
        });
        // NULL with length 0 is an empty message.
        let mut digest = poisoned(32);
        assert_eq!(
            svsm_crypto_hash(SVSM_CRYPTO_SHA256, null(), 0, digest.as_mut_ptr(), 32),
            SVSM_CRYPTO_OK
        );
        assert_eq!(
            digest,
            hex("e3b0c442 98fc1c14 9afbf4c8 996fb924 27ae41e4 649b934c a495991b 7852b855"),
            "SHA-256 of the empty message"
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
        refused("hash_final: short digest", [32], |[d]| {
            svsm_crypto_hash_final(&mut ctx, d, 32)
        });
        svsm_crypto_hash_cleanse(&mut ctx);
        svsm_crypto_hash_cleanse(null_mut());

        // Hash state export and import: NULL or short buffers, NULL context.
        let mut hctx = hash_ctx();
        assert_eq!(
            svsm_crypto_hash_init(&mut hctx, SVSM_CRYPTO_SHA384),
            SVSM_CRYPTO_OK
        );
        let len = SVSM_CRYPTO_HASH_STATE_LEN as usize;
        refused("hash_export: NULL context", [len], |[st]| {
            svsm_crypto_hash_export(null(), st, len)
        });
        refused("hash_export: short state", [len - 1], |[st]| {
            svsm_crypto_hash_export(&hctx, st, len - 1)
        });
        refused("hash_export: NULL state", [], |[]| {
            svsm_crypto_hash_export(&hctx, null_mut(), len)
        });
        let mut state = poisoned(len);
        assert_eq!(
            svsm_crypto_hash_export(&hctx, state.as_mut_ptr(), len),
            SVSM_CRYPTO_OK
        );
        let mut other = hash_ctx();
        assert_eq!(
            svsm_crypto_hash_import(null_mut(), SVSM_CRYPTO_SHA384, state.as_ptr(), len),
            ARG
        );
        assert_eq!(
            svsm_crypto_hash_import(&mut other, SVSM_CRYPTO_SHA384, null(), len),
            ARG
        );
        assert_eq!(
            svsm_crypto_hash_import(&mut other, SVSM_CRYPTO_SHA384, state.as_ptr(), len + 1),
            ARG
        );
        assert_eq!(
            svsm_crypto_hash_import(&mut other, SVSM_CRYPTO_SHA384, state.as_ptr(), len),
            SVSM_CRYPTO_OK
        );
        svsm_crypto_hash_cleanse(&mut hctx);
        svsm_crypto_hash_cleanse(&mut other);

        // HMAC.
        let hmac = |key, msg, tag| svsm_crypto_hmac(SVSM_CRYPTO_SHA256, key, 32, msg, 3, tag, 32);
        refused("hmac: NULL key", [32], |[t]| hmac(null(), msg.as_ptr(), t));
        refused("hmac: NULL message", [32], |[t]| {
            hmac(key.as_ptr(), null(), t)
        });
        refused("hmac: NULL tag", [], |[]| {
            hmac(key.as_ptr(), msg.as_ptr(), null_mut())
        });
        refused("hmac_verify: NULL tag", [], |[]| {
            svsm_crypto_hmac_verify(
                SVSM_CRYPTO_SHA256,
                key.as_ptr(),
                32,
                msg.as_ptr(),
                3,
                null(),
                32,
            )
        });

        // HKDF.
        let hkdf =
            |ikm, okm| svsm_crypto_hkdf(SVSM_CRYPTO_SHA256, ikm, 22, null(), 0, null(), 0, okm, 42);
        refused("hkdf: NULL key", [42], |[okm]| hkdf(null(), okm));
        refused("hkdf: NULL output", [], |[]| hkdf(key.as_ptr(), null_mut()));
        refused("hkdf_extract: short PRK", [31], |[prk]| {
            svsm_crypto_hkdf_extract(SVSM_CRYPTO_SHA256, null(), 0, key.as_ptr(), 22, prk, 31)
        });
        refused("hkdf_expand: short PRK", [42], |[okm]| {
            svsm_crypto_hkdf_expand(SVSM_CRYPTO_SHA256, key.as_ptr(), 31, null(), 0, okm, 42)
        });

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
        let gcm: *mut svsm_crypto_aes_gcm_ctx = &mut gcm;
        let seal =
            |iv, pt, ct, tag| svsm_crypto_aes_gcm_seal(gcm, iv, 12, null(), 0, pt, 32, ct, tag, 16);
        let pt = plaintext.as_ptr();
        refused("seal: NULL IV", [32, 16], |[ct, tag]| {
            seal(null(), pt, ct, tag)
        });
        refused("seal: NULL plaintext", [32, 16], |[ct, tag]| {
            seal(iv.as_ptr(), null(), ct, tag)
        });
        refused("seal: NULL tag", [32], |[ct]| {
            seal(iv.as_ptr(), pt, ct, null_mut())
        });
        refused("seal: NULL ciphertext", [16], |[tag]| {
            seal(iv.as_ptr(), pt, null_mut(), tag)
        });
        let seal_generated = |ctx: *mut svsm_crypto_aes_gcm_ctx, iv_out, iv_len, ct, tag| {
            svsm_crypto_aes_gcm_seal_generated_iv(
                ctx,
                iv_out,
                iv_len,
                null(),
                0,
                pt,
                32,
                ct,
                tag,
                16,
            )
        };
        let seal_generated_iv =
            |iv_out, iv_len, ct, tag| seal_generated(gcm, iv_out, iv_len, ct, tag);
        refused("seal_generated_iv: NULL IV", [32, 16], |[ct, tag]| {
            seal_generated_iv(null_mut(), 12, ct, tag)
        });
        refused(
            "seal_generated_iv: short IV",
            [11, 32, 16],
            |[ivo, ct, tag]| seal_generated_iv(ivo, 11, ct, tag),
        );
        let tag = [0u8; 16];
        let open = |aad_len, tag, out| {
            svsm_crypto_aes_gcm_open(gcm, iv.as_ptr(), 12, null(), aad_len, pt, 32, tag, 16, out)
        };
        refused("open: NULL tag", [32], |[out]| open(0, null(), out));
        let mut out = poisoned(32);
        refused("open: NULL AAD with a length", [], |[]| {
            open(5, tag.as_ptr(), out.as_mut_ptr())
        });
        svsm_crypto_aes_gcm_cleanse(gcm);
        svsm_crypto_aes_gcm_cleanse(null_mut());

        // AES-ECB and CFB128: NULL context, key, data or IV; a context never
        // initialized; a partial overlap of input and output.
        let mut aes = aes_ctx();
        assert_eq!(svsm_crypto_aes_init(null_mut(), key.as_ptr(), 16), ARG);
        assert_eq!(svsm_crypto_aes_init(&mut aes, null(), 16), ARG);
        assert_eq!(svsm_crypto_aes_init(&mut aes, key.as_ptr(), 24), ARG);
        let never_loaded = aes_ctx();
        refused("ecb: context never loaded", [32], |[out]| {
            svsm_crypto_aes_ecb_encrypt(&never_loaded, msg.as_ptr(), out, 32)
        });
        assert_eq!(
            svsm_crypto_aes_init(&mut aes, key.as_ptr(), 16),
            SVSM_CRYPTO_OK
        );
        let aes: *mut svsm_crypto_aes_ctx = &mut aes;
        let data = [3u8; 48];
        refused("ecb: NULL context", [32], |[out]| {
            svsm_crypto_aes_ecb_encrypt(null(), data.as_ptr(), out, 32)
        });
        refused("ecb: NULL input", [32], |[out]| {
            svsm_crypto_aes_ecb_decrypt(aes, null(), out, 32)
        });
        refused("ecb: NULL output", [], |[]| {
            svsm_crypto_aes_ecb_encrypt(aes, data.as_ptr(), null_mut(), 32)
        });
        let cfb = |iv, iv_len, input, out, len| {
            svsm_crypto_aes_cfb128_encrypt(aes, iv, iv_len, input, out, len)
        };
        refused("cfb128: NULL IV", [20], |[out]| {
            cfb(null(), 16, data.as_ptr(), out, 20)
        });
        refused("cfb128: short IV", [20], |[out]| {
            cfb(key.as_ptr(), 15, data.as_ptr(), out, 20)
        });
        refused("cfb128: NULL input", [20], |[out]| {
            cfb(key.as_ptr(), 16, null(), out, 20)
        });
        refused("cfb128: NULL output", [], |[]| {
            cfb(key.as_ptr(), 16, data.as_ptr(), null_mut(), 20)
        });
        let mut overlap = poisoned(48);
        let base = overlap.as_mut_ptr();
        assert_eq!(
            svsm_crypto_aes_cfb128_decrypt(aes, key.as_ptr(), 16, base, base.add(1), 32),
            ARG,
            "cfb128: partial overlap"
        );
        assert_eq!(
            svsm_crypto_aes_ecb_encrypt(aes, base.add(16), base, 32),
            ARG,
            "ecb: partial overlap"
        );
        svsm_crypto_aes_cleanse(aes);
        svsm_crypto_aes_cleanse(null_mut());

        // KDFs: NULL pieces with a count or a length, too many pieces, NULL
        // or empty output, an unknown hash.
        let piece = |ptr: *const u8, len| svsm_crypto_bytes { ptr, len };
        let good = [piece(msg.as_ptr(), 3)];
        let null_piece = [piece(null(), 3)];
        let many = [piece(msg.as_ptr(), 1); SVSM_CRYPTO_KDF_MAX_PARTS as usize + 1];
        type Kdf = unsafe extern "C" fn(
            u32,
            *const u8,
            usize,
            *const svsm_crypto_bytes,
            usize,
            *mut u8,
            usize,
        ) -> i32;
        let kdfs: [(&str, Kdf); 2] = [
            ("kdf_counter_hmac", svsm_crypto_kdf_counter_hmac),
            ("kdf_one_step", svsm_crypto_kdf_one_step),
        ];
        for (name, kdf) in kdfs {
            let call = |alg, secret: *const u8, parts: *const svsm_crypto_bytes, n, out, len| {
                kdf(alg, secret, 32, parts, n, out, len)
            };
            let k = key.as_ptr();
            refused(&format!("{name}: NULL pieces"), [40], |[out]| {
                call(SVSM_CRYPTO_SHA256, k, null(), 1, out, 40)
            });
            refused(&format!("{name}: NULL piece"), [40], |[out]| {
                call(SVSM_CRYPTO_SHA256, k, null_piece.as_ptr(), 1, out, 40)
            });
            refused(&format!("{name}: too many pieces"), [40], |[out]| {
                call(SVSM_CRYPTO_SHA256, k, many.as_ptr(), many.len(), out, 40)
            });
            refused(&format!("{name}: NULL key"), [40], |[out]| {
                call(SVSM_CRYPTO_SHA256, null(), good.as_ptr(), 1, out, 40)
            });
            refused(&format!("{name}: unknown hash"), [40], |[out]| {
                call(99, k, good.as_ptr(), 1, out, 40)
            });
            refused(&format!("{name}: NULL output"), [], |[]| {
                call(SVSM_CRYPTO_SHA256, k, good.as_ptr(), 1, null_mut(), 40)
            });
            refused(&format!("{name}: empty output"), [], |[]| {
                call(
                    SVSM_CRYPTO_SHA256,
                    k,
                    good.as_ptr(),
                    1,
                    poisoned(1).as_mut_ptr(),
                    0,
                )
            });
            let mut one = poisoned(1);
            assert_eq!(
                call(SVSM_CRYPTO_SHA256, k, null(), 0, one.as_mut_ptr(), 1),
                SVSM_CRYPTO_OK,
                "{name}: no fixed data at all"
            );
        }

        // Generated IVs (SP 800-38D 8.2.1): the invocation field is 32 bits.
        // A context whose count stands at 2^32 - 1 (written into its bytes:
        // aead.c pins the count's offset, 8, with a _Static_assert) seals
        // once more, under invocation field ffffffff, then refuses.
        let mut limited = gcm_ctx();
        assert_eq!(
            svsm_crypto_aes_gcm_init(&mut limited, key.as_ptr(), 32),
            SVSM_CRYPTO_OK
        );
        limited.opaque[8..16].copy_from_slice(&u64::from(u32::MAX).to_ne_bytes());
        let limited: *mut svsm_crypto_aes_gcm_ctx = &mut limited;
        let seal_limited = |iv_out, ct, tag| seal_generated(limited, iv_out, 12, ct, tag);
        let (mut last_iv, mut ct, mut tag) = ([0u8; 12], [0u8; 32], [0u8; 16]);
        assert_eq!(
            seal_limited(last_iv.as_mut_ptr(), ct.as_mut_ptr(), tag.as_mut_ptr()),
            SVSM_CRYPTO_OK
        );
        assert_eq!(last_iv[8..], [0xff; 4], "last invocation field");
        for attempt in ["first", "second"] {
            fails_zeroed(
                &format!("seal_generated_iv past 2^32 invocations ({attempt} attempt)"),
                SVSM_CRYPTO_ERR_LIMIT,
                [12, 32, 16],
                |[iv_out, ct, tag]| seal_limited(iv_out, ct, tag),
            );
        }
        // The limit is the context's, not the module's: caller-IV seals on it
        // and generated-IV seals on a fresh context still work.
        assert_eq!(
            svsm_crypto_aes_gcm_seal(
                limited,
                iv.as_ptr(),
                12,
                null(),
                0,
                pt,
                32,
                ct.as_mut_ptr(),
                tag.as_mut_ptr(),
                16
            ),
            SVSM_CRYPTO_OK_NON_APPROVED
        );
        svsm_crypto_aes_gcm_cleanse(limited);
        let mut fresh = gcm_ctx();
        assert_eq!(
            svsm_crypto_aes_gcm_init(&mut fresh, key.as_ptr(), 32),
            SVSM_CRYPTO_OK
        );
        let mut fresh_iv = [0u8; 12];
        assert_eq!(
            seal_generated(
                &mut fresh,
                fresh_iv.as_mut_ptr(),
                12,
                ct.as_mut_ptr(),
                tag.as_mut_ptr()
            ),
            SVSM_CRYPTO_OK
        );
        assert_eq!(fresh_iv[8..], [0; 4]);
        assert_ne!(
            fresh_iv[..8],
            last_iv[..8],
            "fresh context, fresh fixed field"
        );
        svsm_crypto_aes_gcm_cleanse(&mut fresh);

        // Loaded public keys: NULL or never-loaded handles are ERR_ARG; a
        // handle whose stored point was changed after loading (caller
        // memory; ecc_keys.c pins the point's offset, 8) fails the partial
        // validation every use re-runs: ERR_KEY, the shared secret zeroed.
        let gx = hex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
        let gy = hex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
        let g = [gx, gy].concat();
        let d = [0x11u8; 32];
        let digest = [0x5au8; 32];
        let sig = [0x22u8; 64];
        let mut handle = svsm_crypto_ecc_public_key_ctx {
            opaque: [0; SVSM_CRYPTO_ECC_PUBLIC_KEY_CTX_SIZE as usize],
        };
        let verify = |h: *const svsm_crypto_ecc_public_key_ctx| {
            svsm_crypto_ecdsa_verify_digest_loaded(h, digest.as_ptr(), 32, sig.as_ptr(), 64)
        };
        let ecdh = |h: *const svsm_crypto_ecc_public_key_ctx, z| {
            svsm_crypto_ecdh_shared_secret_loaded(h, d.as_ptr(), 32, z, 32)
        };
        assert_eq!(verify(null()), ARG);
        assert_eq!(verify(&handle), ARG, "never loaded");
        refused("ECDH: never-loaded handle", [32], |[z]| ecdh(&handle, z));
        assert_eq!(
            svsm_crypto_ecc_public_key_load(&mut handle, SVSM_CRYPTO_P256, g.as_ptr(), 63),
            ARG
        );
        assert_eq!(
            svsm_crypto_ecc_public_key_load(&mut handle, SVSM_CRYPTO_P256, g.as_ptr(), 64),
            SVSM_CRYPTO_OK
        );
        assert_eq!(
            verify(&handle),
            SVSM_CRYPTO_ERR_AUTH,
            "loaded G, wrong signature"
        );
        let mut z = [0u8; 32];
        assert_eq!(ecdh(&handle, z.as_mut_ptr()), SVSM_CRYPTO_OK);
        handle.opaque[8 + 63] ^= 1;
        assert_eq!(
            verify(&handle),
            SVSM_CRYPTO_ERR_KEY,
            "point changed after load"
        );
        fails_zeroed(
            "ECDH: point changed after load",
            SVSM_CRYPTO_ERR_KEY,
            [32],
            |[z]| ecdh(&handle, z),
        );
        // The precomputed table and the check value over the handle
        // (ecc_keys.c pins their offsets, 144 and 104) are checked before
        // every use: a changed table or check byte, or a curve tag turned
        // into P-384's, is ERR_KEY; a changed magic is a handle never
        // loaded, ERR_ARG.
        let p384_sig = [0x22u8; 96];
        let d384 = [0x11u8; 48];
        for (offset, what) in [
            (144, "first table byte"),
            (144 + 64 * 33, "a table byte"),
            (144 + 4095, "last table byte of P-256"),
            (104, "check value"),
            (4, "curve tag"),
            (0, "magic"),
        ] {
            assert_eq!(
                svsm_crypto_ecc_public_key_load(&mut handle, SVSM_CRYPTO_P256, g.as_ptr(), 64),
                SVSM_CRYPTO_OK
            );
            assert_eq!(ecdh(&handle, z.as_mut_ptr()), SVSM_CRYPTO_OK, "{what}");
            handle.opaque[offset] ^= 3; // the curve tag becomes 2, P-384
            let want = if offset == 0 {
                ARG
            } else {
                SVSM_CRYPTO_ERR_KEY
            };
            let (sig_len, d_len) = if offset == 4 { (96, 48) } else { (64, 32) };
            assert_eq!(
                svsm_crypto_ecdsa_verify_digest_loaded(
                    &handle,
                    digest.as_ptr(),
                    32,
                    p384_sig.as_ptr(),
                    sig_len
                ),
                want,
                "verify: {what} changed after load"
            );
            fails_zeroed(
                &format!("ECDH: {what} changed after load"),
                want,
                [d_len],
                |[z]| {
                    svsm_crypto_ecdh_shared_secret_loaded(&handle, d384.as_ptr(), d_len, z, d_len)
                },
            );
        }
        svsm_crypto_ecc_public_key_cleanse(&mut handle);
        assert!(
            handle.opaque.iter().all(|&b| b == 0),
            "cleanse wipes the table"
        );
        assert_eq!(verify(&handle), ARG, "cleansed");
        svsm_crypto_ecc_public_key_cleanse(null_mut());

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
        refused("drbg_generate: NULL additional input", [16], |[out]| {
            svsm_crypto_drbg_generate(&mut drbg, out, 16, null(), 3)
        });
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

        // DRBG limits: entropy and nonce below the security strength, a
        // request over the maximum, inputs over the maximum; an
        // uninstantiated context is refused.
        let (entropy, nonce) = ([1u8; 32], [2u8; 16]);
        let instantiate_test = |ctx: *mut svsm_crypto_drbg_ctx, e_len, n_len| {
            svsm_crypto_drbg_instantiate_test(
                ctx,
                entropy.as_ptr(),
                e_len,
                nonce.as_ptr(),
                n_len,
                null(),
                0,
            )
        };
        let mut drbg = drbg_ctx();
        assert_eq!(
            instantiate_test(&mut drbg, 31, 16),
            ARG,
            "entropy < 256 bits"
        );
        assert_eq!(instantiate_test(&mut drbg, 32, 15), ARG, "nonce < 128 bits");
        assert_eq!(
            instantiate_test(&mut drbg, 32, 16),
            SVSM_CRYPTO_OK_NON_APPROVED
        );
        let max = SVSM_CRYPTO_DRBG_MAX_REQUEST as usize;
        refused(
            "drbg_generate: over the maximum request",
            [max + 1],
            |[out]| svsm_crypto_drbg_generate(&mut drbg, out, max + 1, null(), 0),
        );
        let long = vec![0u8; SVSM_CRYPTO_DRBG_MAX_INPUT as usize + 1];
        refused(
            "drbg_generate: additional input over the maximum",
            [16],
            |[out]| svsm_crypto_drbg_generate(&mut drbg, out, 16, long.as_ptr(), long.len()),
        );
        assert_eq!(
            svsm_crypto_drbg_reseed(&mut drbg, long.as_ptr(), long.len()),
            ARG
        );
        assert_eq!(
            svsm_crypto_drbg_reseed_test(&mut drbg, entropy.as_ptr(), 31, null(), 0),
            ARG,
            "reseed entropy < 256 bits"
        );

        // The reseed interval (2^24 requests; drbg.c pins the counter's
        // offset, 8): a caller-seeded instance at the limit is refused with
        // SVSM_CRYPTO_ERR_LIMIT (the module cannot reseed it behind the
        // caller's back) until the caller reseeds it; an instance seeded from
        // the entropy source reseeds itself and serves the request.
        let past_limit = (1u64 << 24) + 1;
        drbg.opaque[8..16].copy_from_slice(&past_limit.to_ne_bytes());
        for attempt in ["first", "second"] {
            fails_zeroed(
                &format!("drbg_generate past the reseed interval ({attempt} attempt)"),
                SVSM_CRYPTO_ERR_LIMIT,
                [16],
                |[out]| svsm_crypto_drbg_generate(&mut drbg, out, 16, null(), 0),
            );
        }
        assert_eq!(
            svsm_crypto_drbg_reseed_test(&mut drbg, entropy.as_ptr(), 32, null(), 0),
            SVSM_CRYPTO_OK_NON_APPROVED
        );
        assert_eq!(
            drbg.opaque[8..16],
            1u64.to_ne_bytes(),
            "reseed resets the counter"
        );
        let mut out = [0u8; 16];
        assert_eq!(
            svsm_crypto_drbg_generate(&mut drbg, out.as_mut_ptr(), 16, null(), 0),
            SVSM_CRYPTO_OK_NON_APPROVED
        );
        svsm_crypto_drbg_uninstantiate(&mut drbg);
        assert!(
            drbg.opaque.iter().all(|&b| b == 0),
            "uninstantiate zeroes the context"
        );
        refused("drbg_generate: uninstantiated", [16], |[out]| {
            svsm_crypto_drbg_generate(&mut drbg, out, 16, null(), 0)
        });

        assert_eq!(
            svsm_crypto_drbg_instantiate(&mut drbg, null(), 0),
            SVSM_CRYPTO_OK
        );
        drbg.opaque[8..16].copy_from_slice(&past_limit.to_ne_bytes());
        assert_eq!(
            svsm_crypto_drbg_generate(&mut drbg, out.as_mut_ptr(), 16, null(), 0),
            SVSM_CRYPTO_OK,
            "an entropy-seeded instance reseeds itself at the interval"
        );
        assert_eq!(
            drbg.opaque[8..16],
            2u64.to_ne_bytes(),
            "reseeded, then one request"
        );
        svsm_crypto_drbg_uninstantiate(&mut drbg);

        // ECC.
        let keygen = |curve, d, d_len, q, q_len| svsm_crypto_ecc_keygen(curve, d, d_len, q, q_len);
        refused("ecc_keygen: NULL private key", [64], |[q]| {
            keygen(SVSM_CRYPTO_P256, null_mut(), 32, q, 64)
        });
        refused("ecc_keygen: NULL public key", [32], |[d]| {
            keygen(SVSM_CRYPTO_P256, d, 32, null_mut(), 64)
        });
        refused("ecc_keygen: short public key", [32, 63], |[d, q]| {
            keygen(SVSM_CRYPTO_P256, d, 32, q, 63)
        });
        refused("ecc_keygen: unknown curve", [48, 96], |[d, q]| {
            keygen(7, d, 48, q, 96)
        });
        let (mut d, mut q) = (poisoned(32), poisoned(64));
        assert_eq!(
            keygen(SVSM_CRYPTO_P256, d.as_mut_ptr(), 32, q.as_mut_ptr(), 64),
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
        let derive =
            |d, q2, len| svsm_crypto_ecc_public_key_derive(SVSM_CRYPTO_P256, d, 32, q2, len);
        refused("ecc_public_key_derive: NULL private key", [64], |[q2]| {
            derive(null(), q2, 64)
        });
        refused("ecc_public_key_derive: short public key", [63], |[q2]| {
            derive(d.as_ptr(), q2, 63)
        });

        let digest = [5u8; 32];
        let sign = |d, d_len, digest, sig, sig_len| {
            svsm_crypto_ecdsa_sign_digest(SVSM_CRYPTO_P256, d, d_len, digest, 32, sig, sig_len)
        };
        refused("ecdsa_sign_digest: NULL private key", [64], |[sig]| {
            sign(null(), 32, digest.as_ptr(), sig, 64)
        });
        refused("ecdsa_sign_digest: NULL digest", [64], |[sig]| {
            sign(d.as_ptr(), 32, null(), sig, 64)
        });
        refused("ecdsa_sign_digest: short signature", [63], |[sig]| {
            sign(d.as_ptr(), 32, digest.as_ptr(), sig, 63)
        });
        refused("ecdsa_sign_digest: short private key", [64], |[sig]| {
            sign(d.as_ptr(), 31, digest.as_ptr(), sig, 64)
        });
        let sig = [0u8; 64];
        let verify = |q, sig| {
            svsm_crypto_ecdsa_verify_digest(SVSM_CRYPTO_P256, q, 64, digest.as_ptr(), 32, sig, 64)
        };
        refused("ecdsa_verify_digest: NULL signature", [], |[]| {
            verify(q.as_ptr(), null())
        });
        refused("ecdsa_verify_digest: NULL public key", [], |[]| {
            verify(null(), sig.as_ptr())
        });

        let ecdh = |q, z, z_len| {
            svsm_crypto_ecdh_shared_secret(SVSM_CRYPTO_P256, d.as_ptr(), 32, q, 64, z, z_len)
        };
        refused("ecdh: NULL public key", [32], |[z]| ecdh(null(), z, 32));
        refused("ecdh: short secret", [31], |[z]| ecdh(q.as_ptr(), z, 31));
        refused("ecdh: NULL secret", [], |[]| {
            ecdh(q.as_ptr(), null_mut(), 32)
        });

        // Control functions tolerate bad arguments too.
        assert_eq!(svsm_crypto_self_test_result_get(0, null_mut()), ARG);
        let mut result = empty_self_test_result!();
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
