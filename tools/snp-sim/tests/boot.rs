//! Detection and bring-up checks.

use svsm_protocol::GuestPhysAddr;
use svsm_snp::boot::{self, BootError, sev_status};
use svsm_snp::hw::RmpadjustFailure;
use svsm_snp::msr_protocol::{
    MsrProtocolError, PageState, TerminationReason, hv_features, page_state_change, svsm_reason,
};
use svsm_snp::pvalidate::{GUEST_VMPL, GuestLayout, SvsmMemory};
use svsm_snp_sim::{GHCB_GPA, SimHardware};

#[test]
fn sev_status_must_say_snp_without_unimplemented_features() {
    assert_eq!(boot::check_sev_status(sev_status::REQUIRED), Ok(()));
    assert_eq!(
        boot::check_sev_status(sev_status::SEV | sev_status::SEV_ES),
        Err(BootError::NotSnp(sev_status::SNP))
    );
    let vtom = sev_status::REQUIRED | sev_status::VTOM;
    let err = boot::check_sev_status(vtom).unwrap_err();
    assert_eq!(err, BootError::UnsupportedFeatures(sev_status::VTOM));
    assert_eq!(err.termination_reason(), TerminationReason::SNP_FEATURES);
    assert!(err.to_string().contains("vTOM"));
}

#[test]
fn the_vmpl_check_passes_at_vmpl0_only() {
    let hw = SimHardware::new([1; 32]);
    let own = GuestPhysAddr::new(0x30_0000);
    page_state_change(&hw, own, PageState::Private).unwrap();
    hw.with(|m| {
        m.rmp
            .pvalidate(own, svsm_protocol::platform::PageSize::Size4K, true)
    })
    .unwrap();
    assert_eq!(boot::check_vmpl0(&hw, own), Ok(()));
    hw.with(|m| m.vmpl = 1);
    let err = boot::check_vmpl0(&hw, own).unwrap_err();
    assert_eq!(err, BootError::NotVmpl0(RmpadjustFailure::Permission));
    assert_eq!(
        err.termination_reason(),
        TerminationReason::svsm(svsm_reason::NOT_VMPL0)
    );
    assert!(err.to_string().contains("VMPL0"));
}

#[test]
fn the_handshake_registers_a_shared_ghcb() {
    let hw = SimHardware::new([1; 32]);
    let gpa = GuestPhysAddr::new(GHCB_GPA);
    assert!(hw.with(|m| m.rmp.entry(gpa).validated));
    let setup = boot::establish_ghcb(&hw).unwrap();
    assert_eq!(setup.sev_info.c_bit, 51);
    assert!(!hw.with(|m| m.rmp.entry(gpa).assigned));
    assert_eq!(hw.with(|m| m.hypervisor.registered_ghcb), Some(gpa));
}

#[test]
fn a_hypervisor_without_ap_creation_stops_the_boot() {
    let hw = SimHardware::new([1; 32]);
    hw.with(|m| m.hypervisor.features = hv_features::SNP);
    let err = boot::establish_ghcb(&hw).unwrap_err();
    assert_eq!(
        err,
        BootError::Ghcb(MsrProtocolError::MissingFeatures(
            hv_features::SNP_AP_CREATION
        ))
    );
    assert_eq!(hw.with(|m| m.hypervisor.registered_ghcb), None);
}

#[test]
fn the_message_pages_are_rescinded_and_shared_by_the_platform() {
    let hw = SimHardware::new([1; 32]);
    boot::establish_ghcb(&hw).unwrap();
    let request = GuestPhysAddr::new(svsm_snp_sim::REQUEST_GPA);
    assert!(hw.with(|m| m.rmp.entry(request).assigned));
    let mut secrets = svsm_snp_sim::secrets_page([1; 32]);
    let platform = svsm_snp::SnpPlatform::new(
        hw,
        svsm_crypto::host::module(),
        &mut secrets,
        &svsm_snp_sim::cpuid_page(&[]),
        GuestLayout::new(SvsmMemory::from_ranges(&[]).unwrap(), GUEST_VMPL).unwrap(),
    )
    .unwrap();
    let entry = platform.hardware().with(|m| m.rmp.entry(request));
    assert!(!entry.assigned && !entry.validated);
}
