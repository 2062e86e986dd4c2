//! What `elf::seal` refuses and records about the bytes outside and inside
//! the integrity range, on a small object laid out by the real module.ld:
//! writable state must be listed in `[[writable]]` (and what is listed must
//! exist), and absolute pointers in the hashed range are located for the
//! runtime test, within the room the object gives them.

use std::path::PathBuf;
use std::process::Command;
use svsm_crypto_builder::boundary::Writable;
use svsm_crypto_builder::elf::{self, Sealed};
use svsm_crypto_builder::link::Linked;
use svsm_crypto_builder::{Layout, Options};

/// The integrity plumbing every module object has (integrity.c), with room
/// for `slots` pointer offsets, plus `body`.
fn source(slots: usize, body: &str) -> String {
    format!(
        r#"
__attribute__((used)) static const unsigned char svsm_integrity_key[32] = {{ 1 }};
__attribute__((section(".data.svsm_integrity"), used))
static unsigned char svsm_integrity_expected[32] = {{ 1 }};
__attribute__((section(".rodata.svsm_integrity_pointers"), used))
static const volatile unsigned svsm_integrity_pointers[{slots}] = {{ [0 ... {last}] = ~0u }};
static int counter;
int svsm_crypto_bump(void) {{ return ++counter; }}
{body}
"#,
        last = slots - 1
    )
}

/// Compiles `unit.c` from `text` and links it with module.ld in `dir`.
fn linked(dir: &str, text: &str) -> Linked {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let c = dir.join("unit.c");
    std::fs::write(&c, text).unwrap();
    let obj = dir.join("unit.o");
    run(Command::new("gcc")
        .args([
            "-c",
            "-O2",
            "-fPIE",
            "-fno-common",
            "-fno-asynchronous-unwind-tables",
        ])
        .arg("-fvisibility=hidden")
        .arg(&c)
        .arg("-o")
        .arg(&obj));
    let layout = Layout::new(&Options::default());
    let object = dir.join("linked.o");
    run(Command::new("ld")
        .arg("-r")
        .arg("-T")
        .arg(layout.crypto_c.join("module.ld"))
        .arg("-o")
        .arg(&object)
        .arg(&obj));
    let mut exports: Vec<String> = markers();
    exports.push("svsm_crypto_bump".into());
    Linked { object, exports }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("running the toolchain");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn markers() -> Vec<String> {
    [
        "svsm_crypto_text_start",
        "svsm_crypto_text_end",
        "svsm_crypto_data_start",
        "svsm_crypto_end",
    ]
    .map(String::from)
    .to_vec()
}

fn writable(symbol: &str) -> Writable {
    Writable {
        symbol: symbol.into(),
        unit: "unit.c".into(),
        why: format!("{symbol} changes"),
    }
}

fn seal(linked: &Linked, allowed: &[Writable]) -> Result<Sealed, String> {
    elf::seal(linked, allowed, &markers(), None).map_err(|e| e.0)
}

/// The builder's reason for refusing the object.
fn refused(linked: &Linked, allowed: &[Writable]) -> String {
    match seal(linked, allowed) {
        Ok(_) => panic!("sealed {}, which must be refused", linked.object.display()),
        Err(e) => e,
    }
}

#[test]
fn listed_writable_state_is_recorded_with_its_size_and_reason() {
    let l = linked("listed", &source(4, ""));
    let sealed = seal(
        &l,
        &[writable("svsm_integrity_expected"), writable("counter")],
    )
    .expect("everything writable is listed");
    let found: Vec<(&str, &str, u64)> = sealed
        .writable
        .iter()
        .map(|w| (w.symbol.as_str(), w.unit.as_str(), w.size))
        .collect();
    assert_eq!(
        found,
        [
            ("svsm_integrity_expected", "unit.c", 32),
            ("counter", "unit.c", 4)
        ]
    );
    assert_eq!(sealed.writable[1].why, "counter changes");
    assert!(sealed.hashed_pointers.is_empty());
}

#[test]
fn unlisted_writable_state_fails_the_build() {
    let l = linked("unlisted", &source(4, ""));
    let err = refused(&l, &[writable("svsm_integrity_expected")]);
    assert!(
        err.contains("counter") && err.contains("not listed"),
        "{err}"
    );
}

#[test]
fn a_listed_object_that_is_gone_fails_the_build() {
    let l = linked("gone", &source(4, ""));
    let err = refused(
        &l,
        &[
            writable("svsm_integrity_expected"),
            writable("counter"),
            writable("ghost"),
        ],
    );
    assert!(
        err.contains("ghost") && err.contains("no longer has"),
        "{err}"
    );
}

#[test]
fn unnamed_writable_data_fails_the_build() {
    let body = r#"__asm__(".pushsection .bss\n.skip 256\n.popsection");"#;
    let l = linked("unnamed", &source(4, body));
    let err = refused(
        &l,
        &[writable("svsm_integrity_expected"), writable("counter")],
    );
    assert!(err.contains("unnamed bytes of writable data"), "{err}");
}

/// A constant table of pointers lands in the hashed range: its pointers are
/// hashed as offsets, and their places are written into the object.
const POINTER_TABLE: &str = r#"
static int a, b;
__attribute__((used)) static int *const table[2] = { &a, &b };
int svsm_crypto_touch(void) { return table[0] == table[1]; }
"#;

#[test]
fn pointers_in_the_hashed_range_are_located_for_the_runtime_test() {
    let mut l = linked("pointers", &source(4, POINTER_TABLE));
    l.exports.push("svsm_crypto_touch".into());
    let allowed = ["svsm_integrity_expected", "counter", "a", "b"].map(writable);
    let sealed = seal(&l, &allowed).expect("two pointers fit in four slots");
    assert_eq!(sealed.hashed_pointers.len(), 2);

    // The slots in the sealed object hold the offsets, then the end mark.
    let slots = slot_bytes(&sealed);
    let offsets: Vec<u32> = slots
        .chunks(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let want: Vec<u32> = sealed
        .hashed_pointers
        .iter()
        .map(|p| (p - sealed.hashed_section_offset) as u32)
        .chain([u32::MAX, u32::MAX])
        .collect();
    assert_eq!(offsets, want);
}

#[test]
fn more_pointers_than_slots_fail_the_build() {
    let mut l = linked("too-many", &source(2, POINTER_TABLE));
    l.exports.push("svsm_crypto_touch".into());
    let allowed = ["svsm_integrity_expected", "counter", "a", "b"].map(writable);
    let err = refused(&l, &allowed);
    assert!(err.contains("absolute pointers"), "{err}");
}

/// The bytes of `svsm_integrity_pointers` in the sealed object.
fn slot_bytes(sealed: &Sealed) -> Vec<u8> {
    use object::{Object, ObjectSection, ObjectSymbol};
    let file = object::File::parse(&*sealed.bytes).unwrap();
    let sym = file
        .symbols()
        .find(|s| s.name() == Ok(elf::POINTERS_SYMBOL))
        .expect("pointer slots");
    let section = file.section_by_name(elf::SECTION).unwrap();
    let (base, _) = section.file_range().unwrap();
    let at = (base + sym.address()) as usize;
    sealed.bytes[at..at + sym.size() as usize].to_vec()
}
