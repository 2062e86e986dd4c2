//! `ld -r` into one section, then every symbol but the API made local.
//!
//! `crypto-c/module.ld` lays the single output section out as: every constant
//! byte (the hashed range, between two marker symbols), then from a page
//! boundary the writable data. Every reference from code to data is then
//! intra-section, so the bytes in the hashed range do not depend on where the
//! final link puts the object.

use crate::boundary::Boundary;
use crate::compile::run_capture;
use crate::header::Header;
use crate::{Layout, Result};
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
    api: &Header,
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

    let mut exports = api.function_names();
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

/// `libsvsm_crypto.a` holding exactly the object, byte for byte.
pub fn archive(object: &Path, archive: &Path) -> Result<()> {
    let tmp = archive.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    run_capture(Command::new("ar").arg("rcD").arg(&tmp).arg(object))?;
    std::fs::rename(&tmp, archive)?;
    Ok(())
}
