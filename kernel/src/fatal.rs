//! Fatal errors: panics and CPU exceptions end here.
//!
//! Both print a report on the emergency console path and end QEMU with
//! [`KernelOutcome::Fault`]. A fault *inside* a fatal report (for example a
//! page fault while formatting) is caught by the nesting guard and ends the VM
//! immediately with a one-line note, so a broken report can never loop or
//! hang.

use core::fmt;
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::console::emergency_write;
use crate::exit::{KernelOutcome, exit};

static IN_FATAL: AtomicBool = AtomicBool::new(false);

/// Enters the fatal path. Returns only for the first caller; a nested fatal
/// error ends the VM here.
pub fn enter(kind: &str) {
    x86_64::instructions::interrupts::disable();
    if IN_FATAL.swap(true, Ordering::SeqCst) {
        emergency_write(format_args!(
            "\nsvsm: nested fatal error ({kind}) during report\n"
        ));
        exit(KernelOutcome::Fault);
    }
}

/// Prints the closing line and ends the VM with the Fault status.
pub fn finish() -> ! {
    emergency_write(format_args!(
        "svsm: kernel outcome Fault (QEMU status {})\n",
        KernelOutcome::Fault.qemu_status()
    ));
    exit(KernelOutcome::Fault)
}

/// A fatal boot error (an error value, not a bug): report and stop.
pub fn boot_error(error: &dyn fmt::Display) -> ! {
    enter("boot error");
    emergency_write(format_args!("\nsvsm: FATAL boot error: {error}\n"));
    finish()
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    enter("panic");
    match info.location() {
        Some(loc) => emergency_write(format_args!(
            "\nsvsm: KERNEL PANIC at {}:{}:{}: {}\n",
            loc.file(),
            loc.line(),
            loc.column(),
            info.message()
        )),
        None => emergency_write(format_args!("\nsvsm: KERNEL PANIC: {}\n", info.message())),
    }
    finish()
}
