//! HMAC-SHA2-256/384/512 AFT.

use super::{answer_tests, claimed_range, module_failed, test_type};
use crate::capabilities::{HMAC_KEY_BITS, HMAC_MIN_MAC_BITS, HMAC_MSG_BITS};
use crate::json::{Obj, Result, hex};
use crate::module::{CryptoModule, HashAlg};
use crate::run::{Evidence, GroupOutcome, SetInfo};
use serde_json::json;

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
