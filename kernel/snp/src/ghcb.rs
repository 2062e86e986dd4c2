//! The GHCB page and the calls made through it (GHCB specification v2).
//!
//! A call clears the valid bitmap, writes its inputs and marks each one
//! valid, writes the GHCB GPA to the GHCB MSR and exits. The hypervisor's
//! answer is hostile input: SW_EXITINFO1 must report success, and every
//! output register the call reads must be marked valid by the hypervisor,
//! or the call fails with a [`GhcbError`].

use spin::Mutex;

use crate::hw::{OutOfPage, PAGE_BYTES, SharedPage, SnpHardware};
use crate::msr_protocol::{GHCB_PROTOCOL_VERSION, MSR_GHCB};

/// Offsets of the GHCB fields this SVSM uses (GHCB spec, table "GHCB
/// layout"). Each save-area field is one quadword; its bit in the valid
/// bitmap is `offset / 8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Field {
    Rax = 0x1f8,
    Rcx = 0x308,
    Rdx = 0x310,
    Rbx = 0x318,
    SwExitCode = 0x390,
    SwExitInfo1 = 0x398,
    SwExitInfo2 = 0x3a0,
    SwScratch = 0x3a8,
    Xcr0 = 0x3e8,
}

impl Field {
    pub const fn offset(self) -> usize {
        self as usize
    }

    /// Index of the field's bit in the valid bitmap.
    pub const fn valid_bit(self) -> usize {
        self as usize / 8
    }
}

/// Offset of the 16-byte valid bitmap.
pub const VALID_BITMAP: usize = 0x3f0;
/// Offset and size of the shared buffer.
pub const SHARED_BUFFER: usize = 0x800;
pub const SHARED_BUFFER_SIZE: usize = 0x7f0;
/// Offset of the GHCB usage (u16) and protocol version (u32).
pub const GHCB_USAGE: usize = 0xffa;
pub const PROTOCOL_VERSION: usize = 0xffc;

/// SW_EXITCODE values of the calls.
pub mod exit {
    pub const RDTSC: u64 = 0x6e;
    pub const CPUID: u64 = 0x72;
    pub const IOIO: u64 = 0x7b;
    pub const MSR: u64 = 0x7c;
    pub const RDTSCP: u64 = 0x87;
    pub const SNP_PAGE_STATE_CHANGE: u64 = 0x8000_0010;
    pub const SNP_GUEST_REQUEST: u64 = 0x8000_0011;
    pub const SNP_EXTENDED_GUEST_REQUEST: u64 = 0x8000_0012;
    pub const SNP_AP_CREATION: u64 = 0x8000_0013;
}

/// Why a GHCB call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GhcbError {
    /// SW_EXITINFO1[31:0] = 1: the hypervisor asks for an exception to be
    /// injected (SW_EXITINFO2 holds the event).
    Exception(u64),
    /// SW_EXITINFO1[31:0] had a value the specification does not define.
    BadExitInfo(u64),
    /// The hypervisor did not mark an output the call reads as valid.
    MissingOutput(Field),
    /// The call-specific error the hypervisor reported in SW_EXITINFO2
    /// (guest request: firmware error in bits 31:0, VMM error in 63:32;
    /// page state change: its error code).
    Call(u64),
    /// A length does not fit the shared buffer or page.
    TooLarge,
    /// The hypervisor moved a page-state-change cursor outside the list.
    BadProgress,
}

impl From<OutOfPage> for GhcbError {
    fn from(_: OutOfPage) -> Self {
        Self::TooLarge
    }
}

/// Serialises the calls through one GHCB.
pub struct Ghcb(Mutex<()>);

/// One call's view of the GHCB while the lock is held.
pub struct GhcbCall<'a, H: SnpHardware> {
    hw: &'a H,
    page: &'a SharedPage,
    _guard: spin::MutexGuard<'a, ()>,
}

impl Ghcb {
    pub const fn new() -> Self {
        Self(Mutex::new(()))
    }

    /// Starts a call through the GHCB of `hw` (already shared and
    /// registered): locks it and clears the page, valid bitmap included.
    pub fn begin<'a, H: SnpHardware>(&'a self, hw: &'a H) -> GhcbCall<'a, H> {
        let guard = self.0.lock();
        let page = hw.ghcb();
        page.clear();
        GhcbCall {
            hw,
            page,
            _guard: guard,
        }
    }
}

impl Default for Ghcb {
    fn default() -> Self {
        Self::new()
    }
}

impl<H: SnpHardware> GhcbCall<'_, H> {
    /// Clears the whole page (save area, valid bitmap, shared buffer).
    pub fn clear(&self) {
        self.page.clear();
    }

    /// Writes `value` to `field` and marks it valid.
    pub fn set(&self, field: Field, value: u64) -> Result<(), GhcbError> {
        self.page.write_u64(field.offset(), value)?;
        let bit = field.valid_bit();
        let byte = VALID_BITMAP + bit / 8;
        let mut old = [0u8];
        self.page.read(byte, &mut old)?;
        self.page.write(byte, &[old[0] | (1 << (bit % 8))])?;
        Ok(())
    }

    /// Whether the hypervisor marked `field` valid.
    pub fn is_valid(&self, field: Field) -> bool {
        let bit = field.valid_bit();
        let mut byte = [0u8];
        self.page.read(VALID_BITMAP + bit / 8, &mut byte).is_ok() && byte[0] & (1 << (bit % 8)) != 0
    }

    /// The value of an output `field`, which the hypervisor must have
    /// marked valid.
    pub fn output(&self, field: Field) -> Result<u64, GhcbError> {
        if !self.is_valid(field) {
            return Err(GhcbError::MissingOutput(field));
        }
        Ok(self.page.read_u64(field.offset())?)
    }

    /// Writes `data` into the shared buffer at `offset` and points
    /// SW_SCRATCH at it.
    pub fn set_scratch(&self, offset: usize, data: &[u8]) -> Result<(), GhcbError> {
        let end = offset.checked_add(data.len()).ok_or(GhcbError::TooLarge)?;
        if end > SHARED_BUFFER_SIZE {
            return Err(GhcbError::TooLarge);
        }
        self.page.write(SHARED_BUFFER + offset, data)?;
        let gpa = self.hw.ghcb_gpa().raw() + (SHARED_BUFFER + offset) as u64;
        self.set(Field::SwScratch, gpa)
    }

    /// Reads the shared buffer at `offset`.
    pub fn read_scratch(&self, offset: usize, out: &mut [u8]) -> Result<(), GhcbError> {
        let end = offset.checked_add(out.len()).ok_or(GhcbError::TooLarge)?;
        if end > SHARED_BUFFER_SIZE {
            return Err(GhcbError::TooLarge);
        }
        Ok(self.page.read(SHARED_BUFFER + offset, out)?)
    }

    /// Makes the exit `code` with the two exit-information values and checks
    /// SW_EXITINFO1's result field.
    pub fn exit(&self, code: u64, info1: u64, info2: u64) -> Result<(), GhcbError> {
        self.set(Field::SwExitCode, code)?;
        self.set(Field::SwExitInfo1, info1)?;
        self.set(Field::SwExitInfo2, info2)?;
        self.page.write(GHCB_USAGE, &0u16.to_le_bytes())?;
        self.page.write(
            PROTOCOL_VERSION,
            &u32::from(GHCB_PROTOCOL_VERSION).to_le_bytes(),
        )?;
        self.hw.write_msr(MSR_GHCB, self.hw.ghcb_gpa().raw());
        self.hw.vmgexit();
        // SW_EXITINFO1 is read whether or not the hypervisor marked it: it is
        // the field the hypervisor answers in, and zero means success.
        let result = self.page.read_u64(Field::SwExitInfo1.offset())?;
        match result & 0xffff_ffff {
            0 => Ok(()),
            1 => Err(GhcbError::Exception(
                self.page.read_u64(Field::SwExitInfo2.offset())?,
            )),
            _ => Err(GhcbError::BadExitInfo(result)),
        }
    }

    /// The raw SW_EXITINFO2 after the exit (call-specific result).
    pub fn exit_info2(&self) -> Result<u64, GhcbError> {
        Ok(self.page.read_u64(Field::SwExitInfo2.offset())?)
    }
}

const _: () = assert!(SHARED_BUFFER + SHARED_BUFFER_SIZE <= PAGE_BYTES);
