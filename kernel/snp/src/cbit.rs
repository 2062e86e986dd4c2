//! The C-bit: the page-table address bit that marks a mapping private
//! (encrypted with the guest's key) on SEV-SNP (AMD APM vol. 2, "Memory
//! Encryption", and CPUID Fn8000_001F EBX[5:0]).
//!
//! Every page-table entry the kernel writes on SNP goes through
//! [`CBit::entry_address`]: private mappings (the SVSM's own memory, the
//! page tables themselves, the CPUID and secrets pages) carry the bit, the
//! pages shared with the hypervisor (the GHCB, the guest-message pages) do
//! not. Native has no C-bit and its entries are the plain address.
//!
//! Where the position comes from: before the CPUID page is mapped only the
//! hypervisor can say (the GHCB MSR protocol's CPUID request); that answer
//! is taken provisionally and [`CBit::confirm`] checks it against the
//! firmware-validated CPUID page as soon as the page is readable, before
//! any secret is placed in memory. A hypervisor that lied is caught there.

use crate::cpuid::{CpuidPage, MissingLeaf};

/// CPUID leaf of the memory-encryption features.
pub const CPUID_MEM_ENCRYPT: u32 = 0x8000_001f;

/// Lowest position accepted: the C-bit lies above any address the SVSM
/// maps (4 GiB) and inside the 52-bit physical address field.
const LOWEST: u8 = 32;
/// Highest position the page-table address field holds (bits 51:12).
const HIGHEST: u8 = 51;

/// The C-bit position, checked to lie in the address field above 4 GiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CBit(u8);

/// Whether a mapping is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Private to the guest: C-bit set.
    Private,
    /// Shared with the hypervisor: C-bit clear.
    Shared,
}

/// What is wrong with a C-bit or an address to map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CBitError {
    /// CPUID reports a position outside `32..=51`.
    Position(u8),
    /// The address is not page aligned, or reaches the C-bit (it would alias
    /// the other visibility) or beyond.
    Address(u64),
    /// The CPUID page lacks leaf 0x8000_001F.
    Missing(MissingLeaf),
    /// The CPUID page names another position than the one in use.
    Mismatch { in_use: u8, cpuid_page: u8 },
}

impl CBit {
    /// The position CPUID 0x8000_001F reports in EBX[5:0].
    pub fn from_cpuid_ebx(ebx: u32) -> Result<Self, CBitError> {
        let position = (ebx & 0x3f) as u8;
        if !(LOWEST..=HIGHEST).contains(&position) {
            return Err(CBitError::Position(position));
        }
        Ok(Self(position))
    }

    pub fn position(self) -> u8 {
        self.0
    }

    /// The bit as an address mask.
    pub fn mask(self) -> u64 {
        1 << self.0
    }

    /// The address field of a page-table entry (or CR3) for the page at
    /// `pa`: `pa` itself with the C-bit set for a private mapping, clear for
    /// a shared one. `pa` must be 4 KiB aligned and below the C-bit.
    pub fn entry_address(self, pa: u64, visibility: Visibility) -> Result<u64, CBitError> {
        if pa & 0xfff != 0 || pa >= self.mask() {
            return Err(CBitError::Address(pa));
        }
        Ok(match visibility {
            Visibility::Private => pa | self.mask(),
            Visibility::Shared => pa,
        })
    }

    /// The physical address an entry's address field names, whatever its
    /// visibility (what the page-table walker in software must use).
    pub fn strip(self, entry_address: u64) -> u64 {
        entry_address & !self.mask()
    }

    /// Checks the position in use against the firmware-validated CPUID page.
    pub fn confirm(self, page: &CpuidPage) -> Result<(), CBitError> {
        let leaf = page
            .lookup(CPUID_MEM_ENCRYPT, 0)
            .map_err(CBitError::Missing)?;
        let listed = Self::from_cpuid_ebx(leaf.ebx)?;
        if listed != self {
            return Err(CBitError::Mismatch {
                in_use: self.0,
                cpuid_page: listed.0,
            });
        }
        Ok(())
    }
}
