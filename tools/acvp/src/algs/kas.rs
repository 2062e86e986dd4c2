//! KAS-ECC-SSC (SP 800-56A rev. 3 shared secret computation): AFT and VAL.

use super::ecdsa::{fixed, point};
use super::module_failed;
use crate::capabilities::KAS_SCHEMES;
use crate::json::{Obj, Result, hex, tc_id, tests_of};
use crate::module::{CryptoModule, Curve, ModuleError};
use crate::run::{Evidence, GroupOutcome, SetInfo, group_response};
use serde_json::json;

/// Which key ("static" or "ephemeral") the IUT and the server contribute
/// to Z in a scheme, for the IUT's role.
pub fn key_kinds(scheme: &str, role: &str) -> Option<(&'static str, &'static str)> {
    match (scheme, role) {
        ("ephemeralUnified", "initiator" | "responder") => Some(("ephemeral", "ephemeral")),
        ("staticUnified", "initiator" | "responder") => Some(("static", "static")),
        // One-pass DH: the initiator contributes an ephemeral key, the
        // responder a static one.
        ("onePassDh", "initiator") => Some(("ephemeral", "static")),
        ("onePassDh", "responder") => Some(("static", "ephemeral")),
        _ => None,
    }
}

pub fn group(
    m: &dyn CryptoModule,
    _info: &SetInfo,
    g: &Obj<'_>,
    ev: &mut Evidence,
) -> Result<GroupOutcome> {
    let tg_id = g.u64("tgId")?;
    let test_type = g.str("testType")?;
    if test_type != "AFT" && test_type != "VAL" {
        return Ok(GroupOutcome::NotClaimed(format!("testType {test_type}")));
    }
    let domain = g.str("domainParameterGenerationMode")?;
    let curve = match Curve::from_acvp(domain) {
        Some(c) => c,
        None => {
            return Ok(GroupOutcome::NotClaimed(format!(
                "domain parameters {domain}"
            )));
        }
    };
    let scheme = g.str("scheme")?;
    let role = g.str("kasRole")?;
    if !KAS_SCHEMES.contains(&scheme) {
        return Ok(GroupOutcome::NotClaimed(format!("scheme {scheme}")));
    }
    let (iut_kind, server_kind) = match key_kinds(scheme, role) {
        Some(k) => k,
        None => return Ok(GroupOutcome::NotClaimed(format!("kasRole {role}"))),
    };
    if let Some(h) = g.opt_str("hashFunctionZ")? {
        return Ok(GroupOutcome::NotClaimed(format!("hashFunctionZ {h}")));
    }
    let n = curve.scalar_len();
    let mut answers = Vec::new();
    for (loc, t) in tests_of(g)? {
        let t = Obj::from_value(t, &loc, "a test")?;
        let id = tc_id(&t)?;
        let sx = t.hex(&format!("{server_kind}PublicServerX"))?;
        let sy = t.hex(&format!("{server_kind}PublicServerY"))?;
        let server = point(curve, &sx, &sy);
        if test_type == "AFT" {
            let server = server
                .ok_or_else(|| t.err("server public key coordinate larger than the field"))?;
            let (d, q) = m
                .ecc_keygen(curve)
                .map_err(|e| module_failed(&t, "key generation", e))?;
            if q.len() != 2 * n {
                return Err(t.err("module returned a public key of the wrong length"));
            }
            let z = m
                .ecdh(curve, &d, &server)
                .map_err(|e| module_failed(&t, "ECDH", e))?;
            ev.private_keys.insert(id, d);
            answers.push(json!({
                "tcId": id,
                format!("{iut_kind}PublicIutX"): hex(&q[..n]),
                format!("{iut_kind}PublicIutY"): hex(&q[n..]),
                "z": hex(&z),
            }));
        } else {
            let d = t.hex(&format!("{iut_kind}PrivateIut"))?;
            let ix = t.hex(&format!("{iut_kind}PublicIutX"))?;
            let iy = t.hex(&format!("{iut_kind}PublicIutY"))?;
            let z_given = t.hex("z")?;
            let passed = match (fixed(&d, n), point(curve, &ix, &iy), server) {
                (Some(d), Some(iut_public), Some(server)) => {
                    // The IUT's own key pair must be consistent, then Z must match.
                    let pair_ok = match m.ecc_public_key_derive(curve, &d) {
                        Ok(q) => q == iut_public,
                        Err(ModuleError::Key) => false,
                        Err(e) => return Err(module_failed(&t, "public key derivation", e)),
                    };
                    pair_ok
                        && match m.ecdh(curve, &d, &server) {
                            Ok(z) => fixed(&z_given, n).is_some_and(|zg| zg == z),
                            Err(ModuleError::Key) => false,
                            Err(e) => return Err(module_failed(&t, "ECDH", e)),
                        }
                }
                _ => false,
            };
            answers.push(json!({ "tcId": id, "testPassed": passed }));
        }
    }
    Ok(GroupOutcome::Answered(group_response(
        tg_id,
        vec![],
        answers,
    )))
}
