//! Guest-physical addresses.
//!
//! A [`GuestPhysAddr`] is what the guest names in a register or a request
//! field. It is a distinct type so that it cannot be mixed up with a length,
//! a frame number or an address of the SVSM's own; arithmetic on it is
//! checked, because every value comes from the guest.

use core::fmt;

/// Size of a 4 KiB page (the ABI's base page).
pub const PAGE_SIZE: u64 = svsm_abi::PAGE_SIZE;
/// Size of a 2 MiB page.
pub const PAGE_SIZE_2M: u64 = 2 * 1024 * 1024;

/// A guest-physical address, as supplied by the guest: unchecked until one of
/// the accessors in [`crate::memory`] accepts it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GuestPhysAddr(u64);

impl GuestPhysAddr {
    pub const fn new(raw: u64) -> Self {
        Self(raw)
    }

    pub const fn raw(self) -> u64 {
        self.0
    }

    /// The address of guest frame number `gfn` (4 KiB frames); `None` if it
    /// does not fit in 64 bits.
    pub const fn from_gfn(gfn: u64) -> Option<Self> {
        match gfn.checked_mul(PAGE_SIZE) {
            Some(raw) => Some(Self(raw)),
            None => None,
        }
    }

    /// Whether the address is a multiple of `align` (a power of two).
    pub const fn is_aligned(self, align: u64) -> bool {
        self.0 & (align - 1) == 0
    }

    pub const fn is_page_aligned(self) -> bool {
        self.is_aligned(PAGE_SIZE)
    }

    /// Offset inside the 4 KiB page.
    pub const fn page_offset(self) -> u64 {
        self.0 & (PAGE_SIZE - 1)
    }

    /// The start of the 4 KiB page holding the address.
    pub const fn page_align_down(self) -> Self {
        Self(self.0 & !(PAGE_SIZE - 1))
    }

    /// `self + offset`, or `None` on overflow.
    pub const fn checked_add(self, offset: u64) -> Option<Self> {
        match self.0.checked_add(offset) {
            Some(raw) => Some(Self(raw)),
            None => None,
        }
    }

    /// Whether `len` bytes from this address stay inside one 4 KiB page
    /// (`len == 0` never crosses).
    pub const fn range_within_page(self, len: u64) -> bool {
        len == 0 || (len <= PAGE_SIZE && self.page_offset() + len <= PAGE_SIZE)
    }
}

impl fmt::Debug for GuestPhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "gpa:{:#x}", self.0)
    }
}

impl fmt::Display for GuestPhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_helpers() {
        let a = GuestPhysAddr::new(0x1ff8);
        assert_eq!(a.page_offset(), 0xff8);
        assert_eq!(a.page_align_down(), GuestPhysAddr::new(0x1000));
        assert!(a.is_aligned(8));
        assert!(!a.is_aligned(16));
        assert!(a.range_within_page(8));
        assert!(!a.range_within_page(9));
        assert!(GuestPhysAddr::new(0x2000).range_within_page(PAGE_SIZE));
        assert!(!GuestPhysAddr::new(0x2000).range_within_page(PAGE_SIZE + 1));
        assert!(GuestPhysAddr::new(u64::MAX).checked_add(1).is_none());
        assert_eq!(GuestPhysAddr::from_gfn(3), Some(GuestPhysAddr::new(0x3000)));
        assert_eq!(GuestPhysAddr::from_gfn(u64::MAX), None);
    }
}
