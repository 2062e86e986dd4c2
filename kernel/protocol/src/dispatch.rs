//! The call dispatcher: registers in, registers out.
//!
//! `RAX = protocol << 32 | call`; parameters in RCX, RDX, R8, R9; the result
//! code comes back in RAX and outputs in RCX, RDX, R8. A register that is not
//! an output of the call comes back as the guest left it, on success and on
//! error (COCONUT-SVSM's behaviour): [`Outputs`] names only the registers a
//! call writes, and [`Svsm::handle`] touches no other. Protocols and their
//! calls are a table ([`PROTOCOLS`]); a protocol that needs the crypto module
//! is present in the table only while the module is operational, so
//! QUERY_PROTOCOL and the dispatcher agree on what is served.

use alloc::vec::Vec;

use crate::addr::GuestPhysAddr;
use crate::crypto::AttestationCrypto;
use crate::error::{SvsmError, code};
use crate::memory::{self, GuestMemory, MemoryError, Rules};
use crate::platform::Platform;
use crate::{attest, core_protocol};

/// A guest's registers as seen by the SVSM at a call (the layout is the
/// ABI's: the kernel's gate and the guest harness use the same type).
pub use svsm_abi::Registers;

/// Parameters of a call (RCX, RDX, R8, R9).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Args {
    pub rcx: u64,
    pub rdx: u64,
    pub r8: u64,
    pub r9: u64,
}

/// The output registers of a call (RCX, RDX, R8): `None` is a register the
/// call does not write, which the guest gets back unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outputs {
    pub rcx: Option<u64>,
    pub rdx: Option<u64>,
    pub r8: Option<u64>,
}

impl Outputs {
    /// A call without outputs.
    pub const NONE: Outputs = Outputs {
        rcx: None,
        rdx: None,
        r8: None,
    };

    /// A call whose only output is RCX.
    pub const fn rcx(value: u64) -> Outputs {
        Outputs {
            rcx: Some(value),
            rdx: None,
            r8: None,
        }
    }

    /// A call that writes all three output registers.
    pub const fn all(rcx: u64, rdx: u64, r8: u64) -> Outputs {
        Outputs {
            rcx: Some(rcx),
            rdx: Some(rdx),
            r8: Some(r8),
        }
    }

    /// Writes the outputs into `regs`, leaving every other register alone.
    fn apply(self, regs: &mut Registers) {
        for (value, reg) in [
            (self.rcx, &mut regs.rcx),
            (self.rdx, &mut regs.rdx),
            (self.r8, &mut regs.r8),
        ] {
            if let Some(value) = value {
                *reg = value;
            }
        }
    }
}

/// One call of a protocol.
pub type Handler = fn(&mut Svsm<'_>, &dyn GuestMemory, Args) -> Result<Outputs, SvsmError>;

pub struct Call {
    pub id: u32,
    pub name: &'static str,
    pub handler: Handler,
}

pub struct Protocol {
    pub id: u32,
    pub name: &'static str,
    pub min_version: u32,
    pub max_version: u32,
    /// Offered only while the crypto module is operational.
    pub needs_crypto: bool,
    pub calls: &'static [Call],
}

/// Every protocol this SVSM implements.
pub static PROTOCOLS: [&Protocol; 2] = [&core_protocol::PROTOCOL, &attest::PROTOCOL];

/// One service of the services manifest: its GUID and its own manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub guid: [u8; 16],
    pub manifest: Vec<u8>,
}

/// Byte 0 of the Calling Area.
const CALL_PENDING_OFFSET: u64 = 0;

/// What [`Svsm::serve`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    /// A call was pending and has been answered in the registers.
    Handled,
    /// No Calling Area is set, or its `call_pending` byte was 0: the
    /// registers were left alone.
    NotPending,
}

/// The SVSM's protocol state for one guest.
pub struct Svsm<'a> {
    pub(crate) platform: &'a dyn Platform,
    crypto: Option<&'a dyn AttestationCrypto>,
    pub(crate) services: Vec<Service>,
    pub(crate) caa: Option<GuestPhysAddr>,
}

impl<'a> Svsm<'a> {
    /// `crypto` is `None` when the crypto module is not operational; the
    /// attestation protocol is then not offered.
    pub fn new(
        platform: &'a dyn Platform,
        crypto: Option<&'a dyn AttestationCrypto>,
        services: Vec<Service>,
    ) -> Self {
        Self {
            platform,
            crypto,
            services,
            caa: None,
        }
    }

    /// Sets the guest's Calling Area (at boot: the initial one the SVSM
    /// announces; afterwards REMAP_CA changes it).
    pub fn set_calling_area(&mut self, caa: GuestPhysAddr) {
        self.caa = Some(caa);
    }

    pub fn calling_area(&self) -> Option<GuestPhysAddr> {
        self.caa
    }

    /// The crypto, if it is operational right now.
    pub(crate) fn crypto(&self) -> Option<&'a dyn AttestationCrypto> {
        self.crypto.filter(|c| c.is_operational())
    }

    /// The protocols offered right now.
    pub fn offered(&self) -> impl Iterator<Item = &'static Protocol> + '_ {
        PROTOCOLS
            .iter()
            .copied()
            .filter(|p| !p.needs_crypto || self.crypto().is_some())
    }

    /// Answers one call in `regs` (the Calling Area is not looked at): RAX
    /// becomes the result code, the call's outputs are written, every other
    /// register is left as it was.
    pub fn handle(&mut self, mem: &dyn GuestMemory, regs: &mut Registers) {
        let protocol_id = (regs.rax >> 32) as u32;
        let call_id = regs.rax as u32;
        let args = Args {
            rcx: regs.rcx,
            rdx: regs.rdx,
            r8: regs.r8,
            r9: regs.r9,
        };
        let protocol = self.offered().find(|p| p.id == protocol_id);
        let result = match protocol {
            None => Err(SvsmError::UnsupportedProtocol),
            Some(protocol) => match protocol.calls.iter().find(|c| c.id == call_id) {
                None => Err(SvsmError::UnsupportedCall),
                Some(call) => (call.handler)(self, mem, args),
            },
        };
        let (rax, out) = match result {
            Ok(out) => (code::SUCCESS, out),
            Err(e) => e.to_wire(),
        };
        regs.rax = rax;
        out.apply(regs);
    }

    /// The Calling Area protocol: answers the call in `regs` if the current
    /// Calling Area says one is pending, then clears `call_pending` there.
    pub fn serve(
        &mut self,
        mem: &dyn GuestMemory,
        regs: &mut Registers,
    ) -> Result<Served, MemoryError> {
        let Some(caa) = self.caa else {
            return Ok(Served::NotPending);
        };
        let pending_at = caa
            .checked_add(CALL_PENDING_OFFSET)
            .ok_or(MemoryError::Wraps)?;
        let pending: u8 = memory::read(mem, pending_at, Rules::ANY)?;
        if pending == 0 {
            return Ok(Served::NotPending);
        }
        self.handle(mem, regs);
        // The area the guest marked pending is the one cleared, even if the
        // call (REMAP_CA) moved the Calling Area.
        memory::write(mem, pending_at, &0u8, Rules::ANY)?;
        Ok(Served::Handled)
    }
}
