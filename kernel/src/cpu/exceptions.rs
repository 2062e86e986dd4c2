//! CPU exceptions: entry stubs and the fatal report.
//!
//! Every exception raised in ring 0 is fatal: the kernel has no recoverable
//! faults (no demand paging, no lazy FPU), so the right response is a precise
//! report and a Fault exit, never a return. An exception raised in ring 3
//! (CS.RPL = 3) belongs to the running task: it goes to the hook the task
//! code registered ([`set_user_fault_hook`]), which reports it and ends that
//! task, and the kernel carries on. Without a hook it is fatal like any other.
//!
//! [`EXCEPTIONS`] is the single description of vectors 0-31: name, whether the
//! CPU pushes an error code, and which IST stack it runs on. The assembly stubs
//! are generated from it: one 16-byte stub per vector pushes a zero in place of
//! a missing error code, then the vector number, and jumps to a common path
//! that saves the general-purpose registers and calls [`exception_report`] with
//! a pointer to the resulting [`ExceptionFrame`].

use core::arch::global_asm;

use spin::Once;
use x86_64::VirtAddr;
use x86_64::registers::control::Cr2;
use x86_64::structures::idt::PageFaultErrorCode;

use super::gdt::IstSlot;
use crate::console::emergency_write;
use crate::fatal;

pub struct ExceptionInfo {
    pub mnemonic: &'static str,
    pub name: &'static str,
    pub has_error_code: bool,
    pub ist: Option<IstSlot>,
}

const fn exc(mnemonic: &'static str, name: &'static str, has_error_code: bool) -> ExceptionInfo {
    ExceptionInfo {
        mnemonic,
        name,
        has_error_code,
        ist: None,
    }
}

const fn exc_ist(
    mnemonic: &'static str,
    name: &'static str,
    err: bool,
    ist: IstSlot,
) -> ExceptionInfo {
    ExceptionInfo {
        mnemonic,
        name,
        has_error_code: err,
        ist: Some(ist),
    }
}

pub const EXCEPTIONS: [ExceptionInfo; 32] = [
    exc("#DE", "Divide Error", false),
    exc("#DB", "Debug", false),
    exc_ist("NMI", "Non-Maskable Interrupt", false, IstSlot::Nmi),
    exc("#BP", "Breakpoint", false),
    exc("#OF", "Overflow", false),
    exc("#BR", "BOUND Range Exceeded", false),
    exc("#UD", "Invalid Opcode", false),
    exc("#NM", "Device Not Available", false),
    exc_ist("#DF", "Double Fault", true, IstSlot::DoubleFault),
    exc("-", "Coprocessor Segment Overrun (reserved)", false),
    exc("#TS", "Invalid TSS", true),
    exc("#NP", "Segment Not Present", true),
    exc("#SS", "Stack-Segment Fault", true),
    exc("#GP", "General Protection", true),
    exc("#PF", "Page Fault", true),
    exc("-", "Reserved", false),
    exc("#MF", "x87 Floating-Point Error", false),
    exc("#AC", "Alignment Check", true),
    exc_ist("#MC", "Machine Check", false, IstSlot::MachineCheck),
    exc("#XM", "SIMD Floating-Point Exception", false),
    exc("#VE", "Virtualization Exception", false),
    exc("#CP", "Control Protection", true),
    exc("-", "Reserved", false),
    exc("-", "Reserved", false),
    exc("-", "Reserved", false),
    exc("-", "Reserved", false),
    exc("-", "Reserved", false),
    exc("-", "Reserved", false),
    exc("#HV", "Hypervisor Injection", false),
    exc("#VC", "VMM Communication", true),
    exc("#SX", "Security Exception", true),
    exc("-", "Reserved", false),
];

/// Bit `v` set if the CPU pushes an error code for vector `v`.
const ERROR_CODE_MASK: u32 = {
    let mut mask = 0;
    let mut v = 0;
    while v < EXCEPTIONS.len() {
        if EXCEPTIONS[v].has_error_code {
            mask |= 1 << v;
        }
        v += 1;
    }
    mask
};

const STUB_SIZE: usize = 16;

global_asm!(
    r#"
    .pushsection .text.exception_stubs, "ax", @progbits
    .p2align 4
    .global svsm_exception_stubs
    svsm_exception_stubs:
    .irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .Lstub_\vector:
    .if (({mask} >> \vector) & 1) == 0
    pushq $0
    .endif
    pushq $\vector
    jmp .Lexception_common
    .fill {stub} - (. - .Lstub_\vector), 1, 0xcc
    .endr

    .Lexception_common:
    cld
    "#,
    super::push_gprs!(),
    r#"
    svsm_exception_report_frame:
    movq %rsp, %rdi
    andq $-16, %rsp
    call {report}
    ud2
    .popsection
    "#,
    mask = const ERROR_CODE_MASK,
    stub = const STUB_SIZE,
    report = sym exception_report,
    options(att_syntax)
);

/// The #VC vector.
pub const VC_VECTOR: usize = 29;

// #VC has its own entry: it may return. It builds the same frame as the
// other stubs (the CPU pushed the error code, the exit code of the
// intercepted instruction); then `vc_dispatch` either handled it (the frame
// holds the results and the next RIP: restore and IRETQ) or not (the common
// path's fatal report, `svsm_exception_report_frame`, on the same frame).
global_asm!(
    r#"
    .pushsection .text.exception_stubs, "ax", @progbits
    .p2align 4
    .global svsm_vc_stub
    svsm_vc_stub:
    pushq ${vector}
    cld
    "#,
    super::push_gprs!(),
    r#"
    movq %rsp, %rdi
    movq %rsp, %rbx
    andq $-16, %rsp
    call {dispatch}
    movq %rbx, %rsp
    testb %al, %al
    jz 1f
    "#,
    super::pop_gprs!(),
    r#"
    addq $16, %rsp
    iretq
    1:
    jmp svsm_exception_report_frame
    .popsection
    "#,
    vector = const VC_VECTOR,
    dispatch = sym vc_dispatch,
    options(att_syntax)
);

unsafe extern "C" {
    static svsm_exception_stubs: u8;
    static svsm_vc_stub: u8;
}

/// Entry of #VC.
pub fn vc_stub_address() -> VirtAddr {
    VirtAddr::new(&raw const svsm_vc_stub as u64)
}

/// Handles a #VC raised in ring 0: on success the frame's registers hold
/// the instruction's results and `rip` points past it; `false` means
/// unhandled (fatal).
pub type VcHook = fn(&mut ExceptionFrame) -> bool;

static VC_HOOK: Once<VcHook> = Once::new();

/// Registers the #VC handler (the first registration stays).
pub fn set_vc_hook(hook: VcHook) {
    VC_HOOK.call_once(|| hook);
}

extern "C" fn vc_dispatch(frame: &mut ExceptionFrame) -> bool {
    // A #VC from ring 3 belongs to the task; it goes the fatal-report way,
    // which hands it to the user fault hook.
    frame.cs & 3 == 0 && VC_HOOK.get().is_some_and(|hook| hook(frame))
}

/// Entry stub for `vector`.
pub fn stub_address(vector: usize) -> VirtAddr {
    VirtAddr::new(&raw const svsm_exception_stubs as u64 + (vector * STUB_SIZE) as u64)
}

/// The stack as the common stub leaves it: saved registers, then what the
/// stub pushed, then what the CPU pushed.
#[repr(C)]
pub struct ExceptionFrame {
    r15: u64,
    r14: u64,
    r13: u64,
    r12: u64,
    r11: u64,
    r10: u64,
    r9: u64,
    r8: u64,
    rbp: u64,
    rdi: u64,
    rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    rflags: u64,
    pub rsp: u64,
    ss: u64,
}

impl ExceptionFrame {
    /// Mnemonic and name of the vector.
    pub fn names(&self) -> (&'static str, &'static str) {
        EXCEPTIONS
            .get(self.vector as usize)
            .map_or(("?", "?"), |i| (i.mnemonic, i.name))
    }
}

/// How the #PF error code is printed: a word if the bit is set, another
/// (possibly none) if it is clear.
const PF_ERROR_BITS: [(PageFaultErrorCode, &str, &str); 5] = [
    (
        PageFaultErrorCode::PROTECTION_VIOLATION,
        "protection-violation",
        "not-present",
    ),
    (PageFaultErrorCode::CAUSED_BY_WRITE, "write", "read"),
    (PageFaultErrorCode::USER_MODE, "user", "supervisor"),
    (PageFaultErrorCode::MALFORMED_TABLE, "reserved-bit", ""),
    (
        PageFaultErrorCode::INSTRUCTION_FETCH,
        "instruction-fetch",
        "",
    ),
];

/// Handles an exception raised in ring 3; never returns to the faulting code.
pub type UserFaultHook = fn(&ExceptionFrame) -> !;

static USER_FAULT_HOOK: Once<UserFaultHook> = Once::new();

/// Registers the handler of ring-3 exceptions (the first registration stays).
pub fn set_user_fault_hook(hook: UserFaultHook) {
    USER_FAULT_HOOK.call_once(|| hook);
}

extern "C" fn exception_report(frame: &ExceptionFrame) -> ! {
    if frame.cs & 3 == 3
        && let Some(hook) = USER_FAULT_HOOK.get()
    {
        hook(frame);
    }
    fatal::enter("exception");
    let info = EXCEPTIONS.get(frame.vector as usize);
    let (mnemonic, name) = info.map_or(("?", "?"), |i| (i.mnemonic, i.name));
    emergency_write(format_args!(
        "\nsvsm: FATAL CPU exception: vector {} {} ({})\n",
        frame.vector, mnemonic, name
    ));
    if info.is_some_and(|i| i.has_error_code) {
        emergency_write(format_args!("  error code {:#x}\n", frame.error_code));
    } else {
        emergency_write(format_args!("  error code (none for this vector)\n"));
    }
    emergency_write(format_args!(
        "  RIP {:#018x}  CS {:#06x}  RFLAGS {:#010x}\n  RSP {:#018x}  SS {:#06x}\n",
        frame.rip, frame.cs, frame.rflags, frame.rsp, frame.ss
    ));
    if frame.vector == 14 {
        emergency_write(format_args!("  CR2 {:#018x} (", Cr2::read_raw()));
        let code = PageFaultErrorCode::from_bits_retain(frame.error_code);
        for (bit, set, clear) in PF_ERROR_BITS {
            let word = if code.contains(bit) { set } else { clear };
            if !word.is_empty() {
                emergency_write(format_args!(" {word}"));
            }
        }
        emergency_write(format_args!(" )\n"));
    }
    let regs = [
        ("RAX", frame.rax),
        ("RBX", frame.rbx),
        ("RCX", frame.rcx),
        ("RDX", frame.rdx),
        ("RSI", frame.rsi),
        ("RDI", frame.rdi),
        ("RBP", frame.rbp),
        ("R8 ", frame.r8),
        ("R9 ", frame.r9),
        ("R10", frame.r10),
        ("R11", frame.r11),
        ("R12", frame.r12),
        ("R13", frame.r13),
        ("R14", frame.r14),
        ("R15", frame.r15),
    ];
    for (i, (name, value)) in regs.iter().enumerate() {
        let end = if i % 3 == 2 { "\n" } else { "  " };
        emergency_write(format_args!("  {name} {value:#018x}{end}"));
    }
    fatal::finish()
}
