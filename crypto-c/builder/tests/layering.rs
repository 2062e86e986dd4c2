//! The builder's modules depend one way: the inputs (`boundary`, `header`),
//! then `pin -> compile -> link -> insn -> elf -> manifest` (`fuzz`, beside
//! `link`, compiles a sanitized variant instead). A module may use the
//! crate root's shared items (`Error`, `Layout`, ...) and modules before it,
//! never one after it, so there is no import cycle. `lib.rs` runs the steps
//! and is the only file that uses them all.

use std::path::Path;

const ORDER: &[&[&str]] = &[
    &["boundary", "header"],
    &["pin"],
    &["compile"],
    &["link", "fuzz"],
    &["insn"],
    &["elf"],
    &["manifest"],
];

fn rank(module: &str) -> Option<usize> {
    ORDER.iter().position(|tier| tier.contains(&module))
}

/// Every `crate::<module>` a source file names, including inside
/// `use crate::{a::X, b::Y}` groups.
fn crate_modules(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            group[..end]
                .split(',')
                .map(|s| s.trim().split("::").next().unwrap_or_default())
                .collect()
        } else {
            vec![
                rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or_default(),
            ]
        };
        found.extend(
            names
                .into_iter()
                .filter(|n| rank(n).is_some())
                .map(str::to_string),
        );
    }
    found
}

#[test]
fn modules_depend_only_on_earlier_ones() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut seen = 0;
    for tier in ORDER {
        for module in *tier {
            let text = std::fs::read_to_string(src.join(format!("{module}.rs")))
                .unwrap_or_else(|e| panic!("src/{module}.rs: {e}"));
            seen += 1;
            let own = rank(module).unwrap();
            for used in crate_modules(&text) {
                let theirs = rank(&used).unwrap();
                assert!(
                    theirs < own,
                    "src/{module}.rs uses crate::{used}: {used} comes after (or beside) {module} \
                     in {ORDER:?}"
                );
            }
        }
    }
    // Programs over the library live in src/bin/, outside the layers.
    let files = std::fs::read_dir(&src)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "rs")
        })
        .count();
    assert_eq!(
        files,
        seen + 1,
        "every module of src/ (besides lib.rs) must have its place in ORDER"
    );
}

#[test]
fn the_scan_finds_grouped_and_plain_uses() {
    let text = "use crate::{Result, header::Header, pin::Pin};\nlet x = crate::elf::SECTION;";
    assert_eq!(crate_modules(text), ["header", "pin", "elf"]);
}
