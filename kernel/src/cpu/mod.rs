//! CPU setup and CPU-provided services.
//!
//! * [`features`]: CPUID, read once.
//! * [`gdt`], [`idt`], [`exceptions`]: descriptor tables and the fatal
//!   exception reports.
//! * [`xsave`]: enabling SSE/AVX state for the crypto module.
//! * [`tsc`]: timestamps and the TSC frequency.
//! * [`entropy`]: hardware random numbers (RDSEED, RDRAND).

pub mod entropy;
pub mod exceptions;
pub mod features;
pub mod gdt;
pub mod idt;
pub mod tsc;
pub mod xsave;

use x86_64::instructions::port::Port;

/// Masks every line of both legacy 8259 PICs. The kernel never enables
/// interrupts, but the firmware left the PICs programmed; masking them means a
/// stray `sti` cannot deliver an IRQ onto an exception vector.
pub fn mask_legacy_pic() {
    for port in [0x21u16, 0xa1] {
        // SAFETY: 0x21/0xa1 are the PIC data ports; writing the mask register
        // does not affect memory.
        unsafe { Port::<u8>::new(port).write(0xff) };
    }
}
