//! KAS-ECC-SSC (SP 800-56A rev. 3 shared secret computation): AFT and VAL.

use super::ecdsa::seeded_key;
use super::ecdsa::{fixed, keygen, point};
use super::{answer_tests, claimed_str, module_failed, test_type};
use crate::capabilities::KAS_SCHEMES;
use crate::generate::{Case, Generated, Seeded, SetBuilder};
use crate::json::{Obj, Result, hex};
use crate::module::{CryptoModule, Curve, ModuleError};
use crate::run::{Evidence, GroupOutcome, SetInfo};
use crate::verdict::{
    Answered, CheckState, Verdict, bool_field, curve_field, hex_field, point_of, str_field,
};
use serde_json::json;
use svsm_oracle as oracle;

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
    let test_type = claim!(test_type(g, &["AFT", "VAL"], None)?);
    let domain = g.str("domainParameterGenerationMode")?;
    let curve =
        claim!(Curve::from_acvp(domain).ok_or_else(|| format!("domain parameters {domain}")));
    let scheme = g.str("scheme")?;
    let role = g.str("kasRole")?;
    claim!(if claimed_str("scheme", scheme, KAS_SCHEMES));
    let (iut_kind, server_kind) =
        claim!(key_kinds(scheme, role).ok_or_else(|| format!("kasRole {role}")));
    claim!(if g.opt_str("hashFunctionZ")?.map(|h| format!("hashFunctionZ {h}")));
    let n = curve.scalar_len();
    answer_tests(g, vec![], |t, id| {
        let sx = t.hex(&format!("{server_kind}PublicServerX"))?;
        let sy = t.hex(&format!("{server_kind}PublicServerY"))?;
        let server = point(curve, &sx, &sy);
        if test_type == "AFT" {
            let server = server
                .ok_or_else(|| t.err("server public key coordinate larger than the field"))?;
            let (d, qx, qy) = keygen(m, t, curve)?;
            let z = m
                .ecdh(curve, &d, &server)
                .map_err(|e| module_failed(t, "ECDH", e))?;
            ev.private_keys.insert(id, d);
            return Ok(json!({
                "tcId": id,
                format!("{iut_kind}PublicIutX"): hex(&qx),
                format!("{iut_kind}PublicIutY"): hex(&qy),
                "z": hex(&z),
            }));
        }
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
                    Err(e) => return Err(module_failed(t, "public key derivation", e)),
                };
                pair_ok
                    && match m.ecdh(curve, &d, &server) {
                        Ok(z) => fixed(&z_given, n).is_some_and(|zg| zg == z),
                        Err(ModuleError::Key) => false,
                        Err(e) => return Err(module_failed(t, "ECDH", e)),
                    }
            }
            _ => false,
        };
        Ok(json!({ "tcId": id, "testPassed": passed }))
    })
}

/// AFT: the IUT key pair is consistent and Z is the oracle's ECDH of the
/// private key the module generated; VAL: testPassed as the oracle decides.
pub fn check(c: &Answered<'_>, st: &mut CheckState<'_>) -> Verdict {
    let curve = curve_field(c.group, "domainParameterGenerationMode")?;
    let (iut, server) = key_kinds(
        str_field(c.group, "scheme")?,
        str_field(c.group, "kasRole")?,
    )
    .ok_or("unknown scheme/role")?;
    let server_q = point_of(
        curve,
        c.test,
        &format!("{server}PublicServerX"),
        &format!("{server}PublicServerY"),
    )?;
    let n = curve.scalar_len();
    if str_field(c.group, "testType")? == "AFT" {
        let d = st
            .evidence
            .private_keys
            .get(&c.tc_id)
            .ok_or("no private key recorded for the test")?;
        let q = point_of(
            curve,
            c.answer,
            &format!("{iut}PublicIutX"),
            &format!("{iut}PublicIutY"),
        )?;
        if oracle::ecc_public(curve, d).as_deref() != Some(&q[..]) {
            return Err("IUT public key != d*G".into());
        }
        let z = oracle::ecdh(curve, d, &server_q).ok_or("the oracle's ECDH failed")?;
        let got = fixed(&hex_field(c.answer, "z")?, n).ok_or("z too large")?;
        if got == z {
            Ok(())
        } else {
            Err("Z differs from the oracle's ECDH".into())
        }
    } else {
        let d = hex_field(c.test, &format!("{iut}PrivateIut"))?;
        let q = point_of(
            curve,
            c.test,
            &format!("{iut}PublicIutX"),
            &format!("{iut}PublicIutY"),
        )?;
        let z_given = fixed(&hex_field(c.test, "z")?, n);
        let want = fixed(&d, n).is_some_and(|d| {
            oracle::ecc_public(curve, &d).as_deref() == Some(&q[..])
                && oracle::ecdh(curve, &d, &server_q).is_some_and(|z| Some(z) == z_given)
        });
        let passed = bool_field(c.answer, "testPassed")?;
        if passed == want {
            Ok(())
        } else {
            Err(format!(
                "testPassed {passed}, the oracle's ECDH says {want}"
            ))
        }
    }
}

/// A KAS-ECC-SSC set for P-256 and P-384: AFT groups for each scheme and
/// role (the module's key and Z judged by [`check`]) and VAL groups whose
/// Z or key pair is sometimes wrong (answers from the oracle).
pub fn generate() -> Generated {
    let mut rng = Seeded::new("svsm-acvp generated KAS-ECC-SSC");
    let mut b = SetBuilder::new(140, "KAS-ECC-SSC", None, "Sp800-56Ar3");
    for curve in Curve::ALL {
        let n = curve.scalar_len();
        for (scheme, role) in [
            ("ephemeralUnified", "initiator"),
            ("onePassDh", "initiator"),
            ("onePassDh", "responder"),
            ("staticUnified", "responder"),
        ] {
            let Some((iut, server)) = key_kinds(scheme, role) else {
                continue;
            };
            let props = |tt: &str| {
                json!({ "testType": tt, "domainParameterGenerationMode": curve.acvp_name(),
                        "scheme": scheme, "kasRole": role })
            };
            let aft = (0..3)
                .map(|_| {
                    let (_, s) = seeded_key(&mut rng, curve);
                    Case::checked(json!({
                        format!("{server}PublicServerX"): hex(&s[..n]),
                        format!("{server}PublicServerY"): hex(&s[n..]),
                    }))
                })
                .collect();
            b.group(props("AFT"), aft);
            let val = (0..4)
                .map(|i| {
                    let (ds, s) = seeded_key(&mut rng, curve);
                    let (d, mut q) = seeded_key(&mut rng, curve);
                    let mut z = oracle::ecdh(curve, &ds, &q).unwrap_or_default();
                    match i {
                        1 => z[0] ^= 1,
                        2 => q = seeded_key(&mut rng, curve).1,
                        _ => {}
                    }
                    let pair_ok = oracle::ecc_public(curve, &d).as_deref() == Some(&q[..]);
                    let passed = pair_ok && oracle::ecdh(curve, &d, &s).as_deref() == Some(&z[..]);
                    Case::new(
                        json!({
                            format!("{server}PublicServerX"): hex(&s[..n]),
                            format!("{server}PublicServerY"): hex(&s[n..]),
                            format!("{iut}PrivateIut"): hex(&d),
                            format!("{iut}PublicIutX"): hex(&q[..n]),
                            format!("{iut}PublicIutY"): hex(&q[n..]),
                            "z": hex(&z),
                        }),
                        json!({ "testPassed": passed }),
                    )
                })
                .collect();
            b.group(props("VAL"), val);
        }
    }
    b.finish("KAS-ECC-SSC")
}
