//! Loading and running the guest harness.
//!
//! The harness (crate `kernel/harness`) is a separate ring-3 program, built
//! by `kernel/build.rs` as a flat binary linked at [`BASE`] and embedded
//! here. It starts with a [`Header`] giving its entry point and where its
//! code ends and its data (including .bss) ends, so the kernel can map code
//! R+X and data RW+NX.
//!
//! The harness plays the guest: it gets [`GUEST_PAGES`] pages of "guest RAM"
//! (a [`GuestRam`], also mapped into its address space at [`GUEST_VA`]), its
//! first page is the initial Calling Area, and it issues SVSM calls through
//! the SVSM-call gate to the SVSM instance it is given. Its arguments are
//! [`EntryArgs`]. Every number here is `svsm_abi`'s, shared with the harness.

use log::{error, info};
use svsm_abi::PAGE_SIZE as PAGE;
use svsm_abi::harness::{
    BASE, EntryArgs, Flags, GUEST_PAGES, GUEST_VA, Header, MAX_IMAGE, STACK_PAGES, STACK_TOP,
};
use svsm_protocol::{GuestPhysAddr, Svsm};
use x86_64::PhysAddr;

use super::space::{UserRights, UserSpace};
use super::{Task, TaskEnd, run};
use crate::guest::GuestRam;
use crate::mm::frame::FrameAllocator;
use crate::mm::paging::PagingError;

static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/guest-harness.bin"));

/// The image's header, if it is there and describes an image that fits.
fn header() -> Option<Header> {
    let h = Header::read(IMAGE)?;
    let image = BASE..BASE + MAX_IMAGE;
    let sane = h.text_end.is_multiple_of(PAGE)
        && image.contains(&h.entry)
        && h.entry < h.text_end
        && h.text_end <= h.image_end
        && h.image_end <= image.end
        && (IMAGE.len() as u64) <= h.image_end - BASE;
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

/// Builds the harness task and runs it against `svsm`, with `flags` telling
/// it what to expect.
pub fn run_harness(
    frames: &mut FrameAllocator,
    svsm: &mut Svsm<'static>,
    flags: Flags,
) -> Result<HarnessOutcome, PagingError> {
    let Some(h) = header() else {
        error!(
            "guest harness: image header invalid ({} bytes)",
            IMAGE.len()
        );
        return Ok(HarnessOutcome::Failed);
    };
    let mut space = UserSpace::new(frames)?;

    let image_pages = (h.image_end - BASE).div_ceil(PAGE);
    let text_pages = (h.text_end - BASE) / PAGE;
    let image = zeroed_frames(frames, image_pages)?;
    // SAFETY: `image` has `image_pages` pages, at least IMAGE.len() bytes
    // (checked by `header`), exclusively ours, in the direct map.
    unsafe {
        core::ptr::copy_nonoverlapping(IMAGE.as_ptr(), image.as_u64() as *mut u8, IMAGE.len())
    };
    let rx = UserRights::ReadExecute;
    let rw = UserRights::ReadWrite;
    space.map(frames, BASE, image, text_pages, rx)?;
    let data_va = BASE + text_pages * PAGE;
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
    svsm.set_calling_area(GuestPhysAddr::new(caa));
    info!(
        "guest harness: {} bytes, code {:#x}-{:#x}, guest RAM GPA {:#x}-{:#x} at {GUEST_VA:#x}, Calling Area {caa:#x}",
        IMAGE.len(),
        BASE,
        h.text_end,
        ram.as_u64(),
        ram.as_u64() + GUEST_PAGES * PAGE
    );

    let args = EntryArgs {
        guest_va: GUEST_VA,
        guest_gpa: ram.as_u64(),
        guest_size: GUEST_PAGES * PAGE,
        flags: flags.bits(),
        calling_area: caa,
    };
    let mut task = Task::new("guest-harness", space, guest_ram, svsm);
    let end = run(&mut task, h.entry, STACK_TOP, args.registers());
    let fault = flags.contains(Flags::FAULT);
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
