//! KDF (SP 800-108r1) in counter mode with HMAC, the counter 32 bits before
//! the fixed data (TPM 2.0 KDFa), and KDA OneStep (SP 800-56C rev. 2) with
//! a hash (TPM 2.0 KDFe).

use super::kda::{fixed_info, generated_case};
use super::{answer_tests, claimed_str, claimed_value, module_failed, test_type};
use crate::capabilities::{
    KDF_COUNTER_BITS, KDF_COUNTER_LOCATION, KDF_MAC_MODES, KDF_MAX_OUT_BITS,
    ONE_STEP_AUX_FUNCTIONS, ONE_STEP_FIXED_INFO_PATTERN, ONE_STEP_MAX_L_BITS, ONE_STEP_Z_BITS,
};
use crate::generate::{Case, Generated, Seeded, SetBuilder};
use crate::json::{Obj, Result, hex};
use crate::module::{CryptoModule, HashAlg};
use crate::run::{Evidence, GroupOutcome, SetInfo};
use crate::verdict::{Answered, CheckState, Verdict, hex_field, str_field, u64_field};
use serde_json::json;
use svsm_oracle as oracle;

/// The PRF of a claimed `macMode` ("HMAC-SHA2-256", ...).
fn mac_mode(name: &str) -> Option<HashAlg> {
    if !KDF_MAC_MODES.contains(&name) {
        return None;
    }
    name.strip_prefix("HMAC-").and_then(HashAlg::from_acvp)
}

/// The fixed data the module (as the IUT) chooses for a test: the TPM 2.0
/// KDFa layout, Label || 0x00 || Context || [L]_32, with Label "ACVP" and
/// the test's id as Context.
fn tpm_fixed_data(tc_id: u64, out_bits: u64) -> Vec<u8> {
    let mut fixed = b"ACVP\0".to_vec();
    fixed.extend_from_slice(&tc_id.to_be_bytes());
    fixed.extend_from_slice(&(out_bits as u32).to_be_bytes());
    fixed
}

pub fn counter_group(
    m: &dyn CryptoModule,
    _info: &SetInfo,
    g: &Obj<'_>,
    _ev: &mut Evidence,
) -> Result<GroupOutcome> {
    claim!(test_type(g, &["AFT"], None)?);
    let kdf_mode = g.str("kdfMode")?;
    claim!(if claimed_str("kdfMode", kdf_mode, &["counter"]));
    let mac = g.str("macMode")?;
    let alg = claim!(mac_mode(mac).ok_or_else(|| format!("macMode {mac}")));
    let location = g.str("counterLocation")?;
    claim!(if claimed_str("counterLocation", location, &[KDF_COUNTER_LOCATION]));
    claim!(if claimed_value("counterLength", g.u64("counterLength")?, &[KDF_COUNTER_BITS]));
    let out_bits = g.u64("keyOutLength")?;
    if out_bits == 0 || !out_bits.is_multiple_of(8) || out_bits > KDF_MAX_OUT_BITS {
        return Ok(GroupOutcome::NotClaimed(format!("keyOutLength {out_bits}")));
    }
    answer_tests(g, vec![], |t, id| {
        let key = t.hex("keyIn")?;
        let fixed = tpm_fixed_data(id, out_bits);
        let out = m
            .kdf_counter_hmac(alg, &key, &fixed, (out_bits / 8) as usize)
            .map_err(|e| module_failed(t, "KDF", e))?;
        Ok(json!({ "tcId": id, "keyOut": hex(&out), "fixedData": hex(&fixed) }))
    })
}

/// The independent check of a counter-KDF answer: the oracle's derivation
/// from the prompt's key and the fixed data the module chose.
pub fn check_counter(c: &Answered<'_>, _st: &mut CheckState<'_>) -> Verdict {
    let alg = mac_mode(str_field(c.group, "macMode")?).ok_or("macMode not claimed")?;
    let out_bits = u64_field(c.group, "keyOutLength")?;
    let key = hex_field(c.test, "keyIn")?;
    let fixed = hex_field(c.answer, "fixedData")?;
    let want = oracle::kdf_counter_hmac(alg, &key, &fixed, (out_bits / 8) as usize);
    if hex_field(c.answer, "keyOut")? == want {
        Ok(())
    } else {
        Err("keyOut differs from the oracle's SP 800-108 counter KDF".into())
    }
}

/// A KDF set: counter mode, every claimed PRF, output lengths from one byte
/// to several blocks with a partial last one, keys of several sizes; the
/// fixed data is the module's choice, so [`check_counter`] judges.
pub fn generate_counter() -> Generated {
    let mut rng = Seeded::new("svsm-acvp generated KDF counter");
    let mut b = SetBuilder::new(172, "KDF", None, "1.0");
    for alg in HashAlg::ALL {
        for out_bits in [8u64, 128, 256, 1192, 4096] {
            let cases = [14usize, 32, 64]
                .into_iter()
                .map(|key_len| Case::checked(json!({ "keyIn": hex(&rng.bytes(key_len)) })))
                .collect();
            b.group(
                json!({
                    "testType": "AFT", "kdfMode": "counter",
                    "macMode": format!("HMAC-{}", alg.acvp_name()),
                    "counterLocation": KDF_COUNTER_LOCATION, "counterLength": KDF_COUNTER_BITS,
                    "keyOutLength": out_bits,
                }),
                cases,
            );
        }
    }
    b.finish("KDF counter")
}

pub fn one_step_group(
    m: &dyn CryptoModule,
    _info: &SetInfo,
    g: &Obj<'_>,
    _ev: &mut Evidence,
) -> Result<GroupOutcome> {
    let test_type = claim!(test_type(g, &["AFT", "VAL"], None)?);
    let cfg = g.object("kdfConfiguration")?;
    let kdf_type = cfg.str("kdfType")?;
    claim!(if claimed_str("kdfType", kdf_type, &["oneStep"]));
    let aux = cfg.str("auxFunction")?;
    let alg = match (
        ONE_STEP_AUX_FUNCTIONS.contains(&aux),
        HashAlg::from_acvp(aux),
    ) {
        (true, Some(a)) => a,
        _ => return Ok(GroupOutcome::NotClaimed(format!("auxFunction {aux}"))),
    };
    claim!(if claimed_str("fixedInfoEncoding", cfg.str("fixedInfoEncoding")?, &["concatenation"]));
    let pattern = cfg.str("fixedInfoPattern")?;
    claim!(if claimed_str("fixedInfoPattern", pattern, &[ONE_STEP_FIXED_INFO_PATTERN]));
    let l_bits = cfg.u64("l")?;
    if l_bits == 0 || !l_bits.is_multiple_of(8) || l_bits > ONE_STEP_MAX_L_BITS {
        return Ok(GroupOutcome::NotClaimed(format!("l {l_bits}")));
    }
    answer_tests(g, vec![], |t, id| {
        let param = t.object("kdfParameter")?;
        let z = param.hex("z")?;
        let z_bits = z.len() as u64 * 8;
        if z_bits < ONE_STEP_Z_BITS.0 || z_bits > ONE_STEP_Z_BITS.1 {
            return Err(t.err(format!("z of {z_bits} bits outside the claimed range")));
        }
        let info = fixed_info(pattern, t, &param, l_bits)?;
        let dkm = m
            .kdf_one_step(alg, &z, &info, (l_bits / 8) as usize)
            .map_err(|e| module_failed(t, "one-step KDF", e))?;
        Ok(if test_type == "AFT" {
            json!({ "tcId": id, "dkm": hex(&dkm) })
        } else {
            json!({ "tcId": id, "testPassed": t.hex("dkm")? == dkm })
        })
    })
}

/// A KDA OneStep set: every claimed hash, several Z and L lengths, AFT and
/// VAL (a wrong DKM must fail); DKMs from the oracle (`concat-kdf`).
pub fn generate_one_step() -> Generated {
    let mut rng = Seeded::new("svsm-acvp generated KDA OneStep");
    let mut b = SetBuilder::new(173, "KDA", Some("OneStep"), "Sp800-56Cr2");
    for alg in HashAlg::ALL {
        for (z_bytes, l_bits) in [(32usize, 128u64), (48, 1024), (66, 2048)] {
            for tt in ["AFT", "VAL"] {
                let cases = (0..3)
                    .map(|i| {
                        let z = rng.bytes(z_bytes);
                        let param = json!({ "kdfType": "oneStep", "z": hex(&z), "l": l_bits });
                        generated_case(&mut rng, tt, i, param, &[], |info| {
                            oracle::kdf_one_step(alg, &z, info, (l_bits / 8) as usize)
                                .unwrap_or_default()
                        })
                    })
                    .collect();
                b.group(
                    json!({
                        "testType": tt,
                        "kdfConfiguration": {
                            "kdfType": "oneStep", "auxFunction": alg.acvp_name(),
                            "fixedInfoPattern": ONE_STEP_FIXED_INFO_PATTERN,
                            "fixedInfoEncoding": "concatenation", "l": l_bits,
                        },
                    }),
                    cases,
                );
            }
        }
    }
    b.finish("KDA OneStep")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_data_is_the_tpm_layout() {
        assert_eq!(
            tpm_fixed_data(0x0102, 256),
            [
                b"ACVP\0".as_slice(),
                &[0, 0, 0, 0, 0, 0, 1, 2],
                &[0, 0, 1, 0]
            ]
            .concat()
        );
    }

    #[test]
    fn only_claimed_mac_modes_map() {
        assert_eq!(mac_mode("HMAC-SHA2-384"), Some(HashAlg::Sha384));
        assert_eq!(mac_mode("HMAC-SHA2-224"), None);
        assert_eq!(mac_mode("CMAC-AES128"), None);
    }
}
