//! The GHCB calls, typed: each writes its inputs, exits, and reads back only
//! outputs the hypervisor marked valid ([`GhcbCall::output`]).

use svsm_protocol::GuestPhysAddr;

use crate::ghcb::{Field, Ghcb, GhcbCall, GhcbError, SHARED_BUFFER_SIZE, exit};
use crate::hw::SnpHardware;
use crate::msr_protocol::PageState;

/// Width of an I/O port access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoSize {
    Byte,
    Word,
    Dword,
}

impl IoSize {
    const fn exit_info_bits(self) -> u64 {
        match self {
            IoSize::Byte => 1 << 4,
            IoSize::Word => 1 << 5,
            IoSize::Dword => 1 << 6,
        }
    }

    pub const fn mask(self) -> u64 {
        match self {
            IoSize::Byte => 0xff,
            IoSize::Word => 0xffff,
            IoSize::Dword => 0xffff_ffff,
        }
    }
}

/// IOIO exit information: port in 31:16, 16-bit address size (bit 7), the
/// operand size, bit 0 set for IN.
fn ioio_info(port: u16, size: IoSize, input: bool) -> u64 {
    (u64::from(port) << 16) | (1 << 7) | size.exit_info_bits() | u64::from(input)
}

/// One entry of a page state change (GHCB spec, "Page State Change"):
/// the 4 KiB or 2 MiB page at `gpa` becomes `state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PscEntry {
    pub gpa: GuestPhysAddr,
    pub huge: bool,
    pub state: PageState,
}

impl PscEntry {
    fn encode(self) -> u64 {
        let gfn = (self.gpa.raw() >> 12) & ((1 << 40) - 1);
        (u64::from(self.huge) << 56) | ((self.state as u64) << 52) | (gfn << 12)
    }
}

/// Size of the page state change header (cur_entry u16, end_entry u16,
/// reserved u32) and of one entry.
const PSC_HEADER: usize = 8;
const PSC_ENTRY: usize = 8;
/// Entries that fit in the shared buffer.
pub const PSC_MAX_ENTRIES: usize = (SHARED_BUFFER_SIZE - PSC_HEADER) / PSC_ENTRY;

/// AP creation requests (SW_EXITINFO1 bits 31:0 of SNP_AP_CREATION).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApRequest {
    /// Create the vCPU and start it now.
    Create = 1,
    /// Destroy the vCPU.
    Destroy = 2,
}

/// A guest request's pages and its optional certificate buffer
/// (`(gpa, pages)` for the extended request).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestRequestPages {
    pub request: GuestPhysAddr,
    pub response: GuestPhysAddr,
    pub certs: Option<(GuestPhysAddr, u64)>,
}

/// What the hypervisor answered to a guest request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestRequestOutcome {
    /// The PSP answered; the response page holds its message.
    Done,
    /// The extended request's certificate buffer is too small: this many
    /// pages are needed (the PSP did not see the request).
    CertsTooSmall(u64),
    /// The hypervisor is busy (the PSP did not see the request).
    Busy,
}

/// SNP_GUEST_REQUEST's VMM error codes (SW_EXITINFO2 bits 63:32).
const VMM_ERR_INVALID_LEN: u64 = 1;
const VMM_ERR_BUSY: u64 = 2;

impl Ghcb {
    /// OUT to `port`.
    pub fn io_write<H: SnpHardware>(
        &self,
        hw: &H,
        port: u16,
        size: IoSize,
        value: u32,
    ) -> Result<(), GhcbError> {
        let call = self.begin(hw);
        call.set(Field::Rax, u64::from(value) & size.mask())?;
        call.exit(exit::IOIO, ioio_info(port, size, false), 0)
    }

    /// IN from `port`.
    pub fn io_read<H: SnpHardware>(
        &self,
        hw: &H,
        port: u16,
        size: IoSize,
    ) -> Result<u32, GhcbError> {
        let call = self.begin(hw);
        call.set(Field::Rax, 0)?;
        call.exit(exit::IOIO, ioio_info(port, size, true), 0)?;
        Ok((call.output(Field::Rax)? & size.mask()) as u32)
    }

    /// RDMSR through the hypervisor.
    pub fn read_msr<H: SnpHardware>(&self, hw: &H, msr: u32) -> Result<u64, GhcbError> {
        let call = self.begin(hw);
        call.set(Field::Rcx, u64::from(msr))?;
        call.exit(exit::MSR, 0, 0)?;
        let low = call.output(Field::Rax)? & 0xffff_ffff;
        let high = call.output(Field::Rdx)? & 0xffff_ffff;
        Ok((high << 32) | low)
    }

    /// WRMSR through the hypervisor.
    pub fn write_msr<H: SnpHardware>(&self, hw: &H, msr: u32, value: u64) -> Result<(), GhcbError> {
        let call = self.begin(hw);
        call.set(Field::Rcx, u64::from(msr))?;
        call.set(Field::Rax, value & 0xffff_ffff)?;
        call.set(Field::Rdx, value >> 32)?;
        call.exit(exit::MSR, 1, 0)
    }

    /// RDTSC through the hypervisor: (EAX, EDX).
    pub fn rdtsc<H: SnpHardware>(&self, hw: &H) -> Result<(u32, u32), GhcbError> {
        let call = self.begin(hw);
        call.exit(exit::RDTSC, 0, 0)?;
        Ok((
            call.output(Field::Rax)? as u32,
            call.output(Field::Rdx)? as u32,
        ))
    }

    /// RDTSCP through the hypervisor: (EAX, EDX, ECX).
    pub fn rdtscp<H: SnpHardware>(&self, hw: &H) -> Result<(u32, u32, u32), GhcbError> {
        let call = self.begin(hw);
        call.exit(exit::RDTSCP, 0, 0)?;
        Ok((
            call.output(Field::Rax)? as u32,
            call.output(Field::Rdx)? as u32,
            call.output(Field::Rcx)? as u32,
        ))
    }

    /// Page state change of `entries` (at most [`PSC_MAX_ENTRIES`]). The
    /// hypervisor may process the list in several exits: the call repeats
    /// until every entry is done, and fails if the hypervisor reports an
    /// error or moves the cursor backwards or out of the list.
    pub fn page_state_change<H: SnpHardware>(
        &self,
        hw: &H,
        entries: &[PscEntry],
    ) -> Result<(), GhcbError> {
        if entries.is_empty() {
            return Ok(());
        }
        if entries.len() > PSC_MAX_ENTRIES {
            return Err(GhcbError::TooLarge);
        }
        let end = (entries.len() - 1) as u16;
        let call = self.begin(hw);
        let mut list = [0u8; SHARED_BUFFER_SIZE];
        list[2..4].copy_from_slice(&end.to_le_bytes());
        for (slot, entry) in list[PSC_HEADER..].chunks_exact_mut(PSC_ENTRY).zip(entries) {
            slot.copy_from_slice(&entry.encode().to_le_bytes());
        }
        let used = PSC_HEADER + entries.len() * PSC_ENTRY;
        call.set_scratch(0, &list[..used])?;
        let mut done = 0u16;
        loop {
            call.exit(exit::SNP_PAGE_STATE_CHANGE, 0, 0)?;
            let error = call.exit_info2()?;
            if error != 0 {
                return Err(GhcbError::Call(error));
            }
            let mut header = [0u8; PSC_HEADER];
            call.read_scratch(0, &mut header)?;
            let cur = u16::from_le_bytes([header[0], header[1]]);
            let end_now = u16::from_le_bytes([header[2], header[3]]);
            // Every exit must make progress and stay within the list.
            if end_now != end || cur <= done || cur > end + 1 {
                return Err(GhcbError::BadProgress);
            }
            if cur == end + 1 {
                return Ok(());
            }
            done = cur;
            // The next exit starts from a clean save area again.
            call.rearm(used)?;
        }
    }

    /// SNP_GUEST_REQUEST (or the extended request when `pages.certs` is
    /// set): the message is already in the request page.
    pub fn guest_request<H: SnpHardware>(
        &self,
        hw: &H,
        pages: GuestRequestPages,
    ) -> Result<GuestRequestOutcome, GhcbError> {
        let call = self.begin(hw);
        let code = match pages.certs {
            Some((gpa, count)) => {
                call.set(Field::Rax, gpa.raw())?;
                call.set(Field::Rbx, count)?;
                exit::SNP_EXTENDED_GUEST_REQUEST
            }
            None => exit::SNP_GUEST_REQUEST,
        };
        call.exit(code, pages.request.raw(), pages.response.raw())?;
        let info2 = call.exit_info2()?;
        // (VMM error, firmware error)
        match (info2 >> 32, info2 & 0xffff_ffff) {
            (0, 0) => Ok(GuestRequestOutcome::Done),
            (VMM_ERR_INVALID_LEN, 0) if pages.certs.is_some() => {
                Ok(GuestRequestOutcome::CertsTooSmall(call.output(Field::Rbx)?))
            }
            (VMM_ERR_BUSY, 0) => Ok(GuestRequestOutcome::Busy),
            _ => Err(GhcbError::Call(info2)),
        }
    }

    /// SNP_AP_CREATION: `request` for the vCPU `apic_id` whose VMSA is at
    /// `vmsa` (with `sev_features` as in that VMSA), to run at `vmpl`.
    pub fn ap_creation<H: SnpHardware>(
        &self,
        hw: &H,
        request: ApRequest,
        apic_id: u32,
        vmpl: u8,
        vmsa: GuestPhysAddr,
        sev_features: u64,
    ) -> Result<(), GhcbError> {
        let call = self.begin(hw);
        call.set(Field::Rax, sev_features)?;
        let info1 = (u64::from(apic_id) << 32) | (u64::from(vmpl) << 16) | request as u64;
        call.exit(exit::SNP_AP_CREATION, info1, vmsa.raw())
    }
}

impl<H: SnpHardware> GhcbCall<'_, H> {
    /// Prepares a repeated exit of the same call: clears the valid bitmap
    /// and save area but keeps the first `scratch_len` bytes of the shared
    /// buffer (and points SW_SCRATCH at them again).
    fn rearm(&self, scratch_len: usize) -> Result<(), GhcbError> {
        let mut keep = [0u8; SHARED_BUFFER_SIZE];
        let keep = keep.get_mut(..scratch_len).ok_or(GhcbError::TooLarge)?;
        self.read_scratch(0, keep)?;
        self.clear();
        self.set_scratch(0, keep)
    }
}
