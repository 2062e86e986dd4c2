//! One handler per ACVP algorithm: each decides whether a group is claimed
//! and, if so, answers its tests with the module.

/// `claim!(result)`: the value of a group property the module claims, or a
/// return from the handler with why the group is not claimed.
/// `claim!(if reason)`: the same for a check that gives `Some(reason)`.
macro_rules! claim {
    (if $reason:expr) => {
        if let Some(reason) = $reason {
            return Ok($crate::run::GroupOutcome::NotClaimed(reason));
        }
    };
    ($claimed:expr) => {
        match $claimed {
            Ok(value) => value,
            Err(reason) => return Ok($crate::run::GroupOutcome::NotClaimed(reason)),
        }
    };
}

pub mod drbg;
pub mod ecdsa;
pub mod gcm;
pub mod hmac;
pub mod kas;
pub mod kda;
pub mod sha;

use crate::json::{Obj, Result, tc_id, tests_of};
use crate::module::CryptoModule;
use crate::run::{Evidence, GroupOutcome, SetInfo, group_response};
use serde_json::Value;

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
    // The revisions claimed for the algorithm, and its handler (or why the
    // mode is not claimed, which is only said for a claimed revision).
    let (revisions, handler): (&[&str], std::result::Result<Handler, String>) = match alg {
        "SHA2-256" | "SHA2-384" | "SHA2-512" => (&["1.0"], Ok(sha::group)),
        "HMAC-SHA2-256" | "HMAC-SHA2-384" | "HMAC-SHA2-512" => (&["1.0"], Ok(hmac::group)),
        "ACVP-AES-GCM" => (&["1.0"], Ok(gcm::group)),
        "KDA" | "KAS-KDF" if mode.eq_ignore_ascii_case("HKDF") => {
            (crate::capabilities::KDA_REVISIONS, Ok(kda::group))
        }
        "ECDSA" => (
            crate::capabilities::ECDSA_REVISIONS,
            match mode.to_ascii_lowercase().as_str() {
                "keygen" => Ok(ecdsa::keygen_group),
                "keyver" => Ok(ecdsa::keyver_group),
                "siggen" => Ok(ecdsa::siggen_group),
                "sigver" => Ok(ecdsa::sigver_group),
                _ => Err(format!("ECDSA mode \"{mode}\" not claimed")),
            },
        ),
        "KAS-ECC-SSC" => (&["Sp800-56Ar3"], Ok(kas::group)),
        "ctrDRBG" => (&["1.0"], Ok(drbg::group)),
        _ => {
            return Err(format!(
                "algorithm {alg}{}{mode} not claimed",
                if mode.is_empty() { "" } else { " " }
            ));
        }
    };
    if revision_is(info, revisions) {
        handler
    } else {
        Err(format!(
            "revision {} not claimed for {alg}",
            info.revision.as_deref().unwrap_or("-")
        ))
    }
}

/// The independent check of a vector set's answers, for the algorithms
/// whose answers are random or come without expected answers.
pub fn checker_for(info: &SetInfo) -> Option<crate::verdict::Checker> {
    let mode = info.mode.as_deref().unwrap_or("").to_ascii_lowercase();
    match (info.algorithm.as_str(), mode.as_str()) {
        ("ECDSA", "keygen") => Some(ecdsa::check_keygen),
        ("ECDSA", "siggen") => Some(ecdsa::check_siggen),
        ("KAS-ECC-SSC", _) => Some(kas::check),
        ("ACVP-AES-GCM", _) => Some(gcm::check),
        ("ctrDRBG", _) => Some(drbg::check),
        _ => None,
    }
}

/// Answers a claimed group: `answer` is called on each test in order (with
/// its tcId) and gives that test's response; `extra` holds the group-level
/// answers. (`run_set` has already checked that the group has an integer
/// tgId.)
pub fn answer_tests(
    g: &Obj<'_>,
    extra: Vec<(&str, Value)>,
    mut answer: impl FnMut(&Obj<'_>, u64) -> Result<Value>,
) -> Result<GroupOutcome> {
    let mut answers = Vec::new();
    for (loc, t) in tests_of(g)? {
        let t = Obj::from_value(t, &loc, "a test")?;
        let id = tc_id(&t)?;
        answers.push(answer(&t, id)?);
    }
    Ok(GroupOutcome::Answered(group_response(
        g.u64("tgId")?,
        extra,
        answers,
    )))
}

/// Checks a string group property against a list of claimed values.
pub fn claimed_str(name: &str, value: &str, allowed: &[&str]) -> Option<String> {
    if allowed.contains(&value) {
        None
    } else {
        Some(format!("{name} {value}"))
    }
}

/// The group's testType when it is one of `allowed`, or why the group is
/// not claimed. `absent` is the type assumed when the group names none;
/// `None` makes the field required.
pub fn test_type<'a>(
    g: &Obj<'a>,
    allowed: &[&str],
    absent: Option<&'a str>,
) -> Result<std::result::Result<&'a str, String>> {
    let tt = match absent {
        Some(default) => g.opt_str("testType")?.unwrap_or(default),
        None => g.str("testType")?,
    };
    Ok(match claimed_str("testType", tt, allowed) {
        None => Ok(tt),
        Some(reason) => Err(reason),
    })
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
