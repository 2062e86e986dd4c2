//! How the kernel ends: one outcome enum, one exit path.
//!
//! QEMU's `isa-debug-exit` device (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`)
//! ends the VM when the guest writes a value `v` to port 0xf4; QEMU's exit
//! status is then `(v << 1) | 1`. The values are chosen so that no outcome maps
//! to 0 (a triple fault under `-no-reboot`) or 1 (QEMU's own error status):
//!
//! | outcome    | value written | QEMU status | `scripts/qemu-run.sh` |
//! |------------|---------------|-------------|-----------------------|
//! | `Success`  | 0x10          | 33          | 0                     |
//! | `Degraded` | 0x11          | 35          | 2                     |
//! | `Fault`    | 0x12          | 37          | 3                     |

use spin::Once;
use x86_64::instructions::{hlt, interrupts, port::Port};

use crate::console;

/// A platform's own way to end the guest, asked first: it returns whether
/// the debug-exit port may still be written (on SEV-SNP only once the GHCB
/// can carry the write; before that it asks the hypervisor to terminate).
pub type PlatformExit = fn(KernelOutcome) -> bool;

static PLATFORM_EXIT: Once<PlatformExit> = Once::new();

/// Registers the platform's exit (the first registration stays).
pub fn set_platform_exit(hook: PlatformExit) {
    PLATFORM_EXIT.call_once(|| hook);
}

const DEBUG_EXIT_PORT: u16 = 0xf4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum KernelOutcome {
    /// Booted completely; `SVSM ready` was printed.
    Success = 0x10,
    /// Booted, but the crypto module failed a self-test: crypto services are
    /// refused. `SVSM ready (degraded ...)` was printed.
    Degraded = 0x11,
    /// An exception, a panic or a fatal boot error.
    Fault = 0x12,
}

impl KernelOutcome {
    /// QEMU's exit status for this outcome.
    pub const fn qemu_status(self) -> u32 {
        ((self as u32) << 1) | 1
    }
}

/// Ends the VM with `outcome`. If no debug-exit device is present the write is
/// ignored by the machine; the kernel then says so and halts with interrupts
/// off, which is the only remaining safe state.
pub fn exit(outcome: KernelOutcome) -> ! {
    if PLATFORM_EXIT.get().is_none_or(|hook| hook(outcome)) {
        // SAFETY: port 0xf4 is the isa-debug-exit device (or nothing);
        // writing it does not touch memory.
        unsafe { Port::<u32>::new(DEBUG_EXIT_PORT).write(outcome as u32) };
        console::emergency_write(format_args!(
            "svsm: isa-debug-exit absent; halting with outcome {outcome:?}\n"
        ));
    }
    interrupts::disable();
    loop {
        hlt();
    }
}
