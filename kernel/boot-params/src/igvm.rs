//! Launch from an IGVM image: where the image puts what (the one place the
//! image builder, `tools/igvm`, and the kernel agree on it) and the launch-info
//! page that tells the kernel it was launched that way.
//!
//! The boot vCPU enters the same 32-bit entry point as under PVH, with `%ebx`
//! holding a physical address. Under PVH it is `hvm_start_info`; under IGVM it
//! is [`LAUNCH_INFO_GPA`], a measured page of the image whose first word is
//! [`LAUNCH_INFO_MAGIC`] (never `hvm_start_info`'s magic), followed by the
//! addresses of the parameter areas the loader filled. [`parse`] reads them
//! into the same [`StartInfo`] the PVH path produces: memory map (IGVM
//! memory-map entries, up to the first with no pages), vCPU count, command
//! line (NUL-terminated within its area). All of it is loader input: bounded,
//! checked, and refused with a [`StartInfoError`], never a panic.

use core::ops::Range;

use igvm_defs::{IGVM_VHS_MEMORY_MAP_ENTRY, MemoryMapEntryType};
use zerocopy::FromBytes;

use crate::start_info::{Loader, LoaderMemory, MemoryKind, StartInfo, StartInfoError, read_bytes};

/// First word of the launch-info page: "SVIG" little endian.
pub const LAUNCH_INFO_MAGIC: u32 = u32::from_le_bytes(*b"SVIG");
/// Layout version of the launch-info page.
pub const LAUNCH_INFO_VERSION: u32 = 1;

/// Bytes of one parameter area (each is one page: measuring tools that count
/// an inserted area as one page then agree with the firmware).
pub const PARAMETER_AREA_SIZE: u64 = 4096;

/// Guest-physical layout of an IGVM launch, below the kernel image (which
/// sits at its link address, 1 MiB, as under PVH).
pub const MEMORY_MAP_GPA: u64 = 0x10000;
pub const VP_COUNT_GPA: u64 = 0x11000;
pub const COMMAND_LINE_GPA: u64 = 0x12000;
pub const LAUNCH_INFO_GPA: u64 = 0x13000;
/// SEV-SNP only: the CPUID page the firmware checks, and the secrets page.
pub const CPUID_PAGE_GPA: u64 = 0x14000;
pub const SECRETS_PAGE_GPA: u64 = 0x15000;
/// The launch pages, all of them the SVSM's (one page each, consecutive:
/// checked by a test).
pub const LAUNCH_PAGES: Range<u64> = MEMORY_MAP_GPA..SECRETS_PAGE_GPA + PAGE_SIZE;
/// Memory the kernel takes its frames from that the image does not load:
/// declared as required memory, from the first [`REQUIRED_MEMORY_ALIGN`]
/// boundary after the kernel image on ([`required_memory`]), this many bytes.
pub const REQUIRED_MEMORY_SIZE: u64 = 16 << 20;
/// Alignment of the required-memory range's start (one 2 MiB page, so the
/// range can be validated and mapped in 2 MiB pages).
pub const REQUIRED_MEMORY_ALIGN: u64 = 2 << 20;

/// The required-memory range of an image that ends at `image_end`: from the
/// first [`REQUIRED_MEMORY_ALIGN`] boundary at or after it,
/// [`REQUIRED_MEMORY_SIZE`] bytes; `None` if that passes the end of the
/// address space. The image builder declares it, the kernel takes its
/// frames from it on SEV-SNP (`crate::own_memory`).
pub const fn required_memory(image_end: u64) -> Option<Range<u64>> {
    let Some(start) = image_end.checked_next_multiple_of(REQUIRED_MEMORY_ALIGN) else {
        return None;
    };
    match start.checked_add(REQUIRED_MEMORY_SIZE) {
        Some(end) => Some(start..end),
        None => None,
    }
}
/// Where QEMU/KVM place (and the firmware measures) the boot vCPU's VMSA.
pub const SNP_VMSA_GPA: u64 = 0xFFFF_FFFF_F000;

/// The launch-info page's contents: magic, version, then the physical
/// addresses of the memory map, vCPU count, command line, CPUID and secrets
/// pages (0 for the last two when the platform has none), little endian.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaunchInfo {
    pub memory_map: u64,
    pub vp_count: u64,
    pub command_line: u64,
    pub cpuid_page: u64,
    pub secrets_page: u64,
}

impl LaunchInfo {
    /// Bytes of the encoded record.
    pub const SIZE: usize = 8 + 5 * 8;

    /// The layout above, as the image builder writes it.
    pub const IMAGE: Self = Self {
        memory_map: MEMORY_MAP_GPA,
        vp_count: VP_COUNT_GPA,
        command_line: COMMAND_LINE_GPA,
        cpuid_page: CPUID_PAGE_GPA,
        secrets_page: SECRETS_PAGE_GPA,
    };

    pub fn encode(&self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        out[0..4].copy_from_slice(&LAUNCH_INFO_MAGIC.to_le_bytes());
        out[4..8].copy_from_slice(&LAUNCH_INFO_VERSION.to_le_bytes());
        let fields = [
            self.memory_map,
            self.vp_count,
            self.command_line,
            self.cpuid_page,
            self.secrets_page,
        ];
        for (slot, value) in out[8..].chunks_exact_mut(8).zip(fields) {
            slot.copy_from_slice(&value.to_le_bytes());
        }
        out
    }

    /// The record in `bytes`, or `None` if the magic or version is not ours.
    pub fn decode(bytes: &[u8; Self::SIZE]) -> Option<Self> {
        let word = |at: usize| {
            let mut b = [0; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(b)
        };
        let magic = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let version = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        (magic == LAUNCH_INFO_MAGIC && version == LAUNCH_INFO_VERSION).then(|| Self {
            memory_map: word(8),
            vp_count: word(16),
            command_line: word(24),
            cpuid_page: word(32),
            secrets_page: word(40),
        })
    }
}

/// Bytes of one IGVM memory-map entry.
const MEMORY_MAP_ENTRY_SIZE: usize = size_of::<IGVM_VHS_MEMORY_MAP_ENTRY>();
/// Entries that fit in the memory-map parameter area.
const MEMORY_MAP_ENTRIES: usize = PARAMETER_AREA_SIZE as usize / MEMORY_MAP_ENTRY_SIZE;
/// Bytes of a page, the unit of IGVM memory-map entries.
pub const PAGE_SIZE: u64 = 4096;

/// The kernel's memory kind for an IGVM memory-map entry type.
fn memory_kind(entry_type: MemoryMapEntryType) -> MemoryKind {
    match entry_type {
        MemoryMapEntryType::MEMORY | MemoryMapEntryType::VTL2_PROTECTABLE => MemoryKind::Ram,
        MemoryMapEntryType::PLATFORM_RESERVED => MemoryKind::Reserved,
        MemoryMapEntryType::PERSISTENT => MemoryKind::Persistent,
        other => MemoryKind::Unknown(u32::from(other.0)),
    }
}

/// Reads an IGVM launch: the launch-info page at `paddr` (whose magic the
/// caller has seen), then the parameter areas it points to.
pub fn parse(mem: &dyn LoaderMemory, paddr: u64) -> Result<StartInfo, StartInfoError> {
    let raw = read_bytes::<{ LaunchInfo::SIZE }>(mem, "IGVM launch info", paddr)?;
    let info = LaunchInfo::decode(&raw).ok_or(StartInfoError::BadLaunchInfo {
        version: u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]),
    })?;
    let vcpus = u32::from_le_bytes(read_bytes::<4>(mem, "IGVM vCPU count", info.vp_count)?);
    if vcpus == 0 {
        return Err(StartInfoError::NoVcpus);
    }

    let mut out = StartInfo::new(Loader::Igvm { vcpus });
    for i in 0..MEMORY_MAP_ENTRIES {
        let addr = info
            .memory_map
            .saturating_add((i * MEMORY_MAP_ENTRY_SIZE) as u64);
        let raw = read_bytes::<MEMORY_MAP_ENTRY_SIZE>(mem, "IGVM memory map", addr)?;
        let entry = IGVM_VHS_MEMORY_MAP_ENTRY::read_from_bytes(&raw).map_err(|_| {
            StartInfoError::BadAddress {
                what: "IGVM memory map",
                addr,
            }
        })?;
        if entry.number_of_pages == 0 {
            break;
        }
        let (start, size) = match (
            entry.starting_gpa_page_number.checked_mul(PAGE_SIZE),
            entry.number_of_pages.checked_mul(PAGE_SIZE),
        ) {
            (Some(start), Some(size)) => (start, size),
            _ => {
                return Err(StartInfoError::RegionOverflow {
                    addr: entry.starting_gpa_page_number,
                    size: entry.number_of_pages,
                });
            }
        };
        out.push_region(start, size, memory_kind(entry.entry_type), (i + 1) as u32)?;
    }
    if out.memory_map.iter().next().is_none() {
        return Err(StartInfoError::EmptyMemoryMap);
    }
    out.read_cmdline(mem, info.command_line, PARAMETER_AREA_SIZE as usize)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loader memory for tests: the six low pages of the image layout.
    struct Low(Vec<u8>);

    const BASE: u64 = MEMORY_MAP_GPA;

    impl LoaderMemory for Low {
        fn read(&self, addr: u64, out: &mut [u8]) -> Option<()> {
            let start = usize::try_from(addr.checked_sub(BASE)?).ok()?;
            out.copy_from_slice(self.0.get(start..start.checked_add(out.len())?)?);
            Some(())
        }
    }

    impl Low {
        fn put(&mut self, addr: u64, data: &[u8]) {
            let at = (addr - BASE) as usize;
            self.0[at..at + data.len()].copy_from_slice(data);
        }

        /// An IGVM launch as a loader leaves it: memory-map entries (first
        /// page, pages, type), vCPU count, command line.
        fn launch(entries: &[(u64, u64, u16)], vcpus: u32, cmdline: &[u8]) -> Self {
            let mut mem = Low(vec![0; 0x6000]);
            mem.put(LAUNCH_INFO_GPA, &LaunchInfo::IMAGE.encode());
            for (i, (page, pages, kind)) in entries.iter().enumerate() {
                let at = MEMORY_MAP_GPA + (i * MEMORY_MAP_ENTRY_SIZE) as u64;
                mem.put(at, &page.to_le_bytes());
                mem.put(at + 8, &pages.to_le_bytes());
                mem.put(at + 16, &kind.to_le_bytes());
            }
            mem.put(VP_COUNT_GPA, &vcpus.to_le_bytes());
            mem.put(COMMAND_LINE_GPA, cmdline);
            mem
        }
    }

    const QEMU_LIKE: [(u64, u64, u16); 2] = [(0, 0x80000, 0), (0xfeffc, 4, 1)];

    fn parse_launch(mem: &Low) -> Result<StartInfo, StartInfoError> {
        StartInfo::parse(mem, LAUNCH_INFO_GPA)
    }

    #[test]
    fn an_igvm_launch_reads_memory_map_vcpus_and_command_line() {
        let info = parse_launch(&Low::launch(&QEMU_LIKE, 4, b"log=debug\0")).unwrap();
        assert_eq!(info.loader, Loader::Igvm { vcpus: 4 });
        let regions: Vec<_> = info
            .memory_map
            .iter()
            .map(|r| (r.start, r.size, r.kind))
            .collect();
        assert_eq!(
            regions,
            [
                (0, 0x8000_0000, MemoryKind::Ram),
                (0xfeff_c000, 0x4000, MemoryKind::Reserved)
            ]
        );
        assert_eq!(info.cmdline(), b"log=debug");
        assert_eq!(info.rsdp, None);
    }

    #[test]
    fn hostile_igvm_parameters_are_refused() {
        let err = |mem: &Low| parse_launch(mem).err();
        assert_eq!(
            err(&Low::launch(&QEMU_LIKE, 0, b"\0")),
            Some(StartInfoError::NoVcpus)
        );
        assert_eq!(
            err(&Low::launch(&[], 1, b"\0")),
            Some(StartInfoError::EmptyMemoryMap)
        );
        let full = [(0, 1, 0); MEMORY_MAP_ENTRIES];
        assert!(parse_launch(&Low::launch(&full[..32], 1, b"\0")).is_ok());
        assert_eq!(
            err(&Low::launch(&full, 1, b"\0")),
            Some(StartInfoError::TooManyRegions(33))
        );
        assert!(matches!(
            err(&Low::launch(&[(u64::MAX / 2, 1, 0)], 1, b"\0")),
            Some(StartInfoError::RegionOverflow { .. })
        ));
        assert!(matches!(
            err(&Low::launch(&[(u64::MAX / 4096, 2, 0)], 1, b"\0")),
            Some(StartInfoError::RegionOverflow { .. })
        ));
        // A command line filling its area with no terminator.
        let unterminated = [b'x'; PARAMETER_AREA_SIZE as usize];
        assert_eq!(
            err(&Low::launch(&QEMU_LIKE, 1, &unterminated)),
            Some(StartInfoError::CmdlineTooLong)
        );
        let mut newer = Low::launch(&QEMU_LIKE, 1, b"\0");
        newer.put(LAUNCH_INFO_GPA + 4, &2u32.to_le_bytes());
        assert_eq!(
            err(&newer),
            Some(StartInfoError::BadLaunchInfo { version: 2 })
        );
        // Parameter areas the reader cannot reach.
        let mut away = Low::launch(&QEMU_LIKE, 1, b"\0");
        let elsewhere = LaunchInfo {
            vp_count: 0x9000_0000,
            ..LaunchInfo::IMAGE
        };
        away.put(LAUNCH_INFO_GPA, &elsewhere.encode());
        assert!(matches!(
            err(&away),
            Some(StartInfoError::BadAddress {
                addr: 0x9000_0000,
                ..
            })
        ));
    }

    #[test]
    fn launch_info_round_trips_and_refuses_other_magic() {
        let bytes = LaunchInfo::IMAGE.encode();
        assert_eq!(LaunchInfo::decode(&bytes), Some(LaunchInfo::IMAGE));
        let mut pvh = bytes;
        pvh[0..4].copy_from_slice(&crate::start_info::START_INFO_MAGIC.to_le_bytes());
        assert_eq!(LaunchInfo::decode(&pvh), None);
        let mut newer = bytes;
        newer[4] = 2;
        assert_eq!(LaunchInfo::decode(&newer), None);
    }

    #[test]
    fn image_layout_pages_are_distinct_and_below_the_kernel() {
        let pages = [
            MEMORY_MAP_GPA,
            VP_COUNT_GPA,
            COMMAND_LINE_GPA,
            LAUNCH_INFO_GPA,
            CPUID_PAGE_GPA,
            SECRETS_PAGE_GPA,
        ];
        for (i, a) in pages.iter().enumerate() {
            assert_eq!(a % 4096, 0);
            assert!(a + PARAMETER_AREA_SIZE <= 0x100000);
            for b in &pages[i + 1..] {
                assert!(a + 4096 <= *b || b + 4096 <= *a, "{a:#x} overlaps {b:#x}");
            }
        }
        // One page each, no gap: LAUNCH_PAGES is exactly them.
        let mut sorted = pages;
        sorted.sort_unstable();
        assert_eq!(sorted[0], LAUNCH_PAGES.start);
        assert!(sorted.windows(2).all(|w| w[1] == w[0] + PAGE_SIZE));
        assert_eq!(sorted[5] + PAGE_SIZE, LAUNCH_PAGES.end);
    }
}
