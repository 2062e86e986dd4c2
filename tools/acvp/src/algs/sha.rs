//! SHA2-256/384/512: AFT, MCT (standard and alternate) and LDT.

use super::{answer_tests, module_failed, test_type};
use crate::capabilities::{SHA_LDT_GIB, SHA_MAX_MSG_BITS};
use crate::generate::{Case, Generated, Seeded, SetBuilder};
use crate::json::{Obj, Result, hex, tests_of};
use crate::module::{CryptoModule, HashAlg};
use crate::run::{Evidence, GroupOutcome, SetInfo};
use serde_json::{Value, json};
use svsm_oracle as oracle;

/// The SHA-1/SHA-2 Monte Carlo test: 100 outer rounds of 1000 chained
/// hashes each; returns the 100 digests. `alternate` selects the variant for
/// seeds whose length is not the digest length (the message is cut or
/// zero-padded to the seed length).
pub fn mct<E>(
    mut hash: impl FnMut(&[u8]) -> std::result::Result<Vec<u8>, E>,
    seed: &[u8],
    alternate: bool,
) -> std::result::Result<Vec<Vec<u8>>, E> {
    let seed_len = seed.len();
    let mut seed = seed.to_vec();
    let mut out = Vec::with_capacity(100);
    let mut msg = Vec::new();
    for _ in 0..100 {
        let (mut a, mut b, mut c) = (seed.clone(), seed.clone(), seed.clone());
        for _ in 0..1000 {
            msg.clear();
            msg.extend_from_slice(&a);
            msg.extend_from_slice(&b);
            msg.extend_from_slice(&c);
            if alternate {
                msg.resize(seed_len, 0);
            }
            let md = hash(&msg)?;
            a = std::mem::replace(&mut b, std::mem::replace(&mut c, md));
        }
        out.push(c.clone());
        seed = c;
    }
    Ok(out)
}

/// Expands a large-data-test message ("repeating" technique).
pub fn expand_repeating(content: &[u8], full_bytes: usize) -> std::result::Result<Vec<u8>, String> {
    if content.is_empty() {
        return Err("empty content".into());
    }
    let mut buf = Vec::new();
    buf.try_reserve_exact(full_bytes)
        .map_err(|e| format!("cannot allocate {full_bytes} bytes: {e}"))?;
    while buf.len() < full_bytes {
        let n = content.len().min(full_bytes - buf.len());
        buf.extend_from_slice(&content[..n]);
    }
    Ok(buf)
}

pub fn group(
    m: &dyn CryptoModule,
    info: &SetInfo,
    g: &Obj<'_>,
    _ev: &mut Evidence,
) -> Result<GroupOutcome> {
    let alg = HashAlg::from_acvp(&info.algorithm)
        .ok_or_else(|| g.err(format!("unknown hash {}", info.algorithm)))?;
    match claim!(test_type(g, &["AFT", "MCT", "LDT"], None)?) {
        "AFT" => answer_tests(g, vec![], |t, id| {
            let len = t.u64("len")?;
            if len > SHA_MAX_MSG_BITS {
                return Err(t.err(format!("message length {len} exceeds the claimed maximum")));
            }
            let msg = t.hex_bits("msg", len)?;
            let md = m.hash(alg, &msg).map_err(|e| module_failed(t, "hash", e))?;
            Ok(json!({ "tcId": id, "md": hex(&md) }))
        }),
        "MCT" => {
            let alternate = match g.opt_str("mctVersion")? {
                None | Some("standard") => false,
                Some("alternate") => true,
                Some(other) => {
                    return Ok(GroupOutcome::NotClaimed(format!("mctVersion {other}")));
                }
            };
            answer_tests(g, vec![], |t, id| {
                let len = t.u64("len")?;
                let seed = t.hex_bits("msg", len)?;
                if !alternate && seed.len() != alg.digest_len() {
                    return Err(t.err(format!(
                        "standard MCT seed must be {} bytes, found {}",
                        alg.digest_len(),
                        seed.len()
                    )));
                }
                let results = mct(|msg| m.hash(alg, msg), &seed, alternate)
                    .map_err(|e| module_failed(t, "hash", e))?;
                let arr: Vec<Value> = results.iter().map(|md| json!({ "md": hex(md) })).collect();
                Ok(json!({ "tcId": id, "resultsArray": arr }))
            })
        }
        _ => {
            // LDT, claimed only up to the registered sizes.
            let max_bits = SHA_LDT_GIB.iter().max().copied().unwrap_or(0) * 8 * (1 << 30);
            for (loc, t) in &tests_of(g)? {
                let t = Obj::from_value(t, loc, "a test")?;
                let lm = t.object("largeMsg")?;
                let full = lm.u64("fullLength")?;
                if full > max_bits {
                    return Ok(GroupOutcome::NotClaimed(format!(
                        "large data test of {full} bits exceeds the claimed sizes"
                    )));
                }
            }
            answer_tests(g, vec![], |t, id| {
                let lm = t.object("largeMsg")?;
                let technique = lm.str("expansionTechnique")?;
                if technique != "repeating" {
                    return Err(t.err(format!("unknown expansionTechnique \"{technique}\"")));
                }
                let content_bits = lm.u64("contentLength")?;
                let content = lm.hex_bits("content", content_bits)?;
                let full = lm.u64("fullLength")?;
                if full % 8 != 0 {
                    return Err(t.err(format!("fullLength {full} is not a multiple of 8")));
                }
                let full_bytes = usize::try_from(full / 8)
                    .map_err(|_| t.err("fullLength too large for this host"))?;
                let msg = expand_repeating(&content, full_bytes)
                    .map_err(|e| t.err(format!("largeMsg: {e}")))?;
                // One call over the whole message, as the test requires.
                let md = m.hash(alg, &msg).map_err(|e| module_failed(t, "hash", e))?;
                drop(msg);
                Ok(json!({ "tcId": id, "md": hex(&md) }))
            })
        }
    }
}

/// SHA2-256/384/512 sets: AFT over block-boundary lengths, answers from
/// the oracle, and one standard MCT (the oracle chained by the same
/// procedure).
pub fn generate() -> Vec<Generated> {
    HashAlg::ALL
        .into_iter()
        .enumerate()
        .map(|(i, alg)| {
            let mut rng = Seeded::new(&format!("svsm-acvp generated {}", alg.acvp_name()));
            let mut b = SetBuilder::new(100 + i as u64, alg.acvp_name(), None, "1.0");
            let block = 2 * alg.digest_len();
            let lens = [
                0,
                1,
                3,
                block - 9,
                block - 8,
                block - 1,
                block,
                block + 1,
                1000,
                4099,
            ];
            let aft = lens
                .iter()
                .map(|&n| {
                    let msg = rng.bytes(n);
                    Case::new(
                        json!({ "len": n * 8, "msg": hex(&msg) }),
                        json!({ "md": hex(&oracle::hash(alg, &msg)) }),
                    )
                })
                .collect();
            b.group(json!({ "testType": "AFT" }), aft);
            let seed = rng.bytes(alg.digest_len());
            let results =
                mct(|m| Ok::<_, ()>(oracle::hash(alg, m)), &seed, false).unwrap_or_default();
            let arr: Vec<Value> = results.iter().map(|md| json!({ "md": hex(md) })).collect();
            b.group(
                json!({ "testType": "MCT", "mctVersion": "standard" }),
                vec![Case::new(
                    json!({ "len": seed.len() * 8, "msg": hex(&seed) }),
                    json!({ "resultsArray": arr }),
                )],
            );
            b.finish(alg.acvp_name())
        })
        .collect()
}
