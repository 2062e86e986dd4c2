//! The CPUID page the firmware validated at launch (SEV-SNP firmware ABI,
//! "CPUID Reporting"): a count, then 48-byte entries (EAX and ECX in, XCR0
//! and XSS in, EAX..EDX out). On SNP every CPUID the SVSM executes traps
//! (#VC) and is answered from this page only: a leaf missing from it is an
//! error, never a question to the hypervisor.

use crate::hw::PAGE_BYTES;

/// Offset of the first entry and size of each.
const ENTRIES: usize = 16;
const ENTRY_SIZE: usize = 48;
/// Most entries a page holds (firmware ABI: 64).
pub const MAX_ENTRIES: usize = 64;

/// One CPUID answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuidResult {
    pub eax: u32,
    pub ebx: u32,
    pub ecx: u32,
    pub edx: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Entry {
    leaf: u32,
    subleaf: u32,
    result: CpuidResult,
}

/// Why the page is unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuidPageError {
    /// The count is above [`MAX_ENTRIES`].
    Count(u32),
}

/// A leaf the page does not hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MissingLeaf {
    pub leaf: u32,
    pub subleaf: u32,
}

/// The parsed page: a private copy, so the page itself is read once.
#[derive(Clone, Debug)]
pub struct CpuidPage {
    count: usize,
    entries: [Entry; MAX_ENTRIES],
}

/// Leaves whose answer depends on ECX (the subleaf); for the others ECX is
/// ignored when looking up.
pub(crate) fn has_subleaves(leaf: u32) -> bool {
    matches!(
        leaf,
        0x4 | 0x7
            | 0xb
            | 0xd
            | 0xf
            | 0x10
            | 0x12
            | 0x14
            | 0x17
            | 0x18
            | 0x1f
            | 0x8000_001d
            | 0x8000_0020
    )
}

impl CpuidPage {
    pub fn parse(page: &[u8; PAGE_BYTES]) -> Result<Self, CpuidPageError> {
        let word =
            |at: usize| u32::from_le_bytes([page[at], page[at + 1], page[at + 2], page[at + 3]]);
        let count = word(0);
        if count as usize > MAX_ENTRIES {
            return Err(CpuidPageError::Count(count));
        }
        let mut entries = [Entry::default(); MAX_ENTRIES];
        for (i, entry) in entries.iter_mut().enumerate().take(count as usize) {
            let at = ENTRIES + i * ENTRY_SIZE;
            *entry = Entry {
                leaf: word(at),
                subleaf: word(at + 4),
                result: CpuidResult {
                    eax: word(at + 24),
                    ebx: word(at + 28),
                    ecx: word(at + 32),
                    edx: word(at + 36),
                },
            };
        }
        Ok(Self {
            count: count as usize,
            entries,
        })
    }

    /// The answer for `leaf`/`subleaf`.
    pub fn lookup(&self, leaf: u32, subleaf: u32) -> Result<CpuidResult, MissingLeaf> {
        let indexed = has_subleaves(leaf);
        self.entries[..self.count]
            .iter()
            .find(|e| e.leaf == leaf && (!indexed || e.subleaf == subleaf))
            .map(|e| e.result)
            .ok_or(MissingLeaf { leaf, subleaf })
    }
}
