//! CPU features, from CPUID, detected once.
//!
//! One table ([`FEATURES`]) says, for each feature the kernel or the crypto
//! module cares about, where CPUID reports it and whether the boot banner
//! lists it. Detection walks the table; nothing else decodes CPUID bits.

use core::arch::x86_64::{__cpuid_count, CpuidResult};
use core::fmt;

use spin::Once;

bitflags::bitflags! {
    /// The CPU features the kernel or the crypto module cares about. The bit
    /// positions are this set's own; where CPUID reports each one is in
    /// [`FEATURES`].
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Features: u32 {
        const TSC = 1 << 0;
        const SSE41 = 1 << 1;
        const AES_NI = 1 << 2;
        const PCLMULQDQ = 1 << 3;
        const AVX = 1 << 4;
        const XSAVE = 1 << 5;
        const RDRAND = 1 << 6;
        const AVX2 = 1 << 7;
        const AVX512F = 1 << 8;
        const SHA_NI = 1 << 9;
        const RDSEED = 1 << 10;
        const VAES = 1 << 11;
        const VPCLMULQDQ = 1 << 12;
        const INVARIANT_TSC = 1 << 13;
        const NX = 1 << 14;
    }
}

#[derive(Clone, Copy)]
enum Reg {
    Ebx,
    Ecx,
    Edx,
}

struct FeatureBit {
    feature: Features,
    leaf: u32,
    subleaf: u32,
    reg: Reg,
    bit: u8,
    name: &'static str,
    /// Listed in the boot banner.
    banner: bool,
}

const fn bit(
    feature: Features,
    leaf: u32,
    subleaf: u32,
    reg: Reg,
    bit: u8,
    name: &'static str,
    banner: bool,
) -> FeatureBit {
    FeatureBit {
        feature,
        leaf,
        subleaf,
        reg,
        bit,
        name,
        banner,
    }
}

const FEATURES: [FeatureBit; 15] = [
    bit(Features::TSC, 1, 0, Reg::Edx, 4, "TSC", false),
    bit(Features::SSE41, 1, 0, Reg::Ecx, 19, "SSE4.1", false),
    bit(Features::AES_NI, 1, 0, Reg::Ecx, 25, "AES-NI", true),
    bit(Features::PCLMULQDQ, 1, 0, Reg::Ecx, 1, "PCLMULQDQ", true),
    bit(Features::AVX, 1, 0, Reg::Ecx, 28, "AVX", false),
    bit(Features::XSAVE, 1, 0, Reg::Ecx, 26, "XSAVE", true),
    bit(Features::RDRAND, 1, 0, Reg::Ecx, 30, "RDRAND", true),
    bit(Features::AVX2, 7, 0, Reg::Ebx, 5, "AVX2", true),
    bit(Features::AVX512F, 7, 0, Reg::Ebx, 16, "AVX-512F", false),
    bit(Features::SHA_NI, 7, 0, Reg::Ebx, 29, "SHA-NI", true),
    bit(Features::RDSEED, 7, 0, Reg::Ebx, 18, "RDSEED", true),
    bit(Features::VAES, 7, 0, Reg::Ecx, 9, "VAES", true),
    bit(Features::VPCLMULQDQ, 7, 0, Reg::Ecx, 10, "VPCLMULQDQ", true),
    bit(
        Features::INVARIANT_TSC,
        0x8000_0007,
        0,
        Reg::Edx,
        8,
        "invariant TSC",
        false,
    ),
    bit(Features::NX, 0x8000_0001, 0, Reg::Edx, 20, "NX", false),
];

/// CPUID, returning zeros for leaves the CPU does not implement (reading an
/// unimplemented leaf returns data from another leaf on Intel).
pub fn cpuid(leaf: u32, subleaf: u32) -> CpuidResult {
    let max = __cpuid_count(leaf & 0x8000_0000, 0).eax;
    if leaf > max {
        return CpuidResult {
            eax: 0,
            ebx: 0,
            ecx: 0,
            edx: 0,
        };
    }
    __cpuid_count(leaf, subleaf)
}

pub struct CpuFeatures {
    present: Features,
    vendor: [u8; 12],
}

impl CpuFeatures {
    fn detect() -> Self {
        let mut present = Features::empty();
        for f in &FEATURES {
            let r = cpuid(f.leaf, f.subleaf);
            let value = match f.reg {
                Reg::Ebx => r.ebx,
                Reg::Ecx => r.ecx,
                Reg::Edx => r.edx,
            };
            if value & (1 << f.bit) != 0 {
                present |= f.feature;
            }
        }
        let v = cpuid(0, 0);
        let mut vendor = [0u8; 12];
        for (chunk, reg) in vendor.chunks_mut(4).zip([v.ebx, v.edx, v.ecx]) {
            chunk.copy_from_slice(&reg.to_le_bytes());
        }
        Self { present, vendor }
    }

    /// Whether every feature in `features` is present.
    pub fn has(&self, features: Features) -> bool {
        self.present.contains(features)
    }

    pub fn vendor(&self) -> &str {
        core::str::from_utf8(&self.vendor).unwrap_or("?")
    }

    /// Displays the banner features as `AES-NI+ SHA-NI- ...`.
    pub fn banner(&self) -> impl fmt::Display + '_ {
        BannerList(self)
    }
}

struct BannerList<'a>(&'a CpuFeatures);

impl fmt::Display for BannerList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, bit) in FEATURES.iter().filter(|b| b.banner).enumerate() {
            let sign = if self.0.has(bit.feature) { '+' } else { '-' };
            write!(f, "{}{}{}", if i == 0 { "" } else { " " }, bit.name, sign)?;
        }
        Ok(())
    }
}

static FEATURES_ONCE: Once<CpuFeatures> = Once::new();

/// The CPU's features (detected on first use).
pub fn get() -> &'static CpuFeatures {
    FEATURES_ONCE.call_once(CpuFeatures::detect)
}
