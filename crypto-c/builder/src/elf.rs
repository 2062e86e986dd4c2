//! Checks the linked object and stores its integrity value in it.
//!
//! The integrity self-test computes HMAC-SHA-256 over the module's code and
//! read-only data as they are in memory after the final link. Those bytes are
//! the section bytes with every relocation inside the range applied. This
//! module refuses any relocation there whose value the final link could
//! change (anything but PC-relative references to the object's own section),
//! applies the others itself, and so knows the in-memory bytes in advance.

use crate::link::Linked;
use crate::{Result, bail};
use hmac::{Hmac, Mac};
use object::elf;
use object::{
    Object, ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget, SectionIndex,
    SymbolKind, SymbolSection,
};
use sha2::Sha256;

pub const SECTION: &str = ".svsm_crypto";
pub const HASHED_START: &str = "svsm_crypto_text_start";
pub const HASHED_END: &str = "svsm_crypto_text_end";
pub const DATA_START: &str = "svsm_crypto_data_start";
/// 32-byte HMAC key, in the hashed range.
pub const KEY_SYMBOL: &str = "svsm_integrity_key";
/// 32-byte slot for the expected HMAC, in the writable part.
pub const SLOT_SYMBOL: &str = "svsm_integrity_expected";

pub struct Sealed {
    pub bytes: Vec<u8>,
    pub integrity_hmac: [u8; 32],
    /// Size of the hashed range: code and read-only data.
    pub hashed_len: u64,
    /// Size of the writable part (data and bss).
    pub data_len: u64,
    pub globals: Vec<String>,
    /// Section offset of the code byte a BREAK=integrity build changed.
    pub corrupted_offset: Option<u64>,
    /// Where the hashed range starts in the section (its bytes in the file
    /// still lack the relocations the final link applies).
    pub hashed_section_offset: u64,
    pub integrity_key: [u8; 32],
}

struct Layout {
    index: SectionIndex,
    file_offset: usize,
    size: u64,
    hashed: std::ops::Range<u64>,
    data_start: u64,
}

pub fn seal(linked: &Linked, break_integrity: bool) -> Result<Sealed> {
    let mut bytes = std::fs::read(&linked.object)?;
    let file = object::File::parse(&*bytes).map_err(|e| crate::Error(format!("ELF: {e}")))?;
    let layout = section_layout(&file)?;
    let globals = check_symbols(&file, &linked.exports)?;

    let section = file
        .section_by_index(layout.index)
        .expect("index from this file");
    let mut memory = section
        .data()
        .map_err(|e| crate::Error(format!("ELF: {e}")))?
        .to_vec();
    let mut relocated = vec![false; memory.len()];
    for (offset, rel) in section.relocations() {
        let RelocationFlags::Elf { r_type } = rel.flags() else {
            bail!("not an ELF relocation at {offset:#x}")
        };
        let RelocationTarget::Symbol(si) = rel.target() else {
            bail!("relocation at {offset:#x} has no symbol")
        };
        let sym = file
            .symbol_by_index(si)
            .map_err(|e| crate::Error(e.to_string()))?;
        if sym.section() != SymbolSection::Section(layout.index) {
            bail!(
                "relocation at {offset:#x} refers to {:?} outside {SECTION}",
                sym.name().unwrap_or("?")
            );
        }
        let in_hashed = layout.hashed.contains(&offset);
        match (r_type, in_hashed) {
            (elf::R_X86_64_PC32 | elf::R_X86_64_PLT32, _) if in_hashed => {
                let value = sym.address() as i64 + rel.addend() - offset as i64;
                let value = i32::try_from(value)
                    .map_err(|_| crate::Error(format!("PC32 overflow at {offset:#x}")))?;
                let at = offset as usize;
                memory[at..at + 4].copy_from_slice(&value.to_le_bytes());
                relocated[at..at + 4].fill(true);
            }
            (
                elf::R_X86_64_PC32 | elf::R_X86_64_PLT32 | elf::R_X86_64_64 | elf::R_X86_64_PC64,
                false,
            ) => {}
            _ => bail!(
                "relocation type {r_type} at {offset:#x} ({}) would make the hashed bytes depend on the final link",
                sym.name().unwrap_or("?")
            ),
        }
    }

    let key_at = symbol_offset(&file, KEY_SYMBOL)?;
    if !layout.hashed.contains(&key_at) {
        bail!("{KEY_SYMBOL} must be in the hashed range");
    }
    let key: [u8; 32] = memory[key_at as usize..key_at as usize + 32]
        .try_into()
        .expect("32 bytes");
    let range = layout.hashed.start as usize..layout.hashed.end as usize;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(&memory[range]);
    let integrity_hmac: [u8; 32] = mac.finalize().into_bytes().into();

    let slot = symbol_offset(&file, SLOT_SYMBOL)?;
    if slot < layout.data_start || slot + 32 > layout.size {
        bail!("{SLOT_SYMBOL} must be in the writable part");
    }
    if relocated[slot as usize..slot as usize + 32]
        .iter()
        .any(|r| *r)
    {
        bail!("{SLOT_SYMBOL} is covered by a relocation");
    }
    let corrupted_offset = if break_integrity {
        Some(padding_byte(&file, &layout, &relocated, &memory)?)
    } else {
        None
    };
    drop(file);

    let slot_at = layout.file_offset + slot as usize;
    bytes[slot_at..slot_at + 32].copy_from_slice(&integrity_hmac);
    if let Some(off) = corrupted_offset {
        bytes[layout.file_offset + off as usize] ^= 0x01;
    }
    Ok(Sealed {
        bytes,
        integrity_hmac,
        hashed_len: layout.hashed.end - layout.hashed.start,
        data_len: layout.size - layout.data_start,
        globals,
        corrupted_offset,
        hashed_section_offset: layout.hashed.start,
        integrity_key: key,
    })
}

fn section_layout(file: &object::File<'_>) -> Result<Layout> {
    let mut ours = None;
    for s in file.sections() {
        let name = s.name().unwrap_or("?");
        let alloc = match s.flags() {
            object::SectionFlags::Elf { sh_flags } => sh_flags & u64::from(elf::SHF_ALLOC) != 0,
            _ => false,
        };
        if name == SECTION {
            ours = Some(s);
        } else if alloc {
            bail!("section {name} is outside {SECTION}: add it to crypto-c/module.ld");
        }
    }
    let Some(s) = ours else {
        bail!("no {SECTION} section")
    };
    if s.align() < 4096 {
        bail!("{SECTION} must be page aligned, is aligned {}", s.align());
    }
    let (file_offset, _) = s
        .file_range()
        .ok_or_else(|| crate::Error(format!("{SECTION} has no file bytes")))?;
    let start = symbol_offset(file, HASHED_START)?;
    let end = symbol_offset(file, HASHED_END)?;
    let data_start = symbol_offset(file, DATA_START)?;
    if !(start < end && end <= data_start && data_start % 4096 == 0) {
        bail!("bad module layout: hashed {start:#x}..{end:#x}, data at {data_start:#x}");
    }
    Ok(Layout {
        index: s.index(),
        file_offset: file_offset as usize,
        size: s.size(),
        hashed: start..end,
        data_start,
    })
}

/// No undefined symbols; every global is exported and prefixed.
fn check_symbols(file: &object::File<'_>, exports: &[String]) -> Result<Vec<String>> {
    let mut globals = Vec::new();
    for sym in file.symbols() {
        let name = sym.name().unwrap_or("?");
        if sym.is_undefined() && !name.is_empty() {
            bail!("undefined symbol {name}: the module may call nothing outside itself");
        }
        if sym.is_global() && !sym.is_undefined() {
            if !name.starts_with("svsm_crypto_") || !exports.iter().any(|e| e == name) {
                bail!("global symbol {name} is not part of the API");
            }
            globals.push(name.to_string());
        }
    }
    globals.sort();
    for e in exports {
        if !globals.contains(e) {
            bail!("API symbol {e} is declared but not defined");
        }
    }
    Ok(globals)
}

fn symbol_offset(file: &object::File<'_>, name: &str) -> Result<u64> {
    file.symbols()
        .find(|s| s.name() == Ok(name))
        .map(|s| s.address())
        .ok_or_else(|| crate::Error(format!("symbol {name} not found")))
}

/// A byte of inter-function padding in the hashed code: changing it changes
/// the module's code bytes without changing anything that runs.
fn padding_byte(
    file: &object::File<'_>,
    layout: &Layout,
    relocated: &[bool],
    memory: &[u8],
) -> Result<u64> {
    let mut funcs: Vec<(u64, u64)> = file
        .symbols()
        .filter(|s| s.kind() == SymbolKind::Text && s.size() > 0)
        .filter(|s| s.section() == SymbolSection::Section(layout.index))
        .map(|s| (s.address(), s.address() + s.size()))
        .collect();
    funcs.sort();
    for w in funcs.windows(2) {
        let (gap_start, gap_end) = (w[0].1, w[1].0);
        for off in gap_start..gap_end {
            let padding = matches!(
                memory[off as usize],
                0x90 | 0xcc | 0x66 | 0x0f | 0x1f | 0x00
            );
            if layout.hashed.contains(&off) && !relocated[off as usize] && padding {
                return Ok(off);
            }
        }
    }
    bail!("no padding byte found to corrupt for BREAK=integrity")
}
