//! The GHCB MSR protocol (GHCB specification, "GHCB MSR protocol"): requests
//! written to the GHCB MSR, one VMGEXIT, the answer read back from the MSR.
//!
//! Used before the GHCB page exists (SEV information, hypervisor features,
//! GHCB registration) and to terminate. Every answer is the hypervisor's
//! word: its response code and every field are checked.

use crate::cpuid::CpuidResult;
use crate::hw::SnpHardware;
use svsm_protocol::GuestPhysAddr;

/// The GHCB MSR.
pub const MSR_GHCB: u32 = 0xc001_0130;

/// GHCBInfo (bits 11:0) of the requests and their responses.
pub mod info {
    pub const SEV_INFO_RESPONSE: u64 = 0x001;
    pub const SEV_INFO_REQUEST: u64 = 0x002;
    pub const CPUID_REQUEST: u64 = 0x004;
    pub const CPUID_RESPONSE: u64 = 0x005;
    pub const REGISTER_GHCB_REQUEST: u64 = 0x012;
    pub const REGISTER_GHCB_RESPONSE: u64 = 0x013;
    pub const PAGE_STATE_REQUEST: u64 = 0x014;
    pub const PAGE_STATE_RESPONSE: u64 = 0x015;
    pub const HV_FEATURES_REQUEST: u64 = 0x080;
    pub const HV_FEATURES_RESPONSE: u64 = 0x081;
    pub const TERMINATE_REQUEST: u64 = 0x100;
}

const INFO_MASK: u64 = 0xfff;

/// The GHCB protocol version this SVSM speaks (2: SEV-SNP).
pub const GHCB_PROTOCOL_VERSION: u16 = 2;

/// Hypervisor features (response to 0x080, bits 63:12 shifted down).
pub mod hv_features {
    /// SEV-SNP is supported.
    pub const SNP: u64 = 1 << 0;
    /// AP creation (SNP_AP_CREATION NAE event).
    pub const SNP_AP_CREATION: u64 = 1 << 1;
    /// Restricted injection.
    pub const RESTRICTED_INJECTION: u64 = 1 << 2;
    /// What this SVSM needs.
    pub const REQUIRED: u64 = SNP | SNP_AP_CREATION;
}

/// Why an MSR-protocol exchange failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsrProtocolError {
    /// The hypervisor answered with another GHCBInfo than the request's
    /// response (the raw MSR value).
    UnexpectedResponse(u64),
    /// The hypervisor's GHCB protocol range does not include version 2.
    UnsupportedVersion { min: u16, max: u16 },
    /// The hypervisor registered another GHCB GPA than requested.
    RegistrationMismatch(u64),
    /// A page state change failed with this error code.
    PageState(u32),
    /// A feature this SVSM needs is absent (the missing bits).
    MissingFeatures(u64),
}

/// SEV information (response 0x001).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SevInfo {
    pub min_version: u16,
    pub max_version: u16,
    /// Page-table bit that marks a page encrypted (the C-bit).
    pub c_bit: u8,
}

/// Termination reason (GHCB spec: reason code set in bits 15:12, code in
/// 23:16).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TerminationReason {
    pub set: u8,
    pub code: u8,
}

impl TerminationReason {
    /// Set 0, code 0: general termination request.
    pub const GENERAL: Self = Self { set: 0, code: 0 };
    /// Set 0, code 1: the GHCB protocol range is not supported.
    pub const PROTOCOL_RANGE: Self = Self { set: 0, code: 1 };
    /// Set 0, code 2: SEV-SNP features not supported.
    pub const SNP_FEATURES: Self = Self { set: 0, code: 2 };
    /// This SVSM's own set (1): the codes of [`svsm_reason`].
    pub const fn svsm(code: u8) -> Self {
        Self { set: 1, code }
    }
}

/// Codes of the SVSM's termination reason set (1).
pub mod svsm_reason {
    /// Not running at VMPL0.
    pub const NOT_VMPL0: u8 = 1;
    /// A #VC the SVSM does not handle, or one the hypervisor answered badly.
    pub const UNHANDLED_VC: u8 = 2;
    /// The GHCB could not be set up or a GHCB call failed fatally.
    pub const GHCB: u8 = 3;
    /// The secrets page or CPUID page is unusable.
    pub const LAUNCH_PAGES: u8 = 4;
    /// A fatal error elsewhere in the kernel.
    pub const FATAL: u8 = 5;
    /// The SVSM's own memory (the IGVM file's required-memory range) is not
    /// RAM in the memory map, or could not be validated.
    pub const OWN_MEMORY: u8 = 6;
}

fn exchange<H: SnpHardware>(
    hw: &H,
    request: u64,
    response_info: u64,
) -> Result<u64, MsrProtocolError> {
    hw.write_msr(MSR_GHCB, request);
    hw.vmgexit();
    let answer = hw.read_msr(MSR_GHCB);
    if answer & INFO_MASK != response_info {
        return Err(MsrProtocolError::UnexpectedResponse(answer));
    }
    Ok(answer)
}

/// SEV information request; fails unless version 2 is in the range.
pub fn sev_info<H: SnpHardware>(hw: &H) -> Result<SevInfo, MsrProtocolError> {
    let answer = exchange(hw, info::SEV_INFO_REQUEST, info::SEV_INFO_RESPONSE)?;
    let info = SevInfo {
        max_version: (answer >> 48) as u16,
        min_version: (answer >> 32) as u16,
        c_bit: (answer >> 24) as u8,
    };
    if !(info.min_version..=info.max_version).contains(&GHCB_PROTOCOL_VERSION) {
        return Err(MsrProtocolError::UnsupportedVersion {
            min: info.min_version,
            max: info.max_version,
        });
    }
    Ok(info)
}

/// Hypervisor features request; fails when a [`hv_features::REQUIRED`] bit
/// is missing.
pub fn hv_features<H: SnpHardware>(hw: &H) -> Result<u64, MsrProtocolError> {
    let answer = exchange(hw, info::HV_FEATURES_REQUEST, info::HV_FEATURES_RESPONSE)?;
    let features = answer >> 12;
    let missing = hv_features::REQUIRED & !features;
    if missing != 0 {
        return Err(MsrProtocolError::MissingFeatures(missing));
    }
    Ok(features)
}

/// CPUID through the MSR protocol (request 0x004, one register per exchange:
/// GHCBData[63:32] the leaf, [31:30] the register). There is no subleaf:
/// the hypervisor answers for ECX = 0. The answer is the hypervisor's word,
/// not the firmware-validated CPUID page's; it serves only until that page
/// is mapped (see [`crate::cbit`] for how the one value used that early is
/// checked afterwards).
pub fn cpuid<H: SnpHardware>(hw: &H, leaf: u32) -> Result<CpuidResult, MsrProtocolError> {
    let mut out = [0u32; 4];
    for (register, value) in (0u64..).zip(out.iter_mut()) {
        let request = (u64::from(leaf) << 32) | (register << 30) | info::CPUID_REQUEST;
        *value = (exchange(hw, request, info::CPUID_RESPONSE)? >> 32) as u32;
    }
    let [eax, ebx, ecx, edx] = out;
    Ok(CpuidResult { eax, ebx, ecx, edx })
}

/// Registers the GHCB at `gpa` (page aligned).
pub fn register_ghcb<H: SnpHardware>(hw: &H, gpa: GuestPhysAddr) -> Result<(), MsrProtocolError> {
    let gfn_bits = gpa.raw() & !INFO_MASK;
    let answer = exchange(
        hw,
        gfn_bits | info::REGISTER_GHCB_REQUEST,
        info::REGISTER_GHCB_RESPONSE,
    )?;
    if answer & !INFO_MASK != gfn_bits {
        return Err(MsrProtocolError::RegistrationMismatch(answer));
    }
    Ok(())
}

/// Page state change operations (MSR protocol 0x014 bits 55:52; the same
/// values as in a GHCB page-state-change entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageState {
    Private = 1,
    Shared = 2,
}

/// Changes one 4 KiB page's state through the MSR protocol (before the GHCB
/// exists, e.g. to make the GHCB page itself shared).
pub fn page_state_change<H: SnpHardware>(
    hw: &H,
    gpa: GuestPhysAddr,
    state: PageState,
) -> Result<(), MsrProtocolError> {
    let gfn = (gpa.raw() >> 12) & ((1 << 40) - 1);
    let request = ((state as u64) << 52) | (gfn << 12) | info::PAGE_STATE_REQUEST;
    let answer = exchange(hw, request, info::PAGE_STATE_RESPONSE)?;
    let error = (answer >> 32) as u32;
    if error != 0 {
        return Err(MsrProtocolError::PageState(error));
    }
    Ok(())
}

/// Asks the hypervisor to terminate the guest with `reason`. If the
/// hypervisor returns anyway, this returns and the caller halts.
pub fn terminate<H: SnpHardware>(hw: &H, reason: TerminationReason) {
    let request = (u64::from(reason.code) << 16)
        | (u64::from(reason.set & 0xf) << 12)
        | info::TERMINATE_REQUEST;
    hw.write_msr(MSR_GHCB, request);
    hw.vmgexit();
}
