//! CPU setup and CPU-provided services.
//!
//! * [`features`]: CPUID, read once.
//! * [`gdt`], [`idt`], [`exceptions`]: descriptor tables and the fatal
//!   exception reports.
//! * [`xsave`]: enabling SSE/AVX state for the crypto module.
//! * [`tsc`]: timestamps and the TSC frequency.
//! * [`entropy`]: hardware random numbers (RDSEED, RDRAND).

/// Saves the 15 general-purpose registers on entry to the kernel (AT&T
/// syntax, for `global_asm!`). Every entry stub (exceptions, task gates) uses
/// this one sequence, and the frame types that read them back
/// (`exceptions::ExceptionFrame` here, the task gates' frame outside `cpu`)
/// list them in reverse: R15 at the lowest address.
macro_rules! push_gprs {
    () => {
        "pushq %rax; pushq %rbx; pushq %rcx; pushq %rdx; pushq %rsi; pushq %rdi; pushq %rbp
         pushq %r8; pushq %r9; pushq %r10; pushq %r11; pushq %r12; pushq %r13; pushq %r14
         pushq %r15"
    };
}

/// Restores what [`push_gprs`] saved.
macro_rules! pop_gprs {
    () => {
        "popq %r15; popq %r14; popq %r13; popq %r12; popq %r11; popq %r10; popq %r9; popq %r8
         popq %rbp; popq %rdi; popq %rsi; popq %rdx; popq %rcx; popq %rbx; popq %rax"
    };
}

pub(crate) use {pop_gprs, push_gprs};

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
