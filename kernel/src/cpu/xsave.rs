//! Extended (x87/SSE/AVX/AVX-512) state for the crypto module.
//!
//! The kernel is built soft-float (`x86_64-unknown-none`): Rust code never
//! touches vector registers. Only the crypto object does, and only inside
//! [`run_with_vector_state`], which runs it with interrupts disabled. With one
//! CPU, no guest and every exception fatal, nothing else can observe or clobber
//! vector registers while crypto runs, so no XSAVE/XRSTOR is needed around it.
//! When guest contexts arrive, the context switch will own saving guest state.
//!
//! [`init`] makes the state usable: CR0.EM off, CR0.MP on, CR0.TS off;
//! CR4.OSFXSR, CR4.OSXMMEXCPT, CR4.OSXSAVE on; XCR0 = x87|SSE, plus AVX and the
//! three AVX-512 components when CPUID says the CPU supports them.

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

use core::arch::asm;
use x86_64::instructions::interrupts;
use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};

use x86_64::registers::xcontrol::XCr0Flags;

use super::features::{self, Features, cpuid};

#[derive(Debug)]
pub enum XsaveError {
    /// CPUID.1:ECX.XSAVE is clear: extended state cannot be enabled.
    NoXsave,
}

impl fmt::Display for XsaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoXsave => write!(f, "CPU lacks XSAVE; vector state cannot be enabled"),
        }
    }
}

/// The XCR0 value [`init`] wrote (0 before it ran), so that nobody needs
/// XGETBV to learn it.
static ENABLED_XCR0: AtomicU64 = AtomicU64::new(0);

/// The XCR0 value [`init`] enabled; empty before it ran.
pub fn enabled_xcr0() -> XCr0Flags {
    XCr0Flags::from_bits_truncate(ENABLED_XCR0.load(Ordering::Relaxed))
}

/// Enables extended state. Returns the XCR0 value now in force.
pub fn init() -> Result<XCr0Flags, XsaveError> {
    let cpu = features::get();
    if !cpu.has(Features::XSAVE) {
        return Err(XsaveError::NoXsave);
    }
    let mut cr0 = Cr0::read();
    cr0.remove(Cr0Flags::EMULATE_COPROCESSOR | Cr0Flags::TASK_SWITCHED);
    cr0.insert(Cr0Flags::MONITOR_COPROCESSOR | Cr0Flags::NUMERIC_ERROR);
    let mut cr4 = Cr4::read();
    cr4.insert(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE | Cr4Flags::OSXSAVE);
    // SAFETY: only FPU/SIMD enablement bits change; the kernel does not use
    // x87 or SIMD itself, so no live state is affected, and the CPU supports
    // XSAVE (checked above), which makes OSXSAVE valid.
    unsafe {
        Cr0::write(cr0);
        Cr4::write(cr4);
    }

    // Components the CPU can manage with XSAVE (CPUID.(EAX=0DH,ECX=0).EAX).
    let supported = XCr0Flags::from_bits_truncate(u64::from(cpuid(0xd, 0).eax));
    let mut xcr0 = XCr0Flags::X87 | XCr0Flags::SSE;
    if cpu.has(Features::AVX) && supported.contains(XCr0Flags::AVX) {
        xcr0 |= XCr0Flags::AVX;
        let avx512 = XCr0Flags::OPMASK | XCr0Flags::ZMM_HI256 | XCr0Flags::HI16_ZMM;
        if cpu.has(Features::AVX512F) && supported.contains(avx512) {
            xcr0 |= avx512;
        }
    }
    // SAFETY: OSXSAVE is set; `xcr0` contains x87 and SSE, adds AVX only with
    // SSE, and AVX-512 only as the full triple on top of AVX, all reported
    // supported by CPUID leaf 0xD, so XSETBV cannot fault.
    unsafe { xsetbv0(xcr0) };
    ENABLED_XCR0.store(xcr0.bits(), Ordering::Relaxed);
    Ok(xcr0)
}

/// Runs `f` with vector registers usable and interrupts disabled, restoring the
/// previous interrupt flag afterwards.
///
/// Panics (a kernel bug, reported as Fault) if [`init`] has not enabled
/// extended state.
pub fn run_with_vector_state(f: &mut dyn FnMut()) {
    assert!(
        Cr4::read().contains(Cr4Flags::OSXSAVE),
        "vector state used before cpu::xsave::init"
    );
    interrupts::without_interrupts(f);
}

/// Writes XCR0 with XSETBV directly.
///
/// `x86_64::registers::xcontrol::XCr0::write` reads XCR0 (XGETBV) first to
/// keep reserved bits; nested KVM on this project's machines cannot handle that
/// XGETBV (QEMU stops with "KVM internal error ... emulation failure"). All
/// defined bits are chosen here, so there is nothing to preserve.
///
/// # Safety
/// CR4.OSXSAVE must be set and `value` must be a combination the CPU supports
/// (x87 set, AVX only with SSE, AVX-512 components together and with AVX).
unsafe fn xsetbv0(value: XCr0Flags) {
    let bits = value.bits();
    // SAFETY: the caller guarantees the preconditions of XSETBV; it changes
    // only XCR0 and touches no memory.
    unsafe {
        asm!(
            "xsetbv",
            in("ecx") 0u32,
            in("eax") bits as u32,
            in("edx") (bits >> 32) as u32,
            options(nomem, nostack, preserves_flags),
        );
    }
}
