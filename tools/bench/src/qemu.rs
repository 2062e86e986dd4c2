//! The kernel's costs under QEMU (TCG): boots the kernel a few times through
//! scripts/qemu-run.sh and reads its console log.
//!
//! The console reports the TSC frequency, each power-on self-test with its
//! time (TSC ticks converted to microseconds by the kernel), and the time
//! from the first kernel instruction to ready. Cycle figures here are those
//! microseconds times the reported TSC MHz.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The firmware QEMU starts before the kernel (scripts/qemu-run.sh FIRMWARE).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Firmware {
    /// qboot.rom: what `make run` uses; silent, boots PVH directly.
    #[default]
    Qboot,
    /// QEMU's default BIOS, with its banner and option ROMs: the "before".
    Seabios,
}

impl Firmware {
    pub const ALL: [Firmware; 2] = [Firmware::Qboot, Firmware::Seabios];

    /// The value scripts/qemu-run.sh takes in FIRMWARE.
    pub fn script_name(self) -> &'static str {
        match self {
            Firmware::Qboot => "qboot",
            Firmware::Seabios => "seabios",
        }
    }
}

/// What one boot's console says.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Boot {
    pub firmware: Firmware,
    /// Wall-clock time from starting QEMU (through scripts/qemu-run.sh) to
    /// its exit, measured here.
    pub start_to_exit_us: Option<u64>,
    pub tsc_mhz: Option<f64>,
    pub boot_us: Option<u64>,
    /// Console timestamp (µs since the first instruction) of the line that
    /// reports the crypto module operational.
    pub operational_us: Option<u64>,
    /// SHA-256 of the crypto object linked into the kernel, as it reports.
    pub object_sha256: Option<String>,
    /// (key, name, result, microseconds) in run order.
    pub self_tests: Vec<SelfTest>,
    /// TSC cycles of one QUERY_PROTOCOL call from the ring-3 guest harness
    /// (the median the harness prints).
    pub round_trip_cycles: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SelfTest {
    pub key: String,
    pub name: String,
    pub result: String,
    pub us: u64,
}

impl Boot {
    pub fn self_test_total_us(&self) -> u64 {
        self.self_tests.iter().map(|t| t.us).sum()
    }
}

/// Text after the first occurrence of `marker`, if any.
fn after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).map(|i| &line[i + marker.len()..])
}

/// Parses a console log.
pub fn parse(log: &str) -> Boot {
    let mut boot = Boot::default();
    for line in log.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(rest) = after(line, "INFO  TSC: ") {
            boot.tsc_mhz = rest.split_whitespace().next().and_then(|v| v.parse().ok());
        } else if line.contains("crypto: module state Operational") {
            boot.operational_us = timestamp_us(line);
        } else if let Some(rest) = after(line, "crypto: object SHA-256 ") {
            boot.object_sha256 = rest.split_whitespace().next().map(str::to_string);
        } else if let Some(rest) = after(line, "boot time: ") {
            boot.boot_us = rest
                .strip_suffix(" us from first instruction to ready")
                .and_then(|v| v.trim().parse().ok());
        } else if let Some(test) = after(line, "crypto: self-test ").and_then(parse_self_test) {
            boot.self_tests.push(test);
        } else if let Some(rest) = after(line, "harness: QUERY_PROTOCOL round trip: ") {
            boot.round_trip_cycles = rest.split_whitespace().next().and_then(|v| v.parse().ok());
        }
    }
    boot
}

/// The `[  12.345 ms]` prefix of a console line, in µs.
fn timestamp_us(line: &str) -> Option<u64> {
    let inside = after(line, "[")?;
    let ms: f64 = inside.split_once(" ms]")?.0.trim().parse().ok()?;
    Some((ms * 1000.0).round() as u64)
}

/// `  1  hmac-sha256-kat    HMAC-SHA-256 KAT (...) PASS        2663 us`
fn parse_self_test(rest: &str) -> Option<SelfTest> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    if words.len() < 6 || words[0].parse::<u32>().is_err() || words[words.len() - 1] != "us" {
        return None;
    }
    let n = words.len();
    Some(SelfTest {
        key: words[1].to_string(),
        name: words[2..n - 3].join(" "),
        result: words[n - 3].to_string(),
        us: words[n - 2].parse().ok()?,
    })
}

/// Boots `kernel` `count` times with each firmware, interleaved; logs go to
/// `log_dir`. A boot that does not reach ready is an error.
pub fn boots(
    root: &Path,
    kernel: &Path,
    count: usize,
    log_dir: &Path,
) -> Result<Vec<Boot>, String> {
    let script = root.join("scripts/qemu-run.sh");
    let mut out = Vec::new();
    for (i, firmware) in (0..count).flat_map(|i| Firmware::ALL.map(|f| (i, f))) {
        let name = firmware.script_name();
        let log: PathBuf = log_dir.join(format!("qemu-boot-{i}-{name}.log"));
        eprintln!(
            "  QEMU boot {}/{count}, {name} (console log {})",
            i + 1,
            log.display()
        );
        let started = Instant::now();
        let status = Command::new(&script)
            .arg(kernel)
            .env("LOG", &log)
            .env("FIRMWARE", name)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        let start_to_exit_us = u64::try_from(started.elapsed().as_micros()).ok();
        if !status.success() {
            return Err(format!(
                "boot {i} did not reach ready ({status}); see {}",
                log.display()
            ));
        }
        let text = std::fs::read_to_string(&log)
            .map_err(|e| format!("cannot read {}: {e}", log.display()))?;
        let boot = Boot {
            firmware,
            start_to_exit_us,
            ..parse(&text)
        };
        if boot.boot_us.is_none() || boot.self_tests.is_empty() {
            return Err(format!(
                "boot {i}: no boot time or self-test table in {}",
                log.display()
            ));
        }
        out.push(boot);
    }
    Ok(out)
}

/// One boot with `vtpm=bench`: the crypto gate against direct module calls,
/// and the guest's vTPM round trips.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VtpmBench {
    /// (case, direct cycles, gate cycles), medians as the kernel prints them.
    pub gate: Vec<(String, u64, u64)>,
    /// (command, cycles) as the guest harness prints them.
    pub round_trips: Vec<(String, u64)>,
}

/// Reads the `vtpm gate bench` and `vtpm round trip` lines of a console log.
pub fn parse_vtpm(log: &str) -> VtpmBench {
    let mut bench = VtpmBench::default();
    for line in log.lines() {
        if let Some(rest) = after(line, "vtpm gate bench ") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            // NAME: direct A cycles, gate B cycles, ratio R
            if let [name, "direct", a, "cycles,", "gate", b, ..] = words.as_slice()
                && let (Ok(a), Ok(b)) = (a.parse(), b.parse())
            {
                bench
                    .gate
                    .push((name.trim_end_matches(':').to_string(), a, b));
            }
        } else if let Some(rest) = after(line, "vtpm round trip ")
            && let Some((name, cycles)) = rest.split_once(": ")
            && let Some(c) = cycles
                .split_whitespace()
                .next()
                .and_then(|v| v.parse().ok())
        {
            bench.round_trips.push((name.to_string(), c));
        }
    }
    bench
}

/// Boots `kernel` once with `vtpm=bench` (qboot) and reads the vTPM figures.
pub fn vtpm_boot(root: &Path, kernel: &Path, log_dir: &Path) -> Result<VtpmBench, String> {
    let script = root.join("scripts/qemu-run.sh");
    let log = log_dir.join("qemu-vtpm-bench.log");
    eprintln!(
        "  QEMU boot with vtpm=bench (console log {})",
        log.display()
    );
    let status = Command::new(&script)
        .arg(kernel)
        .arg("vtpm=bench")
        .env("LOG", &log)
        .env("FIRMWARE", Firmware::Qboot.script_name())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    let text =
        std::fs::read_to_string(&log).map_err(|e| format!("cannot read {}: {e}", log.display()))?;
    let bench = parse_vtpm(&text);
    if !status.success() || bench.gate.is_empty() {
        return Err(format!(
            "the vtpm=bench boot did not report the gate ({status}); see {}",
            log.display()
        ));
    }
    Ok(bench)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vtpm_lines() {
        let log = "\
[ 187.845 ms] INFO  vtpm gate bench sha256-64B: direct 10062 cycles, gate 12532 cycles, ratio 1.25\r
[ 188.886 ms] INFO  vtpm gate bench aes256-gcm-seal-4KiB: direct 204776 cycles, gate 212914 cycles, ratio 1.04\r
[ 189.034 ms] INFO  vtpm gate bench ecdsa-p256-sign: direct 494416 cycles, gate 489580 cycles, ratio 0.99\r
[ 300.000 ms] INFO  guest-harness: harness: vtpm round trip PCR_Extend: 81234 cycles\r
[ 300.100 ms] INFO  guest-harness: harness: vtpm gate bench garbage\r
";
        let b = parse_vtpm(log);
        assert_eq!(
            b.gate,
            [
                ("sha256-64B".to_string(), 10062, 12532),
                ("aes256-gcm-seal-4KiB".to_string(), 204776, 212914),
                ("ecdsa-p256-sign".to_string(), 494416, 489580)
            ]
        );
        assert_eq!(b.round_trips, [("PCR_Extend".to_string(), 81234)]);
    }

    const LOG: &str = "\
[  13.829 ms] INFO  TSC: 2099.951 MHz (PIT calibration)\r
[ 144.426 ms] INFO  crypto: object SHA-256 c10b6fafccd078897117ce818534128c98545973ab0537270f3ee132fce88fd4\r
[ 144.930 ms] INFO  crypto: self-test   #  key                name                             result      time \r
[ 147.756 ms] INFO  crypto: self-test   1  hmac-sha256-kat    HMAC-SHA-256 KAT (integrity algorithm) PASS        2663 us\r
[ 148.455 ms] INFO  crypto: self-test   2  integrity          Software integrity test (HMAC-SHA-256) PASS       49329 us\r
[ 153.298 ms] INFO  crypto: module state Operational\r
[ 153.700 ms] INFO  guest-harness: harness: QUERY_PROTOCOL round trip: 4706 TSC cycles (median of 255, min 3696, max 66532)\r
[ 153.880 ms] INFO  boot time: 153835 us from first instruction to ready\r
SVSM ready\r
";

    #[test]
    fn parses_console() {
        let boot = parse(LOG);
        assert_eq!(boot.tsc_mhz, Some(2099.951));
        assert_eq!(boot.boot_us, Some(153835));
        assert_eq!(boot.operational_us, Some(153298));
        assert!(
            boot.object_sha256
                .as_deref()
                .is_some_and(|s| s.starts_with("c10b6faf"))
        );
        assert_eq!(boot.self_tests.len(), 2);
        assert_eq!(boot.self_tests[0].key, "hmac-sha256-kat");
        assert_eq!(
            boot.self_tests[1].name,
            "Software integrity test (HMAC-SHA-256)"
        );
        assert_eq!(boot.self_tests[1].result, "PASS");
        assert_eq!(boot.self_test_total_us(), 2663 + 49329);
        assert_eq!(boot.round_trip_cycles, Some(4706));
    }
}
