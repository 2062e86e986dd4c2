//! `ld -r` into one section, then every symbol but the API made local.
//!
//! `crypto-c/module.ld` lays the single output section out as: every constant
//! byte (the hashed range, between two marker symbols), then from a page
//! boundary the writable data. Every reference from code to data is then
//! intra-section, so the bytes in the hashed range do not depend on where the
//! final link puts the object.

use crate::compile::run_capture;
use crate::manifest::Boundary;
use crate::{Layout, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Linked {
    pub object: PathBuf,
    pub exports: Vec<String>,
}

pub fn link(
    layout: &Layout,
    objects: &[PathBuf],
    out: &Path,
    boundary: &Boundary,
) -> Result<Linked> {
    let combined = out.join("svsm-crypto.combined.o");
    run_capture(
        Command::new("ld")
            .arg("-r")
            .arg("-T")
            .arg(layout.crypto_c.join("module.ld"))
            .arg("-o")
            .arg(&combined)
            .args(objects),
    )?;

    let mut exports = api_functions(&layout.crypto_c.join("include/svsm_crypto.h"))?;
    exports.extend(boundary.module.markers.iter().cloned());
    exports.sort();
    let list = out.join("exports.txt");
    std::fs::write(&list, exports.join("\n") + "\n")?;
    let localized = out.join("svsm-crypto.localized.o");
    run_capture(
        Command::new("objcopy")
            .arg(format!("--keep-global-symbols={}", list.display()))
            .arg("--remove-section=.comment")
            .arg(&combined)
            .arg(&localized),
    )?;
    std::fs::remove_file(&combined)?;
    Ok(Linked {
        object: localized,
        exports,
    })
}

/// Every function the header exports (declared with `SVSM_CRYPTO_API`).
pub fn api_functions(header: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(header)?;
    let mut names = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("SVSM_CRYPTO_API ")) {
        let Some(paren) = line.find('(') else {
            bail!("API declaration must name its function on one line: {line}");
        };
        let name = line[..paren]
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or_default();
        if !name.starts_with("svsm_crypto_") {
            bail!("API function without the svsm_crypto_ prefix: {line}");
        }
        names.push(name.to_string());
    }
    if names.is_empty() {
        bail!("no SVSM_CRYPTO_API functions in {}", header.display());
    }
    Ok(names)
}

/// `libsvsm_crypto.a` holding exactly the object, byte for byte.
pub fn archive(object: &Path, archive: &Path) -> Result<()> {
    let tmp = archive.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    run_capture(Command::new("ar").arg("rcD").arg(&tmp).arg(object))?;
    std::fs::rename(&tmp, archive)?;
    Ok(())
}
