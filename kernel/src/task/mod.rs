//! Ring-3 tasks: their own address space ([`space`]), a way in and out
//! ([`gate`]), and the one task the kernel runs, the guest harness
//! ([`harness`]).
//!
//! One task runs at a time, on the boot CPU, started by [`run`] and ended by
//! its exit call or by a fault. A fault in ring 3 is the task's problem, not
//! the kernel's: [`user_fault`] reports it and returns to [`run`]'s caller.

pub mod gate;
pub mod harness;
pub mod space;

use log::{error, info, warn};
use spin::Mutex;
use svsm_protocol::Registers;
use x86_64::registers::control::Cr2;
use x86_64::registers::control::Cr3;

use crate::cpu::exceptions::ExceptionFrame;
use crate::guest::{self, GuestRam};
use gate::GateFrame;
use space::UserSpace;

/// How a task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskEnd {
    Exited(u64),
    Faulted,
}

/// Task service numbers (RAX at the 0x81 gate).
pub mod service {
    pub const WRITE: u64 = 0;
    pub const EXIT: u64 = 1;
    /// Longest console line a task may write in one call.
    pub const MAX_WRITE: usize = 256;
}

/// The running task.
struct Current {
    name: &'static str,
    space: UserSpace,
    guest: GuestRam,
}

static CURRENT: Mutex<Option<Current>> = Mutex::new(None);

/// Runs a task to its end. `guest` is the memory its SVSM calls may name.
pub fn run(
    name: &'static str,
    space: UserSpace,
    guest: GuestRam,
    entry: u64,
    stack_top: u64,
    args: [u64; 5],
) -> TaskEnd {
    let root = space.root();
    *CURRENT.lock() = Some(Current { name, space, guest });
    let (kernel_root, flags) = Cr3::read();
    info!("task {name}: entering ring 3 at {entry:#x}");
    // SAFETY: the task's tables keep every kernel mapping (see `space`), so
    // the kernel runs unchanged on them.
    unsafe { Cr3::write(root, flags) };
    // SAFETY: `space` mapped `entry` and the stack for the task; CURRENT's
    // lock is released above, and nothing else is held.
    let status = unsafe { gate::enter_user(entry, stack_top, args) };
    // SAFETY: back to the kernel's own tables, which were active before.
    unsafe { Cr3::write(kernel_root, flags) };
    *CURRENT.lock() = None;
    if status == gate::FAULTED {
        TaskEnd::Faulted
    } else {
        TaskEnd::Exited(status)
    }
}

/// The 0x80 gate: one SVSM call, with the Calling Area protocol.
fn svsm_call(frame: &mut GateFrame) {
    let current = CURRENT.lock();
    let (Some(task), Some(svsm)) = (current.as_ref(), guest::svsm()) else {
        return;
    };
    let mut regs = Registers {
        rax: frame.rax,
        rcx: frame.rcx,
        rdx: frame.rdx,
        r8: frame.r8,
        r9: frame.r9,
    };
    match svsm.lock().serve(&task.guest, &mut regs) {
        Ok(_) => {
            frame.rax = regs.rax;
            frame.rcx = regs.rcx;
            frame.rdx = regs.rdx;
            frame.r8 = regs.r8;
        }
        Err(e) => warn!("task {}: Calling Area unusable ({e:?})", task.name),
    }
}

/// The 0x81 gate: the task's console and exit.
fn task_service(frame: &mut GateFrame) {
    let mut current = CURRENT.lock();
    let Some(task) = current.as_mut() else {
        return;
    };
    match frame.rax {
        service::WRITE => {
            let mut buf = [0u8; service::MAX_WRITE];
            let len = (frame.rsi as usize).min(service::MAX_WRITE);
            match task.space.read_user(frame.rdi, &mut buf[..len]) {
                Some(()) => info!(
                    "{}: {}",
                    task.name,
                    core::str::from_utf8(&buf[..len]).unwrap_or("<not UTF-8>")
                ),
                None => warn!("task {}: write from unmapped memory ignored", task.name),
            }
        }
        service::EXIT => {
            let status = frame.rdi;
            drop(current);
            // SAFETY: called from the gate, entered from ring 3 while `run`
            // is active; the only lock taken here was just released.
            unsafe { gate::leave_user(status) }
        }
        other => warn!("task {}: unknown service {other}", task.name),
    }
}

/// An exception raised in ring 3: report it and end the task.
pub fn user_fault(frame: &ExceptionFrame) -> ! {
    let (mnemonic, name) = frame.names();
    let cr2 = if frame.vector == 14 {
        Cr2::read_raw()
    } else {
        0
    };
    error!(
        "ring-3 fault: vector {} {mnemonic} ({name}), error code {:#x}, RIP {:#x}, RSP {:#x}, CR2 {cr2:#x}",
        frame.vector, frame.error_code, frame.rip, frame.rsp
    );
    error!("ring-3 task killed; the kernel carries on");
    // SAFETY: the exception came from ring 3 (the caller checked CS.RPL), so
    // `run` is active and this handler holds nothing.
    unsafe { gate::leave_user(gate::FAULTED) }
}
