//! The linked object is the one the manifest describes, and the module came
//! up operational with every power-on self-test passed, in the manifest's
//! order.

use svsm_crypto::host::{HostEnvironment, module};
use svsm_crypto::{AlreadyInitialized, ModuleState, Outcome, init};

fn manifest() -> serde_json::Value {
    let text = std::fs::read_to_string(svsm_crypto_object::MANIFEST_PATH)
        .unwrap_or_else(|e| panic!("reading {}: {e}", svsm_crypto_object::MANIFEST_PATH));
    serde_json::from_str(&text).expect("manifest is JSON")
}

/// `object_sha256` as the manifest records it (under "object", or top level).
fn manifest_object_sha256(manifest: &serde_json::Value) -> String {
    manifest["object"]["object_sha256"]
        .as_str()
        .or_else(|| manifest["object_sha256"].as_str())
        .expect("manifest has object_sha256")
        .to_owned()
}

#[test]
fn linked_object_is_the_manifest_object() {
    let manifest = manifest();
    assert_eq!(
        svsm_crypto::OBJECT_SHA256,
        manifest_object_sha256(&manifest)
    );
    assert_eq!(
        svsm_crypto::OBJECT_SHA256,
        svsm_crypto_object::OBJECT_SHA256
    );
    assert_eq!(svsm_crypto::OBJECT_SHA256.len(), 64);
    assert!(
        svsm_crypto_object::BROKEN_SELF_TEST.is_none(),
        "tests must link the real module"
    );
    assert!(
        manifest["broken"].is_null(),
        "healthy manifest must not be marked broken"
    );
}

#[test]
fn module_is_operational_with_every_self_test_passed() {
    let module = module();
    assert_eq!(module.state(), ModuleState::Operational);
    assert_eq!(module.failed_test(), None);
    assert!(!module.version().is_empty());

    let results: Vec<_> = module.self_tests().collect();
    let manifest = manifest();
    let listed: Vec<&str> = manifest["self_tests"]
        .as_array()
        .expect("manifest lists self_tests")
        .iter()
        .map(|t| t["id"].as_str().expect("self-test id"))
        .collect();
    let reported: Vec<&str> = results.iter().map(|r| r.id.key()).collect();
    assert_eq!(reported, listed, "report order is the manifest's run order");
    assert!(reported.contains(&"integrity"));

    let mut previous_end = 0;
    for result in &results {
        assert_eq!(result.outcome, Outcome::Passed, "{}", result.id.key());
        assert!(!result.id.name().is_empty());
        assert!(
            result.start_ticks <= result.end_ticks,
            "{}",
            result.id.key()
        );
        assert!(
            previous_end <= result.start_ticks,
            "{} ran out of order",
            result.id.key()
        );
        previous_end = result.end_ticks;
    }
    assert!(
        results.last().unwrap().end_ticks > 0,
        "self-tests were timed"
    );
    let integrity = module
        .self_test_by_key("integrity")
        .expect("integrity test exists");
    assert_eq!(integrity.key(), "integrity");
}

/// The power-on self-tests in run order, written out by hand: neither read
/// from svsm_crypto.h nor from the manifest, which are what this pins. Adding,
/// removing or reordering a self-test must change this list too.
const SELF_TESTS: [&str; 22] = [
    "hmac-sha256-kat",
    "integrity",
    "sha256-kat",
    "sha384-kat",
    "sha512-kat",
    "hmac-sha384-kat",
    "hmac-sha512-kat",
    "hkdf-sha256-kat",
    "hkdf-sha384-kat",
    "aes-gcm-128-kat",
    "aes-gcm-256-kat",
    "aes-gcm-256-16k-kat",
    "ctr-drbg-kat",
    "ecdsa-p256-kat",
    "ecdsa-p384-kat",
    "ecdh-p256-kat",
    "ecdh-p384-kat",
    "entropy-startup",
    "aes-ecb-256-kat",
    "aes-cfb128-128-kat",
    "kdf-ctr-sha256-kat",
    "kdf-onestep-sha256-kat",
];

#[test]
fn self_test_list_is_pinned() {
    let module = module();
    let reported: Vec<&str> = module.self_tests().map(|r| r.id.key()).collect();
    assert_eq!(reported, SELF_TESTS, "ids and run order the module reports");
    for (index, key) in SELF_TESTS.iter().enumerate() {
        let id = module.self_test_by_key(key).expect("listed test exists");
        assert_eq!(id.index() as usize, index, "{key}");
    }
}

#[test]
fn second_init_is_refused() {
    static OTHER: HostEnvironment = HostEnvironment;
    let module = module();
    assert_eq!(init(&OTHER).err(), Some(AlreadyInitialized));
    assert_eq!(module.state(), ModuleState::Operational);
}

#[test]
fn concurrent_callers_are_serialized() {
    let module = module();
    let expected = module
        .hash(svsm_crypto::HashAlg::Sha256, &[7u8; 10_000])
        .unwrap()
        .into_value();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..200 {
                    let digest = module
                        .hash(svsm_crypto::HashAlg::Sha256, &[7u8; 10_000])
                        .unwrap();
                    assert_eq!(digest.value(), &expected);
                }
            });
        }
    });
}
