//! The manifest that describes a built object, for tools and the
//! certification lab.

use crate::boundary::{Algorithm, Boundary};
use crate::compile::{Plan, Toolchain};
use crate::elf::Sealed;
use crate::header::{Header, SelfTest};
use crate::pin::Pin;
use crate::{Result, sha256_hex};
use serde::Serialize;
use std::path::Path;

pub struct Facts<'a> {
    pub boundary: &'a Boundary,
    pub wolf: &'a Pin,
    pub toolchain: &'a Toolchain,
    pub plan: &'a Plan,
    pub sealed: &'a Sealed,
    pub object_sha256: &'a str,
    /// The API header as read by [`crate::header`]; its self-test list is the manifest's.
    pub api: &'a Header,
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
    /// BREAK ids whose variant fails that power-on self-test at init.
    break_ids: Vec<String>,
    /// BREAK ids whose variant initializes and then fails that conditional
    /// self-test when a service runs it.
    conditional_break_ids: Vec<String>,
    break_variants: Vec<crate::BreakVariant>,
    writable_data: Vec<crate::elf::WritableSymbol>,
    integrity: IntegritySummary,
    /// What the API header declares: functions, status codes, states,
    /// callbacks, constants and conventions (the self-tests are `self_tests`).
    api: Header,
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
    /// The reviewed patches applied to pinned files (wolfssl.toml).
    patches: Vec<crate::pin::Patch>,
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
                patches: f.wolf.patches.clone(),
            },
            sources,
            approved_algorithms: f.boundary.algorithms.clone(),
            self_tests: f.api.self_tests.clone(),
            break_ids: f.break_variants.iter().map(|v| v.id.clone()).collect(),
            conditional_break_ids: f
                .boundary
                .conditional_breaks
                .iter()
                .map(|b| b.id.clone())
                .collect(),
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
            api: f.api.clone(),
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("manifest serializes") + "\n"
    }
}
