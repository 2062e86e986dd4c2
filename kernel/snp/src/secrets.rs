//! The secrets page the PSP fills at launch (SEV-SNP firmware ABI, "Secrets
//! Page Format"): read once at boot. VMPCK0 becomes an AES-256-GCM key inside
//! the crypto module and every VMPCK (0..3) is wiped from the page at once,
//! so VMPCK1..3 are handed to no one and VMPCK0 exists only in the module.

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

/// The SVSM fields of the secrets page.
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
    pub svsm: SvsmArea,
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

fn u64_at(page: &SecretsPage, at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&page[at..at + 8]);
    u64::from_le_bytes(b)
}

/// Reads the page once: returns its SVSM fields and VMPCK0 as a module key,
/// and wipes VMPCK0..3 from the page whatever the outcome.
pub fn take(
    page: &mut SecretsPage,
    module: &'static Module,
) -> Result<(Secrets, AesGcmKey<'static>), SecretsError> {
    let mut vmpck0 = Zeroizing::new([0u8; VMPCK_LEN]);
    vmpck0.copy_from_slice(&page[VMPCK_OFFSET..VMPCK_OFFSET + VMPCK_LEN]);
    page[VMPCK_OFFSET..VMPCK_OFFSET + VMPCK_COUNT * VMPCK_LEN].zeroize();

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
    let svsm = SvsmArea {
        base: u64_at(page, SVSM_AREA),
        size: u64_at(page, SVSM_AREA + 8),
        caa: u64_at(page, SVSM_AREA + 16),
        max_version: u32::from_le_bytes([
            page[SVSM_AREA + 24],
            page[SVSM_AREA + 25],
            page[SVSM_AREA + 26],
            page[SVSM_AREA + 27],
        ]),
        guest_vmpl: page[SVSM_AREA + 28],
    };
    Ok((Secrets { version, svsm }, key))
}
