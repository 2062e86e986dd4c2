//! `make bench`: the SVSM crypto module against OpenSSL, RustCrypto, AWS-LC
//! (aws-lc-rs) and BoringSSL (ring) on this host, and the kernel's boot costs under QEMU (TCG).
//!
//! Usage: svsm-bench [--kernel ELF] [--boots N] [--no-qemu] [--quick]
//!                   [--samples N] [--sample-ms N] [--out DIR] [-v]
//!                   [--corrupt-check]
//!
//! `--corrupt-check` flips a bit of one module output during the agreement
//! check, to show that a disagreement stops the run (exit 1).
//! `--power-ons N` (default 31) sets how many fresh processes the power-on
//! self-tests are timed in; each is this program run with `--power-on-child`,
//! which powers the module on, prints its self-test times and exits.
//! Order of work: the implementations must agree on the same inputs
//! (else exit 1, nothing reported); then the host rows are timed; then the
//! kernel is booted; then the tables are printed and the JSON written to
//! target/bench/ (bench-<unix time>.json and latest.json).

mod host;
mod measure;
mod qemu;
mod report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::measure::Plan;

struct Args {
    kernel: Option<PathBuf>,
    boots: usize,
    plan: Plan,
    out: PathBuf,
    verbose: bool,
    corrupt: bool,
    power_ons: usize,
}

fn root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

fn usage() -> ! {
    eprintln!(
        "usage: svsm-bench [--kernel ELF] [--boots N] [--no-qemu] [--quick] \
         [--samples N] [--sample-ms N] [--out DIR] [-v] [--corrupt-check] [--power-ons N]"
    );
    std::process::exit(64)
}

fn parse_args() -> Args {
    let mut args = Args {
        kernel: Some(root().join("target/x86_64-unknown-none/release/svsm-kernel")),
        boots: 5,
        plan: Plan {
            sample: Duration::from_millis(10),
            samples: 31,
        },
        out: root().join("target/bench"),
        verbose: false,
        corrupt: false,
        power_ons: 31,
    };
    let mut it = std::env::args().skip(1);
    let number =
        |v: Option<String>| -> u64 { v.and_then(|s| s.parse().ok()).unwrap_or_else(|| usage()) };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--kernel" => args.kernel = Some(it.next().unwrap_or_else(|| usage()).into()),
            "--boots" => args.boots = number(it.next()) as usize,
            "--no-qemu" => args.kernel = None,
            "--quick" => {
                args.plan = Plan {
                    sample: Duration::from_millis(5),
                    samples: 5,
                };
                args.boots = 1;
                args.power_ons = 5;
            }
            "--samples" => args.plan.samples = (number(it.next()) as usize).max(1),
            "--sample-ms" => args.plan.sample = Duration::from_millis(number(it.next()).max(1)),
            "--out" => args.out = it.next().unwrap_or_else(|| usage()).into(),
            "-v" | "--verbose" => args.verbose = true,
            "--corrupt-check" => args.corrupt = true,
            "--power-ons" => args.power_ons = (number(it.next()) as usize).max(1),
            _ => usage(),
        }
    }
    args
}

/// CPU model, vendor/family/model and the flags that decide the crypto paths.
fn machine() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        cpuinfo
            .lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    let flags = field("flags").unwrap_or_default();
    let interesting = [
        "aes",
        "pclmulqdq",
        "vaes",
        "vpclmulqdq",
        "sha_ni",
        "avx",
        "avx2",
        "avx512f",
        "avx512vl",
        "bmi2",
        "adx",
        "rdrand",
        "rdseed",
    ];
    let present: Vec<&str> = interesting
        .iter()
        .copied()
        .filter(|f| flags.split_whitespace().any(|x| x == *f))
        .collect();
    json!({
        "cpu_model": field("model name"),
        "vendor_id": field("vendor_id"),
        "cpu_family": field("cpu family"),
        "model": field("model"),
        "logical_cpus": std::thread::available_parallelism().map(|n| n.get()).ok(),
        "crypto_flags": present,
    })
}

fn crate_versions() -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = env!("SVSM_BENCH_CRATE_VERSIONS")
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!(map)
}

/// SHA-256 of the object file next to the manifest (what `make crypto`
/// left on disk), to compare with the one linked in.
fn object_on_disk() -> (PathBuf, Option<String>) {
    let path = Path::new(svsm_crypto_object::MANIFEST_PATH)
        .parent()
        .map(|d| d.join("svsm-crypto.o"))
        .unwrap_or_default();
    let sha = std::fs::read(&path).ok().map(|bytes| {
        svsm_oracle::hash(svsm_oracle::HashAlg::Sha256, &bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    });
    (path, sha)
}

/// The 1-, 5- and 15-minute load averages: other work on the machine
/// inflates every figure, and this says how much there was.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The power-on self-tests timed in `count` fresh processes of this program.
fn power_ons(count: usize, tests: usize) -> Result<report::PowerOns, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut starts = report::PowerOns::default();
    for _ in 0..count {
        let out = std::process::Command::new(&exe)
            .arg("--power-on-child")
            .output()
            .map_err(|e| format!("{}: {e}", exe.display()))?;
        let line = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || starts.add(line.trim(), tests).is_none() {
            return Err(format!(
                "a power-on child failed ({}): {}{}",
                out.status,
                line.trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    Ok(starts)
}

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("--power-on-child") {
        let module = svsm_crypto::host::module();
        if module.state() != svsm_crypto::ModuleState::Operational {
            return ExitCode::from(1);
        }
        println!(
            "{}",
            report::power_on_line(&report::self_test_times(module))
        );
        return ExitCode::SUCCESS;
    }
    let args = parse_args();
    let started = Instant::now();
    let load_before = loadavg();
    let module = svsm_crypto::host::module();
    if module.state() != svsm_crypto::ModuleState::Operational {
        eprintln!(
            "svsm-bench: module not operational ({:?}, failed self-test {:?})",
            module.state(),
            module.failed_test().map(|t| t.key())
        );
        return ExitCode::from(1);
    }
    let fixture = match host::Fixture::new(module) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("svsm-bench: setting up the inputs failed: {e}");
            return ExitCode::from(1);
        }
    };

    eprintln!("svsm-bench: checking that module, OpenSSL, RustCrypto, AWS-LC and ring agree");
    let disagreements = host::check(&fixture, args.corrupt);
    if !disagreements.is_empty() {
        for d in &disagreements {
            eprintln!("  DISAGREE {d}");
        }
        eprintln!(
            "svsm-bench: {} disagreement(s); refusing to report timings",
            disagreements.len()
        );
        return ExitCode::from(1);
    }
    eprintln!(
        "  agreed: hashes, HMAC, HKDF, CTR_DRBG (with the model), AES-GCM (caller IV and module IV), ECDH, ECDSA cross-verification (P-384 keys as bytes and loaded, P-256), d*G"
    );

    eprintln!(
        "svsm-bench: timing on the host ({} samples of ~{} ms per implementation and row, interleaved)",
        args.plan.samples,
        args.plan.sample.as_millis()
    );
    let mut bench = host::Bench::new(args.plan, args.verbose);
    if let Err(e) = host::bench(&fixture, &mut bench) {
        eprintln!("svsm-bench: a module call failed while timing: {e}");
        return ExitCode::from(1);
    }
    let host_secs = started.elapsed().as_secs_f64();

    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("svsm-bench: cannot create {}: {e}", args.out.display());
        return ExitCode::from(1);
    }
    let boots = match &args.kernel {
        None => Vec::new(),
        Some(kernel) => {
            eprintln!("svsm-bench: booting {} under QEMU (TCG)", kernel.display());
            match qemu::boots(&root(), kernel, args.boots, &args.out) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("svsm-bench: {e}");
                    return ExitCode::from(1);
                }
            }
        }
    };

    let vtpm = match &args.kernel {
        None => None,
        Some(kernel) => match qemu::vtpm_boot(&root(), kernel, &args.out) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("svsm-bench: {e}");
                return ExitCode::from(1);
            }
        },
    };

    let load_after = loadavg();
    let self_tests = report::self_test_times(module);
    eprintln!(
        "svsm-bench: timing the power-on self-tests in {} fresh processes",
        args.power_ons
    );
    let starts = match power_ons(args.power_ons, self_tests.tests.len()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("svsm-bench: {e}");
            return ExitCode::from(1);
        }
    };
    let (object_path, object_sha) = object_on_disk();
    let cpu = machine();
    println!(
        "\nHost: {} ({} logical CPUs), OpenSSL: {}, module: {}",
        cpu["cpu_model"].as_str().unwrap_or("?"),
        cpu["logical_cpus"],
        openssl::version::version(),
        module.version()
    );
    println!("Object SHA-256 (linked): {}", svsm_crypto::OBJECT_SHA256);
    println!("Load average before/after: {load_before} / {load_after}");
    println!(
        "Cells: median per operation (throughput for sized rows) ± half the interquartile range; \
         ratios are peer time / module time (above 1: module faster); \
         mod/fastest is the smallest of them; (*) module slower than the fastest peer.\n"
    );
    print!("{}", report::host_table(&bench.rows));
    println!();
    print!("{}", report::self_test_table(&self_tests, &starts));
    if let Some(v) = &vtpm {
        println!();
        print!("{}", report::vtpm_table(v));
    }
    if !boots.is_empty() {
        println!();
        print!("{}", report::qemu_table(&boots));
    }

    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let record = json!({
        "schema": "svsm-bench/1",
        "unix_time": unix,
        "machine": cpu,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "versions": {
            "openssl": openssl::version::version(),
            "openssl_number": format!("{:#x}", openssl::version::number()),
            "crates": crate_versions(),
            "rustc": env!("SVSM_BENCH_RUSTC"),
            "module": module.version(),
            "object_sha256_linked": svsm_crypto::OBJECT_SHA256,
            "object_sha256_on_disk": object_sha,
            "object_path": object_path,
        },
        "plan": {
            "sample_ms": args.plan.sample.as_secs_f64() * 1e3,
            "samples": args.plan.samples,
            "order": "interleaved: repetition r runs one sample of each implementation, starting at index r mod (implementations in the row)",
        },
        "agreement": "passed",
        "methods": {
            "module": "svsm-crypto.o through the svsm-crypto shim (host feature): AES-GCM seal_with_iv/open on a loaded key; hash; hmac and hkdf one-shot (key per call); ECC with keys passed as bytes on every call, except the rows for a key used repeatedly (Module::ecc_load_public_key once, then LoadedPublicKey::ecdsa_verify_digest / ecdh); Drbg::generate on an instance",
            "openssl": "libcrypto through the openssl crate: EVP_CIPHER_CTX with the key set once, IV reset per call; SHA256()/SHA384()/SHA512() one-shot; HMAC through EVP_DigestSign (Signer) per call with a prepared PKey; HKDF through EVP_PKEY_CTX per call; ECDSA_do_sign/ECDSA_do_verify on a prepared EC_KEY; ECDH through EVP_PKEY_derive (peer set per call); RAND_bytes",
            "aws-lc": "AWS-LC through aws-lc-rs (default features: aws-lc-sys built by its cc builder, non-FIPS build of the same code): aead::LessSafeKey set up once, seal in place (input first copied into the output buffer), open from one buffer into another (open_separate_gather); digest::digest; hmac::sign with hmac::Key::new per call; hkdf Salt/extract/expand per call; EcdsaKeyPair::sign_digest and UnparsedPublicKey::verify_digest (point parsed and checked per call); agreement::agree with a static PrivateKey and the peer's point parsed per call; EcdsaKeyPair::generate; rand::SystemRandom (RAND_bytes, CTR_DRBG AES-256). Its code paths are chosen at run time from CPUID (OPENSSL_ia32cap): see machine.crypto_flags",
            "ring": "BoringSSL-derived ring: the same calls as aws-lc-rs where it has them (open in place after a copy); ECDSA signs and verifies the 1 KiB message whose SHA-384 is the digest (no prehash API), keygen through generate_pkcs8, no static-key ECDH (row left empty), random bytes from SystemRandom (the OS getrandom, not an SP 800-90A DRBG). Code paths chosen at run time from CPUID",
            "rustcrypto": "aes-gcm (in place: the input is first copied into the output buffer), sha2, hmac, hkdf one-shot through svsm-oracle (the same calls its agreement answers come from), p384 (RFC 6979 signing on a prepared SigningKey, prehash verify on a prepared VerifyingKey, ecdh::diffie_hellman), rand_chacha ChaCha20Rng for random bytes (not an SP 800-90A DRBG)",
        },
        "host": report::host_json(&bench.rows),
        "host_seconds": host_secs,
        "host_self_tests": report::self_test_json(&self_tests, &starts),
        "qemu": if boots.is_empty() { serde_json::Value::Null } else { report::qemu_json(&boots) },
        "vtpm": vtpm.as_ref().map(report::vtpm_json),
        "host_table_markdown": report::host_table(&bench.rows),
        "qemu_table_markdown": if boots.is_empty() { None } else { Some(report::qemu_table(&boots)) },
    });
    let text = serde_json::to_string_pretty(&record).unwrap_or_default();
    for name in [format!("bench-{unix}.json"), "latest.json".to_string()] {
        let path = args.out.join(name);
        if let Err(e) = std::fs::write(&path, &text) {
            eprintln!("svsm-bench: cannot write {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    println!(
        "\nJSON: {} (also latest.json); total {:.0} s",
        args.out.join(format!("bench-{unix}.json")).display(),
        started.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}
