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
//!   waits on the outer one's lock;
//! * builds the ring-3 vTPM service (`kernel/vtpm-service`, its own
//!   workspace too) the same way into `OUT_DIR/vtpm-service.bin`
//!   (kernel/src/task/vtpm.rs), with its own target directory.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let target = std::env::var("TARGET").unwrap_or_default();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let images = [
        ("harness", "svsm-guest-harness", "guest-harness.bin"),
        ("vtpm-service", "svsm-vtpm-service", "vtpm-service.bin"),
    ];
    if target == "x86_64-unknown-none" {
        println!("cargo:rustc-link-arg-bins=-T{dir}/linker.ld");
        println!("cargo:rustc-link-arg-bins=--no-relax");
        for (crate_dir, name, bin) in images {
            build_ring3(Path::new(&dir), crate_dir, name, &out.join(bin));
        }
    } else {
        // Host builds (none today) get empty images, which the kernel
        // reports as invalid.
        for (_, _, bin) in images {
            std::fs::write(out.join(bin), []).expect("write an empty ring-3 image");
        }
    }
    println!("cargo:rerun-if-changed=linker.ld");
    println!("cargo:rerun-if-changed=build.rs");
}

/// Builds the ring-3 program in `kernel/<crate_dir>` (binary `name`) as a
/// flat image at `bin`.
fn build_ring3(kernel_dir: &Path, crate_dir: &str, name: &str, bin: &Path) {
    let program = kernel_dir.join(crate_dir);
    let workspace = kernel_dir.parent().expect("kernel/ has a parent");
    let target_dir = workspace
        .join("target")
        .join(name.trim_start_matches("svsm-"));
    for watched in ["Cargo.toml", "Cargo.lock", "build.rs", "harness.ld", "src"] {
        println!("cargo:rerun-if-changed={}", program.join(watched).display());
    }
    // Their path dependencies (the ABI also shapes their linker
    // script, so a change there must rebuild it).
    for dependency in [
        "abi/src",
        "protocol/src",
        "harness/build.rs",
        "harness/harness.ld",
        "../vtpm/engine/src",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            kernel_dir.join(dependency).display()
        );
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&program)
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
        .expect("run cargo for a ring-3 program");
    assert!(status.success(), "building {name} failed");
    let built = target_dir.join("x86_64-unknown-none/release").join(name);
    std::fs::copy(&built, bin).expect("copy a ring-3 image");
}
