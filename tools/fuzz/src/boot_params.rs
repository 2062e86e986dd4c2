//! Target: the boot-time start-info parser (`svsm-boot-params`), PVH
//! `hvm_start_info` and the IGVM launch-info page alike, then the kernel
//! command-line options read from what it copied.
//!
//! The input is the loader's memory: its bytes lie at physical address
//! [`BASE`], which is also the entry `%ebx` ([`StartInfo::parse`]'s `paddr`);
//! every address inside it (memory map, command line, IGVM parameter areas)
//! is the fuzzer's to choose, and a read outside it is refused as an
//! unmapped page would be. Properties, beyond "no panic" (overflow checks
//! and debug assertions on): the loader memory is read a bounded number of
//! times; a parsed record keeps the limits the kernel relies on (at most
//! [`MAX_MEMORY_REGIONS`] regions, none wrapping, a command line of at most
//! [`MAX_CMDLINE`] bytes without its NUL); a PVH record holds exactly the
//! entries its header counts; the option parser ignores only whole,
//! non-empty words of that command line.

use std::cell::Cell;

use svsm_boot_params::cmdline::Options;
use svsm_boot_params::start_info::{
    Loader, LoaderMemory, MAX_CMDLINE, MAX_MEMORY_REGIONS, START_INFO_MAGIC, StartInfo,
};

/// Physical address of the input's first byte, and the entry `%ebx`.
pub const BASE: u64 = 0x1000;

/// Most reads one parse may make: the header, every memory-map entry the
/// IGVM area holds (4096 / 16), and a command line of up to 4096 bytes read
/// one byte at a time, with room to spare. More means a loop the loader
/// steers.
const MAX_READS: usize = 2 + 4096 / 16 + 4096 + 16;

/// The input as loader memory, counting the reads.
pub struct Image<'a> {
    bytes: &'a [u8],
    reads: Cell<usize>,
}

impl<'a> Image<'a> {
    /// `bytes` at [`BASE`], none read yet.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            reads: Cell::new(0),
        }
    }
}

impl LoaderMemory for Image<'_> {
    fn read(&self, addr: u64, out: &mut [u8]) -> Option<()> {
        self.reads.set(self.reads.get() + 1);
        let start = usize::try_from(addr.checked_sub(BASE)?).ok()?;
        out.copy_from_slice(self.bytes.get(start..start.checked_add(out.len())?)?);
        Some(())
    }
}

/// A little-endian u32 of the input at `at`, if it has one.
fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

pub fn one_input(data: &[u8]) {
    let image = Image::new(data);
    let parsed = StartInfo::parse(&image, BASE);
    assert!(
        image.reads.get() <= MAX_READS,
        "{} reads of loader memory",
        image.reads.get()
    );
    let Ok(info) = parsed else {
        return;
    };

    let regions = info.memory_map.iter().count();
    assert!(regions <= MAX_MEMORY_REGIONS, "{regions} regions kept");
    for region in info.memory_map.iter() {
        assert!(
            region.start.checked_add(region.size).is_some(),
            "a kept region wraps: {region:?}"
        );
    }
    if let Loader::Pvh { version } = info.loader {
        assert_eq!(u32_at(data, 0), Some(START_INFO_MAGIC));
        assert_eq!(u32_at(data, 4), Some(version));
        // hvm_start_info.memmap_entries, at offset 48.
        assert_eq!(u32_at(data, 48), Some(regions as u32));
    }
    let cmdline = info.cmdline();
    assert!(
        cmdline.len() <= MAX_CMDLINE,
        "command line of {}",
        cmdline.len()
    );
    assert!(!cmdline.contains(&0), "a NUL inside the command line");

    let mut ignored = 0;
    Options::parse(cmdline, |word| {
        ignored += 1;
        assert!(!word.0.is_empty(), "an empty word ignored");
        assert!(
            !word.0.iter().any(u8::is_ascii_whitespace),
            "an ignored word holds whitespace"
        );
        // A word of the command line, not bytes from elsewhere.
        let within = cmdline.as_ptr_range();
        assert!(
            within.contains(&word.0.as_ptr()),
            "an ignored word outside the line"
        );
    });
    assert!(ignored <= cmdline.len().div_ceil(2) + 1);
}
