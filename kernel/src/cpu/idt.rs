//! The IDT: every exception vector (0-31) routed to the fatal report.
//!
//! The gates are built here rather than with the `x86_64` crate's typed IDT:
//! that needs the unstable `x86-interrupt` ABI for handlers, and it cannot set
//! the reserved vectors (9, 15, 22-27, 31), which must be covered too. Entry
//! code is in [`super::exceptions`]; which vectors use an IST stack is in its
//! table. The ring-3 gates (DPL 3) are whatever the caller hands [`init`]
//! (the kernel's task gates). Every other vector from 32 up stays not-present:
//! interrupts are never enabled, and a stray one raises #GP, which is
//! reported like any other exception.

use spin::Once;
use x86_64::VirtAddr;
use x86_64::instructions::tables::lidt;
use x86_64::registers::segmentation::SegmentSelector;
use x86_64::structures::DescriptorTablePointer;

use super::exceptions::{EXCEPTIONS, VC_VECTOR, stub_address, vc_stub_address};

#[derive(Clone, Copy, Default)]
#[repr(C)]
struct Gate {
    offset_low: u16,
    selector: u16,
    /// Bits 0-2: IST index (1-based, 0 = no stack switch).
    ist: u8,
    /// Present, DPL 0, 64-bit interrupt gate (IF cleared on entry).
    attributes: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

const INTERRUPT_GATE_PRESENT: u8 = 0x8e;
/// Present, DPL 3 (reachable with `int` from ring 3), 64-bit interrupt gate.
const USER_INTERRUPT_GATE_PRESENT: u8 = 0xee;

impl Gate {
    fn new(handler: VirtAddr, selector: SegmentSelector, ist: Option<u8>) -> Self {
        let addr = handler.as_u64();
        Self {
            offset_low: addr as u16,
            selector: selector.0,
            ist: ist.map_or(0, |slot| slot + 1),
            attributes: INTERRUPT_GATE_PRESENT,
            offset_mid: (addr >> 16) as u16,
            offset_high: (addr >> 32) as u32,
            reserved: 0,
        }
    }
}

#[repr(C, align(16))]
struct Idt([Gate; 256]);

static IDT: Once<Idt> = Once::new();

/// Builds and loads the IDT. `code` is the kernel code selector;
/// `user_gates` are (vector, entry stub) pairs reachable from ring 3.
pub fn init(code: SegmentSelector, user_gates: &[(u8, VirtAddr)]) {
    let idt = IDT.call_once(|| {
        let mut idt = Idt([Gate::default(); 256]);
        for (vector, info) in EXCEPTIONS.iter().enumerate() {
            idt.0[vector] = Gate::new(stub_address(vector), code, info.ist.map(|s| s as u8));
        }
        // #VC may return to the interrupted code: its own entry.
        idt.0[VC_VECTOR] = Gate::new(vc_stub_address(), code, None);
        for &(vector, handler) in user_gates {
            let mut user = Gate::new(handler, code, None);
            user.attributes = USER_INTERRUPT_GATE_PRESENT;
            idt.0[usize::from(vector)] = user;
        }
        idt
    });
    let pointer = DescriptorTablePointer {
        limit: (size_of::<Idt>() - 1) as u16,
        base: VirtAddr::from_ptr(idt),
    };
    // SAFETY: `idt` is 'static and every present gate points at an entry stub
    // in .text with the kernel code selector; IST indices refer to slots the
    // TSS (loaded by gdt::init) fills with valid stacks, and the DPL 3 gates
    // switch to TSS.RSP0, which gdt::init sets to the ring-3 entry stack.
    unsafe { lidt(&pointer) };
}
