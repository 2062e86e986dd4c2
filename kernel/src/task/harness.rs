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
use svsm_abi::harness::{BASE, EntryArgs, Flags, GUEST_PAGES, GUEST_VA, STACK_TOP};
use svsm_protocol::{GuestPhysAddr, Svsm};

use super::space::{UserRights, UserSpace, zeroed_frames};
use super::{Role, Task, TaskEnd, run};
use crate::guest::GuestRam;
use crate::mm::frame::FrameAllocator;
use crate::mm::paging::PagingError;

static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/guest-harness.bin"));

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

/// Builds the harness task and runs it against `svsm`, with `flags` telling
/// it what to expect.
pub fn run_harness(
    frames: &mut FrameAllocator,
    svsm: &mut Svsm<'static>,
    flags: Flags,
) -> Result<HarnessOutcome, PagingError> {
    let Some((mut space, h)) = UserSpace::load(frames, IMAGE)? else {
        error!(
            "guest harness: image header invalid ({} bytes)",
            IMAGE.len()
        );
        return Ok(HarnessOutcome::Failed);
    };
    let ram = zeroed_frames(frames, GUEST_PAGES)?;
    space.map(frames, GUEST_VA, ram, GUEST_PAGES, UserRights::ReadWrite)?;
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
    let mut task = Task::new(
        "guest-harness",
        &mut space,
        Role::Guest {
            guest: guest_ram,
            svsm,
        },
    );
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
