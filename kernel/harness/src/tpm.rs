//! Just enough TPM 2.0 marshalling for the harness to talk to the vTPM the
//! way Linux does: a command builder over a fixed buffer (the harness's
//! allocator never frees) and a bounds-checked reader of responses.

use svsm_protocol::vtpm::{MAX_COMMAND, MAX_RESPONSE};

pub const ST_NO_SESSIONS: u16 = 0x8001;
pub const ST_SESSIONS: u16 = 0x8002;
pub const RS_PW: u32 = 0x4000_0009;
pub const RH_OWNER: u32 = 0x4000_0001;
pub const RH_NULL: u32 = 0x4000_0007;

pub const CC_CREATE_PRIMARY: u32 = 0x131;
pub const CC_SEQUENCE_COMPLETE: u32 = 0x13E;
pub const CC_SEQUENCE_UPDATE: u32 = 0x15C;
pub const CC_HASH_SEQUENCE_START: u32 = 0x186;
pub const CC_SELF_TEST: u32 = 0x143;
pub const CC_STARTUP: u32 = 0x144;
pub const CC_QUOTE: u32 = 0x158;
pub const CC_FLUSH_CONTEXT: u32 = 0x165;
pub const CC_GET_CAPABILITY: u32 = 0x17A;
pub const CC_GET_RANDOM: u32 = 0x17B;
pub const CC_PCR_READ: u32 = 0x17E;
pub const CC_PCR_EXTEND: u32 = 0x182;

pub const SU_CLEAR: u16 = 0x0000;
pub const CAP_TPM_PROPERTIES: u32 = 6;
pub const PT_FAMILY_INDICATOR: u32 = 0x100;
pub const PT_TOTAL_COMMANDS: u32 = 0x129;

pub const ALG_ECC: u16 = 0x0023;
pub const ALG_SHA256: u16 = 0x000B;
pub const ALG_NULL: u16 = 0x0010;
pub const ALG_ECDSA: u16 = 0x0018;
pub const ECC_NIST_P256: u16 = 0x0003;
pub const ST_ATTEST_QUOTE: u16 = 0x8018;
pub const GENERATED_VALUE: u32 = 0xff54_4347;

pub const RC_SUCCESS: u32 = 0;
/// TPM_RC_INITIALIZE: the TPM wants TPM2_Startup (or already had it).
pub const RC_INITIALIZE: u32 = 0x100;

/// A command being built: header first, the size patched by [`Command::bytes`].
pub struct Command {
    buf: [u8; MAX_COMMAND],
    len: usize,
    overflow: bool,
}

impl Command {
    pub fn new(tag: u16, code: u32) -> Self {
        let mut c = Self {
            buf: [0; MAX_COMMAND],
            len: 0,
            overflow: false,
        };
        c.u16(tag).u32(0).u32(code);
        c
    }

    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(to) => {
                to.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.overflow = true,
        }
        self
    }

    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.raw(&[v])
    }

    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.raw(&v.to_be_bytes())
    }

    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.raw(&v.to_be_bytes())
    }

    /// A TPM2B: u16 size, then the bytes.
    pub fn b2(&mut self, v: &[u8]) -> &mut Self {
        self.u16(v.len() as u16).raw(v)
    }

    /// An authorization area of one password session with an empty password.
    pub fn password_session(&mut self) -> &mut Self {
        // sessionHandle, nonce (empty), attributes, hmac (empty).
        self.u32(4 + 2 + 1 + 2).u32(RS_PW).b2(&[]).u8(0).b2(&[])
    }

    /// A TPML_PCR_SELECTION of one SHA-256 PCR.
    pub fn sha256_pcr(&mut self, pcr: usize) -> &mut Self {
        let mut select = [0u8; 3];
        select[pcr / 8] |= 1 << (pcr % 8);
        self.u32(1).u16(ALG_SHA256).u8(3).raw(&select)
    }

    /// The finished command (`None` if it did not fit).
    pub fn bytes(&mut self) -> Option<&[u8]> {
        if self.overflow {
            return None;
        }
        let size = (self.len as u32).to_be_bytes();
        self.buf[2..6].copy_from_slice(&size);
        Some(&self.buf[..self.len])
    }
}

/// A TPM response as read back from the vTPM page.
pub struct Response {
    pub buf: [u8; MAX_RESPONSE],
    pub len: usize,
}

impl Response {
    pub const fn empty() -> Self {
        Self {
            buf: [0; MAX_RESPONSE],
            len: 0,
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The response code, if the header is well formed (tag, and a size
    /// field equal to the length the SVSM reported).
    pub fn rc(&self) -> Option<u32> {
        let mut r = Reader::new(self.bytes());
        let tag = r.u16()?;
        let size = r.u32()?;
        let rc = r.u32()?;
        let tag_ok = tag == ST_NO_SESSIONS || tag == ST_SESSIONS;
        (tag_ok && size as usize == self.len).then_some(rc)
    }

    /// A reader positioned after the header.
    pub fn body(&self) -> Reader<'_> {
        Reader {
            data: self.bytes(),
            at: 10,
        }
    }
}

/// Big-endian reader; every accessor is `None` past the end.
pub struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, at: 0 }
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.data.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(out)
    }

    pub fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    /// A TPM2B's contents.
    pub fn b2(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()? as usize;
        self.take(n)
    }
}
