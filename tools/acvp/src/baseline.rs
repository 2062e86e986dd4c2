//! The guarded counts (`certification/acvp/baseline.json`): per vector set,
//! keyed by its name and the SHA-256 of its input (vector file, generated
//! prompt or Wycheproof file), how many tests the module answered and how
//! many groups fell outside its capabilities. A run that answers fewer tests
//! or leaves more groups unclaimed for the same input fails; a set absent
//! from the run, or whose input changed, is reported and not compared.
//!
//! The file carries no date and no object hash, so it changes only when a
//! count or an input does. `svsm-acvp check --write-baseline` rewrites it
//! from a run; commit it deliberately.

use crate::check::Report;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// The recorded counts of one set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub sha256: String,
    pub answered: usize,
    pub groups_not_claimed: usize,
}

pub type Baseline = BTreeMap<String, Entry>;

/// What the comparison found.
#[derive(Clone, Debug, Default)]
pub struct Comparison {
    /// Sets with fewer answered tests or more unclaimed groups: a failure.
    pub regressions: Vec<String>,
    /// Compared and at least as good as recorded.
    pub held: usize,
    /// Reported only: run with another input, or new.
    pub notes: Vec<String>,
    /// Recorded but not run this time (reported, not failed).
    pub absent: Vec<String>,
}

impl Comparison {
    pub fn render(&self) -> String {
        let mut s = String::new();
        for n in &self.notes {
            s.push_str(&format!("baseline: {n}\n"));
        }
        if !self.absent.is_empty() {
            s.push_str(&format!(
                "baseline: {} recorded sets not run this time: {}\n",
                self.absent.len(),
                self.absent.join(", ")
            ));
        }
        for r in &self.regressions {
            s.push_str(&format!("baseline: REGRESSION {r}\n"));
        }
        s.push_str(&format!(
            "baseline: {} sets held their counts, {} regressed\n",
            self.held,
            self.regressions.len()
        ));
        s
    }
}

/// The baseline of a run.
pub fn from_report(report: &Report) -> Baseline {
    report
        .rows
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                Entry {
                    sha256: r.source_sha256.clone(),
                    answered: r.tests,
                    groups_not_claimed: r.groups_not_claimed,
                },
            )
        })
        .collect()
}

pub fn to_json(b: &Baseline) -> Value {
    let sets: Map<String, Value> = b
        .iter()
        .map(|(name, e)| {
            (
                name.clone(),
                json!({ "sha256": e.sha256, "answered": e.answered,
                        "groups_not_claimed": e.groups_not_claimed }),
            )
        })
        .collect();
    json!({
        "about": "ACVP counts that make acvp guards (svsm-acvp check); rewrite with \
                  `svsm-acvp check --write-baseline` and commit deliberately",
        "sets": sets,
    })
}

pub fn parse(v: &Value, source: &str) -> Result<Baseline, String> {
    let sets = v
        .get("sets")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{source}: no \"sets\" object"))?;
    sets.iter()
        .map(|(name, e)| {
            let field = |k: &str| {
                e.get(k)
                    .and_then(Value::as_u64)
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| format!("{source}: set \"{name}\": no integer \"{k}\""))
            };
            let sha256 = e
                .get("sha256")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{source}: set \"{name}\": no \"sha256\""))?
                .to_string();
            Ok((
                name.clone(),
                Entry {
                    sha256,
                    answered: field("answered")?,
                    groups_not_claimed: field("groups_not_claimed")?,
                },
            ))
        })
        .collect()
}

pub fn load(path: &Path) -> Result<Baseline, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    parse(&v, &path.display().to_string())
}

pub fn write(b: &Baseline, path: &Path) -> Result<(), String> {
    let text = serde_json::to_string_pretty(&to_json(b)).map_err(|e| e.to_string())? + "\n";
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Compares a run with the recorded counts.
pub fn compare(recorded: &Baseline, run: &Baseline) -> Comparison {
    let mut c = Comparison::default();
    for (name, want) in recorded {
        let Some(got) = run.get(name) else {
            c.absent.push(name.clone());
            continue;
        };
        if got.sha256 != want.sha256 {
            c.notes.push(format!(
                "{name}: input changed (sha256 {} recorded, {} now), not compared",
                short(&want.sha256),
                short(&got.sha256)
            ));
            continue;
        }
        let mut why = Vec::new();
        if got.answered < want.answered {
            why.push(format!(
                "{} tests answered, {} recorded",
                got.answered, want.answered
            ));
        }
        if got.groups_not_claimed > want.groups_not_claimed {
            why.push(format!(
                "{} groups not claimed, {} recorded",
                got.groups_not_claimed, want.groups_not_claimed
            ));
        }
        if why.is_empty() {
            c.held += 1;
        } else {
            c.regressions.push(format!("{name}: {}", why.join("; ")));
        }
    }
    for name in run.keys().filter(|n| !recorded.contains_key(*n)) {
        c.notes.push(format!("{name}: not in the baseline"));
    }
    c
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(sha: &str, answered: usize, groups: usize) -> Entry {
        Entry {
            sha256: sha.into(),
            answered,
            groups_not_claimed: groups,
        }
    }

    fn base(entries: &[(&str, Entry)]) -> Baseline {
        entries
            .iter()
            .map(|(n, e)| (n.to_string(), e.clone()))
            .collect()
    }

    #[test]
    fn fewer_answers_or_more_unclaimed_groups_regress() {
        let recorded = base(&[("A", entry("aa", 10, 1)), ("B", entry("bb", 5, 0))]);
        let same = compare(&recorded, &recorded);
        assert!(same.regressions.is_empty());
        assert_eq!(same.held, 2);
        let better = base(&[("A", entry("aa", 12, 0)), ("B", entry("bb", 5, 0))]);
        assert!(compare(&recorded, &better).regressions.is_empty());
        let fewer = base(&[("A", entry("aa", 9, 1)), ("B", entry("bb", 5, 0))]);
        let c = compare(&recorded, &fewer);
        assert_eq!(c.regressions.len(), 1);
        assert!(c.regressions[0].starts_with("A: 9 tests answered, 10 recorded"));
        let unclaimed = base(&[("A", entry("aa", 10, 2)), ("B", entry("bb", 5, 0))]);
        assert_eq!(compare(&recorded, &unclaimed).regressions.len(), 1);
    }

    #[test]
    fn absent_changed_and_new_sets_are_reported_not_failed() {
        let recorded = base(&[("A", entry("aa", 10, 1)), ("B", entry("bb", 5, 0))]);
        let run = base(&[("A", entry("a2", 1, 9)), ("C", entry("cc", 1, 0))]);
        let c = compare(&recorded, &run);
        assert!(c.regressions.is_empty());
        assert_eq!(c.held, 0);
        assert_eq!(c.notes.len(), 2, "{:?}", c.notes);
        assert!(c.notes.iter().any(|n| n.starts_with("A: input changed")));
        assert_eq!(c.absent, ["B"]);
        assert!(c.notes.iter().any(|n| n == "C: not in the baseline"));
    }

    #[test]
    fn json_round_trip_and_errors() {
        let b = base(&[("A", entry("aa", 10, 1))]);
        assert_eq!(parse(&to_json(&b), "x").unwrap(), b);
        let e = parse(&json!({ "sets": { "A": { "sha256": "aa" } } }), "f.json").unwrap_err();
        assert!(
            e.contains("f.json: set \"A\": no integer \"answered\""),
            "{e}"
        );
        assert!(parse(&json!({}), "f.json").is_err());
    }
}
