//! ECDSA keyGen, keyVer, sigGen (including the component test) and sigVer.

use super::{answer_tests, claimed_str, module_failed, test_type};
use crate::capabilities::ECDSA_HASHES;
use crate::generate::{Case, Generated, Seeded, SetBuilder};
use crate::json::{Obj, Result, hex};
use crate::module::{CryptoModule, Curve, HashAlg, ModuleError};
use crate::run::{Evidence, GroupOutcome, SetInfo};
use crate::verdict::{Answered, CheckState, Verdict, curve_field, hex_field, point_of, str_field};
use serde_json::json;
use svsm_oracle as oracle;

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

/// What every ECDSA group states: AFT tests (the default) on a claimed curve.
fn claimed_curve(g: &Obj<'_>) -> Result<std::result::Result<Curve, String>> {
    if let Err(r) = test_type(g, &["AFT"], Some("AFT"))? {
        return Ok(Err(r));
    }
    let name = g.str("curve")?;
    Ok(Curve::from_acvp(name).ok_or_else(|| format!("curve {name} not claimed")))
}

/// The curve, hash and component-test flag of a sigGen or sigVer group.
fn claimed_signature_group(
    info: &SetInfo,
    g: &Obj<'_>,
) -> Result<std::result::Result<(Curve, HashAlg, bool), String>> {
    let curve = match claimed_curve(g)? {
        Ok(c) => c,
        Err(r) => return Ok(Err(r)),
    };
    let name = g.str("hashAlg")?;
    let hash = match HashAlg::from_acvp(name) {
        Some(h) if ECDSA_HASHES.contains(&name) => h,
        _ => return Ok(Err(format!("hashAlg {name} not claimed"))),
    };
    let component = g.opt_bool("componentTest")?.unwrap_or(false);
    if component && info.revision.as_deref() != Some("FIPS186-5") {
        return Ok(Err("component test claimed for FIPS186-5 only".into()));
    }
    if let Some(c) = g.opt_str("conformance")? {
        return Ok(Err(format!("conformance {c}")));
    }
    Ok(Ok((curve, hash, component)))
}

/// A key pair from the module: (d, Qx, Qy), the public key checked to be
/// X || Y of the curve's length.
pub fn keygen(
    m: &dyn CryptoModule,
    at: &Obj<'_>,
    curve: Curve,
) -> Result<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let n = curve.scalar_len();
    let (d, mut qx) = m
        .ecc_keygen(curve)
        .map_err(|e| module_failed(at, "key generation", e))?;
    if qx.len() != 2 * n {
        return Err(at.err("module returned a public key of the wrong length"));
    }
    let qy = qx.split_off(n);
    Ok((d, qx, qy))
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
    let curve = claim!(claimed_curve(g)?);
    if let Some(mode) = g.opt_str("secretGenerationMode")? {
        claim!(if claimed_str("secretGenerationMode", mode, &["testing candidates"]));
    }
    answer_tests(g, vec![], |t, id| {
        let (d, qx, qy) = keygen(m, t, curve)?;
        Ok(json!({ "tcId": id, "d": hex(&d), "qx": hex(&qx), "qy": hex(&qy) }))
    })
}

pub fn keyver_group(
    m: &dyn CryptoModule,
    _info: &SetInfo,
    g: &Obj<'_>,
    _ev: &mut Evidence,
) -> Result<GroupOutcome> {
    let curve = claim!(claimed_curve(g)?);
    answer_tests(g, vec![], |t, id| {
        let (x, y) = (t.hex("qx")?, t.hex("qy")?);
        let passed = match point(curve, &x, &y) {
            None => false,
            Some(q) => verdict(
                t,
                "public key validation",
                m.ecc_public_key_validate(curve, &q),
            )?,
        };
        Ok(json!({ "tcId": id, "testPassed": passed }))
    })
}

pub fn siggen_group(
    m: &dyn CryptoModule,
    info: &SetInfo,
    g: &Obj<'_>,
    _ev: &mut Evidence,
) -> Result<GroupOutcome> {
    let (curve, hash, component) = claim!(claimed_signature_group(info, g)?);
    let n = curve.scalar_len();
    let (d, qx, qy) = keygen(m, g, curve)?;
    let extra = vec![("qx", json!(hex(&qx))), ("qy", json!(hex(&qy)))];
    answer_tests(g, extra, |t, id| {
        let e = digest(m, t, hash, component)?;
        let sig = m
            .ecdsa_sign_digest(curve, &d, &e)
            .map_err(|e| module_failed(t, "ECDSA sign", e))?;
        if sig.len() != 2 * n {
            return Err(t.err("module returned a signature of the wrong length"));
        }
        Ok(json!({ "tcId": id, "r": hex(&sig[..n]), "s": hex(&sig[n..]) }))
    })
}

pub fn sigver_group(
    m: &dyn CryptoModule,
    info: &SetInfo,
    g: &Obj<'_>,
    _ev: &mut Evidence,
) -> Result<GroupOutcome> {
    let (curve, hash, component) = claim!(claimed_signature_group(info, g)?);
    let n = curve.scalar_len();
    answer_tests(g, vec![], |t, id| {
        let e = digest(m, t, hash, component)?;
        let (x, y) = (t.hex("qx")?, t.hex("qy")?);
        let (r, s) = (t.hex("r")?, t.hex("s")?);
        let passed = match (point(curve, &x, &y), fixed(&r, n), fixed(&s, n)) {
            (Some(q), Some(mut sig), Some(s)) => {
                sig.extend(s);
                verdict(
                    t,
                    "ECDSA verify",
                    m.ecdsa_verify_digest(curve, &q, &e, &sig),
                )?
            }
            _ => false,
        };
        Ok(json!({ "tcId": id, "testPassed": passed }))
    })
}

/// keyGen: 1 <= d < n and Q = d*G, by the oracle.
pub fn check_keygen(c: &Answered<'_>, _: &mut CheckState<'_>) -> Verdict {
    let curve = curve_field(c.group, "curve")?;
    let d = fixed(&hex_field(c.answer, "d")?, curve.scalar_len()).ok_or("d too large")?;
    let q = point_of(curve, c.answer, "qx", "qy")?;
    match oracle::ecc_public(curve, &d) {
        None => Err("d is not in [1, n-1]".into()),
        Some(dg) if dg == q => Ok(()),
        Some(_) => Err("Q != d*G".into()),
    }
}

/// sigGen: the signature verifies under the group's key with the oracle.
pub fn check_siggen(c: &Answered<'_>, _: &mut CheckState<'_>) -> Verdict {
    let curve = curve_field(c.group, "curve")?;
    let q = point_of(curve, c.group_answer, "qx", "qy")?;
    if !oracle::ecc_valid(curve, &q) {
        return Err("group public key is not a valid point".into());
    }
    let name = str_field(c.group, "hashAlg")?;
    let alg = HashAlg::from_acvp(name).ok_or_else(|| format!("hash {name}"))?;
    let msg = hex_field(c.test, "message")?;
    let component = c
        .group
        .get("componentTest")
        .and_then(serde_json::Value::as_bool);
    let digest = if component == Some(true) {
        msg
    } else {
        oracle::hash(alg, &msg)
    };
    let n = curve.scalar_len();
    let mut sig = fixed(&hex_field(c.answer, "r")?, n).ok_or("r too large")?;
    sig.extend(fixed(&hex_field(c.answer, "s")?, n).ok_or("s too large")?);
    if oracle::ecdsa_verify(curve, &q, &digest, &sig) {
        Ok(())
    } else {
        Err("signature does not verify with the oracle's ECDSA".into())
    }
}

/// A private scalar in [1, n-1] drawn from `rng`, with its public key.
pub fn seeded_key(rng: &mut Seeded, curve: Curve) -> (Vec<u8>, Vec<u8>) {
    loop {
        let d = rng.bytes(curve.scalar_len());
        if let Some(q) = oracle::ecc_public(curve, &d) {
            return (d, q);
        }
    }
}

/// ECDSA FIPS186-5 sets: keyGen and sigGen (random answers, judged by the
/// checkers), keyVer and sigVer with valid and altered inputs (answers from
/// the oracle).
pub fn generate() -> Vec<Generated> {
    let mut rng = Seeded::new("svsm-acvp generated ECDSA");
    let rev = "FIPS186-5";
    let mut keygen = SetBuilder::new(130, "ECDSA", Some("keyGen"), rev);
    let mut keyver = SetBuilder::new(131, "ECDSA", Some("keyVer"), rev);
    let mut siggen = SetBuilder::new(132, "ECDSA", Some("sigGen"), rev);
    let mut sigver = SetBuilder::new(133, "ECDSA", Some("sigVer"), rev);
    for curve in Curve::ALL {
        let n = curve.scalar_len();
        let name = curve.acvp_name();
        keygen.group(
            json!({ "testType": "AFT", "curve": name, "secretGenerationMode": "testing candidates" }),
            (0..4).map(|_| Case::checked(json!({}))).collect(),
        );
        let mut cases = Vec::new();
        for i in 0..8 {
            let (_, mut q) = seeded_key(&mut rng, curve);
            match i % 4 {
                1 => q[2 * n - 1] ^= 1, // off the curve
                2 => q[..n].fill(0xff), // x >= p
                3 => q.fill(0),         // the identity's encoding
                _ => {}
            }
            cases.push(Case::new(
                json!({ "qx": hex(&q[..n]), "qy": hex(&q[n..]) }),
                json!({ "testPassed": oracle::ecc_valid(curve, &q) }),
            ));
        }
        keyver.group(json!({ "testType": "AFT", "curve": name }), cases);
        for hash in HashAlg::ALL {
            let props = json!({ "testType": "AFT", "curve": name, "hashAlg": hash.acvp_name() });
            siggen.group(
                props.clone(),
                (0..3)
                    .map(|i| Case::checked(json!({ "message": rng.hex(16 + 40 * i) })))
                    .collect(),
            );
            let mut cases = Vec::new();
            for i in 0..6 {
                let (d, mut q) = seeded_key(&mut rng, curve);
                let mut msg = rng.bytes(64);
                let Some(mut sig) = oracle::ecdsa_sign(curve, &d, &oracle::hash(hash, &msg)) else {
                    continue;
                };
                match i {
                    1 => msg[0] ^= 1,
                    2 => sig[n - 1] ^= 1,
                    3 => sig[2 * n - 1] ^= 1,
                    4 => q = seeded_key(&mut rng, curve).1,
                    5 => sig[n..].fill(0),
                    _ => {}
                }
                let valid = oracle::ecdsa_verify(curve, &q, &oracle::hash(hash, &msg), &sig);
                cases.push(Case::new(
                    json!({ "message": hex(&msg), "qx": hex(&q[..n]), "qy": hex(&q[n..]),
                            "r": hex(&sig[..n]), "s": hex(&sig[n..]) }),
                    json!({ "testPassed": valid }),
                ));
            }
            sigver.group(props, cases);
        }
        // FIPS 186-5 component test: the message is the digest to sign.
        siggen.group(
            json!({ "testType": "AFT", "curve": name, "hashAlg": "SHA2-256", "componentTest": true }),
            (0..2)
                .map(|_| Case::checked(json!({ "message": rng.hex(32) })))
                .collect(),
        );
    }
    vec![
        keygen.finish("ECDSA keyGen"),
        keyver.finish("ECDSA keyVer"),
        siggen.finish("ECDSA sigGen"),
        sigver.finish("ECDSA sigVer"),
    ]
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
