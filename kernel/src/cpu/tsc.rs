//! Time: TSC timestamps and the TSC frequency.
//!
//! The TSC is read near the kernel's first instruction by the PVH
//! trampoline, which stores it in [`BOOT_TSC`]; all boot timings are
//! relative to it. Not on SEV-SNP: there RDTSC may raise #VC (if the
//! hypervisor intercepts it), which nothing can serve before the GHCB, so
//! the clock starts when the GHCB is registered ([`start_late`]), and no
//! RDTSC runs before (timestamps need a known frequency, which SNP does not
//! calibrate).
//!
//! The frequency comes from CPUID leaf 0x15 (crystal ratio) when it is fully
//! populated, else leaf 0x16 (base frequency in MHz), else a 10 ms measurement
//! against PIT channel 2. A result outside 100 MHz..20 GHz is rejected as
//! implausible; timestamps are then printed without a time unit. The PIT wait
//! is bounded by a TSC tick budget, so a missing PIT cannot hang the boot.

use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use x86_64::instructions::port::Port;

use super::features::{Features, cpuid, get as features};

/// TSC value of the kernel's first instruction, written by the trampoline
/// (`boot::pvh`). Kept in `.data` (not `.bss`) because `.bss` is zeroed after
/// the store.
#[unsafe(link_section = ".data.boot_tsc")]
pub static BOOT_TSC: AtomicU64 = AtomicU64::new(0);

/// Set when the boot clock started late ([`start_late`]).
static STARTED_LATE: AtomicBool = AtomicBool::new(false);

/// TSC at the start of the boot clock.
pub fn boot_tsc() -> u64 {
    BOOT_TSC.load(Ordering::Relaxed)
}

/// Starts the boot clock now, on a platform whose trampoline could not read
/// the TSC (SEV-SNP, once RDTSC's #VC can be served).
pub fn start_late() {
    BOOT_TSC.store(now(), Ordering::Relaxed);
    STARTED_LATE.store(true, Ordering::Relaxed);
}

/// Where the boot clock started, for the boot-time line.
pub fn clock_start() -> &'static str {
    if STARTED_LATE.load(Ordering::Relaxed) {
        "GHCB registration"
    } else {
        "first instruction"
    }
}

/// TSC frequency in Hz; 0 while unknown.
static TSC_HZ: AtomicU64 = AtomicU64::new(0);

#[derive(Clone, Copy, Debug)]
pub enum FrequencySource {
    CpuidCrystal,
    CpuidBaseFrequency,
    PitCalibration,
}

impl fmt::Display for FrequencySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CpuidCrystal => "CPUID 0x15",
            Self::CpuidBaseFrequency => "CPUID 0x16",
            Self::PitCalibration => "PIT calibration",
        })
    }
}

/// Current TSC value.
pub fn now() -> u64 {
    // SAFETY: RDTSC has no memory effects; CR4.TSD only restricts user mode.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Determines the TSC frequency. Returns it with its source, or `None`.
pub fn init() -> Option<(u64, FrequencySource)> {
    if !features().has(Features::TSC) {
        return None;
    }
    let (hz, source) =
        from_cpuid().or_else(|| Some((calibrate_with_pit()?, FrequencySource::PitCalibration)))?;
    if !(100_000_000..=20_000_000_000).contains(&hz) {
        return None;
    }
    TSC_HZ.store(hz, Ordering::Relaxed);
    Some((hz, source))
}

fn from_cpuid() -> Option<(u64, FrequencySource)> {
    let leaf15 = cpuid(0x15, 0);
    if leaf15.eax != 0 && leaf15.ebx != 0 && leaf15.ecx != 0 {
        let hz = u64::from(leaf15.ecx) * u64::from(leaf15.ebx) / u64::from(leaf15.eax);
        return Some((hz, FrequencySource::CpuidCrystal));
    }
    let base_mhz = cpuid(0x16, 0).eax & 0xffff;
    (base_mhz != 0).then(|| {
        (
            u64::from(base_mhz) * 1_000_000,
            FrequencySource::CpuidBaseFrequency,
        )
    })
}

const PIT_HZ: u64 = 1_193_182;
/// 10 ms worth of PIT ticks.
const PIT_COUNT: u16 = (PIT_HZ / 100) as u16;
/// Give up after this many TSC ticks (several seconds at any plausible rate).
const PIT_TSC_BUDGET: u64 = 1 << 34;

/// Counts TSC ticks across a 10 ms one-shot of PIT channel 2.
fn calibrate_with_pit() -> Option<u64> {
    let mut gate = Port::<u8>::new(0x61);
    let mut command = Port::<u8>::new(0x43);
    let mut channel2 = Port::<u8>::new(0x42);
    // SAFETY: ports 0x61/0x43/0x42 are the PIT and its gate; programming
    // channel 2 (speaker channel, speaker output kept off) affects no memory
    // and nothing else in the kernel uses the PIT.
    let (start, end) = unsafe {
        let g = gate.read();
        gate.write((g & !0x02) | 0x01); // gate on, speaker off
        command.write(0xb0); // channel 2, lobyte/hibyte, mode 0, binary
        channel2.write(PIT_COUNT as u8);
        channel2.write((PIT_COUNT >> 8) as u8);
        let start = now();
        let mut end = start;
        while gate.read() & 0x20 == 0 {
            end = now();
            if end.saturating_sub(start) > PIT_TSC_BUDGET {
                return None;
            }
        }
        (start, end)
    };
    Some(end.saturating_sub(start) * PIT_HZ / u64::from(PIT_COUNT))
}

/// TSC frequency in Hz, if known.
pub fn frequency() -> Option<u64> {
    match TSC_HZ.load(Ordering::Relaxed) {
        0 => None,
        hz => Some(hz),
    }
}

/// Converts a tick count to microseconds, if the frequency is known.
pub fn ticks_to_us(ticks: u64) -> Option<u64> {
    frequency().map(|hz| (u128::from(ticks) * 1_000_000 / u128::from(hz)) as u64)
}

/// Microseconds since the kernel's first instruction.
/// No RDTSC while the frequency is unknown (SEV-SNP before the GHCB, see
/// the module comment).
pub fn since_boot_us() -> Option<u64> {
    frequency()?;
    ticks_to_us(now().wrapping_sub(boot_tsc()))
}
