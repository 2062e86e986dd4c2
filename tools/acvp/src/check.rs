//! `svsm-acvp check`: runs every sample vector set, compares the answers
//! with the expected files and checks random answers independently.

use crate::json::{decode_hex, hex};
use crate::module::{CryptoModule, Curve, HashAlg};
use crate::reference::{self, HashDrbgModel};
use crate::run::{self, Evidence, SetOutcome};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// One line of the results table.
#[derive(Clone, Debug, Default)]
pub struct Row {
    pub name: String,
    pub tests: usize,
    pub passed: usize,
    pub failed: usize,
    pub not_claimed: usize,
    /// Why tests failed (first few), and errors.
    pub problems: Vec<String>,
}

impl Row {
    fn fail(&mut self, msg: String) {
        self.failed += 1;
        if self.problems.len() < 5 {
            self.problems.push(msg);
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub rows: Vec<Row>,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.rows.iter().map(|r| r.passed).sum()
    }
    pub fn failed(&self) -> usize {
        self.rows.iter().map(|r| r.failed).sum()
    }
    pub fn not_claimed(&self) -> usize {
        self.rows.iter().map(|r| r.not_claimed).sum()
    }

    /// The results table and the closing line.
    pub fn render(&self) -> String {
        let w = self
            .rows
            .iter()
            .map(|r| r.name.len())
            .max()
            .unwrap_or(3)
            .max(5);
        let mut s = format!(
            "{:<w$}  {:>6}  {:>6}  {:>6}  {:>11}\n",
            "set", "tests", "passed", "failed", "not claimed"
        );
        s.push_str(&format!("{}\n", "-".repeat(w + 37)));
        for r in &self.rows {
            s.push_str(&format!(
                "{:<w$}  {:>6}  {:>6}  {:>6}  {:>11}\n",
                r.name, r.tests, r.passed, r.failed, r.not_claimed
            ));
        }
        s.push_str(&format!("{}\n", "-".repeat(w + 37)));
        s.push_str(&format!(
            "{:<w$}  {:>6}  {:>6}  {:>6}  {:>11}\n",
            "total",
            self.passed() + self.failed(),
            self.passed(),
            self.failed(),
            self.not_claimed()
        ));
        let problems: Vec<String> = self
            .rows
            .iter()
            .flat_map(|r| r.problems.iter().map(move |p| format!("  {}: {p}", r.name)))
            .collect();
        if !problems.is_empty() {
            s.push_str("\nproblems:\n");
            for p in problems {
                s.push_str(&p);
                s.push('\n');
            }
        }
        s.push_str(&format!(
            "acvp: {} passed, {} failed\n",
            self.passed(),
            self.failed()
        ));
        s
    }
}

/// JSON equality where strings compare without regard to letter case (hex).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Tests of a document's vector sets by (vsId, tcId).
fn expected_index(doc: &Value) -> BTreeMap<(u64, u64), Value> {
    let mut idx = BTreeMap::new();
    let sets: Vec<&Value> = match doc {
        Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    for set in sets {
        let Some(vs) = set.get("vsId").and_then(Value::as_u64) else {
            continue;
        };
        for g in elements(set, "testGroups") {
            idx.extend(
                by_id(elements(g, "tests"), "tcId")
                    .map(|(tc, t)| ((vs, tc), Value::Object(t.clone()))),
            );
        }
    }
    idx
}

/// The elements of `v[key]` when it is an array (none otherwise).
fn elements<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> + use<'a> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// The objects among `items` that carry an integer `id`, by that id.
fn by_id<'a>(
    items: impl Iterator<Item = &'a Value>,
    id: &'static str,
) -> impl Iterator<Item = (u64, &'a Map<String, Value>)> {
    items.filter_map(move |v| Some((v.get(id)?.as_u64()?, v.as_object()?)))
}

/// Prompt groups and tests of one vector set by id.
struct Prompt<'a> {
    groups: BTreeMap<u64, &'a Map<String, Value>>,
    tests: BTreeMap<u64, &'a Map<String, Value>>,
}

fn prompt_index(set: &Value) -> Prompt<'_> {
    Prompt {
        groups: by_id(elements(set, "testGroups"), "tgId").collect(),
        tests: elements(set, "testGroups")
            .flat_map(|g| by_id(elements(g, "tests"), "tcId"))
            .collect(),
    }
}

type Verdict = Result<(), String>;

fn hex_field(m: &Map<String, Value>, key: &str) -> Result<Vec<u8>, String> {
    let s = m
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no \"{key}\""))?;
    decode_hex(s).map_err(|e| format!("\"{key}\": {e}"))
}

fn str_field<'a>(m: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    m.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no \"{key}\""))
}

fn u64_field(m: &Map<String, Value>, key: &str) -> Result<u64, String> {
    m.get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("no \"{key}\""))
}

fn bytes_of(m: &Map<String, Value>, key: &str, bits: u64) -> Result<Vec<u8>, String> {
    let mut v = hex_field(m, key)?;
    v.truncate((bits / 8) as usize);
    Ok(v)
}

fn point_of(curve: Curve, m: &Map<String, Value>, x: &str, y: &str) -> Result<Vec<u8>, String> {
    crate::algs::ecdsa::point(curve, &hex_field(m, x)?, &hex_field(m, y)?)
        .ok_or_else(|| format!("{x}/{y} too large"))
}

fn curve_field(m: &Map<String, Value>, key: &str) -> Result<Curve, String> {
    let name = str_field(m, key)?;
    Curve::from_acvp(name).ok_or_else(|| format!("curve {name}"))
}

/// Independent check of one answered test, when its algorithm has one.
/// `None`: no independent check for this kind of test.
struct Checker<'a> {
    set: &'a SetOutcome,
    prompt: Prompt<'a>,
    evidence: &'a Evidence,
    seen_ivs: HashSet<Vec<u8>>,
}

impl Checker<'_> {
    fn check(
        &mut self,
        group_answer: &Map<String, Value>,
        answer: &Map<String, Value>,
    ) -> Option<Verdict> {
        let info = &self.set.info;
        let tg = group_answer.get("tgId").and_then(Value::as_u64)?;
        let tc = answer.get("tcId").and_then(Value::as_u64)?;
        let group = *self.prompt.groups.get(&tg)?;
        let test = *self.prompt.tests.get(&tc)?;
        let mode = info.mode.as_deref().unwrap_or("").to_ascii_lowercase();
        match (info.algorithm.as_str(), mode.as_str()) {
            ("ECDSA", "keygen") => Some(check_keygen(group, answer)),
            ("ECDSA", "siggen") => Some(check_siggen(group, group_answer, test, answer)),
            ("KAS-ECC-SSC", _) => Some(check_kas(
                group,
                test,
                answer,
                self.evidence.private_keys.get(&tc),
            )),
            ("ACVP-AES-GCM", _) => Some(self.check_gcm(group, test, answer)),
            ("hashDRBG", _) => Some(check_drbg(group, test, answer)),
            _ => None,
        }
    }

    fn check_gcm(
        &mut self,
        g: &Map<String, Value>,
        t: &Map<String, Value>,
        a: &Map<String, Value>,
    ) -> Verdict {
        let key = bytes_of(t, "key", u64_field(g, "keyLen")?)?;
        let aad = bytes_of(t, "aad", u64_field(g, "aadLen")?)?;
        let payload = u64_field(g, "payloadLen")?;
        let tag_bits = u64_field(g, "tagLen")?;
        if str_field(g, "direction")? == "encrypt" {
            let internal = g.get("ivGen").and_then(Value::as_str) == Some("internal");
            let iv = if internal {
                let iv = hex_field(a, "iv")?;
                if iv.len() != 12 {
                    return Err(format!("module IV is {} bytes, not 12", iv.len()));
                }
                if !self.seen_ivs.insert(iv.clone()) {
                    return Err(format!("module IV {} repeated", hex(&iv)));
                }
                iv
            } else {
                bytes_of(t, "iv", u64_field(g, "ivLen")?)?
            };
            let pt = bytes_of(t, "pt", payload)?;
            let (ct, full) =
                reference::gcm_encrypt(&key, &iv, &aad, &pt).ok_or("reference rejects key/IV")?;
            let tag = hex_field(a, "tag")?;
            if hex_field(a, "ct")? != ct {
                return Err("ciphertext differs from AES-GCM (RustCrypto)".into());
            }
            if tag.len() as u64 * 8 != tag_bits || full[..tag.len().min(16)] != tag[..] {
                return Err("tag differs from AES-GCM (RustCrypto)".into());
            }
            Ok(())
        } else {
            let iv = bytes_of(t, "iv", u64_field(g, "ivLen")?)?;
            let ct = bytes_of(t, "ct", payload)?;
            let tag = bytes_of(t, "tag", tag_bits)?;
            let want = reference::gcm_decrypt(&key, &iv, &aad, &ct, &tag);
            let passed = a
                .get("testPassed")
                .and_then(Value::as_bool)
                .ok_or("no testPassed")?;
            match (want, passed) {
                (None, false) => Ok(()),
                (Some(pt), true) if hex_field(a, "pt")? == pt => Ok(()),
                (Some(_), true) => Err("plaintext differs from AES-GCM (RustCrypto)".into()),
                (w, p) => Err(format!(
                    "testPassed {p}, AES-GCM (RustCrypto) says {}",
                    w.is_some()
                )),
            }
        }
    }
}

fn check_keygen(g: &Map<String, Value>, a: &Map<String, Value>) -> Verdict {
    let curve = curve_field(g, "curve")?;
    let d = hex_field(a, "d")?;
    let d = crate::algs::ecdsa::fixed(&d, curve.scalar_len()).ok_or("d too large")?;
    let q = point_of(curve, a, "qx", "qy")?;
    // p256/p384 reject d = 0 and d >= n.
    match reference::ecc_derive(curve, &d) {
        None => Err("d is not in [1, n-1]".into()),
        Some(dg) if dg == q => Ok(()),
        Some(_) => Err("Q != d*G".into()),
    }
}

fn check_siggen(
    g: &Map<String, Value>,
    ga: &Map<String, Value>,
    t: &Map<String, Value>,
    a: &Map<String, Value>,
) -> Verdict {
    let curve = curve_field(g, "curve")?;
    let q = point_of(curve, ga, "qx", "qy")?;
    if !reference::ecc_valid(curve, &q) {
        return Err("group public key is not a valid point".into());
    }
    let name = str_field(g, "hashAlg")?;
    let alg = HashAlg::from_acvp(name).ok_or_else(|| format!("hash {name}"))?;
    let msg = hex_field(t, "message")?;
    let component = g
        .get("componentTest")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let digest = if component {
        msg
    } else {
        reference::hash(alg, &msg)
    };
    let n = curve.scalar_len();
    let mut sig = crate::algs::ecdsa::fixed(&hex_field(a, "r")?, n).ok_or("r too large")?;
    sig.extend(crate::algs::ecdsa::fixed(&hex_field(a, "s")?, n).ok_or("s too large")?);
    if reference::ecdsa_verify(curve, &q, &digest, &sig) {
        Ok(())
    } else {
        Err("signature does not verify with RustCrypto ECDSA".into())
    }
}

fn check_kas(
    g: &Map<String, Value>,
    t: &Map<String, Value>,
    a: &Map<String, Value>,
    private: Option<&Vec<u8>>,
) -> Verdict {
    let curve = curve_field(g, "domainParameterGenerationMode")?;
    let (iut, server) =
        crate::algs::kas::key_kinds(str_field(g, "scheme")?, str_field(g, "kasRole")?)
            .ok_or("unknown scheme/role")?;
    let server_q = point_of(
        curve,
        t,
        &format!("{server}PublicServerX"),
        &format!("{server}PublicServerY"),
    )?;
    let n = curve.scalar_len();
    if str_field(g, "testType")? == "AFT" {
        let d = private.ok_or("no private key recorded for the test")?;
        let q = point_of(
            curve,
            a,
            &format!("{iut}PublicIutX"),
            &format!("{iut}PublicIutY"),
        )?;
        if reference::ecc_derive(curve, d).as_deref() != Some(&q[..]) {
            return Err("IUT public key != d*G".into());
        }
        let z = reference::ecdh(curve, d, &server_q).ok_or("reference ECDH failed")?;
        let got = crate::algs::ecdsa::fixed(&hex_field(a, "z")?, n).ok_or("z too large")?;
        if got == z {
            Ok(())
        } else {
            Err("Z differs from RustCrypto ECDH".into())
        }
    } else {
        let d = hex_field(t, &format!("{iut}PrivateIut"))?;
        let q = point_of(
            curve,
            t,
            &format!("{iut}PublicIutX"),
            &format!("{iut}PublicIutY"),
        )?;
        let z_given = crate::algs::ecdsa::fixed(&hex_field(t, "z")?, n);
        let want = crate::algs::ecdsa::fixed(&d, n).is_some_and(|d| {
            reference::ecc_derive(curve, &d).as_deref() == Some(&q[..])
                && reference::ecdh(curve, &d, &server_q).is_some_and(|z| Some(z) == z_given)
        });
        let passed = a
            .get("testPassed")
            .and_then(Value::as_bool)
            .ok_or("no testPassed")?;
        if passed == want {
            Ok(())
        } else {
            Err(format!("testPassed {passed}, RustCrypto ECDH says {want}"))
        }
    }
}

fn check_drbg(g: &Map<String, Value>, t: &Map<String, Value>, a: &Map<String, Value>) -> Verdict {
    let pr = g
        .get("predResistance")
        .and_then(Value::as_bool)
        .ok_or("no predResistance")?;
    let len = (u64_field(g, "returnedBitsLen")? / 8) as usize;
    let mut model = HashDrbgModel::instantiate(
        &hex_field(t, "entropyInput")?,
        &hex_field(t, "nonce")?,
        &hex_field(t, "persoString").unwrap_or_default(),
    );
    let mut out = None;
    for o in t
        .get("otherInput")
        .and_then(Value::as_array)
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
    if hex_field(a, "returnedBits")? == want {
        Ok(())
    } else {
        Err("returnedBits differ from the Hash_DRBG model".into())
    }
}

/// Scores one vector set's answers.
fn score_set(
    set: &SetOutcome,
    prompt_set: &Value,
    expected: Option<&BTreeMap<(u64, u64), Value>>,
    row: &mut Row,
) {
    row.not_claimed += set.skipped.iter().map(|s| s.tests).sum::<usize>();
    let vs = set.info.vs_id.as_u64().unwrap_or(0);
    let mut checker = Checker {
        set,
        prompt: prompt_index(prompt_set),
        evidence: &set.evidence,
        seen_ivs: HashSet::new(),
    };
    let groups = set
        .response
        .get("testGroups")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for g in &groups {
        let Some(gmap) = g.as_object() else { continue };
        for t in gmap
            .get("tests")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            row.tests += 1;
            let Some(tmap) = t.as_object() else {
                row.fail("answer is not an object".into());
                continue;
            };
            let tc = tmap.get("tcId").and_then(Value::as_u64).unwrap_or(0);
            let exp = expected.and_then(|e| e.get(&(vs, tc)));
            let mut verdict: Option<Verdict> = exp.map(|e| {
                if json_eq(t, e) {
                    Ok(())
                } else {
                    Err(format!("answer {t} differs from expected {e}"))
                }
            });
            if verdict.as_ref().is_none_or(|v| v.is_ok())
                && let Some(v) = checker.check(gmap, tmap)
            {
                verdict = Some(v);
            }
            match verdict {
                Some(Ok(())) => row.passed += 1,
                Some(Err(msg)) => row.fail(format!("tcId {tc}: {msg}")),
                None => row.fail(format!(
                    "tcId {tc}: no expected answer and no independent check"
                )),
            }
        }
    }
}

fn load(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    run::parse_document(&text, &path.display().to_string()).map_err(|e| e.to_string())
}

/// Runs and checks one vector file.
pub fn check_file(module: &dyn CryptoModule, path: &Path, expected_dir: &Path) -> Vec<Row> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let error_row = |msg: String| Row {
        name: stem.clone(),
        failed: 1,
        problems: vec![msg],
        ..Row::default()
    };
    let doc = match load(path) {
        Ok(d) => d,
        Err(e) => return vec![error_row(e)],
    };
    let out = match run::run_document(module, &doc, &path.display().to_string()) {
        Ok(o) => o,
        Err(e) => return vec![error_row(e.to_string())],
    };
    let exp_path = expected_dir.join(path.file_name().unwrap_or_default());
    let expected = if exp_path.exists() {
        match load(&exp_path) {
            Ok(d) => Some(expected_index(&d)),
            Err(e) => return vec![error_row(format!("expected file: {e}"))],
        }
    } else {
        None
    };
    let prompts: Vec<&Value> = match &doc {
        Value::Array(a) => a.iter().filter(|v| v.get("testGroups").is_some()).collect(),
        v => vec![v],
    };
    let multi = out.sets.len() > 1;
    out.sets
        .iter()
        .zip(prompts)
        .map(|(set, prompt)| {
            let name = if multi {
                format!(
                    "{stem} [{}]",
                    set.info.mode.as_deref().unwrap_or(&set.info.algorithm)
                )
            } else {
                stem.clone()
            };
            let mut row = Row {
                name,
                ..Row::default()
            };
            score_set(set, prompt, expected.as_ref(), &mut row);
            row
        })
        .collect()
}

fn random_hex(n: usize) -> String {
    use rand_core::RngCore;
    let mut b = vec![0u8; n];
    rand_core::OsRng.fill_bytes(&mut b);
    hex(&b)
}

/// A hashDRBG vector set made here (the sample sets have none), covering
/// prediction resistance on and off, with and without reseed, with and
/// without personalization and additional input.
pub fn generated_drbg_set() -> Value {
    let mut groups = Vec::new();
    let mut tc = 1;
    let mut tg = 1;
    for (pr, reseed) in [(false, false), (false, true), (true, true)] {
        for (perso, addl) in [(0usize, 0usize), (256, 256)] {
            let mut tests = Vec::new();
            for _ in 0..5 {
                let other = |use_: &str| {
                    json!({
                        "intendedUse": use_,
                        "additionalInput": random_hex(addl / 8),
                        "entropyInput": if pr || use_ == "reSeed" { random_hex(32) } else { String::new() },
                    })
                };
                let mut others = Vec::new();
                if reseed && !pr {
                    others.push(other("reSeed"));
                }
                others.push(other("generate"));
                others.push(other("generate"));
                tests.push(json!({
                    "tcId": tc,
                    "entropyInput": random_hex(32),
                    "nonce": random_hex(16),
                    "persoString": random_hex(perso / 8),
                    "otherInput": others,
                }));
                tc += 1;
            }
            groups.push(json!({
                "tgId": tg, "testType": "AFT", "mode": "SHA2-256", "derFunc": false,
                "predResistance": pr, "reSeed": reseed,
                "entropyInputLen": 256, "nonceLen": 128, "persoStringLen": perso,
                "additionalInputLen": addl, "returnedBitsLen": 1024, "tests": tests,
            }));
            tg += 1;
        }
    }
    json!({ "vsId": 0, "algorithm": "hashDRBG", "revision": "1.0", "testGroups": groups })
}

/// Runs one vector set (no expected answers) and checks it independently.
pub fn check_set(module: &dyn CryptoModule, set: &Value, name: &str) -> Row {
    let mut row = Row {
        name: name.into(),
        ..Row::default()
    };
    match run::run_set(module, set, name) {
        Ok(out) => score_set(&out, set, None, &mut row),
        Err(e) => row.fail(e.to_string()),
    }
    row
}

/// Runs the whole check.
pub fn check_all(
    module: &dyn CryptoModule,
    vectors: &Path,
    expected: &Path,
    generated: bool,
) -> Result<Report, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(vectors)
        .map_err(|e| format!("{}: {e}", vectors.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no .json vector files", vectors.display()));
    }
    let mut report = Report::default();
    for f in &files {
        report.rows.extend(check_file(module, f, expected));
    }
    if generated {
        report.rows.push(check_set(
            module,
            &generated_drbg_set(),
            "hashDRBG (generated here)",
        ));
    }
    Ok(report)
}

/// Today's date (UTC) as YYYY-MM-DD.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Writes summary.json and summary.md into `dir`.
pub fn write_summary(
    report: &Report,
    module: &dyn CryptoModule,
    vectors: &Path,
    dir: &Path,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let date = today();
    let sha = module.object_sha256().unwrap_or_else(|| "unknown".into());
    let sets: Vec<Value> = report
        .rows
        .iter()
        .map(|r| {
            json!({
                "set": r.name, "tests": r.tests, "passed": r.passed,
                "failed": r.failed, "not_claimed": r.not_claimed,
            })
        })
        .collect();
    let summary = json!({
        "date": date,
        "module": module.description(),
        "object_sha256": sha,
        "vectors": vectors.display().to_string(),
        "sets": sets,
        "totals": {
            "passed": report.passed(), "failed": report.failed(), "not_claimed": report.not_claimed(),
        },
        "result": if report.failed() == 0 { "pass" } else { "fail" },
    });
    let text = serde_json::to_string_pretty(&summary).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("summary.json"), text + "\n")?;
    let mut md = format!(
        "# ACVP self-check\n\n- Date: {date}\n- Module: {}\n- Object SHA-256: `{sha}`\n- Vector sets: `{}`\n\n",
        module.description(),
        vectors.display()
    );
    md.push_str("| set | tests | passed | failed | not claimed |\n|---|---:|---:|---:|---:|\n");
    for r in &report.rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.name, r.tests, r.passed, r.failed, r.not_claimed
        ));
    }
    md.push_str(&format!(
        "| **total** | {} | {} | {} | {} |\n\nacvp: {} passed, {} failed\n",
        report.passed() + report.failed(),
        report.passed(),
        report.failed(),
        report.not_claimed(),
        report.passed(),
        report.failed()
    ));
    md.push_str(
        "\n\"not claimed\" counts the tests of groups outside the module's ACVP capabilities \
         (`svsm-acvp capabilities`). Random answers (keyGen, sigGen, KAS AFT, internal-IV GCM, \
         hashDRBG) are checked with RustCrypto and a Hash_DRBG model, not with the module.\n",
    );
    std::fs::write(dir.join("summary.md"), md)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_eq_ignores_hex_case_only() {
        assert!(json_eq(
            &json!({"a": "AbC", "b": [1, true]}),
            &json!({"b": [1, true], "a": "aBc"})
        ));
        assert!(!json_eq(&json!({"a": "abc"}), &json!({"a": "abd"})));
        assert!(!json_eq(&json!({"a": "abc"}), &json!({"a": "abc", "b": 1})));
        assert!(!json_eq(&json!([1, 2]), &json!([1])));
        assert!(json_eq(&json!(1.0), &json!(1)));
    }

    #[test]
    fn today_is_a_date() {
        let d = today();
        assert_eq!(d.len(), 10);
        assert!(d.starts_with("20"));
        assert_eq!(&d[4..5], "-");
    }

    #[test]
    fn a_wrong_answer_is_a_failure() {
        let set = generated_drbg_set();
        let mut out = run::run_set(&reference::RustCryptoModule, &set, "g").unwrap();
        out.response["testGroups"][0]["tests"][0]["returnedBits"] = json!("00");
        let mut row = Row::default();
        score_set(&out, &set, None, &mut row);
        assert_eq!((row.passed, row.failed), (29, 1));
    }
}
