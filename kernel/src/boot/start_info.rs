//! The PVH `hvm_start_info` block, read from the loader's memory.
//!
//! Parsing and validation are `svsm_boot_params::start_info` (host-tested);
//! this file supplies the one machine-dependent part, reading loader memory
//! through the trampoline's identity map, and keeps the kernel's copy.

use spin::Once;
use svsm_boot_params::start_info::{LoaderMemory, StartInfo, StartInfoError};

use crate::mm::USABLE_LIMIT;

/// Physical memory below [`USABLE_LIMIT`], which the trampoline's page
/// tables identity map while the start info is read.
struct IdentityMapped;

impl LoaderMemory for IdentityMapped {
    fn read(&self, addr: u64, out: &mut [u8]) -> Option<()> {
        let end = addr.checked_add(out.len() as u64)?;
        if end > USABLE_LIMIT {
            return None;
        }
        // SAFETY: [addr, end) is below 4 GiB, which the boot page tables
        // identity map, and is loader memory no Rust object lives in; `out`
        // is a distinct kernel buffer, and bytes have no alignment.
        unsafe { core::ptr::copy_nonoverlapping(addr as *const u8, out.as_mut_ptr(), out.len()) };
        Some(())
    }
}

static START_INFO: Once<StartInfo> = Once::new();

/// Validates the block at `paddr` (the PVH `%ebx`) and copies it. Returns the
/// kernel's copy, which lives for the rest of the kernel's life. Must run
/// while the boot page tables are active.
pub fn init(paddr: u64) -> Result<&'static StartInfo, StartInfoError> {
    let info = StartInfo::parse(&IdentityMapped, paddr)?;
    Ok(START_INFO.call_once(|| info))
}
