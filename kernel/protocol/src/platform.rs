//! What the protocols need from the machine they run on.
//!
//! The protocol code never asks which platform it runs on; it asks the
//! [`Platform`] to do the platform's part of a call (validate a page, produce
//! an attestation report, create a vCPU) and to say what it can do at all
//! ([`Capabilities`]). The [`native`] platform (QEMU without confidential
//! computing) is here; the SEV-SNP platform is `svsm_snp::SnpPlatform`
//! (kernel/snp): `pvalidate` with RMPADJUST and the PVALIDATE instruction,
//! `attestation_report` with an SNP guest request (MSG_REPORT_REQ) to the
//! PSP, `create_vcpu` with RMPADJUST on the VMSA page and a GHCB AP-creation
//! request. The protocol files do not change between them.

pub mod native;

use crate::addr::GuestPhysAddr;
use crate::crypto::AttestationCrypto;
use crate::error::SvsmError;

/// Which kind of machine the SVSM found at boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlatformKind {
    /// No confidential computing (stock QEMU/KVM): nothing is validated or
    /// measured by hardware.
    Native,
    /// AMD SEV-SNP, the SVSM at VMPL0 (`svsm_snp::SnpPlatform`).
    SevSnp,
}

/// Page sizes of a PVALIDATE entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageSize {
    Size4K,
    Size2M,
}

impl PageSize {
    pub const fn bytes(self) -> u64 {
        match self {
            PageSize::Size4K => crate::addr::PAGE_SIZE,
            PageSize::Size2M => crate::addr::PAGE_SIZE_2M,
        }
    }
}

/// Why the platform refused to (in)validate one page; the values of the
/// PVALIDATE instruction's failures, which the core protocol reports as its
/// protocol-specific codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PvalidateFailure {
    /// FAIL_INPUT: the page cannot be (in)validated by this guest.
    Input,
    /// FAIL_SIZEMISMATCH: a 4 KiB request on a 2 MiB mapping or vice versa.
    SizeMismatch,
    /// The page was already in the requested state.
    NoChange,
}

/// What the platform supports, so that calls it cannot serve answer
/// UNSUPPORTED_CALL before their arguments are looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// CREATE_VCPU / DELETE_VCPU (needs VMSA pages and RMPADJUST).
    pub vcpu_management: bool,
}

/// The platform the protocols run on. See the module comment.
pub trait Platform: Sync {
    fn kind(&self) -> PlatformKind;

    /// A one-line description for the console.
    fn description(&self) -> &'static str;

    fn capabilities(&self) -> Capabilities;

    /// (In)validates the page at `gpa`, which is aligned to `size` and
    /// granted to the guest.
    fn pvalidate(
        &self,
        gpa: GuestPhysAddr,
        size: PageSize,
        validate: bool,
    ) -> Result<(), PvalidateFailure>;

    /// Makes the page at `vmsa` a VMSA for a new vCPU whose Calling Area is
    /// `caa`. Only called when [`Capabilities::vcpu_management`] is set; both
    /// addresses are page aligned and granted.
    fn create_vcpu(
        &self,
        vmsa: GuestPhysAddr,
        caa: GuestPhysAddr,
        apic_id: u32,
    ) -> Result<(), SvsmError>;

    /// Undoes [`Platform::create_vcpu`]; same preconditions.
    fn delete_vcpu(&self, vmsa: GuestPhysAddr) -> Result<(), SvsmError>;

    /// The CONFIGURE_VTOM query answer (RCX): 0 when vTOM is not supported.
    fn vtom_query(&self) -> u64;

    /// Sets vTOM (CONFIGURE_VTOM without the query bit); `rcx` is the
    /// guest's register with bit 0 clear.
    fn configure_vtom(&self, rcx: u64) -> Result<(), SvsmError>;

    /// Size in bytes of the attestation report this platform produces.
    fn report_size(&self) -> usize;

    /// The certificate chain returned with reports (may be empty).
    fn certificates(&self) -> &[u8];

    /// Writes an attestation report carrying `report_data` into `out`
    /// (exactly [`Platform::report_size`] bytes).
    fn attestation_report(
        &self,
        crypto: &dyn AttestationCrypto,
        report_data: &[u8; 64],
        out: &mut [u8],
    ) -> Result<(), SvsmError>;
}
