//! The PVH `hvm_start_info` block: validated, then copied into kernel memory.
//!
//! The block, its memory map and the command line live in low memory owned by
//! the loader. Everything the kernel needs is copied out once, at boot, into
//! [`StartInfo`], so that nothing later holds a pointer into memory the kernel
//! does not own (and that the kernel's page tables do not map). All fields are
//! treated as untrusted input: addresses are range-checked, counts bounded,
//! and violations reported as [`StartInfoError`] rather than panics.
//!
//! Layout (Xen `arch-x86/hvm/start_info.h`, version 1):
//! magic, version, flags, nr_modules (u32 each), modlist_paddr, cmdline_paddr,
//! rsdp_paddr, memmap_paddr (u64 each), memmap_entries, reserved (u32 each).
//! Memory-map entries: addr, size (u64), type, reserved (u32).

use core::fmt;
use core::mem::size_of;

use spin::Once;

use crate::mm::USABLE_LIMIT;

/// `hvm_start_info.magic`.
pub const START_INFO_MAGIC: u32 = 0x336e_c578;
/// Most memory-map entries kept.
pub const MAX_MEMORY_REGIONS: usize = 32;
/// Longest command line accepted, including the terminating NUL.
pub const MAX_CMDLINE: usize = 1024;

#[repr(C)]
#[derive(Clone, Copy)]
struct RawStartInfo {
    magic: u32,
    version: u32,
    flags: u32,
    nr_modules: u32,
    modlist_paddr: u64,
    cmdline_paddr: u64,
    rsdp_paddr: u64,
    memmap_paddr: u64,
    memmap_entries: u32,
    reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct RawMemmapEntry {
    addr: u64,
    size: u64,
    kind: u32,
    reserved: u32,
}

/// Types that may be read from loader memory: plain integers only, so every
/// bit pattern is a valid value.
///
/// # Safety
/// Implementors must have no padding-dependent invariants and accept any bit
/// pattern.
unsafe trait Plain: Copy {}
// SAFETY: all fields are integers.
unsafe impl Plain for RawStartInfo {}
// SAFETY: all fields are integers.
unsafe impl Plain for RawMemmapEntry {}
// SAFETY: an integer.
unsafe impl Plain for u8 {}

#[derive(Debug)]
pub enum StartInfoError {
    /// An address handed over is null or outside the boot identity map.
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
}

impl fmt::Display for StartInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadAddress { what, addr } => {
                write!(f, "{what} address {addr:#x} is null or above 4 GiB")
            }
            Self::BadMagic(m) => write!(f, "bad hvm_start_info magic {m:#x}"),
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

/// Reads a `T` at physical address `addr`, after checking that the whole
/// object lies inside the identity map the trampoline set up.
fn read_phys<T: Plain>(what: &'static str, addr: u64) -> Result<T, StartInfoError> {
    let bad = StartInfoError::BadAddress { what, addr };
    let end = addr.checked_add(size_of::<T>() as u64).ok_or(bad)?;
    if addr == 0 || end > USABLE_LIMIT {
        return Err(StartInfoError::BadAddress { what, addr });
    }
    // SAFETY: [addr, end) is below 4 GiB, which the boot page tables identity
    // map; T is `Plain`, so any bytes form a valid value; read_unaligned copes
    // with any alignment the loader chose.
    Ok(unsafe { core::ptr::read_unaligned(addr as *const T) })
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
    fn from_raw(kind: u32) -> Self {
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
    pub fn iter(&self) -> impl Iterator<Item = &MemoryRegion> {
        self.regions[..self.len].iter()
    }

    /// The RAM regions, as physical ranges: what memory management is given.
    pub fn ram(&self) -> impl Iterator<Item = core::ops::Range<u64>> + '_ {
        self.iter()
            .filter(|r| r.kind == MemoryKind::Ram)
            .map(|r| r.start..r.end())
    }

    /// Total bytes of the given kind.
    pub fn total(&self, kind: MemoryKind) -> u64 {
        self.iter().filter(|r| r.kind == kind).map(|r| r.size).sum()
    }
}

pub struct StartInfo {
    pub version: u32,
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
}

static START_INFO: Once<StartInfo> = Once::new();

/// Validates the block at `paddr` (the PVH `%ebx`) and copies it. Returns the
/// kernel's copy, which lives for the rest of the kernel's life.
pub fn init(paddr: u64) -> Result<&'static StartInfo, StartInfoError> {
    let info = parse(paddr)?;
    Ok(START_INFO.call_once(|| info))
}

fn parse(paddr: u64) -> Result<StartInfo, StartInfoError> {
    let raw: RawStartInfo = read_phys("hvm_start_info", paddr)?;
    if raw.magic != START_INFO_MAGIC {
        return Err(StartInfoError::BadMagic(raw.magic));
    }
    if raw.version < 1 || raw.memmap_paddr == 0 {
        return Err(StartInfoError::NoMemoryMap {
            version: raw.version,
        });
    }
    let count = raw.memmap_entries as usize;
    if count > MAX_MEMORY_REGIONS {
        return Err(StartInfoError::TooManyRegions(raw.memmap_entries));
    }

    let mut memory_map = MemoryMap {
        regions: [MemoryRegion {
            start: 0,
            size: 0,
            kind: MemoryKind::Reserved,
        }; MAX_MEMORY_REGIONS],
        len: count,
    };
    for (i, slot) in memory_map.regions[..count].iter_mut().enumerate() {
        let addr = raw
            .memmap_paddr
            .saturating_add((i * size_of::<RawMemmapEntry>()) as u64);
        let entry: RawMemmapEntry = read_phys("memory map", addr)?;
        if entry.addr.checked_add(entry.size).is_none() {
            return Err(StartInfoError::RegionOverflow {
                addr: entry.addr,
                size: entry.size,
            });
        }
        *slot = MemoryRegion {
            start: entry.addr,
            size: entry.size,
            kind: MemoryKind::from_raw(entry.kind),
        };
    }

    let mut info = StartInfo {
        version: raw.version,
        memory_map,
        cmdline: [0; MAX_CMDLINE],
        cmdline_len: 0,
        rsdp: (raw.rsdp_paddr != 0).then_some(raw.rsdp_paddr),
    };
    if raw.cmdline_paddr != 0 {
        let mut len = 0;
        loop {
            let byte: u8 = read_phys("command line", raw.cmdline_paddr.saturating_add(len as u64))?;
            if byte == 0 {
                break;
            }
            *info
                .cmdline
                .get_mut(len)
                .ok_or(StartInfoError::CmdlineTooLong)? = byte;
            len += 1;
        }
        info.cmdline_len = len;
    }
    Ok(info)
}
