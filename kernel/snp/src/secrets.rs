//! The secrets page the PSP fills at launch (SEV-SNP firmware ABI, "Secrets
//! Page Format"): read once at boot. VMPCK0 becomes an AES-256-GCM key inside
//! the crypto module and every VMPCK (0..3) is wiped from the page at once,
//! so VMPCK1..3 are handed to no one and VMPCK0 exists only in the module.
//!
//! The SVSM area at [`SVSM_AREA`] is not input: the PSP leaves it zero. Per
//! the SVSM specification the SVSM fills it in the guest's copy of the page
//! ([`fill_guest_copy`]), for the guest OS to find its SVSM.

use svsm_crypto::{AesGcmKey, Module};
use zeroize::{Zeroize, Zeroizing};

use crate::hw::PAGE_BYTES;

/// The page, as the kernel maps it (private, validated).
pub type SecretsPage = [u8; PAGE_BYTES];

/// Offset of VMPCK0; VMPCK1..3 follow, 32 bytes each.
pub const VMPCK_OFFSET: usize = 0x20;
pub const VMPCK_LEN: usize = 32;
pub const VMPCK_COUNT: usize = 4;
/// Offset of the SVSM area (SVSM specification, "Secrets Page").
pub const SVSM_AREA: usize = 0x140;
/// Lowest secrets-page version with the layout above.
pub const MIN_VERSION: u32 = 2;

/// The SVSM fields of the secrets page (SVSM specification, "Secrets
/// Page"), which the SVSM writes for the guest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SvsmArea {
    pub base: u64,
    pub size: u64,
    /// Calling Area of the boot vCPU.
    pub caa: u64,
    pub max_version: u32,
    pub guest_vmpl: u8,
}

/// What the SVSM keeps from the secrets page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Secrets {
    pub version: u32,
}

/// Why the secrets page is unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretsError {
    /// A version before [`MIN_VERSION`].
    Version(u32),
    /// VMPCK0 is all zero (wiped earlier: guest requests are impossible).
    NoVmpck0,
    /// The module refused the key.
    Module(svsm_crypto::Error),
}

/// Zeroes VMPCK0..3 of `page`.
fn wipe_vmpcks(page: &mut SecretsPage) {
    page[VMPCK_OFFSET..VMPCK_OFFSET + VMPCK_COUNT * VMPCK_LEN].zeroize();
}

/// Reads the page once: returns its version and VMPCK0 as a module key,
/// and wipes VMPCK0..3 from the page whatever the outcome.
pub fn take(
    page: &mut SecretsPage,
    module: &'static Module,
) -> Result<(Secrets, AesGcmKey<'static>), SecretsError> {
    let mut vmpck0 = Zeroizing::new([0u8; VMPCK_LEN]);
    vmpck0.copy_from_slice(&page[VMPCK_OFFSET..VMPCK_OFFSET + VMPCK_LEN]);
    wipe_vmpcks(page);

    let version = u32::from_le_bytes([page[0], page[1], page[2], page[3]]);
    if version < MIN_VERSION {
        return Err(SecretsError::Version(version));
    }
    if vmpck0.iter().all(|b| *b == 0) {
        return Err(SecretsError::NoVmpck0);
    }
    let key = module
        .aes_gcm_key(vmpck0.as_slice())
        .map_err(SecretsError::Module)?;
    Ok((Secrets { version }, key))
}

/// Makes `page`, a copy of the secrets page the SVSM hands to the guest,
/// say `area`: writes the SVSM area (base, size, Calling Area, max version,
/// guest VMPL, little endian) and zeroes VMPCK0..3, which belong to VMPLs
/// at or above the guest's and so never reach it. The rest of the copy is
/// left as it is.
pub fn fill_guest_copy(page: &mut SecretsPage, area: &SvsmArea) {
    wipe_vmpcks(page);
    let fields = [
        &area.base.to_le_bytes()[..],
        &area.size.to_le_bytes(),
        &area.caa.to_le_bytes(),
        &area.max_version.to_le_bytes(),
        &[area.guest_vmpl],
    ];
    let mut at = SVSM_AREA;
    for field in fields {
        page[at..at + field.len()].copy_from_slice(field);
        at += field.len();
    }
}
