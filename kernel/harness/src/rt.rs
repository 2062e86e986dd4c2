//! The harness's runtime: entry point, the SVSM-call gate, a bump allocator
//! (some dependencies link `alloc`), and the panic handler; console lines,
//! exit and the TSC are `svsm_abi::ring3`'s.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::asm;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicUsize, Ordering};

svsm_abi::ring3_entry!(crate::harness_main);

use svsm_abi::vector;
use svsm_abi::{Registers, say};

/// Issues an SVSM call through its gate (the VMGEXIT of this platform).
pub fn svsm_call(input: Registers) -> Registers {
    let mut out = input;
    // SAFETY: the gate only reads and writes these registers; it does not
    // touch this task's memory except the guest RAM the call names.
    unsafe {
        asm!(
            "int {vector}",
            vector = const vector::SVSM_CALL,
            inout("rax") out.rax,
            inout("rcx") out.rcx,
            inout("rdx") out.rdx,
            inout("r8") out.r8,
            inout("r9") out.r9,
        );
    }
    out
}

pub use svsm_abi::ring3::{Line, exit, tsc};

const HEAP_SIZE: usize = 64 * 1024;

/// Never frees; the harness allocates little or nothing.
struct Bump {
    heap: UnsafeCell<[u8; HEAP_SIZE]>,
    next: AtomicUsize,
}

// SAFETY: the harness is single-threaded; `next` hands out disjoint ranges.
unsafe impl Sync for Bump {}

// SAFETY: every allocation is a distinct, suitably aligned range of `heap`,
// or null when the heap is exhausted.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let base = self.heap.get() as usize;
        let mut result = core::ptr::null_mut();
        let _ = self
            .next
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |next| {
                let start = (base + next).next_multiple_of(layout.align()) - base;
                let end = start.checked_add(layout.size())?;
                if end > HEAP_SIZE {
                    return None;
                }
                result = (base + start) as *mut u8;
                Some(end)
            });
        result
    }

    unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
}

#[global_allocator]
static ALLOCATOR: Bump = Bump {
    heap: UnsafeCell::new([0; HEAP_SIZE]),
    next: AtomicUsize::new(0),
};

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    say!("harness: PANIC: {}", info.message());
    exit(2)
}
