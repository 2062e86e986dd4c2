//! ACVP-AES-GCM: encrypt (external and internal IV) and decrypt.

use super::{answer_tests, claimed_str, claimed_value, module_failed, test_type};
use crate::capabilities::{
    GCM_IV_BITS, GCM_IV_GEN_MODE, GCM_KEY_BITS, GCM_MAX_AAD_BITS, GCM_MAX_PAYLOAD_BITS,
    GCM_TAG_BITS,
};
use crate::generate::{Case, Generated, Seeded, SetBuilder};
use crate::json::{Obj, Result, hex};
use crate::module::{CryptoModule, ModuleError};
use crate::run::{Evidence, GroupOutcome, SetInfo};
use crate::verdict::{
    Answered, CheckState, Verdict, bool_field, bytes_of, hex_field, str_field, u64_field,
};
use serde_json::json;
use svsm_oracle as oracle;

pub fn group(
    m: &dyn CryptoModule,
    _info: &SetInfo,
    g: &Obj<'_>,
    _ev: &mut Evidence,
) -> Result<GroupOutcome> {
    claim!(test_type(g, &["AFT"], None)?);
    let direction = g.str("direction")?;
    let key_bits = g.u64("keyLen")?;
    let iv_bits = g.u64("ivLen")?;
    let tag_bits = g.u64("tagLen")?;
    let payload_bits = g.u64("payloadLen")?;
    let aad_bits = g.u64("aadLen")?;
    let iv_gen = g.opt_str("ivGen")?.unwrap_or("external");
    let internal = match (iv_gen, direction) {
        ("external", _) => false,
        ("internal", "encrypt") => {
            // The module builds IVs deterministically (SP 800-38D 8.2.1);
            // sets for random IVs (8.2.2) are not claimed.
            let mode = g.opt_str("ivGenMode")?.unwrap_or("8.2.2");
            claim!(if claimed_str("ivGenMode", mode, &[GCM_IV_GEN_MODE]));
            true
        }
        ("internal", _) => false,
        (other, _) => return Ok(GroupOutcome::NotClaimed(format!("ivGen {other}"))),
    };
    let not_claimed = claimed_value("keyLen", key_bits, GCM_KEY_BITS)
        .or_else(|| claimed_value("ivLen", iv_bits, &[GCM_IV_BITS]))
        .or_else(|| claimed_value("tagLen", tag_bits, GCM_TAG_BITS))
        .or_else(|| {
            (payload_bits % 8 != 0 || payload_bits > GCM_MAX_PAYLOAD_BITS)
                .then(|| format!("payloadLen {payload_bits} not claimed"))
        })
        .or_else(|| {
            (aad_bits % 8 != 0 || aad_bits > GCM_MAX_AAD_BITS)
                .then(|| format!("aadLen {aad_bits} not claimed"))
        })
        .or_else(|| claimed_str("direction", direction, &["encrypt", "decrypt"]));
    claim!(if not_claimed);
    let tag_len = (tag_bits / 8) as usize;
    answer_tests(g, vec![], |t, id| {
        let key = t.hex_bits("key", key_bits)?;
        let aad = t.hex_bits("aad", aad_bits)?;
        if direction == "encrypt" {
            let pt = t.hex_bits("pt", payload_bits)?;
            if internal {
                let (iv, ct, tag) = m
                    .gcm_seal_generated_iv(&key, &aad, &pt, tag_len)
                    .map_err(|e| module_failed(t, "AES-GCM seal (generated IV)", e))?;
                Ok(json!({ "tcId": id, "ct": hex(&ct), "tag": hex(&tag), "iv": hex(&iv) }))
            } else {
                let iv = t.hex_bits("iv", iv_bits)?;
                let (ct, tag) = m
                    .gcm_seal(&key, &iv, &aad, &pt, tag_len)
                    .map_err(|e| module_failed(t, "AES-GCM seal", e))?;
                Ok(json!({ "tcId": id, "ct": hex(&ct), "tag": hex(&tag) }))
            }
        } else {
            let iv = t.hex_bits("iv", iv_bits)?;
            let ct = t.hex_bits("ct", payload_bits)?;
            let tag = t.hex_bits("tag", tag_bits)?;
            match m.gcm_open(&key, &iv, &aad, &ct, &tag) {
                Ok(pt) => Ok(json!({ "tcId": id, "pt": hex(&pt), "testPassed": true })),
                Err(ModuleError::Auth) => Ok(json!({ "tcId": id, "testPassed": false })),
                Err(e) => Err(module_failed(t, "AES-GCM open", e)),
            }
        }
    })
}

/// Encrypt: ciphertext and tag as the oracle's AES-GCM gives them (internal
/// IVs: 96 bits, never repeated, invocation field 0 for a fresh key); decrypt: testPassed and the plaintext as
/// the oracle decides.
pub fn check(c: &Answered<'_>, st: &mut CheckState<'_>) -> Verdict {
    let (g, t, a) = (c.group, c.test, c.answer);
    let key = bytes_of(t, "key", u64_field(g, "keyLen")?)?;
    let aad = bytes_of(t, "aad", u64_field(g, "aadLen")?)?;
    let payload = u64_field(g, "payloadLen")?;
    let tag_bits = u64_field(g, "tagLen")?;
    if str_field(g, "direction")? == "encrypt" {
        let internal = g.get("ivGen").and_then(serde_json::Value::as_str) == Some("internal");
        let iv = if internal {
            let iv = hex_field(a, "iv")?;
            if iv.len() != 12 {
                return Err(format!("module IV is {} bytes, not 12", iv.len()));
            }
            if !st.seen_ivs.insert(iv.clone()) {
                return Err(format!("module IV {} repeated", hex(&iv)));
            }
            // 8.2.1: fixed field || invocation field; each test loads its key
            // into a fresh context, whose first invocation field is 0.
            if str_field(g, "ivGenMode")? == GCM_IV_GEN_MODE && iv[8..] != [0; 4] {
                return Err(format!(
                    "module IV {}: invocation field of a fresh key is not 0",
                    hex(&iv)
                ));
            }
            iv
        } else {
            bytes_of(t, "iv", u64_field(g, "ivLen")?)?
        };
        let pt = bytes_of(t, "pt", payload)?;
        let (ct, full) =
            oracle::gcm_seal(&key, &iv, &aad, &pt).ok_or("the oracle rejects key/IV")?;
        let tag = hex_field(a, "tag")?;
        if hex_field(a, "ct")? != ct {
            return Err("ciphertext differs from the oracle's AES-GCM".into());
        }
        if tag.len() as u64 * 8 != tag_bits || full[..tag.len().min(16)] != tag[..] {
            return Err("tag differs from the oracle's AES-GCM".into());
        }
        Ok(())
    } else {
        let iv = bytes_of(t, "iv", u64_field(g, "ivLen")?)?;
        let ct = bytes_of(t, "ct", payload)?;
        let tag = bytes_of(t, "tag", tag_bits)?;
        let want = oracle::gcm_open(&key, &iv, &aad, &ct, &tag);
        match (want, bool_field(a, "testPassed")?) {
            (None, false) => Ok(()),
            (Some(pt), true) if hex_field(a, "pt")? == pt => Ok(()),
            (Some(_), true) => Err("plaintext differs from the oracle's AES-GCM".into()),
            (w, p) => Err(format!(
                "testPassed {p}, the oracle's AES-GCM says {}",
                w.is_some()
            )),
        }
    }
}

/// An ACVP-AES-GCM set: encrypt and decrypt with 128- and 256-bit keys,
/// every claimed tag length, empty and odd payloads and AADs, decrypt tests
/// whose tag, ciphertext or AAD was altered (must fail), and internal-IV
/// encrypt groups (judged by [`check`]).
pub fn generate() -> Generated {
    let mut rng = Seeded::new("svsm-acvp generated ACVP-AES-GCM");
    let mut b = SetBuilder::new(120, "ACVP-AES-GCM", None, "1.0");
    for &key_bits in GCM_KEY_BITS {
        for &tag_bits in GCM_TAG_BITS {
            for (payload, aad) in [(0usize, 0usize), (16, 0), (0, 20), (51, 13), (256, 90)] {
                let props = |dir: &str| {
                    json!({ "testType": "AFT", "direction": dir, "keyLen": key_bits,
                            "ivLen": GCM_IV_BITS, "ivGen": "external", "payloadLen": payload * 8,
                            "aadLen": aad * 8, "tagLen": tag_bits })
                };
                let tag_len = (tag_bits / 8) as usize;
                let mut enc = Vec::new();
                let mut dec = Vec::new();
                for i in 0..4 {
                    let key = rng.bytes((key_bits / 8) as usize);
                    let iv = rng.bytes(12);
                    let (pt, a) = (rng.bytes(payload), rng.bytes(aad));
                    let Some((ct, full)) = oracle::gcm_seal(&key, &iv, &a, &pt) else {
                        continue;
                    };
                    let tag = &full[..tag_len];
                    enc.push(Case::new(
                        json!({ "key": hex(&key), "iv": hex(&iv), "pt": hex(&pt), "aad": hex(&a) }),
                        json!({ "ct": hex(&ct), "tag": hex(tag) }),
                    ));
                    // Decrypt: the genuine one, then one altered in tag,
                    // ciphertext or AAD (when there is one to alter).
                    let (mut ct2, mut tag2, mut a2) = (ct.clone(), tag.to_vec(), a.clone());
                    match i {
                        1 => tag2[tag_len - 1] ^= 0x80,
                        2 if !ct2.is_empty() => ct2[0] ^= 1,
                        3 if !a2.is_empty() => a2[0] ^= 1,
                        _ => {}
                    }
                    let answer = match oracle::gcm_open(&key, &iv, &a2, &ct2, &tag2) {
                        Some(p) => json!({ "pt": hex(&p), "testPassed": true }),
                        None => json!({ "testPassed": false }),
                    };
                    dec.push(Case::new(
                        json!({ "key": hex(&key), "iv": hex(&iv), "ct": hex(&ct2),
                                "tag": hex(&tag2), "aad": hex(&a2) }),
                        answer,
                    ));
                }
                b.group(props("encrypt"), enc);
                b.group(props("decrypt"), dec);
            }
        }
        // Internal IV (SP 800-38D 8.2.1): deterministic IVs, checked by `check`.
        let cases = (0..6)
            .map(|i| {
                let key = rng.bytes((key_bits / 8) as usize);
                Case::checked(json!({ "key": hex(&key), "pt": rng.hex(i * 7), "aad": rng.hex(16) }))
            })
            .collect::<Vec<_>>();
        for (i, c) in cases.into_iter().enumerate() {
            b.group(
                json!({ "testType": "AFT", "direction": "encrypt", "keyLen": key_bits,
                        "ivLen": GCM_IV_BITS, "ivGen": "internal", "ivGenMode": GCM_IV_GEN_MODE,
                        "payloadLen": i * 7 * 8, "aadLen": 128, "tagLen": 128 }),
                vec![c],
            );
        }
    }
    b.finish("ACVP-AES-GCM")
}
