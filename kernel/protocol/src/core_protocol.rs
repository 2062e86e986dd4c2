//! The Core protocol (id 0), version 1: eight calls.
//!
//! | call | on Native |
//! |---|---|
//! | 0 REMAP_CA | served |
//! | 1 PVALIDATE | served (the platform's PVALIDATE is a no-op) |
//! | 2 CREATE_VCPU, 3 DELETE_VCPU | UNSUPPORTED_CALL (no VMSAs) |
//! | 4 DEPOSIT_MEM, 5 WITHDRAW_MEM | UNSUPPORTED_CALL (the SVSM never asks for memory) |
//! | 6 QUERY_PROTOCOL | served |
//! | 7 CONFIGURE_VTOM | query served (answers 0: no vTOM); setting: INVALID_REQUEST |

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::addr::{GuestPhysAddr, PAGE_SIZE};
use crate::dispatch::{Args, Call, Outputs, Protocol, Svsm};
use crate::error::SvsmError;
use crate::memory::{self, GuestMemory, Rules};
use crate::platform::{PageSize, PvalidateFailure};

pub const PROTOCOL_ID: u32 = 0;
pub const REMAP_CA: u32 = 0;
pub const PVALIDATE: u32 = 1;
pub const CREATE_VCPU: u32 = 2;
pub const DELETE_VCPU: u32 = 3;
pub const DEPOSIT_MEM: u32 = 4;
pub const WITHDRAW_MEM: u32 = 5;
pub const QUERY_PROTOCOL: u32 = 6;
pub const CONFIGURE_VTOM: u32 = 7;

pub static PROTOCOL: Protocol = Protocol {
    id: PROTOCOL_ID,
    name: "core",
    min_version: 1,
    max_version: 1,
    needs_crypto: false,
    calls: &[
        Call {
            id: REMAP_CA,
            name: "REMAP_CA",
            handler: remap_ca,
        },
        Call {
            id: PVALIDATE,
            name: "PVALIDATE",
            handler: pvalidate,
        },
        Call {
            id: CREATE_VCPU,
            name: "CREATE_VCPU",
            handler: create_vcpu,
        },
        Call {
            id: DELETE_VCPU,
            name: "DELETE_VCPU",
            handler: delete_vcpu,
        },
        Call {
            id: DEPOSIT_MEM,
            name: "DEPOSIT_MEM",
            handler: unsupported,
        },
        Call {
            id: WITHDRAW_MEM,
            name: "WITHDRAW_MEM",
            handler: unsupported,
        },
        Call {
            id: QUERY_PROTOCOL,
            name: "QUERY_PROTOCOL",
            handler: query_protocol,
        },
        Call {
            id: CONFIGURE_VTOM,
            name: "CONFIGURE_VTOM",
            handler: configure_vtom,
        },
    ],
};

/// A guest page that must be page aligned and granted.
fn guest_page(mem: &dyn GuestMemory, raw: u64) -> Result<GuestPhysAddr, SvsmError> {
    let gpa = GuestPhysAddr::new(raw);
    memory::check(mem, gpa, PAGE_SIZE, Rules::aligned(PAGE_SIZE))?;
    Ok(gpa)
}

fn remap_ca(svsm: &mut Svsm<'_>, mem: &dyn GuestMemory, args: Args) -> Result<Outputs, SvsmError> {
    let caa = guest_page(mem, args.rcx)?;
    svsm.caa = Some(caa);
    Ok(Outputs::NONE)
}

/// PVALIDATE request header; `u64` entries follow.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct PvalidateHeader {
    pub entries: u16,
    pub next: u16,
    /// Ignored, whatever it holds: Linux never clears it (its Calling Area
    /// page doubles as the attestation structure, so these bytes can hold a
    /// buffer address) and terminates when PVALIDATE fails; COCONUT-SVSM
    /// ignores it too.
    pub reserved: u32,
}

const HEADER_LEN: u64 = size_of::<PvalidateHeader>() as u64;
const ENTRY_LEN: u64 = size_of::<u64>() as u64;
/// Offset of `next` in the header.
const NEXT_OFFSET: u64 = 2;

/// Fields of a PVALIDATE entry.
pub mod entry {
    pub const PAGE_SIZE_MASK: u64 = 0b11;
    pub const PAGE_SIZE_2M: u64 = 1;
    pub const VALIDATE: u64 = 1 << 2;
    pub const IGNORE_NO_CHANGE: u64 = 1 << 3;
    pub const RESERVED_MASK: u64 = 0xff << 4;
    pub const GFN_SHIFT: u32 = 12;
}

struct Entry {
    gpa: GuestPhysAddr,
    size: PageSize,
    validate: bool,
    ignore_no_change: bool,
}

fn parse_entry(mem: &dyn GuestMemory, raw: u64) -> Result<Entry, SvsmError> {
    let size = match raw & entry::PAGE_SIZE_MASK {
        0 => PageSize::Size4K,
        entry::PAGE_SIZE_2M => PageSize::Size2M,
        _ => return Err(SvsmError::InvalidParameter),
    };
    if raw & entry::RESERVED_MASK != 0 {
        return Err(SvsmError::InvalidParameter);
    }
    let gpa = GuestPhysAddr::from_gfn(raw >> entry::GFN_SHIFT).ok_or(SvsmError::InvalidAddress)?;
    if !gpa.is_aligned(size.bytes()) {
        return Err(SvsmError::InvalidParameter);
    }
    memory::check(mem, gpa, size.bytes(), Rules::ANY)?;
    Ok(Entry {
        gpa,
        size,
        validate: raw & entry::VALIDATE != 0,
        ignore_no_change: raw & entry::IGNORE_NO_CHANGE != 0,
    })
}

impl Entry {
    /// Whether invalidating this entry would take from the guest a page the
    /// SVSM still has to write for this call: the page holding the request
    /// (where `next` is written back) or the Calling Area (whose
    /// `call_pending` is cleared after the call). On a platform where
    /// invalidation revokes the page, the SVSM would then write into memory
    /// it may no longer use.
    fn rescinds(&self, pages_in_use: &[Option<GuestPhysAddr>]) -> bool {
        let (start, len) = (self.gpa.raw(), self.size.bytes());
        !self.validate
            && pages_in_use
                .iter()
                .flatten()
                .any(|page| page.raw().wrapping_sub(start) < len)
    }
}

/// Processes entries `next..entries` in order, advancing `next` in the
/// guest's request after each one, so that a failed or interrupted request
/// can be resumed from the entry that failed.
///
/// An entry that would invalidate the request's own page or the Calling Area
/// ([`Entry::rescinds`]) is refused with INVALID_PARAMETER before anything is
/// done for it, `next` pointing at it: the SVSM never writes into a page the
/// same call took away. The guest invalidates such a page from a request
/// held elsewhere.
fn pvalidate(svsm: &mut Svsm<'_>, mem: &dyn GuestMemory, args: Args) -> Result<Outputs, SvsmError> {
    let request = GuestPhysAddr::new(args.rcx);
    let header: PvalidateHeader = memory::read(mem, request, Rules::aligned(8).in_one_page())?;
    if header.entries == 0 || header.next > header.entries {
        return Err(SvsmError::InvalidParameter);
    }
    // The whole request (header and entries) lies inside one page.
    let len = HEADER_LEN + u64::from(header.entries) * ENTRY_LEN;
    if !request.range_within_page(len) {
        return Err(SvsmError::InvalidParameter);
    }
    memory::check(mem, request, len, Rules::ANY)?;
    let next_at = request
        .checked_add(NEXT_OFFSET)
        .ok_or(SvsmError::InvalidAddress)?;
    let pages_in_use = [
        Some(request.page_align_down()),
        svsm.caa.map(GuestPhysAddr::page_align_down),
    ];
    for index in header.next..header.entries {
        let at = request
            .checked_add(HEADER_LEN + u64::from(index) * ENTRY_LEN)
            .ok_or(SvsmError::InvalidAddress)?;
        let raw: u64 = memory::read(mem, at, Rules::ANY)?;
        let entry = parse_entry(mem, raw)?;
        if entry.rescinds(&pages_in_use) {
            return Err(SvsmError::InvalidParameter);
        }
        match svsm
            .platform
            .pvalidate(entry.gpa, entry.size, entry.validate)
        {
            Ok(()) => {}
            Err(PvalidateFailure::NoChange) if entry.ignore_no_change => {}
            Err(failure) => return Err(failure.into()),
        }
        memory::write(mem, next_at, &(index + 1), Rules::ANY)?;
    }
    Ok(Outputs::NONE)
}

fn create_vcpu(
    svsm: &mut Svsm<'_>,
    mem: &dyn GuestMemory,
    args: Args,
) -> Result<Outputs, SvsmError> {
    if !svsm.platform.capabilities().vcpu_management {
        return Err(SvsmError::UnsupportedCall);
    }
    let vmsa = guest_page(mem, args.rcx)?;
    let caa = guest_page(mem, args.rdx)?;
    let apic_id = u32::try_from(args.r8).map_err(|_| SvsmError::InvalidParameter)?;
    svsm.platform.create_vcpu(vmsa, caa, apic_id)?;
    Ok(Outputs::NONE)
}

fn delete_vcpu(
    svsm: &mut Svsm<'_>,
    mem: &dyn GuestMemory,
    args: Args,
) -> Result<Outputs, SvsmError> {
    if !svsm.platform.capabilities().vcpu_management {
        return Err(SvsmError::UnsupportedCall);
    }
    let vmsa = guest_page(mem, args.rcx)?;
    svsm.platform.delete_vcpu(vmsa)?;
    Ok(Outputs::NONE)
}

/// DEPOSIT_MEM and WITHDRAW_MEM: the SVSM never sets `mem_available`, so it
/// never needs guest memory, and these answer UNSUPPORTED_CALL everywhere.
fn unsupported(_: &mut Svsm<'_>, _: &dyn GuestMemory, _: Args) -> Result<Outputs, SvsmError> {
    Err(SvsmError::UnsupportedCall)
}

/// RCX = protocol << 32 | version; answers RCX = max << 32 | min when that
/// protocol is offered in that version, 0 otherwise.
fn query_protocol(
    svsm: &mut Svsm<'_>,
    _: &dyn GuestMemory,
    args: Args,
) -> Result<Outputs, SvsmError> {
    let id = (args.rcx >> 32) as u32;
    let version = args.rcx as u32;
    let rcx = svsm
        .offered()
        .find(|p| p.id == id && (p.min_version..=p.max_version).contains(&version))
        .map_or(0, |p| {
            (u64::from(p.max_version) << 32) | u64::from(p.min_version)
        });
    Ok(Outputs::rcx(rcx))
}

/// RCX bit 0 set: query (no other bit may be set). Clear: configure.
fn configure_vtom(
    svsm: &mut Svsm<'_>,
    _: &dyn GuestMemory,
    args: Args,
) -> Result<Outputs, SvsmError> {
    if args.rcx & 1 != 0 {
        if args.rcx != 1 {
            return Err(SvsmError::InvalidParameter);
        }
        return Ok(Outputs::rcx(svsm.platform.vtom_query()));
    }
    svsm.platform.configure_vtom(args.rcx)?;
    Ok(Outputs::NONE)
}
