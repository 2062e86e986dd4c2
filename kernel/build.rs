//! Kernel build steps:
//!
//! * passes the kernel's linker script to the final link of the kernel
//!   binary, exactly once. Doing it here rather than in `.cargo/config.toml`
//!   keeps the script away from every other crate built for the same target,
//!   and immune to additive `CARGO_TARGET_*_RUSTFLAGS`;
//! * builds the ring-3 guest harness (`kernel/harness`, its own workspace)
//!   as a flat binary and leaves it in `OUT_DIR/guest-harness.bin` for
//!   `include_bytes!` (kernel/src/task/harness.rs). It is built with its own
//!   target directory (`target/guest-harness`), so the nested cargo never
//!   waits on the outer one's lock.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let target = std::env::var("TARGET").unwrap_or_default();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let harness_bin = out.join("guest-harness.bin");
    if target == "x86_64-unknown-none" {
        println!("cargo:rustc-link-arg-bins=-T{dir}/linker.ld");
        println!("cargo:rustc-link-arg-bins=--no-relax");
        build_harness(Path::new(&dir), &harness_bin);
    } else {
        // Host builds (none today) get an empty image, which the kernel
        // reports as an invalid harness.
        std::fs::write(&harness_bin, []).expect("write OUT_DIR/guest-harness.bin");
    }
    println!("cargo:rerun-if-changed=linker.ld");
    println!("cargo:rerun-if-changed=build.rs");
}

fn build_harness(kernel_dir: &Path, bin: &Path) {
    let harness = kernel_dir.join("harness");
    let workspace = kernel_dir.parent().expect("kernel/ has a parent");
    let target_dir = workspace.join("target").join("guest-harness");
    for watched in ["Cargo.toml", "Cargo.lock", "build.rs", "harness.ld", "src"] {
        println!("cargo:rerun-if-changed={}", harness.join(watched).display());
    }
    // The harness's own path dependencies (the ABI also shapes its linker
    // script, so a change there must rebuild it).
    for dependency in ["abi/src", "protocol/src"] {
        println!(
            "cargo:rerun-if-changed={}",
            kernel_dir.join(dependency).display()
        );
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&harness)
        .args(["build", "--release", "--target", "x86_64-unknown-none"])
        .arg("--target-dir")
        .arg(&target_dir)
        // The outer build's flags and wrappers are for the kernel, not for
        // this separate program; .cargo/config.toml still applies.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .status()
        .expect("run cargo for the guest harness");
    assert!(status.success(), "building the guest harness failed");
    let built = target_dir.join("x86_64-unknown-none/release/svsm-guest-harness");
    std::fs::copy(&built, bin).expect("copy the guest harness image");
}
