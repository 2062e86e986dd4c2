//! SEV-SNP on the real machine: [`Machine`], the [`SnpHardware`] of the
//! `svsm-snp` crate with the privileged instructions in inline assembly,
//! the pages shared with the hypervisor, and the bring-up checks.
//!
//! What runs today (reviewed against the APM and the GHCB specification,
//! never executed: no SNP hardware is reachable from this project): the
//! SEV_STATUS check and the VMPL0 check, each stopping the boot with a
//! clear message and a GHCB termination request. The GHCB cannot be set up
//! yet: the kernel's page tables carry no C-bit, so no page can be mapped
//! as shared (nor private pages as encrypted), and the launch pages (CPUID,
//! secrets) below 1 MiB are not mapped. The bring-up stops there with
//! [`SnpStop::PagingWithoutCbit`]; everything after it (GHCB calls, #VC,
//! guest requests, attestation) is the `svsm-snp` crate, exercised by the
//! simulation in `tools/snp-sim`. See docs/snp.md.

use core::arch::asm;
use core::fmt;
use core::ops::RangeInclusive;

use spin::Once;

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::memory::MemoryError;
use svsm_protocol::platform::{PageSize, PvalidateFailure};
use svsm_snp::SnpPlatform;
use svsm_snp::boot::{self, BootError, MSR_SEV_STATUS};
use svsm_snp::hw::{
    MessagePages, PvalidateOutcome, RmpadjustFailure, SharedPage, SnpHardware, VmplPermissions,
};
use svsm_snp::msr_protocol;
use svsm_snp::vc::VcRegisters;
use x86_64::registers::model_specific::Msr;

use crate::console::emergency_write;
use crate::cpu::exceptions::{self, ExceptionFrame};
use crate::mm::{PAGE_SIZE, USABLE_LIMIT};

/// Why the SNP bring-up stopped.
#[derive(Debug)]
pub enum SnpStop {
    /// A check of `svsm-snp`'s bring-up failed.
    Boot(BootError),
    /// The kernel's page tables cannot map a shared page yet (no C-bit).
    PagingWithoutCbit,
}

impl fmt::Display for SnpStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnpStop::Boot(e) => write!(f, "SEV-SNP: {e}"),
            SnpStop::PagingWithoutCbit => write!(
                f,
                "SEV-SNP at VMPL0 confirmed, but the kernel's page tables set no C-bit, \
                 so the GHCB cannot be shared: the SNP platform is not bootable yet (docs/snp.md)"
            ),
        }
    }
}

/// Certificate buffer pages of the extended guest request.
const CERT_PAGES: usize = 4;

/// The pages shared with the hypervisor, in the kernel image (identity
/// mapped: their address is their GPA).
static GHCB: SharedPage = SharedPage::new();
static REQUEST: SharedPage = SharedPage::new();
static RESPONSE: SharedPage = SharedPage::new();
static CERTS: [SharedPage; CERT_PAGES] = [const { SharedPage::new() }; CERT_PAGES];
/// A private page of the SVSM's own, for the VMPL0 check (RMPADJUST takes
/// VMPL1's access away, which the SVSM's memory must not have anyway).
static VMPL_PROBE: SharedPage = SharedPage::new();

fn gpa_of(page: &SharedPage) -> GuestPhysAddr {
    GuestPhysAddr::new(core::ptr::from_ref(page) as u64)
}

/// The virtual address of `gpa` under the kernel's identity map, if it is
/// inside the mapped window.
fn identity(gpa: GuestPhysAddr, size: PageSize) -> Option<u64> {
    let end = gpa.raw().checked_add(size.bytes())?;
    (gpa.is_aligned(size.bytes()) && end <= USABLE_LIMIT).then_some(gpa.raw())
}

/// The SNP machine the kernel runs on.
pub struct Machine;

impl SnpHardware for Machine {
    fn read_msr(&self, msr: u32) -> u64 {
        // SAFETY: only called on an SNP guest, for the GHCB and SEV_STATUS
        // MSRs, which exist there; reading them has no side effect.
        unsafe { Msr::new(msr).read() }
    }

    fn write_msr(&self, msr: u32, value: u64) {
        let mut msr = Msr::new(msr);
        // SAFETY: only the GHCB MSR is written (by svsm-snp's GHCB code);
        // its value is a request to the hypervisor and changes nothing in
        // the kernel's memory or CPU state.
        unsafe { msr.write(value) }
    }

    fn vmgexit(&self) {
        // SAFETY: VMGEXIT (`rep; vmmcall`) hands control to the hypervisor
        // with the GHCB MSR as written; it returns with the MSR or the GHCB
        // updated and touches no kernel memory except the shared GHCB, which
        // svsm-snp only reads through atomic accesses.
        unsafe { asm!(".byte 0xf3, 0x0f, 0x01, 0xd9", options(nostack)) }
    }

    fn pvalidate(
        &self,
        gpa: GuestPhysAddr,
        size: PageSize,
        validate: bool,
    ) -> Result<PvalidateOutcome, PvalidateFailure> {
        let va = identity(gpa, size).ok_or(PvalidateFailure::Input)?;
        let rc: u64;
        let unchanged: u8;
        // SAFETY: PVALIDATE changes the page's RMP Validated bit only; `va`
        // is its identity-mapped address. Rescinding validation of a page
        // the kernel still uses is the caller's (the page policy's) concern:
        // the kernel itself never accesses guest pages it has invalidated.
        unsafe {
            asm!(
                ".byte 0xf2, 0x0f, 0x01, 0xff",
                "setc {cf}",
                cf = out(reg_byte) unchanged,
                inout("rax") va => rc,
                in("rcx") u64::from(size == PageSize::Size2M),
                in("rdx") u64::from(validate),
                options(nostack)
            )
        }
        match rc {
            0 if unchanged != 0 => Ok(PvalidateOutcome::Unchanged),
            0 => Ok(PvalidateOutcome::Changed),
            6 => Err(PvalidateFailure::SizeMismatch),
            _ => Err(PvalidateFailure::Input),
        }
    }

    fn rmpadjust(
        &self,
        gpa: GuestPhysAddr,
        size: PageSize,
        target_vmpl: u8,
        perms: VmplPermissions,
        vmsa: bool,
    ) -> Result<(), RmpadjustFailure> {
        let va = identity(gpa, size).ok_or(RmpadjustFailure::Input)?;
        let attributes =
            u64::from(target_vmpl) | (u64::from(perms.bits()) << 8) | (u64::from(vmsa) << 16);
        let rc: u64;
        // SAFETY: RMPADJUST changes the RMP permissions of a lower VMPL (or
        // the VMSA bit) of the page at `va`; it never changes what the
        // kernel (VMPL0) may access, so no kernel memory is affected.
        unsafe {
            asm!(
                ".byte 0xf3, 0x0f, 0x01, 0xfe",
                inout("rax") va => rc,
                in("rcx") u64::from(size == PageSize::Size2M),
                in("rdx") attributes,
                options(nostack)
            )
        }
        match rc {
            0 => Ok(()),
            1 => Err(RmpadjustFailure::Input),
            2 => Err(RmpadjustFailure::Permission),
            6 => Err(RmpadjustFailure::SizeMismatch),
            other => Err(RmpadjustFailure::Other(other)),
        }
    }

    /// Refused: the kernel has no encrypted (C-bit) mapping of SNP guest
    /// memory yet (see the module comment), and a plain mapping would write
    /// through the shared alias. The page policy fails closed on it.
    fn zero_page(&self, _gpa: GuestPhysAddr, _size: PageSize) -> Result<(), MemoryError> {
        Err(MemoryError::NotGranted)
    }

    /// Refused, as [`Machine::zero_page`].
    fn read_guest(&self, _gpa: GuestPhysAddr, _out: &mut [u8]) -> Result<(), MemoryError> {
        Err(MemoryError::NotGranted)
    }

    fn ghcb(&self) -> &SharedPage {
        &GHCB
    }

    fn ghcb_gpa(&self) -> GuestPhysAddr {
        gpa_of(&GHCB)
    }

    fn message_pages(&self) -> MessagePages<'_> {
        MessagePages {
            request: &REQUEST,
            request_gpa: gpa_of(&REQUEST),
            response: &RESPONSE,
            response_gpa: gpa_of(&RESPONSE),
            certs: &CERTS,
            certs_gpa: gpa_of(&CERTS[0]),
        }
    }
}

/// The SNP platform once it is up (the #VC handler needs its GHCB and
/// CPUID page).
static PLATFORM: Once<SnpPlatform<Machine>> = Once::new();

/// The I/O ports the SVSM itself uses: COM1 and QEMU's debug-exit device.
const VC_PORTS: &[RangeInclusive<u16>] = &[0x3f8..=0x3ff, 0xf4..=0xf7];

/// Longest x86 instruction.
const MAX_INSN: usize = 15;

/// The #VC handler: `svsm-snp`'s decode and answers on the interrupted
/// registers. Unhandled (no platform yet, or an error) is reported here and
/// then fatal.
fn vc_hook(frame: &mut ExceptionFrame) -> bool {
    let Some(platform) = PLATFORM.get() else {
        return false;
    };
    let rip = frame.rip as usize;
    let len = MAX_INSN.min(PAGE_SIZE - rip % PAGE_SIZE);
    // SAFETY: a ring-0 #VC (the only kind dispatched here) was raised by an
    // instruction of the kernel's .text, identity mapped and readable; the
    // `len` bytes from RIP stay inside RIP's page, and .text is never
    // written, so the slice is not aliased mutably.
    let insn = unsafe { core::slice::from_raw_parts(rip as *const u8, len) };
    let mut regs = VcRegisters {
        rax: frame.rax,
        rbx: frame.rbx,
        rcx: frame.rcx,
        rdx: frame.rdx,
        rip: frame.rip,
    };
    match platform.handle_vc(VC_PORTS, frame.error_code, insn, &mut regs) {
        Ok(()) => {
            frame.rax = regs.rax;
            frame.rbx = regs.rbx;
            frame.rcx = regs.rcx;
            frame.rdx = regs.rdx;
            frame.rip = regs.rip;
            true
        }
        Err(e) => {
            emergency_write(format_args!("\nsvsm: unhandled #VC: {e:?}\n"));
            false
        }
    }
}

/// Brings SNP up as far as the kernel can today; on a failed check asks the
/// hypervisor to terminate the guest with the reason, and if it returns,
/// reports the stop for the fatal path.
pub fn bring_up() -> SnpStop {
    exceptions::set_vc_hook(vc_hook);
    let machine = Machine;
    match checks(&machine) {
        Err(e) => {
            msr_protocol::terminate(&machine, e.termination_reason());
            SnpStop::Boot(e)
        }
        Ok(()) => SnpStop::PagingWithoutCbit,
    }
}

fn checks(machine: &Machine) -> Result<(), BootError> {
    boot::check_sev_status(machine.read_msr(MSR_SEV_STATUS))?;
    boot::check_vmpl0(machine, gpa_of(&VMPL_PROBE))
}
