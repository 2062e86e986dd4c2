//! Passes the kernel's linker script to the final link of the kernel binary,
//! exactly once. Doing it here rather than in `.cargo/config.toml` keeps the
//! script away from every other crate built for the same target, and immune to
//! additive `CARGO_TARGET_*_RUSTFLAGS`.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target == "x86_64-unknown-none" {
        println!("cargo:rustc-link-arg-bins=-T{dir}/linker.ld");
        println!("cargo:rustc-link-arg-bins=--no-relax");
    }
    println!("cargo:rerun-if-changed=linker.ld");
    println!("cargo:rerun-if-changed=build.rs");
}
