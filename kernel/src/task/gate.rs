//! Entering and leaving ring 3.
//!
//! * [`enter_user`] saves the kernel's callee-saved registers and stack
//!   pointer, then `iretq`s to the task with its arguments in RDI, RSI, RDX,
//!   RCX, R8 (the only way out again is [`leave_user`]).
//! * Two DPL 3 interrupt gates let the task enter the kernel (their vectors
//!   are `svsm_abi::vector`): the SVSM call stands in for the SNP VMGEXIT
//!   (the task's RAX, RCX, RDX, R8, R9 are an SVSM call, answered in RAX,
//!   RCX, RDX, R8 exactly as on SNP), the task service is the task's own
//!   console and exit (`svsm_abi::service`). [`user_gates`] lists them for
//!   whoever builds the IDT.
//! * [`leave_user`] switches back to the saved kernel stack and returns from
//!   [`enter_user`] with a status: the task's exit status, or [`FAULTED`]
//!   when [`super::user_fault`] ended it.
//!
//! Runs nest: a gate handler may run another task (a ring-3 service
//! answering the calling task's request) to its end. [`enter_user`] then
//! moves TSS.RSP0 below its own frame for the inner task, and the saved
//! kernel stack pointer and [`RUNNING`] are restored when it returns.
//!
//! Both gates run on TSS.RSP0 (the ring-3 entry stack) with interrupts off.
//! Their common stub calls [`gate_entry`], the one hand-off from assembly to
//! Rust: it takes the [`Task`] that [`enter_user`] is running from
//! [`RUNNING`], set for exactly that call, and hands it to safe code.

use core::arch::global_asm;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};

use svsm_abi::vector;
use x86_64::VirtAddr;

use super::Task;
use crate::cpu::gdt::{self, USER_CODE_SELECTOR, USER_DATA_SELECTOR};

/// [`enter_user`]'s result when the task was killed by a fault.
pub const FAULTED: u64 = u64::MAX;

/// RFLAGS for ring 3: reserved bit 1 only (IF = 0, IOPL = 0: no port I/O).
const USER_RFLAGS: u64 = 0x2;

/// The registers as the gate stub saved them (lowest address first).
#[repr(C)]
pub struct GateFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

global_asm!(
    r#"
    .pushsection .text.task_gates, "ax", @progbits

    .global svsm_gate_svsm_call
    svsm_gate_svsm_call:
    pushq ${svsm_vector}
    jmp .Lgate_common

    .global svsm_gate_task_service
    svsm_gate_task_service:
    pushq ${service_vector}
    jmp .Lgate_common

    .Lgate_common:
    cld
    "#,
    crate::cpu::push_gprs!(),
    r#"
    movq %rsp, %rdi
    /* CPU frame (5 words, 16-aligned base) + vector + 15 registers leave
       RSP 8 bytes off a 16-byte boundary. */
    subq $8, %rsp
    call {dispatch}
    addq $8, %rsp
    "#,
    crate::cpu::pop_gprs!(),
    r#"
    addq $8, %rsp
    iretq

    /* u64 svsm_enter_user(u64 entry, u64 user_rsp, const u64 args[5]) */
    .global svsm_enter_user
    svsm_enter_user:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    /* The enclosing run's saved stack pointer (nested runs: a service
       entered from another task's gate), restored by svsm_leave_user. */
    pushq svsm_saved_kernel_rsp(%rip)
    movq %rsp, svsm_saved_kernel_rsp(%rip)
    pushq ${user_ss}
    pushq %rsi
    pushq ${user_rflags}
    pushq ${user_cs}
    pushq %rdi
    movq %rdx, %rax
    movq 0(%rax), %rdi
    movq 8(%rax), %rsi
    movq 16(%rax), %rdx
    movq 24(%rax), %rcx
    movq 32(%rax), %r8
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ebp, %ebp
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    iretq

    /* noreturn svsm_leave_user(u64 status) */
    .global svsm_leave_user
    svsm_leave_user:
    movq svsm_saved_kernel_rsp(%rip), %rsp
    movq %rdi, %rax
    popq svsm_saved_kernel_rsp(%rip)
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret
    .popsection

    .pushsection .bss.svsm_saved_kernel_rsp, "aw", @nobits
    .p2align 3
    svsm_saved_kernel_rsp:
    .quad 0
    .popsection
    "#,
    svsm_vector = const vector::SVSM_CALL,
    service_vector = const vector::TASK_SERVICE,
    user_ss = const USER_DATA_SELECTOR,
    user_cs = const USER_CODE_SELECTOR,
    user_rflags = const USER_RFLAGS,
    dispatch = sym gate_entry,
    options(att_syntax)
);

unsafe extern "C" {
    static svsm_gate_svsm_call: u8;
    static svsm_gate_task_service: u8;
    fn svsm_enter_user(entry: u64, user_rsp: u64, args: *const [u64; 5]) -> u64;
    fn svsm_leave_user(status: u64) -> !;
}

/// The DPL 3 gates for the IDT: (vector, handler).
pub fn user_gates() -> [(u8, VirtAddr); 2] {
    [
        (
            vector::SVSM_CALL,
            VirtAddr::new(&raw const svsm_gate_svsm_call as u64),
        ),
        (
            vector::TASK_SERVICE,
            VirtAddr::new(&raw const svsm_gate_task_service as u64),
        ),
    ]
}

/// The task [`enter_user`] is running (a `Task<'_>`, lifetime erased; the
/// innermost one when runs nest), null otherwise. Written only by
/// [`enter_user`], read only by [`gate_entry`].
static RUNNING: AtomicPtr<()> = AtomicPtr::new(ptr::null_mut());

/// Runs `task` at `entry` on `user_rsp` until it exits or faults; its gates
/// act on `task` meanwhile.
///
/// # Safety
///
/// The active page tables must map `entry` user-executable and the stack
/// below `user_rsp` user-writable, and keep every kernel mapping; the caller
/// must not hold any lock the gates take (they run while this is called).
pub unsafe fn enter_user(task: &mut Task<'_>, entry: u64, user_rsp: u64, args: [u64; 5]) -> u64 {
    let outer = RUNNING.swap(ptr::from_mut(task).cast(), Ordering::Relaxed);
    // Inside another task's gate the entry stack is in use above us: the
    // inner task enters the kernel below this frame.
    let saved_rsp0 = (!outer.is_null()).then(|| {
        let rsp: u64;
        // SAFETY: reads the stack pointer only.
        unsafe { core::arch::asm!("mov {}, rsp", out(reg) rsp, options(nomem, nostack)) };
        // SAFETY: interrupts are off in a gate; everything live on this
        // stack is above `rsp`, and svsm_enter_user's frame takes less than
        // NESTED_MARGIN below it; RSP0 is restored before this returns.
        unsafe { gdt::set_entry_stack(VirtAddr::new((rsp - NESTED_MARGIN) & !0xf)) }
    });
    // SAFETY: by the caller's contract; `args` outlives the call (it is read
    // before the switch to ring 3). `task` stays exclusively borrowed for
    // the whole call, so `gate_entry` may use it while ring 3 runs.
    let status = unsafe { svsm_enter_user(entry, user_rsp, &args) };
    if let Some(rsp0) = saved_rsp0 {
        // SAFETY: the value that was in place when this call began.
        unsafe { gdt::set_entry_stack(rsp0) };
    }
    RUNNING.store(outer, Ordering::Relaxed);
    status
}

/// Room below a nested [`enter_user`]'s stack pointer for svsm_enter_user's
/// own frame (return address, saved registers, the iret frame).
const NESTED_MARGIN: u64 = 512;

/// Ends the running task: back to [`enter_user`]'s caller with `status`.
///
/// # Safety
///
/// A task must be running, i.e. this is called from a gate or exception
/// handler entered from ring 3 while [`enter_user`] is active, and no lock or
/// other state held on the current stack may be abandoned.
pub unsafe fn leave_user(status: u64) -> ! {
    // SAFETY: by the caller's contract the saved kernel stack pointer is that
    // of the active `enter_user`, whose frame is intact.
    unsafe { svsm_leave_user(status) }
}

/// Called by the gates' common stub with the task's saved registers.
extern "C" fn gate_entry(frame: &mut GateFrame) {
    let running = RUNNING.load(Ordering::Relaxed).cast::<Task<'_>>();
    // Null would mean a gate raised from ring 0, which nothing does; ignored.
    // SAFETY: ring 3 runs only inside `enter_user`, which set RUNNING to a task
    // it borrows exclusively until the task leaves ring 3 (one CPU, IF = 0).
    let task = unsafe { running.as_mut() };
    if let Some(task) = task {
        task.gate(frame);
    }
}
