//! The GHCB MSR protocol against the simulated hypervisor.

use svsm_protocol::GuestPhysAddr;
use svsm_snp::msr_protocol::{self, MsrProtocolError, PageState, TerminationReason};
use svsm_snp_sim::{GHCB_GPA, SimHardware};

#[test]
fn sev_info_features_and_registration() {
    let hw = SimHardware::new([7; 32]);
    let info = msr_protocol::sev_info(&hw).unwrap();
    assert_eq!((info.min_version, info.max_version, info.c_bit), (2, 2, 51));
    msr_protocol::hv_features(&hw).unwrap();
    msr_protocol::register_ghcb(&hw, GuestPhysAddr::new(GHCB_GPA)).unwrap();
    assert_eq!(
        hw.with(|m| m.hypervisor.registered_ghcb),
        Some(GuestPhysAddr::new(GHCB_GPA))
    );
}

#[test]
fn missing_features_are_named() {
    let hw = SimHardware::new([7; 32]);
    hw.with(|m| m.hypervisor.features = msr_protocol::hv_features::SNP);
    assert_eq!(
        msr_protocol::hv_features(&hw),
        Err(MsrProtocolError::MissingFeatures(
            msr_protocol::hv_features::SNP_AP_CREATION
        ))
    );
}

#[test]
fn page_state_change_reaches_the_rmp() {
    let hw = SimHardware::new([7; 32]);
    let gpa = GuestPhysAddr::new(0x20_0000);
    msr_protocol::page_state_change(&hw, gpa, PageState::Private).unwrap();
    assert!(hw.with(|m| m.rmp.entry(gpa).assigned));
    msr_protocol::page_state_change(&hw, gpa, PageState::Shared).unwrap();
    assert!(!hw.with(|m| m.rmp.entry(gpa).assigned));
}

#[test]
fn termination_carries_the_reason() {
    let hw = SimHardware::new([7; 32]);
    msr_protocol::terminate(
        &hw,
        TerminationReason::svsm(msr_protocol::svsm_reason::NOT_VMPL0),
    );
    assert_eq!(
        hw.with(|m| m.hypervisor.terminated),
        Some((1, msr_protocol::svsm_reason::NOT_VMPL0))
    );
}
