//! `svsm-igvm`: build the kernel's IGVM image, or measure any IGVM file.
//!
//! ```text
//! svsm-igvm build --kernel ELF --out FILE [--json FILE] [--policy HEX] [--vcpus N]
//! svsm-igvm measure FILE [--vcpus N] [--json FILE] [--pages FILE]
//! svsm-igvm check-kernel FILE --kernel ELF
//! svsm-igvm load FILE --out DIR [--memory-mib N] [--cmdline TEXT]
//! ```
//!
//! `build` writes the image and its report and refuses to finish unless our
//! digest equals the `igvm` crate's. `measure` reads any IGVM file and prints
//! its SEV-SNP launch digest; `--pages` writes the measured pages' contents
//! (list order) for the `sev-snp-measure` cross-check. `check-kernel` proves
//! that the file's kernel pages are the ELF's bytes, for every platform. `load`
//! is a test loader for stock QEMU (NATIVE only, [`svsm_igvm::load`]): it
//! writes the file's pages with filled parameter areas as raw runs, a shim
//! ELF entering the VP context, and `DIR/qemu-args` for `scripts/qemu-run.sh`. Exit status 0 on
//! success, 1 on a bad file or a disagreement, 2 on a usage error.

use std::process::ExitCode;

use svsm_igvm::{Analysis, analyse, elf, hex, image, report};

const USAGE: &str = "usage: svsm-igvm build --kernel ELF --out FILE [--json FILE] [--policy HEX] [--vcpus N]\n       svsm-igvm measure FILE [--vcpus N] [--json FILE] [--pages FILE]\n       svsm-igvm check-kernel FILE --kernel ELF\n       svsm-igvm load FILE --out DIR [--memory-mib N] [--cmdline TEXT]";

#[derive(Default)]
struct Args {
    positional: Vec<String>,
    kernel: Option<String>,
    out: Option<String>,
    json: Option<String>,
    pages: Option<String>,
    policy: Option<u64>,
    vcpus: Option<u16>,
    memory_mib: Option<u64>,
    cmdline: Option<String>,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut out = Args::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--kernel" => out.kernel = Some(value()?),
            "--out" => out.out = Some(value()?),
            "--json" => out.json = Some(value()?),
            "--pages" => out.pages = Some(value()?),
            "--policy" => {
                let v = value()?;
                let digits = v.trim_start_matches("0x");
                out.policy = Some(
                    u64::from_str_radix(digits, 16).map_err(|_| format!("bad --policy '{v}'"))?,
                );
            }
            "--cmdline" => out.cmdline = Some(value()?),
            "--memory-mib" => {
                let v = value()?;
                out.memory_mib = Some(
                    v.parse()
                        .ok()
                        .filter(|n| (16..=3072).contains(n))
                        .ok_or(format!("bad --memory-mib '{v}' (16..3072)"))?,
                );
            }
            "--vcpus" => {
                let v = value()?;
                out.vcpus = Some(
                    v.parse()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or(format!("bad --vcpus '{v}' (1..65535)"))?,
                );
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ => out.positional.push(arg.clone()),
        }
    }
    Ok(out)
}

fn read(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{path}: {e}"))
}

fn write(path: &str, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{path}: {e}"))
}

/// Prints the analysis and writes the report and page contents if asked.
fn publish(bytes: &[u8], a: &Analysis, vcpus: u16, args: &Args) -> Result<(), String> {
    let report = report::report(bytes, &a.platforms, &a.launch, vcpus, &a.digest);
    println!(
        "sha256:         {}",
        report["file_sha256"].as_str().unwrap_or_default()
    );
    println!(
        "platforms:      {}",
        a.platforms
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("snp policy:     {:#x}", a.launch.policy);
    println!("snp vcpus:      {vcpus}");
    println!("snp pages:      {}", a.launch.pages.len());
    println!("launch digest:  {}", hex(&a.digest));
    match &a.igvm_crate_digest {
        Ok(d) if vcpus == 1 && *d == a.digest => println!("igvm crate:     equal"),
        Ok(d) if vcpus == 1 => println!(
            "igvm crate:     DIFFERS: {} (it measures each VMSA where it stands in the file, ours at launch finish)",
            hex(d)
        ),
        Ok(_) => println!("igvm crate:     not compared (it measures one vCPU)"),
        Err(e) => println!("igvm crate:     cannot measure: {e}"),
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())? + "\n";
        write(path, text.as_bytes())?;
    }
    if let Some(path) = &args.pages {
        write(path, &report::page_contents(&a.launch))?;
    }
    Ok(())
}

fn build(args: &Args) -> Result<(), String> {
    let kernel = args.kernel.as_deref().ok_or("build needs --kernel ELF")?;
    let out = args.out.as_deref().ok_or("build needs --out FILE")?;
    let image = elf::load(&read(kernel)?).map_err(|e| format!("{kernel}: {e}"))?;
    let file = image::build(&image, args.policy.unwrap_or(image::DEFAULT_POLICY))
        .map_err(|e| format!("building the IGVM file: {e}"))?;
    let mut bytes = Vec::new();
    file.serialize(&mut bytes)
        .map_err(|e| format!("serializing the IGVM file: {e}"))?;
    let vcpus = args.vcpus.unwrap_or(1);
    // Read back what was written: the measurement is of the file, not of
    // the builder's idea of it.
    let analysis = analyse(&bytes, vcpus).map_err(|e| format!("the built file: {e}"))?;
    let single = analyse(&bytes, 1).map_err(|e| format!("the built file: {e}"))?;
    if single.igvm_crate_digest.as_ref().ok() != Some(&single.digest) {
        return Err(format!(
            "our SNP launch digest {} differs from the igvm crate's {:?}",
            hex(&single.digest),
            single.igvm_crate_digest.map(|d| hex(&d))
        ));
    }
    write(out, &bytes)?;
    println!("igvm:           {out}");
    publish(&bytes, &analysis, vcpus, args)
}

fn measure(args: &Args) -> Result<(), String> {
    let [path] = args.positional.as_slice() else {
        return Err(USAGE.into());
    };
    let bytes = read(path)?;
    let vcpus = args.vcpus.unwrap_or(1);
    let analysis = analyse(&bytes, vcpus).map_err(|e| format!("{path}: {e}"))?;
    publish(&bytes, &analysis, vcpus, args)
}

fn check_kernel(args: &Args) -> Result<(), String> {
    let [path] = args.positional.as_slice() else {
        return Err(USAGE.into());
    };
    let kernel = args
        .kernel
        .as_deref()
        .ok_or("check-kernel needs --kernel ELF")?;
    let image = elf::load(&read(kernel)?).map_err(|e| format!("{kernel}: {e}"))?;
    let file = svsm_igvm::inspect::parse(&read(path)?).map_err(|e| format!("{path}: {e}"))?;
    let pages = svsm_igvm::kernel_pages_match(&file, &image)?;
    println!("{path}: its {pages} kernel pages are {kernel}'s bytes, on every platform");
    Ok(())
}

fn load(args: &Args) -> Result<(), String> {
    let [path] = args.positional.as_slice() else {
        return Err(USAGE.into());
    };
    let dir = args.out.as_deref().ok_or("load needs --out DIR")?;
    let memory = args.memory_mib.unwrap_or(256) << 20;
    let loaded =
        svsm_igvm::load::native(&read(path)?, memory, args.cmdline.as_deref().unwrap_or(""))
            .map_err(|e| format!("{path}: {e}"))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
    let mut qemu_args = String::new();
    for (gpa, run) in &loaded.runs {
        let file = format!("{dir}/run-{gpa:#x}.bin");
        write(&file, run)?;
        qemu_args.push_str(&format!(
            "-device loader,file={file},addr={gpa:#x},force-raw=on\n"
        ));
    }
    write(&format!("{dir}/shim.elf"), &loaded.shim)?;
    write(&format!("{dir}/qemu-args"), qemu_args.as_bytes())?;
    println!(
        "{path}: {} runs of pages and {dir}/shim.elf (at {:#x}) for QEMU; arguments in {dir}/qemu-args",
        loaded.runs.len(),
        svsm_igvm::load::SHIM_ADDRESS
    );
    Ok(())
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = argv.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let args = match parse_args(rest) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("svsm-igvm: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match command.as_str() {
        "build" => build(&args),
        "measure" => measure(&args),
        "check-kernel" => check_kernel(&args),
        "load" => load(&args),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("svsm-igvm: {e}");
            ExitCode::FAILURE
        }
    }
}
