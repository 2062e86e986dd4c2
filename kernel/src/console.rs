//! Serial console on COM1, and the `log` backend on top of it.
//!
//! Normal output goes through [`log`], serialised by a spin lock. The fatal
//! paths (exceptions, panics) must not depend on that lock: the failure may
//! have happened while it was held. They use [`emergency_write`], which drives
//! the UART directly. Port I/O to the UART has no state beyond the device
//! itself, so a second writer at worst interleaves characters.
//!
//! Markers that scripts look for (`SVSM ready`) are written with
//! [`write_marker`], unprefixed and independent of the log level. Both begin
//! a line: the console remembers where its last byte left the line
//! ([`LinePosition`]). Before the kernel wrote anything the position is
//! unknown: `make run`'s firmware (qboot) prints nothing, so the first log
//! line (the banner) is written as is and the console starts with it, but a
//! marker, which decides success, breaks the line anyway in case another
//! firmware left one open (SeaBIOS's `Booting from ROM..`).

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, Ordering};

use log::{LevelFilter, Log, Metadata, Record};
use spin::Mutex;
use x86_64::instructions::port::Port;

use crate::cpu::tsc;

const COM1: u16 = 0x3f8;

/// Set on SEV-SNP while the UART cannot be reached: every UART access
/// raises #VC, which only the GHCB can answer (the MSR protocol has no I/O),
/// so until the GHCB is registered (right after the kernel's page tables),
/// and while the SNP platform makes its own GHCB calls, what is written is
/// held in [`EARLY`] instead, and written out when the console goes live.
static SILENT: AtomicBool = AtomicBool::new(false);

/// Set once the UART is initialised.
static UART_READY: AtomicBool = AtomicBool::new(false);

/// How much held-back output is kept: the banner, memory map and paging
/// lines fit; what does not is counted and reported as dropped.
const EARLY_BYTES: usize = 8192;

/// Output held back while [`SILENT`]: the first [`EARLY_BYTES`] bytes, and
/// how many more there were.
struct EarlyBuffer {
    bytes: [u8; EARLY_BYTES],
    len: usize,
    dropped: usize,
}

impl EarlyBuffer {
    fn push(&mut self, byte: u8) {
        match self.bytes.get_mut(self.len) {
            Some(slot) => {
                *slot = byte;
                self.len += 1;
            }
            None => self.dropped = self.dropped.saturating_add(1),
        }
    }

    /// Empties the buffer, returning what it held.
    fn take(&mut self) -> ([u8; EARLY_BYTES], usize, usize) {
        let held = (self.bytes, self.len, self.dropped);
        self.len = 0;
        self.dropped = 0;
        held
    }
}

static EARLY: Mutex<EarlyBuffer> = Mutex::new(EarlyBuffer {
    bytes: [0; EARLY_BYTES],
    len: 0,
    dropped: 0,
});

/// Silences the UART (output is held back, see [`SILENT`]), or makes it
/// live again: then the UART is initialised and what was held back is
/// written out first, with a note of what did not fit.
pub fn set_silent(silent: bool) {
    if silent {
        SILENT.store(true, Ordering::Relaxed);
        return;
    }
    // Held first, so no log line slips in before the held-back output.
    let mut uart = CONSOLE.lock();
    let (bytes, len, dropped) = EARLY.lock().take();
    SILENT.store(false, Ordering::Relaxed);
    uart.init();
    for &byte in &bytes[..len] {
        uart.put(byte);
    }
    if let Some(&last) = bytes[..len].last() {
        uart.position = if last == b'\n' {
            LinePosition::Start
        } else {
            LinePosition::Middle
        };
    }
    if dropped > 0 {
        uart.start_line();
        let _ = writeln!(
            uart,
            "console: {dropped} early bytes did not fit and were dropped"
        );
    }
}
/// Bound on polls of the transmit-empty bit per byte, so a missing or wedged
/// UART costs time but never hangs the kernel.
const TX_SPIN_LIMIT: u32 = 100_000;

/// Where the console's cursor is, as far as the kernel knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LinePosition {
    /// The kernel has written nothing yet; the firmware may have.
    Unknown,
    /// The last byte written ended a line.
    Start,
    /// Something was written after the last line break.
    Middle,
}

struct Uart {
    base: u16,
    position: LinePosition,
}

impl Uart {
    fn out(&self, offset: u16, value: u8) {
        if SILENT.load(Ordering::Relaxed) {
            return;
        }
        // SAFETY: COM1's registers are I/O ports owned by this driver; writing
        // them has no effect on memory.
        unsafe { Port::new(self.base + offset).write(value) }
    }

    fn inb(&self, offset: u16) -> u8 {
        if SILENT.load(Ordering::Relaxed) {
            // Transmitter empty: a silent byte costs no polling.
            return 0xff;
        }
        // SAFETY: as in `out`; reading the line-status register has no side
        // effects on memory.
        unsafe { Port::new(self.base + offset).read() }
    }

    /// 115200 baud, 8N1, FIFOs on, UART interrupts off. Once: a second
    /// initialisation would clear bytes still in the transmit FIFO. Not
    /// while silent (the writes would be lost); the console going live
    /// initialises it then.
    fn init(&self) {
        if SILENT.load(Ordering::Relaxed) || UART_READY.swap(true, Ordering::Relaxed) {
            return;
        }
        self.out(1, 0x00); // IER: no interrupts
        self.out(3, 0x80); // LCR: DLAB on
        self.out(0, 0x01); // divisor low: 115200 baud
        self.out(1, 0x00); // divisor high
        self.out(3, 0x03); // LCR: 8 bits, no parity, 1 stop, DLAB off
        self.out(2, 0xc7); // FCR: enable and clear FIFOs
        self.out(4, 0x03); // MCR: DTR, RTS
    }

    fn put(&self, byte: u8) {
        if SILENT.load(Ordering::Relaxed) {
            // Never waits: a fatal path may interrupt a holder, and then
            // loses its bytes rather than hangs.
            if let Some(mut early) = EARLY.try_lock() {
                early.push(byte);
            }
            return;
        }
        for _ in 0..TX_SPIN_LIMIT {
            if self.inb(5) & 0x20 != 0 {
                break;
            }
            core::hint::spin_loop();
        }
        self.out(0, byte);
    }

    /// Ends a line the kernel left open.
    fn start_line(&mut self) {
        if self.position == LinePosition::Middle {
            let _ = self.write_str("\n");
        }
    }

    /// Ends any line that may be open, the firmware's included.
    fn start_line_surely(&mut self) {
        if self.position != LinePosition::Start {
            let _ = self.write_str("\n");
        }
    }
}

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            if byte == b'\n' {
                self.put(b'\r');
            }
            self.put(byte);
        }
        if let Some(&last) = s.as_bytes().last() {
            self.position = if last == b'\n' {
                LinePosition::Start
            } else {
                LinePosition::Middle
            };
        }
        Ok(())
    }
}

static CONSOLE: Mutex<Uart> = Mutex::new(Uart {
    base: COM1,
    position: LinePosition::Unknown,
});

struct Logger;

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let mut uart = CONSOLE.lock();
        uart.start_line();
        let _ = match tsc::since_boot_us() {
            Some(us) => write!(uart, "[{:>4}.{:03} ms] ", us / 1000, us % 1000),
            None => write!(uart, "[          ] "),
        };
        let _ = writeln!(uart, "{:<5} {}", record.level(), record.args());
    }

    fn flush(&self) {}
}

static LOGGER: Logger = Logger;

/// Initialises COM1 and installs the logger at `Info`.
pub fn init() {
    CONSOLE.lock().init();
    // Fails only if a logger is already installed, which then stays in use.
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(LevelFilter::Info);
}

/// Sets the log level (from the command line).
pub fn set_level(level: LevelFilter) {
    log::set_max_level(level);
}

/// Writes a line that scripts match on, regardless of the log level and of
/// what was printed before: it always begins a line of its own.
pub fn write_marker(args: fmt::Arguments<'_>) {
    let mut uart = CONSOLE.lock();
    uart.start_line_surely();
    let _ = uart.write_fmt(args);
    let _ = uart.write_str("\n");
}

/// Writes without taking the console lock. For the fatal paths only.
pub fn emergency_write(args: fmt::Arguments<'_>) {
    let _ = Uart {
        base: COM1,
        position: LinePosition::Unknown,
    }
    .write_fmt(args);
}
