//! Which platform the kernel runs on, detected once at boot.
//!
//! SEV-SNP is recognised by the trampoline (the C-bit it found in the
//! launch's CPUID page, passed in here); [`snp`] then checks SEV_STATUS and
//! VMPL0, sets up the GHCB and builds the SNP platform, or stops with a
//! clear message (see its comment). An SNP guest without that C-bit (CPUID
//! 0x8000_001F and SEV_STATUS say SNP is active) stops too. Anything else is the [`Native`] platform from the
//! protocol crate: stock QEMU, no confidential computing. The protocol code
//! only ever sees `&dyn Platform`.

pub mod snp;

use core::fmt;

use spin::Once;
use svsm_boot_params::own_memory::OwnMemory;
use svsm_protocol::platform::Platform;
use svsm_protocol::platform::native::Native;
use svsm_snp::boot::MSR_SEV_STATUS;
use svsm_snp::cbit::CBit;

use crate::cpu::features::cpuid;

/// CPUID leaf of the AMD memory-encryption features.
const CPUID_AMD_MEM_ENCRYPT: u32 = 0x8000_001f;

bitflags::bitflags! {
    /// CPUID 0x8000_001F EAX: memory-encryption features the CPU supports
    /// (AMD APM vol. 3, CPUID Fn8000_001F).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct MemEncryptSupport: u32 {
        const SME = 1 << 0;
        const SEV = 1 << 1;
        const SEV_ES = 1 << 3;
        const SEV_SNP = 1 << 4;
    }

    /// SEV_STATUS MSR: what is active for this guest (AMD APM vol. 2,
    /// "SEV_STATUS MSR").
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct SevStatus: u64 {
        const SEV = 1 << 0;
        const SEV_ES = 1 << 1;
        const SEV_SNP = 1 << 2;
    }
}

#[derive(Debug)]
pub enum PlatformError {
    /// Running as an SEV-SNP guest whose bring-up stopped.
    Snp(snp::SnpStop),
}

impl fmt::Display for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Snp(stop) => write!(f, "{stop}"),
        }
    }
}

static NATIVE: Once<Native> = Once::new();

/// Detects the platform; `snp` is the trampoline's finding (the C-bit)
/// with the SVSM's own memory ([`snp::take_own_memory`]), `ram_end` the end
/// of the RAM the memory map describes (on SNP, the guest's pages the SVSM
/// may map lie below it, outside its own memory).
pub fn detect(
    snp: Option<(CBit, &OwnMemory)>,
    ram_end: u64,
) -> Result<&'static dyn Platform, PlatformError> {
    if let Some((c_bit, own)) = snp {
        let platform = snp::bring_up(c_bit, own, ram_end).map_err(PlatformError::Snp)?;
        return Ok(platform);
    }
    if snp_active() {
        return Err(PlatformError::Snp(snp::SnpStop::NotIgvm));
    }
    Ok(NATIVE.call_once(|| Native::new(measurement())))
}

/// What Native development reports carry as the measurement: the SHA-256 of
/// the crypto object linked into this image (given in hex at build time).
fn measurement() -> [u8; 32] {
    let hex = svsm_crypto::OBJECT_SHA256.as_bytes();
    let nibble = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
    core::array::from_fn(|i| match hex.get(2 * i..2 * i + 2) {
        Some(pair) => (nibble(pair[0]) << 4) | nibble(pair[1]),
        None => 0,
    })
}

fn snp_active() -> bool {
    let support = MemEncryptSupport::from_bits_retain(cpuid(CPUID_AMD_MEM_ENCRYPT, 0).eax);
    if !support.contains(MemEncryptSupport::SEV_SNP) {
        return false;
    }
    // SAFETY: CPUID reports SEV-SNP support, so the SEV_STATUS MSR exists;
    // reading it has no side effects.
    let status = unsafe { x86_64::registers::model_specific::Msr::new(MSR_SEV_STATUS).read() };
    SevStatus::from_bits_retain(status).contains(SevStatus::SEV_SNP)
}
