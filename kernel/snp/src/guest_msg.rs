//! Guest messages to the PSP (SEV-SNP firmware ABI, "Guest Messages"): the
//! 0x60-byte header, its encoding and the checks of a response header.
//!
//! Decoding never trusts the bytes: they come from a page the hypervisor
//! writes. The payload is sealed with AES-256-GCM under a VMPCK, the
//! additional data is the header from [`AAD_OFFSET`] on, the IV is the
//! message sequence number (little endian, zero-padded to 12 bytes), and the
//! tag sits at offset 0.

use crate::hw::PAGE_BYTES;

/// Size of the header.
pub const HEADER_SIZE: usize = 0x60;
/// Start of the header bytes that are the additional authenticated data.
pub const AAD_OFFSET: usize = 0x30;
/// The largest payload that fits one page with its header.
pub const MAX_PAYLOAD: usize = PAGE_BYTES - HEADER_SIZE;
/// Length of the AES-256-GCM tag used (the field is 32 bytes).
pub const TAG_LEN: usize = 16;

/// AEAD algorithm 1: AES-256-GCM.
pub const ALGO_AES_256_GCM: u8 = 1;
/// Header version 1.
pub const HEADER_VERSION: u8 = 1;
/// Message version of MSG_REPORT_REQ/RSP used here.
pub const MSG_VERSION: u8 = 1;

/// Message types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MsgType {
    ReportRequest = 5,
    ReportResponse = 6,
}

impl MsgType {
    /// The type the PSP answers this request with.
    pub const fn response(self) -> Option<MsgType> {
        match self {
            MsgType::ReportRequest => Some(MsgType::ReportResponse),
            MsgType::ReportResponse => None,
        }
    }

    pub const fn from_u8(value: u8) -> Option<Self> {
        match value {
            5 => Some(MsgType::ReportRequest),
            6 => Some(MsgType::ReportResponse),
            _ => None,
        }
    }
}

/// A decoded header (the fields this SVSM uses; reserved bytes are zero
/// when encoded and must be zero when decoded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub tag: [u8; TAG_LEN],
    pub seqno: u64,
    pub msg_type: MsgType,
    pub msg_size: u16,
    pub vmpck: u8,
}

/// Why a header was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    Algorithm(u8),
    HeaderVersion(u8),
    HeaderSize(u16),
    MsgType(u8),
    MsgVersion(u8),
    /// The payload size does not fit the page.
    MsgSize(u16),
    Vmpck(u8),
    /// A reserved byte (or the unused half of the tag field) is not zero.
    Reserved,
}

impl Header {
    /// The header of a message of `msg_type` under VMPCK0 with sequence
    /// number `seqno` and a payload of `msg_size` bytes, before sealing
    /// (tag zero).
    pub const fn unsealed(msg_type: MsgType, seqno: u64, msg_size: u16) -> Self {
        Self {
            tag: [0; TAG_LEN],
            seqno,
            msg_type,
            msg_size,
            vmpck: 0,
        }
    }

    pub fn encode(&self) -> [u8; HEADER_SIZE] {
        let mut out = [0u8; HEADER_SIZE];
        out[..TAG_LEN].copy_from_slice(&self.tag);
        out[0x20..0x28].copy_from_slice(&self.seqno.to_le_bytes());
        out[0x30] = ALGO_AES_256_GCM;
        out[0x31] = HEADER_VERSION;
        out[0x32..0x34].copy_from_slice(&(HEADER_SIZE as u16).to_le_bytes());
        out[0x34] = self.msg_type as u8;
        out[0x35] = MSG_VERSION;
        out[0x36..0x38].copy_from_slice(&self.msg_size.to_le_bytes());
        out[0x3c] = self.vmpck;
        out
    }

    /// Decodes and checks every field against what this SVSM sends and
    /// accepts (algorithm, versions, sizes, reserved bytes).
    pub fn decode(bytes: &[u8; HEADER_SIZE]) -> Result<Self, HeaderError> {
        let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
        if bytes[0x30] != ALGO_AES_256_GCM {
            return Err(HeaderError::Algorithm(bytes[0x30]));
        }
        if bytes[0x31] != HEADER_VERSION {
            return Err(HeaderError::HeaderVersion(bytes[0x31]));
        }
        if u16_at(0x32) != HEADER_SIZE as u16 {
            return Err(HeaderError::HeaderSize(u16_at(0x32)));
        }
        let msg_type = MsgType::from_u8(bytes[0x34]).ok_or(HeaderError::MsgType(bytes[0x34]))?;
        if bytes[0x35] != MSG_VERSION {
            return Err(HeaderError::MsgVersion(bytes[0x35]));
        }
        let msg_size = u16_at(0x36);
        if usize::from(msg_size) > MAX_PAYLOAD {
            return Err(HeaderError::MsgSize(msg_size));
        }
        if bytes[0x3c] > 3 {
            return Err(HeaderError::Vmpck(bytes[0x3c]));
        }
        let reserved_zero = bytes[TAG_LEN..0x20]
            .iter()
            .chain(&bytes[0x28..0x30])
            .chain(&bytes[0x38..0x3c])
            .chain(&bytes[0x3d..HEADER_SIZE])
            .all(|b| *b == 0);
        if !reserved_zero {
            return Err(HeaderError::Reserved);
        }
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&bytes[..TAG_LEN]);
        let mut seqno = [0u8; 8];
        seqno.copy_from_slice(&bytes[0x20..0x28]);
        Ok(Self {
            tag,
            seqno: u64::from_le_bytes(seqno),
            msg_type,
            msg_size,
            vmpck: bytes[0x3c],
        })
    }
}

/// The AES-GCM IV of the message with sequence number `seqno`.
pub fn iv(seqno: u64) -> [u8; 12] {
    let mut iv = [0u8; 12];
    iv[..8].copy_from_slice(&seqno.to_le_bytes());
    iv
}

/// MSG_REPORT_REQ payload: REPORT_DATA, the VMPL to report, the key
/// selection (0: VLEK if installed, else VCEK), reserved.
pub const REPORT_REQUEST_SIZE: usize = 0x60;

pub fn report_request(report_data: &[u8; 64], vmpl: u32) -> [u8; REPORT_REQUEST_SIZE] {
    let mut out = [0u8; REPORT_REQUEST_SIZE];
    out[..64].copy_from_slice(report_data);
    out[64..68].copy_from_slice(&vmpl.to_le_bytes());
    out
}

/// Size of the ATTESTATION_REPORT structure.
pub const REPORT_SIZE: usize = 0x4a0;
/// MSG_REPORT_RSP payload: status, report size, reserved, the report.
pub const REPORT_RESPONSE_SIZE: usize = 0x20 + REPORT_SIZE;

/// Why a MSG_REPORT_RSP payload was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportResponseError {
    /// The firmware's status (non-zero).
    Status(u32),
    /// The report size is not [`REPORT_SIZE`].
    Size(u32),
    /// The payload is not [`REPORT_RESPONSE_SIZE`] bytes.
    Length(usize),
}

/// The report inside a MSG_REPORT_RSP payload.
pub fn report_from_response(payload: &[u8]) -> Result<&[u8], ReportResponseError> {
    if payload.len() != REPORT_RESPONSE_SIZE {
        return Err(ReportResponseError::Length(payload.len()));
    }
    let status = u32::from_le_bytes([payload[0], payload[1], payload[2], payload[3]]);
    if status != 0 {
        return Err(ReportResponseError::Status(status));
    }
    let size = u32::from_le_bytes([payload[4], payload[5], payload[6], payload[7]]);
    if size as usize != REPORT_SIZE {
        return Err(ReportResponseError::Size(size));
    }
    Ok(&payload[0x20..])
}
