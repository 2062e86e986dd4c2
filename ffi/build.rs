//! Generates the raw layer from the module's one header, at build time.
//!
//! `svsm-crypto-object` (the `links = "svsm_crypto"` package) hands us the
//! header directory as `DEP_SVSM_CRYPTO_INCLUDE`. Two files land in OUT_DIR:
//!
//! - `svsm_crypto.rs`: `unsafe extern "C"` declarations for the statically
//!   linked object, included by `src/bindings.rs` and nothing else.
//! - `svsm_crypto_dynamic.rs` (host targets only): the same API as a struct of
//!   function pointers resolved from a shared library with `libloading`. Only
//!   the BREAK-variant tests use it, to load several module instances into one
//!   test process.

use std::env;
use std::path::PathBuf;

/// Clang arguments for parsing the header as the target sees it.
///
/// The header needs only `<stddef.h>` and `<stdint.h>`. On the bare-metal
/// kernel target libclang finds no system headers, so we parse it
/// freestanding with the C compiler's own builtin headers, the same ones the
/// module was compiled against (`DEP_SVSM_CRYPTO_CC_BUILTIN_INCLUDE`, from
/// the builder).
fn clang_args() -> Vec<String> {
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return Vec::new();
    }
    let dir = env::var("DEP_SVSM_CRYPTO_CC_BUILTIN_INCLUDE")
        .expect("svsm-crypto-object exports DEP_SVSM_CRYPTO_CC_BUILTIN_INCLUDE");
    vec!["-ffreestanding".into(), "-isystem".into(), dir]
}

fn builder(header: &str) -> bindgen::Builder {
    bindgen::Builder::default()
        .header(header)
        .clang_args(clang_args())
        .use_core()
        .ctypes_prefix("core::ffi")
        // Edition 2024 output (`unsafe extern` blocks) needs a 1.85+ target.
        .rust_target(bindgen::RustTarget::stable(85, 0).expect("1.85 is a valid Rust target"))
        .rust_edition(bindgen::RustEdition::Edition2024)
        .allowlist_item("svsm_crypto_.*")
        .allowlist_item("SVSM_CRYPTO_.*")
        .prepend_enum_name(false)
        .derive_default(false)
        .layout_tests(true)
        .merge_extern_blocks(true)
        .generate_comments(true)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
}

fn main() {
    let include = env::var("DEP_SVSM_CRYPTO_INCLUDE")
        .expect("svsm-crypto-object must export DEP_SVSM_CRYPTO_INCLUDE (links = \"svsm_crypto\")");
    let header = PathBuf::from(&include).join("svsm_crypto.h");
    let header = header.to_str().expect("header path is UTF-8").to_owned();
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));

    println!("cargo:rerun-if-env-changed=DEP_SVSM_CRYPTO_INCLUDE");
    println!("cargo:rerun-if-env-changed=DEP_SVSM_CRYPTO_CC_BUILTIN_INCLUDE");
    println!("cargo:rerun-if-changed={header}");
    println!("cargo:rerun-if-changed=build.rs");

    builder(&header)
        .generate()
        .expect("bindgen failed on svsm_crypto.h")
        .write_to_file(out.join("svsm_crypto.rs"))
        .expect("cannot write svsm_crypto.rs");

    // The kernel target has no dynamic loader; only host builds need this.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        builder(&header)
            .dynamic_library_name("SvsmCryptoLibrary")
            .dynamic_link_require_all(true)
            .generate()
            .expect("bindgen (dynamic) failed on svsm_crypto.h")
            .write_to_file(out.join("svsm_crypto_dynamic.rs"))
            .expect("cannot write svsm_crypto_dynamic.rs");
    }
}
