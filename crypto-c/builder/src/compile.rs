//! Freestanding compilation of the module's C and the pinned wolfCrypt files.
//!
//! Every unit is compiled with the same base flags (no libc headers, no
//! builtins reaching outside, position-independent code with hidden
//! visibility so that no GOT or PLT entry is ever needed). Objects are cached
//! by a hash of their flags and of every input they can include, so a BREAK
//! variant recompiles only the self-test file.

use crate::boundary::{Boundary, ConditionalBreak};
use crate::header::Header;
use crate::pin::Pin;
use crate::{Layout, Result, bail, sha256_hex};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The C compiler, as the `cc` crate finds it: `CC`, `CFLAGS` and their
/// target-prefixed forms (`CC_x86_64_unknown_linux_gnu`, `TARGET_CC`, ...)
/// are honoured, and a cross compiler is picked on a non-x86_64 host.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The compiler program (a wrapper such as ccache is not recorded).
    pub cc: String,
    /// First line of `cc --version`.
    pub version: String,
    /// Arguments `cc` configures (from `CFLAGS`); they come before the
    /// module's own flags, which therefore win.
    pub args: Vec<String>,
    /// Environment the compiler runs with (`LC_ALL=C` from `cc`).
    env: Vec<(std::ffi::OsString, std::ffi::OsString)>,
    pub builtin_include: PathBuf,
}

/// The module is x86_64 code for the System V ABI whichever Rust target links
/// it (the host tests and the bare-metal kernel link the same bytes), so the
/// C target is fixed; the freestanding flags of [`Plan`] do the rest.
pub const C_TARGET: &str = "x86_64-unknown-linux-gnu";

impl Toolchain {
    pub fn detect() -> Result<Toolchain> {
        let host = std::env::var("HOST").unwrap_or_else(|_| {
            format!(
                "{}-unknown-{}-gnu",
                std::env::consts::ARCH,
                std::env::consts::OS
            )
        });
        let tool = cc::Build::new()
            .target(C_TARGET)
            .host(&host)
            .opt_level(2)
            .debug(false)
            .no_default_flags(true)
            // `cc`'s warning choice, stated so that it does not depend on
            // whether CFLAGS is set; the module's own units add -Werror.
            .warnings(true)
            .extra_warnings(false)
            .inherit_rustflags(false)
            .inherit_trim_paths(false)
            // Only the compiler is asked for: nothing for cargo to link, but
            // a build script learns which variables to rerun on.
            .cargo_warnings(false)
            .try_get_compiler()
            .map_err(|e| crate::Error(format!("no C compiler for {C_TARGET}: {e}")))?;
        let args: Vec<String> = tool
            .args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let toolchain = Toolchain {
            cc: tool.path().display().to_string(),
            version: String::new(),
            args,
            env: tool
                .get_envs()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            builtin_include: PathBuf::new(),
        };
        let version = run_capture(toolchain.command().arg("--version"))?
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        let include = run_capture(toolchain.command().arg("-print-file-name=include"))?;
        Ok(Toolchain {
            version,
            builtin_include: PathBuf::from(include.trim()),
            ..toolchain
        })
    }

    /// The compiler with its environment, without arguments.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.cc);
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }
}

pub fn run_capture(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .map_err(|e| crate::Error(format!("cannot run {cmd:?}: {e}")))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Which flag set a unit gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnitKind {
    /// The module's own C: strict warnings, general-purpose registers only.
    ModuleC,
    /// The module's mem*/str* routines: also no loop-to-call idioms.
    ModuleFreestanding,
    /// wolfCrypt C without SIMD intrinsics.
    WolfC,
    /// wolfCrypt's aes.c, which uses AES-NI/PCLMUL intrinsics.
    WolfAesIntrinsics,
    /// wolfCrypt x86_64 assembly.
    WolfAsm,
}

#[derive(Debug, Clone)]
pub struct Unit {
    /// Path as recorded in the manifest (relative to its tree).
    pub display: String,
    pub source: PathBuf,
    pub kind: UnitKind,
    pub extra_defines: Vec<String>,
}

/// A BREAK that is compiled in (the others change the sealed object).
#[derive(Clone, Copy, Debug)]
pub enum CompiledBreak<'a> {
    /// The power-on self-test with this id gets a corrupted KAT input.
    Kat(&'a str),
    /// The conditional self-test is made to fail in its source.
    Conditional(&'a ConditionalBreak),
}

pub struct Plan {
    pub units: Vec<Unit>,
    pub base_flags: Vec<String>,
    /// Flags after each unit's own, by unit kind (a fuzzing variant's
    /// sanitizers; none for the module).
    trailing_flags: Vec<(UnitKind, String)>,
    /// Flags left out (ones the variant's compiler does not know).
    dropped_flags: Vec<String>,
    toolchain: Toolchain,
    cache_dir: PathBuf,
    headers_hash: String,
    header_inputs: Vec<PathBuf>,
    wolf_dir: PathBuf,
}

impl Plan {
    pub fn new(
        layout: &Layout,
        boundary: &Boundary,
        wolf: &Pin,
        wolf_dir: &Path,
        toolchain: &Toolchain,
        compiled_break: Option<CompiledBreak<'_>>,
        api: &Header,
    ) -> Result<Plan> {
        let c = &layout.crypto_c;
        let mut units = Vec::new();
        for src in &boundary.sources.files {
            let kind = if Some(src) == boundary.sources.freestanding.as_ref() {
                UnitKind::ModuleFreestanding
            } else {
                UnitKind::ModuleC
            };
            let mut extra_defines = Vec::new();
            let kat_break = match compiled_break {
                Some(CompiledBreak::Kat(id)) if src == &boundary.sources.self_tests => Some(id),
                _ => None,
            };
            if let Some(id) = kat_break {
                let t = api
                    .self_test(id)
                    .ok_or_else(|| crate::Error(format!("unknown self-test {id}")))?;
                extra_defines.push(format!(
                    "SVSM_CRYPTO_BREAK_TEST=SVSM_CRYPTO_TEST_{}",
                    t.symbol
                ));
            }
            if let Some(CompiledBreak::Conditional(b)) = compiled_break
                && &b.source == src
            {
                extra_defines.push(b.define());
            }
            units.push(Unit {
                display: format!("crypto-c/{src}"),
                source: c.join(src),
                kind,
                extra_defines,
            });
        }
        for f in wolf.compiled_files() {
            let kind = if f.path.ends_with(".S") {
                UnitKind::WolfAsm
            } else if f.path.ends_with("/aes.c") {
                UnitKind::WolfAesIntrinsics
            } else {
                UnitKind::WolfC
            };
            units.push(Unit {
                display: format!("wolfssl/{}", f.path),
                source: wolf_dir.join(&f.path),
                kind,
                extra_defines: Vec::new(),
            });
        }

        let root = layout.root.display().to_string();
        let module_flags = [
            "-std=gnu11",
            "-O2",
            "-g0",
            "-ffreestanding",
            "-nostdinc",
            "-isystem",
            &toolchain.builtin_include.display().to_string(),
            "-fPIE",
            "-fvisibility=hidden",
            "-include",
            &c.join("config/visibility.h").display().to_string(),
            "-fno-stack-protector",
            "-fno-common",
            "-fno-asynchronous-unwind-tables",
            "-fno-unwind-tables",
            "-fno-ident",
            "-fcf-protection=none",
            "-mno-red-zone",
            &format!("-ffile-prefix-map={}/=wolfssl/", wolf_dir.display()),
            &format!("-ffile-prefix-map={root}/=./"),
            "-D_LIBC_LIMITS_H_",
            "-U__linux__",
            "-U__linux",
            "-Ulinux",
            "-U__unix__",
            "-U__unix",
            "-Uunix",
            "-U__gnu_linux__",
            "-DHAVE___UINT128_T",
            "-DWOLFSSL_USER_SETTINGS",
            &format!(
                "-DSVSM_CRYPTO_MODULE_NAME_VERSION=\"{} {}\"",
                boundary.module.name, boundary.module.version
            ),
            "-I",
            &c.join("config").display().to_string(),
            "-I",
            &c.join("include").display().to_string(),
            "-I",
            &wolf_dir.display().to_string(),
        ];
        let base_flags: Vec<String> = toolchain
            .args
            .iter()
            .cloned()
            .chain(module_flags.iter().map(|s| s.to_string()))
            .collect();

        // Everything a unit can include: our headers and the pinned upstream
        // files (their hashes are in the pin file).
        let mut header_inputs = Vec::new();
        for dir in ["include", "config", "src"] {
            for e in std::fs::read_dir(c.join(dir))? {
                let p = e?.path();
                if p.extension().is_some_and(|x| x == "h") {
                    header_inputs.push(p);
                }
            }
        }
        header_inputs.sort();
        let mut h = Sha256::new();
        for p in &header_inputs {
            h.update(
                p.strip_prefix(&layout.root)
                    .unwrap_or(p)
                    .display()
                    .to_string(),
            );
            h.update(std::fs::read(p)?);
        }
        h.update(std::fs::read(&wolf.pin_path)?);
        h.update(&toolchain.version);
        let headers_hash = hex::encode(h.finalize());

        Ok(Plan {
            units,
            base_flags,
            trailing_flags: Vec::new(),
            dropped_flags: Vec::new(),
            toolchain: toolchain.clone(),
            cache_dir: layout.base_out.join("obj-cache"),
            headers_hash,
            header_inputs,
            wolf_dir: wolf_dir.to_path_buf(),
        })
    }

    /// Appends `flags` to the flags of every unit of the given kinds, after
    /// the module's own (so they win). Only for variants that are not the
    /// module (the fuzzing variant); the object cache keys on the flags.
    pub fn append_flags(&mut self, kinds: &[UnitKind], flags: &[&str]) {
        for kind in kinds {
            self.trailing_flags
                .extend(flags.iter().map(|f| (*kind, f.to_string())));
        }
    }

    /// Leaves `flags` out of every unit's flags; same use as
    /// [`Plan::append_flags`].
    pub fn drop_flags(&mut self, flags: &[&str]) {
        self.dropped_flags
            .extend(flags.iter().map(|f| f.to_string()));
    }

    pub fn flags_for(&self, unit: &Unit) -> Vec<String> {
        let mut f = self.base_flags.clone();
        let extra: &[&str] = match unit.kind {
            UnitKind::ModuleC => &["-Wall", "-Wextra", "-Werror", "-mgeneral-regs-only"],
            UnitKind::ModuleFreestanding => &[
                "-Wall",
                "-Wextra",
                "-Werror",
                "-mgeneral-regs-only",
                "-fno-builtin",
                "-fno-tree-loop-distribute-patterns",
            ],
            UnitKind::WolfC => &["-mgeneral-regs-only"],
            UnitKind::WolfAesIntrinsics => {
                &["-msse4.1", "-maes", "-mpclmul", "-D_MM_MALLOC_H_INCLUDED"]
            }
            UnitKind::WolfAsm => &["-Wa,--noexecstack"],
        };
        f.extend(extra.iter().map(|s| s.to_string()));
        f.extend(unit.extra_defines.iter().map(|d| format!("-D{d}")));
        f.extend(
            self.trailing_flags
                .iter()
                .filter(|(kind, _)| *kind == unit.kind)
                .map(|(_, flag)| flag.clone()),
        );
        f.retain(|flag| !self.dropped_flags.contains(flag));
        f
    }

    /// Flags per unit kind, with machine-specific paths made relative, for the manifest.
    pub fn flag_summary(&self, root: &Path) -> Vec<(UnitKind, Vec<String>)> {
        let kinds = [
            UnitKind::ModuleC,
            UnitKind::ModuleFreestanding,
            UnitKind::WolfC,
            UnitKind::WolfAesIntrinsics,
            UnitKind::WolfAsm,
        ];
        let root = format!("{}/", root.display());
        let wolf = self.wolf_dir.display().to_string();
        let builtin = self.toolchain.builtin_include.display().to_string();
        kinds
            .iter()
            .filter_map(|k| {
                let unit = self.units.iter().find(|u| u.kind == *k)?;
                let mut u = unit.clone();
                u.extra_defines.clear();
                let flags = self
                    .flags_for(&u)
                    .into_iter()
                    .map(|f| {
                        f.replace(&builtin, "<cc-builtin-include>")
                            .replace(&wolf, "<wolfssl>")
                            .replace(&format!("={root}="), "=<root>/=")
                            .replace(&root, "")
                    })
                    .collect();
                Some((*k, flags))
            })
            .collect()
    }

    fn cached_object(&self, unit: &Unit, flags: &[String]) -> Result<PathBuf> {
        let mut h = Sha256::new();
        for f in flags {
            h.update(f);
            h.update([0]);
        }
        h.update(&self.headers_hash);
        h.update(std::fs::read(&unit.source)?);
        let key = &hex::encode(h.finalize())[..24];
        // `ld -r` names an object without a FILE symbol after its basename,
        // so the basename must not carry the key (the key holds paths).
        // module.ld matches the assembly units by it (`*_S.o`).
        let stem = unit.display.replace(['/', '.'], "_");
        Ok(self.cache_dir.join(key).join(format!("{stem}.o")))
    }

    /// Compiles every unit (two at a time per core), returning objects in plan order.
    pub fn compile_all(&self) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(&self.cache_dir)?;
        let jobs: Vec<(&Unit, Vec<String>, PathBuf)> = self
            .units
            .iter()
            .map(|u| {
                let flags = self.flags_for(u);
                let obj = self.cached_object(u, &flags)?;
                Ok((u, flags, obj))
            })
            .collect::<Result<_>>()?;
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let next = std::sync::atomic::AtomicUsize::new(0);
        let errors = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((unit, flags, obj)) = jobs.get(i) else {
                            break;
                        };
                        if obj.is_file() {
                            continue;
                        }
                        if let Err(e) = self.compile_one(unit, flags, obj) {
                            errors.lock().expect("no panics while held").push(e.0);
                        }
                    }
                });
            }
        });
        let errors = errors.into_inner().expect("threads joined");
        if !errors.is_empty() {
            bail!("compilation failed:\n{}", errors.join("\n"));
        }
        Ok(jobs.into_iter().map(|(_, _, o)| o).collect())
    }

    fn compile_one(&self, unit: &Unit, flags: &[String], obj: &Path) -> Result<()> {
        let dir = obj.parent().expect("cache entries live in a key directory");
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!("tmp{}.o", std::process::id()));
        run_capture(
            self.toolchain
                .command()
                .args(flags)
                .arg("-c")
                .arg(&unit.source)
                .arg("-o")
                .arg(&tmp),
        )?;
        std::fs::rename(&tmp, obj)?;
        Ok(())
    }

    /// Source files and headers this plan read.
    pub fn inputs(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = self.units.iter().map(|u| u.source.clone()).collect();
        v.extend(self.header_inputs.iter().cloned());
        v
    }

    pub fn source_hashes(&self) -> Result<Vec<(String, String)>> {
        self.units
            .iter()
            .map(|u| Ok((u.display.clone(), sha256_hex(&std::fs::read(&u.source)?))))
            .collect()
    }
}
