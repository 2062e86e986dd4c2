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

/// Reads big-endian fields from a response body.
pub struct R<'a>(pub &'a [u8]);

impl<'a> R<'a> {
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
    pub fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.take(2).try_into().unwrap())
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take(4).try_into().unwrap())
    }
    pub fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.take(8).try_into().unwrap())
    }
    pub fn b2(&mut self) -> &'a [u8] {
        let n = self.u16() as usize;
        self.take(n)
    }
}

/// TPM 2.0 KDFa computed with RustCrypto HMAC (the independent reference).
pub fn kdfa_sha256(key: &[u8], label: &[u8], u: &[u8], v: &[u8], bytes: usize) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    let mut out = Vec::new();
    let mut i = 1u32;
    while out.len() < bytes {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        mac.update(&i.to_be_bytes());
        mac.update(label);
        mac.update(&[0]);
        mac.update(u);
        mac.update(v);
        mac.update(&((bytes * 8) as u32).to_be_bytes());
        out.extend_from_slice(&mac.finalize().into_bytes());
        i += 1;
    }
    out.truncate(bytes);
    out
}

pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

pub fn sha256(parts: &[&[u8]]) -> Vec<u8> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
}

pub fn sha384(parts: &[&[u8]]) -> Vec<u8> {
    use sha2::Digest;
    let mut h = sha2::Sha384::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
}

/// Executes and asserts success, returning the response.
pub fn ok(tpm: &mut HostTpm, c: &[u8]) -> Vec<u8> {
    let r = tpm.execute(c);
    assert_eq!(
        rc(&r),
        0,
        "command {:#x}",
        u32::from_be_bytes(c[6..10].try_into().unwrap())
    );
    r
}

/// A TPML_PCR_SELECTION of one bank.
pub fn selection(alg: u16, pcrs: &[usize]) -> Vec<u8> {
    let mut bits = [0u8; 3];
    for &i in pcrs {
        bits[i / 8] |= 1 << (i % 8);
    }
    B::new().u32(1).u16(alg).u8(3).bytes(&bits).0
}

/// PCR_Read of one bank: the values returned.
pub fn pcr_read(tpm: &mut HostTpm, alg: u16, pcrs: &[usize]) -> Vec<Vec<u8>> {
    let r = ok(tpm, &command(ST_NO, 0x17E, &selection(alg, pcrs)));
    let mut p = R(body(&r));
    p.u32();
    let n = p.u32();
    for _ in 0..n {
        p.u16();
        let size = p.u8() as usize;
        p.take(size);
    }
    let count = p.u32();
    (0..count).map(|_| p.b2().to_vec()).collect()
}

/// CreatePrimary with a password session; returns (handle, outPublic, name).
pub fn create_primary(
    tpm: &mut HostTpm,
    hierarchy: u32,
    password: &[u8],
    template: &[u8],
    auth: &[u8],
) -> (u32, Vec<u8>, Vec<u8>) {
    let r = ok(
        tpm,
        &with_pw(
            0x131,
            &[hierarchy],
            password,
            &create_primary_params(template, auth),
        ),
    );
    let handle = u32::from_be_bytes(r[10..14].try_into().unwrap());
    let mut p = R(session_params(&r, true));
    let public = p.b2().to_vec();
    p.b2();
    p.b2();
    p.u16();
    p.u32();
    p.b2();
    let name = p.b2().to_vec();
    (handle, public, name)
}

/// The unique X and Y of a marshalled ECC TPMT_PUBLIC without authPolicy
/// and with the NULL-KDF parameter layout the templates here use.
pub fn ecc_point(public: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut p = R(public);
    p.u16();
    p.u16();
    p.u32();
    p.b2();
    if p.u16() != 0x0010 {
        p.u16();
        p.u16();
    }
    if p.u16() != 0x0010 {
        p.u16();
    }
    p.u16();
    p.u16();
    let x = p.b2().to_vec();
    let y = p.b2().to_vec();
    (x, y)
}

/// xorshift64*: reproducible test inputs, no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
