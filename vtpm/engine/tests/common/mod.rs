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
            platform: Zeroizing::new([0x33; 48]),
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

pub const ST_NO: u16 = 0x8001;
pub const ST_SESS: u16 = 0x8002;
pub const RH_OWNER: u32 = 0x4000_0001;
pub const RH_NULL: u32 = 0x4000_0007;
pub const RS_PW: u32 = 0x4000_0009;
pub const RH_LOCKOUT: u32 = 0x4000_000A;
pub const RH_ENDORSEMENT: u32 = 0x4000_000B;
pub const RH_PLATFORM: u32 = 0x4000_000C;

/// Big-endian byte builder.
#[derive(Default, Clone)]
pub struct B(pub Vec<u8>);

impl B {
    pub fn new() -> Self {
        B(Vec::new())
    }
    pub fn u8(mut self, v: u8) -> Self {
        self.0.push(v);
        self
    }
    pub fn u16(mut self, v: u16) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn bytes(mut self, v: &[u8]) -> Self {
        self.0.extend_from_slice(v);
        self
    }
    pub fn b2(self, v: &[u8]) -> Self {
        self.u16(v.len() as u16).bytes(v)
    }
}

/// An authorization area with one password session.
pub fn pw(password: &[u8]) -> Vec<u8> {
    let s = B::new().u32(RS_PW).b2(&[]).u8(1).b2(password).0;
    B::new().u32(s.len() as u32).bytes(&s).0
}

/// A command with handles, a password authorization and parameters.
pub fn with_pw(code: u32, handles: &[u32], password: &[u8], params: &[u8]) -> Vec<u8> {
    let mut body = B::new();
    for h in handles {
        body = body.u32(*h);
    }
    let body = body.bytes(&pw(password)).bytes(params);
    command(ST_SESS, code, &body.0)
}

/// The parameter area of a response that carries sessions (after the
/// response handle, if `handle`).
pub fn session_params(response: &[u8], handle: bool) -> &[u8] {
    let mut at = 10 + if handle { 4 } else { 0 };
    let size = u32::from_be_bytes(response[at..at + 4].try_into().unwrap()) as usize;
    at += 4;
    &response[at..at + size]
}

/// An unrestricted ECDSA signing key template (TPMT_PUBLIC).
pub fn ecdsa_template(curve: u16, name_alg: u16) -> Vec<u8> {
    B::new()
        .u16(0x0023)
        .u16(name_alg)
        .u32(0x0004_0072)
        .b2(&[])
        .u16(0x0010)
        .u16(0x0018)
        .u16(name_alg)
        .u16(curve)
        .u16(0x0010)
        .b2(&[])
        .b2(&[])
        .0
}

/// The tpm2-tools default ECC primary: a restricted decryption (storage)
/// key with AES-128-CFB.
pub fn storage_template() -> Vec<u8> {
    B::new()
        .u16(0x0023)
        .u16(0x000B)
        .u32(0x0003_0472)
        .b2(&[])
        .u16(0x0006)
        .u16(128)
        .u16(0x0043)
        .u16(0x0010)
        .u16(0x0003)
        .u16(0x0010)
        .b2(&[])
        .b2(&[])
        .0
}

/// CreatePrimary parameters: empty sensitive (with `auth`), the template,
/// no outside info, no creation PCRs.
pub fn create_primary_params(template: &[u8], auth: &[u8]) -> Vec<u8> {
    let sensitive = B::new().b2(auth).b2(&[]).0;
    B::new().b2(&sensitive).b2(template).b2(&[]).u32(0).0
}
