//! Helpers shared by the host test files (each file uses a subset).
#![allow(dead_code)]

pub mod dynamic;

/// Reads a JSON file (a manifest).
pub fn read_json(path: &std::path::Path) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).expect("manifest is JSON")
}

/// The group orders of P-256 and P-384.
pub const P256_N: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
pub const P384_N: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973";

/// Decodes a hex string; spaces are ignored so long vectors can be split.
pub fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len().is_multiple_of(2), "odd-length hex: {text}");
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

/// `len` bytes from the OS, for inputs of cross-checks against the reference
/// implementations.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    getrandom::fill(&mut out).expect("OS randomness");
    out
}

/// A fresh buffer pre-filled with 0xAA, so a test can tell "zeroed on
/// failure" apart from "never written".
pub fn poisoned(len: usize) -> Vec<u8> {
    vec![0xAA; len]
}

pub fn is_zero(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0)
}

/// Runs `call` on fresh poisoned outputs of `lens` bytes and expects the
/// status `want` with every output zeroed; `what` names the call.
pub fn fails_zeroed<const N: usize>(
    what: &str,
    want: i32,
    lens: [usize; N],
    call: impl FnOnce([*mut u8; N]) -> i32,
) {
    let mut outputs = lens.map(poisoned);
    let status = call(outputs.each_mut().map(|o| o.as_mut_ptr()));
    assert_eq!(status, want, "{what}");
    for (i, out) in outputs.iter().enumerate() {
        assert!(is_zero(out), "{what} left output {i} unzeroed");
    }
}

/// An all-zero `svsm_crypto_self_test_result` of the bindings in scope (the
/// static and the dynamically loaded layers each have their own type).
#[allow(unused_macros)]
macro_rules! empty_self_test_result {
    () => {
        svsm_crypto_self_test_result {
            id: 0,
            outcome: 0,
            start_ticks: 0,
            end_ticks: 0,
        }
    };
}

/// The oracle's name for a hash of the module.
pub fn oracle_hash(alg: svsm_crypto::HashAlg) -> svsm_oracle::HashAlg {
    match alg {
        svsm_crypto::HashAlg::Sha256 => svsm_oracle::HashAlg::Sha256,
        svsm_crypto::HashAlg::Sha384 => svsm_oracle::HashAlg::Sha384,
        svsm_crypto::HashAlg::Sha512 => svsm_oracle::HashAlg::Sha512,
    }
}

/// The oracle's name for a curve of the module.
pub fn oracle_curve(curve: svsm_crypto::Curve) -> svsm_oracle::Curve {
    match curve {
        svsm_crypto::Curve::P256 => svsm_oracle::Curve::P256,
        svsm_crypto::Curve::P384 => svsm_oracle::Curve::P384,
    }
}
