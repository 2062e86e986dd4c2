//! [`SnpPlatform`]: the protocol crate's [`Platform`] on SEV-SNP.
//!
//! Attestation reports come from the PSP (MSG_REPORT_REQ through the
//! hypervisor, sealed with VMPCK0 inside the crypto module); the
//! certificates are what the hypervisor returned with an extended request
//! at boot. The memory methods (PVALIDATE policy, vCPU management) belong to
//! the page-validation work and answer as unsupported until it lands.

use alloc::vec::Vec;
use core::ops::RangeInclusive;

use spin::{Mutex, Once};
use svsm_crypto::Module;
use svsm_protocol::GuestPhysAddr;
use svsm_protocol::crypto::AttestationCrypto;
use svsm_protocol::error::SvsmError;
use svsm_protocol::platform::{Capabilities, PageSize, Platform, PlatformKind, PvalidateFailure};

use crate::calls::PscEntry;
use crate::certs::{self, CertTableError};
use crate::cpuid::{CpuidPage, CpuidPageError};
use crate::ghcb::{Ghcb, GhcbError};
use crate::greq::{GuestRequestError, GuestRequester};
use crate::guest_msg::{self, MsgType, REPORT_RESPONSE_SIZE, REPORT_SIZE};
use crate::hw::{PAGE_BYTES, SnpHardware};
use crate::msr_protocol::PageState;
use crate::secrets::{self, Secrets, SecretsError, SecretsPage};
use crate::vc::{self, VcError, VcRegisters};

/// Size of the SNP ATTESTATION_REPORT.
pub const SNP_REPORT_SIZE: usize = REPORT_SIZE;
/// Offsets in the report this SVSM checks after the PSP answered.
const REPORT_VMPL: usize = 0x30;
const REPORT_DATA: usize = 0x50;

/// Why the SNP platform could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnpInitError {
    Secrets(SecretsError),
    Cpuid(CpuidPageError),
    /// The message pages could not be made shared.
    SharePages(GhcbError),
    /// A message page's validation could not be rescinded.
    Rescind(PvalidateFailure),
}

/// Why fetching the certificates failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificatesError {
    Request(GuestRequestError),
    /// The hypervisor did not fill the certificate buffer.
    NotSupplied,
    Table(CertTableError),
}

/// Why a report could not be produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportError {
    Request(GuestRequestError),
    Response(guest_msg::ReportResponseError),
    /// The authenticated report is not for the REPORT_DATA or VMPL asked.
    Mismatch,
}

/// The SNP platform over the hardware `H`.
pub struct SnpPlatform<H: SnpHardware> {
    hw: H,
    ghcb: Ghcb,
    requester: Mutex<GuestRequester>,
    secrets: Secrets,
    cpuid: CpuidPage,
    certs: Once<Vec<u8>>,
}

impl<H: SnpHardware> SnpPlatform<H> {
    /// The platform over `hw`, whose GHCB is established
    /// ([`crate::boot::establish_ghcb`]): reads the secrets page once
    /// (VMPCK0 into `module`, all VMPCKs wiped from the page), copies the
    /// CPUID page, and makes the guest-message pages shared.
    pub fn new(
        hw: H,
        module: &'static Module,
        secrets_page: &mut SecretsPage,
        cpuid_page: &[u8; PAGE_BYTES],
    ) -> Result<Self, SnpInitError> {
        let (secrets, vmpck0) =
            secrets::take(secrets_page, module).map_err(SnpInitError::Secrets)?;
        let cpuid = CpuidPage::parse(cpuid_page).map_err(SnpInitError::Cpuid)?;
        let platform = Self {
            hw,
            ghcb: Ghcb::new(),
            requester: Mutex::new(GuestRequester::new(vmpck0)),
            secrets,
            cpuid,
            certs: Once::new(),
        };
        platform.share_message_pages()?;
        Ok(platform)
    }

    /// Rescinds the validation of the message pages, then makes them
    /// shared (private to shared: invalidate first).
    fn share_message_pages(&self) -> Result<(), SnpInitError> {
        let pages = self.hw.message_pages();
        let shared = |gpa: GuestPhysAddr| PscEntry {
            gpa,
            huge: false,
            state: PageState::Shared,
        };
        let mut list = Vec::with_capacity(2 + pages.certs.len());
        list.push(shared(pages.request_gpa));
        list.push(shared(pages.response_gpa));
        for i in 0..pages.certs.len() as u64 {
            let gpa = pages
                .certs_gpa
                .checked_add(i * PAGE_BYTES as u64)
                .ok_or(SnpInitError::SharePages(GhcbError::TooLarge))?;
            list.push(shared(gpa));
        }
        for entry in &list {
            self.hw
                .pvalidate(entry.gpa, PageSize::Size4K, false)
                .map_err(SnpInitError::Rescind)?;
        }
        self.ghcb
            .page_state_change(&self.hw, &list)
            .map_err(SnpInitError::SharePages)
    }

    /// The hardware underneath (the page-validation policy builds on it).
    pub fn hardware(&self) -> &H {
        &self.hw
    }

    /// The GHCB (every GHCB call goes through it).
    pub fn ghcb(&self) -> &Ghcb {
        &self.ghcb
    }

    /// What the secrets page said (VMPCKs excluded).
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// Whether guest requests still work (false once VMPCK0 was wiped).
    pub fn guest_requests_enabled(&self) -> bool {
        self.requester.lock().is_enabled()
    }

    /// One MSG_REPORT_REQ for `report_data` at VMPL0; `extended` asks for
    /// the certificates too. Returns the checked report.
    fn report(
        &self,
        report_data: &[u8; 64],
        extended: bool,
    ) -> Result<([u8; REPORT_SIZE], bool), ReportError> {
        let request = guest_msg::report_request(report_data, 0);
        let mut response = [0u8; REPORT_RESPONSE_SIZE];
        let exchange = self
            .requester
            .lock()
            .request(
                &self.hw,
                &self.ghcb,
                MsgType::ReportRequest,
                &request,
                &mut response,
                extended,
            )
            .map_err(ReportError::Request)?;
        let body = response.get(..exchange.len).ok_or(ReportError::Mismatch)?;
        let report = guest_msg::report_from_response(body).map_err(ReportError::Response)?;
        if report[REPORT_DATA..REPORT_DATA + 64] != report_data[..]
            || report[REPORT_VMPL..REPORT_VMPL + 4] != [0; 4]
        {
            return Err(ReportError::Mismatch);
        }
        let mut out = [0u8; REPORT_SIZE];
        out.copy_from_slice(report);
        Ok((out, exchange.certs))
    }

    /// Asks the hypervisor for its certificates once (an extended report
    /// request at boot) and keeps the checked table for
    /// [`Platform::certificates`]. Returns its length.
    pub fn fetch_certificates(&self) -> Result<usize, CertificatesError> {
        if let Some(certs) = self.certs.get() {
            return Ok(certs.len());
        }
        let (_, filled) = self.report(&[0; 64], true).map_err(|e| match e {
            ReportError::Request(e) => CertificatesError::Request(e),
            _ => CertificatesError::NotSupplied,
        })?;
        if !filled {
            return Err(CertificatesError::NotSupplied);
        }
        let pages = self.hw.message_pages();
        let mut buf = alloc::vec![0u8; pages.certs.len() * PAGE_BYTES];
        for (chunk, page) in buf.chunks_exact_mut(PAGE_BYTES).zip(pages.certs) {
            page.read(0, chunk)
                .map_err(|_| CertificatesError::NotSupplied)?;
        }
        let used = certs::table_len(&buf).map_err(CertificatesError::Table)?;
        buf.truncate(used);
        Ok(self.certs.call_once(|| buf).len())
    }

    /// Handles a #VC (see [`vc::handle`]) with this platform's CPUID page
    /// and GHCB, allowing I/O to `ports`.
    pub fn handle_vc(
        &self,
        ports: &[RangeInclusive<u16>],
        exit_code: u64,
        insn: &[u8],
        regs: &mut VcRegisters,
    ) -> Result<(), VcError> {
        vc::handle(
            &self.hw,
            &self.ghcb,
            &self.cpuid,
            ports,
            exit_code,
            insn,
            regs,
        )
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
        _gpa: GuestPhysAddr,
        _size: PageSize,
        _validate: bool,
    ) -> Result<(), PvalidateFailure> {
        // The page-validation policy (RMPADJUST around PVALIDATE) is the
        // snp-memory work; until it lands nothing is validated.
        Err(PvalidateFailure::Input)
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
        self.certs.get().map_or(&[], Vec::as_slice)
    }

    /// The PSP's report; `crypto` is not used: the report is signed by the
    /// VCEK, and REPORT_DATA was computed by the protocol with the module.
    /// A sealing failure is the module's (CryptoFailure); any other failure
    /// means the PSP path is unusable (InvalidRequest).
    fn attestation_report(
        &self,
        _crypto: &dyn AttestationCrypto,
        report_data: &[u8; 64],
        out: &mut [u8],
    ) -> Result<(), SvsmError> {
        if out.len() != SNP_REPORT_SIZE {
            return Err(SvsmError::InvalidRequest);
        }
        match self.report(report_data, false) {
            Ok((report, _)) => {
                out.copy_from_slice(&report);
                Ok(())
            }
            Err(ReportError::Request(GuestRequestError::Seal)) => Err(SvsmError::CryptoFailure),
            Err(_) => Err(SvsmError::InvalidRequest),
        }
    }
}
