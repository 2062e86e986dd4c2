//! The printed tables (plain text that is also a Markdown table) and the
//! JSON record.

use serde_json::{Value, json};

use crate::host::{IMPLS, Row};
use crate::measure::Stats;
use crate::qemu::{Boot, Firmware, VtpmBench};

/// Peer time over module time: above 1 the module is faster.
pub fn ratio(module: &Stats, peer: &Stats) -> f64 {
    peer.median / module.median
}

fn cell(row: &Row, s: &Stats) -> String {
    match row.bytes {
        Some(n) => {
            let mbps = n as f64 / s.median * 1e3; // bytes per ns -> MB/s
            format!("{mbps:.0} MB/s ±{:.1}%", s.iqr_percent() / 2.0)
        }
        None => format!("{:.2} µs ±{:.1}%", s.median / 1e3, s.iqr_percent() / 2.0),
    }
}

/// Peer ratios of a row, in [`IMPLS`] order after the module (`None`: the
/// peer or the module lacks the operation).
fn ratios(row: &Row) -> Vec<Option<f64>> {
    (1..IMPLS.len())
        .map(|i| match (row.stats.first(), row.stats.get(i)) {
            (Some(Some(m)), Some(Some(p))) => Some(ratio(m, p)),
            _ => None,
        })
        .collect()
}

/// The ratio to the fastest peer of the row (the smallest peer ratio).
fn versus_fastest(row: &Row) -> Option<f64> {
    ratios(row).into_iter().flatten().min_by(f64::total_cmp)
}

pub fn host_table(rows: &[Row]) -> String {
    let short = ["OSSL", "RC", "AWS-LC", "ring"];
    let mut header = format!("| {:<56} |", "operation");
    let mut rule = format!("|{}|", "-".repeat(58));
    for name in IMPLS {
        header.push_str(&format!(" {name:>20} |"));
        rule.push_str(&format!("{}:|", "-".repeat(21)));
    }
    for name in short.iter().chain(&["fastest"]) {
        header.push_str(&format!(" {:>12} |", format!("mod/{name}")));
        rule.push_str(&format!("{}:|", "-".repeat(13)));
    }
    let mut out = format!("{header}\n{rule}\n");
    for row in rows {
        let fastest = versus_fastest(row);
        let name = if fastest.is_some_and(|v| v < 1.0) {
            format!("{} (*)", row.name)
        } else {
            row.name.clone()
        };
        out.push_str(&format!("| {name:<56} |"));
        for i in 0..IMPLS.len() {
            let c = match row.stats.get(i) {
                Some(Some(s)) => cell(row, s),
                _ => "-".into(),
            };
            out.push_str(&format!(" {c:>20} |"));
        }
        for r in ratios(row).into_iter().chain([fastest]) {
            let c = r.map_or("-".into(), |v| format!("{v:.2}"));
            out.push_str(&format!(" {c:>12} |"));
        }
        out.push('\n');
    }
    out
}

/// Target for the power-on self-tests on the host (issue 13).
pub const SELF_TEST_TARGET_US: f64 = 1500.0;

/// The power-on self-tests of this process's module, as it recorded them
/// (host timestamps in ns): each test's time, and the total from the first
/// start to the last end.
pub struct SelfTestTimes {
    pub tests: Vec<(svsm_crypto::SelfTestResult, f64)>,
    pub total_us: f64,
}

pub fn self_test_times(module: &svsm_crypto::Module) -> SelfTestTimes {
    let tests: Vec<_> = module
        .self_tests()
        .map(|t| {
            let us = t.end_ticks.saturating_sub(t.start_ticks) as f64 / 1e3;
            (t, us)
        })
        .collect();
    let first = tests.iter().map(|(t, _)| t.start_ticks).min().unwrap_or(0);
    let last = tests.iter().map(|(t, _)| t.end_ticks).max().unwrap_or(0);
    SelfTestTimes {
        total_us: last.saturating_sub(first) as f64 / 1e3,
        tests,
    }
}

/// One line a `--power-on-child` process prints: the total, then each
/// self-test's time, in µs, in the module's order.
pub fn power_on_line(times: &SelfTestTimes) -> String {
    let mut line = format!("{:.3}", times.total_us);
    for (_, us) in &times.tests {
        line.push_str(&format!(" {us:.3}"));
    }
    line
}

/// The self-test times of several fresh processes (each one power-on of the
/// module, caches as a new process finds them): a single cold start is one
/// sample of a noisy figure, these give its spread.
#[derive(Default)]
pub struct PowerOns {
    pub totals: Vec<f64>,
    /// `per_test[i]`: test `i`'s time in each process.
    pub per_test: Vec<Vec<f64>>,
}

impl PowerOns {
    /// Adds one child's line; `None` when it does not hold `tests` + 1 numbers.
    pub fn add(&mut self, line: &str, tests: usize) -> Option<()> {
        let values: Vec<f64> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        if values.len() != tests + 1 {
            return None;
        }
        self.per_test.resize(tests, Vec::new());
        self.totals.push(values[0]);
        for (samples, v) in self.per_test.iter_mut().zip(&values[1..]) {
            samples.push(*v);
        }
        Some(())
    }
}

pub fn self_test_table(times: &SelfTestTimes, starts: &PowerOns) -> String {
    let n = starts.totals.len();
    let mut out = format!(
        "Power-on self-tests on this host: µs at this process's start, and the median and fastest of {n} \
         fresh processes (target: median total <= {SELF_TEST_TARGET_US:.0} µs)\n\n"
    );
    out.push_str(&format!(
        "| {:<31} | {:>7} | {:>10} | {:>10} | {:>10} |\n",
        "self-test", "outcome", "this run", "median", "fastest"
    ));
    out.push_str(&format!(
        "|{}|{}|{}:|{}:|{}:|\n",
        "-".repeat(33),
        "-".repeat(9),
        "-".repeat(11),
        "-".repeat(11),
        "-".repeat(11)
    ));
    let cells = |samples: Option<&Vec<f64>>| {
        let (median, fastest, _) = summary(samples.map_or(&[][..], Vec::as_slice));
        (median, fastest)
    };
    for (i, (t, us)) in times.tests.iter().enumerate() {
        let (median, fastest) = cells(starts.per_test.get(i));
        out.push_str(&format!(
            "| {:<31} | {:>7} | {:>10.1} | {:>10.1} | {:>10.1} |\n",
            t.id.key(),
            format!("{:?}", t.outcome),
            us,
            median,
            fastest
        ));
    }
    let (median, fastest) = cells(Some(&starts.totals));
    let verdict = if median <= SELF_TEST_TARGET_US {
        "met"
    } else {
        "missed"
    };
    out.push_str(&format!(
        "| {:<31} | {:>7} | {:>10.1} | {:>10.1} | {:>10.1} |\n",
        "total (first start to last end)", verdict, times.total_us, median, fastest
    ));
    out
}

pub fn self_test_json(times: &SelfTestTimes, starts: &PowerOns) -> Value {
    json!({
        "clock": "host Instant, ns since the module's first timestamp request",
        "target_total_us": SELF_TEST_TARGET_US,
        "total_us": times.total_us,
        "fresh_processes": {
            "totals_us": starts.totals,
            "median_total_us": summary(&starts.totals).0,
        },
        "tests": times.tests.iter().enumerate().map(|(i, (t, us))| json!({
            "key": t.id.key(),
            "outcome": format!("{:?}", t.outcome),
            "us": us,
            "fresh_processes_us": starts.per_test.get(i),
        })).collect::<Vec<_>>(),
    })
}

/// Median, min and max of a set of values.
fn summary(values: &[f64]) -> (f64, f64, f64) {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (
        median,
        v.first().copied().unwrap_or(f64::NAN),
        v.last().copied().unwrap_or(f64::NAN),
    )
}

fn tsc_mhz(boots: &[Boot]) -> f64 {
    let mhz: Vec<f64> = boots.iter().filter_map(|b| b.tsc_mhz).collect();
    summary(&mhz).0
}

/// One measure over all boots: µs as printed, and cycles (µs times the TSC
/// frequency that boot calibrated, which recovers its TSC ticks).
struct Measure {
    label: String,
    us: Vec<f64>,
    cycles: Vec<f64>,
}

fn measure(label: String, boots: &[Boot], value: impl Fn(&Boot) -> Option<u64>) -> Measure {
    let mut us = Vec::new();
    let mut cycles = Vec::new();
    for b in boots {
        if let Some(v) = value(b) {
            us.push(v as f64);
            cycles.push(v as f64 * b.tsc_mhz.unwrap_or(f64::NAN));
        }
    }
    Measure { label, us, cycles }
}

/// The boots `make run` makes (qboot); SeaBIOS boots only feed the
/// start-to-exit comparison.
fn with_firmware(boots: &[Boot], firmware: Firmware) -> Vec<Boot> {
    boots
        .iter()
        .filter(|b| b.firmware == firmware)
        .cloned()
        .collect()
}

fn qemu_rows(all: &[Boot]) -> Vec<Measure> {
    let seabios = with_firmware(all, Firmware::Seabios);
    let boots = &with_firmware(all, Firmware::Qboot)[..];
    let mut rows = vec![
        measure("QEMU start to exit, qboot".into(), boots, |b| {
            b.start_to_exit_us
        }),
        measure(
            "QEMU start to exit, SeaBIOS (before)".into(),
            &seabios,
            |b| b.start_to_exit_us,
        ),
        measure("first instruction to ready".into(), boots, |b| b.boot_us),
        measure(
            "first instruction to crypto operational".into(),
            boots,
            |b| b.operational_us,
        ),
        measure("self-tests, total".into(), boots, |b| {
            Some(b.self_test_total_us())
        }),
    ];
    if let Some(first) = boots.first() {
        for (i, t) in first.self_tests.iter().enumerate() {
            rows.push(measure(format!("  self-test {}", t.key), boots, |b| {
                b.self_tests.get(i).filter(|o| o.key == t.key).map(|o| o.us)
            }));
        }
    }
    rows
}

/// Median over boots of the harness's own median QUERY_PROTOCOL round trip.
fn round_trip_cycles(boots: &[Boot]) -> Option<u64> {
    let mut v: Vec<u64> = boots.iter().filter_map(|b| b.round_trip_cycles).collect();
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

pub fn qemu_table(boots: &[Boot]) -> String {
    let mhz = tsc_mhz(boots);
    let mut out = format!(
        "QEMU TCG, {} boots with qboot (make run's firmware) interleaved with as many with SeaBIOS; \
         TSC {mhz:.3} MHz (median of the kernel's calibrations); cycles = µs × that boot's TSC MHz\n\
         Kernel's crypto object SHA-256: {}\n\n",
        with_firmware(boots, Firmware::Qboot).len(),
        boots
            .first()
            .and_then(|b| b.object_sha256.as_deref())
            .unwrap_or("(not reported)")
    );
    out.push_str(&format!(
        "| {:<40} | {:>12} | {:>21} | {:>14} |\n",
        "measure", "median µs", "min-max µs", "median Mcycles"
    ));
    out.push_str(&format!(
        "|{}|{}:|{}:|{}:|\n",
        "-".repeat(42),
        "-".repeat(13),
        "-".repeat(22),
        "-".repeat(15)
    ));
    for row in qemu_rows(boots) {
        let (median, min, max) = summary(&row.us);
        out.push_str(&format!(
            "| {:<40} | {:>12.0} | {:>21} | {:>14.3} |\n",
            row.label,
            median,
            format!("{min:.0}-{max:.0}"),
            summary(&row.cycles).0 / 1e6
        ));
    }
    let (cycles, us) = match round_trip_cycles(boots) {
        Some(c) => (format!("{c}"), format!("{:.2}", c as f64 / mhz)),
        None => ("not reported".into(), "-".into()),
    };
    out.push_str(&format!(
        "\nSVSM call round trip, ring-3 harness to the SVSM and back (QUERY_PROTOCOL, median): \
         {cycles} TSC cycles ({us} µs under TCG)\n"
    ));
    out
}

/// The crypto gate and vTPM round trips of a `vtpm=bench` boot.
pub fn vtpm_table(b: &VtpmBench) -> String {
    let mut out = String::from(
        "vTPM service (QEMU TCG, one vtpm=bench boot): the same module call (a) directly in the \
         kernel, (b) from the ring-3 service through the crypto gate; medians in TSC cycles\n\n",
    );
    out.push_str("| call | (a) direct | (b) gate | (b)/(a) |\n|---|---:|---:|---:|\n");
    for (name, a, g) in &b.gate {
        out.push_str(&format!(
            "| {name} | {a} | {g} | {:.2} |\n",
            *g as f64 / (*a).max(1) as f64
        ));
    }
    if !b.round_trips.is_empty() {
        out.push_str("\n| guest vTPM round trip | cycles |\n|---|---:|\n");
        for (name, c) in &b.round_trips {
            out.push_str(&format!("| {name} | {c} |\n"));
        }
    }
    out
}

pub fn vtpm_json(b: &VtpmBench) -> Value {
    json!({
        "gate": b.gate.iter().map(|(name, a, g)| json!({
            "call": name, "direct_cycles": a, "gate_cycles": g,
            "ratio": *g as f64 / (*a).max(1) as f64,
        })).collect::<Vec<_>>(),
        "round_trips": b.round_trips.iter().map(|(name, c)| json!({"command": name, "cycles": c}))
            .collect::<Vec<_>>(),
    })
}

fn stats_json(s: &Stats) -> Value {
    json!({
        "median_ns": s.median,
        "q1_ns": s.q1,
        "q3_ns": s.q3,
        "min_ns": s.min,
        "max_ns": s.max,
        "iters_per_sample": s.iters_per_sample,
        "samples_ns": s.samples,
    })
}

pub fn host_json(rows: &[Row]) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .map(|row| {
            let mut results = serde_json::Map::new();
            for (name, s) in IMPLS.iter().zip(&row.stats) {
                let Some(s) = s else { continue };
                let mut v = stats_json(s);
                if let Some(n) = row.bytes {
                    v["throughput_mb_per_s"] = json!(n as f64 / s.median * 1e3);
                }
                results.insert((*name).to_string(), v);
            }
            let ratios: serde_json::Map<String, Value> = IMPLS[1..]
                .iter()
                .zip(ratios(row))
                .map(|(name, r)| ((*name).to_string(), json!(r)))
                .collect();
            json!({
                "group": row.group,
                "operation": row.name,
                "bytes": row.bytes,
                "note": row.note,
                "results": results,
                "ratio_module_over": ratios,
                "ratio_module_over_fastest_peer": versus_fastest(row),
            })
        })
        .collect();
    json!(rows)
}

pub fn qemu_json(boots: &[Boot]) -> Value {
    let mhz = tsc_mhz(boots);
    let rows: Vec<Value> = qemu_rows(boots)
        .into_iter()
        .map(|row| {
            let (median, min, max) = summary(&row.us);
            json!({
                "measure": row.label.trim(),
                "median_us": median,
                "min_us": min,
                "max_us": max,
                "per_boot_us": row.us,
                "median_cycles": summary(&row.cycles).0,
                "per_boot_cycles": row.cycles,
            })
        })
        .collect();
    json!({
        "accel": "tcg",
        "kernel_object_sha256": boots.first().and_then(|b| b.object_sha256.clone()),
        "boots_per_firmware": with_firmware(boots, Firmware::Qboot).len(),
        "tsc_mhz_median": mhz,
        "tsc_mhz_per_boot": boots.iter().map(|b| b.tsc_mhz).collect::<Vec<_>>(),
        "measures": rows,
        "self_test_results": boots.first().map(|b| b.self_tests.iter().map(|t| json!({
            "key": t.key, "name": t.name, "result": t.result
        })).collect::<Vec<_>>()),
        "svsm_call_round_trip": {
            "call": "QUERY_PROTOCOL from the ring-3 guest harness",
            "median_cycles": round_trip_cycles(boots),
            "per_boot_median_cycles": boots.iter().map(|b| b.round_trip_cycles).collect::<Vec<_>>(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_test_times_cover_every_test_and_bound_the_total() {
        let module = svsm_crypto::host::module();
        let times = self_test_times(module);
        assert_eq!(times.tests.len(), module.self_tests().count());
        assert!(!times.tests.is_empty());
        for (t, us) in &times.tests {
            assert_eq!(t.outcome, svsm_crypto::Outcome::Passed, "{}", t.id.key());
            assert!(*us <= times.total_us, "{} outside the total", t.id.key());
        }
        let mut starts = PowerOns::default();
        let line = power_on_line(&times);
        for _ in 0..3 {
            assert_eq!(starts.add(&line, times.tests.len()), Some(()));
        }
        assert_eq!(starts.add("1.0 2.0", times.tests.len()), None);
        assert_eq!(starts.add("not a number", times.tests.len()), None);
        assert_eq!(starts.totals.len(), 3);
        assert!(starts.per_test.iter().all(|s| s.len() == 3));
        let table = self_test_table(&times, &starts);
        assert!(table.contains("integrity"), "{table}");
        assert!(table.contains("median"), "{table}");
        let record = self_test_json(&times, &starts);
        assert_eq!(
            record["tests"].as_array().map(Vec::len),
            Some(times.tests.len())
        );
        assert_eq!(
            record["fresh_processes"]["totals_us"]
                .as_array()
                .map(Vec::len),
            Some(3)
        );
    }
}
