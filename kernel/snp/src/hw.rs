//! The privileged operations of an SEV-SNP guest at VMPL0, as one narrow
//! trait.
//!
//! Everything in this crate reaches the machine only through
//! [`SnpHardware`]: the kernel implements it with the instructions (inline
//! assembly in `kernel/src/platform/`), the host tests with a simulated
//! hypervisor, RMP and PSP (`tools/snp-sim`). What the trait hands back is
//! either an instruction's architectural result or memory the hypervisor can
//! write ([`SharedPage`]): the callers treat both as untrusted input.

use core::sync::atomic::{AtomicU8, Ordering};

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::memory::MemoryError;
use svsm_protocol::platform::{PageSize, PvalidateFailure};

/// Size of a page shared with the hypervisor.
pub const PAGE_BYTES: usize = 4096;

/// A 4 KiB page the hypervisor can read and write at any moment (the GHCB,
/// the guest-message pages, the certificate buffer).
///
/// Every access is a single relaxed atomic byte access, so concurrent writes
/// by the other side are not undefined behaviour; a value read is a snapshot
/// the caller copies once and then checks, never re-reads.
#[repr(C, align(4096))]
pub struct SharedPage([AtomicU8; PAGE_BYTES]);

/// An access that does not fit inside the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfPage;

impl SharedPage {
    /// An all-zero page.
    pub const fn new() -> Self {
        Self([const { AtomicU8::new(0) }; PAGE_BYTES])
    }

    fn range(offset: usize, len: usize) -> Result<core::ops::Range<usize>, OutOfPage> {
        let end = offset.checked_add(len).ok_or(OutOfPage)?;
        if end > PAGE_BYTES {
            return Err(OutOfPage);
        }
        Ok(offset..end)
    }

    /// Copies `out.len()` bytes from `offset` into `out`.
    pub fn read(&self, offset: usize, out: &mut [u8]) -> Result<(), OutOfPage> {
        let range = Self::range(offset, out.len())?;
        for (dst, src) in out.iter_mut().zip(&self.0[range]) {
            *dst = src.load(Ordering::Relaxed);
        }
        Ok(())
    }

    /// Copies `data` to `offset`.
    pub fn write(&self, offset: usize, data: &[u8]) -> Result<(), OutOfPage> {
        let range = Self::range(offset, data.len())?;
        for (dst, src) in self.0[range].iter().zip(data) {
            dst.store(*src, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The little-endian u64 at `offset`.
    pub fn read_u64(&self, offset: usize) -> Result<u64, OutOfPage> {
        let mut bytes = [0; 8];
        self.read(offset, &mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    /// Stores `value` little endian at `offset`.
    pub fn write_u64(&self, offset: usize, value: u64) -> Result<(), OutOfPage> {
        self.write(offset, &value.to_le_bytes())
    }

    /// Sets every byte of the page to zero.
    pub fn clear(&self) {
        for byte in &self.0 {
            byte.store(0, Ordering::Relaxed);
        }
    }
}

impl Default for SharedPage {
    fn default() -> Self {
        Self::new()
    }
}

/// What a successful PVALIDATE did (the instruction's carry flag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PvalidateOutcome {
    /// The RMP entry's Validated bit changed.
    Changed,
    /// The page was already in the requested state (CF = 1).
    Unchanged,
}

/// RMPADJUST's failures (its return codes in RAX).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RmpadjustFailure {
    /// FAIL_INPUT (1).
    Input,
    /// FAIL_PERMISSION (2): the target VMPL is not below the caller's, or
    /// the requested permissions exceed the caller's own.
    Permission,
    /// FAIL_SIZEMISMATCH (6).
    SizeMismatch,
    /// Any other value the instruction returned.
    Other(u64),
}

/// Why a revocation could not be made visible on every vCPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlbFlushError {
    /// The CPU offers no broadcast TLB invalidation (INVLPGB and TLBSYNC,
    /// CPUID 0x8000_0008 EBX[3]), so another vCPU may keep a translation
    /// the guest no longer has the right to.
    NoBroadcast,
}

/// VMPL permission mask of RMPADJUST (SEV-SNP: RMPADJUST RCX[15:8]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct VmplPermissions(u8);

impl VmplPermissions {
    pub const NONE: Self = Self(0);
    pub const READ: Self = Self(1 << 0);
    pub const WRITE: Self = Self(1 << 1);
    pub const EXECUTE_USER: Self = Self(1 << 2);
    pub const EXECUTE_SUPERVISOR: Self = Self(1 << 3);
    /// Everything a guest VMPL may be granted.
    pub const ALL: Self = Self(0x0f);

    pub const fn bits(self) -> u8 {
        self.0
    }

    /// The mask from its bits; bits above the four defined ones are dropped.
    pub const fn from_bits_truncate(bits: u8) -> Self {
        Self(bits & Self::ALL.0)
    }

    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

/// The pages a guest message travels through (SNP_GUEST_REQUEST: request
/// in `request`, response in `response`; the extended request's certificate
/// table in `certs`), all shared with the hypervisor.
pub struct MessagePages<'a> {
    pub request: &'a SharedPage,
    pub request_gpa: GuestPhysAddr,
    pub response: &'a SharedPage,
    pub response_gpa: GuestPhysAddr,
    /// Contiguous pages starting at `certs_gpa`.
    pub certs: &'a [SharedPage],
    pub certs_gpa: GuestPhysAddr,
}

/// The privileged operations of an SNP guest at VMPL0. See the module
/// comment.
pub trait SnpHardware: Sync {
    /// RDMSR.
    fn read_msr(&self, msr: u32) -> u64;

    /// WRMSR.
    fn write_msr(&self, msr: u32, value: u64);

    /// VMGEXIT, with the GHCB MSR as last written.
    fn vmgexit(&self);

    /// PVALIDATE of the guest page at `gpa`.
    fn pvalidate(
        &self,
        gpa: GuestPhysAddr,
        size: PageSize,
        validate: bool,
    ) -> Result<PvalidateOutcome, PvalidateFailure>;

    /// RMPADJUST of the page at `gpa`: gives `target_vmpl` the permissions
    /// `perms`, and sets or clears the VMSA bit.
    fn rmpadjust(
        &self,
        gpa: GuestPhysAddr,
        size: PageSize,
        target_vmpl: u8,
        perms: VmplPermissions,
        vmsa: bool,
    ) -> Result<(), RmpadjustFailure>;

    /// Makes a revocation of the guest's access (RMPADJUST lowering its
    /// permissions) visible on every vCPU: RMPADJUST does not invalidate
    /// the TLB entries other vCPUs hold for the page, so until they are
    /// flushed the guest may still reach it. Called after revoking and
    /// before the SVSM relies on the guest no longer reaching the page
    /// (PVALIDATE(0), reading a VMSA). Fails, and the caller must not go
    /// on, when the flush cannot be broadcast.
    fn flush_guest_tlb(&self) -> Result<(), TlbFlushError>;

    /// Writes zeros over the guest page of `size` at `gpa` through the
    /// SVSM's own (private) mapping of guest memory. Called only on a page
    /// the SVSM has just validated; fails if the SVSM cannot reach it.
    fn zero_page(&self, gpa: GuestPhysAddr, size: PageSize) -> Result<(), MemoryError>;

    /// Copies guest memory at `gpa` into `out` through the SVSM's own
    /// (private) mapping. Called only on a page the SVSM knows is validated
    /// and has taken from the guest (a VMSA being checked).
    fn read_guest(&self, gpa: GuestPhysAddr, out: &mut [u8]) -> Result<(), MemoryError>;

    /// The GHCB page (shared: hypervisor-writable).
    fn ghcb(&self) -> &SharedPage;

    /// Guest-physical address of [`SnpHardware::ghcb`].
    fn ghcb_gpa(&self) -> GuestPhysAddr;

    /// The shared pages of guest messages.
    fn message_pages(&self) -> MessagePages<'_>;
}
