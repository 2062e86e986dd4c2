//! A simulated SEV-SNP machine for the host tests of `svsm-snp`: a
//! hypervisor ([`hypervisor`]), a reverse map ([`rmp`]) and a PSP
//! ([`psp`]) behind [`SimHardware`], the host implementation of
//! [`SnpHardware`].

pub mod hypervisor;
pub mod psp;
pub mod ram;
pub mod rmp;

use std::collections::BTreeMap;
use std::sync::Mutex;

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::memory::MemoryError;
use svsm_protocol::platform::{PageSize, PvalidateFailure};
use svsm_snp::hw::PAGE_BYTES;
use svsm_snp::hw::{
    MessagePages, PvalidateOutcome, RmpadjustFailure, SharedPage, SnpHardware, TlbFlushError,
    VmplPermissions,
};
use svsm_snp::msr_protocol::MSR_GHCB;
use svsm_snp::secrets::{SecretsPage, VMPCK_LEN, VMPCK_OFFSET};

use hypervisor::Hypervisor;
use psp::Psp;
use ram::SimRam;
use rmp::Rmp;

/// Where the simulation places the shared pages.
pub const GHCB_GPA: u64 = 0x0010_0000;
pub const REQUEST_GPA: u64 = 0x0010_1000;
pub const RESPONSE_GPA: u64 = 0x0010_2000;
pub const CERTS_GPA: u64 = 0x0010_3000;
/// Pages of the certificate buffer.
pub const CERTS_PAGES: usize = 4;

/// A secrets page as the PSP lays it out at launch (version 3): VMPCK0 is
/// `vmpck0`, VMPCK1..3 are filled with 0x11, 0x22, 0x33, and the SVSM area
/// is zero (the PSP does not fill it: the SVSM does, in the guest's copy).
pub fn secrets_page(vmpck0: [u8; 32]) -> Box<SecretsPage> {
    let mut page = Box::new([0u8; PAGE_BYTES]);
    page[0..4].copy_from_slice(&3u32.to_le_bytes());
    page[VMPCK_OFFSET..VMPCK_OFFSET + VMPCK_LEN].copy_from_slice(&vmpck0);
    for (i, fill) in [0x11u8, 0x22, 0x33].into_iter().enumerate() {
        let at = VMPCK_OFFSET + (i + 1) * VMPCK_LEN;
        page[at..at + VMPCK_LEN].fill(fill);
    }
    page
}

/// A CPUID page with `leaves`: ((EAX in, ECX in), (EAX, EBX, ECX, EDX) out).
pub fn cpuid_page(leaves: &[((u32, u32), [u32; 4])]) -> Box<[u8; PAGE_BYTES]> {
    let mut page = Box::new([0u8; PAGE_BYTES]);
    page[0..4].copy_from_slice(&(leaves.len() as u32).to_le_bytes());
    for (i, ((leaf, subleaf), out)) in leaves.iter().enumerate() {
        let at = 16 + i * 48;
        page[at..at + 4].copy_from_slice(&leaf.to_le_bytes());
        page[at + 4..at + 8].copy_from_slice(&subleaf.to_le_bytes());
        for (j, word) in out.iter().enumerate() {
            page[at + 24 + 4 * j..at + 28 + 4 * j].copy_from_slice(&word.to_le_bytes());
        }
    }
    page
}

/// Everything the simulated machine keeps, behind one lock.
pub struct Machine {
    pub msrs: BTreeMap<u32, u64>,
    pub hypervisor: Hypervisor,
    pub rmp: Rmp,
    /// Guest memory as the SVSM reaches it (checked against `rmp`).
    pub ram: SimRam,
    pub psp: Psp,
    /// Number of VMGEXITs so far.
    pub exits: u64,
    /// The VMPL the simulated SVSM runs at (0 unless a test says otherwise).
    pub vmpl: u8,
}

/// The simulated SNP hardware.
pub struct SimHardware {
    pub machine: Mutex<Machine>,
    ghcb: Box<SharedPage>,
    request: Box<SharedPage>,
    response: Box<SharedPage>,
    certs: Box<[SharedPage]>,
}

impl SimHardware {
    /// A machine whose PSP holds `vmpck0`. The shared pages start as the launch leaves all SVSM memory:
    /// private and validated.
    pub fn new(vmpck0: [u8; 32]) -> Self {
        let mut rmp = Rmp::default();
        let launch_pages = [GHCB_GPA, REQUEST_GPA, RESPONSE_GPA]
            .into_iter()
            .chain((0..CERTS_PAGES as u64).map(|i| CERTS_GPA + i * PAGE_BYTES as u64));
        for gpa in launch_pages {
            let gpa = GuestPhysAddr::new(gpa);
            let _ = rmp.update(gpa, PageSize::Size4K, true);
            let _ = rmp.pvalidate(gpa, PageSize::Size4K, true);
        }
        Self {
            machine: Mutex::new(Machine {
                msrs: BTreeMap::new(),
                hypervisor: Hypervisor::default(),
                rmp,
                ram: SimRam::default(),
                psp: Psp::new(vmpck0),
                exits: 0,
                vmpl: 0,
            }),
            ghcb: Box::new(SharedPage::new()),
            request: Box::new(SharedPage::new()),
            response: Box::new(SharedPage::new()),
            certs: (0..CERTS_PAGES).map(|_| SharedPage::new()).collect(),
        }
    }

    /// Runs `f` on the machine state.
    pub fn with<R>(&self, f: impl FnOnce(&mut Machine) -> R) -> R {
        let mut machine = self.machine.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut machine)
    }
}

impl SnpHardware for SimHardware {
    fn read_msr(&self, msr: u32) -> u64 {
        self.with(|m| m.msrs.get(&msr).copied().unwrap_or(0))
    }

    fn write_msr(&self, msr: u32, value: u64) {
        self.with(|m| m.msrs.insert(msr, value));
    }

    fn vmgexit(&self) {
        self.with(|m| {
            m.exits += 1;
            let request = m.msrs.get(&MSR_GHCB).copied().unwrap_or(0);
            if request & 0xfff != 0 {
                let answer = m.hypervisor.msr_protocol(request, &mut m.rmp);
                m.msrs.insert(MSR_GHCB, answer);
                return;
            }
            // A GHCB call: only through the registered GHCB.
            if m.hypervisor.registered_ghcb != Some(GuestPhysAddr::new(request)) {
                return;
            }
            let Machine {
                hypervisor,
                rmp,
                psp,
                ..
            } = m;
            hypervisor.ghcb_exit(
                &self.ghcb,
                GuestPhysAddr::new(request),
                &self.message_pages(),
                rmp,
                psp,
            );
        });
    }

    fn pvalidate(
        &self,
        gpa: GuestPhysAddr,
        size: PageSize,
        validate: bool,
    ) -> Result<PvalidateOutcome, PvalidateFailure> {
        self.with(|m| m.rmp.pvalidate(gpa, size, validate))
    }

    fn rmpadjust(
        &self,
        gpa: GuestPhysAddr,
        size: PageSize,
        target_vmpl: u8,
        perms: VmplPermissions,
        vmsa: bool,
    ) -> Result<(), RmpadjustFailure> {
        self.with(|m| {
            // RMPADJUST only lowers the access of a VMPL below the caller's.
            if target_vmpl <= m.vmpl {
                return Err(RmpadjustFailure::Permission);
            }
            m.rmp.rmpadjust(gpa, size, target_vmpl, perms, vmsa)
        })
    }

    fn zero_page(&self, gpa: GuestPhysAddr, size: PageSize) -> Result<(), MemoryError> {
        let zeros = vec![0u8; size.bytes() as usize];
        self.with(|m| {
            m.rmp.ops.push(rmp::PageOp::Zero { gpa, size });
            m.ram.write(&m.rmp, gpa.raw(), &zeros)
        })
    }

    fn read_guest(&self, gpa: GuestPhysAddr, out: &mut [u8]) -> Result<(), MemoryError> {
        self.with(|m| {
            m.rmp.check_not_stale(gpa.raw(), out.len() as u64);
            m.ram.read(&m.rmp, gpa.raw(), out)
        })
    }

    fn flush_guest_tlb(&self) -> Result<(), TlbFlushError> {
        self.with(|m| m.rmp.flush_tlb())
    }

    fn ghcb(&self) -> &SharedPage {
        &self.ghcb
    }

    fn ghcb_gpa(&self) -> GuestPhysAddr {
        GuestPhysAddr::new(GHCB_GPA)
    }

    fn message_pages(&self) -> MessagePages<'_> {
        MessagePages {
            request: &self.request,
            request_gpa: GuestPhysAddr::new(REQUEST_GPA),
            response: &self.response,
            response_gpa: GuestPhysAddr::new(RESPONSE_GPA),
            certs: &self.certs,
            certs_gpa: GuestPhysAddr::new(CERTS_GPA),
        }
    }
}
