//! Guest memory, reached only by copy through checked accessors.
//!
//! An implementation of [`GuestMemory`] knows two things: which ranges the
//! guest has granted (its own memory, never the SVSM's), and how to copy bytes
//! in and out of them. Everything else is checked here, once, for every
//! access: the range must not wrap, must be granted, must be aligned when the
//! caller asks for alignment, and must stay inside one page when the caller
//! asks for that.
//!
//! Values are copied into owned `zerocopy` types ([`FromBytes`]), never
//! borrowed: the guest may change its memory at any time, so no Rust
//! reference into it may exist, and a value is checked after it was copied.

use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::addr::GuestPhysAddr;

/// Why a guest-memory access was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryError {
    /// The address is not a multiple of the required alignment.
    Misaligned,
    /// `address + length` overflows.
    Wraps,
    /// The range crosses a 4 KiB page boundary where it must not.
    CrossesPage,
    /// Part of the range is not memory the guest granted.
    NotGranted,
}

/// Raw access to the guest's memory.
///
/// The copy methods are called only by the checked accessors below, and only
/// for ranges [`GuestMemory::is_granted`] accepted; implementations may still
/// refuse with [`MemoryError::NotGranted`].
pub trait GuestMemory {
    /// Whether every byte of `[gpa, gpa + len)` is guest memory the SVSM may
    /// read and write on the guest's behalf. The caller ensures the range does
    /// not wrap.
    fn is_granted(&self, gpa: GuestPhysAddr, len: u64) -> bool;

    /// Copies guest memory at `gpa` into `out`.
    fn copy_from_guest(&self, gpa: GuestPhysAddr, out: &mut [u8]) -> Result<(), MemoryError>;

    /// Copies `data` into guest memory at `gpa`.
    fn copy_to_guest(&self, gpa: GuestPhysAddr, data: &[u8]) -> Result<(), MemoryError>;
}

/// What an access requires beyond bounds and grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Required alignment of the start address (a power of two).
    pub align: u64,
    /// Whether the range must stay inside one 4 KiB page.
    pub within_page: bool,
}

impl Rules {
    /// Any alignment, may cross pages.
    pub const ANY: Rules = Rules {
        align: 1,
        within_page: false,
    };

    pub const fn aligned(align: u64) -> Rules {
        Rules {
            align,
            within_page: false,
        }
    }

    pub const fn in_one_page(self) -> Rules {
        Rules {
            align: self.align,
            within_page: true,
        }
    }
}

/// Checks `[gpa, gpa + len)` against `rules` and the grants.
pub fn check(
    mem: &dyn GuestMemory,
    gpa: GuestPhysAddr,
    len: u64,
    rules: Rules,
) -> Result<(), MemoryError> {
    if !gpa.is_aligned(rules.align) {
        return Err(MemoryError::Misaligned);
    }
    if gpa.checked_add(len).is_none() {
        return Err(MemoryError::Wraps);
    }
    if rules.within_page && !gpa.range_within_page(len) {
        return Err(MemoryError::CrossesPage);
    }
    if len != 0 && !mem.is_granted(gpa, len) {
        return Err(MemoryError::NotGranted);
    }
    Ok(())
}

/// Reads a `T` from guest memory by copy.
pub fn read<T: FromBytes + IntoBytes>(
    mem: &dyn GuestMemory,
    gpa: GuestPhysAddr,
    rules: Rules,
) -> Result<T, MemoryError> {
    let mut value = T::new_zeroed();
    read_bytes(mem, gpa, value.as_mut_bytes(), rules)?;
    Ok(value)
}

/// Writes a `T` to guest memory by copy.
pub fn write<T: IntoBytes + Immutable>(
    mem: &dyn GuestMemory,
    gpa: GuestPhysAddr,
    value: &T,
    rules: Rules,
) -> Result<(), MemoryError> {
    write_bytes(mem, gpa, value.as_bytes(), rules)
}

/// Fills `out` from guest memory at `gpa`.
pub fn read_bytes(
    mem: &dyn GuestMemory,
    gpa: GuestPhysAddr,
    out: &mut [u8],
    rules: Rules,
) -> Result<(), MemoryError> {
    check(mem, gpa, out.len() as u64, rules)?;
    if out.is_empty() {
        return Ok(());
    }
    mem.copy_from_guest(gpa, out)
}

/// Copies `data` to guest memory at `gpa`.
pub fn write_bytes(
    mem: &dyn GuestMemory,
    gpa: GuestPhysAddr,
    data: &[u8],
    rules: Rules,
) -> Result<(), MemoryError> {
    check(mem, gpa, data.len() as u64, rules)?;
    if data.is_empty() {
        return Ok(());
    }
    mem.copy_to_guest(gpa, data)
}
