//! Links the harness with its own script as a flat binary at 0x4000_0000.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-arg-bins=-T{dir}/harness.ld");
    println!("cargo:rustc-link-arg-bins=--oformat=binary");
    println!("cargo:rerun-if-changed=harness.ld");
    println!("cargo:rerun-if-changed=build.rs");
}
