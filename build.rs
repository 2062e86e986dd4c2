//! Builds the certifiable crypto object (see crypto-c/builder) and links it
//! into every crate that depends on this package.
//!
//! `SVSM_CRYPTO_BREAK=<id>` (a manifest `break_ids` entry) builds the
//! fault-injection variant in which exactly one self-test fails
//! (target/svsm-crypto/break/<id>/); the real object in target/svsm-crypto/
//! is never replaced by it.
//!
//! The C compiler is found by the `cc` crate (CC, CFLAGS and their
//! target-prefixed forms); it prints the rerun-if-env-changed lines for them.

fn main() {
    println!("cargo:rerun-if-env-changed=SVSM_CRYPTO_BREAK");
    let break_test = std::env::var("SVSM_CRYPTO_BREAK")
        .ok()
        .filter(|s| !s.is_empty());
    let opts = svsm_crypto_builder::Options {
        break_test: break_test.clone(),
        ..Default::default()
    };
    let built = match svsm_crypto_builder::build(&opts) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("building svsm-crypto.o failed: {e}");
            std::process::exit(1);
        }
    };
    for input in &built.inputs {
        println!("cargo:rerun-if-changed={}", input.display());
    }
    println!("cargo:rustc-link-search=native={}", built.dir.display());
    println!("cargo:rustc-link-lib=static=svsm_crypto");
    println!(
        "cargo:rustc-env=SVSM_CRYPTO_OBJECT_SHA256={}",
        built.object_sha256
    );
    println!(
        "cargo:rustc-env=SVSM_CRYPTO_INTEGRITY_HMAC={}",
        built.integrity_hmac
    );
    println!(
        "cargo:rustc-env=SVSM_CRYPTO_MANIFEST={}",
        built.manifest.display()
    );
    if let Some(id) = break_test {
        println!("cargo:rustc-env=SVSM_CRYPTO_BROKEN_SELF_TEST={id}");
    }
    // Metadata for dependents' build scripts (DEP_SVSM_CRYPTO_*).
    println!("cargo:include={}", built.include_dir.display());
    println!(
        "cargo:cc_builtin_include={}",
        built.cc_builtin_include.display()
    );
    println!("cargo:object={}", built.object.display());
    println!("cargo:manifest={}", built.manifest.display());
}
