//! `svsm-acvp`: ACVP harness for the SVSM cryptographic module.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use svsm_acvp::module::CryptoModule;
use svsm_acvp::{baseline, capabilities, check, generate, run, standin};

const USAGE: &str = "\
usage: svsm-acvp capabilities
       svsm-acvp run FILE [-o OUT|-]   (default OUT: target/acvp/FILE-response.json)
       svsm-acvp generate [DIR]        (default DIR: target/acvp/generated)
       svsm-acvp check [DIR] [--expected DIR] [--no-generated] [--no-wycheproof]
                       [--baseline FILE] [--write-baseline] [--write-summary [DIR]]
           DIR: the NIST sample sets, holding vectors/ and expected/ (or the vectors
           folder itself); default $SVSM_ACVP_VECTORS, else ../shared/vectors/acvp
           beside the repository. Not found is reported, not a failure. The
           generated and Wycheproof sets always run (unless --no-...).
           --baseline: the guarded counts (default certification/acvp/baseline.json);
           --write-baseline rewrites it from this run; --write-summary writes
           summary.json/summary.md (default DIR target/acvp)
options (all commands):
       --module svsm|rustcrypto   module under test (default svsm; rustcrypto is a
                                  stand-in that only tests the harness itself)";

fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Where every default output goes: `target/acvp/` of the repository (or of
/// $CARGO_TARGET_DIR), never the working directory.
fn default_output_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
        .join("acvp")
}

/// Default vectors: $SVSM_ACVP_VECTORS, else shared/vectors/acvp beside the
/// repository (reported as not found when it is not there).
fn default_vectors() -> PathBuf {
    if let Some(p) = std::env::var_os("SVSM_ACVP_VECTORS") {
        return PathBuf::from(p);
    }
    let beside = repo_root().join("../shared/vectors/acvp");
    beside.canonicalize().unwrap_or(beside)
}

fn select_module(name: &str) -> Result<&'static dyn CryptoModule, String> {
    match name {
        "rustcrypto" => Ok(&standin::RustCryptoModule),
        "svsm" => svsm_acvp::shim::module(),
        other => Err(format!("unknown module \"{other}\" (svsm or rustcrypto)")),
    }
}

struct Args {
    positional: Vec<String>,
    out: Option<PathBuf>,
    vectors: Option<PathBuf>,
    expected: Option<PathBuf>,
    summary: Option<Option<PathBuf>>,
    module: String,
    generated: bool,
    wycheproof: bool,
    baseline: Option<PathBuf>,
    write_baseline: bool,
}

fn parse_args(raw: &[String]) -> Result<Args, String> {
    let mut a = Args {
        positional: Vec::new(),
        out: None,
        vectors: None,
        expected: None,
        summary: None,
        module: "svsm".into(),
        generated: true,
        wycheproof: true,
        baseline: None,
        write_baseline: false,
    };
    let mut it = raw.iter().peekable();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "-o" | "--output" => a.out = Some(value(arg)?.into()),
            "--vectors" => a.vectors = Some(value(arg)?.into()),
            "--expected" => a.expected = Some(value(arg)?.into()),
            "--module" => a.module = value(arg)?,
            "--no-generated" => a.generated = false,
            "--no-wycheproof" => a.wycheproof = false,
            "--baseline" => a.baseline = Some(value(arg)?.into()),
            "--write-baseline" => a.write_baseline = true,
            "--write-summary" => {
                let dir = match it.peek() {
                    Some(next) if !next.starts_with('-') => it.next().map(PathBuf::from),
                    _ => None,
                };
                a.summary = Some(dir);
            }
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ => a.positional.push(arg.clone()),
        }
    }
    Ok(a)
}

fn cmd_run(module: &dyn CryptoModule, args: &Args) -> Result<ExitCode, String> {
    let [_, file] = &args.positional[..] else {
        return Err("run needs exactly one FILE".into());
    };
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let doc = run::parse_document(&text, file).map_err(|e| e.to_string())?;
    let out = run::run_document(module, &doc, file).map_err(|e| e.to_string())?;
    for set in &out.sets {
        for s in &set.skipped {
            eprintln!(
                "not claimed: {} / group tgId {} ({} tests): {}",
                set.info.loc, s.tg_id, s.tests, s.reason
            );
        }
    }
    let text = serde_json::to_string_pretty(&out.response).map_err(|e| e.to_string())? + "\n";
    let path = match &args.out {
        Some(p) if p.as_os_str() == "-" => return write_stdout(&text).map(|()| ExitCode::SUCCESS),
        Some(p) => p.clone(),
        None => {
            let stem = Path::new(file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "vectors".into());
            default_output_dir().join(format!("{stem}-response.json"))
        }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("response written to {}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn cmd_check(module: &dyn CryptoModule, args: &Args) -> Result<ExitCode, String> {
    let vectors = match (&args.vectors, &args.positional[1..]) {
        (Some(v), []) => v.clone(),
        (None, [dir]) => PathBuf::from(dir),
        (None, []) => default_vectors(),
        _ => return Err("check takes one vectors DIR (positional or --vectors)".into()),
    };
    let vectors_dir = vectors.join("vectors");
    let (vdir, default_expected) = if vectors_dir.is_dir() {
        (vectors_dir, vectors.join("expected"))
    } else {
        (vectors.clone(), vectors.join("../expected"))
    };
    let expected = args.expected.clone().unwrap_or(default_expected);
    write_stdout(&format!(
        "module: {}\nvectors: {}\n",
        module.description(),
        vdir.display()
    ))?;
    let sets = check::Sets {
        shared: Some((&vdir, &expected)),
        generated: args.generated,
        wycheproof: args.wycheproof,
    };
    let report = check::check_all(module, &sets)?;
    write_stdout(&report.render())?;

    let baseline_path = args
        .baseline
        .clone()
        .unwrap_or_else(|| repo_root().join("certification/acvp/baseline.json"));
    let recorded = if baseline_path.exists() {
        baseline::load(&baseline_path)?
    } else if args.write_baseline {
        baseline::Baseline::new()
    } else {
        return Err(format!("{}: no baseline", baseline_path.display()));
    };
    let run = baseline::from_report(&report);
    let comparison = baseline::compare(&recorded, &run);
    write_stdout(&comparison.render())?;
    write_stdout(&report.closing_line())?;
    if args.write_baseline {
        if report.failed() > 0 {
            return Err("not writing the baseline: tests failed".into());
        }
        // Sets not run this time (e.g. the shared ones) keep their counts.
        let mut updated = recorded.clone();
        updated.extend(run);
        baseline::write(&updated, &baseline_path)?;
        eprintln!("baseline written to {}", baseline_path.display());
    }
    if let Some(dir) = &args.summary {
        let dir = dir.clone().unwrap_or_else(default_output_dir);
        check::write_summary(&report, module, &vdir, &dir)
            .map_err(|e| format!("writing the summary to {}: {e}", dir.display()))?;
        eprintln!("summary written to {}", dir.display());
    }
    let regressed = !comparison.regressions.is_empty() && !args.write_baseline;
    Ok(if report.failed() == 0 && !regressed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn cmd_generate(args: &Args) -> Result<ExitCode, String> {
    let dir = match &args.positional[1..] {
        [] => default_output_dir().join("generated"),
        [d] => PathBuf::from(d),
        _ => return Err("generate takes at most one DIR".into()),
    };
    let names = generate::write_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    write_stdout(&format!(
        "{} generated vector sets in {}/vectors and {}/expected\n",
        names.len(),
        dir.display(),
        dir.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&raw) {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("svsm-acvp: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match args.positional.first().map(String::as_str) {
        Some("capabilities") => {
            let reg = serde_json::json!([{ "acvVersion": "1.0" }, { "algorithms": capabilities::registration() }]);
            match serde_json::to_string_pretty(&reg) {
                Ok(s) => write_stdout(&format!("{s}\n")).map(|()| ExitCode::SUCCESS),
                Err(e) => Err(e.to_string()),
            }
        }
        Some("generate") => cmd_generate(&args),
        Some(cmd @ ("run" | "check")) => match select_module(&args.module) {
            Err(e) => Err(e),
            Ok(m) if cmd == "run" => cmd_run(m, &args),
            Ok(m) => cmd_check(m, &args),
        },
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("svsm-acvp: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Standard output that reports a closed pipe (`svsm-acvp ... | head`) as an
/// error instead of panicking like `print!`.
fn write_stdout(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing to standard output: {e}"))
}
