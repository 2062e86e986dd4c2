//! Fault injection. BREAK builds: for every BREAK id the healthy manifest
//! lists (every self-test, and the integrity breaks of constant tables), build
//! the variant, load it as a shared library next to the real module, and
//! check that it comes up in the error state blaming the self-test the
//! manifest says it breaks, refuses every service with SVSM_CRYPTO_ERR_STATE
//! and zeroed outputs, and still answers the control functions. Then the
//! integrity coverage: one byte flipped in a copy of the healthy object, in
//! each constant table the integrity test must cover, must fail that test.
//! Each object is its own dlopen'ed instance, so their states do not mix with
//! each other or with the statically linked module.

#[macro_use]
mod common;

mod dynamic {
    // Generated code: C names, items the tests do not call.
    #![allow(nonstandard_style, dead_code, unsafe_op_in_unsafe_fn, clippy::all)]
    include!(concat!(env!("OUT_DIR"), "/svsm_crypto_dynamic.rs"));
}

use common::{fails_zeroed, is_zero, poisoned};
use dynamic::*;
use sha2::Digest;
use std::ffi::{CStr, c_void};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::ptr::null;

const STATE: i32 = SVSM_CRYPTO_ERR_STATE;

fn read_json(path: &Path) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).expect("manifest is JSON")
}

fn file_sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

extern "C" fn test_noise(_context: *mut c_void, out: *mut u8, len: usize) -> i32 {
    if len == 0 {
        return 0;
    }
    // SAFETY: the module passes a writable buffer of `len` bytes.
    let out = unsafe { std::slice::from_raw_parts_mut(out, len) };
    if getrandom::fill(out).is_ok() { 0 } else { -1 }
}

extern "C" fn test_timestamp(_context: *mut c_void) -> u64 {
    static TICKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    TICKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

static CALLBACKS: CallbackTable = CallbackTable(svsm_crypto_callbacks {
    context: std::ptr::null_mut(),
    get_noise: Some(test_noise),
    timestamp: Some(test_timestamp),
});

struct CallbackTable(svsm_crypto_callbacks);
// SAFETY: immutable table of plain functions with a NULL context.
unsafe impl Sync for CallbackTable {}

/// Links `object` into a shared library beside it.
fn shared_library(object: &Path) -> PathBuf {
    let so = object.with_file_name("svsm-crypto-break.so");
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
    so
}

/// Runs `svsm_crypto_init` on a fresh instance, which must fail its
/// self-tests and enter the error state; returns the failed test's index.
///
/// # Safety
///
/// `lib` is a loaded, uninitialized module instance; no other thread uses it.
unsafe fn init_fails_at(lib: &SvsmCryptoLibrary, what: &str) -> u32 {
    // SAFETY: single-threaded use of this instance; CALLBACKS lives forever.
    unsafe {
        assert_eq!(
            lib.svsm_crypto_state(),
            SVSM_CRYPTO_STATE_UNINITIALIZED,
            "{what}"
        );
        assert_eq!(
            lib.svsm_crypto_init(&CALLBACKS.0),
            SVSM_CRYPTO_ERR_SELF_TEST,
            "{what}: init"
        );
        assert_eq!(
            lib.svsm_crypto_state(),
            SVSM_CRYPTO_STATE_ERROR,
            "{what}: state"
        );
        let failed = lib.svsm_crypto_failed_self_test();
        assert!(failed >= 0, "{what}: no failed self-test reported");
        failed as u32
    }
}

/// The key of self-test `index`.
///
/// # Safety
///
/// `lib` is a loaded module instance.
unsafe fn self_test_key(lib: &SvsmCryptoLibrary, index: u32) -> String {
    // SAFETY: the module returns NULL or a static NUL-terminated string.
    unsafe {
        let key = lib.svsm_crypto_self_test_key(index);
        assert!(!key.is_null(), "self-test {index} has no key");
        CStr::from_ptr(key).to_str().expect("ASCII key").to_owned()
    }
}

/// Every service of the header, on a module in the error state: each must
/// return ERR_STATE and leave its (pre-poisoned) outputs zeroed.
///
/// # Safety
///
/// `lib` is a loaded module instance; no other thread uses it.
unsafe fn assert_every_service_refused(lib: &SvsmCryptoLibrary, id: &str) {
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

/// Loads one BREAK variant, which must fail self-test `fails`, and checks it
/// end to end.
fn check_variant(id: &str, fails: &str, order: &[String], healthy_object: &Path) {
    let built = svsm_crypto_builder::build(&svsm_crypto_builder::Options {
        break_test: Some(id.to_owned()),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("building BREAK={id}: {e}"));
    assert_ne!(
        built.object, healthy_object,
        "{id}: a BREAK build must not overwrite the module"
    );
    assert!(built.object.starts_with(&built.dir));

    let manifest = read_json(&built.manifest);
    assert_eq!(
        manifest["broken"]["break_id"].as_str(),
        Some(id),
        "{id}: manifest marked broken"
    );
    assert_eq!(
        manifest["broken"]["self_test"].as_str(),
        Some(fails),
        "{id}: manifest names the failing self-test"
    );
    assert_ne!(
        manifest["object"]["object_sha256"].as_str(),
        Some(svsm_crypto_object::OBJECT_SHA256),
        "{id}: variant differs from the module"
    );

    let so = shared_library(&built.object);
    // SAFETY: loading the variant runs no initializers of its own (the module
    // has none); the struct resolves every API symbol or fails.
    let lib =
        unsafe { SvsmCryptoLibrary::new(&so) }.unwrap_or_else(|e| panic!("{id}: dlopen: {e}"));

    // SAFETY: single-threaded use of this instance; every pointer is valid.
    unsafe {
        let failed = init_fails_at(&lib, id);
        assert_eq!(self_test_key(&lib, failed), fails, "{id}: failed self-test");

        assert_every_service_refused(&lib, id);

        // The control functions still answer.
        let version = lib.svsm_crypto_version();
        assert!(
            !version.is_null() && !CStr::from_ptr(version).to_bytes().is_empty(),
            "{id}: version"
        );
        let failed_at = order
            .iter()
            .position(|t| t == fails)
            .expect("failing test in run order");
        for (index, key) in order.iter().enumerate() {
            let mut result = empty_self_test_result!();
            assert_eq!(
                lib.svsm_crypto_self_test_result_get(index as u32, &mut result),
                SVSM_CRYPTO_OK
            );
            assert_eq!(result.id, index as u32);
            let expected = match index.cmp(&failed_at) {
                std::cmp::Ordering::Less => SVSM_CRYPTO_TEST_PASSED,
                std::cmp::Ordering::Equal => SVSM_CRYPTO_TEST_FAILED,
                std::cmp::Ordering::Greater => SVSM_CRYPTO_TEST_NOT_RUN,
            };
            assert_eq!(result.outcome, expected, "{id}: outcome of {key}");
        }
        lib.svsm_crypto_zeroize();
        assert_eq!(
            lib.svsm_crypto_state(),
            SVSM_CRYPTO_STATE_ERROR,
            "{id}: zeroize keeps the error state"
        );
        assert_eq!(lib.svsm_crypto_failed_self_test(), failed as i32, "{id}");
        assert_eq!(
            lib.svsm_crypto_init(&CALLBACKS.0),
            SVSM_CRYPTO_ERR_ALREADY,
            "{id}: no second init"
        );
        let mut out = poisoned(16);
        assert_eq!(
            lib.svsm_crypto_random(out.as_mut_ptr(), 16),
            STATE,
            "{id}: still refusing after zeroize"
        );
        assert!(is_zero(&out));
    }
}

#[test]
fn every_break_variant_fails_closed() {
    let healthy_manifest_path = Path::new(svsm_crypto_object::MANIFEST_PATH);
    let healthy_object = healthy_manifest_path.with_file_name("svsm-crypto.o");
    let healthy_before = file_sha256(&healthy_object);
    assert_eq!(
        healthy_before,
        svsm_crypto_object::OBJECT_SHA256,
        "tests link the object on disk"
    );

    let manifest = read_json(healthy_manifest_path);
    let order: Vec<String> = manifest["self_tests"]
        .as_array()
        .expect("manifest lists self_tests")
        .iter()
        .map(|t| t["id"].as_str().expect("self-test id").to_owned())
        .collect();
    let variants: Vec<(String, String)> = manifest["break_variants"]
        .as_array()
        .expect("manifest lists break_variants")
        .iter()
        .map(|v| {
            let field = |name: &str| v[name].as_str().expect("break variant field").to_owned();
            (field("id"), field("fails"))
        })
        .collect();
    let ids: Vec<&str> = variants.iter().map(|(id, _)| id.as_str()).collect();
    for required in order
        .iter()
        .map(String::as_str)
        .chain(["integrity-asm-table", "integrity-selftest-table"])
    {
        assert!(ids.contains(&required), "no BREAK variant {required}");
    }
    assert_eq!(
        manifest["break_ids"]
            .as_array()
            .expect("manifest lists break_ids")
            .iter()
            .map(|i| i.as_str().expect("break id"))
            .collect::<Vec<_>>(),
        ids,
        "break_ids and break_variants name the same ids"
    );

    // The statically linked module is unaffected by the variants loaded next
    // to it.
    let module = svsm_crypto::host::module();
    for (id, fails) in &variants {
        check_variant(id, fails, &order, &healthy_object);
        assert_eq!(
            module.state(),
            svsm_crypto::ModuleState::Operational,
            "after {id}"
        );
    }

    assert_eq!(
        file_sha256(&healthy_object),
        healthy_before,
        "healthy object replaced"
    );
    assert!(
        read_json(healthy_manifest_path)["broken"].is_null(),
        "healthy manifest marked broken"
    );
}

/// Every constant table issue 15 found outside the integrity range, by the
/// symbol that locates it in the object, and what it is.
const CONSTANT_TABLES: [(&str, &str); 7] = [
    (
        "L_avx1_sha256_k",
        "AVX1 SHA-256 round constants (sha256_asm.S)",
    ),
    (
        "L_avx1_sha512_k",
        "AVX1 SHA-512 round constants (sha512_asm.S)",
    ),
    (
        "L_avx2_aes_gcm_bswap_mask",
        "AVX2 AES-GCM constants (aes_gcm_asm.S)",
    ),
    (
        "L_vaes_aes_gcm_bswap_mask",
        "VAES AES-GCM constants (aes_gcm_asm.S)",
    ),
    ("g_self_tests", "the self-test table (selftest.c)"),
    ("g_curves", "the curve table (ecc_keys.c)"),
    ("ecc_sets", "wolfCrypt's curve parameter table (ecc.c)"),
];

/// File offset of the byte to flip in `symbol`: the middle of a sized object
/// (for the self-test table, an entry run after the integrity test), the
/// first byte after an assembly label.
fn table_byte(elf: &[u8], symbol: &str) -> usize {
    use object::{Object, ObjectSection, ObjectSymbol, SymbolSection};
    let file = object::File::parse(elf).expect("the module is an ELF object");
    let sym = file
        .symbols()
        .find(|s| s.name() == Ok(symbol))
        .unwrap_or_else(|| panic!("symbol {symbol} not found in the module's symbol table"));
    let SymbolSection::Section(index) = sym.section() else {
        panic!("{symbol} is not defined in a section");
    };
    let section = file.section_by_index(index).expect("symbol's section");
    let (section_offset, _) = section.file_range().expect("section has file bytes");
    let address = sym.address() + sym.size() / 2;
    let hashed_end = file
        .symbols()
        .find(|s| s.name() == Ok("svsm_crypto_text_end"))
        .expect("hashed range end marker")
        .address();
    assert!(
        address < hashed_end,
        "{symbol} at {address:#x} lies outside the hashed range (ends {hashed_end:#x})"
    );
    for (at, _) in section.relocations() {
        assert!(
            !(at..at + 8).contains(&address),
            "{symbol}: the byte at {address:#x} is relocated; the final link would undo the flip"
        );
    }
    (section_offset + address) as usize
}

/// Writes `bytes` as `tamper/<name>/svsm-crypto.o` beside the healthy
/// object and loads it as a shared library.
fn load_copy(healthy_object: &Path, name: &str, bytes: &[u8]) -> SvsmCryptoLibrary {
    let dir = healthy_object.with_file_name("tamper").join(name);
    std::fs::create_dir_all(&dir).expect("creating the tamper directory");
    let object = dir.join("svsm-crypto.o");
    std::fs::write(&object, bytes).expect("writing the copy");
    let so = shared_library(&object);
    // SAFETY: as in check_variant: no initializers, every symbol resolved.
    unsafe { SvsmCryptoLibrary::new(&so) }.unwrap_or_else(|e| panic!("{name}: dlopen: {e}"))
}

#[test]
fn a_byte_flipped_in_any_constant_table_fails_the_integrity_test() {
    let healthy_object =
        Path::new(svsm_crypto_object::MANIFEST_PATH).with_file_name("svsm-crypto.o");
    let healthy = std::fs::read(&healthy_object).expect("reading the healthy object");
    assert_eq!(
        file_sha256(&healthy_object),
        svsm_crypto_object::OBJECT_SHA256,
        "tests use the object on disk"
    );

    // Control: the unchanged copy, loaded the same way, passes every test.
    let lib = load_copy(&healthy_object, "unchanged", &healthy);
    // SAFETY: single-threaded use of this fresh instance.
    unsafe {
        assert_eq!(
            lib.svsm_crypto_init(&CALLBACKS.0),
            SVSM_CRYPTO_OK,
            "unchanged copy: init"
        );
        assert_eq!(lib.svsm_crypto_state(), SVSM_CRYPTO_STATE_OPERATIONAL);
    }

    for (symbol, what) in CONSTANT_TABLES {
        let mut copy = healthy.clone();
        copy[table_byte(&healthy, symbol)] ^= 0x01;
        let lib = load_copy(&healthy_object, symbol, &copy);
        let what = format!("{what} ({symbol})");
        // SAFETY: single-threaded use of this fresh instance.
        unsafe {
            let failed = init_fails_at(&lib, &what);
            assert_eq!(
                self_test_key(&lib, failed),
                "integrity",
                "{what}: a flipped byte must fail the integrity test itself"
            );
        }
    }
}
