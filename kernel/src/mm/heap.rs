//! The kernel heap: a fixed-size, spin-locked first-fit allocator.
//!
//! The kernel proper allocates little; the heap exists for the crypto glue and
//! for boot-time conveniences. Its size is fixed ([`HEAP_SIZE`]) and its memory
//! is taken from the frame allocator once, inside the direct map. Exhaustion
//! goes through Rust's default allocation-error path, i.e. a panic, which ends
//! QEMU with the Fault status.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{self, NonNull};

use linked_list_allocator::Heap;
use spin::Mutex;

use super::PAGE_SIZE;
use super::frame::{FrameAllocator, FrameError};

/// Heap size: 1 MiB.
pub const HEAP_SIZE: usize = 1 << 20;

struct LockedHeap(Mutex<Heap>);

#[global_allocator]
static HEAP: LockedHeap = LockedHeap(Mutex::new(Heap::empty()));

// SAFETY: allocation and deallocation are delegated to `linked_list_allocator`
// under a lock; it returns blocks that fit `layout` and do not overlap.
unsafe impl GlobalAlloc for LockedHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.0
            .lock()
            .allocate_first_fit(layout)
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(ptr) = NonNull::new(ptr) {
            // SAFETY: GlobalAlloc's contract: `ptr` came from `alloc` with the
            // same `layout`.
            unsafe { self.0.lock().deallocate(ptr, layout) }
        }
    }
}

/// Takes [`HEAP_SIZE`] bytes from `frames` and hands them to the allocator.
/// Must run after the direct map is active.
pub fn init(frames: &mut FrameAllocator) -> Result<(), FrameError> {
    let start = frames.allocate_contiguous(HEAP_SIZE / PAGE_SIZE)?;
    let mut heap = HEAP.0.lock();
    if heap.size() == 0 {
        // SAFETY: the range was just allocated from usable RAM, is mapped RW
        // by the direct map and used by nothing else; the heap is empty, so it
        // is initialised exactly once.
        unsafe { heap.init(start.as_u64() as *mut u8, HEAP_SIZE) };
    }
    Ok(())
}

/// (bytes in use, heap size).
pub fn usage() -> (usize, usize) {
    let heap = HEAP.0.lock();
    (heap.used(), heap.size())
}
