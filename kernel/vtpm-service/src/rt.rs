//! The service's runtime: entry point, console and exit through the task
//! service gate, a first-fit heap (the engine allocates and frees per
//! command), and the panic handler.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::{asm, global_asm};
use core::cell::UnsafeCell;
use core::fmt::{self, Write};
use core::ptr::NonNull;

use linked_list_allocator::Heap;
use svsm_abi::service::{EXIT, MAX_WRITE, WRITE};
use svsm_abi::vector;

global_asm!(
    r#"
    .pushsection .text.entry, "ax", @progbits
    .global _start
    _start:
    call {main}
    ud2
    .popsection
    "#,
    main = sym crate::service_main,
);

/// The time-stamp counter (the kernel leaves CR4.TSD clear).
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

/// One console line (truncated at the gate's limit).
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

    pub fn send(&self) {
        // SAFETY: the kernel copies `len` bytes from `ptr`, which are ours.
        unsafe {
            asm!(
                "int {vector}",
                vector = const vector::TASK_SERVICE,
                in("rax") WRITE,
                in("rdi") self.buf.as_ptr(),
                in("rsi") self.len,
            );
        }
    }
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
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

const HEAP_SIZE: usize = 512 * 1024;

struct ServiceHeap {
    arena: UnsafeCell<[u8; HEAP_SIZE]>,
    heap: UnsafeCell<Option<Heap>>,
}

// SAFETY: the service is single-threaded and never re-entered while an
// allocation call runs (the kernel enters it only after it exited).
unsafe impl Sync for ServiceHeap {}

impl ServiceHeap {
    /// The heap, set up on first use.
    ///
    /// # Safety
    ///
    /// No other reference to the heap may be live (single thread, no
    /// re-entry).
    #[allow(clippy::mut_from_ref)]
    unsafe fn get(&self) -> &mut Heap {
        // SAFETY: by the caller's contract this is the only reference.
        let slot = unsafe { &mut *self.heap.get() };
        slot.get_or_insert_with(|| {
            // SAFETY: the arena is static, used by nothing else, and handed
            // to the heap exactly once.
            unsafe { Heap::new(self.arena.get().cast(), HEAP_SIZE) }
        })
    }
}

// SAFETY: allocations come from `linked_list_allocator`'s first-fit heap
// over a static arena, which returns distinct, aligned blocks or null.
unsafe impl GlobalAlloc for ServiceHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: single-threaded, not re-entered (see `Sync`).
        let heap = unsafe { self.get() };
        heap.allocate_first_fit(layout)
            .map_or(core::ptr::null_mut(), NonNull::as_ptr)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: single-threaded; `ptr` came from `alloc` with `layout`.
        unsafe {
            if let Some(ptr) = NonNull::new(ptr) {
                self.get().deallocate(ptr, layout);
            }
        }
    }
}

#[global_allocator]
static ALLOCATOR: ServiceHeap = ServiceHeap {
    arena: UnsafeCell::new([0; HEAP_SIZE]),
    heap: UnsafeCell::new(None),
};

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    say!("vtpm-service: PANIC: {}", info.message());
    rt_exit_failed()
}

fn rt_exit_failed() -> ! {
    exit(svsm_abi::vtpm_service::FAILED)
}
