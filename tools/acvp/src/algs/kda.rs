//! KDA HKDF (SP 800-56C rev. 1 and rev. 2): AFT and VAL.

use super::{answer_tests, claimed_range, claimed_str, module_failed, test_type};
use crate::capabilities::{KDA_FIXED_INFO_PATTERN, KDA_HMAC, KDA_MAX_L_BITS, KDA_Z_BITS};
use crate::generate::{Case, Generated, Seeded, SetBuilder};
use crate::json::{Obj, Result, decode_hex, hex};
use crate::module::{CryptoModule, HashAlg};
use crate::run::{Evidence, GroupOutcome, SetInfo};
use serde_json::json;
use svsm_oracle as oracle;

/// Party information: partyId, then ephemeralData when present.
fn party_info(party: &Obj<'_>, name: &str) -> Result<Vec<u8>> {
    let mut v = party
        .hex("partyId")
        .map_err(|e| party.err(format!("{name}: {}", e.message)))?;
    v.extend(
        party
            .opt_hex("ephemeralData")
            .map_err(|e| party.err(format!("{name}: {}", e.message)))?,
    );
    Ok(v)
}

/// Builds FixedInfo from a concatenation pattern.
pub fn fixed_info(pattern: &str, test: &Obj<'_>, param: &Obj<'_>, l_bits: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for part in pattern.split("||") {
        let part = part.trim();
        match part {
            "uPartyInfo" => out.extend(party_info(
                &test.object("fixedInfoPartyU")?,
                "fixedInfoPartyU",
            )?),
            "vPartyInfo" => out.extend(party_info(
                &test.object("fixedInfoPartyV")?,
                "fixedInfoPartyV",
            )?),
            "l" => {
                let l = u32::try_from(l_bits).map_err(|_| test.err("l does not fit in 32 bits"))?;
                out.extend_from_slice(&l.to_be_bytes());
            }
            "salt" | "algorithmId" | "label" | "context" | "t" => out.extend(param.hex(part)?),
            _ => {
                let lit = part
                    .strip_prefix("literal[")
                    .and_then(|s| s.strip_suffix(']'))
                    .ok_or_else(|| {
                        test.err(format!("unknown fixedInfoPattern element \"{part}\""))
                    })?;
                out.extend(
                    decode_hex(lit)
                        .map_err(|e| test.err(format!("fixedInfoPattern literal: {e}")))?,
                );
            }
        }
    }
    Ok(out)
}

pub fn group(
    m: &dyn CryptoModule,
    _info: &SetInfo,
    g: &Obj<'_>,
    _ev: &mut Evidence,
) -> Result<GroupOutcome> {
    let test_type = claim!(test_type(g, &["AFT", "VAL"], None)?);
    if g.has("kdfMultiExpansionConfiguration") {
        return Ok(GroupOutcome::NotClaimed("multi-expansion tests".into()));
    }
    let cfg = g.object("kdfConfiguration")?;
    let kdf_type = cfg.str("kdfType")?;
    if !kdf_type.eq_ignore_ascii_case("hkdf") {
        return Ok(GroupOutcome::NotClaimed(format!("kdfType {kdf_type}")));
    }
    let hmac_alg = cfg.str("hmacAlg")?;
    let alg = match (KDA_HMAC.contains(&hmac_alg), HashAlg::from_acvp(hmac_alg)) {
        (true, Some(a)) => a,
        _ => return Ok(GroupOutcome::NotClaimed(format!("hmacAlg {hmac_alg}"))),
    };
    let encoding = cfg.str("fixedInfoEncoding")?;
    claim!(if claimed_str("fixedInfoEncoding", encoding, &["concatenation"]));
    let pattern = cfg.str("fixedInfoPattern")?;
    claim!(if claimed_str("fixedInfoPattern", pattern, &[KDA_FIXED_INFO_PATTERN]));
    let salt_method = cfg.str("saltMethod")?;
    claim!(if claimed_str("saltMethod", salt_method, &["default", "random"]));
    if cfg.opt_bool("usesHybridSharedSecret")? == Some(true) {
        return Ok(GroupOutcome::NotClaimed("hybrid shared secret".into()));
    }
    let l_bits = cfg.u64("l")?;
    if l_bits % 8 != 0 || l_bits == 0 || l_bits > KDA_MAX_L_BITS {
        return Ok(GroupOutcome::NotClaimed(format!("l {l_bits}")));
    }
    let z_bits = g.opt("zLength").map(|_| g.u64("zLength")).transpose()?;
    claim!(if z_bits.and_then(|z| claimed_range("zLength", z, KDA_Z_BITS)));
    answer_tests(g, vec![], |t, id| {
        let param = t.object("kdfParameter")?;
        let l = param
            .opt("l")
            .map(|_| param.u64("l"))
            .transpose()?
            .unwrap_or(l_bits);
        if l != l_bits {
            return Err(t.err(format!(
                "kdfParameter l {l} differs from the group's {l_bits}"
            )));
        }
        let z = match z_bits {
            Some(bits) => param.hex_bits("z", bits)?,
            None => param.hex("z")?,
        };
        let salt = param.hex("salt")?;
        let info = fixed_info(pattern, t, &param, l)?;
        let dkm = m
            .hkdf(alg, &z, &salt, &info, (l / 8) as usize)
            .map_err(|e| module_failed(t, "HKDF", e))?;
        Ok(if test_type == "AFT" {
            json!({ "tcId": id, "dkm": hex(&dkm) })
        } else {
            let expected = t.hex("dkm")?;
            json!({ "tcId": id, "testPassed": expected == dkm })
        })
    })
}

/// One generated KDA test: party U (a 16-byte id and `8 * i` bytes of
/// ephemeral data) and party V (a 16-byte id) drawn from `rng`, FixedInfo
/// `U || V || suffix`, the DKM `derive(FixedInfo)`. A VAL test carries the
/// DKM, altered in its first byte for `i == 1` (it must then fail).
pub fn generated_case(
    rng: &mut Seeded,
    test_type: &str,
    i: usize,
    kdf_parameter: serde_json::Value,
    suffix: &[u8],
    derive: impl Fn(&[u8]) -> Vec<u8>,
) -> Case {
    let (u, ue, v) = (rng.bytes(16), rng.bytes(8 * i), rng.bytes(16));
    let dkm = derive(&[u.as_slice(), &ue, &v, suffix].concat());
    let mut prompt = json!({
        "kdfParameter": kdf_parameter,
        "fixedInfoPartyU": { "partyId": hex(&u), "ephemeralData": hex(&ue) },
        "fixedInfoPartyV": { "partyId": hex(&v) },
    });
    if test_type == "AFT" {
        return Case::new(prompt, json!({ "dkm": hex(&dkm) }));
    }
    let mut given = dkm.clone();
    if i == 1 {
        given[0] ^= 1;
    }
    prompt["dkm"] = json!(hex(&given));
    Case::new(prompt, json!({ "testPassed": given == dkm }))
}

/// A KDA HKDF (SP 800-56C rev. 2) set: each claimed HMAC with default and
/// random salts, several Z and L lengths, AFT and VAL (a wrong DKM must
/// fail); FixedInfo is built here from the pattern's definition and the DKM
/// computed by the oracle.
pub fn generate() -> Generated {
    let mut rng = Seeded::new("svsm-acvp generated KDA HKDF");
    let mut b = SetBuilder::new(150, "KDA", Some("HKDF"), "Sp800-56Cr2");
    for hmac in HashAlg::ALL {
        for salt_method in ["default", "random"] {
            for (z_bytes, l_bits) in [(32usize, 256u64), (48, 1024), (66, 2048)] {
                for tt in ["AFT", "VAL"] {
                    let cases = (0..3)
                        .map(|i| {
                            let z = rng.bytes(z_bytes);
                            let salt = match salt_method {
                                "default" => vec![0; hmac.digest_len()],
                                _ => rng.bytes(hmac.digest_len()),
                            };
                            let param = json!({ "kdfType": "hkdf", "salt": hex(&salt),
                                                "z": hex(&z), "l": l_bits });
                            let l = (l_bits as u32).to_be_bytes();
                            generated_case(&mut rng, tt, i, param, &l, |info| {
                                oracle::hkdf(hmac, &z, &salt, info, (l_bits / 8) as usize)
                                    .unwrap_or_default()
                            })
                        })
                        .collect();
                    b.group(
                        json!({
                            "testType": tt,
                            "kdfConfiguration": {
                                "kdfType": "hkdf", "saltMethod": salt_method,
                                "fixedInfoPattern": KDA_FIXED_INFO_PATTERN,
                                "fixedInfoEncoding": "concatenation",
                                "hmacAlg": hmac.acvp_name(), "l": l_bits,
                            },
                            "zLength": z_bytes * 8,
                        }),
                        cases,
                    );
                }
            }
        }
    }
    b.finish("KDA HKDF")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_info_concatenation() {
        let t = json!({
            "fixedInfoPartyU": { "partyId": "0A0B", "ephemeralData": "CC" },
            "fixedInfoPartyV": { "partyId": "0D" },
            "kdfParameter": { "label": "EE", "salt": "00" }
        });
        let test = Obj::from_value(&t, "t", "a test").unwrap();
        let param = test.object("kdfParameter").unwrap();
        let fi = fixed_info(
            "literal[1234]||uPartyInfo||vPartyInfo||label||l",
            &test,
            &param,
            512,
        )
        .unwrap();
        assert_eq!(
            fi,
            vec![0x12, 0x34, 0x0a, 0x0b, 0xcc, 0x0d, 0xee, 0, 0, 2, 0]
        );
        let e = fixed_info("uPartyInfo||bogus", &test, &param, 8).unwrap_err();
        assert!(e.message.contains("bogus"));
    }
}
