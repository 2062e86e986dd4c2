//! Bringing the SNP platform up: what SEV_STATUS says, whether the SVSM runs
//! at VMPL0, and the GHCB MSR-protocol handshake that makes the GHCB usable.
//! Each failure is a value with a message for the console; the kernel stops
//! on any of them (and asks the hypervisor to terminate with the reason).

use core::fmt;

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::platform::{PageSize, PvalidateFailure};

use crate::hw::{RmpadjustFailure, SnpHardware, VmplPermissions};
use crate::msr_protocol::{
    self, MsrProtocolError, PageState, SevInfo, TerminationReason, svsm_reason,
};

/// The SEV_STATUS MSR.
pub const MSR_SEV_STATUS: u32 = 0xc001_0131;

/// SEV_STATUS bits (AMD APM vol. 2, "SEV_STATUS MSR").
pub mod sev_status {
    pub const SEV: u64 = 1 << 0;
    pub const SEV_ES: u64 = 1 << 1;
    pub const SNP: u64 = 1 << 2;
    pub const VTOM: u64 = 1 << 3;
    pub const REFLECT_VC: u64 = 1 << 4;
    pub const RESTRICTED_INJECTION: u64 = 1 << 5;
    pub const ALTERNATE_INJECTION: u64 = 1 << 6;
    /// What SNP needs on.
    pub const REQUIRED: u64 = SEV | SEV_ES | SNP;
    /// Features this SVSM does not implement (vTOM, #VC reflection, #HV
    /// injection modes): it stops rather than run with them.
    pub const UNSUPPORTED: u64 = VTOM | REFLECT_VC | RESTRICTED_INJECTION | ALTERNATE_INJECTION;
}

/// Why the SNP platform cannot start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootError {
    /// SEV_STATUS lacks SEV, SEV-ES or SNP (the missing bits).
    NotSnp(u64),
    /// SEV_STATUS has features this SVSM does not implement (those bits).
    UnsupportedFeatures(u64),
    /// RMPADJUST refused to lower VMPL1's access: not running at VMPL0.
    NotVmpl0(RmpadjustFailure),
    /// The GHCB MSR protocol failed.
    Ghcb(MsrProtocolError),
    /// The GHCB page's validation could not be rescinded before sharing it.
    Rescind(PvalidateFailure),
}

impl BootError {
    /// The termination reason to give the hypervisor.
    pub fn termination_reason(&self) -> TerminationReason {
        match self {
            BootError::NotSnp(_) | BootError::UnsupportedFeatures(_) => {
                TerminationReason::SNP_FEATURES
            }
            BootError::NotVmpl0(_) => TerminationReason::svsm(svsm_reason::NOT_VMPL0),
            BootError::Ghcb(MsrProtocolError::UnsupportedVersion { .. }) => {
                TerminationReason::PROTOCOL_RANGE
            }
            BootError::Ghcb(_) | BootError::Rescind(_) => {
                TerminationReason::svsm(svsm_reason::GHCB)
            }
        }
    }
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootError::NotSnp(missing) => {
                write!(f, "SEV_STATUS lacks SEV/SEV-ES/SNP bits {missing:#x}")
            }
            BootError::UnsupportedFeatures(bits) => write!(
                f,
                "SEV_STATUS enables features this SVSM does not implement: {bits:#x} \
                 (vTOM, ReflectVC, restricted or alternate injection)"
            ),
            BootError::NotVmpl0(e) => write!(
                f,
                "not running at VMPL0 (RMPADJUST on VMPL1 failed: {e:?}); the SVSM must be at VMPL0"
            ),
            BootError::Ghcb(e) => write!(f, "GHCB MSR protocol failed: {e:?}"),
            BootError::Rescind(e) => write!(f, "PVALIDATE of the GHCB page failed: {e:?}"),
        }
    }
}

/// Checks SEV_STATUS: SNP active, nothing enabled that is not implemented.
pub fn check_sev_status(status: u64) -> Result<(), BootError> {
    let missing = sev_status::REQUIRED & !status;
    if missing != 0 {
        return Err(BootError::NotSnp(missing));
    }
    let unsupported = status & sev_status::UNSUPPORTED;
    if unsupported != 0 {
        return Err(BootError::UnsupportedFeatures(unsupported));
    }
    Ok(())
}

/// Checks that the SVSM runs at VMPL0 the way the firmware ABI allows from
/// any VMPL: RMPADJUST of one of the SVSM's own validated pages, giving
/// VMPL1 no access. It succeeds only when the caller's VMPL is below the
/// target (i.e. 0), and leaves the page inaccessible to VMPL1 as the SVSM's
/// memory must be anyway.
pub fn check_vmpl0<H: SnpHardware>(hw: &H, own_page: GuestPhysAddr) -> Result<(), BootError> {
    hw.rmpadjust(own_page, PageSize::Size4K, 1, VmplPermissions::NONE, false)
        .map_err(BootError::NotVmpl0)
}

/// What the handshake learnt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GhcbSetup {
    pub sev_info: SevInfo,
    pub hv_features: u64,
}

/// The MSR-protocol handshake: GHCB version 2 in range, the hypervisor
/// features this SVSM needs, then the GHCB page made shared (the caller has
/// rescinded its validation and maps it unencrypted) and registered.
pub fn establish_ghcb<H: SnpHardware>(hw: &H) -> Result<GhcbSetup, BootError> {
    let sev_info = msr_protocol::sev_info(hw).map_err(BootError::Ghcb)?;
    let hv_features = msr_protocol::hv_features(hw).map_err(BootError::Ghcb)?;
    msr_protocol::page_state_change(hw, hw.ghcb_gpa(), PageState::Shared)
        .map_err(BootError::Ghcb)?;
    msr_protocol::register_ghcb(hw, hw.ghcb_gpa()).map_err(BootError::Ghcb)?;
    Ok(GhcbSetup {
        sev_info,
        hv_features,
    })
}
