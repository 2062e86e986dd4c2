//! Checks the linked object and stores its integrity value in it.
//!
//! The integrity self-test computes HMAC-SHA-256 over every constant byte of
//! the module (code, read-only data, wolfCrypt's assembly constant tables, an
//! end sentinel) as they are in memory after the final link, except that an
//! absolute pointer is hashed as its offset from the start of the range (its
//! value were the module linked at address 0). Those bytes are the section
//! bytes with every relocation inside the range applied at address 0. This
//! module refuses any relocation there but PC-relative and absolute 64-bit
//! references to the object's own section, applies them itself, records where
//! the absolute ones are (in the hashed range, for the runtime test), and so
//! knows the hashed bytes in advance.
//!
//! Outside the hashed range there may only be the mutable state that
//! `boundary.toml` lists by symbol (`[[writable]]`) and zero padding: a
//! constant anywhere else, or a writable object nobody listed, fails the build.

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
/// End of the writable data, before the page padding (module.ld; local).
pub const STATE_END: &str = "svsm_crypto_state_end";
/// The longest run of unnamed writable bytes taken for alignment padding.
const MAX_PADDING: usize = 63;
/// 32-byte HMAC key, in the hashed range.
pub const KEY_SYMBOL: &str = "svsm_integrity_key";
/// 32-byte slot for the expected HMAC, in the writable part.
pub const SLOT_SYMBOL: &str = "svsm_integrity_expected";
/// `u32` slots, in the hashed range: offsets of the absolute pointers in it.
pub const POINTERS_SYMBOL: &str = "svsm_integrity_pointers";
/// What marks an unused slot of [`POINTERS_SYMBOL`].
const NO_POINTER: u32 = u32::MAX;
/// wolfCrypt's AVX1 SHA-256 round constants (sha256_asm.S), which
/// `BREAK=integrity-asm-table` changes: a path the test CPUs do not take, so
/// only the integrity test can notice.
pub const ASM_TABLE_SYMBOL: &str = "L_avx1_sha256_k";
/// The self-test table (selftest.c), which `BREAK=integrity-selftest-table`
/// changes.
pub const SELF_TEST_TABLE_SYMBOL: &str = "g_self_tests";

/// One object of mutable state outside the hashed range, as found in the
/// object and justified in `boundary.toml`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WritableSymbol {
    pub symbol: String,
    /// The source file that defines it (the object's FILE symbol).
    pub unit: String,
    pub size: u64,
    pub why: String,
}

/// What a BREAK of the integrity test changes after the value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// A byte of inter-function code padding and the last hashed byte.
    CodeAndEnd,
    /// The first byte of [`ASM_TABLE_SYMBOL`].
    AsmTable,
    /// The first byte of the last entry of [`SELF_TEST_TABLE_SYMBOL`], which
    /// has `entries` entries: a test that runs after the integrity test.
    SelfTestTable { entries: usize },
}

pub struct Sealed {
    pub bytes: Vec<u8>,
    pub integrity_hmac: [u8; 32],
    /// Size of the hashed range: code and read-only data.
    pub hashed_len: u64,
    /// Size of the writable part (data and bss).
    pub data_len: u64,
    pub globals: Vec<String>,
    /// Section offsets of the bytes a BREAK of the integrity test changed.
    pub corrupted_offsets: Vec<u64>,
    /// Section offsets of the absolute pointers in the hashed range (hashed
    /// as offsets from its start).
    pub hashed_pointers: Vec<u64>,
    /// The mutable state outside the hashed range, in section order.
    pub writable: Vec<WritableSymbol>,
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

pub fn seal(
    linked: &Linked,
    allowed_writable: &[crate::boundary::Writable],
    markers: &[String],
    tamper: Option<Tamper>,
) -> Result<Sealed> {
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
    let mut hashed_pointers = Vec::new();
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
            (elf::R_X86_64_64, true) => {
                if offset + 8 > layout.hashed.end {
                    bail!("absolute pointer at {offset:#x} straddles the end of the hashed range");
                }
                let value = sym
                    .address()
                    .checked_add_signed(rel.addend())
                    .ok_or_else(|| {
                        crate::Error(format!("absolute pointer at {offset:#x} below the section"))
                    })?;
                let at = offset as usize;
                let from_start = value.wrapping_sub(layout.hashed.start);
                memory[at..at + 8].copy_from_slice(&from_start.to_le_bytes());
                relocated[at..at + 8].fill(true);
                hashed_pointers.push(offset);
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

    hashed_pointers.sort_unstable();
    let pointer_slots = record_pointers(&file, &layout, &hashed_pointers, &relocated)?;
    memory[pointer_slots.clone()].copy_from_slice(&pointer_slot_bytes(
        &hashed_pointers,
        &layout,
        pointer_slots.len(),
    )?);
    let writable = check_outside_hashed(
        &file,
        &layout,
        &memory,
        &relocated,
        allowed_writable,
        markers,
    )?;

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
    let corrupted_offsets = match tamper {
        None => Vec::new(),
        Some(t) => tampered_bytes(&file, &layout, &relocated, &memory, t)?,
    };
    drop(file);

    let at = |off: u64| layout.file_offset + off as usize;
    let slots = at(pointer_slots.start as u64)..at(pointer_slots.end as u64);
    bytes[slots.clone()].copy_from_slice(&memory[pointer_slots]);
    bytes[at(slot)..at(slot) + 32].copy_from_slice(&integrity_hmac);
    for off in &corrupted_offsets {
        bytes[at(*off)] ^= 0x01;
    }
    Ok(Sealed {
        bytes,
        integrity_hmac,
        hashed_len: layout.hashed.end - layout.hashed.start,
        data_len: layout.size - layout.data_start,
        globals,
        corrupted_offsets,
        hashed_pointers,
        writable,
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
    symbol_extent(file, name).map(|r| r.start)
}

/// Section offsets a symbol covers (`start..start + size`).
fn symbol_extent(file: &object::File<'_>, name: &str) -> Result<std::ops::Range<u64>> {
    file.symbols()
        .find(|s| s.name() == Ok(name))
        .map(|s| s.address()..s.address() + s.size())
        .ok_or_else(|| crate::Error(format!("symbol {name} not found")))
}

/// Where [`POINTERS_SYMBOL`] is: in the hashed range, untouched by any
/// relocation, large enough for every absolute pointer plus the end mark.
fn record_pointers(
    file: &object::File<'_>,
    layout: &Layout,
    pointers: &[u64],
    relocated: &[bool],
) -> Result<std::ops::Range<usize>> {
    let slots = symbol_extent(file, POINTERS_SYMBOL)?;
    if !(layout.hashed.contains(&slots.start) && slots.end <= layout.hashed.end) {
        bail!("{POINTERS_SYMBOL} must be in the hashed range");
    }
    let slots = slots.start as usize..slots.end as usize;
    if relocated[slots.clone()].iter().any(|r| *r) {
        bail!("{POINTERS_SYMBOL} is covered by a relocation");
    }
    if slots.len() % 4 != 0 || pointers.len() >= slots.len() / 4 {
        bail!(
            "{} absolute pointers in the hashed range, but {POINTERS_SYMBOL} has room for {}: \
             remove pointers from constant tables or enlarge it (crypto-c/src/integrity.c)",
            pointers.len(),
            (slots.len() / 4).saturating_sub(1)
        );
    }
    Ok(slots)
}

/// The contents of [`POINTERS_SYMBOL`]: offsets from the start of the hashed
/// range, ascending, the unused slots marked.
fn pointer_slot_bytes(pointers: &[u64], layout: &Layout, len: usize) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(len);
    for p in pointers {
        let off = u32::try_from(p - layout.hashed.start)
            .map_err(|_| crate::Error(format!("pointer at {p:#x} beyond 4 GiB")))?;
        out.extend_from_slice(&off.to_le_bytes());
    }
    while out.len() < len {
        out.extend_from_slice(&NO_POINTER.to_le_bytes());
    }
    Ok(out)
}

/// Everything outside the hashed range: between its end and the writable
/// part only zero padding; in the writable part only the objects
/// `boundary.toml` lists (by symbol and defining file) and zero padding, and
/// every listed object present. Returns the writable objects found.
fn check_outside_hashed(
    file: &object::File<'_>,
    layout: &Layout,
    memory: &[u8],
    relocated: &[bool],
    allowed: &[crate::boundary::Writable],
    markers: &[String],
) -> Result<Vec<WritableSymbol>> {
    let mut unit = String::new();
    let mut found: Vec<(u64, WritableSymbol)> = Vec::new();
    let mut covered = vec![false; memory.len()];
    for sym in file.symbols() {
        let name = sym.name().unwrap_or("?");
        if sym.kind() == SymbolKind::File {
            unit = name.to_string();
            continue;
        }
        if sym.section() != SymbolSection::Section(layout.index)
            || sym.kind() == SymbolKind::Section
            || markers.iter().any(|m| m == name)
            || name == STATE_END
        {
            continue;
        }
        let at = sym.address();
        if at < layout.hashed.end || at >= layout.size {
            continue;
        }
        if at < layout.data_start {
            bail!("{name} ({unit}) lies between the hashed range and the writable part");
        }
        let Some(entry) = allowed.iter().find(|w| w.symbol == name && w.unit == unit) else {
            bail!(
                "{name} ({unit}, {} bytes) is writable but not listed in crypto-c/boundary.toml \
                 [[writable]]: list it with why it must be mutable, or make it constant \
                 (module.ld puts constants in the hashed range)",
                sym.size()
            );
        };
        covered[at as usize..(at + sym.size()) as usize].fill(true);
        found.push((
            at,
            WritableSymbol {
                symbol: name.to_string(),
                unit: unit.clone(),
                size: sym.size(),
                why: entry.why.clone(),
            },
        ));
    }
    for w in allowed {
        if !found
            .iter()
            .any(|(_, f)| f.symbol == w.symbol && f.unit == w.unit)
        {
            bail!(
                "crypto-c/boundary.toml lists writable {} ({}), which the object no longer has",
                w.symbol,
                w.unit
            );
        }
    }
    for off in layout.hashed.end as usize..memory.len() {
        if !covered[off] && (memory[off] != 0 || relocated[off]) {
            bail!(
                "section offset {off:#x}, outside the hashed range, holds data no listed \
                 writable symbol accounts for"
            );
        }
    }
    // Zero bytes no symbol names, among the writable data, can only be
    // alignment padding: a longer run is an unnamed buffer (an assembly
    // `.bss` without a label, say) that nobody listed.
    let state_end = symbol_offset(file, STATE_END)? as usize;
    let mut run = 0;
    let start = layout.data_start as usize;
    for (off, named) in covered[start..state_end].iter().enumerate() {
        let off = start + off;
        run = if *named { 0 } else { run + 1 };
        if run > MAX_PADDING {
            bail!(
                "{run} unnamed bytes of writable data before section offset {off:#x}: \
                 give the object a symbol and list it in crypto-c/boundary.toml [[writable]]"
            );
        }
    }
    found.sort_by_key(|(at, _)| *at);
    Ok(found.into_iter().map(|(_, w)| w).collect())
}

/// The bytes a BREAK of the integrity test flips.
fn tampered_bytes(
    file: &object::File<'_>,
    layout: &Layout,
    relocated: &[bool],
    memory: &[u8],
    tamper: Tamper,
) -> Result<Vec<u64>> {
    let offsets = match tamper {
        Tamper::CodeAndEnd => vec![
            padding_byte(file, layout, relocated, memory)?,
            layout.hashed.end - 1,
        ],
        Tamper::AsmTable => vec![symbol_offset(file, ASM_TABLE_SYMBOL)?],
        Tamper::SelfTestTable { entries } => {
            let table = symbol_extent(file, SELF_TEST_TABLE_SYMBOL)?;
            let size = table.end - table.start;
            if entries == 0 || size == 0 || size % entries as u64 != 0 {
                bail!("{SELF_TEST_TABLE_SYMBOL} ({size} bytes) is not {entries} entries");
            }
            vec![table.end - size / entries as u64]
        }
    };
    for off in &offsets {
        if !layout.hashed.contains(off) || relocated[*off as usize] {
            bail!("BREAK would change {off:#x}, not a plain byte of the hashed range");
        }
    }
    Ok(offsets)
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
