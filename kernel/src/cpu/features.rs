//! CPU features, from CPUID, detected once.
//!
//! One table ([`FEATURES`]) says, for each feature the kernel or the crypto
//! module cares about, where CPUID reports it and whether the boot banner
//! lists it. Detection walks the table; nothing else decodes CPUID bits.

use core::arch::x86_64::{__cpuid_count, CpuidResult};
use core::fmt;

use spin::Once;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Feature {
    Tsc,
    Sse41,
    AesNi,
    Pclmulqdq,
    Avx,
    Xsave,
    Rdrand,
    Avx2,
    Avx512f,
    ShaNi,
    Rdseed,
    Vaes,
    Vpclmulqdq,
    InvariantTsc,
    Nx,
}

#[derive(Clone, Copy)]
enum Reg {
    Ebx,
    Ecx,
    Edx,
}

struct FeatureBit {
    feature: Feature,
    leaf: u32,
    subleaf: u32,
    reg: Reg,
    bit: u8,
    name: &'static str,
    /// Listed in the boot banner.
    banner: bool,
}

const fn bit(
    feature: Feature,
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
    bit(Feature::Tsc, 1, 0, Reg::Edx, 4, "TSC", false),
    bit(Feature::Sse41, 1, 0, Reg::Ecx, 19, "SSE4.1", false),
    bit(Feature::AesNi, 1, 0, Reg::Ecx, 25, "AES-NI", true),
    bit(Feature::Pclmulqdq, 1, 0, Reg::Ecx, 1, "PCLMULQDQ", true),
    bit(Feature::Avx, 1, 0, Reg::Ecx, 28, "AVX", false),
    bit(Feature::Xsave, 1, 0, Reg::Ecx, 26, "XSAVE", true),
    bit(Feature::Rdrand, 1, 0, Reg::Ecx, 30, "RDRAND", true),
    bit(Feature::Avx2, 7, 0, Reg::Ebx, 5, "AVX2", true),
    bit(Feature::Avx512f, 7, 0, Reg::Ebx, 16, "AVX-512F", false),
    bit(Feature::ShaNi, 7, 0, Reg::Ebx, 29, "SHA-NI", true),
    bit(Feature::Rdseed, 7, 0, Reg::Ebx, 18, "RDSEED", true),
    bit(Feature::Vaes, 7, 0, Reg::Ecx, 9, "VAES", true),
    bit(Feature::Vpclmulqdq, 7, 0, Reg::Ecx, 10, "VPCLMULQDQ", true),
    bit(
        Feature::InvariantTsc,
        0x8000_0007,
        0,
        Reg::Edx,
        8,
        "invariant TSC",
        false,
    ),
    bit(Feature::Nx, 0x8000_0001, 0, Reg::Edx, 20, "NX", false),
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
    present: u32,
    vendor: [u8; 12],
}

impl CpuFeatures {
    fn detect() -> Self {
        let mut present = 0u32;
        for f in &FEATURES {
            let r = cpuid(f.leaf, f.subleaf);
            let value = match f.reg {
                Reg::Ebx => r.ebx,
                Reg::Ecx => r.ecx,
                Reg::Edx => r.edx,
            };
            if value & (1 << f.bit) != 0 {
                present |= 1 << f.feature as u8;
            }
        }
        let v = cpuid(0, 0);
        let mut vendor = [0u8; 12];
        for (chunk, reg) in vendor.chunks_mut(4).zip([v.ebx, v.edx, v.ecx]) {
            chunk.copy_from_slice(&reg.to_le_bytes());
        }
        Self { present, vendor }
    }

    pub fn has(&self, feature: Feature) -> bool {
        self.present & (1 << feature as u8) != 0
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
