//! ECDSA keyGen, keyVer, sigGen (including the component test) and sigVer.

use super::module_failed;
use crate::capabilities::ECDSA_HASHES;
use crate::json::{Obj, Result, hex, tc_id, tests_of};
use crate::module::{CryptoModule, Curve, HashAlg, ModuleError};
use crate::run::{Evidence, GroupOutcome, SetInfo, group_response};
use serde_json::json;

/// A big-endian integer as exactly `len` bytes: shorter values are padded
/// on the left, longer ones lose leading zero bytes; `None` when the value
/// does not fit (so it cannot be a valid coordinate or signature half).
pub fn fixed(bytes: &[u8], len: usize) -> Option<Vec<u8>> {
    if bytes.len() <= len {
        let mut v = vec![0; len - bytes.len()];
        v.extend_from_slice(bytes);
        Some(v)
    } else {
        let (head, tail) = bytes.split_at(bytes.len() - len);
        head.iter().all(|&b| b == 0).then(|| tail.to_vec())
    }
}

/// X || Y from ACVP coordinates, or `None` when a coordinate is too large.
pub fn point(curve: Curve, x: &[u8], y: &[u8]) -> Option<Vec<u8>> {
    let n = curve.scalar_len();
    let mut p = fixed(x, n)?;
    p.extend(fixed(y, n)?);
    Some(p)
}

fn curve_of(g: &Obj<'_>) -> Result<std::result::Result<Curve, String>> {
    let name = g.str("curve")?;
    Ok(Curve::from_acvp(name).ok_or_else(|| format!("curve {name} not claimed")))
}

fn hash_of(g: &Obj<'_>) -> Result<std::result::Result<HashAlg, String>> {
    let name = g.str("hashAlg")?;
    Ok(match HashAlg::from_acvp(name) {
        Some(h) if ECDSA_HASHES.contains(&name) => Ok(h),
        _ => Err(format!("hashAlg {name} not claimed")),
    })
}

fn aft_only(g: &Obj<'_>) -> Result<Option<String>> {
    match g.opt_str("testType")? {
        None | Some("AFT") => Ok(None),
        Some(other) => Ok(Some(format!("testType {other}"))),
    }
}

/// The digest a signature covers: the module's hash of the message, or the
/// message itself in a component test.
fn digest(m: &dyn CryptoModule, t: &Obj<'_>, hash: HashAlg, component: bool) -> Result<Vec<u8>> {
    let msg = t.hex("message")?;
    if component {
        Ok(msg)
    } else {
        m.hash(hash, &msg).map_err(|e| module_failed(t, "hash", e))
    }
}

/// A verification's answer: valid, invalid (`Auth`/`Key`), or an error.
fn verdict(t: &Obj<'_>, what: &str, r: std::result::Result<(), ModuleError>) -> Result<bool> {
    match r {
        Ok(()) => Ok(true),
        Err(ModuleError::Auth | ModuleError::Key) => Ok(false),
        Err(e) => Err(module_failed(t, what, e)),
    }
}

pub fn keygen_group(
    m: &dyn CryptoModule,
    _info: &SetInfo,
    g: &Obj<'_>,
    _ev: &mut Evidence,
) -> Result<GroupOutcome> {
    let tg_id = g.u64("tgId")?;
    if let Some(r) = aft_only(g)? {
        return Ok(GroupOutcome::NotClaimed(r));
    }
    let curve = match curve_of(g)? {
        Ok(c) => c,
        Err(r) => return Ok(GroupOutcome::NotClaimed(r)),
    };
    if let Some(mode) = g.opt_str("secretGenerationMode")?
        && mode != "testing candidates"
    {
        return Ok(GroupOutcome::NotClaimed(format!(
            "secretGenerationMode {mode}"
        )));
    }
    let n = curve.scalar_len();
    let mut answers = Vec::new();
    for (loc, t) in tests_of(g)? {
        let t = Obj::from_value(t, &loc, "a test")?;
        let id = tc_id(&t)?;
        let (d, q) = m
            .ecc_keygen(curve)
            .map_err(|e| module_failed(&t, "key generation", e))?;
        if q.len() != 2 * n {
            return Err(t.err("module returned a public key of the wrong length"));
        }
        answers.push(json!({
            "tcId": id, "d": hex(&d), "qx": hex(&q[..n]), "qy": hex(&q[n..]),
        }));
    }
    Ok(GroupOutcome::Answered(group_response(
        tg_id,
        vec![],
        answers,
    )))
}

pub fn keyver_group(
    m: &dyn CryptoModule,
    _info: &SetInfo,
    g: &Obj<'_>,
    _ev: &mut Evidence,
) -> Result<GroupOutcome> {
    let tg_id = g.u64("tgId")?;
    if let Some(r) = aft_only(g)? {
        return Ok(GroupOutcome::NotClaimed(r));
    }
    let curve = match curve_of(g)? {
        Ok(c) => c,
        Err(r) => return Ok(GroupOutcome::NotClaimed(r)),
    };
    let mut answers = Vec::new();
    for (loc, t) in tests_of(g)? {
        let t = Obj::from_value(t, &loc, "a test")?;
        let id = tc_id(&t)?;
        let (x, y) = (t.hex("qx")?, t.hex("qy")?);
        let passed = match point(curve, &x, &y) {
            None => false,
            Some(q) => verdict(
                &t,
                "public key validation",
                m.ecc_public_key_validate(curve, &q),
            )?,
        };
        answers.push(json!({ "tcId": id, "testPassed": passed }));
    }
    Ok(GroupOutcome::Answered(group_response(
        tg_id,
        vec![],
        answers,
    )))
}

pub fn siggen_group(
    m: &dyn CryptoModule,
    info: &SetInfo,
    g: &Obj<'_>,
    _ev: &mut Evidence,
) -> Result<GroupOutcome> {
    let tg_id = g.u64("tgId")?;
    if let Some(r) = aft_only(g)? {
        return Ok(GroupOutcome::NotClaimed(r));
    }
    let curve = match curve_of(g)? {
        Ok(c) => c,
        Err(r) => return Ok(GroupOutcome::NotClaimed(r)),
    };
    let hash = match hash_of(g)? {
        Ok(h) => h,
        Err(r) => return Ok(GroupOutcome::NotClaimed(r)),
    };
    let component = g.opt_bool("componentTest")?.unwrap_or(false);
    if component && info.revision.as_deref() != Some("FIPS186-5") {
        return Ok(GroupOutcome::NotClaimed(
            "component test claimed for FIPS186-5 only".into(),
        ));
    }
    if let Some(c) = g.opt_str("conformance")? {
        return Ok(GroupOutcome::NotClaimed(format!("conformance {c}")));
    }
    let n = curve.scalar_len();
    let (d, q) = m
        .ecc_keygen(curve)
        .map_err(|e| module_failed(g, "key generation", e))?;
    if q.len() != 2 * n {
        return Err(g.err("module returned a public key of the wrong length"));
    }
    let mut answers = Vec::new();
    for (loc, t) in tests_of(g)? {
        let t = Obj::from_value(t, &loc, "a test")?;
        let id = tc_id(&t)?;
        let e = digest(m, &t, hash, component)?;
        let sig = m
            .ecdsa_sign_digest(curve, &d, &e)
            .map_err(|e| module_failed(&t, "ECDSA sign", e))?;
        if sig.len() != 2 * n {
            return Err(t.err("module returned a signature of the wrong length"));
        }
        answers.push(json!({ "tcId": id, "r": hex(&sig[..n]), "s": hex(&sig[n..]) }));
    }
    let extra = vec![("qx", json!(hex(&q[..n]))), ("qy", json!(hex(&q[n..])))];
    Ok(GroupOutcome::Answered(group_response(
        tg_id, extra, answers,
    )))
}

pub fn sigver_group(
    m: &dyn CryptoModule,
    info: &SetInfo,
    g: &Obj<'_>,
    _ev: &mut Evidence,
) -> Result<GroupOutcome> {
    let tg_id = g.u64("tgId")?;
    if let Some(r) = aft_only(g)? {
        return Ok(GroupOutcome::NotClaimed(r));
    }
    let curve = match curve_of(g)? {
        Ok(c) => c,
        Err(r) => return Ok(GroupOutcome::NotClaimed(r)),
    };
    let hash = match hash_of(g)? {
        Ok(h) => h,
        Err(r) => return Ok(GroupOutcome::NotClaimed(r)),
    };
    let component = g.opt_bool("componentTest")?.unwrap_or(false);
    if component && info.revision.as_deref() != Some("FIPS186-5") {
        return Ok(GroupOutcome::NotClaimed(
            "component test claimed for FIPS186-5 only".into(),
        ));
    }
    if let Some(c) = g.opt_str("conformance")? {
        return Ok(GroupOutcome::NotClaimed(format!("conformance {c}")));
    }
    let n = curve.scalar_len();
    let mut answers = Vec::new();
    for (loc, t) in tests_of(g)? {
        let t = Obj::from_value(t, &loc, "a test")?;
        let id = tc_id(&t)?;
        let e = digest(m, &t, hash, component)?;
        let (x, y) = (t.hex("qx")?, t.hex("qy")?);
        let (r, s) = (t.hex("r")?, t.hex("s")?);
        let passed = match (point(curve, &x, &y), fixed(&r, n), fixed(&s, n)) {
            (Some(q), Some(mut sig), Some(s)) => {
                sig.extend(s);
                verdict(
                    &t,
                    "ECDSA verify",
                    m.ecdsa_verify_digest(curve, &q, &e, &sig),
                )?
            }
            _ => false,
        };
        answers.push(json!({ "tcId": id, "testPassed": passed }));
    }
    Ok(GroupOutcome::Answered(group_response(
        tg_id,
        vec![],
        answers,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_pads_and_strips() {
        assert_eq!(fixed(&[1, 2], 4), Some(vec![0, 0, 1, 2]));
        assert_eq!(fixed(&[0, 0, 1, 2], 2), Some(vec![1, 2]));
        assert_eq!(fixed(&[1, 0, 0], 2), None);
        assert_eq!(point(Curve::P256, &[1; 33], &[1; 32]), None);
        assert_eq!(
            point(Curve::P256, &[1; 31], &[2; 32]).map(|p| p.len()),
            Some(64)
        );
    }
}
