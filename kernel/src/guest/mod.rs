//! The guest side of the Native platform: the memory the guest owns, and the
//! SVSM instance that serves its calls.
//!
//! On Native there is no separate VM to serve, so the guest is the ring-3
//! harness (run by the task code, which is handed the instance). Its "guest-physical" memory is a block of frames
//! the kernel sets aside at boot ([`GuestRam`]); guest-physical addresses are
//! the frames' physical addresses, and the SVSM reaches them through its
//! direct map. Nothing else (the kernel image, its heap, its page tables) is
//! granted, so any other address is refused as INVALID_ADDRESS.

pub mod memory;

use alloc::format;
use alloc::vec;

use log::{info, warn};
use svsm_protocol::attest::guid;
use svsm_protocol::platform::Platform;
use svsm_protocol::vtpm::VtpmBackend;
use svsm_protocol::{Service, Svsm};

use crate::crypto_boot::CryptoBoot;

pub use memory::GuestRam;

/// GUID of the one service this SVSM attests: its own build (kernel version
/// and crypto object hash). `5d0e4b1c-7a2f-4c39-9b6e-3f8a2d1c0e57`.
pub const BUILD_SERVICE_GUID: [u8; 16] = guid(
    0x5d0e_4b1c,
    0x7a2f,
    0x4c39,
    [0x9b, 0x6e, 0x3f, 0x8a, 0x2d, 0x1c, 0x0e, 0x57],
);

/// Creates the SVSM instance, once per boot; the caller hands it to whatever
/// serves calls. Attestation is offered exactly when `crypto` is
/// operational. Prints the platform, the development-report public key and
/// the protocols offered.
pub fn create_svsm(
    platform: &'static dyn Platform,
    crypto: &CryptoBoot,
    vtpm: Option<&'static dyn VtpmBackend>,
) -> Svsm<'static> {
    info!(
        "platform: {:?}: {}",
        platform.kind(),
        platform.description()
    );
    let attestation = crypto.attestation();
    match attestation {
        Some(c) => {
            info!("attestation: development reports (NOT hardware-rooted), ECDSA P-384/SHA-384");
            info!(
                "attestation: report public key X||Y {}",
                Hex(&c.signing_public_key())
            );
        }
        None => warn!("attestation: crypto module not operational; attestation protocol refused"),
    }
    let manifest = format!(
        "svsm-kernel {}; crypto object sha256 {}",
        env!("CARGO_PKG_VERSION"),
        svsm_crypto::OBJECT_SHA256
    );
    let services = vec![Service {
        guid: BUILD_SERVICE_GUID,
        manifest: manifest.into_bytes(),
    }];
    let mut svsm = Svsm::new(platform, attestation, services);
    if let Some(vtpm) = vtpm {
        svsm = svsm.with_vtpm(vtpm);
    }
    for p in svsm.offered() {
        info!(
            "protocol {} ({}) versions {}..={} offered",
            p.id, p.name, p.min_version, p.max_version
        );
    }
    svsm
}

/// Lower-case hex of a byte string, for the console.
pub struct Hex<'a>(pub &'a [u8]);

impl core::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}
