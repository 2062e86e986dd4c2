//! The kernel image as the linker laid it out.
//!
//! Addresses come from symbols defined in `kernel/linker.ld`; nothing here is
//! hard-coded. [`KernelLayout::get`] also validates what the page-table code
//! relies on (page alignment, ordering, the crypto data marker lying inside the
//! crypto section), so a broken link is reported at boot instead of producing
//! wrong permissions.

use core::fmt;
use core::ops::Range;

use x86_64::PhysAddr;

use super::PAGE_SIZE;

unsafe extern "C" {
    static __kernel_start: u8;
    static __kernel_end: u8;
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __svsm_crypto_start: u8;
    static svsm_crypto_data_start: u8;
    static __svsm_crypto_end: u8;
    static __data_start: u8;
    static __data_end: u8;
    static __stacks_start: u8;
    static __stacks_end: u8;
}

/// Physical (== virtual) address ranges of the image's parts.
#[derive(Clone, Debug)]
pub struct KernelLayout {
    pub image: Range<PhysAddr>,
    pub text: Range<PhysAddr>,
    pub rodata: Range<PhysAddr>,
    /// Crypto module code and read-only data (the integrity-checked range).
    pub crypto_code: Range<PhysAddr>,
    /// Crypto module writable data; empty when no module is linked in.
    pub crypto_data: Range<PhysAddr>,
    /// `.data` and `.bss`.
    pub data: Range<PhysAddr>,
    pub stacks: Range<PhysAddr>,
}

/// The linker script's guarantees did not hold.
#[derive(Debug)]
pub struct LayoutError {
    pub what: &'static str,
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kernel image layout is invalid: {}", self.what)
    }
}

macro_rules! addr {
    ($sym:ident) => {
        // Only the address is taken; the symbol is never read.
        PhysAddr::new(&raw const $sym as u64)
    };
}

impl KernelLayout {
    pub fn get() -> Result<Self, LayoutError> {
        let layout = Self {
            image: addr!(__kernel_start)..addr!(__kernel_end),
            text: addr!(__text_start)..addr!(__text_end),
            rodata: addr!(__rodata_start)..addr!(__rodata_end),
            crypto_code: addr!(__svsm_crypto_start)..addr!(svsm_crypto_data_start),
            crypto_data: addr!(svsm_crypto_data_start)..addr!(__svsm_crypto_end),
            data: addr!(__data_start)..addr!(__data_end),
            stacks: addr!(__stacks_start)..addr!(__stacks_end),
        };
        layout.validate()?;
        Ok(layout)
    }

    /// The parts that get their own permissions, in address order.
    pub fn parts(&self) -> [(&'static str, &Range<PhysAddr>); 6] {
        [
            ("text", &self.text),
            ("rodata", &self.rodata),
            ("crypto code", &self.crypto_code),
            ("crypto data", &self.crypto_data),
            ("data+bss", &self.data),
            ("stacks", &self.stacks),
        ]
    }

    fn validate(&self) -> Result<(), LayoutError> {
        let fail = |what| Err(LayoutError { what });
        let mut previous_end = self.image.start;
        for (_, range) in self.parts() {
            if !range.start.is_aligned(PAGE_SIZE as u64) || !range.end.is_aligned(PAGE_SIZE as u64)
            {
                return fail("a section is not page aligned");
            }
            if range.start > range.end || range.start < previous_end {
                return fail("sections overlap or are out of order");
            }
            previous_end = range.end;
        }
        if previous_end > self.image.end {
            return fail("a section extends past the end of the image");
        }
        Ok(())
    }
}
