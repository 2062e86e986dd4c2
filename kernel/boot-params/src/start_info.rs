//! The PVH `hvm_start_info` block: validated and copied into a [`StartInfo`].
//!
//! The block, its memory map and the command line live in memory owned by
//! the loader. Everything the kernel needs is copied out once, at boot, so
//! that nothing later holds a pointer into memory the kernel does not own
//! (and that the kernel's page tables do not map). All fields are untrusted
//! input: addresses are checked by the reader ([`LoaderMemory`]), counts are
//! bounded, and violations are reported as [`StartInfoError`], never a panic.
//!
//! Layout (Xen `arch-x86/hvm/start_info.h`, version 1, little endian):
//! magic, version, flags, nr_modules (u32 each), modlist_paddr, cmdline_paddr,
//! rsdp_paddr, memmap_paddr (u64 each), memmap_entries, reserved (u32 each).
//! Memory-map entries: addr, size (u64), type, reserved (u32).

use core::fmt;
use core::ops::Range;

/// `hvm_start_info.magic`.
pub const START_INFO_MAGIC: u32 = 0x336e_c578;
/// Most memory-map entries kept.
pub const MAX_MEMORY_REGIONS: usize = 32;
/// Longest command line accepted, in bytes before its terminating NUL.
pub const MAX_CMDLINE: usize = 1024;

/// Size of `hvm_start_info` (version 1).
const START_INFO_SIZE: usize = 56;
/// Size of one memory-map entry.
const MEMMAP_ENTRY_SIZE: usize = 24;

/// The loader's memory, read by physical address.
pub trait LoaderMemory {
    /// Copies the `out.len()` bytes at physical address `addr` into `out`,
    /// or returns `None` if any of them may not be read.
    fn read(&self, addr: u64, out: &mut [u8]) -> Option<()>;
}

#[derive(Debug, PartialEq, Eq)]
pub enum StartInfoError {
    /// An address handed over is null, or the reader refused it.
    BadAddress {
        what: &'static str,
        addr: u64,
    },
    BadMagic(u32),
    /// Version 0 has no memory map; the kernel needs one.
    NoMemoryMap {
        version: u32,
    },
    TooManyRegions(u32),
    RegionOverflow {
        addr: u64,
        size: u64,
    },
    CmdlineTooLong,
    /// The IGVM launch-info page has our magic but another layout version.
    BadLaunchInfo {
        version: u32,
    },
    /// The IGVM loader deposited a vCPU count of 0.
    NoVcpus,
    /// The IGVM loader deposited an empty memory map.
    EmptyMemoryMap,
}

impl fmt::Display for StartInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadAddress { what, addr } => {
                write!(f, "{what} address {addr:#x} is null or not readable")
            }
            Self::BadMagic(m) => write!(
                f,
                "magic {m:#x} is neither hvm_start_info's nor the IGVM launch-info page's"
            ),
            Self::BadLaunchInfo { version } => {
                write!(f, "IGVM launch-info page version {version} is not ours")
            }
            Self::NoVcpus => write!(f, "the IGVM vCPU count is 0"),
            Self::EmptyMemoryMap => write!(f, "the IGVM memory map is empty"),
            Self::NoMemoryMap { version } => {
                write!(f, "hvm_start_info version {version} carries no memory map")
            }
            Self::TooManyRegions(n) => {
                write!(f, "memory map has {n} entries (limit {MAX_MEMORY_REGIONS})")
            }
            Self::RegionOverflow { addr, size } => {
                write!(f, "memory region {addr:#x}+{size:#x} wraps around")
            }
            Self::CmdlineTooLong => write!(f, "command line longer than {MAX_CMDLINE} bytes"),
        }
    }
}

/// Reads `N` bytes at `addr`; a null address is refused like an unreadable one.
pub(crate) fn read_bytes<const N: usize>(
    mem: &dyn LoaderMemory,
    what: &'static str,
    addr: u64,
) -> Result<[u8; N], StartInfoError> {
    let mut out = [0u8; N];
    match addr {
        0 => None,
        _ => mem.read(addr, &mut out),
    }
    .ok_or(StartInfoError::BadAddress { what, addr })?;
    Ok(out)
}

/// Little-endian fields of a byte record, by offset.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn u32(&self, at: usize) -> u32 {
        let mut b = [0; 4];
        b.copy_from_slice(&self.0[at..at + 4]);
        u32::from_le_bytes(b)
    }

    fn u64(&self, at: usize) -> u64 {
        let mut b = [0; 8];
        b.copy_from_slice(&self.0[at..at + 8]);
        u64::from_le_bytes(b)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryKind {
    Ram,
    Reserved,
    AcpiReclaimable,
    AcpiNvs,
    Unusable,
    Disabled,
    Persistent,
    Unknown(u32),
}

impl MemoryKind {
    pub fn from_raw(kind: u32) -> Self {
        match kind {
            1 => Self::Ram,
            2 => Self::Reserved,
            3 => Self::AcpiReclaimable,
            4 => Self::AcpiNvs,
            5 => Self::Unusable,
            6 => Self::Disabled,
            7 => Self::Persistent,
            other => Self::Unknown(other),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Ram => "RAM",
            Self::Reserved => "reserved",
            Self::AcpiReclaimable => "ACPI",
            Self::AcpiNvs => "ACPI NVS",
            Self::Unusable => "unusable",
            Self::Disabled => "disabled",
            Self::Persistent => "persistent",
            Self::Unknown(_) => "unknown",
        }
    }
}

/// One memory-map entry. Addresses are raw `u64`s: they are platform data,
/// checked (no wrap-around) but not necessarily canonical or mapped.
#[derive(Clone, Copy, Debug)]
pub struct MemoryRegion {
    pub start: u64,
    pub size: u64,
    pub kind: MemoryKind,
}

impl MemoryRegion {
    pub fn end(&self) -> u64 {
        // Cannot overflow: checked when the region was read.
        self.start + self.size
    }
}

pub struct MemoryMap {
    regions: [MemoryRegion; MAX_MEMORY_REGIONS],
    len: usize,
}

impl MemoryMap {
    pub fn iter(&self) -> impl Iterator<Item = &MemoryRegion> + Clone {
        self.regions[..self.len].iter()
    }

    /// The RAM regions, as physical ranges: what memory management is given.
    pub fn ram(&self) -> impl Iterator<Item = Range<u64>> + '_ {
        self.iter()
            .filter(|r| r.kind == MemoryKind::Ram)
            .map(|r| r.start..r.end())
    }

    /// Total bytes of the given kind.
    pub fn total(&self, kind: MemoryKind) -> u64 {
        self.iter().filter(|r| r.kind == kind).map(|r| r.size).sum()
    }
}

/// Who launched the kernel, and what only that loader tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loader {
    /// PVH: `hvm_start_info` of this version.
    Pvh { version: u32 },
    /// IGVM: the parameter areas of [`crate::igvm`], with this vCPU count.
    Igvm { vcpus: u32 },
}

pub struct StartInfo {
    pub loader: Loader,
    pub memory_map: MemoryMap,
    cmdline: [u8; MAX_CMDLINE],
    cmdline_len: usize,
    pub rsdp: Option<u64>,
}

impl StartInfo {
    /// The command line as given (may be empty).
    pub fn cmdline(&self) -> &[u8] {
        &self.cmdline[..self.cmdline_len]
    }

    /// An empty record for `loader`, filled in by the parsers.
    pub(crate) fn new(loader: Loader) -> Self {
        Self {
            loader,
            memory_map: MemoryMap {
                regions: [MemoryRegion {
                    start: 0,
                    size: 0,
                    kind: MemoryKind::Reserved,
                }; MAX_MEMORY_REGIONS],
                len: 0,
            },
            cmdline: [0; MAX_CMDLINE],
            cmdline_len: 0,
            rsdp: None,
        }
    }

    /// Appends a region to the memory map, checking it does not wrap and
    /// that the map has room.
    pub(crate) fn push_region(
        &mut self,
        start: u64,
        size: u64,
        kind: MemoryKind,
        count: u32,
    ) -> Result<(), StartInfoError> {
        if start.checked_add(size).is_none() {
            return Err(StartInfoError::RegionOverflow { addr: start, size });
        }
        let map = &mut self.memory_map;
        let slot = map
            .regions
            .get_mut(map.len)
            .ok_or(StartInfoError::TooManyRegions(count))?;
        *slot = MemoryRegion { start, size, kind };
        map.len += 1;
        Ok(())
    }

    /// Copies the NUL-terminated command line at `paddr`, reading at most
    /// `limit` bytes (its terminator included).
    pub(crate) fn read_cmdline(
        &mut self,
        mem: &dyn LoaderMemory,
        paddr: u64,
        limit: usize,
    ) -> Result<(), StartInfoError> {
        let mut len = 0;
        loop {
            if len >= limit {
                return Err(StartInfoError::CmdlineTooLong);
            }
            let addr = paddr.saturating_add(len as u64);
            let [byte] = read_bytes::<1>(mem, "command line", addr)?;
            if byte == 0 {
                break;
            }
            *self
                .cmdline
                .get_mut(len)
                .ok_or(StartInfoError::CmdlineTooLong)? = byte;
            len += 1;
        }
        self.cmdline_len = len;
        Ok(())
    }
}

impl StartInfo {
    /// Validates what the loader handed over at physical address `paddr`
    /// (the entry `%ebx`) and copies it out of `mem`: an `hvm_start_info`
    /// under PVH, the launch-info page under IGVM ([`crate::igvm`]), told
    /// apart by their magic.
    pub fn parse(mem: &dyn LoaderMemory, paddr: u64) -> Result<Self, StartInfoError> {
        let magic = u32::from_le_bytes(read_bytes::<4>(mem, "hvm_start_info", paddr)?);
        if magic == crate::igvm::LAUNCH_INFO_MAGIC {
            return crate::igvm::parse(mem, paddr);
        }
        let raw = read_bytes::<START_INFO_SIZE>(mem, "hvm_start_info", paddr)?;
        let raw = Fields(&raw);
        let (magic, version) = (raw.u32(0), raw.u32(4));
        let (cmdline_paddr, rsdp_paddr, memmap_paddr) = (raw.u64(24), raw.u64(32), raw.u64(40));
        let memmap_entries = raw.u32(48);
        if magic != START_INFO_MAGIC {
            return Err(StartInfoError::BadMagic(magic));
        }
        if version < 1 || memmap_paddr == 0 {
            return Err(StartInfoError::NoMemoryMap { version });
        }
        if memmap_entries as usize > MAX_MEMORY_REGIONS {
            return Err(StartInfoError::TooManyRegions(memmap_entries));
        }

        let mut info = StartInfo::new(Loader::Pvh { version });
        info.rsdp = (rsdp_paddr != 0).then_some(rsdp_paddr);
        for i in 0..memmap_entries as usize {
            let addr = memmap_paddr.saturating_add((i * MEMMAP_ENTRY_SIZE) as u64);
            let entry = read_bytes::<MEMMAP_ENTRY_SIZE>(mem, "memory map", addr)?;
            let entry = Fields(&entry);
            let kind = MemoryKind::from_raw(entry.u32(16));
            info.push_region(entry.u64(0), entry.u64(8), kind, memmap_entries)?;
        }
        if cmdline_paddr != 0 {
            info.read_cmdline(mem, cmdline_paddr, usize::MAX)?;
        }
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loader memory for tests: `bytes` at physical address `base`.
    struct Buffer {
        base: u64,
        bytes: Vec<u8>,
    }

    impl LoaderMemory for Buffer {
        fn read(&self, addr: u64, out: &mut [u8]) -> Option<()> {
            let start = usize::try_from(addr.checked_sub(self.base)?).ok()?;
            out.copy_from_slice(self.bytes.get(start..start.checked_add(out.len())?)?);
            Some(())
        }
    }

    const BASE: u64 = 0x1000;
    const INFO: u64 = BASE;
    const MEMMAP: u64 = BASE + 0x100;
    const CMDLINE: u64 = BASE + 0x800;

    /// A start info with these memory-map entries (addr, size, type) and
    /// command line (NUL-terminated here), laid out as a loader would.
    fn loader(entries: &[(u64, u64, u32)], cmdline: Option<&[u8]>) -> Buffer {
        let mut bytes = vec![0u8; 0x1000];
        let mut put = |at: u64, data: &[u8]| {
            let at = (at - BASE) as usize;
            bytes[at..at + data.len()].copy_from_slice(data);
        };
        put(INFO, &START_INFO_MAGIC.to_le_bytes());
        put(INFO + 4, &1u32.to_le_bytes());
        put(INFO + 24, &cmdline.map_or(0, |_| CMDLINE).to_le_bytes());
        put(INFO + 32, &0xf_0000u64.to_le_bytes());
        put(INFO + 40, &MEMMAP.to_le_bytes());
        put(INFO + 48, &(entries.len() as u32).to_le_bytes());
        for (i, &(addr, size, kind)) in entries.iter().enumerate() {
            let at = MEMMAP + 24 * i as u64;
            put(at, &addr.to_le_bytes());
            put(at + 8, &size.to_le_bytes());
            put(at + 16, &kind.to_le_bytes());
        }
        if let Some(c) = cmdline {
            put(CMDLINE, c);
            put(CMDLINE + c.len() as u64, &[0]);
        }
        Buffer { base: BASE, bytes }
    }

    fn set_u32(mem: &mut Buffer, addr: u64, value: u32) {
        let at = (addr - mem.base) as usize;
        mem.bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }

    fn set_u64(mem: &mut Buffer, addr: u64, value: u64) {
        let at = (addr - mem.base) as usize;
        mem.bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
    }

    const QEMU_MAP: [(u64, u64, u32); 3] = [
        (0, 0x9_fc00, 1),
        (0xf_0000, 0x1_0000, 2),
        (0x10_0000, 0xfee_0000, 1),
    ];

    #[test]
    fn a_well_formed_block_is_copied() {
        let info = StartInfo::parse(&loader(&QEMU_MAP, Some(b"log=debug")), INFO).unwrap();
        assert_eq!(info.loader, Loader::Pvh { version: 1 });
        assert_eq!(info.cmdline(), b"log=debug");
        assert_eq!(info.rsdp, Some(0xf_0000));
        let kinds: Vec<_> = info.memory_map.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [MemoryKind::Ram, MemoryKind::Reserved, MemoryKind::Ram]
        );
        let ram: Vec<_> = info.memory_map.ram().collect();
        assert_eq!(ram, [0..0x9_fc00, 0x10_0000..0xffe_0000]);
        assert_eq!(
            info.memory_map.total(MemoryKind::Ram),
            0x9_fc00 + 0xfee_0000
        );
        assert_eq!(info.memory_map.total(MemoryKind::Reserved), 0x1_0000);
    }

    #[test]
    fn no_command_line_is_an_empty_one() {
        let info = StartInfo::parse(&loader(&QEMU_MAP, None), INFO).unwrap();
        assert_eq!(info.cmdline(), b"");
    }

    #[test]
    fn unknown_memory_types_are_kept_as_unknown() {
        let info = StartInfo::parse(&loader(&[(0x10_0000, 0x1000, 99)], None), INFO).unwrap();
        let region = info.memory_map.iter().next().unwrap();
        assert_eq!(region.kind, MemoryKind::Unknown(99));
        assert_eq!(info.memory_map.ram().count(), 0);
    }

    #[test]
    fn null_or_unreadable_start_info_is_refused() {
        let mem = loader(&QEMU_MAP, None);
        for addr in [0, BASE - 8, BASE + 0x1000 - 8, u64::MAX - 4] {
            assert!(
                matches!(
                    StartInfo::parse(&mem, addr),
                    Err(StartInfoError::BadAddress {
                        what: "hvm_start_info",
                        ..
                    })
                ),
                "{addr:#x}"
            );
        }
    }

    #[test]
    fn wrong_magic_is_refused() {
        let mut mem = loader(&QEMU_MAP, None);
        set_u32(&mut mem, INFO, 0x336e_c579);
        assert_eq!(
            StartInfo::parse(&mem, INFO).err(),
            Some(StartInfoError::BadMagic(0x336e_c579))
        );
    }

    #[test]
    fn version_0_or_no_memory_map_is_refused() {
        let mut mem = loader(&QEMU_MAP, None);
        set_u32(&mut mem, INFO + 4, 0);
        assert_eq!(
            StartInfo::parse(&mem, INFO).err(),
            Some(StartInfoError::NoMemoryMap { version: 0 })
        );
        let mut mem = loader(&QEMU_MAP, None);
        set_u64(&mut mem, INFO + 40, 0);
        assert_eq!(
            StartInfo::parse(&mem, INFO).err(),
            Some(StartInfoError::NoMemoryMap { version: 1 })
        );
    }

    #[test]
    fn entry_count_is_bounded() {
        let mut mem = loader(&QEMU_MAP, None);
        set_u32(&mut mem, INFO + 48, u32::MAX);
        assert_eq!(
            StartInfo::parse(&mem, INFO).err(),
            Some(StartInfoError::TooManyRegions(u32::MAX))
        );
        let full = [(0x10_0000, 0x1000, 1); MAX_MEMORY_REGIONS];
        let info = StartInfo::parse(&loader(&full, None), INFO).unwrap();
        assert_eq!(info.memory_map.iter().count(), MAX_MEMORY_REGIONS);
    }

    #[test]
    fn a_memory_map_past_readable_memory_is_refused() {
        let mut mem = loader(&QEMU_MAP, None);
        // Three entries claimed, the map placed so the last one is cut off.
        set_u64(&mut mem, INFO + 40, BASE + 0x1000 - 2 * 24 - 8);
        assert!(matches!(
            StartInfo::parse(&mem, INFO),
            Err(StartInfoError::BadAddress {
                what: "memory map",
                ..
            })
        ));
        let mut mem = loader(&QEMU_MAP, None);
        set_u64(&mut mem, INFO + 40, u64::MAX - 30);
        assert!(StartInfo::parse(&mem, INFO).is_err());
    }

    #[test]
    fn a_region_that_wraps_is_refused() {
        let mem = loader(&[(u64::MAX - 0xfff, 0x1000, 1)], None);
        assert_eq!(
            StartInfo::parse(&mem, INFO).err(),
            Some(StartInfoError::RegionOverflow {
                addr: u64::MAX - 0xfff,
                size: 0x1000
            })
        );
    }

    #[test]
    fn command_line_length_is_bounded() {
        let longest = [b'x'; MAX_CMDLINE];
        let info = StartInfo::parse(&loader(&QEMU_MAP, Some(&longest)), INFO).unwrap();
        assert_eq!(info.cmdline(), longest);
        let too_long = [b'x'; MAX_CMDLINE + 1];
        assert_eq!(
            StartInfo::parse(&loader(&QEMU_MAP, Some(&too_long)), INFO).err(),
            Some(StartInfoError::CmdlineTooLong)
        );
    }

    #[test]
    fn an_unterminated_command_line_is_refused() {
        let mut mem = loader(&QEMU_MAP, Some(b"log=info"));
        let end = mem.bytes.len();
        mem.bytes[end - 4..].copy_from_slice(b"abcd");
        set_u64(&mut mem, INFO + 24, BASE + end as u64 - 4);
        assert!(matches!(
            StartInfo::parse(&mem, INFO),
            Err(StartInfoError::BadAddress {
                what: "command line",
                ..
            })
        ));
    }
}
