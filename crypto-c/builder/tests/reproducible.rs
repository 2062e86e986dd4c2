//! Two builds from nothing (no object cache, no extracted sources), in two
//! different directories, must give the same object, and the manifest must
//! name its hash.

use svsm_crypto_builder::{Options, build};

fn clean_build(dir: &std::path::Path) -> svsm_crypto_builder::Built {
    let _ = std::fs::remove_dir_all(dir);
    build(&Options {
        out_dir: Some(dir.to_path_buf()),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("build in {}: {e}", dir.display()))
}

#[test]
fn two_clean_builds_give_the_same_object() {
    let base = std::env::temp_dir().join(format!("svsm-crypto-repro-{}", std::process::id()));
    let first = clean_build(&base.join("one"));
    let second = clean_build(&base.join("two/nested"));

    let a = std::fs::read(&first.object).unwrap();
    let b = std::fs::read(&second.object).unwrap();
    assert!(
        a == b,
        "objects differ: {} vs {}",
        first.object_sha256,
        second.object_sha256
    );
    assert_eq!(first.object_sha256, svsm_crypto_builder::sha256_hex(&a));

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&first.manifest).unwrap()).unwrap();
    assert_eq!(
        manifest["object"]["object_sha256"],
        first.object_sha256.as_str()
    );
    assert_eq!(manifest["undefined_symbols"], serde_json::json!([]));
    assert!(manifest["broken"].is_null());
    let _ = std::fs::remove_dir_all(&base);
}
