//! Helpers shared by the engine's integration tests: a TPM over the host
//! module, command builders and a response parser.
#![allow(dead_code)]

use svsm_vtpm::{ModuleCrypto, Seeds, Tpm};
use zeroize::Zeroizing;

pub type HostTpm = Tpm<ModuleCrypto<'static>>;

/// A powered-off TPM with fixed seeds (0x11.., 0x22..).
pub fn tpm_with_seeds() -> HostTpm {
    let crypto = ModuleCrypto::new(svsm_crypto::host::module()).expect("module DRBG");
    Tpm::manufacture_with_seeds(
        crypto,
        Seeds {
            endorsement: Zeroizing::new([0x11; 48]),
            owner: Zeroizing::new([0x22; 48]),
        },
    )
}

/// A started TPM (power_on + Startup(CLEAR)).
pub fn started() -> HostTpm {
    let mut tpm = tpm_with_seeds();
    tpm.power_on();
    let r = tpm.execute(&command(0x8001, 0x144, &[0, 0]));
    assert_eq!(rc(&r), 0, "Startup(CLEAR)");
    tpm
}

/// A command: tag, size, code, then `body` (handles, auth area, parameters).
pub fn command(tag: u16, code: u32, body: &[u8]) -> Vec<u8> {
    let mut c = Vec::new();
    c.extend_from_slice(&tag.to_be_bytes());
    c.extend_from_slice(&((10 + body.len()) as u32).to_be_bytes());
    c.extend_from_slice(&code.to_be_bytes());
    c.extend_from_slice(body);
    c
}

/// Checks the response header (tag, size == length) and returns the code.
pub fn rc(response: &[u8]) -> u32 {
    assert!(response.len() >= 10, "response shorter than a header");
    let tag = u16::from_be_bytes([response[0], response[1]]);
    let size = u32::from_be_bytes(response[2..6].try_into().unwrap()) as usize;
    assert_eq!(size, response.len(), "size field");
    let code = u32::from_be_bytes(response[6..10].try_into().unwrap());
    assert!(tag == 0x8001 || tag == 0x8002, "tag {tag:#x}");
    if code != 0 {
        assert_eq!(tag, 0x8001, "an error response has no sessions");
        assert_eq!(size, 10, "an error response is a bare header");
    }
    code
}

/// The bytes after the response header.
pub fn body(response: &[u8]) -> &[u8] {
    &response[10..]
}
