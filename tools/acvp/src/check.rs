//! `svsm-acvp check`: runs the vector sets (the NIST sample sets when they
//! are there, the generated sets and Wycheproof's always), compares the
//! answers with the expected ones and checks random answers independently.

use crate::generate::Generated;
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
    /// Groups outside the capabilities (left out of the response).
    pub groups_not_claimed: usize,
    /// SHA-256 of the vector file, or of the generated set's prompt: the
    /// baseline compares counts only for the same input.
    pub source_sha256: String,
    /// Why tests failed (first few), and errors.
    pub problems: Vec<String>,
    /// Tests answered against the expected verdict that are listed as known
    /// deviations of the module: neither passed nor failed, always shown.
    pub deviations: Vec<String>,
}

impl Row {
    pub fn fail(&mut self, msg: String) {
        self.failed += 1;
        if self.problems.len() < 5 {
            self.problems.push(msg);
        }
    }
}

/// Where a family of vector sets came from, for the summary line.
#[derive(Clone, Debug)]
pub enum Source {
    /// Ran: the family's name and how many sets.
    Ran(&'static str, usize),
    /// Looked for and not there (never a failure).
    NotFound(&'static str, String),
    /// Left out on request.
    Skipped(&'static str),
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub rows: Vec<Row>,
    pub sources: Vec<Source>,
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

    /// "shared NIST 21 ran, generated 14 ran, wycheproof 13 ran" (or
    /// "shared NIST: not found (path)").
    pub fn sources(&self) -> String {
        let parts: Vec<String> = self
            .sources
            .iter()
            .map(|s| match s {
                Source::Ran(name, n) => format!("{name} {n} ran"),
                Source::NotFound(name, where_) => format!("{name}: not found ({where_})"),
                Source::Skipped(name) => format!("{name}: skipped on request"),
            })
            .collect();
        parts.join(", ")
    }

    /// The summary line: "sets: " and [`Report::sources`].
    pub fn sources_line(&self) -> String {
        format!("sets: {}", self.sources())
    }

    /// Every known deviation, as "set: tcId ...: why".
    pub fn deviations(&self) -> Vec<String> {
        self.rows
            .iter()
            .flat_map(|r| r.deviations.iter().map(move |d| format!("{}: {d}", r.name)))
            .collect()
    }

    /// The results table, the problems and the sets that ran.
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
        let deviations = self.deviations();
        if !deviations.is_empty() {
            s.push_str("\nknown deviations of the module (neither passed nor failed):\n");
            for d in deviations {
                s.push_str(&format!("  {d}\n"));
            }
        }
        if !problems.is_empty() {
            s.push_str("\nproblems:\n");
            for p in problems {
                s.push_str(&p);
                s.push('\n');
            }
        }
        s.push_str(&format!("{}\n", self.sources_line()));
        s
    }

    /// The closing line, "acvp: N passed, M failed".
    pub fn closing_line(&self) -> String {
        format!("acvp: {} passed, {} failed\n", self.passed(), self.failed())
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
    row.groups_not_claimed += set.skipped.len();
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
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return vec![error_row(format!("{}: {e}", path.display()))],
    };
    let source_sha256 = sha256_hex(&bytes);
    let doc = match String::from_utf8(bytes)
        .map_err(|e| format!("{}: {e}", path.display()))
        .and_then(|text| {
            run::parse_document(&text, &path.display().to_string()).map_err(|e| e.to_string())
        }) {
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
                source_sha256: source_sha256.clone(),
                ..Row::default()
            };
            score_set(set, prompt, expected.as_ref(), &mut row);
            row
        })
        .collect()
}

/// SHA-256 in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes)).to_ascii_lowercase()
}

/// Runs one generated vector set and checks it against its expected answers
/// and its algorithm's checker.
pub fn check_generated(module: &dyn CryptoModule, g: &Generated) -> Row {
    let mut row = Row {
        name: g.name.clone(),
        source_sha256: g.sha256(),
        ..Row::default()
    };
    match run::run_set(module, &g.prompt, &g.name) {
        Ok(out) => score_set(
            &out,
            &g.prompt,
            Some(&expected_index(&g.expected)),
            &mut row,
        ),
        Err(e) => row.fail(e.to_string()),
    }
    row
}

/// Which vector sets `check_all` runs.
pub struct Sets<'a> {
    /// The NIST sample sets: the vectors folder and the expected folder;
    /// a folder that is not there is reported, not failed.
    pub shared: Option<(&'a Path, &'a Path)>,
    pub generated: bool,
    pub wycheproof: bool,
}

/// The `.json` files of a folder, sorted; `None` when the folder is absent.
fn vector_files(dir: &Path) -> Option<Result<Vec<PathBuf>, String>> {
    if !dir.is_dir() {
        return None;
    }
    Some(
        std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))
            .map(|entries| {
                let mut files: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect();
                files.sort();
                files
            }),
    )
}

/// Runs the whole check.
pub fn check_all(module: &dyn CryptoModule, sets: &Sets<'_>) -> Result<Report, String> {
    let mut report = Report::default();
    const SHARED: &str = "shared NIST";
    match sets.shared {
        None => report.sources.push(Source::Skipped(SHARED)),
        Some((vectors, expected)) => match vector_files(vectors) {
            None => report
                .sources
                .push(Source::NotFound(SHARED, vectors.display().to_string())),
            Some(files) => {
                let files = files?;
                if files.is_empty() {
                    return Err(format!("{}: no .json vector files", vectors.display()));
                }
                for f in &files {
                    report.rows.extend(check_file(module, f, expected));
                }
                report.sources.push(Source::Ran(SHARED, files.len()));
            }
        },
    }
    if sets.generated {
        let generated = crate::generate::all_sets();
        for g in &generated {
            report.rows.push(check_generated(module, g));
        }
        report
            .sources
            .push(Source::Ran("generated", generated.len()));
    } else {
        report.sources.push(Source::Skipped("generated"));
    }
    if sets.wycheproof {
        let rows = crate::wycheproof::check_all(module);
        report.sources.push(Source::Ran("wycheproof", rows.len()));
        report.rows.extend(rows);
    } else {
        report.sources.push(Source::Skipped("wycheproof"));
    }
    if report.rows.is_empty() {
        return Err(format!("no vector set ran ({})", report.sources_line()));
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
                "set": r.name, "sha256": r.source_sha256, "tests": r.tests, "passed": r.passed,
                "failed": r.failed, "not_claimed": r.not_claimed,
                "groups_not_claimed": r.groups_not_claimed,
            })
        })
        .collect();
    let summary = json!({
        "date": date,
        "module": module.description(),
        "object_sha256": sha,
        "vectors": vectors.display().to_string(),
        "sources": report.sources(),
        "sets": sets,
        "totals": {
            "passed": report.passed(), "failed": report.failed(), "not_claimed": report.not_claimed(),
        },
        "known_deviations": report.deviations(),
        "result": if report.failed() == 0 { "pass" } else { "fail" },
    });
    let text = serde_json::to_string_pretty(&summary).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("summary.json"), text + "\n")?;
    let mut md = format!(
        "# ACVP self-check\n\n- Date: {date}\n- Module: {}\n- Object SHA-256: `{sha}`\n- Vector sets: `{}`\n- {}\n\n",
        module.description(),
        vectors.display(),
        report.sources_line()
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
    let deviations = report.deviations();
    if !deviations.is_empty() {
        md.push_str("\n## Known deviations of the module\n\n");
        md.extend(deviations.iter().map(|d| format!("- {d}\n")));
    }
    md.push_str(
        "\n\"not claimed\" counts the tests of groups outside the module's ACVP capabilities \
         (`svsm-acvp capabilities`), and the Wycheproof cases its interface cannot express. \
         Random answers (keyGen, sigGen, KAS AFT, internal-IV GCM, ctrDRBG) and the generated \
         sets' expected answers come from the test oracle (RustCrypto and a CTR_DRBG model), \
         never from the module.\n",
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
        let set = crate::algs::drbg::generate().prompt;
        let mut out = run::run_set(&crate::standin::RustCryptoModule, &set, "g").unwrap();
        out.response["testGroups"][0]["tests"][0]["returnedBits"] = json!("00");
        let mut row = Row::default();
        score_set(&out, &set, None, &mut row);
        assert_eq!((row.passed, row.failed), (29, 1));
    }

    /// Every generated set passes with the stand-in (the oracle answering),
    /// and a changed expected answer or a wrong random answer fails.
    #[test]
    fn generated_sets_pass_and_catch_wrong_answers() {
        let m = &crate::standin::RustCryptoModule;
        for g in crate::generate::all_sets() {
            let row = check_generated(m, &g);
            assert!(row.tests > 0, "{}", g.name);
            assert_eq!(row.failed, 0, "{}: {:?}", g.name, row.problems);
            assert_eq!(row.groups_not_claimed, 0, "{}", g.name);
        }
        // An expected answer that the module does not give.
        let mut g = crate::algs::kda::generate();
        g.expected["testGroups"][0]["tests"][0]["dkm"] = json!("00");
        assert_eq!(check_generated(m, &g).failed, 1);
        // A keyGen answer that is not d*G, caught by the checker.
        let g = crate::algs::ecdsa::generate().remove(0);
        let mut out = run::run_set(m, &g.prompt, "g").unwrap();
        out.response["testGroups"][0]["tests"][0]["qx"] = json!("01");
        let mut row = Row::default();
        score_set(
            &out,
            &g.prompt,
            Some(&expected_index(&g.expected)),
            &mut row,
        );
        assert_eq!(row.failed, 1, "{:?}", row.problems);
    }
}
