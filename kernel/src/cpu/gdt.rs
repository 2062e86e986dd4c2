//! GDT and TSS.
//!
//! Long mode ignores most of the GDT; the kernel needs it for a 64-bit code
//! segment and for the TSS, whose only job here is the Interrupt Stack Table:
//! double fault, NMI and machine check switch to their own stacks (each with a
//! guard page, see [`crate::mm::stack`]), so they are reported even when the
//! current stack is exhausted or corrupt.
//!
//! Selector layout matches the trampoline's boot GDT (code 0x08, data 0x10),
//! so reloading is a no-op for the segments already in use. Ring-3 tasks
//! use the user data (0x2b) and code (0x33) selectors, and
//! enter the kernel on the stack in TSS.RSP0, which [`set_entry_stack`]
//! moves while a ring-3 service runs inside another task's gate.

use core::cell::UnsafeCell;

use spin::Once;
use x86_64::VirtAddr;
use x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use x86_64::instructions::tables::load_tss;
use x86_64::registers::segmentation::SegmentSelector;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable};
use x86_64::structures::tss::TaskStateSegment;

use crate::mm::stack::{DOUBLE_FAULT_STACK, KERNEL_ENTRY_STACK, MACHINE_CHECK_STACK, NMI_STACK};

/// IST slots (0-based, as in [`TaskStateSegment::interrupt_stack_table`]).
#[derive(Clone, Copy, Debug)]
#[repr(u8)]
pub enum IstSlot {
    DoubleFault = 0,
    Nmi = 1,
    MachineCheck = 2,
}

/// The TSS: written by [`init`] once, then only RSP0 by [`set_entry_stack`];
/// the CPU reads it on every entry from ring 3.
struct Tss(UnsafeCell<TaskStateSegment>);

// SAFETY: one CPU; the only writers are `init` (before the TSS is loaded)
// and `set_entry_stack` (interrupts off, its caller's contract).
unsafe impl Sync for Tss {}

static TSS: Tss = Tss(UnsafeCell::new(TaskStateSegment::new()));
static TSS_READY: Once<()> = Once::new();
static GDT: Once<(GlobalDescriptorTable, Selectors)> = Once::new();

/// User data selector (GDT index 5, RPL 3), used by the ring-3 entry code.
pub const USER_DATA_SELECTOR: u16 = (5 << 3) | 3;
/// User code selector (GDT index 6, RPL 3).
pub const USER_CODE_SELECTOR: u16 = (6 << 3) | 3;

#[derive(Clone, Copy)]
pub struct Selectors {
    pub code: SegmentSelector,
    pub data: SegmentSelector,
    pub tss: SegmentSelector,
}

/// Loads the kernel GDT and TSS. Returns the selectors in use.
pub fn init() -> Selectors {
    TSS_READY.call_once(|| {
        // SAFETY: runs once, before the TSS is loaded: nothing else reads
        // or writes it.
        let tss = unsafe { &mut *TSS.0.get() };
        tss.interrupt_stack_table[IstSlot::DoubleFault as usize] = DOUBLE_FAULT_STACK.top();
        tss.interrupt_stack_table[IstSlot::Nmi as usize] = NMI_STACK.top();
        tss.interrupt_stack_table[IstSlot::MachineCheck as usize] = MACHINE_CHECK_STACK.top();
        tss.privilege_stack_table[0] = KERNEL_ENTRY_STACK.top();
    });
    let (gdt, selectors) = GDT.call_once(|| {
        let mut gdt = GlobalDescriptorTable::new();
        let code = gdt.append(Descriptor::kernel_code_segment());
        let data = gdt.append(Descriptor::kernel_data_segment());
        // SAFETY: the TSS is a static, valid for the kernel's life, and is
        // changed afterwards only through `set_entry_stack`.
        let tss = gdt.append(unsafe { Descriptor::tss_segment_unchecked(TSS.0.get()) });
        let user_data = gdt.append(Descriptor::user_data_segment());
        let user_code = gdt.append(Descriptor::user_code_segment());
        assert_eq!(user_data.0 | 3, USER_DATA_SELECTOR, "GDT layout");
        assert_eq!(user_code.0 | 3, USER_CODE_SELECTOR, "GDT layout");
        (gdt, Selectors { code, data, tss })
    });
    gdt.load();
    // SAFETY: the selectors index descriptors of the GDT just loaded, which is
    // 'static; the code selector is a 64-bit code segment and the data
    // selector a writable data segment, and the TSS descriptor refers to a
    // 'static TSS that has not been loaded before (Once).
    unsafe {
        CS::set_reg(selectors.code);
        SS::set_reg(selectors.data);
        DS::set_reg(selectors.data);
        ES::set_reg(selectors.data);
        load_tss(selectors.tss);
    }
    *selectors
}

/// Sets TSS.RSP0, the stack the CPU switches to on an entry from ring 3, and
/// returns the previous one.
///
/// # Safety
///
/// Interrupts are off and `top` is the top of a stack the kernel may use
/// for every entry from ring 3 until RSP0 is set back; nothing live lies
/// below it.
pub unsafe fn set_entry_stack(top: VirtAddr) -> VirtAddr {
    let tss = TSS.0.get();
    // SAFETY: `TSS` is a static; one CPU with interrupts off, so nothing
    // else touches the field while it is read and written (the CPU reads it
    // only on an entry from ring 3, which cannot happen here).
    unsafe {
        let rsp0 = &raw mut (*tss).privilege_stack_table[0];
        let previous = rsp0.read_volatile();
        rsp0.write_volatile(top);
        previous
    }
}
