//! One handler per ACVP algorithm: each decides whether a group is claimed
//! and, if so, answers its tests with the module.

pub mod drbg;
pub mod ecdsa;
pub mod gcm;
pub mod hmac;
pub mod kas;
pub mod kda;
pub mod sha;

use crate::json::{Obj, Result};
use crate::module::CryptoModule;
use crate::run::{Evidence, GroupOutcome, SetInfo};

/// Answers one test group.
pub type Handler = fn(&dyn CryptoModule, &SetInfo, &Obj<'_>, &mut Evidence) -> Result<GroupOutcome>;

fn revision_is(info: &SetInfo, allowed: &[&str]) -> bool {
    match &info.revision {
        None => true,
        Some(r) => allowed.iter().any(|a| a.eq_ignore_ascii_case(r)),
    }
}

/// The handler of a vector set, or why the whole set is not claimed.
pub fn handler_for(info: &SetInfo) -> std::result::Result<Handler, String> {
    let alg = info.algorithm.as_str();
    let mode = info.mode.as_deref().unwrap_or("");
    let unknown_rev = || {
        format!(
            "revision {} not claimed for {alg}",
            info.revision.as_deref().unwrap_or("-")
        )
    };
    match alg {
        "SHA2-256" | "SHA2-384" | "SHA2-512" => {
            if revision_is(info, &["1.0"]) {
                Ok(sha::group)
            } else {
                Err(unknown_rev())
            }
        }
        "HMAC-SHA2-256" | "HMAC-SHA2-384" | "HMAC-SHA2-512" => {
            if revision_is(info, &["1.0"]) {
                Ok(hmac::group)
            } else {
                Err(unknown_rev())
            }
        }
        "ACVP-AES-GCM" => {
            if revision_is(info, &["1.0"]) {
                Ok(gcm::group)
            } else {
                Err(unknown_rev())
            }
        }
        "KDA" | "KAS-KDF" if mode.eq_ignore_ascii_case("HKDF") => {
            if revision_is(info, crate::capabilities::KDA_REVISIONS) {
                Ok(kda::group)
            } else {
                Err(unknown_rev())
            }
        }
        "ECDSA" => {
            if !revision_is(info, crate::capabilities::ECDSA_REVISIONS) {
                return Err(unknown_rev());
            }
            match mode.to_ascii_lowercase().as_str() {
                "keygen" => Ok(ecdsa::keygen_group),
                "keyver" => Ok(ecdsa::keyver_group),
                "siggen" => Ok(ecdsa::siggen_group),
                "sigver" => Ok(ecdsa::sigver_group),
                _ => Err(format!("ECDSA mode \"{mode}\" not claimed")),
            }
        }
        "KAS-ECC-SSC" => {
            if revision_is(info, &["Sp800-56Ar3"]) {
                Ok(kas::group)
            } else {
                Err(unknown_rev())
            }
        }
        "hashDRBG" => {
            if revision_is(info, &["1.0"]) {
                Ok(drbg::group)
            } else {
                Err(unknown_rev())
            }
        }
        _ => Err(format!(
            "algorithm {alg}{}{mode} not claimed",
            if mode.is_empty() { "" } else { " " }
        )),
    }
}

/// Checks an integer group property against a list of claimed values.
pub fn claimed_value(name: &str, value: u64, allowed: &[u64]) -> Option<String> {
    if allowed.contains(&value) {
        None
    } else {
        Some(format!("{name} {value} not claimed"))
    }
}

/// Checks a bit length against a claimed byte-aligned range.
pub fn claimed_range(name: &str, value: u64, range: (u64, u64)) -> Option<String> {
    if value.is_multiple_of(8) && value >= range.0 && value <= range.1 {
        None
    } else {
        Some(format!(
            "{name} {value} not claimed ({}..={}, byte-aligned)",
            range.0, range.1
        ))
    }
}

/// Maps a module failure on an operation that must succeed to an error at
/// the test's location.
pub fn module_failed(
    test: &Obj<'_>,
    what: &str,
    e: crate::module::ModuleError,
) -> crate::json::AcvpError {
    test.err(format!("module {what} failed: {e}"))
}
