//! BREAK builds: for every self-test the healthy manifest lists (and the
//! integrity test), build the variant in which exactly that test fails, load
//! it as a shared library next to the real module, and check that it comes
//! up in the error state blaming that test, refuses every service with
//! SVSM_CRYPTO_ERR_STATE and zeroed outputs, and still answers the control
//! functions. Each variant is its own dlopen'ed instance, so their states do
//! not mix with each other or with the statically linked module.

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

/// Loads one BREAK variant and checks it end to end.
fn check_variant(id: &str, order: &[String], healthy_object: &Path) {
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
        manifest["broken"]["self_test"].as_str(),
        Some(id),
        "{id}: manifest marked broken"
    );
    assert_ne!(
        manifest["object"]["object_sha256"].as_str(),
        Some(svsm_crypto_object::OBJECT_SHA256),
        "{id}: variant differs from the module"
    );

    let lib = Instance::load(&built.object, &built.dir);

    // SAFETY: single-threaded use of this instance; every pointer is valid.
    unsafe {
        assert_eq!(
            lib.svsm_crypto_state(),
            SVSM_CRYPTO_STATE_UNINITIALIZED,
            "{id}"
        );
        assert_eq!(lib.init(), SVSM_CRYPTO_ERR_SELF_TEST, "{id}: init");
        assert_eq!(
            lib.svsm_crypto_state(),
            SVSM_CRYPTO_STATE_ERROR,
            "{id}: state"
        );

        let failed = lib.svsm_crypto_failed_self_test();
        assert!(failed >= 0, "{id}: no failed self-test reported");
        let key = lib.svsm_crypto_self_test_key(failed as u32);
        assert!(!key.is_null());
        assert_eq!(
            CStr::from_ptr(key).to_str().unwrap(),
            id,
            "{id}: failed self-test"
        );

        assert_every_service_refused(&lib, id);

        // The control functions still answer.
        let version = lib.svsm_crypto_version();
        assert!(
            !version.is_null() && !CStr::from_ptr(version).to_bytes().is_empty(),
            "{id}: version"
        );
        let failed_at = order.iter().position(|t| t == id).expect("id in run order");
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
        assert_eq!(lib.svsm_crypto_failed_self_test(), failed, "{id}");
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
    let mut ids = order.clone();
    if !ids.iter().any(|i| i == "integrity") {
        ids.push("integrity".into());
    }
    assert!(ids.len() > 1);

    // The statically linked module is unaffected by the variants loaded next
    // to it.
    let module = svsm_crypto::host::module();
    for id in &ids {
        check_variant(id, &order, &healthy_object);
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
