//! The kernel's loadable pages, from the PVH ELF.
//!
//! Every `PT_LOAD` segment is placed at its physical address, its file bytes
//! first and zeros up to its memory size (`.bss` and the `NOLOAD` stacks), as
//! QEMU's PVH loader does; the result is cut into 4 KiB pages. The IGVM image
//! carries exactly these pages, so both launches run the same bytes.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use object::Endianness;
use object::read::elf::{ElfFile64, FileHeader, ProgramHeader};

use crate::PAGE_SIZE;

const PT_LOAD: u32 = 1;

/// The kernel as loaded: page GPA to its 4 KiB of contents.
#[derive(Debug)]
pub struct KernelImage {
    /// Physical entry point (the 32-bit PVH entry).
    pub entry: u64,
    pub pages: BTreeMap<u64, Vec<u8>>,
    /// The required memory the image declares after itself
    /// (`svsm_boot_params::igvm::required_memory` of its end).
    pub required_memory: Range<u64>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ElfError {
    Parse(String),
    NoLoadSegment,
    /// A segment's file range is outside the file or its addresses wrap.
    BadSegment {
        index: usize,
    },
    /// Two segments put different bytes at the same address.
    OverlappingSegments {
        addr: u64,
    },
    /// The image ends so high that its required memory would pass the end
    /// of the address space.
    NoRoomForRequiredMemory,
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Parse(e) => write!(f, "not a 64-bit ELF: {e}"),
            Self::NoLoadSegment => write!(f, "the ELF has no PT_LOAD segment"),
            Self::BadSegment { index } => {
                write!(f, "PT_LOAD segment {index} lies outside the file or wraps")
            }
            Self::OverlappingSegments { addr } => {
                write!(f, "two PT_LOAD segments both load {addr:#x}")
            }
            Self::NoRoomForRequiredMemory => write!(
                f,
                "the image ends too high for its required memory to follow it"
            ),
        }
    }
}

impl std::error::Error for ElfError {}

/// Reads the kernel's `PT_LOAD` segments into pages.
pub fn load(bytes: &[u8]) -> Result<KernelImage, ElfError> {
    let elf = ElfFile64::<Endianness>::parse(bytes).map_err(|e| ElfError::Parse(e.to_string()))?;
    let endian = elf.endian();
    let header = elf.elf_header();
    let segments = header
        .program_headers(endian, bytes)
        .map_err(|e| ElfError::Parse(e.to_string()))?;

    let mut pages: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    // The ranges loaded so far, so an overlap is refused rather than
    // silently resolved.
    let mut loaded: Vec<Range<u64>> = Vec::new();
    let mut any = false;
    for (index, segment) in segments.iter().enumerate() {
        if segment.p_type(endian) != PT_LOAD {
            continue;
        }
        any = true;
        let data = segment
            .data(endian, bytes)
            .map_err(|_| ElfError::BadSegment { index })?;
        let start = segment.p_paddr(endian);
        let memsz = segment.p_memsz(endian);
        let end = start
            .checked_add(memsz)
            .filter(|_| data.len() as u64 <= memsz)
            .ok_or(ElfError::BadSegment { index })?;
        if let Some(other) = loaded.iter().find(|r| r.start < end && start < r.end) {
            return Err(ElfError::OverlappingSegments {
                addr: start.max(other.start),
            });
        }
        loaded.push(start..end);
        let mut addr = start & !(PAGE_SIZE - 1);
        while addr < end {
            pages
                .entry(addr)
                .or_insert_with(|| vec![0; PAGE_SIZE as usize]);
            addr += PAGE_SIZE;
        }
        let mut at = start;
        let mut rest = data;
        while !rest.is_empty() {
            let offset = (at % PAGE_SIZE) as usize;
            let take = rest.len().min(PAGE_SIZE as usize - offset);
            if let Some(page) = pages.get_mut(&(at - offset as u64)) {
                page[offset..offset + take].copy_from_slice(&rest[..take]);
            }
            at += take as u64;
            rest = &rest[take..];
        }
    }
    if !any {
        return Err(ElfError::NoLoadSegment);
    }
    let required_memory = pages
        .keys()
        .next_back()
        .and_then(|last| last.checked_add(PAGE_SIZE))
        .and_then(svsm_boot_params::igvm::required_memory)
        .ok_or(ElfError::NoRoomForRequiredMemory)?;
    Ok(KernelImage {
        entry: header.e_entry(endian),
        pages,
        required_memory,
    })
}

/// One segment of an ELF written by [`write_exec`].
pub struct Segment<'a> {
    /// `p_type` (1 `PT_LOAD`, 4 `PT_NOTE`).
    pub kind: u32,
    /// `p_flags` (4 R, 2 W, 1 X).
    pub flags: u32,
    /// Virtual and physical address.
    pub addr: u64,
    /// The file bytes.
    pub data: &'a [u8],
    /// Bytes in memory (at least `data.len()` for a valid segment).
    pub memsz: u64,
}

/// A minimal static x86-64 ELF executable: header, program headers, and
/// each segment's bytes at its own page-aligned file offset. Used for the
/// test loader's shim ([`crate::load`]) and for test kernels.
pub fn write_exec(entry: u64, segments: &[Segment]) -> Vec<u8> {
    let mut out = vec![0u8; 64];
    out[0..4].copy_from_slice(b"\x7fELF");
    out[4] = 2; // 64-bit
    out[5] = 1; // little endian
    out[6] = 1; // version
    out[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    out[18..20].copy_from_slice(&62u16.to_le_bytes()); // x86-64
    out[20..24].copy_from_slice(&1u32.to_le_bytes());
    out[24..32].copy_from_slice(&entry.to_le_bytes());
    out[32..40].copy_from_slice(&64u64.to_le_bytes()); // phoff
    out[52..54].copy_from_slice(&64u16.to_le_bytes()); // ehsize
    out[54..56].copy_from_slice(&56u16.to_le_bytes()); // phentsize
    out[56..58].copy_from_slice(&(segments.len() as u16).to_le_bytes());
    let mut offset = (64 + 56 * segments.len() as u64).next_multiple_of(PAGE_SIZE);
    let mut offsets = Vec::new();
    for s in segments {
        let mut ph = [0u8; 56];
        ph[0..4].copy_from_slice(&s.kind.to_le_bytes());
        ph[4..8].copy_from_slice(&s.flags.to_le_bytes());
        ph[8..16].copy_from_slice(&offset.to_le_bytes());
        ph[16..24].copy_from_slice(&s.addr.to_le_bytes());
        ph[24..32].copy_from_slice(&s.addr.to_le_bytes());
        ph[32..40].copy_from_slice(&(s.data.len() as u64).to_le_bytes());
        ph[40..48].copy_from_slice(&s.memsz.to_le_bytes());
        ph[48..56].copy_from_slice(&4u64.to_le_bytes());
        out.extend_from_slice(&ph);
        offsets.push(offset);
        offset += (s.data.len() as u64).next_multiple_of(PAGE_SIZE);
    }
    for (s, at) in segments.iter().zip(offsets) {
        out.resize(at as usize, 0);
        out.extend_from_slice(s.data);
    }
    out
}
