//! A booted simulated SNP platform for the tests.

use svsm_protocol::GuestPhysAddr;
use svsm_snp::SnpPlatform;
use svsm_snp::boot;
use svsm_snp::pvalidate::{GuestLayout, SvsmMemory};
use svsm_snp::secrets::SvsmArea;
use svsm_snp_sim::{SimHardware, cpuid_page, secrets_page};

pub const VMPCK0: [u8; 32] = [0xa5; 32];

/// The layout these tests give the platform (the kernel's role), as the
/// SVSM area the guest's copy of the secrets page would say.
pub const SVSM: SvsmArea = SvsmArea {
    base: 0x100_0000,
    size: 0x100_0000,
    caa: 0x20_0000,
    max_version: 1,
    guest_vmpl: 2,
};

/// [`SVSM`]'s range and guest VMPL as the platform's layout.
pub fn layout() -> GuestLayout {
    let svsm = SvsmMemory::new(GuestPhysAddr::new(SVSM.base), SVSM.size).expect("range");
    GuestLayout::new(svsm, SVSM.guest_vmpl).expect("layout")
}

/// The leaves the CPUID page of these tests holds.
pub const LEAVES: &[((u32, u32), [u32; 4])] = &[
    ((0x0, 0), [0xd, 0x6874_7541, 0x444d_4163, 0x6974_6e65]),
    (
        (0x1, 0),
        [0x00a0_0f11, 0x0080_0800, 0x7ef8_3203, 0x178b_fbff],
    ),
    ((0x7, 0), [0, 0xf1bf_07ab, 0x0040_069c, 0x10]),
    ((0x7, 1), [0x1, 0, 0, 0]),
    ((0x8000_001f, 0), [0x0001_b59f, 0x0417_7b33, 0x1fd, 0]),
];

/// A machine whose GHCB is established and a platform built on it for
/// [`layout`].
pub fn platform() -> SnpPlatform<SimHardware> {
    platform_with(layout())
}

/// A machine whose GHCB is established and a platform built on it for
/// `layout`, from a secrets page as the PSP leaves it (SVSM area zero).
pub fn platform_with(layout: GuestLayout) -> SnpPlatform<SimHardware> {
    let hw = SimHardware::new(VMPCK0);
    boot::establish_ghcb(&hw).expect("handshake");
    let mut secrets = secrets_page(VMPCK0);
    SnpPlatform::new(
        hw,
        svsm_crypto::host::module(),
        &mut secrets,
        &cpuid_page(LEAVES),
        layout,
    )
    .expect("platform")
}
