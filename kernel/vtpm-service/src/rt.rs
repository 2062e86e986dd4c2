//! The service's runtime: entry point, a first-fit heap (the engine
//! allocates and frees per command), and the panic handler; console lines,
//! exit and the TSC are `svsm_abi::ring3`'s.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::NonNull;

use linked_list_allocator::Heap;
use svsm_abi::say;

svsm_abi::ring3_entry!(crate::service_main);

pub use svsm_abi::ring3::{exit, tsc};

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
