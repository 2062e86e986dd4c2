//! Private module instances, for tests that need a fresh module: an object
//! linked into its own shared library and loaded with dlopen. The module
//! initializes once per instance, and instances share no state with each
//! other or with the statically linked module.

pub mod bindings {
    // Generated code: C names, items the tests do not call.
    #![allow(nonstandard_style, dead_code, unsafe_op_in_unsafe_fn, clippy::all)]
    include!(concat!(env!("OUT_DIR"), "/svsm_crypto_dynamic.rs"));
}

use super::{fails_zeroed, is_zero};
use bindings::*;
use std::ffi::c_void;
use std::path::Path;
use std::process::Command;
use std::ptr::null;
use std::sync::Mutex;

const STATE: i32 = SVSM_CRYPTO_ERR_STATE;

/// What an instance's noise source delivers, one sample per byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Samples {
    /// Bytes from the OS: pass every health test.
    Os,
    /// One value forever: a stuck source.
    Constant(u8),
    /// Two values in turn: never a repetition, but half of every window is
    /// one value.
    Alternating(u8, u8),
}

/// The noise source behind an instance's `get_noise` callback.
struct NoiseSource {
    /// What to deliver, and how many samples were delivered in that mode.
    state: Mutex<(Samples, usize)>,
}

extern "C" fn instance_noise(context: *mut c_void, out: *mut u8, len: usize) -> i32 {
    if len == 0 {
        return 0;
    }
    // SAFETY: the context of every table `Instance::init` hands out is the
    // instance's boxed `NoiseSource`, which outlives the loaded library.
    let source = unsafe { &*(context as *const NoiseSource) };
    // SAFETY: the module passes a writable buffer of `len` bytes.
    let out = unsafe { std::slice::from_raw_parts_mut(out, len) };
    let mut state = source.state.lock().expect("no panic while held");
    let (samples, delivered) = &mut *state;
    match *samples {
        Samples::Os => {
            if getrandom::fill(out).is_err() {
                return -1;
            }
        }
        Samples::Constant(value) => out.fill(value),
        Samples::Alternating(a, b) => {
            for (i, sample) in out.iter_mut().enumerate() {
                *sample = if (*delivered + i) % 2 == 0 { a } else { b };
            }
        }
    }
    *delivered += len;
    0
}

/// One loaded copy of a module object (the raw API through `Deref`).
pub struct Instance {
    // Declared first: the library is unloaded before the source it calls.
    lib: SvsmCryptoLibrary,
    noise: Box<NoiseSource>,
}

impl std::ops::Deref for Instance {
    type Target = SvsmCryptoLibrary;

    fn deref(&self) -> &SvsmCryptoLibrary {
        &self.lib
    }
}

impl Instance {
    /// Links `object` into `<dir>/svsm-crypto.so` and loads that copy. Use a
    /// directory of its own per instance: loading a path already loaded
    /// would return the same instance.
    pub fn load(object: &Path, dir: &Path) -> Instance {
        std::fs::create_dir_all(dir).expect("instance directory");
        let so = dir.join("svsm-crypto.so");
        let status = Command::new("cc")
            .arg("-shared")
            // The module is one section holding code and data by design (its
            // integrity range is link-independent), hence one RWX segment.
            .arg("-Wl,--no-warn-rwx-segments")
            .arg("-o")
            .arg(&so)
            .arg(object)
            .status()
            .expect("running cc");
        assert!(
            status.success(),
            "cc -shared failed for {}",
            object.display()
        );
        // SAFETY: loading the module runs no initializers of its own (it has
        // none); the struct resolves every API symbol or fails.
        let lib = unsafe { SvsmCryptoLibrary::new(&so) }
            .unwrap_or_else(|e| panic!("dlopen {}: {e}", so.display()));
        Instance {
            lib,
            noise: Box::new(NoiseSource {
                state: Mutex::new((Samples::Os, 0)),
            }),
        }
    }

    /// What the noise source delivers from now on.
    pub fn set_samples(&self, samples: Samples) {
        *self.noise.state.lock().expect("no panic while held") = (samples, 0);
    }

    /// `svsm_crypto_init` with this instance's noise source and the host's
    /// XCR0, as a host environment passes it.
    pub fn init(&self) -> i32 {
        self.init_with_xcr0(svsm_crypto::host::xcr0())
    }

    /// `svsm_crypto_init` with this instance's noise source and `xcr0`.
    pub fn init_with_xcr0(&self, xcr0: u64) -> i32 {
        let callbacks = svsm_crypto_callbacks {
            context: &*self.noise as *const NoiseSource as *mut c_void,
            get_noise: Some(instance_noise),
            timestamp: None,
            xcr0,
        };
        // SAFETY: the table is valid for the call, which copies it; its
        // context is the boxed source `instance_noise` expects.
        unsafe { self.lib.svsm_crypto_init(&callbacks) }
    }
}

/// Every service of the header, on a module in the error state: each must
/// return ERR_STATE and leave its (pre-poisoned) outputs zeroed.
///
/// # Safety
///
/// `lib` is a loaded module instance; no other thread uses it.
pub unsafe fn assert_every_service_refused(lib: &SvsmCryptoLibrary, id: &str) {
    let key = [0x0bu8; 32];
    let msg = [0x61u8; 64];
    let named = |name: &str| format!("{id}: {name}");
    let ctx_fail = |name: &str, status: i32| assert_eq!(status, STATE, "{}", named(name));
    let ctx_zeroed = |name: &str, ctx: &[u8]| {
        assert!(is_zero(ctx), "{} left its context unzeroed", named(name));
    };
    // SAFETY: every pointer is valid for the length passed with it.
    unsafe {
        fails_zeroed(&named("hash"), STATE, [32], |[d]| {
            lib.svsm_crypto_hash(SVSM_CRYPTO_SHA256, msg.as_ptr(), 3, d, 32)
        });

        let mut hctx = svsm_crypto_hash_ctx {
            opaque: [0xAA; SVSM_CRYPTO_HASH_CTX_SIZE as usize],
        };
        ctx_fail(
            "hash_init",
            lib.svsm_crypto_hash_init(&mut hctx, SVSM_CRYPTO_SHA256),
        );
        ctx_zeroed("hash_init", &hctx.opaque);
        ctx_fail(
            "hash_update",
            lib.svsm_crypto_hash_update(&mut hctx, msg.as_ptr(), 3),
        );
        fails_zeroed(&named("hash_final"), STATE, [32], |[d]| {
            lib.svsm_crypto_hash_final(&mut hctx, d, 32)
        });
        lib.svsm_crypto_hash_cleanse(&mut hctx);

        fails_zeroed(&named("hmac"), STATE, [32], |[tag]| {
            lib.svsm_crypto_hmac(
                SVSM_CRYPTO_SHA256,
                key.as_ptr(),
                32,
                msg.as_ptr(),
                3,
                tag,
                32,
            )
        });
        let tag = [0u8; 32];
        ctx_fail(
            "hmac_verify",
            lib.svsm_crypto_hmac_verify(
                SVSM_CRYPTO_SHA256,
                key.as_ptr(),
                32,
                msg.as_ptr(),
                3,
                tag.as_ptr(),
                32,
            ),
        );

        fails_zeroed(&named("hkdf"), STATE, [42], |[okm]| {
            lib.svsm_crypto_hkdf(
                SVSM_CRYPTO_SHA256,
                key.as_ptr(),
                22,
                null(),
                0,
                null(),
                0,
                okm,
                42,
            )
        });
        fails_zeroed(&named("hkdf_extract"), STATE, [32], |[prk]| {
            lib.svsm_crypto_hkdf_extract(SVSM_CRYPTO_SHA256, null(), 0, key.as_ptr(), 22, prk, 32)
        });
        fails_zeroed(&named("hkdf_expand"), STATE, [42], |[okm]| {
            lib.svsm_crypto_hkdf_expand(SVSM_CRYPTO_SHA256, key.as_ptr(), 32, null(), 0, okm, 42)
        });

        let mut gcm = svsm_crypto_aes_gcm_ctx {
            opaque: [0xAA; SVSM_CRYPTO_AES_GCM_CTX_SIZE as usize],
        };
        ctx_fail(
            "aes_gcm_init",
            lib.svsm_crypto_aes_gcm_init(&mut gcm, key.as_ptr(), 32),
        );
        ctx_zeroed("aes_gcm_init", &gcm.opaque);
        let iv = [0u8; 12];
        fails_zeroed(&named("aes_gcm_seal"), STATE, [64, 16], |[ct, tag]| {
            lib.svsm_crypto_aes_gcm_seal(
                &mut gcm,
                iv.as_ptr(),
                12,
                null(),
                0,
                msg.as_ptr(),
                64,
                ct,
                tag,
                16,
            )
        });
        fails_zeroed(
            &named("aes_gcm_seal_generated_iv"),
            STATE,
            [12, 64, 16],
            |[ivo, ct, tag]| {
                lib.svsm_crypto_aes_gcm_seal_generated_iv(
                    &mut gcm,
                    ivo,
                    12,
                    null(),
                    0,
                    msg.as_ptr(),
                    64,
                    ct,
                    tag,
                    16,
                )
            },
        );
        let tag = [0u8; 16];
        fails_zeroed(&named("aes_gcm_open"), STATE, [64], |[pt]| {
            lib.svsm_crypto_aes_gcm_open(
                &mut gcm,
                iv.as_ptr(),
                12,
                null(),
                0,
                msg.as_ptr(),
                64,
                tag.as_ptr(),
                16,
                pt,
            )
        });
        lib.svsm_crypto_aes_gcm_cleanse(&mut gcm);

        let mut aes = svsm_crypto_aes_ctx {
            opaque: [0xAA; SVSM_CRYPTO_AES_CTX_SIZE as usize],
        };
        ctx_fail(
            "aes_init",
            lib.svsm_crypto_aes_init(&mut aes, key.as_ptr(), 16),
        );
        ctx_zeroed("aes_init", &aes.opaque);
        fails_zeroed(&named("aes_ecb_encrypt"), STATE, [32], |[out]| {
            lib.svsm_crypto_aes_ecb_encrypt(&aes, msg.as_ptr(), out, 32)
        });
        fails_zeroed(&named("aes_ecb_decrypt"), STATE, [32], |[out]| {
            lib.svsm_crypto_aes_ecb_decrypt(&aes, msg.as_ptr(), out, 32)
        });
        fails_zeroed(&named("aes_cfb128_encrypt"), STATE, [20], |[out]| {
            lib.svsm_crypto_aes_cfb128_encrypt(&aes, key.as_ptr(), 16, msg.as_ptr(), out, 20)
        });
        fails_zeroed(&named("aes_cfb128_decrypt"), STATE, [20], |[out]| {
            lib.svsm_crypto_aes_cfb128_decrypt(&aes, key.as_ptr(), 16, msg.as_ptr(), out, 20)
        });
        lib.svsm_crypto_aes_cleanse(&mut aes);

        let fixed = [svsm_crypto_bytes {
            ptr: msg.as_ptr(),
            len: 10,
        }];
        fails_zeroed(&named("kdf_counter_hmac"), STATE, [40], |[out]| {
            lib.svsm_crypto_kdf_counter_hmac(
                SVSM_CRYPTO_SHA256,
                key.as_ptr(),
                32,
                fixed.as_ptr(),
                1,
                out,
                40,
            )
        });
        fails_zeroed(&named("kdf_one_step"), STATE, [40], |[out]| {
            lib.svsm_crypto_kdf_one_step(
                SVSM_CRYPTO_SHA256,
                key.as_ptr(),
                32,
                fixed.as_ptr(),
                1,
                out,
                40,
            )
        });

        let mut drbg = svsm_crypto_drbg_ctx {
            opaque: [0xAA; SVSM_CRYPTO_DRBG_CTX_SIZE as usize],
        };
        ctx_fail(
            "drbg_instantiate",
            lib.svsm_crypto_drbg_instantiate(&mut drbg, null(), 0),
        );
        ctx_zeroed("drbg_instantiate", &drbg.opaque);
        let (entropy, nonce) = ([1u8; 32], [2u8; 16]);
        ctx_fail(
            "drbg_instantiate_test",
            lib.svsm_crypto_drbg_instantiate_test(
                &mut drbg,
                entropy.as_ptr(),
                32,
                nonce.as_ptr(),
                16,
                null(),
                0,
            ),
        );
        fails_zeroed(&named("drbg_generate"), STATE, [64], |[out]| {
            lib.svsm_crypto_drbg_generate(&mut drbg, out, 64, null(), 0)
        });
        ctx_fail(
            "drbg_reseed",
            lib.svsm_crypto_drbg_reseed(&mut drbg, null(), 0),
        );
        ctx_fail(
            "drbg_reseed_test",
            lib.svsm_crypto_drbg_reseed_test(&mut drbg, entropy.as_ptr(), 32, null(), 0),
        );
        lib.svsm_crypto_drbg_uninstantiate(&mut drbg);
        fails_zeroed(&named("random"), STATE, [64], |[out]| {
            lib.svsm_crypto_random(out, 64)
        });

        for (curve, n) in [(SVSM_CRYPTO_P256, 32usize), (SVSM_CRYPTO_P384, 48)] {
            fails_zeroed(&named("ecc_keygen"), STATE, [n, 2 * n], |[d, q]| {
                lib.svsm_crypto_ecc_keygen(curve, d, n, q, 2 * n)
            });
            let d = vec![0x11u8; n];
            let q_in = vec![0x22u8; 2 * n];
            ctx_fail(
                "ecc_public_key_validate",
                lib.svsm_crypto_ecc_public_key_validate(curve, q_in.as_ptr(), 2 * n),
            );
            fails_zeroed(&named("ecc_public_key_derive"), STATE, [2 * n], |[q]| {
                lib.svsm_crypto_ecc_public_key_derive(curve, d.as_ptr(), n, q, 2 * n)
            });
            let digest = vec![5u8; n];
            fails_zeroed(&named("ecdsa_sign_digest"), STATE, [2 * n], |[sig]| {
                lib.svsm_crypto_ecdsa_sign_digest(
                    curve,
                    d.as_ptr(),
                    n,
                    digest.as_ptr(),
                    n,
                    sig,
                    2 * n,
                )
            });
            ctx_fail(
                "ecdsa_verify_digest",
                lib.svsm_crypto_ecdsa_verify_digest(
                    curve,
                    q_in.as_ptr(),
                    2 * n,
                    digest.as_ptr(),
                    n,
                    q_in.as_ptr(),
                    2 * n,
                ),
            );
            fails_zeroed(&named("ecdh_shared_secret"), STATE, [n], |[z]| {
                lib.svsm_crypto_ecdh_shared_secret(curve, d.as_ptr(), n, q_in.as_ptr(), 2 * n, z, n)
            });
        }
    }
}
