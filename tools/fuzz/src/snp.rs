//! Target: the SEV-SNP decoders of hypervisor- and PSP-written bytes
//! (`svsm-snp`): the guest-message header, the certificate table, the
//! report response, the CPUID page, the #VC instruction decode, and the GHCB
//! calls and guest requests against a hypervisor that writes the input's
//! bytes into the GHCB and the response page.
//!
//! The first byte picks the decoder; the rest is its input. Properties
//! checked beyond "no panic":
//! * a header that decodes encodes back to the same bytes (all but the
//!   unused half of the tag field, which must be zero anyway);
//! * an accepted certificate table's entries lie inside the bytes it uses;
//! * a guest request that fails has disabled requests (VMPCK0 wiped) unless
//!   it failed before anything was sent; the hostile hypervisor cannot
//!   forge a response, so none succeeds;
//! * a #VC that fails leaves the registers unchanged, one that succeeds
//!   moves RIP forward by at most 15 bytes.

use std::sync::atomic::{AtomicU64, Ordering};

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::memory::MemoryError;
use svsm_protocol::platform::{PageSize, PvalidateFailure};
use svsm_snp::calls::{IoSize, PscEntry};
use svsm_snp::certs;
use svsm_snp::cpuid::CpuidPage;
use svsm_snp::ghcb::{Ghcb, exit};
use svsm_snp::greq::{GuestRequestError, GuestRequester};
use svsm_snp::guest_msg::{self, HEADER_SIZE, Header, MsgType, REPORT_RESPONSE_SIZE};
use svsm_snp::hw::{
    MessagePages, PAGE_BYTES, PvalidateOutcome, RmpadjustFailure, SharedPage, SnpHardware,
    TlbFlushError, VmplPermissions,
};
use svsm_snp::msr_protocol::PageState;
use svsm_snp::vc::{self, VcRegisters};

use crate::input::Input;

/// A hypervisor that answers every VMGEXIT by writing `answer` over the
/// GHCB and the response page, and the MSR with its first 8 bytes.
struct Hostile {
    answer: Vec<u8>,
    msr: AtomicU64,
    ghcb: Box<SharedPage>,
    request: Box<SharedPage>,
    response: Box<SharedPage>,
    certs: Box<[SharedPage]>,
}

impl Hostile {
    fn new(answer: &[u8]) -> Self {
        Self {
            answer: answer.to_vec(),
            msr: AtomicU64::new(0),
            ghcb: Box::new(SharedPage::new()),
            request: Box::new(SharedPage::new()),
            response: Box::new(SharedPage::new()),
            certs: (0..2).map(|_| SharedPage::new()).collect(),
        }
    }
}

impl SnpHardware for Hostile {
    fn read_msr(&self, _msr: u32) -> u64 {
        self.msr.load(Ordering::Relaxed)
    }

    fn write_msr(&self, _msr: u32, value: u64) {
        self.msr.store(value, Ordering::Relaxed);
    }

    fn vmgexit(&self) {
        let n = self.answer.len().min(PAGE_BYTES);
        let _ = self.ghcb.write(0, &self.answer[..n]);
        let _ = self.response.write(0, &self.answer[..n]);
        let mut word = [0u8; 8];
        word[..n.min(8)].copy_from_slice(&self.answer[..n.min(8)]);
        self.msr.store(u64::from_le_bytes(word), Ordering::Relaxed);
    }

    fn pvalidate(
        &self,
        _: GuestPhysAddr,
        _: PageSize,
        _: bool,
    ) -> Result<PvalidateOutcome, PvalidateFailure> {
        Ok(PvalidateOutcome::Changed)
    }

    fn rmpadjust(
        &self,
        _: GuestPhysAddr,
        _: PageSize,
        _: u8,
        _: VmplPermissions,
        _: bool,
    ) -> Result<(), RmpadjustFailure> {
        Ok(())
    }

    // The decoders never reach guest memory; refusing keeps it so.
    fn zero_page(&self, _: GuestPhysAddr, _: PageSize) -> Result<(), MemoryError> {
        Err(MemoryError::NotGranted)
    }

    fn read_guest(&self, _: GuestPhysAddr, _: &mut [u8]) -> Result<(), MemoryError> {
        Err(MemoryError::NotGranted)
    }

    fn flush_guest_tlb(&self) -> Result<(), TlbFlushError> {
        Ok(())
    }

    fn ghcb(&self) -> &SharedPage {
        &self.ghcb
    }

    fn ghcb_gpa(&self) -> GuestPhysAddr {
        GuestPhysAddr::new(0x10_0000)
    }

    fn message_pages(&self) -> MessagePages<'_> {
        MessagePages {
            request: &self.request,
            request_gpa: GuestPhysAddr::new(0x10_1000),
            response: &self.response,
            response_gpa: GuestPhysAddr::new(0x10_2000),
            certs: &self.certs,
            certs_gpa: GuestPhysAddr::new(0x10_3000),
        }
    }
}

fn page(bytes: &[u8]) -> Box<[u8; PAGE_BYTES]> {
    let mut page = Box::new([0u8; PAGE_BYTES]);
    let n = bytes.len().min(PAGE_BYTES);
    page[..n].copy_from_slice(&bytes[..n]);
    page
}

/// Runs one input.
pub fn one_input(data: &[u8]) {
    let mut input = Input::new(data);
    let op = input.u8();
    let rest = input.take(usize::MAX);
    match op % 6 {
        0 => header(rest),
        1 => cert_table(rest),
        2 => cpuid(rest),
        3 => ghcb_calls(rest),
        4 => guest_request(rest),
        _ => vc_decode(rest),
    }
}

fn header(rest: &[u8]) {
    let mut bytes = [0u8; HEADER_SIZE];
    let n = rest.len().min(HEADER_SIZE);
    bytes[..n].copy_from_slice(&rest[..n]);
    if let Ok(h) = Header::decode(&bytes) {
        assert_eq!(h.encode(), bytes, "decode/encode round trip");
    }
    let _ = guest_msg::report_from_response(rest);
}

fn cert_table(rest: &[u8]) {
    if let Ok(used) = certs::table_len(rest) {
        assert!(used <= rest.len());
        for e in certs::entries(&rest[..used]) {
            assert!(e.offset + e.len <= used, "entry outside the table's bytes");
        }
    }
}

fn cpuid(rest: &[u8]) {
    let mut input = Input::new(rest);
    let leaf = input.u32();
    let subleaf = input.u32();
    if let Ok(page) = CpuidPage::parse(&page(input.take(PAGE_BYTES))) {
        let _ = page.lookup(leaf, subleaf);
    }
}

fn ghcb_calls(rest: &[u8]) {
    let hw = Hostile::new(rest);
    let ghcb = Ghcb::new();
    let _ = ghcb.io_read(&hw, 0x3f8, IoSize::Byte);
    let _ = ghcb.read_msr(&hw, 0x10);
    let _ = ghcb.rdtscp(&hw);
    let entry = PscEntry {
        gpa: GuestPhysAddr::new(0x20_0000),
        huge: false,
        state: PageState::Shared,
    };
    let _ = ghcb.page_state_change(&hw, &[entry; 3]);
    let _ = svsm_snp::msr_protocol::sev_info(&hw);
    let _ = svsm_snp::msr_protocol::register_ghcb(&hw, hw.ghcb_gpa());
}

fn guest_request(rest: &[u8]) {
    let hw = Hostile::new(rest);
    let ghcb = Ghcb::new();
    let Ok(key) = svsm_crypto::host::module().aes_gcm_key(&[0x5a; 32]) else {
        panic!("the host module loads a 32-byte key");
    };
    let mut requester = GuestRequester::new(key);
    let mut response = [0u8; REPORT_RESPONSE_SIZE];
    let payload = guest_msg::report_request(&[1; 64], 0);
    let result = requester.request(
        &hw,
        &ghcb,
        MsgType::ReportRequest,
        &payload,
        &mut response,
        rest.first().is_some_and(|b| b & 1 == 1),
    );
    match result {
        Ok(_) => panic!("a response forged without VMPCK0 was accepted"),
        Err(GuestRequestError::Disabled | GuestRequestError::TooLarge) => {
            panic!("the first request was refused before sending")
        }
        Err(_) => assert!(
            !requester.is_enabled(),
            "a failed exchange must wipe VMPCK0"
        ),
    }
}

fn vc_decode(rest: &[u8]) {
    let mut input = Input::new(rest);
    let code = match input.u8() % 6 {
        0 => exit::CPUID,
        1 => exit::IOIO,
        2 => exit::MSR,
        3 => exit::RDTSC,
        4 => exit::RDTSCP,
        _ => u64::from(input.u16()),
    };
    let before = VcRegisters {
        rax: input.u64(),
        rbx: input.u64(),
        rcx: input.u64(),
        rdx: input.u64(),
        rip: input.u64(),
    };
    let insn = input.take(15);
    let cpuid = CpuidPage::parse(&page(input.take(PAGE_BYTES)))
        .unwrap_or_else(|_| CpuidPage::parse(&page(&[])).expect("an empty page parses"));
    let hw = Hostile::new(input.take(usize::MAX));
    let mut regs = before;
    let ports = [0x3f8..=0x3ff];
    match vc::handle(&hw, &Ghcb::new(), &cpuid, &ports, code, insn, &mut regs) {
        Ok(()) => {
            let step = regs.rip.wrapping_sub(before.rip);
            assert!((1..=15).contains(&step), "RIP moved by {step}");
        }
        Err(_) => assert_eq!(regs, before, "a failed #VC changed registers"),
    }
}
