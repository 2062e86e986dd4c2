//! Helpers shared by the host test files (each file uses a subset).
#![allow(dead_code)]

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
