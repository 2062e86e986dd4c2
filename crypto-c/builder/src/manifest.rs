//! What is inside the boundary (`crypto-c/boundary.toml`, the self-test list
//! in the API header) and the manifest that describes a built object.

use crate::compile::{Plan, Toolchain};
use crate::elf::Sealed;
use crate::pin::Pin;
use crate::{Result, bail, sha256_hex};
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
}

/// `[[writable]]`: one object the module must be able to change at run time.
#[derive(Debug, Deserialize)]
pub struct Writable {
    pub symbol: String,
    /// Source file defining it, as the object's FILE symbol names it.
    pub unit: String,
    pub why: String,
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

#[derive(Debug, Clone, Serialize)]
pub struct SelfTest {
    pub id: String,
    pub name: String,
    /// The enum suffix in the header (`SVSM_CRYPTO_TEST_<symbol>`).
    #[serde(skip)]
    pub symbol: String,
}

/// The self-tests, in execution order, from `SVSM_CRYPTO_SELF_TEST_LIST` in
/// the API header (the one place they are defined).
pub fn self_tests(header: &Path) -> Result<Vec<SelfTest>> {
    let text = std::fs::read_to_string(header)?;
    let Some(start) = text.find("#define SVSM_CRYPTO_SELF_TEST_LIST(X)") else {
        bail!("{}: no SVSM_CRYPTO_SELF_TEST_LIST", header.display())
    };
    let mut tests = Vec::new();
    for line in text[start..].lines().skip(1) {
        let line = line.trim();
        let Some(args) = line.strip_prefix("X(") else {
            break;
        };
        let args = args.trim_end_matches('\\').trim().trim_end_matches(')');
        let mut parts = args.splitn(3, ',').map(str::trim);
        let (Some(symbol), Some(id), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            bail!("cannot read self-test entry {line:?}")
        };
        tests.push(SelfTest {
            symbol: symbol.to_string(),
            id: id.trim_matches('"').to_string(),
            name: name.trim_matches('"').to_string(),
        });
    }
    if tests.is_empty() {
        bail!("{}: empty self-test list", header.display());
    }
    Ok(tests)
}

pub struct Facts<'a> {
    pub boundary: &'a Boundary,
    pub wolf: &'a Pin,
    pub toolchain: &'a Toolchain,
    pub plan: &'a Plan,
    pub sealed: &'a Sealed,
    pub object_sha256: &'a str,
    pub self_tests: &'a [SelfTest],
    pub break_variants: &'a [crate::BreakVariant],
    pub break_test: Option<&'a crate::BreakVariant>,
    pub root: &'a Path,
}

#[derive(Serialize)]
pub struct Manifest {
    module: ModuleSummary,
    object: ObjectSummary,
    broken: Option<Broken>,
    exported_symbols: Vec<String>,
    undefined_symbols: Vec<String>,
    compiler: CompilerSummary,
    wolfcrypt: WolfSummary,
    sources: Vec<SourceFile>,
    approved_algorithms: Vec<Algorithm>,
    self_tests: Vec<SelfTest>,
    break_ids: Vec<String>,
    break_variants: Vec<crate::BreakVariant>,
    writable_data: Vec<crate::elf::WritableSymbol>,
    integrity: IntegritySummary,
}

#[derive(Serialize)]
struct ModuleSummary {
    name: String,
    version: String,
    api_header: String,
    api_header_sha256: String,
}

#[derive(Serialize)]
struct ObjectSummary {
    path: String,
    object_sha256: String,
    size: usize,
    text_rodata_bytes: u64,
    data_bss_bytes: u64,
    section: &'static str,
}

#[derive(Serialize)]
struct Broken {
    break_id: String,
    /// The self-test this variant makes fail.
    self_test: String,
    note: &'static str,
}

#[derive(Serialize)]
struct CompilerSummary {
    cc: String,
    version: String,
    linker: String,
    flags: Vec<KindFlags>,
}

#[derive(Serialize)]
struct KindFlags {
    kind: crate::compile::UnitKind,
    flags: Vec<String>,
}

#[derive(Serialize)]
struct WolfSummary {
    version: String,
    package: String,
    package_version: String,
    package_sha256: String,
    license: String,
    pinned_files: usize,
}

#[derive(Serialize)]
struct SourceFile {
    path: String,
    sha256: String,
    compiled: bool,
}

#[derive(Serialize)]
struct IntegritySummary {
    algorithm: &'static str,
    hashed_range: &'static str,
    /// What the hashed bytes are, for the security policy.
    covers: Vec<String>,
    /// Offset of the range in `.svsm_crypto` and its length: recompute with
    /// the key over those section bytes after applying `.rela.svsm_crypto`
    /// with the range starting at address 0.
    hashed_section_offset: u64,
    hashed_length: u64,
    key_hex: String,
    expected_hmac_sha256: String,
    /// Section offsets of the absolute pointers in the range: they are hashed
    /// as their value with the section at address 0 (offsets from its start).
    pointers_hashed_as_offsets: Vec<u64>,
    /// Section offsets of the bytes a BREAK of the integrity test flipped.
    corrupted_offsets: Vec<u64>,
}

impl Manifest {
    pub fn new(f: Facts<'_>) -> Result<Manifest> {
        let header = f.root.join("crypto-c/include/svsm_crypto.h");
        let mut sources: Vec<SourceFile> = f
            .plan
            .source_hashes()?
            .into_iter()
            .map(|(path, sha256)| SourceFile {
                path,
                sha256,
                compiled: true,
            })
            .collect();
        for file in &f.wolf.files {
            if !file.is_compiled() {
                sources.push(SourceFile {
                    path: format!("wolfssl/{}", file.path),
                    sha256: file.sha256.clone(),
                    compiled: false,
                });
            }
        }
        for file in [
            "crypto-c/boundary.toml",
            "crypto-c/module.ld",
            "third_party/wolfssl/wolfssl.toml",
        ] {
            sources.push(SourceFile {
                path: file.to_string(),
                sha256: sha256_hex(&std::fs::read(f.root.join(file))?),
                compiled: false,
            });
        }
        for dir in ["crypto-c/include", "crypto-c/config", "crypto-c/src"] {
            let mut headers: Vec<_> = std::fs::read_dir(f.root.join(dir))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "h"))
                .collect();
            headers.sort();
            for h in headers {
                let name = h.file_name().expect("file").to_string_lossy();
                sources.push(SourceFile {
                    path: format!("{dir}/{name}"),
                    sha256: sha256_hex(&std::fs::read(&h)?),
                    compiled: false,
                });
            }
        }
        let ld_version =
            crate::compile::run_capture(std::process::Command::new("ld").arg("--version"))?
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
        Ok(Manifest {
            module: ModuleSummary {
                name: f.boundary.module.name.clone(),
                version: f.boundary.module.version.clone(),
                api_header: "crypto-c/include/svsm_crypto.h".into(),
                api_header_sha256: sha256_hex(&std::fs::read(&header)?),
            },
            object: ObjectSummary {
                path: "svsm-crypto.o".into(),
                object_sha256: f.object_sha256.to_string(),
                size: f.sealed.bytes.len(),
                text_rodata_bytes: f.sealed.hashed_len,
                data_bss_bytes: f.sealed.data_len,
                section: crate::elf::SECTION,
            },
            broken: f.break_test.map(|v| Broken {
                break_id: v.id.clone(),
                self_test: v.fails.clone(),
                note: "fault-injection build: this object is NOT the module and must never ship",
            }),
            exported_symbols: f.sealed.globals.clone(),
            undefined_symbols: Vec::new(),
            compiler: CompilerSummary {
                cc: f.toolchain.cc.clone(),
                version: f.toolchain.version.clone(),
                linker: ld_version,
                flags: f
                    .plan
                    .flag_summary(f.root)
                    .into_iter()
                    .map(|(kind, flags)| KindFlags { kind, flags })
                    .collect(),
            },
            wolfcrypt: WolfSummary {
                version: f.wolf.package.wolfssl_version.clone(),
                package: f.wolf.package.name.clone(),
                package_version: f.wolf.package.version.clone(),
                package_sha256: f.wolf.package.checksum.clone(),
                license: f.wolf.package.license.clone(),
                pinned_files: f.wolf.files.len(),
            },
            sources,
            approved_algorithms: f.boundary.algorithms.clone(),
            self_tests: f.self_tests.to_vec(),
            break_ids: f.break_variants.iter().map(|v| v.id.clone()).collect(),
            break_variants: f.break_variants.to_vec(),
            writable_data: f.sealed.writable.clone(),
            integrity: IntegritySummary {
                algorithm: "HMAC-SHA-256",
                hashed_range: "svsm_crypto_text_start..svsm_crypto_text_end (every constant byte of the module)",
                covers: [
                    "code",
                    "read-only data (KAT vectors, the integrity key, strings)",
                    "assembly constant tables (wolfCrypt's SHA-256/SHA-512 round constants, AES-GCM, AES-CTR and SP math constants)",
                    "the self-test table, the curve table and wolfCrypt's ecc_sets (relocation-free)",
                    "absolute pointers (wolfCrypt's AVX2 SHA-512 loop bounds), as offsets from svsm_crypto_text_start",
                    "the table locating those pointers (svsm_integrity_pointers)",
                    "an 8-byte end sentinel (the last hashed bytes)",
                ]
                .map(String::from)
                .to_vec(),
                hashed_section_offset: f.sealed.hashed_section_offset,
                hashed_length: f.sealed.hashed_len,
                key_hex: hex::encode(f.sealed.integrity_key),
                expected_hmac_sha256: hex::encode(f.sealed.integrity_hmac),
                pointers_hashed_as_offsets: f.sealed.hashed_pointers.clone(),
                corrupted_offsets: f.sealed.corrupted_offsets.clone(),
            },
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("manifest serializes") + "\n"
    }
}
