//! SEV-SNP on the real machine: [`Machine`], the [`SnpHardware`] of the
//! `svsm-snp` crate with the privileged instructions in inline assembly,
//! the pages shared with the hypervisor, the #VC hook and the bring-up.
//!
//! Reviewed against the APM and the GHCB specification, never executed (no
//! SNP hardware is reachable from this project). The path, in boot order:
//! the trampoline finds the C-bit in the firmware-validated CPUID page and
//! maps all early memory private (`boot::pvh`); the console holds its
//! output back and [`install_vc_hook`] answers CPUID from the CPUID page
//! (the leaves it lacks through the GHCB MSR protocol); the SVSM's own
//! memory is checked against the memory map and validated before the first
//! frame is handed out ([`take_own_memory`]); the kernel's page
//! tables map everything private ([`mapping`]), the CPUID and secrets pages
//! the IGVM file places, and the empty page table of the guest-page window;
//! right after, [`ghcb_up`] checks SEV_STATUS and VMPL0, gives up the GHCB
//! page's validation, makes it shared and registers it (checking the
//! hypervisor's C-bit against the page's), clears its C-bit, and the console
//! goes live through it (the #VC hook); once the crypto module is up,
//! [`bring_up`] builds [`SnpPlatform`] from the secrets and CPUID pages
//! and the guest layout (the SVSM's own memory, the guest VMPL) (which makes the message pages shared; their C-bit is cleared after) and
//! the window over the guest's pages, and from then on the #VC hook serves
//! through the platform. See docs/snp.md for what is still only reviewed.

use core::arch::asm;
use core::fmt;
use core::ops::{Range, RangeInclusive};
use core::sync::atomic::{AtomicBool, Ordering};

use spin::Once;

use svsm_boot_params::igvm::{CPUID_PAGE_GPA, SECRETS_PAGE_GPA};
use svsm_boot_params::own_memory::{OwnMemory, OwnMemoryError};
use svsm_boot_params::start_info::MemoryMap;
use svsm_protocol::GuestPhysAddr;
use svsm_protocol::memory::MemoryError;
use svsm_protocol::platform::{PageSize, PvalidateFailure};
use svsm_snp::SnpPlatform;
use svsm_snp::boot::{self, BootError, MSR_SEV_STATUS};
use svsm_snp::cbit::{CBit, CBitError};
use svsm_snp::cpuid::{CpuidPage, CpuidPageError};
use svsm_snp::ghcb::{Ghcb, exit as vc_exit};
use svsm_snp::hw::{
    MessagePages, PvalidateOutcome, RmpadjustFailure, SharedPage, SnpHardware, TlbFlushError,
    VmplPermissions,
};
use svsm_snp::msr_protocol::{self, TerminationReason, svsm_reason};
use svsm_snp::own_memory;
use svsm_snp::platform::SnpInitError;
use svsm_snp::pvalidate::{GUEST_VMPL, GuestLayout, LayoutError, SvsmMemory};
use svsm_snp::secrets::SecretsPage;
use svsm_snp::vc::{self, VcRegisters};
use svsm_snp::window::{GuestOwned, Window};
use x86_64::registers::model_specific::Msr;

use crate::console::{self, emergency_write};
use crate::cpu::exceptions::{self, ExceptionFrame};
use crate::cpu::tsc;
use crate::exit::KernelOutcome;
use crate::mm::paging::{
    self, GuestWindowTables, PagingError, R_NX, RW_NX, SnpMapping, WINDOW_BASE, WINDOW_SLOTS,
};
use crate::mm::{PAGE_SIZE, USABLE_LIMIT};

/// Why the SNP bring-up stopped.
#[derive(Debug)]
pub enum SnpStop {
    /// A check of `svsm-snp`'s bring-up failed.
    Boot(BootError),
    /// SEV-SNP is active, but the trampoline found no CPUID page naming a
    /// C-bit (not launched from this kernel's IGVM image).
    NotIgvm,
    /// The C-bit in use disagrees with the CPUID page's.
    CBit(CBitError),
    /// The hypervisor's SEV information names another C-bit than the one
    /// in use (from the CPUID page).
    HypervisorCBit { in_use: u8, hypervisor: u8 },
    /// No operational crypto module to hold VMPCK0.
    NoModule,
    /// The platform could not be built from the launch pages.
    Init(SnpInitError),
    /// The guest layout is refused (a guest VMPL of 0, too many ranges).
    Layout(LayoutError),
    /// A shared page's entry could not lose its C-bit.
    Paging(PagingError),
    /// The platform was asked for before the GHCB was registered
    /// ([`ghcb_up`]).
    NoGhcb,
    /// The kernel's tables have no mapping window, so guest pages would be
    /// unreachable.
    NoWindow,
    /// The memory map does not give the SVSM its required memory as RAM.
    NotRam(OwnMemoryError),
    /// The SVSM's required memory could not be validated.
    Validate(own_memory::OwnMemoryError),
}

impl SnpStop {
    fn termination_reason(&self) -> TerminationReason {
        match self {
            Self::Boot(e) => e.termination_reason(),
            Self::NotIgvm | Self::CBit(_) | Self::HypervisorCBit { .. } | Self::Init(_) => {
                TerminationReason::svsm(svsm_reason::LAUNCH_PAGES)
            }
            Self::NoGhcb => TerminationReason::svsm(svsm_reason::GHCB),
            Self::NoModule | Self::Layout(_) | Self::Paging(_) | Self::NoWindow => {
                TerminationReason::svsm(svsm_reason::FATAL)
            }
            Self::NotRam(_) => TerminationReason::svsm(svsm_reason::OWN_MEMORY),
            Self::Validate(e) => e.termination_reason(),
        }
    }
}

impl fmt::Display for SnpStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Boot(e) => write!(f, "SEV-SNP: {e}"),
            Self::NotIgvm => write!(
                f,
                "SEV-SNP is active, but no CPUID page named the C-bit: launch the IGVM image"
            ),
            Self::CBit(e) => write!(f, "SEV-SNP: the C-bit is not consistent: {e:?}"),
            Self::HypervisorCBit { in_use, hypervisor } => write!(
                f,
                "SEV-SNP: the hypervisor names C-bit {hypervisor}, the CPUID page {in_use}"
            ),
            Self::NoModule => write!(
                f,
                "SEV-SNP: the crypto module is not operational, so VMPCK0 has no home"
            ),
            Self::Init(e) => write!(f, "SEV-SNP: the platform cannot be built: {e:?}"),
            Self::Layout(e) => write!(f, "SEV-SNP: the guest layout is refused: {e:?}"),
            Self::Paging(e) => write!(f, "SEV-SNP: a shared page stays private: {e}"),
            Self::NoGhcb => write!(f, "SEV-SNP: the GHCB is not registered"),
            Self::NoWindow => write!(f, "SEV-SNP: no mapping window for guest pages"),
            Self::NotRam(e) => write!(f, "SEV-SNP: {e}"),
            Self::Validate(e) => write!(f, "SEV-SNP: {e}"),
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

/// The launch pages the IGVM file places (the same addresses the trampoline
/// read from the launch-info page): the CPUID page read-only, the secrets
/// page writable (VMPCK0..3 are wiped from it).
const LAUNCH_PAGES: [(u64, x86_64::structures::paging::PageTableFlags); 2] =
    [(CPUID_PAGE_GPA, R_NX), (SECRETS_PAGE_GPA, RW_NX)];

/// How the kernel's page tables differ on SEV-SNP with `c_bit`.
pub fn mapping(c_bit: CBit) -> SnpMapping<'static> {
    SnpMapping {
        c_bit,
        launch_pages: &LAUNCH_PAGES,
    }
}

/// The guest-message pages, which `SnpPlatform::new` makes shared.
fn message_pages() -> [u64; 2 + CERT_PAGES] {
    let mut pages = [0; 2 + CERT_PAGES];
    let all = [&REQUEST, &RESPONSE].into_iter().chain(&CERTS);
    for (slot, page) in pages.iter_mut().zip(all) {
        *slot = gpa_of(page).raw();
    }
    pages
}

fn gpa_of(page: &SharedPage) -> GuestPhysAddr {
    GuestPhysAddr::new(core::ptr::from_ref(page) as u64)
}

/// The virtual address of `gpa` under the kernel's identity map, if it is
/// inside the mapped window.
fn identity(gpa: GuestPhysAddr, size: PageSize) -> Option<u64> {
    let end = gpa.raw().checked_add(size.bytes())?;
    (gpa.is_aligned(size.bytes()) && end <= USABLE_LIMIT).then_some(gpa.raw())
}

/// The window through which the SVSM reaches guest pages (private, one at
/// a time), set up by [`bring_up`] once the SVSM's memory is known.
static WINDOW: Once<Window<GuestWindowTables, WINDOW_SLOTS>> = Once::new();

/// The window slot of the boot CPU, the only one the SVSM runs on.
const BOOT_CPU_SLOT: usize = 0;

/// CPUID leaf and EBX bit of INVLPGB/TLBSYNC (AMD APM vol. 3, CPUID
/// Fn8000_0008 EBX[3]).
const CPUID_EXT_FEATURES: u32 = 0x8000_0008;
const EBX_INVLPGB: u32 = 1 << 3;

/// INVLPGB's RAX: the ASID in EDX is valid (in a guest the hardware uses
/// the guest's own), global translations included; no address, so every
/// translation of the guest, at every VMPL, on every processor.
const INVLPGB_ASID: u64 = 1 << 2;
const INVLPGB_GLOBAL: u64 = 1 << 3;

/// Whether the firmware-validated CPUID page lists INVLPGB (the page, not
/// CPUID itself: the hypervisor's answer is not trusted for it).
fn broadcast_flush() -> bool {
    EARLY_CPUID
        .get()
        .and_then(|page| page.as_ref().ok())
        .and_then(|page| page.lookup(CPUID_EXT_FEATURES, 0).ok())
        .is_some_and(|leaf| leaf.ebx & EBX_INVLPGB != 0)
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

    /// INVLPGB of every translation of the guest's ASID, then TLBSYNC, which
    /// waits until every processor has completed it (AMD APM vol. 3,
    /// INVLPGB/TLBSYNC; COCONUT-SVSM flushes the same way). Refused when the
    /// CPUID page does not list INVLPGB: an IPI-based flush would need the
    /// guest's vCPUs to run SVSM code, which they never do.
    fn flush_guest_tlb(&self) -> Result<(), TlbFlushError> {
        if !broadcast_flush() {
            return Err(TlbFlushError::NoBroadcast);
        }
        // INVLPGB (0F 01 FE) drops the guest's TLB entries (RAX: ASID valid,
        // global included; ECX 0: no count; EDX 0: the guest's ASID);
        // TLBSYNC (0F 01 FF) waits until every processor has done so.
        // SAFETY: neither touches memory or registers other than those
        // named, and the CPUID page says both instructions exist.
        unsafe {
            asm!(
                ".byte 0x0f, 0x01, 0xfe",
                ".byte 0x0f, 0x01, 0xff",
                in("rax") INVLPGB_ASID | INVLPGB_GLOBAL,
                in("ecx") 0u32,
                in("edx") 0u32,
                options(nostack, preserves_flags)
            )
        }
        Ok(())
    }

    /// Through the mapping window ([`WINDOW`]: private, writable, NX, one
    /// page at a time, unmapped after); refused before it exists and for
    /// pages the guest does not own.
    fn zero_page(&self, gpa: GuestPhysAddr, size: PageSize) -> Result<(), MemoryError> {
        WINDOW
            .get()
            .ok_or(MemoryError::NotGranted)?
            .zero(BOOT_CPU_SLOT, gpa, size)
            .map_err(|_| MemoryError::NotGranted)
    }

    /// Through the mapping window, read-only, as [`Machine::zero_page`].
    fn read_guest(&self, gpa: GuestPhysAddr, out: &mut [u8]) -> Result<(), MemoryError> {
        WINDOW
            .get()
            .ok_or(MemoryError::NotGranted)?
            .read(BOOT_CPU_SLOT, gpa, out)
            .map_err(|_| MemoryError::NotGranted)
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

/// The CPUID page, parsed once before the first #VC can happen.
static EARLY_CPUID: Once<Result<CpuidPage, CpuidPageError>> = Once::new();

/// The launch's CPUID page, read where the IGVM file placed it.
fn cpuid_page() -> &'static [u8; PAGE_SIZE] {
    // SAFETY: on SNP the page at CPUID_PAGE_GPA is the firmware-validated
    // CPUID page (the trampoline found the C-bit in it), mapped private by
    // the boot tables (all of the first 4 GiB) and later read-only by the
    // kernel's ([`LAUNCH_PAGES`]); a whole page that nothing writes.
    unsafe { &*(CPUID_PAGE_GPA as *const [u8; PAGE_SIZE]) }
}

/// Installs the #VC hook; the first thing the kernel does on SEV-SNP, before
/// anything that may raise #VC.
pub fn install_vc_hook() {
    EARLY_CPUID.call_once(|| CpuidPage::parse(cpuid_page()));
    exceptions::set_vc_hook(vc_hook);
}

/// The kernel's exit on SNP (`exit::set_platform_exit`): once the platform
/// is up the debug-exit port is written through the GHCB (#VC hook); before
/// that the write would raise a #VC nobody can serve, so the hypervisor is
/// asked to terminate the guest instead (a fault with the SVSM's FATAL
/// reason), and the caller halts if it returns.
pub fn exit(outcome: KernelOutcome) -> bool {
    if GHCB_READY.load(Ordering::Acquire) {
        return true;
    }
    let reason = match outcome {
        KernelOutcome::Fault => TerminationReason::svsm(svsm_reason::FATAL),
        KernelOutcome::Success | KernelOutcome::Degraded => TerminationReason::GENERAL,
    };
    msr_protocol::terminate(&Machine, reason);
    false
}

/// The #VC handler: `svsm-snp`'s decode and answers on the interrupted
/// registers, through the platform once it is up; before that CPUID only
/// (`vc::handle_early`: from the CPUID page, the leaves it lacks through the
/// GHCB MSR protocol). Unhandled is reported here and then fatal.
fn vc_hook(frame: &mut ExceptionFrame) -> bool {
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
    let page = EARLY_CPUID.get().and_then(|p| p.as_ref().ok());
    let exit_code = frame.error_code;
    let answer = match (PLATFORM.get(), page) {
        (Some(platform), _) => platform.handle_vc(VC_PORTS, exit_code, insn, &mut regs),
        // The console's I/O through the GHCB registered early; CPUID as
        // before the GHCB (the leaves the page lacks from the hypervisor).
        (None, Some(page)) if GHCB_READY.load(Ordering::Acquire) && exit_code != vc_exit::CPUID => {
            vc::handle(
                &Machine, &BOOT_GHCB, page, VC_PORTS, exit_code, insn, &mut regs,
            )
        }
        (None, page) => vc::handle_early(&Machine, page, exit_code, insn, &mut regs),
    };
    match answer {
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
            if !GHCB_READY.load(Ordering::Acquire) {
                // Nothing reaches the console yet: the reason code is the
                // report (e.g. an RDTSC intercepted before the GHCB).
                msr_protocol::terminate(
                    &Machine,
                    TerminationReason::svsm(svsm_reason::UNHANDLED_VC),
                );
            }
            false
        }
    }
}

/// Set once [`ghcb_up`] registered the GHCB and mapped it shared: from
/// then on the #VC hook serves I/O through [`BOOT_GHCB`] until the platform
/// is up, and the console is live.
static GHCB_READY: AtomicBool = AtomicBool::new(false);

/// The GHCB calls of the #VC hook between [`ghcb_up`] and the platform
/// (the console's I/O). The platform has its own lock over the same page;
/// the two are never used at once, because the console is held back
/// (`console::set_silent`) while [`build`] lets the platform make its
/// calls, and nothing else before the platform does I/O.
static BOOT_GHCB: Ghcb = Ghcb::new();

/// Registers the GHCB as early as it can be, right after the kernel's page
/// tables are active (its entry must lose the C-bit, so the kernel's tables
/// must exist): checks SEV_STATUS and VMPL0, rescinds the page's
/// validation, makes it shared and registers it (MSR protocol), clears its
/// C-bit, checks the hypervisor's C-bit. Then the console goes live,
/// writing out what it held back since the trampoline. On failure asks the
/// hypervisor to terminate the guest with the reason (the console is still
/// silent: the reason code is all an operator gets), and if it returns,
/// reports the stop for the fatal path.
pub fn ghcb_up(c_bit: CBit) -> Result<(), SnpStop> {
    let machine = Machine;
    register_ghcb(c_bit)
        .inspect_err(|stop| msr_protocol::terminate(&machine, stop.termination_reason()))?;
    GHCB_READY.store(true, Ordering::Release);
    console::set_silent(false);
    // The first RDTSC of an SNP boot: if the hypervisor intercepts it, the
    // #VC hook now serves it through the GHCB.
    tsc::start_late();
    log::info!("SEV-SNP: GHCB registered; console live, boot clock started");
    Ok(())
}

fn register_ghcb(c_bit: CBit) -> Result<(), SnpStop> {
    let machine = Machine;
    // The #VC hook serves the console through the GHCB only with the
    // parsed CPUID page, and the C-bit in use must be the page's.
    let page = match EARLY_CPUID.get() {
        Some(Ok(page)) => page,
        Some(Err(e)) => return Err(SnpStop::Init(SnpInitError::Cpuid(*e))),
        None => return Err(SnpStop::NotIgvm),
    };
    c_bit.confirm(page).map_err(SnpStop::CBit)?;
    checks(&machine).map_err(SnpStop::Boot)?;
    // The GHCB page: validation rescinded through its private mapping,
    // shared and registered by the MSR protocol (which writes nothing to
    // it), then mapped without the C-bit before its first use.
    machine
        .pvalidate(machine.ghcb_gpa(), PageSize::Size4K, false)
        .map_err(|e| SnpStop::Boot(BootError::Rescind(e)))?;
    let setup = boot::establish_ghcb(&machine).map_err(SnpStop::Boot)?;
    paging::share(c_bit, &[machine.ghcb_gpa().raw()]).map_err(SnpStop::Paging)?;
    if setup.sev_info.c_bit != c_bit.position() {
        return Err(SnpStop::HypervisorCBit {
            in_use: c_bit.position(),
            hypervisor: setup.sev_info.c_bit,
        });
    }
    Ok(())
}

/// The SVSM's own memory, taken before the first frame is handed out: the
/// launched `image` and the required-memory range after it, which the
/// memory map must describe as RAM. After the SEV_STATUS and VMPL0 checks
/// (PVALIDATE is VMPL0's), the range is validated (`svsm_snp::own_memory`:
/// 2 MiB pages, 4 KiB on a size mismatch) through the boot tables'
/// identity map, which maps it private. Before the GHCB exists, so a
/// failure asks the hypervisor to terminate the guest with the reason (MSR
/// protocol; the console is still silent), and if it returns, reports the
/// stop for the fatal path.
pub fn take_own_memory(image: Range<u64>, map: &MemoryMap) -> Result<OwnMemory, SnpStop> {
    let machine = Machine;
    own(image, map).inspect_err(|stop| msr_protocol::terminate(&machine, stop.termination_reason()))
}

fn own(image: Range<u64>, map: &MemoryMap) -> Result<OwnMemory, SnpStop> {
    let own = OwnMemory::new(image, map.iter()).map_err(SnpStop::NotRam)?;
    checks(&Machine).map_err(SnpStop::Boot)?;
    let done = own_memory::validate(&Machine, own.required.clone()).map_err(SnpStop::Validate)?;
    log::info!(
        "SEV-SNP: own memory {:#x}-{:#x} validated ({} x 2 MiB, {} x 4 KiB, {} already)",
        own.required.start,
        own.required.end,
        done.pages_2m,
        done.pages_4k,
        done.unchanged
    );
    Ok(own)
}

/// Brings the SNP platform up once the GHCB is registered ([`ghcb_up`])
/// and the crypto module is operational; on failure reports the stop on
/// the console, asks the hypervisor to terminate the guest with the
/// reason, and if it returns, reports the stop for the fatal path.
pub fn bring_up(
    c_bit: CBit,
    own: &OwnMemory,
    ram_end: u64,
) -> Result<&'static SnpPlatform<Machine>, SnpStop> {
    let machine = Machine;
    build(c_bit, own, ram_end).inspect_err(|stop| {
        log::error!("{stop}");
        msr_protocol::terminate(&machine, stop.termination_reason());
    })
}

fn build(
    c_bit: CBit,
    own: &OwnMemory,
    ram_end: u64,
) -> Result<&'static SnpPlatform<Machine>, SnpStop> {
    if !GHCB_READY.load(Ordering::Acquire) {
        return Err(SnpStop::NoGhcb);
    }
    let module = svsm_crypto::initialized().ok_or(SnpStop::NoModule)?;
    let cpuid = cpuid_page();
    // SAFETY: the secrets page is mapped writable (private) at its GPA
    // ([`LAUNCH_PAGES`]); this is its only reference, taken once
    // (`platform::detect`, which alone calls this, runs once).
    let secrets = unsafe { &mut *(SECRETS_PAGE_GPA as *mut SecretsPage) };
    // The SVSM's memory is what it launched and owns (never the secrets
    // page's SVSM area, which the PSP leaves zero); the window and the
    // platform refuse the same.
    let svsm = SvsmMemory::from_ranges(&own.svsm_ranges()).map_err(SnpStop::Layout)?;
    let layout = GuestLayout::new(svsm, GUEST_VMPL).map_err(SnpStop::Layout)?;
    // Makes the message pages shared (rescind, then page state change)
    // without touching their contents; only then do they lose the C-bit.
    // The console holds its output back meanwhile (see [`BOOT_GHCB`]).
    console::set_silent(true);
    let platform = SnpPlatform::new(Machine, module, secrets, cpuid, layout);
    console::set_silent(false);
    let platform = platform.map_err(SnpStop::Init)?;
    paging::share(c_bit, &message_pages()).map_err(SnpStop::Paging)?;
    // Guest pages (PVALIDATE's zeroing, CREATE_VCPU's VMSA) through the
    // window, never the SVSM's memory (the launch pages, the image and its
    // required memory, the frames the kernel uses), never past the RAM.
    let tables = GuestWindowTables::get().ok_or(SnpStop::NoWindow)?;
    let guest = GuestOwned::new(svsm, ram_end);
    WINDOW.call_once(|| Window::new(tables, c_bit, WINDOW_BASE, guest));
    let platform = PLATFORM.call_once(|| platform);
    if let Err(e) = platform.fetch_certificates() {
        log::warn!("SEV-SNP: no certificates from the hypervisor: {e:?}");
    }
    Ok(platform)
}

fn checks(machine: &Machine) -> Result<(), BootError> {
    boot::check_sev_status(machine.read_msr(MSR_SEV_STATUS))?;
    boot::check_vmpl0(machine, gpa_of(&VMPL_PROBE))
}
