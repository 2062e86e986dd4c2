//! ctrDRBG (AES-256 with the derivation function) with caller-supplied
//! entropy: AFT, prediction resistance on and off.

use super::{answer_tests, claimed_str, claimed_value, module_failed, test_type};
use crate::capabilities::{
    DRBG_ADDL_BITS, DRBG_ENTROPY_BITS, DRBG_MODE, DRBG_NONCE_BITS, DRBG_PERSO_BITS,
    DRBG_RETURNED_BITS,
};
use crate::generate::{Case, Generated, Seeded, SetBuilder};
use crate::json::{Obj, Result, hex};
use crate::module::CryptoModule;
use crate::run::{Evidence, GroupOutcome, SetInfo};
use crate::verdict::{Answered, CheckState, Verdict, bool_field, hex_field, str_field, u64_field};
use serde_json::json;
use svsm_oracle as oracle;

pub fn group(
    m: &dyn CryptoModule,
    _info: &SetInfo,
    g: &Obj<'_>,
    _ev: &mut Evidence,
) -> Result<GroupOutcome> {
    claim!(test_type(g, &["AFT"], Some("AFT"))?);
    let mode = g.str("mode")?;
    claim!(if claimed_str("mode", mode, &[DRBG_MODE]));
    // The module's entropy source does not deliver full entropy, so its
    // CTR_DRBG always runs Block_Cipher_df; the mode without it is not offered.
    if g.opt_bool("derFunc")? != Some(true) {
        return Ok(GroupOutcome::NotClaimed("no derivation function".into()));
    }
    let pred_resistance = g.bool("predResistance")?;
    let entropy_bits = g.u64("entropyInputLen")?;
    let nonce_bits = g.u64("nonceLen")?;
    let perso_bits = g.u64("persoStringLen")?;
    let addl_bits = g.u64("additionalInputLen")?;
    let returned_bits = g.u64("returnedBitsLen")?;
    claim!(if claimed_value("entropyInputLen", entropy_bits, &[DRBG_ENTROPY_BITS])
        .or_else(|| claimed_value("nonceLen", nonce_bits, &[DRBG_NONCE_BITS]))
        .or_else(|| claimed_value("persoStringLen", perso_bits, DRBG_PERSO_BITS))
        .or_else(|| claimed_value("additionalInputLen", addl_bits, DRBG_ADDL_BITS))
        .or_else(|| claimed_value("returnedBitsLen", returned_bits, &[DRBG_RETURNED_BITS])));
    let out_len = (returned_bits / 8) as usize;
    answer_tests(g, vec![], |t, id| {
        let entropy = t.hex_bits("entropyInput", entropy_bits)?;
        let nonce = t.hex_bits("nonce", nonce_bits)?;
        let perso = t.hex_bits("persoString", perso_bits)?;
        let mut drbg = m
            .drbg_instantiate_test(&entropy, &nonce, &perso)
            .map_err(|e| module_failed(t, "DRBG instantiate", e))?;
        let mut returned = None;
        let others = t.array("otherInput")?;
        for (i, other) in others.iter().enumerate() {
            let oloc = format!("{} / otherInput[{i}]", t.loc);
            let o = Obj::from_value(other, &oloc, "an otherInput element")?;
            let addl = o.hex_bits("additionalInput", addl_bits)?;
            let use_ = o.str("intendedUse")?;
            match use_.to_ascii_lowercase().as_str() {
                "reseed" => {
                    let e = o.hex_bits("entropyInput", entropy_bits)?;
                    drbg.reseed(&e, &addl)
                        .map_err(|e| module_failed(&o, "DRBG reseed", e))?;
                }
                "generate" => {
                    let out = if pred_resistance {
                        // Prediction resistance: reseed with the fresh
                        // entropy and the additional input, then generate
                        // without additional input.
                        let e = o.hex_bits("entropyInput", entropy_bits)?;
                        drbg.reseed(&e, &addl)
                            .map_err(|e| module_failed(&o, "DRBG reseed", e))?;
                        drbg.generate(out_len, &[])
                    } else {
                        drbg.generate(out_len, &addl)
                    }
                    .map_err(|e| module_failed(&o, "DRBG generate", e))?;
                    returned = Some(out);
                }
                other => return Err(o.err(format!("unknown intendedUse \"{other}\""))),
            }
        }
        let returned = returned.ok_or_else(|| t.err("otherInput holds no generate step"))?;
        Ok(json!({ "tcId": id, "returnedBits": hex(&returned) }))
    })
}

/// The returned bits equal the oracle's CTR_DRBG model run on the same
/// inputs.
pub fn check(c: &Answered<'_>, _: &mut CheckState<'_>) -> Verdict {
    let (g, t) = (c.group, c.test);
    let pr = bool_field(g, "predResistance")?;
    let len = (u64_field(g, "returnedBitsLen")? / 8) as usize;
    let mut model = oracle::CtrDrbg::instantiate(
        &hex_field(t, "entropyInput")?,
        &hex_field(t, "nonce")?,
        &hex_field(t, "persoString").unwrap_or_default(),
    );
    let mut out = None;
    for o in t
        .get("otherInput")
        .and_then(serde_json::Value::as_array)
        .ok_or("no otherInput")?
    {
        let o = o.as_object().ok_or("otherInput element")?;
        let addl = hex_field(o, "additionalInput").unwrap_or_default();
        match str_field(o, "intendedUse")?.to_ascii_lowercase().as_str() {
            "reseed" => model.reseed(&hex_field(o, "entropyInput")?, &addl),
            _ if pr => {
                model.reseed(&hex_field(o, "entropyInput")?, &addl);
                out = Some(model.generate(len, &[]));
            }
            _ => out = Some(model.generate(len, &addl)),
        }
    }
    let want = out.ok_or("no generate step")?;
    if hex_field(c.answer, "returnedBits")? == want {
        Ok(())
    } else {
        Err("returnedBits differ from the CTR_DRBG model".into())
    }
}

/// A ctrDRBG set with the derivation function (the NIST sample set has
/// none: all its groups are without it): prediction resistance
/// on and off, with and without reseed, with and without personalization
/// and additional input; judged by [`check`] against the oracle's model.
pub fn generate() -> Generated {
    let mut rng = Seeded::new("svsm-acvp generated ctrDRBG");
    let mut b = SetBuilder::new(160, "ctrDRBG", None, "1.0");
    for (pr, reseed) in [(false, false), (false, true), (true, true)] {
        for (perso, addl) in [(0usize, 0usize), (32, 32)] {
            let mut cases = Vec::new();
            for _ in 0..5 {
                let mut other = |use_: &str| {
                    let fresh = pr || use_ == "reSeed";
                    json!({
                        "intendedUse": use_,
                        "additionalInput": rng.hex(addl),
                        "entropyInput": if fresh { rng.hex(32) } else { String::new() },
                    })
                };
                let mut others = Vec::new();
                if reseed && !pr {
                    others.push(other("reSeed"));
                }
                others.push(other("generate"));
                others.push(other("generate"));
                cases.push(Case::checked(json!({
                    "entropyInput": rng.hex(32),
                    "nonce": rng.hex(16),
                    "persoString": rng.hex(perso),
                    "otherInput": others,
                })));
            }
            b.group(
                json!({
                    "testType": "AFT", "mode": DRBG_MODE, "derFunc": true,
                    "predResistance": pr, "reSeed": reseed,
                    "entropyInputLen": DRBG_ENTROPY_BITS, "nonceLen": DRBG_NONCE_BITS,
                    "persoStringLen": perso * 8, "additionalInputLen": addl * 8,
                    "returnedBitsLen": DRBG_RETURNED_BITS,
                }),
                cases,
            );
        }
    }
    b.finish("ctrDRBG")
}
