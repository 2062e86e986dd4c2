//! The pinned wolfCrypt subset: which package, which files, which hashes.
//!
//! `third_party/wolfssl/wolfssl.toml` names a crates.io package and its
//! SHA-256, and every upstream file the module compiles or includes with its
//! own SHA-256. The files are taken straight out of the `.crate` archive in
//! cargo's download cache (fetched with the fetch-only manifest beside the pin
//! file) into `<output dir>/wolfssl-<version>/`. Only listed files are
//! extracted, so a source that includes an unlisted header fails to compile.
//!
//! Then the reviewed patches (`[[patch]]`, files under
//! `third_party/wolfssl/patches/`) are applied, each checked three times: the
//! patch file's SHA-256, an exact match of every hunk's context (no fuzz, no
//! offset), and the patched file's SHA-256.

use crate::{Layout, Result, bail, sha256_hex};
use serde::Deserialize;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Deserialize)]
pub struct Pin {
    pub package: Package,
    #[serde(rename = "file")]
    pub files: Vec<PinnedFile>,
    #[serde(default, rename = "patch")]
    pub patches: Vec<Patch>,
    #[serde(skip)]
    pub pin_path: PathBuf,
}

#[derive(Debug, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// SHA-256 of the `.crate` archive (as in the fetch manifest's Cargo.lock).
    pub checksum: String,
    /// Directory of the upstream tree inside the package.
    pub root: String,
    pub wolfssl_version: String,
    pub license: String,
}

#[derive(Debug, Deserialize, Clone)]
pub struct PinnedFile {
    pub path: String,
    pub sha256: String,
}

/// A reviewed change to one pinned file, applied after the pinned files are
/// verified.
#[derive(Debug, Deserialize, Clone, serde::Serialize)]
pub struct Patch {
    /// The unified diff, relative to `third_party/wolfssl/`.
    pub patch: String,
    /// SHA-256 of the patch file.
    pub sha256: String,
    /// The pinned file it changes.
    pub target: String,
    /// SHA-256 of that file once patched.
    pub patched_sha256: String,
    pub why: String,
}

impl PinnedFile {
    pub fn is_compiled(&self) -> bool {
        self.path.ends_with(".c") && !self.path.ends_with("misc.c") || self.path.ends_with(".S")
    }
}

impl Pin {
    pub fn load(path: &Path) -> Result<Pin> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::Error(format!("{}: {e}", path.display())))?;
        let mut pin: Pin =
            toml::from_str(&text).map_err(|e| crate::Error(format!("{}: {e}", path.display())))?;
        pin.pin_path = path.to_path_buf();
        Ok(pin)
    }

    pub fn compiled_files(&self) -> impl Iterator<Item = &PinnedFile> {
        self.files.iter().filter(|f| f.is_compiled())
    }

    /// Extracts and verifies the pinned files; returns the upstream tree root.
    pub fn materialize(&self, layout: &Layout) -> Result<PathBuf> {
        let dest = layout
            .base_out
            .join(format!("wolfssl-{}", self.package.wolfssl_version));
        let stamp = dest.join(".pin-sha256");
        let pin_hash = sha256_hex(&std::fs::read(&self.pin_path)?);
        if std::fs::read_to_string(&stamp).ok().as_deref() == Some(pin_hash.as_str()) {
            return Ok(dest);
        }
        let archive = self.locate_crate(layout)?;
        let bytes = std::fs::read(&archive)?;
        let got = sha256_hex(&bytes);
        if got != self.package.checksum {
            bail!(
                "{}: SHA-256 {got} does not match the pinned {}",
                archive.display(),
                self.package.checksum
            );
        }
        if dest.exists() {
            std::fs::remove_dir_all(&dest)?;
        }
        let prefix = format!(
            "{}-{}/{}/",
            self.package.name, self.package.version, self.package.root
        );
        let mut wanted: std::collections::BTreeMap<&str, &PinnedFile> =
            self.files.iter().map(|f| (f.path.as_str(), f)).collect();
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
        for entry in tar.entries()? {
            let mut entry = entry?;
            let path = entry.path()?.to_string_lossy().into_owned();
            let Some(rel) = path.strip_prefix(&prefix) else {
                continue;
            };
            let Some(pinned) = wanted.remove(rel) else {
                continue;
            };
            let mut content = Vec::new();
            entry.read_to_end(&mut content)?;
            let got = sha256_hex(&content);
            if got != pinned.sha256 {
                bail!(
                    "{rel}: SHA-256 {got} does not match the pinned {}",
                    pinned.sha256
                );
            }
            let out = dest.join(rel);
            std::fs::create_dir_all(out.parent().expect("file has a parent"))?;
            std::fs::write(out, content)?;
        }
        if let Some(missing) = wanted.keys().next() {
            bail!("pinned file {missing} is not in {}", archive.display());
        }
        for patch in &self.patches {
            self.apply(patch, &dest)?;
        }
        std::fs::write(&stamp, pin_hash)?;
        Ok(dest)
    }

    /// Where a patch file is (the pin file's directory is its root).
    pub fn patch_path(&self, patch: &Patch) -> PathBuf {
        self.pin_path
            .parent()
            .expect("the pin file has a directory")
            .join(&patch.patch)
    }

    fn apply(&self, patch: &Patch, tree: &Path) -> Result<()> {
        if !self.files.iter().any(|f| f.path == patch.target) {
            bail!(
                "patch {}: {} is not a pinned file",
                patch.patch,
                patch.target
            );
        }
        let diff = std::fs::read(self.patch_path(patch))?;
        let got = sha256_hex(&diff);
        if got != patch.sha256 {
            bail!(
                "patch {}: SHA-256 {got} does not match the pinned {}",
                patch.patch,
                patch.sha256
            );
        }
        let diff = String::from_utf8(diff)
            .map_err(|_| crate::Error(format!("patch {}: not UTF-8", patch.patch)))?;
        let file = tree.join(&patch.target);
        let original = std::fs::read_to_string(&file)?;
        let patched = apply_unified(&original, &diff)
            .map_err(|e| crate::Error(format!("patch {}: {e}", patch.patch)))?;
        let got = sha256_hex(patched.as_bytes());
        if got != patch.patched_sha256 {
            bail!(
                "patch {}: the patched {} has SHA-256 {got}, not the pinned {}",
                patch.patch,
                patch.target,
                patch.patched_sha256
            );
        }
        std::fs::write(&file, patched)?;
        Ok(())
    }

    /// Finds the `.crate` in cargo's cache, fetching it if it is not there.
    fn locate_crate(&self, layout: &Layout) -> Result<PathBuf> {
        if let Some(p) = self.find_in_cache() {
            return Ok(p);
        }
        let manifest = layout.root.join("third_party/wolfssl/fetch/Cargo.toml");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["fetch", "--locked", "--manifest-path"])
            .arg(&manifest)
            .env_remove("CARGO_TARGET_DIR")
            .status()?;
        if !status.success() {
            bail!("cargo fetch --manifest-path {} failed", manifest.display());
        }
        self.find_in_cache()
            .ok_or_else(|| crate::Error("fetched, but the .crate is not in cargo's cache".into()))
    }

    fn find_in_cache(&self) -> Option<PathBuf> {
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
        let file = format!("{}-{}.crate", self.package.name, self.package.version);
        let cache = home.join("registry/cache");
        std::fs::read_dir(cache)
            .ok()?
            .flatten()
            .map(|d| d.path().join(&file))
            .find(|p| p.is_file())
    }
}

/// Applies a unified diff of one file strictly: every hunk must start at the
/// line its header names (shifted only by the lines earlier hunks added or
/// removed) and its context and removed lines must match exactly.
pub fn apply_unified(original: &str, diff: &str) -> std::result::Result<String, String> {
    let old: Vec<&str> = original.split_inclusive('\n').collect();
    let mut out: Vec<String> = Vec::with_capacity(old.len());
    let mut next = 0; // first original line not yet copied
    let mut lines = diff.split_inclusive('\n').peekable();
    let mut hunks = 0;
    while let Some(line) = lines.next() {
        let Some(header) = line.strip_prefix("@@ -") else {
            if hunks > 0 && !line.starts_with("\\") {
                return Err(format!("unexpected line between hunks: {line:?}"));
            }
            continue; // the ---/+++ file header
        };
        hunks += 1;
        let start: usize = header
            .split([',', ' '])
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("bad hunk header {line:?}"))?;
        let at = start.saturating_sub(1);
        if at < next || at > old.len() {
            return Err(format!(
                "hunk {hunks} starts at line {start}, out of order or past the end"
            ));
        }
        out.extend(old[next..at].iter().map(|l| l.to_string()));
        next = at;
        while let Some(body) = lines.peek() {
            if body.starts_with("@@ ") {
                break;
            }
            let body = lines.next().expect("peeked");
            let (tag, text) = body.split_at(1);
            match tag {
                " " | "-" => {
                    if old.get(next) != Some(&text) {
                        return Err(format!("hunk {hunks}: line {} is not {text:?}", next + 1));
                    }
                    if tag == " " {
                        out.push(text.to_string());
                    }
                    next += 1;
                }
                "+" => out.push(text.to_string()),
                "\\" => {} // "\ No newline at end of file"
                _ => return Err(format!("hunk {hunks}: bad line {body:?}")),
            }
        }
    }
    if hunks == 0 {
        return Err("no hunk".into());
    }
    out.extend(old[next..].iter().map(|l| l.to_string()));
    Ok(out.concat())
}

#[cfg(test)]
mod tests {
    use super::apply_unified;

    const ORIGINAL: &str = "a\nb\nc\nd\ne\nf\n";

    #[test]
    fn applies_hunks_in_place() {
        let diff = "--- a/x\n+++ b/x\n@@ -2,2 +2,3 @@\n b\n-c\n+C\n+C2\n@@ -5,2 +6,1 @@\n e\n-f\n";
        assert_eq!(
            apply_unified(ORIGINAL, diff).unwrap(),
            "a\nb\nC\nC2\nd\ne\n"
        );
    }

    #[test]
    fn refuses_a_context_mismatch() {
        let diff = "@@ -2,2 +2,2 @@\n b\n-x\n+C\n";
        assert!(
            apply_unified(ORIGINAL, diff)
                .unwrap_err()
                .contains("line 3")
        );
    }

    #[test]
    fn refuses_a_hunk_at_another_line() {
        // The same change one line off: no offset search, no fuzz.
        let diff = "@@ -3,2 +3,2 @@\n b\n-c\n+C\n";
        assert!(apply_unified(ORIGINAL, diff).is_err());
    }

    #[test]
    fn refuses_an_empty_diff() {
        assert!(apply_unified(ORIGINAL, "--- a/x\n+++ b/x\n").is_err());
    }
}
