//! The #VC handler's logic, host-testable: decode the intercepted
//! instruction, answer it (CPUID from the validated CPUID page; IOIO to the
//! allowed ports, MSR access and RDTSC/RDTSCP through the GHCB), update the
//! registers and step over the instruction.
//!
//! Anything else is a fatal error the caller reports and terminates on: the
//! SVSM executes no other intercepted instruction on purpose, so another
//! #VC means a bug or a hostile hypervisor.

use core::ops::RangeInclusive;

use crate::calls::IoSize;
use crate::cpuid::{CpuidPage, MissingLeaf, has_subleaves};
use crate::ghcb::{Ghcb, GhcbError, exit};
use crate::hw::SnpHardware;
use crate::msr_protocol::{self, MsrProtocolError};

/// The registers the handled instructions read and write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VcRegisters {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rip: u64,
}

/// Why a #VC could not be handled (every one is fatal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VcError {
    /// An exit code this handler does not serve.
    Unsupported(u64),
    /// The instruction bytes are not an instruction of the exit code.
    Decode(u64),
    /// CPUID of a leaf the CPUID page does not hold.
    Cpuid(MissingLeaf),
    /// I/O to a port outside the allowed ranges.
    Port(u16),
    /// The hypervisor failed the call.
    Ghcb(GhcbError),
    /// The hypervisor failed an MSR-protocol CPUID request (early path).
    MsrProtocol(MsrProtocolError),
}

impl From<GhcbError> for VcError {
    fn from(e: GhcbError) -> Self {
        Self::Ghcb(e)
    }
}

/// A decoded IN or OUT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PortIo {
    port: u16,
    size: IoSize,
    input: bool,
    len: u64,
}

/// Decodes the one-byte IN/OUT forms (immediate or DX port, optional 0x66
/// prefix); string and REP forms are not served.
fn decode_io(insn: &[u8], rdx: u64) -> Option<PortIo> {
    let (prefix, rest) = match insn.first()? {
        0x66 => (true, insn.get(1..)?),
        _ => (false, insn),
    };
    let opcode = *rest.first()?;
    let wide = |byte_form: bool| match (byte_form, prefix) {
        (true, _) => IoSize::Byte,
        (false, true) => IoSize::Word,
        (false, false) => IoSize::Dword,
    };
    let prefix_len = u64::from(prefix);
    let (port, len) = match opcode {
        0xe4..=0xe7 => (u16::from(*rest.get(1)?), 2),
        0xec..=0xef => (rdx as u16, 1),
        _ => return None,
    };
    Some(PortIo {
        port,
        size: wide(opcode & 1 == 0),
        input: opcode & 2 == 0,
        len: len + prefix_len,
    })
}

/// The length of the two- or three-byte instruction `expected` if `insn`
/// starts with it.
fn expect(insn: &[u8], expected: &[u8], exit_code: u64) -> Result<u64, VcError> {
    if insn.starts_with(expected) {
        Ok(expected.len() as u64)
    } else {
        Err(VcError::Decode(exit_code))
    }
}

/// Handles one #VC with error code `exit_code`; `insn` holds the bytes at
/// RIP (up to 15). On success `regs` holds the instruction's results and
/// RIP points past it; on error `regs` is unchanged.
pub fn handle<H: SnpHardware>(
    hw: &H,
    ghcb: &Ghcb,
    cpuid: &CpuidPage,
    ports: &[RangeInclusive<u16>],
    exit_code: u64,
    insn: &[u8],
    regs: &mut VcRegisters,
) -> Result<(), VcError> {
    let mut out = *regs;
    let len = match exit_code {
        exit::CPUID => {
            let len = expect(insn, &[0x0f, 0xa2], exit_code)?;
            let r = cpuid
                .lookup(regs.rax as u32, regs.rcx as u32)
                .map_err(VcError::Cpuid)?;
            out.rax = r.eax.into();
            out.rbx = r.ebx.into();
            out.rcx = r.ecx.into();
            out.rdx = r.edx.into();
            len
        }
        exit::IOIO => {
            let io = decode_io(insn, regs.rdx).ok_or(VcError::Decode(exit_code))?;
            if !ports.iter().any(|r| r.contains(&io.port)) {
                return Err(VcError::Port(io.port));
            }
            if io.input {
                let value = u64::from(ghcb.io_read(hw, io.port, io.size)?);
                out.rax = match io.size {
                    // A 32-bit destination zero-extends; narrower ones merge.
                    IoSize::Dword => value,
                    size => (regs.rax & !size.mask()) | value,
                };
            } else {
                ghcb.io_write(hw, io.port, io.size, regs.rax as u32)?;
            }
            io.len
        }
        exit::MSR => {
            if insn.starts_with(&[0x0f, 0x32]) {
                let value = ghcb.read_msr(hw, regs.rcx as u32)?;
                out.rax = value & 0xffff_ffff;
                out.rdx = value >> 32;
                2
            } else {
                let len = expect(insn, &[0x0f, 0x30], exit_code)?;
                let value = (regs.rdx << 32) | (regs.rax & 0xffff_ffff);
                ghcb.write_msr(hw, regs.rcx as u32, value)?;
                len
            }
        }
        exit::RDTSC => {
            let len = expect(insn, &[0x0f, 0x31], exit_code)?;
            let (eax, edx) = ghcb.rdtsc(hw)?;
            out.rax = eax.into();
            out.rdx = edx.into();
            len
        }
        exit::RDTSCP => {
            let len = expect(insn, &[0x0f, 0x01, 0xf9], exit_code)?;
            let (eax, edx, ecx) = ghcb.rdtscp(hw)?;
            out.rax = eax.into();
            out.rdx = edx.into();
            out.rcx = ecx.into();
            len
        }
        other => return Err(VcError::Unsupported(other)),
    };
    out.rip = regs.rip.wrapping_add(len);
    *regs = out;
    Ok(())
}

/// Handles a #VC raised before the GHCB page exists: only CPUID is served.
/// A leaf the firmware-validated CPUID page holds is answered from it (the
/// hypervisor is never asked); a leaf it lacks goes to the hypervisor
/// through the GHCB MSR protocol (no GHCB page needed), whose answers are
/// the hypervisor's word and trusted for nothing the C-bit depends on (see
/// [`crate::cbit`]). That protocol carries no subleaf, so a missing
/// subleaf-indexed leaf is asked for only with ECX = 0. `cpuid` is `None`
/// until the page is readable. Everything else (I/O included: the MSR
/// protocol has none) is refused; on error `regs` is unchanged.
pub fn handle_early<H: SnpHardware>(
    hw: &H,
    cpuid: Option<&CpuidPage>,
    exit_code: u64,
    insn: &[u8],
    regs: &mut VcRegisters,
) -> Result<(), VcError> {
    if exit_code != exit::CPUID {
        return Err(VcError::Unsupported(exit_code));
    }
    let len = expect(insn, &[0x0f, 0xa2], exit_code)?;
    let (leaf, subleaf) = (regs.rax as u32, regs.rcx as u32);
    let r = match cpuid.map(|page| page.lookup(leaf, subleaf)) {
        Some(Ok(r)) => r,
        _ if has_subleaves(leaf) && subleaf != 0 => {
            return Err(VcError::Cpuid(MissingLeaf { leaf, subleaf }));
        }
        _ => msr_protocol::cpuid(hw, leaf).map_err(VcError::MsrProtocol)?,
    };
    regs.rax = r.eax.into();
    regs.rbx = r.ebx.into();
    regs.rcx = r.ecx.into();
    regs.rdx = r.edx.into();
    regs.rip = regs.rip.wrapping_add(len);
    Ok(())
}
