//! PVH entry: ELF note plus the 32-bit trampoline.
//!
//! QEMU (and Xen) boot an ELF image directly when it carries a
//! `XEN_ELFNOTE_PHYS32_ENTRY` note: name "Xen", type 18, a 4-byte physical entry
//! address. Entry happens in 32-bit protected mode with paging off, flat
//! segments, and `%ebx` holding the physical address of `hvm_start_info`. No
//! stack is provided. An IGVM launch enters here too, in the same state (the
//! image's VP context), with `%ebx` at the IGVM launch-info page; the
//! trampoline passes either address on unchanged.
//!
//! The trampoline does the least that lets Rust run:
//! 1. recognises an SEV-SNP launch of the IGVM image (below), or else reads
//!    the TSC into [`crate::cpu::tsc::BOOT_TSC`] (a few instructions after
//!    the entry, so boot time is measured from there) and checks that the
//!    CPU has long mode and NX (the kernel's W^X mapping needs NX); if not,
//!    it says so on COM1 and exits QEMU with the Fault status;
//! 2. zeroes `.bss` and paints the boot stack with [`STACK_PAINT`] so the
//!    high-water mark can be measured later;
//! 3. identity-maps the first 4 GiB with 2 MiB pages, enables PAE, long mode,
//!    NX and write protection, and far-jumps into 64-bit code;
//! 4. calls [`crate::kernel_main`] with the start-info address as argument.
//!
//! SEV-SNP (reviewed against AMD APM vol. 2 §15.34-36, never executed here):
//! CPUID raises #VC, and no IDT exists yet, so the trampoline may not execute
//! it; nor RDTSC, which raises #VC too when the hypervisor intercepts it (a
//! hypervisor's choice, unless Secure TSC is on), so on SNP the boot clock
//! starts only once the GHCB can serve that #VC (`platform::snp::ghcb_up`). With paging off every access is private, so it reads the launch-info
//! page `%ebx` names (IGVM magic and version) and the CPUID page it points
//! to, which the firmware validated: an entry for 0x8000_001F with a C-bit
//! position in 32..=51 means SEV-SNP. The CPU checks are skipped then (an
//! SNP CPU has long mode and NX), every boot table entry gets the C-bit (all
//! early memory is private), and the position is left in [`SNP_C_BIT`] for
//! the kernel. Anything else (a PVH start info, a native IGVM launch whose
//! CPUID page was never loaded and reads as zero) takes the native path,
//! unchanged.
//!
//! The temporary tables live in `.bss` and are abandoned once
//! [`crate::mm::paging`] installs the kernel's real page tables.

use core::arch::global_asm;
use core::sync::atomic::{AtomicU8, Ordering};

use svsm_boot_params::igvm::{LAUNCH_INFO_MAGIC, LAUNCH_INFO_VERSION};
use svsm_snp::cbit::{CBit, CPUID_MEM_ENCRYPT};
use svsm_snp::cpuid::MAX_ENTRIES;

use crate::cpu::tsc::BOOT_TSC;
use crate::exit::KernelOutcome;
use crate::mm::stack::{BOOT_STACK, BOOT_STACK_SIZE, GUARD_SIZE, STACK_PAINT};

/// The C-bit position the trampoline found on an SEV-SNP launch; 0 on
/// Native. Written once by the trampoline, after `.bss` is zeroed.
static SNP_C_BIT: AtomicU8 = AtomicU8::new(0);

/// The C-bit the boot tables use: `Some` exactly when this is an SEV-SNP
/// launch.
pub fn snp_c_bit() -> Option<CBit> {
    match SNP_C_BIT.load(Ordering::Relaxed) {
        0 => None,
        position => CBit::from_cpuid_ebx(position.into()).ok(),
    }
}

global_asm!(
    // ---- PVH ELF note ------------------------------------------------------
    r#"
    .pushsection .note.pvh, "a", @note
    .p2align 2
    .long 4                 /* namesz: "Xen\0" */
    .long 4                 /* descsz: 32-bit entry address */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .p2align 2
    .long pvh_entry
    .p2align 2
    .popsection
    "#,
    // ---- Boot GDT: null, 64-bit code (0x08), data (0x10) -------------------
    r#"
    .pushsection .rodata.boot_gdt, "a", @progbits
    .p2align 3
    .Lboot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff
    .quad 0x00cf92000000ffff
    .Lboot_gdt_ptr:
    .word .Lboot_gdt_ptr - .Lboot_gdt - 1
    .long .Lboot_gdt
    .Lno_long_mode_msg:
    .asciz "svsm: FATAL: CPU lacks long mode or NX; cannot boot\r\n"
    .popsection
    "#,
    // ---- Temporary page tables: PML4, PDPT, 4 PDs (first 4 GiB) -----------
    r#"
    .pushsection .bss.boot_page_tables, "aw", @nobits
    .p2align 12
    .Lboot_pml4: .skip 4096
    .Lboot_pdpt: .skip 4096
    .Lboot_pd:   .skip 4096 * 4
    .popsection
    "#,
    // ---- 32-bit entry ------------------------------------------------------
    r#"
    .pushsection .text.pvh_entry, "ax", @progbits
    .code32
    .global pvh_entry
    pvh_entry:
    cli
    cld
    movl %ebx, %esi                 /* hvm_start_info, kept for Rust */

    /* SEV-SNP? %ebx: C-bit position, %ebp: C-bit in an entry's high dword;
       both 0 on Native. Offsets: launch info (magic, version, ..., CPUID
       page at 32), CPUID page (count at 0, 48-byte entries from 16: leaf
       at 0, EBX out at 28). */
    xorl %ebx, %ebx
    xorl %ebp, %ebp
    cmpl ${launch_magic}, (%esi)
    jne .Lnative
    cmpl ${launch_version}, 4(%esi)
    jne .Lnative
    cmpl $0, 36(%esi)               /* CPUID page below 4 GiB */
    jne .Lnative
    movl 32(%esi), %edx
    testl %edx, %edx
    jz .Lnative
    movl (%edx), %ecx               /* entry count */
    cmpl ${max_entries}, %ecx
    ja .Lnative
    addl $16, %edx
    6:
    testl %ecx, %ecx
    jz .Lnative
    cmpl ${mem_encrypt}, (%edx)
    je 7f
    addl $48, %edx
    decl %ecx
    jmp 6b
    7:
    movl 28(%edx), %ecx
    andl $0x3f, %ecx
    cmpl $32, %ecx
    jb .Lnative
    cmpl $51, %ecx
    ja .Lnative
    movl %ecx, %ebx
    subl $32, %ecx
    movl $1, %ebp
    shll %cl, %ebp
    jmp .Lcpu_ok

    .Lnative:
    rdtsc                           /* Native only: see the SNP note */
    movl %eax, {boot_tsc}
    movl %edx, {boot_tsc} + 4
    xorl %ebx, %ebx
    xorl %ebp, %ebp
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb .Lno_long_mode
    movl $0x80000001, %eax
    cpuid
    btl $29, %edx                   /* LM */
    jnc .Lno_long_mode
    btl $20, %edx                   /* NX */
    jnc .Lno_long_mode
    xorl %ebx, %ebx                 /* CPUID wrote it: Native, no C-bit */

    .Lcpu_ok:
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    movb %bl, {snp_c_bit}

    movl ${boot_stack} + {guard}, %edi
    movl ${stack_dwords}, %ecx
    movl ${paint}, %eax
    rep stosl

    movl $.Lboot_pdpt + 3, %eax     /* present | writable */
    movl %eax, .Lboot_pml4
    movl %ebp, .Lboot_pml4 + 4      /* C-bit (SNP) */
    movl $.Lboot_pd + 3, %eax
    xorl %ecx, %ecx
    1:
    movl %eax, .Lboot_pdpt(,%ecx,8)
    movl %ebp, .Lboot_pdpt + 4(,%ecx,8)
    addl $4096, %eax
    incl %ecx
    cmpl $4, %ecx
    jb 1b
    movl $0x83, %eax                /* present | writable | 2 MiB page */
    xorl %ecx, %ecx
    2:
    movl %eax, .Lboot_pd(,%ecx,8)
    movl %ebp, .Lboot_pd + 4(,%ecx,8)
    addl $0x200000, %eax
    incl %ecx
    cmpl $2048, %ecx
    jb 2b

    movl %cr4, %eax
    orl $0x20, %eax                 /* PAE */
    movl %eax, %cr4
    movl $.Lboot_pml4, %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx          /* EFER */
    rdmsr
    orl $0x900, %eax                /* LME | NXE */
    wrmsr
    movl %cr0, %eax
    orl $0x80010001, %eax           /* PG | WP | PE */
    movl %eax, %cr0

    lgdt .Lboot_gdt_ptr
    ljmpl $0x08, $.Llong_mode

    .Lno_long_mode:
    movl $.Lno_long_mode_msg, %esi
    movw $0x3f8, %dx
    3:
    movb (%esi), %al
    testb %al, %al
    jz 4f
    outb %al, %dx
    incl %esi
    jmp 3b
    4:
    movw $0xf4, %dx
    movl ${fault}, %eax
    outl %eax, %dx
    5:
    hlt
    jmp 5b

    .code64
    .Llong_mode:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movq ${boot_stack} + {guard} + {stack_size}, %rsp
    xorl %ebp, %ebp
    movl %esi, %edi
    call {main}
    ud2
    .popsection
    "#,
    boot_tsc = sym BOOT_TSC,
    boot_stack = sym BOOT_STACK,
    guard = const GUARD_SIZE,
    stack_size = const BOOT_STACK_SIZE,
    stack_dwords = const BOOT_STACK_SIZE / 4,
    paint = const STACK_PAINT,
    fault = const KernelOutcome::Fault as u32,
    main = sym crate::kernel_main,
    snp_c_bit = sym SNP_C_BIT,
    launch_magic = const LAUNCH_INFO_MAGIC,
    launch_version = const LAUNCH_INFO_VERSION,
    max_entries = const MAX_ENTRIES,
    mem_encrypt = const CPUID_MEM_ENCRYPT,
    options(att_syntax)
);
