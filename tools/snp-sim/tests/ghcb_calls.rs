//! The GHCB calls against the simulated hypervisor, honest and not.

use svsm_protocol::GuestPhysAddr;
use svsm_snp::boot;
use svsm_snp::calls::{ApRequest, IoSize, PSC_MAX_ENTRIES, PscEntry};
use svsm_snp::ghcb::{Field, Ghcb, GhcbError};
use svsm_snp::msr_protocol::PageState;
use svsm_snp_sim::SimHardware;
use svsm_snp_sim::hypervisor::ApCreation;

fn machine() -> (SimHardware, Ghcb) {
    let hw = SimHardware::new([1; 32]);
    boot::establish_ghcb(&hw).expect("handshake");
    (hw, Ghcb::new())
}

fn private(gpa: u64) -> PscEntry {
    PscEntry {
        gpa: GuestPhysAddr::new(gpa),
        huge: false,
        state: PageState::Private,
    }
}

#[test]
fn io_msr_and_tsc_round_trip() {
    let (hw, ghcb) = machine();
    ghcb.io_write(&hw, 0x3f8, IoSize::Byte, 0x1_41).unwrap();
    assert_eq!(hw.with(|m| m.hypervisor.io_writes.clone()), [(0x3f8, 0x41)]);
    hw.with(|m| m.hypervisor.io_inputs.insert(0x3fd, 0x60));
    assert_eq!(ghcb.io_read(&hw, 0x3fd, IoSize::Byte), Ok(0x60));

    ghcb.write_msr(&hw, 0xc000_0103, 0x1234_5678_9abc_def0)
        .unwrap();
    assert_eq!(ghcb.read_msr(&hw, 0xc000_0103), Ok(0x1234_5678_9abc_def0));
    assert_eq!(ghcb.rdtsc(&hw), Ok((1000, 0)));
    assert_eq!(ghcb.rdtscp(&hw), Ok((2000, 0, 0)));
}

#[test]
fn outputs_the_hypervisor_did_not_mark_valid_are_refused() {
    let (hw, ghcb) = machine();
    hw.with(|m| m.hypervisor.misbehave.omit_valid_bits = true);
    assert_eq!(
        ghcb.io_read(&hw, 0x3fd, IoSize::Byte),
        Err(GhcbError::MissingOutput(Field::Rax))
    );
    assert_eq!(
        ghcb.read_msr(&hw, 0x10),
        Err(GhcbError::MissingOutput(Field::Rax))
    );
}

#[test]
fn bogus_exit_information_is_an_error() {
    let (hw, ghcb) = machine();
    hw.with(|m| m.hypervisor.misbehave.exit_info1 = Some(0xdead_0002));
    assert_eq!(
        ghcb.io_write(&hw, 0x3f8, IoSize::Byte, 0),
        Err(GhcbError::BadExitInfo(0xdead_0002))
    );
    hw.with(|m| m.hypervisor.misbehave.exit_info1 = Some(1));
    assert!(matches!(
        ghcb.io_write(&hw, 0x3f8, IoSize::Byte, 0),
        Err(GhcbError::Exception(_))
    ));
}

#[test]
fn page_state_changes_continue_across_exits() {
    let (hw, ghcb) = machine();
    hw.with(|m| m.hypervisor.misbehave.psc_batch = Some(1));
    let entries = [private(0x40_0000), private(0x40_1000), private(0x40_2000)];
    ghcb.page_state_change(&hw, &entries).unwrap();
    for e in entries {
        assert!(hw.with(|m| m.rmp.entry(e.gpa).assigned));
    }
    // 2 MiB entries cover 512 frames.
    let huge = PscEntry {
        gpa: GuestPhysAddr::new(0x60_0000),
        huge: true,
        state: PageState::Private,
    };
    ghcb.page_state_change(&hw, &[huge]).unwrap();
    assert!(hw.with(|m| m.rmp.entry(GuestPhysAddr::new(0x7f_f000)).assigned));
}

#[test]
fn a_page_state_change_without_progress_or_out_of_range_fails() {
    let (hw, ghcb) = machine();
    let entries = [private(0x40_0000), private(0x40_1000)];
    hw.with(|m| m.hypervisor.misbehave.psc_batch = Some(0));
    assert_eq!(
        ghcb.page_state_change(&hw, &entries),
        Err(GhcbError::BadProgress)
    );
    hw.with(|m| {
        m.hypervisor.misbehave.psc_batch = None;
        m.hypervisor.misbehave.psc_cursor = Some(100);
    });
    assert_eq!(
        ghcb.page_state_change(&hw, &entries),
        Err(GhcbError::BadProgress)
    );
    hw.with(|m| {
        m.hypervisor.misbehave.psc_cursor = None;
        m.hypervisor.misbehave.psc_error = Some(0x55);
    });
    assert_eq!(
        ghcb.page_state_change(&hw, &entries),
        Err(GhcbError::Call(0x55))
    );
    let too_many = vec![private(0x40_0000); PSC_MAX_ENTRIES + 1];
    assert_eq!(
        ghcb.page_state_change(&hw, &too_many),
        Err(GhcbError::TooLarge)
    );
}

#[test]
fn ap_creation_reaches_the_hypervisor() {
    let (hw, ghcb) = machine();
    ghcb.ap_creation(
        &hw,
        ApRequest::Create,
        3,
        2,
        GuestPhysAddr::new(0x80_1000),
        0x1,
    )
    .unwrap();
    assert_eq!(
        hw.with(|m| m.hypervisor.ap_creations.clone()),
        [ApCreation {
            request: 1,
            vmpl: 2,
            apic_id: 3,
            vmsa: GuestPhysAddr::new(0x80_1000),
            sev_features: 0x1,
        }]
    );
}

#[test]
fn calls_before_the_ghcb_is_registered_fail() {
    let hw = SimHardware::new([1; 32]);
    let ghcb = Ghcb::new();
    assert!(ghcb.io_write(&hw, 0x3f8, IoSize::Byte, 0x41).is_err());
    assert!(hw.with(|m| m.hypervisor.io_writes.is_empty()));
}
