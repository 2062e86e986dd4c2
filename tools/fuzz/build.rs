//! With feature `libfuzzer`, links the libFuzzer runtime of the Debian clang
//! found by scripts/fuzz.sh (`FUZZ_LIBFUZZER`: the path of
//! libclang_rt.fuzzer-x86_64.a); it provides `main` and calls
//! `LLVMFuzzerTestOneInput`. Without the feature nothing is linked.

fn main() {
    println!("cargo:rerun-if-env-changed=FUZZ_LIBFUZZER");
    if std::env::var_os("CARGO_FEATURE_LIBFUZZER").is_none() {
        return;
    }
    let Some(runtime) = std::env::var_os("FUZZ_LIBFUZZER") else {
        eprintln!(
            "feature libfuzzer needs FUZZ_LIBFUZZER=<libclang_rt.fuzzer-x86_64.a> (scripts/fuzz.sh sets it)"
        );
        std::process::exit(1);
    };
    let runtime = std::path::PathBuf::from(runtime);
    let dir = runtime.parent().expect("a file path");
    let name = runtime
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| s.strip_prefix("lib"))
        .expect("libNAME.a");
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=static={name}");
    // libFuzzer is C++.
    println!("cargo:rustc-link-lib=dylib=stdc++");
}
