//! Kernel stacks, each with an unmapped guard page below it.
//!
//! All stacks live in the `.stacks` output section (see `kernel/linker.ld`).
//! Each [`GuardedStack`] is a page-aligned guard page followed by the stack
//! proper; [`crate::mm::paging`] maps only the stack part, so running off the
//! bottom of any stack faults instead of silently corrupting a neighbour.
//! Exceptions that can be raised by a broken stack (double fault, NMI, machine
//! check) run on their own IST stacks, so an overflow of the boot stack is still
//! reported.
//!
//! Sizes: the crypto self-tests were measured at about 18 KiB of stack; the boot
//! stack gets 64 KiB so that the measured high-water mark (printed at ready, see
//! [`boot_stack_high_water`]) shows the remaining margin. The boot stack is
//! painted with [`STACK_PAINT`] by the trampoline before it is first used.

use core::cell::UnsafeCell;
use core::ops::Range;

use x86_64::VirtAddr;

use super::PAGE_SIZE;

/// Size of the unmapped guard page below each stack.
pub const GUARD_SIZE: usize = PAGE_SIZE;
/// Boot stack size: the kernel runs on this stack for its whole life.
pub const BOOT_STACK_SIZE: usize = 64 * 1024;
/// Size of each IST stack used by the fatal-exception handlers.
pub const IST_STACK_SIZE: usize = 16 * 1024;
/// Size of the stack the CPU switches to when a ring-3 task enters the kernel
/// (TSS.RSP0); SVSM calls run on it, crypto included.
pub const KERNEL_ENTRY_STACK_SIZE: usize = 64 * 1024;
/// Pattern written over the boot stack before first use.
pub const STACK_PAINT: u32 = 0x5356_534d; // "SVSM"

/// A stack preceded by a guard page.
///
/// # Invariants
/// The structure is page aligned and `N` is a multiple of the page size, so the
/// guard and the stack occupy whole pages and can be mapped independently.
#[repr(C, align(4096))]
pub struct GuardedStack<const N: usize> {
    _guard: [u8; GUARD_SIZE],
    stack: UnsafeCell<[u8; N]>,
}

// SAFETY: the stack memory is only ever used by the CPU as a stack (there is a
// single CPU and each stack has a single user); Rust code only takes its
// address or reads it through raw pointers (high-water measurement).
unsafe impl<const N: usize> Sync for GuardedStack<N> {}

impl<const N: usize> GuardedStack<N> {
    const fn new() -> Self {
        assert!(N.is_multiple_of(PAGE_SIZE) && N > 0);
        Self {
            _guard: [0; GUARD_SIZE],
            stack: UnsafeCell::new([0; N]),
        }
    }

    /// Lowest usable address of the stack (just above the guard page).
    pub fn bottom(&self) -> VirtAddr {
        VirtAddr::from_ptr(self.stack.get())
    }

    /// Initial stack pointer: one past the highest usable byte.
    pub fn top(&self) -> VirtAddr {
        self.bottom() + N as u64
    }

    /// The guard page, which must stay unmapped.
    pub fn guard(&self) -> VirtAddr {
        self.bottom() - GUARD_SIZE as u64
    }

    fn region(&'static self, name: &'static str) -> StackRegion {
        StackRegion {
            name,
            guard: self.guard(),
            usable: self.bottom()..self.top(),
        }
    }
}

/// One stack as the page-table code and the banner see it.
pub struct StackRegion {
    pub name: &'static str,
    pub guard: VirtAddr,
    pub usable: Range<VirtAddr>,
}

#[unsafe(link_section = ".stacks")]
pub static BOOT_STACK: GuardedStack<BOOT_STACK_SIZE> = GuardedStack::new();
#[unsafe(link_section = ".stacks")]
pub static DOUBLE_FAULT_STACK: GuardedStack<IST_STACK_SIZE> = GuardedStack::new();
#[unsafe(link_section = ".stacks")]
pub static NMI_STACK: GuardedStack<IST_STACK_SIZE> = GuardedStack::new();
#[unsafe(link_section = ".stacks")]
pub static MACHINE_CHECK_STACK: GuardedStack<IST_STACK_SIZE> = GuardedStack::new();
#[unsafe(link_section = ".stacks")]
pub static KERNEL_ENTRY_STACK: GuardedStack<KERNEL_ENTRY_STACK_SIZE> = GuardedStack::new();

/// Every kernel stack, for mapping and reporting.
pub fn all() -> [StackRegion; 5] {
    [
        BOOT_STACK.region("boot"),
        DOUBLE_FAULT_STACK.region("double-fault IST"),
        NMI_STACK.region("NMI IST"),
        MACHINE_CHECK_STACK.region("machine-check IST"),
        KERNEL_ENTRY_STACK.region("ring-3 entry (RSP0)"),
    ]
}

/// Deepest boot-stack use so far, in bytes: the distance from the top of the
/// stack to the lowest word that no longer holds the paint pattern.
pub fn boot_stack_high_water() -> usize {
    let bottom = BOOT_STACK.bottom().as_u64() as usize;
    let words = BOOT_STACK_SIZE / 4;
    let untouched = (0..words)
        .take_while(|&i| {
            let word = (bottom + i * 4) as *const u32;
            // SAFETY: `word` lies inside the boot stack, which is mapped and
            // 4-byte aligned; words below the current stack pointer are not
            // in use, and a volatile read of a live word is merely a snapshot.
            unsafe { core::ptr::read_volatile(word) == STACK_PAINT }
        })
        .count();
    BOOT_STACK_SIZE - untouched * 4
}
