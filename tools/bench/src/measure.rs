//! Timing: calibrated samples with `std::time::Instant`, interleaved across
//! implementations, and the statistics reported for each row.

use std::time::{Duration, Instant};

/// How long each sample should take, and how many samples a row gets.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub sample: Duration,
    pub samples: usize,
}

/// One operation under test: calling it performs the operation once.
pub type Op<'a> = Box<dyn FnMut() + 'a>;

/// Summary of one implementation's samples (nanoseconds per operation).
#[derive(Clone, Debug)]
pub struct Stats {
    pub median: f64,
    pub q1: f64,
    pub q3: f64,
    pub min: f64,
    pub max: f64,
    pub iters_per_sample: u64,
    pub samples: Vec<f64>,
}

impl Stats {
    fn from_samples(mut samples: Vec<f64>, iters_per_sample: u64) -> Self {
        let raw = samples.clone();
        samples.sort_by(f64::total_cmp);
        Stats {
            median: quantile(&samples, 0.5),
            q1: quantile(&samples, 0.25),
            q3: quantile(&samples, 0.75),
            min: samples.first().copied().unwrap_or(f64::NAN),
            max: samples.last().copied().unwrap_or(f64::NAN),
            iters_per_sample,
            samples: raw,
        }
    }

    /// Interquartile range relative to the median, in percent.
    pub fn iqr_percent(&self) -> f64 {
        100.0 * (self.q3 - self.q1) / self.median
    }
}

/// Linear interpolation between closest ranks of a sorted slice.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let pos = q * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = pos.ceil() as usize;
            let frac = pos - lo as f64;
            sorted[lo] + (sorted[hi] - sorted[lo]) * frac
        }
    }
}

fn run(op: &mut Op<'_>, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        op();
    }
    start.elapsed()
}

/// Iterations that make one sample last about `target`: doubles until a batch
/// takes a tenth of the target, then scales.
fn calibrate(op: &mut Op<'_>, target: Duration) -> u64 {
    // Warm up caches, lazily initialized state and the CPU's clock.
    run(op, 1);
    let mut iters = 1u64;
    loop {
        let took = run(op, iters);
        if took >= target / 10 || iters >= 1 << 30 {
            let per_op = took.as_secs_f64() / iters as f64;
            return ((target.as_secs_f64() / per_op).round() as u64).max(1);
        }
        iters *= 2;
    }
}

/// Times every op of a row. Repetition `r` runs one sample of each op,
/// starting from op `r mod n`, so slow drift of the machine (frequency,
/// other load) falls on all implementations alike.
pub fn measure(plan: Plan, ops: &mut [Op<'_>]) -> Vec<Stats> {
    let iters: Vec<u64> = ops
        .iter_mut()
        .map(|op| calibrate(op, plan.sample))
        .collect();
    let n = ops.len();
    let mut samples = vec![Vec::with_capacity(plan.samples); n];
    for rep in 0..plan.samples {
        for k in 0..n {
            let i = (rep + k) % n;
            let took = run(&mut ops[i], iters[i]);
            samples[i].push(took.as_nanos() as f64 / iters[i] as f64);
        }
    }
    samples
        .into_iter()
        .zip(iters)
        .map(|(s, it)| Stats::from_samples(s, it))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&v, 0.25), 2.0);
        assert_eq!(quantile(&[1.0, 2.0], 0.5), 1.5);
    }

    #[test]
    fn interleaved_measure_reports_each_op() {
        let mut a = 0u64;
        let mut b = 0u64;
        let mut ops: Vec<Op<'_>> = vec![
            Box::new(|| a = std::hint::black_box(a + 1)),
            Box::new(|| b = std::hint::black_box(b + 2)),
        ];
        let plan = Plan {
            sample: Duration::from_micros(200),
            samples: 3,
        };
        let stats = measure(plan, &mut ops);
        assert_eq!(stats.len(), 2);
        assert!(stats.iter().all(|s| s.samples.len() == 3 && s.median > 0.0));
    }
}
