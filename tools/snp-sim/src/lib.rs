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
use svsm_snp::hw::{
    MessagePages, PvalidateOutcome, RmpadjustFailure, SharedPage, SnpHardware, VmplPermissions,
};
use svsm_snp::msr_protocol::MSR_GHCB;

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
    /// A machine whose PSP holds `vmpck0`.
    pub fn new(vmpck0: [u8; 32]) -> Self {
        Self {
            machine: Mutex::new(Machine {
                msrs: BTreeMap::new(),
                hypervisor: Hypervisor::default(),
                rmp: Rmp::default(),
                ram: SimRam::default(),
                psp: Psp::new(vmpck0),
                exits: 0,
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
            }
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
        self.with(|m| m.rmp.rmpadjust(gpa, size, target_vmpl, perms, vmsa))
    }

    fn zero_page(&self, gpa: GuestPhysAddr, size: PageSize) -> Result<(), MemoryError> {
        let zeros = vec![0u8; size.bytes() as usize];
        self.with(|m| m.ram.write(&m.rmp, gpa.raw(), &zeros))
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
