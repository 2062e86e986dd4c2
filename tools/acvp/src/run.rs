//! Runs ACVP vector-set documents against a module and builds the responses.

use crate::algs;
use crate::json::{AcvpError, Obj, Result, id_text, type_name};
use crate::module::CryptoModule;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// What a group handler produced.
pub enum GroupOutcome {
    /// The group response object (`tgId`, group-level answers, `tests`).
    Answered(Value),
    /// The group is outside the module's capabilities.
    NotClaimed(String),
}

/// A group left out of the response.
#[derive(Clone, Debug)]
pub struct SkippedGroup {
    pub tg_id: String,
    pub tests: usize,
    pub reason: String,
}

/// Data the response does not carry but an independent check needs: the
/// private keys the module generated for KAS AFT tests, by `tcId`.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    pub private_keys: BTreeMap<u64, Vec<u8>>,
}

/// Identification of a vector set.
#[derive(Clone, Debug)]
pub struct SetInfo {
    pub vs_id: Value,
    pub algorithm: String,
    pub mode: Option<String>,
    pub revision: Option<String>,
    /// "vector set 1234 (ECDSA sigGen FIPS186-5)"
    pub loc: String,
}

impl SetInfo {
    /// Algorithm, mode and revision, e.g. "ECDSA sigGen FIPS186-5".
    pub fn label(&self) -> String {
        let mut s = self.algorithm.clone();
        if let Some(m) = &self.mode {
            s.push(' ');
            s.push_str(m);
        }
        if let Some(r) = &self.revision {
            s.push(' ');
            s.push_str(r);
        }
        s
    }
}

/// The result of running one vector set.
pub struct SetOutcome {
    pub info: SetInfo,
    pub response: Value,
    /// Tests answered (in claimed groups).
    pub answered_tests: usize,
    pub skipped: Vec<SkippedGroup>,
    pub evidence: Evidence,
}

/// The result of running one document.
pub struct DocOutcome {
    pub response: Value,
    pub sets: Vec<SetOutcome>,
}

fn is_vector_set(v: &Value) -> bool {
    v.get("testGroups").is_some() || (v.get("vsId").is_some() && v.get("algorithm").is_some())
}

/// Parses the text of a vector-set file.
pub fn parse_document(text: &str, source: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        AcvpError::new(
            source,
            format!(
                "not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })
}

/// Runs every vector set of a document (an array with a header object, or
/// one bare vector set) and returns the response in the same shape.
pub fn run_document(module: &dyn CryptoModule, doc: &Value, source: &str) -> Result<DocOutcome> {
    match doc {
        Value::Array(items) => {
            if items.is_empty() {
                return Err(AcvpError::new(source, "the document is an empty array"));
            }
            let mut response = Vec::with_capacity(items.len());
            let mut sets = Vec::new();
            let mut header_seen = false;
            for (i, item) in items.iter().enumerate() {
                let loc = format!("{source} [element {i}]");
                if !item.is_object() {
                    return Err(AcvpError::new(
                        loc,
                        format!("elements must be objects, found {}", type_name(item)),
                    ));
                }
                if is_vector_set(item) {
                    let out = run_set(module, item, source)?;
                    response.push(out.response.clone());
                    sets.push(out);
                } else if !header_seen && i == 0 {
                    header_seen = true;
                    let version = item
                        .get("acvVersion")
                        .cloned()
                        .unwrap_or_else(|| json!("1.0"));
                    response.push(json!({ "acvVersion": version }));
                } else {
                    return Err(AcvpError::new(
                        loc,
                        "neither the session header (first element) nor a vector set \
                         (no \"testGroups\")",
                    ));
                }
            }
            if sets.is_empty() {
                return Err(AcvpError::new(source, "the document holds no vector set"));
            }
            Ok(DocOutcome {
                response: Value::Array(response),
                sets,
            })
        }
        Value::Object(_) => {
            let out = run_set(module, doc, source)?;
            Ok(DocOutcome {
                response: out.response.clone(),
                sets: vec![out],
            })
        }
        other => Err(AcvpError::new(
            source,
            format!(
                "the document must be an array or an object, found {}",
                type_name(other)
            ),
        )),
    }
}

/// Reads the identification fields of a vector set.
pub fn set_info(set: &Value, source: &str) -> Result<SetInfo> {
    let pre = format!("{source}: vector set {}", id_text(set, "vsId"));
    let obj = Obj::from_value(set, &pre, "a vector set")?;
    let vs_id = obj.get("vsId")?.clone();
    if !vs_id.is_u64() {
        return Err(obj.err(format!(
            "field \"vsId\" must be a non-negative integer, found {}",
            type_name(&vs_id)
        )));
    }
    let algorithm = obj.str("algorithm")?.to_string();
    let mode = obj.opt_str("mode")?.map(str::to_string);
    let revision = obj.opt_str("revision")?.map(str::to_string);
    let mut info = SetInfo {
        vs_id,
        algorithm,
        mode,
        revision,
        loc: String::new(),
    };
    info.loc = format!("{pre} ({})", info.label());
    Ok(info)
}

/// Runs one vector set.
pub fn run_set(module: &dyn CryptoModule, set: &Value, source: &str) -> Result<SetOutcome> {
    let info = set_info(set, source)?;
    let obj = Obj::from_value(set, &info.loc, "a vector set")?;
    let groups = obj.array("testGroups")?;
    let handler = algs::handler_for(&info);
    let mut evidence = Evidence::default();
    let mut answered = Vec::new();
    let mut skipped = Vec::new();
    let mut answered_tests = 0;
    for (i, g) in groups.iter().enumerate() {
        let gid = match g.get("tgId") {
            Some(_) => format!("tgId {}", id_text(g, "tgId")),
            None => format!("#{}", i + 1),
        };
        let gloc = format!("{} / group {gid}", info.loc);
        let gobj = Obj::from_value(g, &gloc, "a test group")?;
        let tg_id = gobj.u64("tgId")?;
        let ntests = gobj.tests()?.len();
        let outcome = match &handler {
            Err(reason) => GroupOutcome::NotClaimed(reason.clone()),
            Ok(h) => h(module, &info, &gobj, &mut evidence)?,
        };
        match outcome {
            GroupOutcome::Answered(v) => {
                answered_tests += v.get("tests").and_then(Value::as_array).map_or(0, Vec::len);
                answered.push(v);
            }
            GroupOutcome::NotClaimed(reason) => {
                skipped.push(SkippedGroup {
                    tg_id: tg_id.to_string(),
                    tests: ntests,
                    reason,
                });
            }
        }
    }
    let mut resp = Map::new();
    resp.insert("vsId".into(), info.vs_id.clone());
    resp.insert("algorithm".into(), json!(info.algorithm));
    if let Some(m) = &info.mode {
        resp.insert("mode".into(), json!(m));
    }
    if let Some(r) = &info.revision {
        resp.insert("revision".into(), json!(r));
    }
    resp.insert("testGroups".into(), Value::Array(answered));
    Ok(SetOutcome {
        info,
        response: Value::Object(resp),
        answered_tests,
        skipped,
        evidence,
    })
}

/// Builds a group response from its test answers.
pub fn group_response(tg_id: u64, extra: Vec<(&str, Value)>, tests: Vec<Value>) -> Value {
    let mut m = Map::new();
    m.insert("tgId".into(), json!(tg_id));
    for (k, v) in extra {
        m.insert(k.into(), v);
    }
    m.insert("tests".into(), Value::Array(tests));
    Value::Object(m)
}
