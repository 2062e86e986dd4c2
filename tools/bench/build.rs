//! Records the versions of the peer crates this binary was built with, read
//! from the Cargo.lock that governs the build, so the JSON report can name
//! them.

use std::path::{Path, PathBuf};

const CRATES: [&str; 12] = [
    "openssl",
    "openssl-sys",
    "sha2",
    "hmac",
    "hkdf",
    "aes-gcm",
    "p384",
    "rand_chacha",
    "ecdsa",
    "aws-lc-rs",
    "aws-lc-sys",
    "ring",
];

fn find_lock(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join("Cargo.lock"))
        .find(|candidate| candidate.is_file())
}

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let lock = find_lock(&manifest_dir);
    let text = lock
        .as_ref()
        .and_then(|path| std::fs::read_to_string(path).ok())
        .unwrap_or_default();
    if let Some(path) = &lock {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let mut versions = Vec::new();
    let mut name: Option<&str> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("name = ") {
            name = Some(rest.trim_matches('"'));
        } else if let Some(rest) = line.strip_prefix("version = ")
            && let Some(n) = name.take().filter(|n| CRATES.contains(n))
        {
            versions.push(format!("{n}={}", rest.trim_matches('"')));
        }
    }
    println!(
        "cargo:rustc-env=SVSM_BENCH_CRATE_VERSIONS={}",
        versions.join(",")
    );
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc_version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!("cargo:rustc-env=SVSM_BENCH_RUSTC={rustc_version}");
}
