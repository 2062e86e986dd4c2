//! The Native platform: QEMU (or any hypervisor) without confidential
//! computing.
//!
//! There is no reverse map, so every page of guest memory is already usable:
//! PVALIDATE succeeds without changing anything. There are no VMSAs, so vCPU
//! management is unsupported, and no vTOM. There is no hardware root of trust,
//! so the attestation report is a [`DevReport`]: a documented structure signed
//! by a key the crypto module generated at boot, which says in its flags and
//! its notice that it is not hardware-rooted.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::{Capabilities, PageSize, Platform, PlatformKind, PvalidateFailure};
use crate::addr::GuestPhysAddr;
use crate::crypto::{AttestationCrypto, P384_PAIR_LEN};
use crate::error::SvsmError;

/// `DevReport::magic`.
pub const DEV_REPORT_MAGIC: [u8; 8] = *b"SVSMDEVR";
/// `DevReport::version` of the layout below.
pub const DEV_REPORT_VERSION: u32 = 1;
/// `DevReport::flags` bit: the report is not rooted in hardware. Always set.
pub const DEV_REPORT_NOT_HARDWARE_ROOTED: u32 = 1 << 0;
/// `DevReport::signature_algorithm`: ECDSA P-384 over SHA-384.
pub const DEV_REPORT_ECDSA_P384_SHA384: u32 = 1;
/// `DevReport::notice`, NUL-padded.
pub const DEV_REPORT_NOTICE: &[u8] = b"SVSM DEVELOPMENT REPORT: NOT HARDWARE-ROOTED, DO NOT TRUST";

/// The Native attestation report. All integers little endian; 376 bytes.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0x000 | 8  | magic `"SVSMDEVR"` |
/// | 0x008 | 4  | version (1) |
/// | 0x00c | 4  | flags (bit 0: not hardware-rooted, always set) |
/// | 0x010 | 4  | signature algorithm (1: ECDSA P-384 / SHA-384) |
/// | 0x014 | 4  | size of the report (376) |
/// | 0x018 | 64 | REPORT_DATA = SHA-512(nonce \|\| manifest) |
/// | 0x058 | 32 | measurement: SHA-256 of the crypto object in the image |
/// | 0x078 | 64 | notice, ASCII, NUL-padded |
/// | 0x0b8 | 96 | signing public key, X \|\| Y (big endian) |
/// | 0x118 | 96 | signature r \|\| s (big endian) over bytes 0x000..0x118 |
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct DevReport {
    pub magic: [u8; 8],
    pub version: u32,
    pub flags: u32,
    pub signature_algorithm: u32,
    pub size: u32,
    pub report_data: [u8; 64],
    pub measurement: [u8; 32],
    pub notice: [u8; 64],
    pub public_key: [u8; P384_PAIR_LEN],
    pub signature: [u8; P384_PAIR_LEN],
}

/// Size of a [`DevReport`].
pub const DEV_REPORT_SIZE: usize = size_of::<DevReport>();
/// Bytes of a [`DevReport`] covered by its signature.
pub const DEV_REPORT_SIGNED_LEN: usize = DEV_REPORT_SIZE - P384_PAIR_LEN;

const _: () = assert!(DEV_REPORT_SIZE == 376 && DEV_REPORT_SIGNED_LEN == 0x118);

/// The Native platform.
pub struct Native {
    measurement: [u8; 32],
}

impl Native {
    /// `measurement` goes into every report (the kernel passes the SHA-256 of
    /// its crypto object).
    pub const fn new(measurement: [u8; 32]) -> Self {
        Self { measurement }
    }
}

impl Platform for Native {
    fn kind(&self) -> PlatformKind {
        PlatformKind::Native
    }

    fn description(&self) -> &'static str {
        "native (no confidential computing): PVALIDATE is a no-op, reports are development reports"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            vcpu_management: false,
        }
    }

    fn pvalidate(
        &self,
        _gpa: GuestPhysAddr,
        _size: PageSize,
        _validate: bool,
    ) -> Result<(), PvalidateFailure> {
        // No reverse map: every guest page is always usable.
        Ok(())
    }

    fn create_vcpu(&self, _: GuestPhysAddr, _: GuestPhysAddr, _: u32) -> Result<(), SvsmError> {
        Err(SvsmError::UnsupportedCall)
    }

    fn delete_vcpu(&self, _: GuestPhysAddr) -> Result<(), SvsmError> {
        Err(SvsmError::UnsupportedCall)
    }

    fn vtom_query(&self) -> u64 {
        0
    }

    fn configure_vtom(&self, _rcx: u64) -> Result<(), SvsmError> {
        Err(SvsmError::InvalidRequest)
    }

    fn report_size(&self) -> usize {
        DEV_REPORT_SIZE
    }

    fn certificates(&self) -> &[u8] {
        &[]
    }

    fn attestation_report(
        &self,
        crypto: &dyn AttestationCrypto,
        report_data: &[u8; 64],
        out: &mut [u8],
    ) -> Result<(), SvsmError> {
        let mut notice = [0u8; 64];
        notice[..DEV_REPORT_NOTICE.len()].copy_from_slice(DEV_REPORT_NOTICE);
        let mut report = DevReport {
            magic: DEV_REPORT_MAGIC,
            version: DEV_REPORT_VERSION,
            flags: DEV_REPORT_NOT_HARDWARE_ROOTED,
            signature_algorithm: DEV_REPORT_ECDSA_P384_SHA384,
            size: DEV_REPORT_SIZE as u32,
            report_data: *report_data,
            measurement: self.measurement,
            notice,
            public_key: crypto.signing_public_key(),
            signature: [0; P384_PAIR_LEN],
        };
        let signed = report
            .as_bytes()
            .get(..DEV_REPORT_SIGNED_LEN)
            .ok_or(SvsmError::CryptoFailure)?;
        report.signature = crypto.sign(signed).map_err(|_| SvsmError::CryptoFailure)?;
        let dst = out
            .get_mut(..DEV_REPORT_SIZE)
            .ok_or(SvsmError::InvalidRequest)?;
        dst.copy_from_slice(report.as_bytes());
        Ok(())
    }
}
