//! The ring-3 side of the task services, for the programs the kernel runs
//! (the guest harness, the vTPM service): console lines, exit, the TSC.
//! Built only for the bare-metal target.

use core::arch::asm;
use core::fmt::{self, Write};

use crate::service::{EXIT, MAX_WRITE, WRITE};
use crate::vector;

fn write(bytes: &[u8]) {
    // SAFETY: the kernel copies `len` bytes from `ptr`, which are ours.
    unsafe {
        asm!(
            "int {vector}",
            vector = const vector::TASK_SERVICE,
            in("rax") WRITE,
            in("rdi") bytes.as_ptr(),
            in("rsi") bytes.len(),
        );
    }
}

/// The time-stamp counter (the kernel leaves CR4.TSD clear, so ring 3 may read it).
pub fn tsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: rdtsc only writes EDX:EAX; it touches no memory.
    unsafe { asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Ends the task with `status`.
pub fn exit(status: u64) -> ! {
    // SAFETY: the exit service never returns to this task.
    unsafe {
        asm!(
            "int {vector}",
            vector = const vector::TASK_SERVICE,
            in("rax") EXIT,
            in("rdi") status,
            options(noreturn),
        )
    }
}

/// One console line, truncated at the gate's limit.
pub struct Line {
    buf: [u8; MAX_WRITE],
    len: usize,
}

impl Default for Line {
    fn default() -> Self {
        Self::new()
    }
}

impl Line {
    pub const fn new() -> Self {
        Self {
            buf: [0; MAX_WRITE],
            len: 0,
        }
    }

    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
    }

    pub fn send(&self) {
        write(&self.buf[..self.len]);
    }
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// The image's entry point `_start` (first in `.text.entry`), calling
/// `$main` with the kernel's argument registers; `$main` never returns.
#[macro_export]
macro_rules! ring3_entry {
    ($main:path) => {
        core::arch::global_asm!(
            r#"
            .pushsection .text.entry, "ax", @progbits
            .global _start
            _start:
            call {main}
            ud2
            .popsection
            "#,
            main = sym $main,
        );
    };
}

/// Prints one line on the kernel console (ring-3 programs).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        let mut line = $crate::ring3::Line::new();
        let _ = core::fmt::Write::write_fmt(&mut line, format_args!($($arg)*));
        line.send();
    }};
}
