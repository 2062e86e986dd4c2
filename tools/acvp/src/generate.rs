//! Vector sets made here, from fixed seeds, in the ACVP server's form: a
//! prompt (the vector set) and, for the tests whose answer is determined,
//! the expected answers computed by the test oracle (`svsm-oracle`), never by
//! the module. Tests with random answers (keyGen, sigGen, KAS AFT,
//! internal-IV GCM) have no expected answer: their algorithm's checker
//! judges them. Each algorithm's generator lives beside its handler in
//! `algs/`; this file holds what they share and the list of sets.

use crate::algs;
use crate::json::hex;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// Deterministic bytes: SHA-256(seed || label || counter) blocks. The same
/// seed gives the same vector sets, so their hash can key the baseline.
pub struct Seeded {
    seed: Vec<u8>,
    counter: u64,
    pool: Vec<u8>,
}

impl Seeded {
    pub fn new(seed: &str) -> Self {
        Seeded {
            seed: seed.as_bytes().to_vec(),
            counter: 0,
            pool: Vec::new(),
        }
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        while self.pool.len() < n {
            let block = Sha256::new()
                .chain_update(&self.seed)
                .chain_update(self.counter.to_be_bytes())
                .finalize();
            self.pool.extend_from_slice(&block);
            self.counter += 1;
        }
        self.pool.drain(..n).collect()
    }

    pub fn hex(&mut self, n: usize) -> String {
        hex(&self.bytes(n))
    }

    /// A value in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.bytes(8));
        (u64::from_be_bytes(b) % n as u64) as usize
    }
}

/// One test: its prompt fields and, when determined, its expected answer
/// fields (both without `tcId`).
pub struct Case {
    pub prompt: Value,
    pub expected: Option<Value>,
}

impl Case {
    pub fn new(prompt: Value, expected: Value) -> Self {
        Case {
            prompt,
            expected: Some(expected),
        }
    }

    /// A test whose answer is random: a checker judges it.
    pub fn checked(prompt: Value) -> Self {
        Case {
            prompt,
            expected: None,
        }
    }
}

/// A generated vector set: the prompt and the expected-answers document.
pub struct Generated {
    /// The row name in reports and the baseline.
    pub name: String,
    pub prompt: Value,
    pub expected: Value,
}

impl Generated {
    /// SHA-256 of the prompt's canonical text: what the baseline keys on.
    pub fn sha256(&self) -> String {
        let text = serde_json::to_string(&self.prompt).unwrap_or_default();
        crate::json::hex(&Sha256::digest(text.as_bytes())).to_ascii_lowercase()
    }
}

/// Builds a vector set group by group, numbering groups and tests.
pub struct SetBuilder {
    header: Map<String, Value>,
    groups: Vec<Value>,
    expected_groups: Vec<Value>,
    next_tc: u64,
}

fn with_id(id_key: &str, id: u64, fields: &Value) -> Value {
    let mut m = Map::new();
    m.insert(id_key.into(), json!(id));
    if let Some(obj) = fields.as_object() {
        m.extend(obj.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Value::Object(m)
}

impl SetBuilder {
    /// `header`: vsId, algorithm, mode, revision.
    pub fn new(vs_id: u64, algorithm: &str, mode: Option<&str>, revision: &str) -> Self {
        let mut header = Map::new();
        header.insert("vsId".into(), json!(vs_id));
        header.insert("algorithm".into(), json!(algorithm));
        if let Some(m) = mode {
            header.insert("mode".into(), json!(m));
        }
        header.insert("revision".into(), json!(revision));
        SetBuilder {
            header,
            groups: Vec::new(),
            expected_groups: Vec::new(),
            next_tc: 1,
        }
    }

    /// Adds a group with its properties and cases.
    pub fn group(&mut self, props: Value, cases: Vec<Case>) {
        let tg = self.groups.len() as u64 + 1;
        let mut tests = Vec::new();
        let mut answers = Vec::new();
        for c in cases {
            let tc = self.next_tc;
            self.next_tc += 1;
            tests.push(with_id("tcId", tc, &c.prompt));
            if let Some(e) = &c.expected {
                answers.push(with_id("tcId", tc, e));
            }
        }
        let mut g = with_id("tgId", tg, &props);
        g["tests"] = Value::Array(tests);
        self.groups.push(g);
        self.expected_groups
            .push(json!({ "tgId": tg, "tests": answers }));
    }

    pub fn finish(self, name: &str) -> Generated {
        let mut prompt = self.header.clone();
        prompt.insert("testGroups".into(), Value::Array(self.groups));
        let mut expected = Map::new();
        expected.insert("vsId".into(), self.header["vsId"].clone());
        expected.insert("testGroups".into(), Value::Array(self.expected_groups));
        Generated {
            name: format!("generated {name}"),
            prompt: Value::Object(prompt),
            expected: Value::Object(expected),
        }
    }
}

/// Every generated vector set: one per algorithm and mode the module offers.
pub fn all_sets() -> Vec<Generated> {
    let mut sets = Vec::new();
    sets.extend(algs::sha::generate());
    sets.extend(algs::hmac::generate());
    sets.push(algs::gcm::generate());
    sets.extend(algs::ecdsa::generate());
    sets.push(algs::kas::generate());
    sets.push(algs::kda::generate());
    sets.push(algs::drbg::generate());
    sets.extend(algs::aes::generate());
    sets.push(algs::kdf::generate_counter());
    sets.push(algs::kdf::generate_one_step());
    sets
}

/// Writes every generated set as `DIR/vectors/NAME.json` (prompt, in the
/// server's document form) and `DIR/expected/NAME.json`. Both folders are
/// replaced, not added to: a set an older build wrote (and this one no
/// longer offers) must not be read back as one of this build's.
pub fn write_all(dir: &std::path::Path) -> std::io::Result<Vec<String>> {
    let (vdir, edir) = (dir.join("vectors"), dir.join("expected"));
    for d in [&vdir, &edir] {
        match std::fs::remove_dir_all(d) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => std::fs::create_dir_all(d)?,
        }
    }
    let mut names = Vec::new();
    for g in all_sets() {
        let file = format!(
            "{}.json",
            g.name.trim_start_matches("generated ").replace(' ', "-")
        );
        let header = json!({ "acvVersion": "1.0" });
        for (d, v) in [(&vdir, &g.prompt), (&edir, &g.expected)] {
            let text =
                serde_json::to_string_pretty(&json!([header, v])).map_err(std::io::Error::other)?;
            std::fs::write(d.join(&file), text + "\n")?;
        }
        names.push(file);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_bytes_are_fixed_and_differ_by_seed() {
        let a = Seeded::new("x").bytes(40);
        assert_eq!(a, Seeded::new("x").bytes(40));
        assert_ne!(a, Seeded::new("y").bytes(40));
        let mut s = Seeded::new("x");
        let (p, q) = (s.bytes(10), s.bytes(30));
        assert_eq!([p, q].concat(), a);
    }

    #[test]
    fn generated_sets_are_the_same_every_time() {
        let first = all_sets();
        let a: Vec<String> = first.iter().map(Generated::sha256).collect();
        let b: Vec<String> = all_sets().iter().map(Generated::sha256).collect();
        assert_eq!(a, b);
        let names: std::collections::BTreeSet<&str> =
            first.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names.len(), a.len(), "names are unique");
    }
}
