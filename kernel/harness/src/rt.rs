//! The harness's runtime: entry point, the two gates, console lines, a bump
//! allocator (some dependencies link `alloc`), and the panic handler.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::{asm, global_asm};
use core::cell::UnsafeCell;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicUsize, Ordering};

global_asm!(
    r#"
    .pushsection .text.entry, "ax", @progbits
    .global _start
    _start:
    call {main}
    ud2
    .popsection
    "#,
    main = sym crate::harness_main,
);

use svsm_abi::Registers;
use svsm_abi::service::{EXIT, MAX_WRITE, WRITE};
use svsm_abi::vector;

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

fn write(bytes: &[u8]) {
    // SAFETY: the kernel copies `len` bytes from `ptr`, which are ours.
    unsafe {
        asm!(
            "int {vector}",
            vector = const vector::TASK_SERVICE,
            in("rax") WRITE,
            in("rdi") bytes.as_ptr(),
            in("rsi") bytes.len(),
        );
    }
}

/// The time-stamp counter (the kernel leaves CR4.TSD clear, so ring 3 may read it).
pub fn tsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: rdtsc only writes EDX:EAX; it touches no memory.
    unsafe { asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    (u64::from(hi) << 32) | u64::from(lo)
}

pub fn exit(status: u64) -> ! {
    // SAFETY: the exit service never returns to this task.
    unsafe {
        asm!(
            "int {vector}",
            vector = const vector::TASK_SERVICE,
            in("rax") EXIT,
            in("rdi") status,
            options(noreturn),
        )
    }
}

/// One console line, truncated at the gate's limit.
pub struct Line {
    buf: [u8; MAX_WRITE],
    len: usize,
}

impl Line {
    pub const fn new() -> Self {
        Self {
            buf: [0; MAX_WRITE],
            len: 0,
        }
    }

    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
    }

    pub fn send(&self) {
        write(&self.buf[..self.len]);
    }
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len < self.buf.len() {
                self.buf[self.len] = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}

/// Prints one line on the kernel console.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        let mut line = $crate::rt::Line::new();
        let _ = core::fmt::Write::write_fmt(&mut line, format_args!($($arg)*));
        line.send();
    }};
}

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
