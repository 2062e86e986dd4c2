//! HMAC-SHA2-256/384/512 AFT.

use super::{answer_tests, claimed_range, module_failed, test_type};
use crate::capabilities::{HMAC_KEY_BITS, HMAC_MIN_MAC_BITS, HMAC_MSG_BITS};
use crate::generate::{Case, Generated, Seeded, SetBuilder};
use crate::json::{Obj, Result, hex};
use crate::module::{CryptoModule, HashAlg};
use crate::run::{Evidence, GroupOutcome, SetInfo};
use serde_json::json;
use svsm_oracle as oracle;

pub fn group(
    m: &dyn CryptoModule,
    info: &SetInfo,
    g: &Obj<'_>,
    _ev: &mut Evidence,
) -> Result<GroupOutcome> {
    let alg = info
        .algorithm
        .strip_prefix("HMAC-")
        .and_then(HashAlg::from_acvp)
        .ok_or_else(|| g.err(format!("unknown HMAC {}", info.algorithm)))?;
    claim!(test_type(g, &["AFT"], None)?);
    let key_bits = g.u64("keyLen")?;
    let msg_bits = g.u64("msgLen")?;
    let mac_bits = g.u64("macLen")?;
    let digest_bits = alg.digest_len() as u64 * 8;
    claim!(if claimed_range("keyLen", key_bits, HMAC_KEY_BITS)
        .or_else(|| claimed_range("msgLen", msg_bits, HMAC_MSG_BITS))
        .or_else(|| claimed_range("macLen", mac_bits, (HMAC_MIN_MAC_BITS, digest_bits))));
    answer_tests(g, vec![], |t, id| {
        let key = t.hex_bits("key", key_bits)?;
        let msg = t.hex_bits("msg", msg_bits)?;
        let mac = m
            .hmac(alg, &key, &msg, (mac_bits / 8) as usize)
            .map_err(|e| module_failed(t, "HMAC", e))?;
        Ok(json!({ "tcId": id, "mac": hex(&mac) }))
    })
}

/// HMAC-SHA2-256/384/512 sets: short (non-approved), block-sized and long
/// keys, full and truncated MACs; answers from the oracle.
pub fn generate() -> Vec<Generated> {
    HashAlg::ALL
        .into_iter()
        .enumerate()
        .map(|(i, alg)| {
            let name = format!("HMAC-{}", alg.acvp_name());
            let mut rng = Seeded::new(&format!("svsm-acvp generated {name}"));
            let mut b = SetBuilder::new(110 + i as u64, &name, None, "1.0");
            let digest_bits = alg.digest_len() as u64 * 8;
            for key_bytes in [8usize, 14, 2 * alg.digest_len(), 200] {
                for mac_bits in [digest_bits, 128, 32] {
                    let msg_bytes = 128;
                    let cases = (0..3)
                        .map(|_| {
                            let (key, msg) = (rng.bytes(key_bytes), rng.bytes(msg_bytes));
                            let mac = oracle::hmac(alg, &key, &msg);
                            Case::new(
                                json!({ "key": hex(&key), "msg": hex(&msg) }),
                                json!({ "mac": hex(&mac[..(mac_bits / 8) as usize]) }),
                            )
                        })
                        .collect();
                    b.group(
                        json!({ "testType": "AFT", "keyLen": key_bytes * 8,
                                "msgLen": msg_bytes * 8, "macLen": mac_bits }),
                        cases,
                    );
                }
            }
            b.finish(&name)
        })
        .collect()
}
