//! What an independent check of one answered test sees, and typed access to
//! its fields with errors that become the test's failure message.

use crate::json::decode_hex;
use crate::module::Curve;
use crate::run::Evidence;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// A check's outcome: `Err` says why the answer is wrong.
pub type Verdict = Result<(), String>;

/// One answered test with its prompt.
pub struct Answered<'a> {
    /// The prompt's group and test.
    pub group: &'a Map<String, Value>,
    pub test: &'a Map<String, Value>,
    /// The response's group (group-level answers) and test.
    pub group_answer: &'a Map<String, Value>,
    pub answer: &'a Map<String, Value>,
    pub tc_id: u64,
}

/// State a vector set's checks share.
pub struct CheckState<'a> {
    pub evidence: &'a Evidence,
    /// Internal IVs the module gave so far (they must never repeat).
    pub seen_ivs: HashSet<Vec<u8>>,
}

/// Checks one answered test with code that is not the module.
pub type Checker = fn(&Answered<'_>, &mut CheckState<'_>) -> Verdict;

pub fn hex_field(m: &Map<String, Value>, key: &str) -> Result<Vec<u8>, String> {
    let s = m
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no \"{key}\""))?;
    decode_hex(s).map_err(|e| format!("\"{key}\": {e}"))
}

pub fn str_field<'a>(m: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    m.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no \"{key}\""))
}

pub fn u64_field(m: &Map<String, Value>, key: &str) -> Result<u64, String> {
    m.get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("no \"{key}\""))
}

pub fn bytes_of(m: &Map<String, Value>, key: &str, bits: u64) -> Result<Vec<u8>, String> {
    let mut v = hex_field(m, key)?;
    v.truncate((bits / 8) as usize);
    Ok(v)
}

pub fn point_of(curve: Curve, m: &Map<String, Value>, x: &str, y: &str) -> Result<Vec<u8>, String> {
    crate::algs::ecdsa::point(curve, &hex_field(m, x)?, &hex_field(m, y)?)
        .ok_or_else(|| format!("{x}/{y} too large"))
}

pub fn curve_field(m: &Map<String, Value>, key: &str) -> Result<Curve, String> {
    let name = str_field(m, key)?;
    Curve::from_acvp(name).ok_or_else(|| format!("curve {name}"))
}

pub fn bool_field(m: &Map<String, Value>, key: &str) -> Result<bool, String> {
    m.get(key)
        .and_then(Value::as_bool)
        .ok_or_else(|| format!("no \"{key}\""))
}
