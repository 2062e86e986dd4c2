//! Instructions the module must never execute, checked on the disassembly.
//!
//! The object's code is disassembled with `objdump`, which restarts decoding
//! at every symbol, so each function is decoded from its first byte. Bytes
//! inside data objects (constant tables, state) are not code and are skipped.

use crate::compile::run_capture;
use crate::{Result, bail};
use object::{Object, ObjectSymbol, SymbolKind};
use std::ops::Range;
use std::path::Path;
use std::process::Command;

/// Each forbidden mnemonic with the reason, for the error message.
pub const FORBIDDEN: &[(&str, &str)] = &[(
    "xgetbv",
    "the caller hands the module XCR0 (svsm_crypto_callbacks.xcr0); nested KVM cannot emulate XGETBV",
)];

/// Fails if any instruction outside the object's data symbols is forbidden.
pub fn check(object: &Path) -> Result<()> {
    let bytes = std::fs::read(object)?;
    let file = object::File::parse(&*bytes).map_err(|e| crate::Error(format!("ELF: {e}")))?;
    let data: Vec<Range<u64>> = file
        .symbols()
        .filter(|s| s.kind() == SymbolKind::Data && s.size() > 0)
        .map(|s| s.address()..s.address() + s.size())
        .collect();
    let listing = run_capture(
        Command::new("objdump")
            .arg("--disassemble")
            .arg("--no-show-raw-insn")
            .arg(object),
    )?;
    let found = forbidden_in(&listing, &data);
    if let Some((address, mnemonic, why)) = found.first() {
        bail!(
            "{}: {} forbidden instruction(s), first `{mnemonic}` at {address:#x}: {why}",
            object.display(),
            found.len()
        );
    }
    Ok(())
}

/// The forbidden instructions of an objdump listing that lie outside `data`:
/// (address, mnemonic, reason).
fn forbidden_in(listing: &str, data: &[Range<u64>]) -> Vec<(u64, &'static str, &'static str)> {
    let mut found = Vec::new();
    for line in listing.lines() {
        // Instruction lines: "  25bc5:\txgetbv" (prefixes come first).
        let Some((address, text)) = line.split_once(":\t") else {
            continue;
        };
        let Ok(address) = u64::from_str_radix(address.trim(), 16) else {
            continue;
        };
        if data.iter().any(|r| r.contains(&address)) {
            continue;
        }
        for word in text.split_whitespace() {
            if let Some(&(mnemonic, why)) = FORBIDDEN.iter().find(|(m, _)| *m == word) {
                found.push((address, mnemonic, why));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Assembles `source` (GNU as syntax) into an object in a fresh directory.
    fn assemble(name: &str, source: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("svsm-insn-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (src, obj) = (dir.join("t.s"), dir.join("t.o"));
        std::fs::write(&src, source).unwrap();
        run_capture(Command::new("as").arg("-o").arg(&obj).arg(&src)).unwrap();
        obj
    }

    #[test]
    fn xgetbv_in_code_is_refused() {
        let obj = assemble(
            "code",
            ".text\n.type f,@function\nf:\n xor %ecx,%ecx\n xgetbv\n ret\n.size f,.-f\n",
        );
        let err = check(&obj).expect_err("xgetbv must be refused").0;
        assert!(err.contains("`xgetbv`"), "{err}");
    }

    #[test]
    fn xgetbv_bytes_in_a_data_object_are_not_code() {
        let obj = assemble(
            "data",
            ".text\n.type f,@function\nf:\n ret\n.size f,.-f\n\
             .type table,@object\ntable:\n .byte 0x0f,0x01,0xd0,0x90\n.size table,.-table\n",
        );
        check(&obj).expect("constant bytes are not an instruction");
    }

    #[test]
    fn listing_lines_are_read_by_address_and_mnemonic() {
        let listing = "0000000000000000 <f>:\n   0:\txgetbv\n   3:\tret\n  10:\txgetbv\n";
        let data = vec![0x10..0x14, 0x20..0x30];
        let found = forbidden_in(listing, &data);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].0, found[0].1), (0, "xgetbv"));
    }
}
