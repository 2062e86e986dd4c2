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

use common::dynamic::bindings::*;
use common::dynamic::{Instance, assert_every_service_refused};
use common::{is_zero, poisoned, read_json};
use sha2::Digest;
use std::ffi::CStr;
use std::path::Path;

const STATE: i32 = SVSM_CRYPTO_ERR_STATE;

fn file_sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs `svsm_crypto_init` on a fresh instance, which must fail its
/// self-tests and enter the error state; returns the failed test's index.
fn init_fails_at(lib: &Instance, what: &str) -> u32 {
    // SAFETY: single-threaded use of this instance; state queries take no
    // pointers.
    unsafe {
        assert_eq!(
            lib.svsm_crypto_state(),
            SVSM_CRYPTO_STATE_UNINITIALIZED,
            "{what}"
        );
        assert_eq!(lib.init(), SVSM_CRYPTO_ERR_SELF_TEST, "{what}: init");
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
fn self_test_key(lib: &Instance, index: u32) -> String {
    // SAFETY: the module returns NULL or a static NUL-terminated string.
    unsafe {
        let key = lib.svsm_crypto_self_test_key(index);
        assert!(!key.is_null(), "self-test {index} has no key");
        CStr::from_ptr(key).to_str().expect("ASCII key").to_owned()
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

    let lib = Instance::load(&built.object, &built.dir);

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
        assert_eq!(lib.init(), SVSM_CRYPTO_ERR_ALREADY, "{id}: no second init");
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
fn load_copy(healthy_object: &Path, name: &str, bytes: &[u8]) -> Instance {
    let dir = healthy_object.with_file_name("tamper").join(name);
    std::fs::create_dir_all(&dir).expect("creating the tamper directory");
    let object = dir.join("svsm-crypto.o");
    std::fs::write(&object, bytes).expect("writing the copy");
    Instance::load(&object, &dir)
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
        assert_eq!(lib.init(), SVSM_CRYPTO_OK, "unchanged copy: init");
        assert_eq!(lib.svsm_crypto_state(), SVSM_CRYPTO_STATE_OPERATIONAL);
    }

    for (symbol, what) in CONSTANT_TABLES {
        let mut copy = healthy.clone();
        copy[table_byte(&healthy, symbol)] ^= 0x01;
        let lib = load_copy(&healthy_object, symbol, &copy);
        let what = format!("{what} ({symbol})");
        let failed = init_fails_at(&lib, &what);
        assert_eq!(
            self_test_key(&lib, failed),
            "integrity",
            "{what}: a flipped byte must fail the integrity test itself"
        );
    }
}
