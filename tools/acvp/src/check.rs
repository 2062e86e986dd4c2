//! `svsm-acvp check`: runs every sample vector set, compares the answers
//! with the expected files and checks random answers independently.

use crate::json::hex;
use crate::module::CryptoModule;
use crate::run::{self, SetOutcome};
use crate::verdict::{Answered, CheckState, Verdict};
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

/// An answered test with its prompt, when the prompt has its group and test.
fn answered<'a>(
    prompt: &Prompt<'a>,
    group_answer: &'a Map<String, Value>,
    answer: &'a Map<String, Value>,
) -> Option<Answered<'a>> {
    let tg = group_answer.get("tgId").and_then(Value::as_u64)?;
    let tc_id = answer.get("tcId").and_then(Value::as_u64)?;
    Some(Answered {
        group: prompt.groups.get(&tg)?,
        test: prompt.tests.get(&tc_id)?,
        group_answer,
        answer,
        tc_id,
    })
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
    let prompt = prompt_index(prompt_set);
    let checker = crate::algs::checker_for(&set.info);
    let mut state = CheckState {
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
                && let Some(check) = checker
                && let Some(case) = answered(&prompt, gmap, tmap)
            {
                verdict = Some(check(&case, &mut state));
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
        let mut out = run::run_set(&crate::standin::RustCryptoModule, &set, "g").unwrap();
        out.response["testGroups"][0]["tests"][0]["returnedBits"] = json!("00");
        let mut row = Row::default();
        score_set(&out, &set, None, &mut row);
        assert_eq!((row.passed, row.failed), (29, 1));
    }
}
