//! Loading and running the guest harness.
//!
//! The harness (crate `kernel/harness`) is a separate ring-3 program, built
//! by `kernel/build.rs` as a flat binary linked at [`HARNESS_BASE`] and
//! embedded here. It starts with a header (see [`Header`]) giving its entry
//! point and where its code ends and its data (including .bss) ends, so the
//! kernel can map code R+X and data RW+NX.
//!
//! The harness plays the guest: it gets [`GUEST_PAGES`] pages of "guest RAM"
//! (a [`GuestRam`], also mapped into its address space at [`GUEST_VA`]), its
//! first page is the initial Calling Area, and it issues SVSM calls through
//! the 0x80 gate. Its arguments: RDI = guest RAM address in the task, RSI =
//! its guest-physical address, RDX = its size, RCX = flags
//! ([`FLAG_EXPECT_ATTESTATION`], [`FLAG_FAULT`]), R8 = the Calling Area GPA.

use log::{error, info};
use svsm_protocol::GuestPhysAddr;
use x86_64::PhysAddr;

use super::space::{UserRights, UserSpace};
use super::{TaskEnd, run};
use crate::guest::{self, GuestRam};
use crate::mm::PAGE_SIZE;
use crate::mm::frame::FrameAllocator;
use crate::mm::paging::PagingError;

static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/guest-harness.bin"));

pub const HARNESS_BASE: u64 = 0x4000_0000;
/// Largest image (code, data and .bss) accepted.
const MAX_IMAGE: u64 = 2 << 20;
pub const STACK_TOP: u64 = 0x4080_0000;
const STACK_PAGES: u64 = 16;
pub const GUEST_VA: u64 = 0x4100_0000;
pub const GUEST_PAGES: u64 = 16;

/// RCX bit: the crypto module is operational, attestation must be served.
pub const FLAG_EXPECT_ATTESTATION: u64 = 1 << 0;
/// RCX bit: fault in ring 3 on purpose (test=guest-fault).
pub const FLAG_FAULT: u64 = 1 << 1;

const MAGIC: u64 = u64::from_le_bytes(*b"SVSMHRN1");
const PAGE: u64 = PAGE_SIZE as u64;

/// The first 32 bytes of the image.
struct Header {
    entry: u64,
    text_end: u64,
    image_end: u64,
}

fn word(at: usize) -> Option<u64> {
    let bytes = IMAGE.get(at..at + 8)?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

fn header() -> Option<Header> {
    if word(0)? != MAGIC {
        return None;
    }
    let h = Header {
        entry: word(8)?,
        text_end: word(16)?,
        image_end: word(24)?,
    };
    let image = HARNESS_BASE..HARNESS_BASE + MAX_IMAGE;
    let sane = h.text_end.is_multiple_of(PAGE)
        && image.contains(&h.entry)
        && h.entry < h.text_end
        && h.text_end <= h.image_end
        && h.image_end <= image.end
        && (IMAGE.len() as u64) <= h.image_end - HARNESS_BASE;
    sane.then_some(h)
}

/// What the harness run means for the kernel's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HarnessOutcome {
    /// Every check passed.
    Passed,
    /// A check failed, the image is unusable, or the harness faulted.
    Failed,
    /// The harness faulted as the command line asked.
    FaultedAsRequested,
}

/// Allocates `pages` zeroed frames.
fn zeroed_frames(frames: &mut FrameAllocator, pages: u64) -> Result<PhysAddr, PagingError> {
    let start = frames.allocate_contiguous(pages as usize)?;
    // SAFETY: the frames were just allocated for this task (exclusively
    // ours) and lie in the kernel's direct map.
    unsafe { core::ptr::write_bytes(start.as_u64() as *mut u8, 0, (pages * PAGE) as usize) };
    Ok(start)
}

/// Builds the harness task and runs it.
pub fn run_harness(
    frames: &mut FrameAllocator,
    expect_attestation: bool,
    fault: bool,
) -> Result<HarnessOutcome, PagingError> {
    let Some(h) = header() else {
        error!(
            "guest harness: image header invalid ({} bytes)",
            IMAGE.len()
        );
        return Ok(HarnessOutcome::Failed);
    };
    let mut space = UserSpace::new(frames)?;

    let image_pages = (h.image_end - HARNESS_BASE).div_ceil(PAGE);
    let text_pages = (h.text_end - HARNESS_BASE) / PAGE;
    let image = zeroed_frames(frames, image_pages)?;
    // SAFETY: `image` has `image_pages` pages, at least IMAGE.len() bytes
    // (checked by `header`), exclusively ours, in the direct map.
    unsafe {
        core::ptr::copy_nonoverlapping(IMAGE.as_ptr(), image.as_u64() as *mut u8, IMAGE.len())
    };
    let rx = UserRights::ReadExecute;
    let rw = UserRights::ReadWrite;
    space.map(frames, HARNESS_BASE, image, text_pages, rx)?;
    let data_va = HARNESS_BASE + text_pages * PAGE;
    space.map(
        frames,
        data_va,
        image + text_pages * PAGE,
        image_pages - text_pages,
        rw,
    )?;

    let stack = zeroed_frames(frames, STACK_PAGES)?;
    space.map(
        frames,
        STACK_TOP - STACK_PAGES * PAGE,
        stack,
        STACK_PAGES,
        rw,
    )?;

    let ram = zeroed_frames(frames, GUEST_PAGES)?;
    space.map(frames, GUEST_VA, ram, GUEST_PAGES, rw)?;
    // SAFETY: `ram` is GUEST_PAGES fresh frames in the direct map, given to
    // the guest for the rest of the kernel's life.
    let guest_ram = unsafe { GuestRam::new(ram.as_u64(), GUEST_PAGES * PAGE) };
    let caa = ram.as_u64();
    if let Some(svsm) = guest::svsm() {
        svsm.lock().set_calling_area(GuestPhysAddr::new(caa));
    }
    info!(
        "guest harness: {} bytes, code {:#x}-{:#x}, guest RAM GPA {:#x}-{:#x} at {GUEST_VA:#x}, Calling Area {caa:#x}",
        IMAGE.len(),
        HARNESS_BASE,
        h.text_end,
        ram.as_u64(),
        ram.as_u64() + GUEST_PAGES * PAGE
    );

    let mut flags = 0;
    if expect_attestation {
        flags |= FLAG_EXPECT_ATTESTATION;
    }
    if fault {
        flags |= FLAG_FAULT;
    }
    let args = [GUEST_VA, ram.as_u64(), GUEST_PAGES * PAGE, flags, caa];
    let end = run("guest-harness", space, guest_ram, h.entry, STACK_TOP, args);
    let outcome = match (end, fault) {
        (TaskEnd::Exited(0), false) => HarnessOutcome::Passed,
        (TaskEnd::Faulted, true) => HarnessOutcome::FaultedAsRequested,
        _ => HarnessOutcome::Failed,
    };
    match outcome {
        HarnessOutcome::Passed => info!("guest harness: PASSED"),
        HarnessOutcome::FaultedAsRequested => {
            info!("guest harness: faulted in ring 3 as requested; kernel continues")
        }
        HarnessOutcome::Failed => error!("guest harness: FAILED ({end:?})"),
    }
    Ok(outcome)
}
