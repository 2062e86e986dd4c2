//! Where the platform's layout comes from: the kernel (its own memory, the
//! guest VMPL constant), never the secrets page's SVSM area, which the PSP
//! leaves zero and the SVSM fills only in the guest's copy.

mod common;

use svsm_boot_params::igvm::{LAUNCH_INFO_GPA, LAUNCH_PAGES, SECRETS_PAGE_GPA, SNP_VMSA_GPA};
use svsm_boot_params::own_memory::OwnMemory;
use svsm_boot_params::start_info::{MemoryKind, MemoryRegion};
use svsm_protocol::GuestPhysAddr;
use svsm_protocol::core_protocol;
use svsm_protocol::error::SvsmError;
use svsm_protocol::platform::{PageSize, Platform, PvalidateFailure};
use svsm_snp::SnpPlatform;
use svsm_snp::pvalidate::{GUEST_VMPL, GuestLayout, LayoutError, SVSM_MEMORY_RANGES, SvsmMemory};
use svsm_snp::secrets::{self, SVSM_AREA, SvsmArea, VMPCK_LEN, VMPCK_OFFSET};
use svsm_snp_sim::SimHardware;

const PAGE: u64 = 0x1000;
const MIB: u64 = 1 << 20;
/// The guest's RAM in these tests.
const RAM_END: u64 = 64 * MIB;

fn gpa(raw: u64) -> GuestPhysAddr {
    GuestPhysAddr::new(raw)
}

/// The kernel's own memory on SNP: an image from 1 MiB, its required
/// memory after it, taken from a memory map as the kernel takes it.
fn own() -> OwnMemory {
    let map = [MemoryRegion {
        start: 0,
        size: RAM_END,
        kind: MemoryKind::Ram,
    }];
    OwnMemory::new(MIB..0x2c_2000, map.iter()).expect("own memory")
}

/// The layout the kernel builds from [`own`].
fn kernel_layout() -> GuestLayout {
    let svsm = SvsmMemory::from_ranges(&own().svsm_ranges()).expect("ranges");
    GuestLayout::new(svsm, GUEST_VMPL).expect("layout")
}

/// Every page the kernel's SVSM owns that a test names: each launch page,
/// the image's first and last, the gap before the required memory, the
/// required memory's first and last, the boot VMSA.
fn svsm_pages() -> Vec<u64> {
    let own = own();
    let launch = LAUNCH_PAGES.step_by(PAGE as usize);
    launch
        .chain([
            own.image.start,
            own.image.end.next_multiple_of(PAGE) - PAGE,
            own.required.start - PAGE,
            own.required.start,
            own.required.end - PAGE,
            SNP_VMSA_GPA,
        ])
        .collect()
}

/// Makes `page` private and assigned to the guest (not validated).
fn assign(platform: &SnpPlatform<SimHardware>, page: u64) {
    platform
        .hardware()
        .with(|m| m.rmp.update(gpa(page), PageSize::Size4K, true))
        .expect("assign");
}

#[test]
fn a_secrets_page_with_any_svsm_area_gives_the_kernels_layout() {
    // The PSP's page (SVSM area zero), as every test platform is built.
    assert_eq!(common::platform().layout(), &common::layout());
    // A page whose area names a wrapping range and VMPL0: still not input.
    let hw = SimHardware::new(common::VMPCK0);
    svsm_snp::boot::establish_ghcb(&hw).expect("handshake");
    let mut page = svsm_snp_sim::secrets_page(common::VMPCK0);
    page[SVSM_AREA..SVSM_AREA + 16].fill(0xff);
    page[SVSM_AREA + 28] = 0;
    let platform = SnpPlatform::new(
        hw,
        svsm_crypto::host::module(),
        &mut page,
        &svsm_snp_sim::cpuid_page(common::LEAVES),
        kernel_layout(),
    )
    .expect("platform");
    assert_eq!(platform.layout(), &kernel_layout());
    assert_eq!(platform.layout().guest_vmpl(), GUEST_VMPL);
}

#[test]
fn a_guest_at_vmpl0_or_no_vmpl_is_refused() {
    let svsm = *common::layout().svsm();
    for vmpl in [0, 4, 0xff] {
        assert_eq!(
            GuestLayout::new(svsm, vmpl),
            Err(LayoutError::GuestVmpl(vmpl))
        );
    }
    for vmpl in 1..=3 {
        assert_eq!(GuestLayout::new(svsm, vmpl).unwrap().guest_vmpl(), vmpl);
    }
    // The kernel's constant is one of them.
    assert!(GuestLayout::new(svsm, GUEST_VMPL).is_ok());
}

#[test]
fn svsm_memory_holds_a_few_ranges_and_refuses_more_or_reversed_ones() {
    let ranges = own().svsm_ranges();
    let svsm = SvsmMemory::from_ranges(&ranges).unwrap();
    assert_eq!(svsm.ranges().collect::<Vec<_>>(), ranges);
    assert_eq!(svsm.largest(), own().span());
    let many = vec![0..PAGE; SVSM_MEMORY_RANGES + 1];
    assert_eq!(SvsmMemory::from_ranges(&many), Err(LayoutError::SvsmMemory));
    let reversed = own().required.end..own().required.start;
    assert_eq!(
        SvsmMemory::from_ranges(&[reversed]),
        Err(LayoutError::SvsmMemory)
    );
    // No ranges: nothing is the SVSM's.
    let none = SvsmMemory::from_ranges(&[]).unwrap();
    assert!(!none.overlaps(gpa(0), u64::MAX));
    assert_eq!(none.largest(), 0..0);
}

#[test]
fn pvalidate_and_create_vcpu_naming_the_svsms_pages_are_refused() {
    let platform = common::platform_with(kernel_layout());
    for page in svsm_pages() {
        assign(&platform, page);
    }
    // A guest page to serve as the Calling Area.
    let caa = 32 * MIB;
    assign(&platform, caa);
    platform
        .pvalidate(gpa(caa), PageSize::Size4K, true)
        .unwrap();
    let before = platform.hardware().with(|m| m.rmp.ops.len());
    for page in svsm_pages() {
        for validate in [true, false] {
            assert_eq!(
                platform.pvalidate(gpa(page), PageSize::Size4K, validate),
                Err(PvalidateFailure::Input),
                "{page:#x}"
            );
        }
        let aligned = page & !(PageSize::Size2M.bytes() - 1);
        assert_eq!(
            platform.pvalidate(gpa(aligned), PageSize::Size2M, true),
            Err(PvalidateFailure::Input),
            "{aligned:#x}"
        );
        if page % PageSize::Size2M.bytes() != 0 {
            assert_eq!(
                platform.create_vcpu(gpa(page), gpa(caa), 1),
                Err(SvsmError::InvalidAddress),
                "VMSA {page:#x}"
            );
        }
        assert_eq!(
            platform.create_vcpu(gpa(caa + PAGE), gpa(page), 1),
            Err(SvsmError::InvalidAddress),
            "Calling Area {page:#x}"
        );
    }
    // Refused before any instruction.
    assert_eq!(platform.hardware().with(|m| m.rmp.ops.len()), before);
    for page in svsm_pages() {
        let e = platform.hardware().with(|m| m.rmp.entry(gpa(page)));
        assert!(!e.validated, "{page:#x}");
    }
    // The guest's pages right beside them are served.
    let own = own();
    for page in [
        LAUNCH_INFO_GPA - 4 * PAGE,
        SECRETS_PAGE_GPA + PAGE,
        own.image.start - PAGE,
        own.required.end,
    ] {
        assign(&platform, page);
        platform
            .pvalidate(gpa(page), PageSize::Size4K, true)
            .unwrap();
        let e = platform.hardware().with(|m| m.rmp.entry(gpa(page)));
        assert_eq!(e.perms_of(GUEST_VMPL), svsm_snp::hw::VmplPermissions::ALL);
    }
}

#[test]
fn the_guests_copy_of_the_secrets_page_names_its_svsm() {
    let platform = common::platform_with(kernel_layout());
    let caa = gpa(32 * MIB);
    let area = platform.guest_svsm_area(caa);
    let span = own().span();
    assert_eq!(
        area,
        SvsmArea {
            base: span.start,
            size: span.end - span.start,
            caa: caa.raw(),
            max_version: core_protocol::PROTOCOL.max_version,
            guest_vmpl: GUEST_VMPL,
        }
    );
    // A copy of the PSP's page, VMPCKs still in it: they are zeroed, the
    // area written (little endian, spec offsets), the rest kept.
    let mut copy = svsm_snp_sim::secrets_page([0x5a; 32]);
    copy[0x800] = 0x77;
    let before = copy.clone();
    secrets::fill_guest_copy(&mut copy, &area);
    assert!(
        copy[VMPCK_OFFSET..VMPCK_OFFSET + 4 * VMPCK_LEN]
            .iter()
            .all(|b| *b == 0)
    );
    let u64_at = |at: usize| u64::from_le_bytes(copy[at..at + 8].try_into().unwrap());
    assert_eq!(u64_at(0x140), span.start);
    assert_eq!(u64_at(0x148), span.end - span.start);
    assert_eq!(u64_at(0x150), caa.raw());
    assert_eq!(copy[0x158..0x15c], 1u32.to_le_bytes());
    assert_eq!(copy[0x15c], 1);
    assert_eq!(copy[..VMPCK_OFFSET], before[..VMPCK_OFFSET]);
    assert_eq!(copy[0x15d..], before[0x15d..]);
    assert_eq!(
        copy[VMPCK_OFFSET + 4 * VMPCK_LEN..SVSM_AREA],
        before[VMPCK_OFFSET + 4 * VMPCK_LEN..SVSM_AREA]
    );
}
