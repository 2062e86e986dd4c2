//! The simulated hypervisor: answers the GHCB MSR protocol and the GHCB
//! calls the SVSM makes, honestly unless a [`Misbehaviour`] says otherwise.

use std::collections::BTreeMap;

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::platform::PageSize;
use svsm_snp::ghcb::{Field, SHARED_BUFFER, VALID_BITMAP, exit};
use svsm_snp::hw::{MessagePages, PAGE_BYTES, SharedPage};
use svsm_snp::msr_protocol::{PageState, info};

use crate::psp::Psp;
use crate::rmp::Rmp;

/// Ways the hypervisor lies or fails, for the hostile tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Misbehaviour {
    /// Writes this into SW_EXITINFO1 instead of 0 after every GHCB call.
    pub exit_info1: Option<u64>,
    /// Leaves the valid bitmap clear after writing the outputs.
    pub omit_valid_bits: bool,
    /// Answers a guest request with this SW_EXITINFO2 without calling the
    /// PSP.
    pub guest_request_error: Option<u64>,
    /// Processes at most this many page-state entries per exit (0: none).
    pub psc_batch: Option<usize>,
    /// Answers a page state change with this error.
    pub psc_error: Option<u64>,
    /// Writes this cur_entry back instead of the true one.
    pub psc_cursor: Option<u16>,
    /// Fails every 2 MiB page-state entry, as a hypervisor backing the guest
    /// with 4 KiB pages may.
    pub psc_refuse_2m: bool,
    /// Fails the next this many page state changes (error 1, nothing
    /// done), then behaves.
    pub psc_fail_next: u32,
}

/// An AP creation request as the hypervisor received it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApCreation {
    pub request: u32,
    pub vmpl: u8,
    pub apic_id: u32,
    pub vmsa: GuestPhysAddr,
    pub sev_features: u64,
}

/// The hypervisor's state and how it behaves.
pub struct Hypervisor {
    /// The GHCB GPA the guest registered.
    pub registered_ghcb: Option<GuestPhysAddr>,
    /// Hypervisor features it announces (bits of
    /// [`svsm_snp::msr_protocol::hv_features`]).
    pub features: u64,
    /// The termination request, once the guest sent one: (set, code).
    pub terminated: Option<(u8, u8)>,
    /// OUTs seen: (port, value).
    pub io_writes: Vec<(u16, u32)>,
    /// What INs read, by port (0xff when absent).
    pub io_inputs: BTreeMap<u16, u32>,
    /// MSRs the hypervisor emulates.
    pub msrs: BTreeMap<u32, u64>,
    /// What it answers to MSR-protocol CPUID requests, by leaf (EAX..EDX;
    /// zeros when absent).
    pub cpuid: BTreeMap<u32, [u32; 4]>,
    /// The time-stamp counter it reports (advances by 1000 per read).
    pub tsc: u64,
    /// The certificate table it hands out with extended guest requests.
    pub certificates: Vec<u8>,
    pub ap_creations: Vec<ApCreation>,
    /// GHCB exits that reached a guest request (PSP calls).
    pub guest_requests: u64,
    pub misbehave: Misbehaviour,
}

impl Default for Hypervisor {
    fn default() -> Self {
        Self {
            registered_ghcb: None,
            features: svsm_snp::msr_protocol::hv_features::REQUIRED,
            terminated: None,
            io_writes: Vec::new(),
            io_inputs: BTreeMap::new(),
            msrs: BTreeMap::new(),
            cpuid: BTreeMap::new(),
            tsc: 0,
            certificates: Vec::new(),
            ap_creations: Vec::new(),
            guest_requests: 0,
            misbehave: Misbehaviour::default(),
        }
    }
}

/// Writes an output field and, unless told to omit it, its valid bit.
fn set_output(page: &SharedPage, field: Field, value: u64, mark: bool) {
    let _ = page.write_u64(field.offset(), value);
    if mark {
        let bit = field.valid_bit();
        let mut byte = [0u8];
        let _ = page.read(VALID_BITMAP + bit / 8, &mut byte);
        let _ = page.write(VALID_BITMAP + bit / 8, &[byte[0] | (1 << (bit % 8))]);
    }
}

fn field(page: &SharedPage, field: Field) -> u64 {
    page.read_u64(field.offset()).unwrap_or(0)
}

impl Hypervisor {
    /// Answers an MSR-protocol request; returns the new GHCB MSR value.
    pub fn msr_protocol(&mut self, request: u64, rmp: &mut Rmp) -> u64 {
        match request & 0xfff {
            info::SEV_INFO_REQUEST => (2 << 48) | (2 << 32) | (51 << 24) | info::SEV_INFO_RESPONSE,
            info::CPUID_REQUEST => {
                let leaf = (request >> 32) as u32;
                let register = ((request >> 30) & 3) as usize;
                let value = self.cpuid.get(&leaf).map_or(0, |r| r[register]);
                (u64::from(value) << 32) | info::CPUID_RESPONSE
            }
            info::HV_FEATURES_REQUEST => (self.features << 12) | info::HV_FEATURES_RESPONSE,
            info::REGISTER_GHCB_REQUEST => {
                let gpa = request & !0xfff;
                self.registered_ghcb = Some(GuestPhysAddr::new(gpa));
                gpa | info::REGISTER_GHCB_RESPONSE
            }
            info::PAGE_STATE_REQUEST => {
                let gpa = GuestPhysAddr::new(request & 0x000f_ffff_ffff_f000);
                let error = u64::from(!self.change_state(
                    rmp,
                    gpa,
                    PageSize::Size4K,
                    (request >> 52) & 0xf,
                ));
                (error << 32) | info::PAGE_STATE_RESPONSE
            }
            info::TERMINATE_REQUEST => {
                self.terminated = Some((((request >> 12) & 0xf) as u8, (request >> 16) as u8));
                request
            }
            // Unknown request: the spec lets the hypervisor answer anything;
            // this one echoes it, which the guest must reject.
            _ => request,
        }
    }

    /// Applies one page state operation; false for an unknown operation.
    fn change_state(&self, rmp: &mut Rmp, gpa: GuestPhysAddr, size: PageSize, op: u64) -> bool {
        // RMPUPDATE refuses a misaligned page, a 4 KiB page inside a 2 MiB
        // one, or an in-use VMSA.
        match op {
            x if x == PageState::Private as u64 => rmp.update(gpa, size, true).is_ok(),
            x if x == PageState::Shared as u64 => rmp.update(gpa, size, false).is_ok(),
            _ => false,
        }
    }

    /// Answers the GHCB call in `page` (the guest exited with the GHCB GPA
    /// in the MSR).
    pub fn ghcb_exit(
        &mut self,
        page: &SharedPage,
        ghcb_gpa: GuestPhysAddr,
        pages: &MessagePages<'_>,
        rmp: &mut Rmp,
        psp: &mut Psp,
    ) {
        let mark = !self.misbehave.omit_valid_bits;
        let code = field(page, Field::SwExitCode);
        let info1 = field(page, Field::SwExitInfo1);
        // The outputs replace the inputs: the hypervisor clears the bitmap.
        let _ = page.write(VALID_BITMAP, &[0; 16]);
        let mut info2 = 0;
        match code {
            exit::IOIO => {
                let port = (info1 >> 16) as u16;
                if info1 & 1 == 1 {
                    let value = self.io_inputs.get(&port).copied().unwrap_or(0xff);
                    set_output(page, Field::Rax, value.into(), mark);
                } else {
                    self.io_writes.push((port, field(page, Field::Rax) as u32));
                }
            }
            exit::MSR => {
                let msr = field(page, Field::Rcx) as u32;
                if info1 == 0 {
                    let value = self.msrs.get(&msr).copied().unwrap_or(0);
                    set_output(page, Field::Rax, value & 0xffff_ffff, mark);
                    set_output(page, Field::Rdx, value >> 32, mark);
                } else {
                    let value =
                        (field(page, Field::Rdx) << 32) | (field(page, Field::Rax) & 0xffff_ffff);
                    self.msrs.insert(msr, value);
                }
            }
            exit::RDTSC | exit::RDTSCP => {
                self.tsc += 1000;
                set_output(page, Field::Rax, self.tsc & 0xffff_ffff, mark);
                set_output(page, Field::Rdx, self.tsc >> 32, mark);
                if code == exit::RDTSCP {
                    set_output(page, Field::Rcx, 0, mark);
                }
            }
            exit::SNP_PAGE_STATE_CHANGE => info2 = self.page_state_change(page, ghcb_gpa, rmp),
            exit::SNP_GUEST_REQUEST | exit::SNP_EXTENDED_GUEST_REQUEST => {
                let extended = code == exit::SNP_EXTENDED_GUEST_REQUEST;
                info2 = self.guest_request(page, pages, extended, info1, psp, mark);
            }
            exit::SNP_AP_CREATION => self.ap_creations.push(ApCreation {
                request: info1 as u32 & 0xfff,
                vmpl: (info1 >> 16) as u8,
                apic_id: (info1 >> 32) as u32,
                vmsa: GuestPhysAddr::new(field(page, Field::SwExitInfo2)),
                sev_features: field(page, Field::Rax),
            }),
            // Unknown exit: ask for a #UD to be injected.
            _ => {
                set_output(page, Field::SwExitInfo1, 1, true);
                set_output(page, Field::SwExitInfo2, (1 << 31) | (3 << 8) | 6, true);
                return;
            }
        }
        set_output(
            page,
            Field::SwExitInfo1,
            self.misbehave.exit_info1.unwrap_or(0),
            true,
        );
        set_output(page, Field::SwExitInfo2, info2, true);
    }

    fn page_state_change(
        &mut self,
        page: &SharedPage,
        ghcb_gpa: GuestPhysAddr,
        rmp: &mut Rmp,
    ) -> u64 {
        if let Some(error) = self.misbehave.psc_error {
            return error;
        }
        if self.misbehave.psc_fail_next > 0 {
            self.misbehave.psc_fail_next -= 1;
            return 1;
        }
        // The list must be in the GHCB's shared buffer.
        let scratch = field(page, Field::SwScratch);
        if scratch != ghcb_gpa.raw() + SHARED_BUFFER as u64 {
            return 1;
        }
        let mut header = [0u8; 8];
        let _ = page.read(SHARED_BUFFER, &mut header);
        let mut cur = u16::from_le_bytes([header[0], header[1]]);
        let end = u16::from_le_bytes([header[2], header[3]]);
        let batch = self.misbehave.psc_batch.unwrap_or(usize::MAX);
        let mut done = 0;
        while cur <= end && done < batch {
            let entry = page
                .read_u64(SHARED_BUFFER + 8 + usize::from(cur) * 8)
                .unwrap_or(0);
            let gpa = GuestPhysAddr::new(entry & 0x000f_ffff_ffff_f000);
            let size = if entry >> 56 & 1 == 1 {
                if self.misbehave.psc_refuse_2m {
                    return 1;
                }
                PageSize::Size2M
            } else {
                PageSize::Size4K
            };
            if !self.change_state(rmp, gpa, size, (entry >> 52) & 0xf) {
                return 1;
            }
            cur += 1;
            done += 1;
        }
        let cur = self.misbehave.psc_cursor.unwrap_or(cur);
        let _ = page.write(SHARED_BUFFER, &cur.to_le_bytes());
        0
    }

    fn guest_request(
        &mut self,
        page: &SharedPage,
        pages: &MessagePages<'_>,
        extended: bool,
        info1: u64,
        psp: &mut Psp,
        mark: bool,
    ) -> u64 {
        if let Some(error) = self.misbehave.guest_request_error {
            return error;
        }
        let info2 = field(page, Field::SwExitInfo2);
        if info1 != pages.request_gpa.raw() || info2 != pages.response_gpa.raw() {
            return 1 << 32;
        }
        if extended {
            let certs_gpa = field(page, Field::Rax);
            let count = field(page, Field::Rbx) as usize;
            let needed = self.certificates.len().div_ceil(PAGE_BYTES);
            if certs_gpa != pages.certs_gpa.raw() || count > pages.certs.len() {
                return 1 << 32;
            }
            if needed > count {
                set_output(page, Field::Rbx, needed as u64, mark);
                return 1 << 32;
            }
            for (chunk, dst) in self.certificates.chunks(PAGE_BYTES).zip(pages.certs) {
                dst.clear();
                let _ = dst.write(0, chunk);
            }
        }
        self.guest_requests += 1;
        let mut request = vec![0u8; PAGE_BYTES];
        let _ = pages.request.read(0, &mut request);
        match psp.handle(&request) {
            Ok(response) => {
                pages.response.clear();
                let _ = pages.response.write(0, &response);
                0
            }
            Err(fw_error) => u64::from(fw_error),
        }
    }
}

/// A certificate table of `entries` (GUID, certificate bytes), as a
/// hypervisor hands it out.
pub fn cert_table(entries: &[([u8; 16], &[u8])]) -> Vec<u8> {
    let table_len = (entries.len() + 1) * svsm_snp::certs::ENTRY_SIZE;
    let mut table = vec![0u8; table_len];
    let mut blobs = Vec::new();
    for (i, (guid, cert)) in entries.iter().enumerate() {
        let at = i * svsm_snp::certs::ENTRY_SIZE;
        let offset = (table_len + blobs.len()) as u32;
        table[at..at + 16].copy_from_slice(guid);
        table[at + 16..at + 20].copy_from_slice(&offset.to_le_bytes());
        table[at + 20..at + 24].copy_from_slice(&(cert.len() as u32).to_le_bytes());
        blobs.extend_from_slice(cert);
    }
    table.extend_from_slice(&blobs);
    table
}
