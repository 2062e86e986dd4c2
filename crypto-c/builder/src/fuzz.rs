//! The fuzzing variant of the module: the same sources and flags as the
//! module (steps 1 and 2: [`crate::pin`], [`crate::compile`]), compiled again
//! by clang with libFuzzer's coverage hooks, AddressSanitizer and
//! UndefinedBehaviorSanitizer, and archived as they are: no `ld -r` into one
//! section (the sanitizers' metadata sections must stay apart), no sealing,
//! no integrity value. It is not the certified object and never replaces it.
//!
//! What the host program (tools/fuzz/c/module_api.c) must provide instead of
//! the module's link:
//! * the markers `svsm_crypto_text_start` and `svsm_crypto_text_end` around
//!   the bytes the integrity test hashes (module.ld defines them in the
//!   module), and
//! * the expected integrity value: the archive's integrity unit has
//!   `svsm_integrity_key` and `svsm_integrity_expected` made global, so the
//!   program computes the HMAC of its range and stores it before
//!   `svsm_crypto_init`; the integrity test then runs as in the module.
//!
//! The module's own memcpy, memmove, memset and memcmp (freestanding.c) are
//! renamed away, so every call reaches the C library's, which
//! AddressSanitizer checks.

use crate::compile::{Plan, Toolchain, UnitKind, run_capture};
use crate::{Layout, Options, Result, bail, boundary, header, pin};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Sanitizers of every C unit (the assembly units cannot have them).
pub const SANITIZE: &[&str] = &[
    "-fsanitize=fuzzer-no-link,address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
    "-g",
    // The module's warnings are enforced by its own (gcc) build; clang's
    // differ (e.g. designated initializers and -Wmissing-field-initializers).
    "-Wno-error",
];

/// gcc-only flags of the module's build that clang refuses.
const GCC_ONLY: &[&str] = &["-fno-tree-loop-distribute-patterns"];

/// The module's C library routines, renamed so the C library's are used.
const RENAMED: [&str; 4] = ["memcpy", "memmove", "memset", "memcmp"];

/// Symbols of the integrity unit the host program needs (see the module doc).
pub const INTEGRITY_SYMBOLS: [&str; 2] = ["svsm_integrity_key", "svsm_integrity_expected"];

/// Builds `libsvsm_crypto_fuzz.a` in `out` with the C compiler `cc` finds
/// (`CC`; it must be clang) and returns its path.
pub fn build(opts: &Options, out: &Path) -> Result<PathBuf> {
    let layout = Layout::new(opts);
    let boundary = boundary::Boundary::load(&layout.crypto_c.join("boundary.toml"))?;
    let api = header::Header::load(&layout.crypto_c.join("include/svsm_crypto.h"))?;
    let wolf = pin::Pin::load(&layout.root.join("third_party/wolfssl/wolfssl.toml"))?;
    let wolf_dir = wolf.materialize(&layout)?;
    let toolchain = Toolchain::detect()?;
    if !toolchain.version.contains("clang") {
        bail!(
            "the fuzzing variant needs clang (CC=clang-14), found {}",
            toolchain.version
        );
    }
    let mut plan = Plan::new(&layout, &boundary, &wolf, &wolf_dir, &toolchain, None, &api)?;
    let c_units = [
        UnitKind::ModuleC,
        UnitKind::ModuleFreestanding,
        UnitKind::WolfC,
        UnitKind::WolfAesIntrinsics,
    ];
    plan.append_flags(&c_units, SANITIZE);
    plan.drop_flags(GCC_ONLY);
    let renames: Vec<String> = RENAMED
        .iter()
        .map(|f| format!("-D{f}=svsm_fuzz_unused_{f}"))
        .collect();
    let renames: Vec<&str> = renames.iter().map(String::as_str).collect();
    plan.append_flags(&[UnitKind::ModuleFreestanding], &renames);
    let objects = plan.compile_all()?;

    std::fs::create_dir_all(out)?;
    let mut members = Vec::new();
    for (unit, object) in plan.units.iter().zip(&objects) {
        if unit.display.ends_with("/integrity.c") {
            let exposed = out.join("integrity-exposed.o");
            let mut objcopy = Command::new("objcopy");
            for symbol in INTEGRITY_SYMBOLS {
                objcopy.arg(format!("--globalize-symbol={symbol}"));
            }
            run_capture(objcopy.arg(object).arg(&exposed))?;
            members.push(exposed);
        } else {
            members.push(object.clone());
        }
    }
    let archive = out.join("libsvsm_crypto_fuzz.a");
    let tmp = archive.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    run_capture(Command::new("ar").arg("rcs").arg(&tmp).args(&members))?;
    std::fs::rename(&tmp, &archive)?;
    Ok(archive)
}
