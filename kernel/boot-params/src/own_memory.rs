//! The SVSM's own memory on SEV-SNP: the launched image and the
//! required-memory range its IGVM file declares after it
//! ([`crate::igvm::required_memory`], the one definition the image builder
//! uses too). Everything else in the memory map is the guest's, which the
//! SVSM reaches only one page at a time through its mapping window.
//!
//! The memory map is the loader's (the hypervisor's) word: the range is
//! taken only if the map describes every byte of it as RAM and nothing else
//! (an entry of another kind overlapping it, even beside a RAM entry that
//! covers it, refuses it).

use core::ops::Range;

use crate::igvm::{LAUNCH_PAGES, PAGE_SIZE, SNP_VMSA_GPA, required_memory};
use crate::start_info::{MemoryKind, MemoryRegion};

/// Why the SVSM cannot take its memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnMemoryError {
    /// The image ends so high that the required range would wrap.
    NoRange,
    /// The memory map does not describe the byte at this address as RAM
    /// (no entry covers it, or an entry of another kind overlaps the range
    /// there).
    NotRam { at: u64 },
}

impl core::fmt::Display for OwnMemoryError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoRange => write!(f, "the image ends too high for its required memory"),
            Self::NotRam { at } => write!(
                f,
                "the memory map does not describe {at:#x} of the required memory as RAM"
            ),
        }
    }
}

/// The SVSM's memory: `image` as launched, then `required` (page aligned,
/// [`crate::igvm::REQUIRED_MEMORY_SIZE`] bytes, all RAM in the memory map).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnMemory {
    pub image: Range<u64>,
    pub required: Range<u64>,
}

impl OwnMemory {
    /// The memory of an image launched at `image`, checked against the
    /// memory map `map`.
    pub fn new<'a>(
        image: Range<u64>,
        map: impl Iterator<Item = &'a MemoryRegion> + Clone,
    ) -> Result<Self, OwnMemoryError> {
        let required = required_memory(image.end).ok_or(OwnMemoryError::NoRange)?;
        check_ram(&required, map)?;
        Ok(Self { image, required })
    }

    /// Every range the SVSM launched and owns on SEV-SNP: the launch pages
    /// below 1 MiB ([`LAUNCH_PAGES`]: parameter areas, launch info, CPUID
    /// and secrets pages), [`Self::span`], and the boot vCPU's VMSA page.
    /// The guest may never validate, be granted or name any of it.
    pub fn svsm_ranges(&self) -> [Range<u64>; 3] {
        [
            LAUNCH_PAGES,
            self.span(),
            SNP_VMSA_GPA..SNP_VMSA_GPA + PAGE_SIZE,
        ]
    }

    /// One range holding all of it: from the image's start to the end of the
    /// required memory (the alignment gap between them included, which no
    /// one else may use either).
    pub fn span(&self) -> Range<u64> {
        self.image.start.min(self.required.start)..self.required.end
    }
}

/// Whether `map` describes all of `range` as RAM and nothing else.
fn check_ram<'a>(
    range: &Range<u64>,
    map: impl Iterator<Item = &'a MemoryRegion> + Clone,
) -> Result<(), OwnMemoryError> {
    let overlaps = |r: &MemoryRegion| r.start < range.end && range.start < r.end();
    if let Some(other) = map
        .clone()
        .filter(|r| r.kind != MemoryKind::Ram && r.size != 0)
        .filter(|r| overlaps(r))
        .min_by_key(|r| r.start)
    {
        return Err(OwnMemoryError::NotRam {
            at: other.start.max(range.start),
        });
    }
    // Walk from the start: each step jumps to the end of a RAM entry that
    // covers the current address; entries may be in any order and overlap.
    let mut at = range.start;
    while at < range.end {
        at = map
            .clone()
            .filter(|r| r.kind == MemoryKind::Ram && r.start <= at && at < r.end())
            .map(MemoryRegion::end)
            .max()
            .ok_or(OwnMemoryError::NotRam { at })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::igvm::{REQUIRED_MEMORY_ALIGN, REQUIRED_MEMORY_SIZE};

    const MIB: u64 = 1 << 20;
    /// An image as the kernel's: from 1 MiB, ending off a 2 MiB boundary.
    const IMAGE: Range<u64> = MIB..5 * MIB + 0x3000;
    /// Its required memory: from 6 MiB, 16 MiB.
    const REQUIRED: Range<u64> = 6 * MIB..22 * MIB;

    fn region(start: u64, end: u64, kind: MemoryKind) -> MemoryRegion {
        MemoryRegion {
            start,
            size: end - start,
            kind,
        }
    }

    fn ram(start: u64, end: u64) -> MemoryRegion {
        region(start, end, MemoryKind::Ram)
    }

    fn own(map: &[MemoryRegion]) -> Result<OwnMemory, OwnMemoryError> {
        OwnMemory::new(IMAGE, map.iter())
    }

    #[test]
    fn the_required_range_follows_the_image_on_a_2_mib_boundary() {
        assert_eq!(required_memory(IMAGE.end), Some(REQUIRED));
        assert_eq!(REQUIRED.end - REQUIRED.start, REQUIRED_MEMORY_SIZE);
        // An image ending on the boundary is followed right there.
        assert_eq!(
            required_memory(4 * MIB),
            Some(4 * MIB..4 * MIB + REQUIRED_MEMORY_SIZE)
        );
        assert_eq!(required_memory(0), Some(0..REQUIRED_MEMORY_SIZE));
        // Near the top of the address space: no range, never a wrap.
        assert_eq!(required_memory(u64::MAX - 5), None);
        let last_start = u64::MAX - REQUIRED_MEMORY_SIZE + 1;
        assert_eq!(required_memory(last_start), None);
        let below = last_start - REQUIRED_MEMORY_ALIGN;
        assert_eq!(
            required_memory(below),
            Some(below..below + REQUIRED_MEMORY_SIZE)
        );
    }

    #[test]
    fn a_qemu_like_map_gives_the_image_and_the_required_range() {
        let map = [
            ram(0, 0x9_fc00),
            region(0xf_0000, MIB, MemoryKind::Reserved),
            ram(MIB, 512 * MIB),
            region(0xfeff_c000, 0xff00_0000, MemoryKind::Reserved),
        ];
        let own = own(&map).unwrap();
        assert_eq!(own.image, IMAGE);
        assert_eq!(own.required, REQUIRED);
        assert_eq!(own.span(), MIB..22 * MIB);
        assert_eq!(
            own.svsm_ranges(),
            [
                0x10000..0x16000,
                MIB..22 * MIB,
                0xFFFF_FFFF_F000..0x1_0000_0000_0000
            ]
        );
    }

    #[test]
    fn ram_in_several_entries_in_any_order_is_enough() {
        let map = [
            ram(14 * MIB, 64 * MIB),
            ram(0, 8 * MIB),
            ram(8 * MIB, 14 * MIB),
        ];
        assert_eq!(own(&map).unwrap().required, REQUIRED);
        // Overlapping RAM entries are still RAM.
        let map = [ram(MIB, 20 * MIB), ram(4 * MIB, 30 * MIB)];
        assert!(own(&map).is_ok());
    }

    #[test]
    fn a_missing_range_is_refused() {
        assert_eq!(
            own(&[ram(0, 6 * MIB)]),
            Err(OwnMemoryError::NotRam { at: REQUIRED.start })
        );
        assert_eq!(
            own(&[ram(64 * MIB, 128 * MIB)]),
            Err(OwnMemoryError::NotRam { at: REQUIRED.start })
        );
        assert_eq!(own(&[]), Err(OwnMemoryError::NotRam { at: REQUIRED.start }));
    }

    #[test]
    fn a_partly_missing_range_is_refused_where_it_stops() {
        // Ends one page early.
        let short = [ram(MIB, REQUIRED.end - 0x1000)];
        assert_eq!(
            own(&short),
            Err(OwnMemoryError::NotRam {
                at: REQUIRED.end - 0x1000
            })
        );
        // A hole in the middle.
        let holed = [ram(MIB, 10 * MIB), ram(10 * MIB + 0x1000, 64 * MIB)];
        assert_eq!(own(&holed), Err(OwnMemoryError::NotRam { at: 10 * MIB }));
        // Starts one page late.
        let late = [ram(REQUIRED.start + 0x1000, 64 * MIB)];
        assert_eq!(
            own(&late),
            Err(OwnMemoryError::NotRam { at: REQUIRED.start })
        );
        // Empty entries cover nothing.
        let empty = [ram(MIB, 10 * MIB), ram(10 * MIB, 10 * MIB)];
        assert_eq!(own(&empty), Err(OwnMemoryError::NotRam { at: 10 * MIB }));
    }

    #[test]
    fn another_kind_overlapping_ram_is_refused() {
        for kind in [
            MemoryKind::Reserved,
            MemoryKind::AcpiNvs,
            MemoryKind::Persistent,
            MemoryKind::Unknown(99),
        ] {
            let map = [ram(0, 64 * MIB), region(12 * MIB, 12 * MIB + 0x1000, kind)];
            assert_eq!(
                own(&map),
                Err(OwnMemoryError::NotRam { at: 12 * MIB }),
                "{kind:?}"
            );
        }
        // One that starts before the range is reported at the range's start.
        let map = [
            ram(0, 64 * MIB),
            region(5 * MIB, 7 * MIB, MemoryKind::Reserved),
        ];
        assert_eq!(
            own(&map),
            Err(OwnMemoryError::NotRam { at: REQUIRED.start })
        );
        // Beside the range it does not matter.
        let map = [
            ram(0, 64 * MIB),
            region(REQUIRED.end, REQUIRED.end + MIB, MemoryKind::Reserved),
            region(REQUIRED.start - MIB, REQUIRED.start, MemoryKind::Reserved),
        ];
        assert!(own(&map).is_ok());
    }

    #[test]
    fn an_image_too_high_has_no_range() {
        let map = [ram(0, u64::MAX)];
        assert_eq!(
            OwnMemory::new(u64::MAX - 0x3000..u64::MAX - 0x1000, map.iter()),
            Err(OwnMemoryError::NoRange)
        );
    }
}
