//! Ring-3 tasks: their own address space ([`space`]), a way in and out
//! ([`gate`]), the guest harness ([`harness`]), and long-lived services
//! ([`service`]) such as the vTPM ([`vtpm`]), which reach the crypto module
//! only through the kernel crypto gate: a service's `CRYPTO` task service,
//! answered by `svsm_vtpm::gate::serve` over the one module instance.
//!
//! One task runs at a time, on the boot CPU, started by [`run`] and ended by
//! its exit call or by a fault. Runs nest: a service answers a request made
//! in the harness's SVSM call, inside that call's gate. Everything its gates act on is in its
//! [`Task`]: its address space, the guest memory it owns and the SVSM
//! instance that answers its calls, all given by whoever runs it. The gates
//! receive that `Task` from [`gate`]'s entry (the one hand-off from assembly
//! to Rust), never through a global looked up per call.
//!
//! A fault in ring 3 is the task's problem, not the kernel's: [`run`]
//! registers [`user_fault`] with the exception code, which reports the fault
//! and returns to [`run`]'s caller.

pub mod gate;
pub mod harness;
pub mod service;
pub mod space;
pub mod vtpm;

use log::{debug, error, info, warn};
use svsm_abi::{Registers, service as task_service, vector};
use svsm_protocol::Svsm;
use x86_64::registers::control::Cr2;
use x86_64::registers::control::Cr3;

use crate::cpu::exceptions::{self, ExceptionFrame};
use crate::guest::GuestRam;
use gate::GateFrame;
use space::{SharedBuf, UserSpace};
use svsm_vtpm::ModuleCrypto;

/// How a task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskEnd {
    Exited(u64),
    Faulted,
}

/// What a task is allowed to ask of the kernel beyond its console and exit.
pub enum Role<'a> {
    /// The guest: SVSM calls, answered by `svsm` over `guest`, the memory
    /// its calls may name.
    Guest {
        guest: GuestRam,
        svsm: &'a mut Svsm<'static>,
    },
    /// A service: crypto-gate calls, run in `crypto` with their arguments in
    /// `page`.
    Service {
        crypto: &'a ModuleCrypto<'static>,
        page: &'a mut SharedBuf,
    },
}

/// A ring-3 task and the state its gates act on.
pub struct Task<'a> {
    name: &'static str,
    space: &'a mut UserSpace,
    role: Role<'a>,
}

impl<'a> Task<'a> {
    pub fn new(name: &'static str, space: &'a mut UserSpace, role: Role<'a>) -> Self {
        Self { name, space, role }
    }

    /// A gate was raised from ring 3: `frame` holds the task's registers.
    fn gate(&mut self, frame: &mut GateFrame) {
        match frame.vector as u8 {
            vector::SVSM_CALL => self.svsm_call(frame),
            vector::TASK_SERVICE => self.service(frame),
            // The gate stubs push only those two vectors.
            _ => {}
        }
    }

    /// One SVSM call, with the Calling Area protocol.
    fn svsm_call(&mut self, frame: &mut GateFrame) {
        let Role::Guest { guest, svsm } = &mut self.role else {
            warn!("task {}: SVSM call from a service refused", self.name);
            frame.rax = u64::MAX;
            return;
        };
        let mut regs = Registers {
            rax: frame.rax,
            rcx: frame.rcx,
            rdx: frame.rdx,
            r8: frame.r8,
            r9: frame.r9,
        };
        match svsm.serve(guest, &mut regs) {
            Ok(_) => {
                frame.rax = regs.rax;
                frame.rcx = regs.rcx;
                frame.rdx = regs.rdx;
                frame.r8 = regs.r8;
            }
            Err(e) => warn!("task {}: Calling Area unusable ({e:?})", self.name),
        }
    }

    /// The task's console and exit.
    fn service(&mut self, frame: &mut GateFrame) {
        match frame.rax {
            task_service::WRITE => {
                let mut buf = [0u8; task_service::MAX_WRITE];
                let len = (frame.rsi as usize).min(task_service::MAX_WRITE);
                match self.space.read_user(frame.rdi, &mut buf[..len]) {
                    Some(()) => info!(
                        "{}: {}",
                        self.name,
                        core::str::from_utf8(&buf[..len]).unwrap_or("<not UTF-8>")
                    ),
                    None => warn!("task {}: write from unmapped memory ignored", self.name),
                }
            }
            // SAFETY: called from a gate, entered from ring 3 while `run` is
            // active; this handler holds no lock.
            task_service::EXIT => unsafe { gate::leave_user(frame.rdi) },
            task_service::CRYPTO => {
                frame.rax = match &mut self.role {
                    Role::Service { crypto, page } => svsm_vtpm::gate::serve(*crypto, page.bytes()),
                    // The guest has no crypto gate.
                    Role::Guest { .. } => svsm_abi::vtpm_service::gate::ERR_UNSUPPORTED,
                }
            }
            other => warn!("task {}: unknown service {other}", self.name),
        }
    }
}

/// Runs `task` from `entry` on `stack_top` with `args` (RDI, RSI, RDX, RCX,
/// R8) until it exits or faults.
pub fn run(task: &mut Task<'_>, entry: u64, stack_top: u64, args: [u64; 5]) -> TaskEnd {
    exceptions::set_user_fault_hook(user_fault);
    let (kernel_root, flags) = Cr3::read();
    debug!("task {}: entering ring 3 at {entry:#x}", task.name);
    // SAFETY: the task's tables keep every kernel mapping (see `space`), so
    // the kernel runs unchanged on them.
    unsafe { Cr3::write(task.space.root(), flags) };
    // SAFETY: `space` mapped `entry` and the stack for the task, and no lock
    // is held here.
    let status = unsafe { gate::enter_user(task, entry, stack_top, args) };
    // SAFETY: back to the kernel's own tables, which were active before.
    unsafe { Cr3::write(kernel_root, flags) };
    if status == gate::FAULTED {
        TaskEnd::Faulted
    } else {
        TaskEnd::Exited(status)
    }
}

/// The exception code's hook for faults raised in ring 3: report the fault
/// and end the task.
fn user_fault(frame: &ExceptionFrame) -> ! {
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
    // SAFETY: the exception code calls this hook only for exceptions from
    // ring 3 (CS.RPL = 3), so `run` is active, and this handler holds nothing.
    unsafe { gate::leave_user(gate::FAULTED) }
}
