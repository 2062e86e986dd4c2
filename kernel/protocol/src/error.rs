//! The one error type of the protocol layer, and the one place where it
//! becomes a result code (and, for buffer negotiation, output registers).
//!
//! Every call handler returns `Result<Outputs, SvsmError>`; subsystems convert
//! into [`SvsmError`] with `From` ([`MemoryError`] for guest memory,
//! [`PvalidateFailure`] for the platform's page validation), so the mapping
//! to the wire lives only in [`SvsmError::to_wire`].

use crate::dispatch::Outputs;
use crate::memory::MemoryError;
use crate::platform::PvalidateFailure;

/// Result codes (RAX) of the SVSM specification.
pub mod code {
    pub const SUCCESS: u64 = 0x0000_0000;
    pub const INCOMPLETE: u64 = 0x8000_0000;
    pub const UNSUPPORTED_PROTOCOL: u64 = 0x8000_0001;
    pub const UNSUPPORTED_CALL: u64 = 0x8000_0002;
    pub const INVALID_ADDRESS: u64 = 0x8000_0003;
    pub const INVALID_FORMAT: u64 = 0x8000_0004;
    pub const INVALID_PARAMETER: u64 = 0x8000_0005;
    pub const INVALID_REQUEST: u64 = 0x8000_0006;
    pub const BUSY: u64 = 0x8000_0007;
    /// Base of the protocol-specific codes (`0x8000_1000 + n`).
    pub const PROTOCOL_BASE: u64 = 0x8000_1000;
    /// Core PVALIDATE: the instruction's FAIL_INPUT.
    pub const PVALIDATE_FAIL_INPUT: u64 = PROTOCOL_BASE + 0x01;
    /// Core PVALIDATE: the instruction's FAIL_SIZEMISMATCH.
    pub const PVALIDATE_FAIL_SIZE_MISMATCH: u64 = PROTOCOL_BASE + 0x06;
    /// Core PVALIDATE: the page was already in the requested state.
    pub const PVALIDATE_FAIL_NO_CHANGE: u64 = PROTOCOL_BASE + 0x10;
    /// Attestation: the crypto module failed while producing the report
    /// (this implementation's code; see docs/protocol.md).
    pub const ATTEST_CRYPTO_FAILURE: u64 = PROTOCOL_BASE + 0x01;
}

/// Why a call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SvsmError {
    UnsupportedProtocol,
    UnsupportedCall,
    /// An address the guest supplied is misaligned, out of range, not granted
    /// to the guest, or a structure at it crosses a page where it may not.
    InvalidAddress,
    /// A value the guest supplied is out of range, or a reserved field is not
    /// zero.
    InvalidParameter,
    /// The call is valid but cannot be carried out in this state or on this
    /// platform.
    InvalidRequest,
    /// Attestation output buffers too small: the sizes they need.
    BufferTooSmall {
        manifest: u64,
        certs: u64,
        report: u64,
    },
    /// The platform refused to (in)validate a page.
    Pvalidate(PvalidateFailure),
    /// The crypto module failed while serving an attestation call.
    CryptoFailure,
}

impl SvsmError {
    /// The result code and the output registers the guest receives (only
    /// [`SvsmError::BufferTooSmall`] has outputs; every other error leaves
    /// the guest's registers as they were).
    pub fn to_wire(self) -> (u64, Outputs) {
        let none = Outputs::NONE;
        match self {
            Self::UnsupportedProtocol => (code::UNSUPPORTED_PROTOCOL, none),
            Self::UnsupportedCall => (code::UNSUPPORTED_CALL, none),
            Self::InvalidAddress => (code::INVALID_ADDRESS, none),
            Self::InvalidParameter => (code::INVALID_PARAMETER, none),
            Self::InvalidRequest => (code::INVALID_REQUEST, none),
            Self::BufferTooSmall {
                manifest,
                certs,
                report,
            } => (
                code::INVALID_PARAMETER,
                Outputs::all(manifest, certs, report),
            ),
            Self::Pvalidate(PvalidateFailure::Input) => (code::PVALIDATE_FAIL_INPUT, none),
            Self::Pvalidate(PvalidateFailure::SizeMismatch) => {
                (code::PVALIDATE_FAIL_SIZE_MISMATCH, none)
            }
            Self::Pvalidate(PvalidateFailure::NoChange) => (code::PVALIDATE_FAIL_NO_CHANGE, none),
            Self::CryptoFailure => (code::ATTEST_CRYPTO_FAILURE, none),
        }
    }
}

impl From<MemoryError> for SvsmError {
    fn from(_: MemoryError) -> Self {
        // Every guest-memory failure (misaligned, wraps, crosses a page, not
        // granted, unreadable) is a bad address supplied by the guest.
        Self::InvalidAddress
    }
}

impl From<PvalidateFailure> for SvsmError {
    fn from(failure: PvalidateFailure) -> Self {
        Self::Pvalidate(failure)
    }
}

/// A short name for a result code, for logs and the guest harness.
pub fn code_name(rax: u64) -> &'static str {
    match rax {
        code::SUCCESS => "SUCCESS",
        code::INCOMPLETE => "INCOMPLETE",
        code::UNSUPPORTED_PROTOCOL => "UNSUPPORTED_PROTOCOL",
        code::UNSUPPORTED_CALL => "UNSUPPORTED_CALL",
        code::INVALID_ADDRESS => "INVALID_ADDRESS",
        code::INVALID_FORMAT => "INVALID_FORMAT",
        code::INVALID_PARAMETER => "INVALID_PARAMETER",
        code::INVALID_REQUEST => "INVALID_REQUEST",
        code::BUSY => "BUSY",
        code::PVALIDATE_FAIL_INPUT => "PROTOCOL_ERROR(0x1)",
        code::PVALIDATE_FAIL_SIZE_MISMATCH => "PROTOCOL_ERROR(0x6)",
        code::PVALIDATE_FAIL_NO_CHANGE => "PROTOCOL_ERROR(0x10)",
        c if c & !0xfff == code::PROTOCOL_BASE => "PROTOCOL_ERROR",
        _ => "UNKNOWN",
    }
}
