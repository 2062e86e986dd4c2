//! SVSM kernel.
//!
//! This file is the boot sequence, top to bottom. Each step either completes or
//! returns a [`KernelError`], which ends the VM with the Fault status; CPU
//! exceptions and panics end it the same way (see [`fatal`]). The order
//! matters and is explained at each step.
//!
//! Map of the crate:
//! * [`boot`]: PVH entry (ELF note, 32-bit trampoline; an IGVM launch enters
//!   there too), reading the start info or the IGVM parameter areas
//! * [`cpu`]: descriptor tables, exceptions, CPUID, extended state, TSC, entropy
//! * [`mm`]: image layout, frame allocator, page tables, heap, stacks
//! * [`console`]: COM1 and the `log` backend
//! * [`exit`]: the kernel outcomes and how they reach QEMU
//! * [`fatal`]: panics, fatal exceptions and boot errors end here
//! * [`crypto_boot`]: bring-up of the crypto module, and [`CryptoBoot`], the
//!   one record of how it went
//! * [`platform`]: platform detection (Native now; SEV-SNP recognised)
//! * [`guest`]: the guest's memory and the creation of the SVSM instance
//! * [`task`]: ring-3 tasks, their gates, and the guest harness
//!
//! and the host-tested crates beside it: `svsm-abi` (what the kernel and
//! ring-3 programs agree on), `svsm-boot-params` (start-info parsing and
//! command-line options), `svsm-frames` (the frame allocator) and
//! `svsm-protocol` (the SVSM protocols).
//!
//! # Layers
//!
//! Imports point one way, down this list; nothing imports a module above it:
//!
//! 1. `main` (this file): wires the rest together and owns the boot-time
//!    values: the frame allocator, the [`CryptoBoot`] outcome and the one SVSM
//!    instance, which it hands to whoever needs them.
//! 2. [`task`]: runs ring-3 code; uses `guest`, `cpu` and `mm`.
//! 3. [`guest`]: builds the SVSM instance from the platform and the
//!    [`CryptoBoot`] outcome; [`crypto_boot`] and [`platform`] use `cpu`
//!    (the SNP platform also `mm`'s page-table types, the console and the
//!    exit outcome).
//! 4. [`boot`]: the trampoline and the start-info reader; uses `cpu::tsc`,
//!    `exit` and `mm`.
//! 5. [`cpu`] and [`mm`]: the machine. `cpu` knows nothing of tasks: the IDT
//!    is given its ring-3 gates by `main`, and ring-3 exceptions go to the
//!    hook `task` registers. `mm` knows nothing of the boot protocol: it is
//!    given plain RAM ranges. `cpu::exceptions` reports through `fatal`.
//! 6. [`fatal`] → [`exit`] → [`console`] → `cpu::tsc` (timestamps), which,
//!    like `cpu::features`, imports nothing of the kernel.
//!
//! [`error`] gathers each subsystem's error type for the boot sequence.

#![no_std]
#![no_main]

extern crate alloc;

mod boot;
mod console;
mod cpu;
mod crypto_boot;
mod error;
mod exit;
mod fatal;
mod guest;
mod mm;
mod platform;
mod task;

use log::{debug, error, info, warn};

use cpu::features::{self, Features};
use cpu::{entropy, tsc};
use crypto_boot::CryptoBoot;
use error::KernelError;
use exit::KernelOutcome;
use mm::frame::FrameAllocator;
use mm::layout::KernelLayout;
use mm::stack::{self, BOOT_STACK_SIZE};
use mm::{ByteSize, heap};
use svsm_abi::harness::Flags as HarnessFlags;
use svsm_boot_params::cmdline::{Options, TestHook, VtpmTest};
use svsm_boot_params::start_info::{Loader, MemoryKind, StartInfo};
use svsm_protocol::vtpm::VtpmBackend;
use task::harness::HarnessOutcome;

/// Called by the trampoline ([`boot::pvh`]) in long mode, on the boot stack,
/// with the physical address the loader put in `%ebx`: `hvm_start_info` under
/// PVH, the launch-info page under IGVM (`svsm_boot_params::igvm`).
extern "C" fn kernel_main(start_info_paddr: u64) -> ! {
    match boot(start_info_paddr) {
        Ok(outcome) => exit::exit(outcome),
        Err(e) => fatal::boot_error(&e),
    }
}

fn boot(start_info_paddr: u64) -> Result<KernelOutcome, KernelError> {
    // On SEV-SNP (the trampoline found the C-bit) the UART and CPUID raise
    // #VC before a GHCB exists: the console holds its output back until the
    // GHCB is registered (right after paging), and the #VC hook answers
    // CPUID meanwhile (platform::snp).
    let snp_c_bit = boot::pvh::snp_c_bit();
    if snp_c_bit.is_some() {
        console::set_silent(true);
        platform::snp::install_vc_hook();
        exit::set_platform_exit(platform::snp::exit);
    }

    // Console first: every later step can report.
    console::init();

    // Exceptions are reported from here on, on IST stacks where needed.
    let selectors = cpu::gdt::init();
    cpu::idt::init(selectors.code, &task::gate::user_gates());
    if snp_c_bit.is_none() {
        // Port I/O; an SNP guest's interrupts stay disabled anyway.
        cpu::mask_legacy_pic();
    }

    // Time, early, so that log lines carry timestamps. Not on SEV-SNP: the
    // fallback calibration's PIT I/O would raise #VC before a GHCB exists.
    let tsc_frequency = if snp_c_bit.is_none() {
        tsc::init()
    } else {
        None
    };

    // Copy what the loader handed over before anything can overwrite it.
    let start_info = boot::start_info::init(start_info_paddr)?;
    let options = Options::parse(start_info.cmdline(), |word| {
        warn!("command line: ignoring '{}'", printable(word.0));
    });
    console::set_level(options.log_level);

    banner(start_info, tsc_frequency);

    // Memory: kernel page tables (W^X, guard pages, no null page), then heap.
    let layout = KernelLayout::get()?;
    for (name, range) in layout.parts() {
        debug!("image {name:<12} {:#010x}-{:#010x}", range.start, range.end);
    }
    for stack in stack::all() {
        debug!(
            "stack {:<18} {:#010x}-{:#010x}, guard page {:#010x} unmapped",
            stack.name, stack.usable.start, stack.usable.end, stack.guard
        );
    }
    // SEV-SNP: the SVSM's memory is the image and the required memory its
    // IGVM file declares after it, validated before the first frame is
    // handed out; the rest of the memory map is the guest's. Native: all
    // RAM of the memory map.
    let own_memory = match snp_c_bit {
        Some(_) => {
            let image = layout.image.start.as_u64()..layout.image.end.as_u64();
            let own = platform::snp::take_own_memory(image, &start_info.memory_map);
            Some(own.map_err(platform::PlatformError::Snp)?)
        }
        None => None,
    };
    let mut frames = match &own_memory {
        Some(own) => FrameAllocator::new([own.required.clone()], mm::USABLE, layout.image.clone()),
        None => FrameAllocator::new(
            start_info.memory_map.ram(),
            mm::USABLE,
            layout.image.clone(),
        ),
    }?;
    let snp_mapping = snp_c_bit.map(platform::snp::mapping);
    let paging = mm::paging::init(&layout, &mut frames, snp_mapping.as_ref())?;
    // SEV-SNP: the GHCB as early as it can be (its entry loses the C-bit in
    // the kernel's tables), so the console is live from here on: what it
    // held back since the trampoline is written out first.
    if let Some(c_bit) = snp_c_bit {
        platform::snp::ghcb_up(c_bit).map_err(platform::PlatformError::Snp)?;
    }
    info!(
        "paging: kernel tables active ({} x 4 KiB, {} x 2 MiB pages, {} table frames)",
        paging.pages_4k, paging.pages_2m, paging.table_frames
    );
    heap::init(&mut frames)?;
    heap_self_check();
    info!(
        "memory: {} usable, {} allocated at boot",
        ByteSize(frames.total_bytes()),
        ByteSize(frames.allocated_bytes())
    );

    // Vector state must be on before the crypto module runs.
    let xcr0 = cpu::xsave::init()?;
    info!("extended state: XCR0 = {:#x} ({:?})", xcr0.bits(), xcr0);
    report_entropy();

    // The crypto module's outcome decides what the SVSM offers and what the
    // guest harness must find.
    let crypto = crypto_boot::init();

    // The vTPM service, only with an operational module (BREAK/degraded
    // mode offers no vTPM): manufactured now, in ring 3.
    let vtpm = start_vtpm(&mut frames, &crypto, options.vtpm)?;

    // The platform, then the one SVSM instance.
    let ram_end = start_info.memory_map.ram().map(|r| r.end).max();
    let platform = platform::detect(snp_c_bit.zip(own_memory.as_ref()), ram_end.unwrap_or(0))?;
    let mut svsm = guest::create_svsm(platform, &crypto, vtpm);

    if let Some(hook) = options.test.filter(|&h| h != TestHook::GuestFault) {
        run_test_hook(hook);
    }

    // The guest harness plays the guest in ring 3 and checks every answer.
    let mut flags = HarnessFlags::empty();
    flags.set(
        HarnessFlags::EXPECT_ATTESTATION,
        crypto.attestation().is_some(),
    );
    flags.set(
        HarnessFlags::FAULT,
        options.test == Some(TestHook::GuestFault),
    );
    flags.set(HarnessFlags::EXPECT_VTPM, vtpm.is_some());
    flags.set(
        HarnessFlags::VTPM_FAULTS,
        vtpm.is_some() && options.vtpm == Some(VtpmTest::FaultFirstRequest),
    );
    let harness = task::harness::run_harness(&mut frames, &mut svsm, flags)?;

    let outcome = ready(&crypto, harness);
    Ok(outcome)
}

fn start_vtpm(
    frames: &mut FrameAllocator,
    crypto: &CryptoBoot,
    mode: Option<VtpmTest>,
) -> Result<Option<&'static dyn VtpmBackend>, KernelError> {
    let module = match (crypto, svsm_crypto::initialized()) {
        (CryptoBoot::Operational(_), Some(module)) => module,
        _ => {
            warn!("vtpm: crypto module not operational; no vTPM");
            return Ok(None);
        }
    };
    let fault_first_request = mode == Some(VtpmTest::FaultFirstRequest);
    let Some(vtpm) = task::vtpm::Vtpm::start(frames, module, fault_first_request)? else {
        return Ok(None);
    };
    if mode == Some(VtpmTest::Bench) {
        vtpm.bench();
    }
    Ok(Some(alloc::boxed::Box::leak(alloc::boxed::Box::new(vtpm))))
}

fn banner(start_info: &StartInfo, tsc: Option<(u64, tsc::FrequencySource)>) {
    let cpu = features::get();
    info!("SVSM kernel {}", env!("CARGO_PKG_VERSION"));
    info!("CPU: {}; {}", cpu.vendor(), cpu.banner());
    match tsc {
        Some((hz, source)) => info!(
            "TSC: {}.{:03} MHz ({source}){}",
            hz / 1_000_000,
            hz / 1_000 % 1_000,
            if cpu.has(Features::INVARIANT_TSC) {
                ", invariant"
            } else {
                ""
            }
        ),
        None => warn!("TSC: frequency unknown; times are not reported"),
    }
    info!("command line: '{}'", printable(start_info.cmdline()));
    let map = &start_info.memory_map;
    match start_info.loader {
        Loader::Pvh { version } => info!("memory map (hvm_start_info v{version}):"),
        Loader::Igvm { vcpus } => {
            info!("launched from IGVM: {vcpus} vCPU(s)");
            info!("memory map (IGVM parameter area):");
        }
    }
    for region in map.iter() {
        info!(
            "  {:#014x}-{:#014x} {:<10} {}",
            region.start,
            region.end(),
            region.kind.name(),
            ByteSize(region.size)
        );
    }
    if let Some(rsdp) = start_info.rsdp {
        debug!("ACPI RSDP at {rsdp:#x}");
    }
    info!(
        "  total RAM {}, reserved {}",
        ByteSize(map.total(MemoryKind::Ram)),
        ByteSize(map.total(MemoryKind::Reserved))
    );
}

/// The command line is bytes from the loader; show it only if it is text.
fn printable(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).unwrap_or("<not UTF-8>")
}

/// One allocation round trip, so a broken heap fails here, at boot, with a
/// clear location rather than later inside crypto.
fn heap_self_check() {
    let v: alloc::vec::Vec<u64> = (0..512).collect();
    let sum: u64 = v.iter().sum();
    assert_eq!(sum, 511 * 512 / 2, "heap self-check");
    drop(v);
    let (used, size) = heap::usage();
    info!(
        "heap: {} at boot, {} in use after self-check",
        ByteSize(size as u64),
        ByteSize(used as u64)
    );
}

fn report_entropy() {
    let cpu = features::get();
    let mut sample = [0u8; 16];
    match entropy::fill_entropy(&mut sample) {
        Ok(()) => info!(
            "entropy: RDSEED{} RDRAND{}",
            if cpu.has(Features::RDSEED) { "+" } else { "-" },
            if cpu.has(Features::RDRAND) { "+" } else { "-" }
        ),
        Err(e) => warn!("entropy: {e}"),
    }
}

/// Deliberate failures for tests; each ends the VM through the fatal path.
fn run_test_hook(hook: TestHook) {
    warn!("test hook {hook:?}: failing deliberately");
    match hook {
        TestHook::Exception => {
            // SAFETY: ud2 only raises #UD, whose handler never returns.
            unsafe { core::arch::asm!("ud2", options(nomem, nostack)) };
        }
        TestHook::PageFault => {
            let null = core::hint::black_box(core::ptr::null::<u64>());
            // SAFETY: not sound on purpose: page 0 is unmapped, so the read
            // faults and the #PF handler ends the VM; it never returns a value.
            let value = unsafe { core::ptr::read_volatile(null) };
            error!("null read returned {value:#x}: the null page is mapped");
        }
        TestHook::Panic => panic!("test hook requested a panic"),
        TestHook::StackOverflow => {
            let depth = recurse(core::hint::black_box(0));
            error!("recursion returned at depth {depth}: no guard page hit");
        }
        // Not a kernel failure: handed to the guest harness.
        TestHook::GuestFault => {}
    }
}

/// Uses 1 KiB of stack per level until the guard page stops it.
fn recurse(depth: u64) -> u64 {
    if depth == u64::MAX {
        return 0;
    }
    let frame = core::hint::black_box([depth; 128]);
    recurse(depth + 1) + frame[0]
}

fn ready(crypto: &CryptoBoot, harness: HarnessOutcome) -> KernelOutcome {
    info!(
        "boot stack: {} of {} bytes used (high-water mark)",
        stack::boot_stack_high_water(),
        BOOT_STACK_SIZE
    );
    let start = tsc::clock_start();
    match tsc::since_boot_us() {
        Some(us) => info!("boot time: {us} us from {start} to ready"),
        None => info!(
            "boot time: {} TSC ticks from {start} to ready",
            tsc::now().wrapping_sub(tsc::boot_tsc())
        ),
    }
    if harness == HarnessOutcome::Failed {
        console::write_marker(format_args!("SVSM guest harness FAILED"));
        return KernelOutcome::Fault;
    }
    match crypto {
        CryptoBoot::Degraded(_) => {
            console::write_marker(format_args!(
                "SVSM ready (degraded: crypto services refused)"
            ));
            KernelOutcome::Degraded
        }
        CryptoBoot::Operational(_) => {
            console::write_marker(format_args!("SVSM ready"));
            KernelOutcome::Success
        }
    }
}
