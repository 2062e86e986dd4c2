//! A test loader for the NATIVE platform, for QEMU without IGVM support:
//! turns an IGVM file into what stock QEMU can load, so that the kernel is
//! booted from the file's own pages and entered in the file's VP context.
//!
//! It does what an IGVM loader does for NATIVE, and no more: every page of
//! the platform at its GPA (zero-filled to 4 KiB; one raw file per contiguous
//! run, for `-device loader`), the parameter areas filled (memory map for the
//! given RAM size, vCPU count 1, command line), and the boot vCPU started in
//! the native VP context. QEMU cannot set registers, so the last step is a
//! PVH-bootable shim ELF of three instructions: PVH enters it in 32-bit
//! protected mode, paging off, flat segments (the only VP context state this
//! loader accepts), and it loads the context's `%ebx` and jumps to its `%rip`.

use std::collections::BTreeMap;
use std::fmt;

use igvm::{IgvmDirectiveHeader, IgvmFile};
use igvm_defs::{IGVM_VHS_MEMORY_MAP_ENTRY, IgvmNativeVpContextX64, MemoryMapEntryType};
use zerocopy::IntoBytes;

use crate::PAGE_SIZE;
use crate::elf::{Segment, write_exec};
use crate::inspect;

/// Where the shim is linked: clear of the low pages, the kernel and its
/// required memory.
pub const SHIM_ADDRESS: u64 = 0x300_0000;
/// End of conventional memory below 1 MiB reported as RAM (QEMU's is
/// 0x9fc00; whole pages only).
const LOW_RAM_END: u64 = 0x9f000;
/// Start of RAM above the legacy hole.
const HIGH_RAM_START: u64 = 0x10_0000;

#[derive(Debug, PartialEq, Eq)]
pub enum LoadError {
    Inspect(String),
    NoNativePlatform,
    NoNativeContext,
    /// The VP context is not the PVH entry state the shim can reproduce.
    UnsupportedContext(&'static str),
    /// An address above 4 GiB, which a 32-bit shim cannot reach.
    Above4G(u64),
    TooSmall {
        memory: u64,
    },
    /// A parameter does not fit its area.
    ParameterTooLarge,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inspect(e) => write!(f, "{e}"),
            Self::NoNativePlatform => write!(f, "the file has no NATIVE platform"),
            Self::NoNativeContext => write!(f, "the file has no native VP context for vCPU 0"),
            Self::UnsupportedContext(what) => write!(
                f,
                "the native VP context is not the PVH entry state this loader emulates: {what}"
            ),
            Self::Above4G(a) => write!(f, "address {a:#x} is above 4 GiB"),
            Self::TooSmall { memory } => {
                write!(f, "{memory:#x} bytes of RAM cannot hold the image")
            }
            Self::ParameterTooLarge => write!(f, "a parameter does not fit its area"),
        }
    }
}

impl std::error::Error for LoadError {}

/// What QEMU is to load: raw runs of memory by address, and the shim.
#[derive(Debug)]
pub struct Loaded {
    pub runs: BTreeMap<u64, Vec<u8>>,
    pub shim: Vec<u8>,
}

/// Lays out `bytes` (an IGVM file) for a NATIVE launch with `memory` bytes
/// of RAM and command line `cmdline`.
pub fn native(bytes: &[u8], memory: u64, cmdline: &str) -> Result<Loaded, LoadError> {
    let file = inspect::parse(bytes).map_err(|e| LoadError::Inspect(e.to_string()))?;
    let mask = inspect::platform_mask(&file, igvm_defs::IgvmPlatformType::NATIVE)
        .ok_or(LoadError::NoNativePlatform)?;
    let pages = native_pages(&file, mask, memory, cmdline)?;
    let context = file
        .directives()
        .iter()
        .find_map(|d| match d {
            IgvmDirectiveHeader::X64NativeVpContext {
                compatibility_mask,
                vp_index: 0,
                context,
            } if compatibility_mask & mask != 0 => Some(context.as_ref()),
            _ => None,
        })
        .ok_or(LoadError::NoNativeContext)?;
    let shim = shim_elf(entry_registers(context)?);

    let mut runs: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    let mut current: Option<(u64, Vec<u8>)> = None;
    for (gpa, page) in pages {
        if gpa > u64::from(u32::MAX) {
            return Err(LoadError::Above4G(gpa));
        }
        if gpa + PAGE_SIZE > memory {
            return Err(LoadError::TooSmall { memory });
        }
        match &mut current {
            Some((start, run)) if *start + run.len() as u64 == gpa => run.extend(page),
            _ => {
                if let Some((start, run)) = current.take() {
                    runs.insert(start, run);
                }
                current = Some((gpa, page));
            }
        }
    }
    if let Some((start, run)) = current {
        runs.insert(start, run);
    }
    Ok(Loaded { runs, shim })
}

/// Every page the NATIVE platform loads, with the parameter areas filled.
fn native_pages(
    file: &IgvmFile,
    mask: u32,
    memory: u64,
    cmdline: &str,
) -> Result<BTreeMap<u64, Vec<u8>>, LoadError> {
    let mut areas: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    let mut pages = BTreeMap::new();
    for d in file.directives() {
        if d.compatibility_mask().is_some_and(|m| m & mask == 0) {
            continue;
        }
        match d {
            IgvmDirectiveHeader::ParameterArea {
                number_of_bytes,
                parameter_area_index,
                initial_data,
            } => {
                let mut area = vec![0; *number_of_bytes as usize];
                let n = initial_data.len().min(area.len());
                area[..n].copy_from_slice(&initial_data[..n]);
                areas.insert(*parameter_area_index, area);
            }
            IgvmDirectiveHeader::MemoryMap(p) => {
                let map = memory_map(memory);
                put(&mut areas, p, &map)?;
            }
            IgvmDirectiveHeader::VpCount(p) => put(&mut areas, p, &1u32.to_le_bytes())?,
            IgvmDirectiveHeader::CommandLine(p) => {
                put(&mut areas, p, &[cmdline.as_bytes(), &[0]].concat())?;
            }
            IgvmDirectiveHeader::ParameterInsert(insert) => {
                let area = areas
                    .remove(&insert.parameter_area_index)
                    .unwrap_or_default();
                for (i, chunk) in area.chunks(PAGE_SIZE as usize).enumerate() {
                    pages.insert(insert.gpa + i as u64 * PAGE_SIZE, padded(chunk));
                }
            }
            IgvmDirectiveHeader::PageData { gpa, data, .. } => {
                pages.insert(*gpa, padded(data));
            }
            _ => {}
        }
    }
    Ok(pages)
}

/// Writes `data` at the parameter's offset in its area.
fn put(
    areas: &mut BTreeMap<u32, Vec<u8>>,
    p: &igvm_defs::IGVM_VHS_PARAMETER,
    data: &[u8],
) -> Result<(), LoadError> {
    let area = areas.entry(p.parameter_area_index).or_default();
    let at = p.byte_offset as usize;
    area.get_mut(at..at + data.len())
        .ok_or(LoadError::ParameterTooLarge)?
        .copy_from_slice(data);
    Ok(())
}

fn padded(data: &[u8]) -> Vec<u8> {
    let mut page = vec![0; PAGE_SIZE as usize];
    page[..data.len()].copy_from_slice(data);
    page
}

/// The memory map a loader deposits for `memory` bytes of RAM: low memory
/// and everything from 1 MiB, then the terminating empty entry.
fn memory_map(memory: u64) -> Vec<u8> {
    let entry = |start: u64, end: u64| IGVM_VHS_MEMORY_MAP_ENTRY {
        starting_gpa_page_number: start / PAGE_SIZE,
        number_of_pages: (end - start) / PAGE_SIZE,
        entry_type: MemoryMapEntryType::MEMORY,
        flags: 0,
        reserved: 0,
    };
    [entry(0, LOW_RAM_END), entry(HIGH_RAM_START, memory)]
        .iter()
        .flat_map(|e| e.as_bytes().to_vec())
        .chain([0; size_of::<IGVM_VHS_MEMORY_MAP_ENTRY>()])
        .collect()
}

/// The context's `%ebx` and `%rip`, if the rest of it is what PVH entry
/// provides anyway.
fn entry_registers(c: &IgvmNativeVpContextX64) -> Result<(u32, u32), LoadError> {
    let low = |v: u64| u32::try_from(v).map_err(|_| LoadError::Above4G(v));
    if c.cr0 & 0x8000_0001 != 1 {
        return Err(LoadError::UnsupportedContext(
            "CR0 must be protected mode, paging off",
        ));
    }
    if c.efer != 0 || c.cr4 != 0 {
        return Err(LoadError::UnsupportedContext("EFER and CR4 must be 0"));
    }
    if c.code_base != 0 || c.code_limit != u32::MAX || c.code_attributes & 0x4000 == 0 {
        return Err(LoadError::UnsupportedContext("code must be flat 32-bit"));
    }
    if c.data_base != 0 || c.data_limit != u32::MAX {
        return Err(LoadError::UnsupportedContext("data must be flat"));
    }
    Ok((low(c.rbx)?, low(c.rip)?))
}

/// A PVH-bootable ELF at [`SHIM_ADDRESS`]: `mov $rbx, %ebx; mov $rip, %eax;
/// jmp *%eax`, with the Xen PVH entry note pointing at it.
fn shim_elf((rbx, rip): (u32, u32)) -> Vec<u8> {
    let mut code = vec![0xbb];
    code.extend(rbx.to_le_bytes());
    code.push(0xb8);
    code.extend(rip.to_le_bytes());
    code.extend([0xff, 0xe0]);
    // namesz 4, descsz 4, XEN_ELFNOTE_PHYS32_ENTRY (18), "Xen\0", entry.
    let mut note = Vec::new();
    for word in [4u32, 4, 18] {
        note.extend(word.to_le_bytes());
    }
    note.extend(b"Xen\0");
    note.extend((SHIM_ADDRESS as u32).to_le_bytes());
    write_exec(
        SHIM_ADDRESS,
        &[
            Segment {
                kind: 1, // PT_LOAD, R X
                flags: 5,
                addr: SHIM_ADDRESS,
                data: &code,
                memsz: code.len() as u64,
            },
            Segment {
                kind: 4, // PT_NOTE
                flags: 4,
                addr: SHIM_ADDRESS + PAGE_SIZE,
                data: &note,
                memsz: note.len() as u64,
            },
        ],
    )
}
