//! [`SnpPlatform`]: the protocol crate's [`Platform`] on SEV-SNP.

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::crypto::AttestationCrypto;
use svsm_protocol::error::SvsmError;
use svsm_protocol::platform::{Capabilities, PageSize, Platform, PlatformKind, PvalidateFailure};

use crate::ghcb::Ghcb;
use crate::hw::SnpHardware;
use crate::pvalidate::{self, SvsmMemory};

/// Size of the SNP ATTESTATION_REPORT (SEV-SNP firmware ABI, table
/// "ATTESTATION_REPORT structure").
pub const SNP_REPORT_SIZE: usize = 0x4a0;

/// The SNP platform over the hardware `H`.
pub struct SnpPlatform<H: SnpHardware> {
    hw: H,
    ghcb: Ghcb,
    /// The SVSM's own memory; until it is set, the memory calls refuse
    /// everything (fail closed).
    svsm_memory: Option<SvsmMemory>,
}

impl<H: SnpHardware> SnpPlatform<H> {
    pub fn new(hw: H) -> Self {
        Self {
            hw,
            ghcb: Ghcb::new(),
            svsm_memory: None,
        }
    }

    /// Names the SVSM's own memory (from the secrets page's SVSM base and
    /// size), which the guest may never validate, invalidate, or use for a
    /// VMSA or Calling Area.
    pub fn with_svsm_memory(mut self, svsm_memory: SvsmMemory) -> Self {
        self.svsm_memory = Some(svsm_memory);
        self
    }

    /// The hardware underneath (the page-validation policy builds on it).
    pub fn hardware(&self) -> &H {
        &self.hw
    }

    /// The GHCB lock (every GHCB call goes through it).
    pub fn ghcb(&self) -> &Ghcb {
        &self.ghcb
    }
}

impl<H: SnpHardware> Platform for SnpPlatform<H> {
    fn kind(&self) -> PlatformKind {
        PlatformKind::SevSnp
    }

    fn description(&self) -> &'static str {
        "AMD SEV-SNP at VMPL0: hardware-rooted attestation reports from the PSP"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            vcpu_management: false,
        }
    }

    fn pvalidate(
        &self,
        gpa: GuestPhysAddr,
        size: PageSize,
        validate: bool,
    ) -> Result<(), PvalidateFailure> {
        pvalidate::pvalidate(&self.hw, self.svsm_memory.as_ref(), gpa, size, validate)
    }

    fn create_vcpu(&self, _: GuestPhysAddr, _: GuestPhysAddr, _: u32) -> Result<(), SvsmError> {
        Err(SvsmError::UnsupportedCall)
    }

    fn delete_vcpu(&self, _: GuestPhysAddr) -> Result<(), SvsmError> {
        Err(SvsmError::UnsupportedCall)
    }

    fn vtom_query(&self) -> u64 {
        0
    }

    fn configure_vtom(&self, _rcx: u64) -> Result<(), SvsmError> {
        Err(SvsmError::InvalidRequest)
    }

    fn report_size(&self) -> usize {
        SNP_REPORT_SIZE
    }

    fn certificates(&self) -> &[u8] {
        &[]
    }

    fn attestation_report(
        &self,
        _crypto: &dyn AttestationCrypto,
        _report_data: &[u8; 64],
        _out: &mut [u8],
    ) -> Result<(), SvsmError> {
        Err(SvsmError::UnsupportedCall)
    }
}
