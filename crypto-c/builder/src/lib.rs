//! Builds the certifiable crypto object `svsm-crypto.o`.
//!
//! The inputs are read once: [`boundary`] (`crypto-c/boundary.toml`) and
//! [`header`] (the API header, the only parser of it). Then the steps, each in
//! its own module, each using only the modules before it:
//! 1. [`pin`]: take the pinned wolfCrypt files out of the checksummed crates.io
//!    package and verify every one of them;
//! 2. [`compile`]: compile the module's C and the wolfCrypt subset, freestanding;
//! 3. [`link`]: `ld -r` everything into ONE section laid out for a
//!    link-independent integrity value, and keep only the API global;
//! 4. [`insn`]: refuse instructions the module must never execute (XGETBV);
//!    [`elf`]: check the object (no undefined symbols, no relocation inside the
//!    hashed range that the final link could change), compute the
//!    HMAC-SHA-256 of the hashed range and store it in the object;
//! 5. [`manifest`]: describe the result for tools and the certification lab.
//!
//! [`fuzz`] compiles the same sources again, with sanitizers, into an archive
//! for the fuzz target of the C API: never the module, never sealed.
//!
//! A BREAK build (`Options::break_test`) produces a variant in which exactly one
//! self-test fails, in its own directory, marked broken in its manifest: a
//! power-on self-test (the module then never becomes operational; the ids
//! are the self-test ids and [`INTEGRITY_TABLE_BREAKS`], see
//! [`break_variants`]) or one of boundary.toml's `conditional_break`s (a
//! service's conditional test fails).

pub mod boundary;
pub mod compile;
pub mod elf;
pub mod fuzz;
pub mod header;
pub mod insn;
pub mod link;
pub mod manifest;
pub mod pin;

use std::fmt;
use std::path::{Path, PathBuf};

/// The self-test id that names the integrity test; a BREAK of it corrupts one
/// byte of module code and the last hashed byte after the integrity value was
/// computed.
pub const INTEGRITY_TEST_ID: &str = "integrity";

/// BREAK ids beyond the self-test ids, each failing the integrity test by
/// changing one byte of a constant table after the value was computed.
pub const INTEGRITY_TABLE_BREAKS: [(&str, &str); 2] = [
    (
        "integrity-asm-table",
        "one byte of wolfCrypt's AVX1 SHA-256 round constants (an assembly constant table)",
    ),
    (
        "integrity-selftest-table",
        "one byte of the self-test table (the entry of the last test)",
    ),
];

/// One BREAK id: the self-test it makes fail and what the build changes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BreakVariant {
    pub id: String,
    /// The self-test that fails first, stopping the sequence.
    pub fails: String,
    pub changes: String,
    /// How the sealed object is changed; `None` for a KAT break, which is
    /// compiled in (SVSM_CRYPTO_BREAK_TEST).
    #[serde(skip)]
    pub tamper: Option<elf::Tamper>,
}

/// Every valid BREAK id, self-tests first in run order.
pub fn break_variants(self_tests: &[header::SelfTest]) -> Vec<BreakVariant> {
    let integrity = |id: &str, changes: &str, tamper| BreakVariant {
        id: id.to_string(),
        fails: INTEGRITY_TEST_ID.to_string(),
        changes: changes.to_string(),
        tamper: Some(tamper),
    };
    let mut variants: Vec<BreakVariant> = self_tests
        .iter()
        .map(|t| match t.id.as_str() {
            INTEGRITY_TEST_ID => integrity(
                INTEGRITY_TEST_ID,
                "one byte of code padding and the last byte of the hashed range",
                elf::Tamper::CodeAndEnd,
            ),
            _ => BreakVariant {
                id: t.id.clone(),
                fails: t.id.clone(),
                changes: "one bit of the test's KAT input".into(),
                tamper: None,
            },
        })
        .collect();
    let [(asm_id, asm_changes), (table_id, table_changes)] = INTEGRITY_TABLE_BREAKS;
    variants.push(integrity(asm_id, asm_changes, elf::Tamper::AsmTable));
    let entries = self_tests.len();
    variants.push(integrity(
        table_id,
        table_changes,
        elf::Tamper::SelfTestTable { entries },
    ));
    variants
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// BREAK id (in the manifest's `break_ids` or `conditional_break_ids`),
    /// or `None`.
    pub break_test: Option<String>,
    /// Workspace root; defaults to the repository this crate lives in.
    pub root: Option<PathBuf>,
    /// Output base directory; defaults to `<root>/target/svsm-crypto`.
    pub out_dir: Option<PathBuf>,
}

/// Where a build put its results.
#[derive(Debug, Clone)]
pub struct Built {
    pub dir: PathBuf,
    pub object: PathBuf,
    /// `libsvsm_crypto.a`: an archive holding exactly `object`, for rustc.
    pub archive: PathBuf,
    pub manifest: PathBuf,
    pub include_dir: PathBuf,
    /// The C compiler's own header directory (`<stddef.h>`, `<stdint.h>`),
    /// which the module was compiled against: bindgen parses the API header
    /// with it.
    pub cc_builtin_include: PathBuf,
    pub object_sha256: String,
    pub integrity_hmac: String,
    /// Every file the build read, for cargo's rerun-if-changed.
    pub inputs: Vec<PathBuf>,
}

#[derive(Debug)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error(format!("I/O error: {e}"))
    }
}

pub type Result<T> = std::result::Result<T, Error>;

macro_rules! bail {
    ($($arg:tt)*) => { return Err($crate::Error(format!($($arg)*))) };
}
pub(crate) use bail;

/// Repository layout the builder relies on.
#[derive(Debug, Clone)]
pub struct Layout {
    pub root: PathBuf,
    pub crypto_c: PathBuf,
    pub base_out: PathBuf,
}

impl Layout {
    pub fn new(opts: &Options) -> Layout {
        let root = opts.root.clone().unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .canonicalize()
                .expect("builder lives in <root>/crypto-c/builder")
        });
        let base_out = opts
            .out_dir
            .clone()
            .unwrap_or_else(|| root.join("target/svsm-crypto"));
        Layout {
            crypto_c: root.join("crypto-c"),
            root,
            base_out,
        }
    }

    /// Output directory of this variant: the real module, or `break/<id>/`.
    pub fn variant_dir(&self, break_test: Option<&str>) -> PathBuf {
        match break_test {
            None => self.base_out.clone(),
            Some(id) => self.base_out.join("break").join(id),
        }
    }
}

/// Builds the module (or a BREAK variant) and returns where it is.
pub fn build(opts: &Options) -> Result<Built> {
    let layout = Layout::new(opts);
    let boundary = boundary::Boundary::load(&layout.crypto_c.join("boundary.toml"))?;
    let api = header::Header::load(&layout.crypto_c.join("include/svsm_crypto.h"))?;
    for b in &boundary.conditional_breaks {
        if !boundary.sources.files.contains(&b.source) || api.self_test(&b.id).is_some() {
            bail!(
                "conditional_break {:?}: its source must be a module source and its id no power-on self-test's",
                b.id
            );
        }
    }
    let variants = break_variants(&api.self_tests);
    let id = opts.break_test.as_deref();
    let variant = variants.iter().find(|v| Some(v.id.as_str()) == id);
    let conditional_break = boundary
        .conditional_breaks
        .iter()
        .find(|b| Some(b.id.as_str()) == id);
    // A conditional break fails its own (conditional) test, once a service
    // runs it; the manifest marks the variant broken all the same.
    let conditional_variant = conditional_break.map(|b| BreakVariant {
        id: b.id.clone(),
        fails: b.id.clone(),
        changes: format!("{} made to fail in {}", b.name, b.source),
        tamper: None,
    });
    if let Some(id) = id
        && variant.is_none()
        && conditional_break.is_none()
    {
        let power_on: Vec<_> = variants.iter().map(|v| v.id.as_str()).collect();
        let conditional: Vec<_> = boundary
            .conditional_breaks
            .iter()
            .map(|b| b.id.as_str())
            .collect();
        bail!(
            "unknown BREAK id {id:?}; power-on: {}; conditional: {}",
            power_on.join(", "),
            conditional.join(", ")
        );
    }
    let wolf = pin::Pin::load(&layout.root.join("third_party/wolfssl/wolfssl.toml"))?;
    let wolf_dir = wolf.materialize(&layout)?;

    let out = layout.variant_dir(opts.break_test.as_deref());
    std::fs::create_dir_all(&out)?;
    let toolchain = compile::Toolchain::detect()?;
    let compiled_break = match (variant, conditional_break) {
        (Some(v), _) if v.tamper.is_none() => Some(compile::CompiledBreak::Kat(&v.id)),
        (_, Some(b)) => Some(compile::CompiledBreak::Conditional(b)),
        _ => None,
    };
    let plan = compile::Plan::new(
        &layout,
        &boundary,
        &wolf,
        &wolf_dir,
        &toolchain,
        compiled_break,
        &api,
    )?;
    let objects = plan.compile_all()?;

    let linked = link::link(&layout, &objects, &out, &boundary, &api)?;
    insn::check(&linked.object)?;
    let sealed = elf::seal(
        &linked,
        &boundary.writable,
        &boundary.module.markers,
        variant.and_then(|v| v.tamper),
    )?;
    let object = out.join("svsm-crypto.o");
    write_atomic(&object, &sealed.bytes)?;
    let archive = out.join("libsvsm_crypto.a");
    link::archive(&object, &archive)?;

    let object_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&sealed.bytes));
    let manifest_path = out.join("manifest.json");
    let m = manifest::Manifest::new(manifest::Facts {
        boundary: &boundary,
        wolf: &wolf,
        toolchain: &toolchain,
        plan: &plan,
        sealed: &sealed,
        object_sha256: &object_sha256,
        api: &api,
        break_variants: &variants,
        break_test: variant.or(conditional_variant.as_ref()),
        root: &layout.root,
    })?;
    write_atomic(&manifest_path, m.to_json().as_bytes())?;

    let mut inputs = plan.inputs();
    inputs.push(layout.crypto_c.join("boundary.toml"));
    inputs.push(layout.crypto_c.join("module.ld"));
    inputs.push(layout.root.join("third_party/wolfssl/wolfssl.toml"));
    inputs.extend(wolf.patches.iter().map(|p| wolf.patch_path(p)));
    Ok(Built {
        dir: out,
        object,
        archive,
        manifest: manifest_path,
        include_dir: layout.crypto_c.join("include"),
        cc_builtin_include: toolchain.builtin_include.clone(),
        integrity_hmac: hex::encode(sealed.integrity_hmac),
        object_sha256,
        inputs,
    })
}

/// Writes through a temporary file and a rename, so a concurrent reader never
/// sees half a file and two builders of the same bytes cannot corrupt it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}
