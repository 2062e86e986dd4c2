//! What is inside the boundary: `crypto-c/boundary.toml`, read once.

use crate::Result;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Deserialize)]
pub struct Boundary {
    pub module: ModuleInfo,
    pub sources: Sources,
    #[serde(rename = "algorithm")]
    pub algorithms: Vec<Algorithm>,
    /// The mutable state outside the hashed range, each object justified.
    #[serde(default)]
    pub writable: Vec<Writable>,
    /// Conditional self-tests a fault-injection build can make fail.
    #[serde(default, rename = "conditional_break")]
    pub conditional_breaks: Vec<ConditionalBreak>,
}

/// `[[writable]]`: one object the module must be able to change at run time.
#[derive(Debug, Deserialize)]
pub struct Writable {
    pub symbol: String,
    /// Source file defining it, as the object's FILE symbol names it.
    pub unit: String,
    pub why: String,
}

/// A conditional self-test (run inside a service, not at power-on) that a
/// BREAK build makes fail: `source` is compiled with [`Self::define`]. The
/// module still comes up operational; the service running the test fails.
#[derive(Debug, Deserialize, Clone)]
pub struct ConditionalBreak {
    pub id: String,
    pub name: String,
    /// The module file (relative to crypto-c/) that checks the define.
    pub source: String,
}

impl ConditionalBreak {
    /// `SVSM_CRYPTO_BREAK_<ID>`, the id upper-cased with `-` as `_`.
    pub fn define(&self) -> String {
        format!(
            "SVSM_CRYPTO_BREAK_{}",
            self.id.to_ascii_uppercase().replace('-', "_")
        )
    }
}

#[derive(Debug, Deserialize, Serialize)]
pub struct ModuleInfo {
    pub name: String,
    pub version: String,
    /// Linker-script symbols the object exports besides the API functions.
    pub markers: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Sources {
    /// The module's own C files, relative to crypto-c/.
    pub files: Vec<String>,
    /// The file holding the self-tests (the one a BREAK build changes).
    pub self_tests: String,
    /// The file defining mem*/str* (compiled without builtins).
    pub freestanding: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, Clone)]
pub struct Algorithm {
    pub name: String,
    pub standard: String,
    pub details: String,
    pub self_tests: Vec<String>,
}

impl Boundary {
    pub fn load(path: &Path) -> Result<Boundary> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::Error(format!("{}: {e}", path.display())))?;
        toml::from_str(&text).map_err(|e| crate::Error(format!("{}: {e}", path.display())))
    }
}
