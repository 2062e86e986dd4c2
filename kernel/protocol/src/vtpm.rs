//! The vTPM protocol (id 2), version 1, as the AMD SVSM specification
//! (#58019, vTPM protocol) and Linux's `tpm_svsm` driver define it.
//!
//! * SVSM_VTPM_QUERY (call 0): RCX = bitmap of the supported platform
//!   commands (bit 8, TPM_SEND_COMMAND, only), RDX = feature bits (none).
//! * SVSM_VTPM_CMD (call 1): RCX = GPA of a one-page buffer (any alignment;
//!   the whole page must be guest memory). The request, packed little
//!   endian: `u32 platform command (8)`, `u8 locality (0)`, `u32 size`, then
//!   `size` bytes of TPM command. The response overwrites the buffer:
//!   `u32 size`, then the TPM response. No output registers.
//!
//! Result codes (as COCONUT-SVSM answers them, which Linux accepts): a
//! buffer that is not all guest memory is INVALID_ADDRESS; an unknown
//! platform command, a locality other than 0 or a size beyond the page is
//! INVALID_PARAMETER. A malformed TPM command is not a protocol error: the
//! TPM answers it with its own response code.
//!
//! The TPM itself sits behind a [`VtpmBackend`] (in the kernel, a ring-3
//! service reached through a shared page; on the host, the engine called
//! directly). The protocol is offered only while a backend is present and
//! has not failed ([`crate::dispatch::Needs::Vtpm`]); once the backend
//! answers [`VtpmUnavailable`], that call and every later vTPM call answer
//! UNSUPPORTED_PROTOCOL and QUERY_PROTOCOL stops offering protocol 2.

use alloc::vec;

use zerocopy::byteorder::little_endian::U32;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::addr::{GuestPhysAddr, PAGE_SIZE};
use crate::attest::guid;
use crate::dispatch::{Args, Call, Needs, Outputs, Protocol, Svsm};
use crate::error::SvsmError;
use crate::memory::{self, GuestMemory, Rules};

pub const PROTOCOL_ID: u32 = 2;
pub const SVSM_VTPM_QUERY: u32 = 0;
pub const SVSM_VTPM_CMD: u32 = 1;

/// The one platform command served (the Microsoft simulator's
/// TPM_SEND_COMMAND).
pub const TPM_SEND_COMMAND: u32 = 8;
/// SVSM_VTPM_QUERY's RCX: one bit per supported platform command.
pub const SUPPORTED_COMMANDS: u64 = 1 << TPM_SEND_COMMAND;
/// SVSM_VTPM_QUERY's RDX: no feature is defined.
pub const FEATURES: u64 = 0;
/// The only locality accepted (the specification leaves the others
/// undefined; COCONUT-SVSM accepts 0 only).
pub const LOCALITY: u8 = 0;

/// The request and response share one page.
pub const BUFFER_SIZE: usize = PAGE_SIZE as usize;
/// Largest TPM command: the page minus the request header.
pub const MAX_COMMAND: usize = BUFFER_SIZE - size_of::<SendCommandRequest>();
/// Largest TPM response: the page minus the response header (Linux rejects
/// anything larger).
pub const MAX_RESPONSE: usize = BUFFER_SIZE - size_of::<SendCommandResponse>();

/// GUID of the vTPM service in the services manifest (COCONUT-SVSM's):
/// `c476f1eb-0123-45a5-9641-b4e7dde5bfe3`. Its manifest is the EK's public
/// area ([`VtpmBackend::ek_public`]).
pub const VTPM_SERVICE_GUID: [u8; 16] = guid(
    0xc476_f1eb,
    0x0123,
    0x45a5,
    [0x96, 0x41, 0xb4, 0xe7, 0xdd, 0x5b, 0xfe, 0xe3],
);

/// Header of the SVSM_VTPM_CMD request (9 bytes, packed); the TPM command
/// follows.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct SendCommandRequest {
    pub command: U32,
    pub locality: u8,
    pub size: U32,
}

/// Header of the SVSM_VTPM_CMD response (4 bytes); the TPM response follows.
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct SendCommandResponse {
    pub size: U32,
}

const _: () = assert!(
    size_of::<SendCommandRequest>() == 9
        && size_of::<SendCommandResponse>() == 4
        && MAX_COMMAND == 4087
        && MAX_RESPONSE == 4092
);

/// The backend cannot serve the vTPM any more (its service faulted or
/// stopped); the protocol is withdrawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VtpmUnavailable;

/// The TPM behind protocol 2.
pub trait VtpmBackend: Sync {
    /// Executes one marshalled TPM command at `locality`, writing the
    /// marshalled response into `response` ([`MAX_RESPONSE`] bytes) and
    /// returning its length. A malformed command gets a TPM error response,
    /// not an `Err`: `Err` means the TPM is gone for good.
    fn execute(
        &self,
        locality: u8,
        command: &[u8],
        response: &mut [u8],
    ) -> Result<usize, VtpmUnavailable>;

    /// The EK's public area (a marshalled TPMT_PUBLIC), the vTPM service's
    /// manifest in attestation; `None` when no EK was made.
    fn ek_public(&self) -> Option<&[u8]>;
}

pub static PROTOCOL: Protocol = Protocol {
    id: PROTOCOL_ID,
    name: "vtpm",
    min_version: 1,
    max_version: 1,
    needs: Needs::Vtpm,
    calls: &[
        Call {
            id: SVSM_VTPM_QUERY,
            name: "SVSM_VTPM_QUERY",
            handler: query,
        },
        Call {
            id: SVSM_VTPM_CMD,
            name: "SVSM_VTPM_CMD",
            handler: command,
        },
    ],
};

fn query(_: &mut Svsm<'_>, _: &dyn GuestMemory, _: Args) -> Result<Outputs, SvsmError> {
    Ok(Outputs {
        rcx: Some(SUPPORTED_COMMANDS),
        rdx: Some(FEATURES),
        r8: None,
    })
}

fn command(svsm: &mut Svsm<'_>, mem: &dyn GuestMemory, args: Args) -> Result<Outputs, SvsmError> {
    let backend = svsm.vtpm().ok_or(SvsmError::UnsupportedProtocol)?;
    let buffer = GuestPhysAddr::new(args.rcx);
    // The whole page is the guest's before any of it is read: a buffer that
    // runs into SVSM memory or past guest RAM is refused as a whole.
    memory::check(mem, buffer, PAGE_SIZE, Rules::ANY)?;
    let request: SendCommandRequest = memory::read(mem, buffer, Rules::ANY)?;
    if request.command.get() != TPM_SEND_COMMAND || request.locality != LOCALITY {
        return Err(SvsmError::InvalidParameter);
    }
    let size = usize::try_from(request.size.get()).map_err(|_| SvsmError::InvalidParameter)?;
    if size > MAX_COMMAND {
        return Err(SvsmError::InvalidParameter);
    }
    // On the heap: kernel stacks are small.
    let mut tpm_command = vec![0u8; size];
    let command_at = buffer
        .checked_add(size_of::<SendCommandRequest>() as u64)
        .ok_or(SvsmError::InvalidAddress)?;
    memory::read_bytes(mem, command_at, &mut tpm_command, Rules::ANY)?;

    let mut tpm_response = vec![0u8; MAX_RESPONSE];
    let written = match backend.execute(request.locality, &tpm_command, &mut tpm_response) {
        Ok(n) if n <= MAX_RESPONSE => n,
        // A backend claiming more than it was given is as broken as one
        // that is gone.
        Ok(_) | Err(VtpmUnavailable) => {
            svsm.vtpm_failed();
            return Err(SvsmError::UnsupportedProtocol);
        }
    };
    let header = SendCommandResponse {
        size: U32::new(written as u32),
    };
    let response_at = buffer
        .checked_add(size_of::<SendCommandResponse>() as u64)
        .ok_or(SvsmError::InvalidAddress)?;
    memory::write_bytes(mem, response_at, &tpm_response[..written], Rules::ANY)?;
    memory::write(mem, buffer, &header, Rules::ANY)?;
    Ok(Outputs::NONE)
}
