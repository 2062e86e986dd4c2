//! [`SnpPlatform`]: the protocol crate's [`Platform`] on SEV-SNP.
//!
//! Attestation reports come from the PSP (MSG_REPORT_REQ through the
//! hypervisor, sealed with VMPCK0 inside the crypto module); the
//! certificates are what the hypervisor returned with an extended request
//! at boot. PVALIDATE is [`crate::pvalidate`]'s policy, CREATE_VCPU and
//! DELETE_VCPU [`crate::vcpu`]'s, both over the [`GuestLayout`] the kernel
//! gives (its own memory and the guest's VMPL; the secrets page's SVSM area
//! is output, [`SnpPlatform::guest_svsm_area`], not input).

use alloc::vec::Vec;
use core::ops::RangeInclusive;

use spin::{Mutex, Once};
use svsm_crypto::Module;
use svsm_protocol::GuestPhysAddr;
use svsm_protocol::core_protocol;
use svsm_protocol::crypto::AttestationCrypto;
use svsm_protocol::error::SvsmError;
use svsm_protocol::platform::{Capabilities, PageSize, Platform, PlatformKind, PvalidateFailure};

use crate::certs::{self, CertTableError};
use crate::cpuid::{CpuidPage, CpuidPageError};
use crate::ghcb::Ghcb;
use crate::greq::{GuestRequestError, GuestRequester};
use crate::guest_msg::{self, MsgType, REPORT_RESPONSE_SIZE, REPORT_SIZE};
use crate::hw::{PAGE_BYTES, SnpHardware};
use crate::page_state::{self, PageStateError};
use crate::pvalidate::{GuestLayout, GuestPages};
use crate::secrets::{self, Secrets, SecretsError, SecretsPage, SvsmArea};
use crate::vc::{self, VcError, VcRegisters};
use crate::vcpu::{VcpuContext, Vcpus};

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
    /// A message page could not be made shared.
    SharePages(PageStateError),
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
    /// The SVSM's own memory and the guest's VMPL, from the kernel.
    layout: GuestLayout,
    vcpus: Vcpus,
}

impl<H: SnpHardware> SnpPlatform<H> {
    /// The platform over `hw`, whose GHCB is established
    /// ([`crate::boot::establish_ghcb`]), for a guest laid out as `layout`:
    /// reads the secrets page once
    /// (VMPCK0 into `module`, all VMPCKs wiped from the page), copies the
    /// CPUID page, and makes the guest-message pages shared.
    pub fn new(
        hw: H,
        module: &'static Module,
        secrets_page: &mut SecretsPage,
        cpuid_page: &[u8; PAGE_BYTES],
        layout: GuestLayout,
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
            layout,
            vcpus: Vcpus::new(),
        };
        platform.share_message_pages()?;
        Ok(platform)
    }

    /// Makes the message pages shared, in SNP's order (see
    /// [`page_state::make_shared`]).
    fn share_message_pages(&self) -> Result<(), SnpInitError> {
        let pages = self.hw.message_pages();
        let certs = (0..pages.certs.len() as u64)
            .map(|i| pages.certs_gpa.checked_add(i * PAGE_BYTES as u64));
        for gpa in [Some(pages.request_gpa), Some(pages.response_gpa)]
            .into_iter()
            .chain(certs)
        {
            let gpa = gpa.ok_or(SnpInitError::SharePages(PageStateError::Pvalidate(
                PvalidateFailure::Input,
            )))?;
            page_state::make_shared(&self.hw, &self.ghcb, gpa, PageSize::Size4K)
                .map_err(SnpInitError::SharePages)?;
        }
        Ok(())
    }

    /// The hardware underneath (the page-validation policy builds on it).
    pub fn hardware(&self) -> &H {
        &self.hw
    }

    /// The GHCB (every GHCB call goes through it).
    pub fn ghcb(&self) -> &Ghcb {
        &self.ghcb
    }

    /// The SVSM's own memory and the guest's VMPL.
    pub fn layout(&self) -> &GuestLayout {
        &self.layout
    }

    /// The SVSM area of the guest's copy of the secrets page
    /// ([`secrets::fill_guest_copy`]), with `caa` the boot vCPU's Calling
    /// Area. The area has room for one range: it names the largest of the
    /// SVSM's ([`crate::pvalidate::SvsmMemory::largest`], the image with its required memory);
    /// the others (launch pages, the boot VMSA) are refused all the same.
    pub fn guest_svsm_area(&self, caa: GuestPhysAddr) -> SvsmArea {
        let svsm = self.layout.svsm().largest();
        SvsmArea {
            base: svsm.start,
            size: svsm.end - svsm.start,
            caa: caa.raw(),
            max_version: core_protocol::PROTOCOL.max_version,
            guest_vmpl: self.layout.guest_vmpl(),
        }
    }

    /// The vCPUs the guest created.
    pub fn vcpus(&self) -> &Vcpus {
        &self.vcpus
    }

    fn vcpu_context(&self) -> VcpuContext<'_, H> {
        VcpuContext {
            hw: &self.hw,
            ghcb: &self.ghcb,
            layout: &self.layout,
            vcpus: &self.vcpus,
        }
    }

    /// What the secrets page said (its version; VMPCKs excluded).
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
            vcpu_management: true,
        }
    }

    fn pvalidate(
        &self,
        gpa: GuestPhysAddr,
        size: PageSize,
        validate: bool,
    ) -> Result<(), PvalidateFailure> {
        GuestPages {
            hw: &self.hw,
            layout: &self.layout,
        }
        .pvalidate(gpa, size, validate)
    }

    fn create_vcpu(
        &self,
        vmsa: GuestPhysAddr,
        caa: GuestPhysAddr,
        apic_id: u32,
    ) -> Result<(), SvsmError> {
        self.vcpu_context().create(vmsa, caa, apic_id)
    }

    fn delete_vcpu(&self, vmsa: GuestPhysAddr) -> Result<(), SvsmError> {
        self.vcpu_context().delete(vmsa)
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
