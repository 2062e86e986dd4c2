//! Target: the SVSM protocol dispatcher, with fuzzed registers and guest
//! memory.
//!
//! An input sets up one guest (platform: Native or a fake with vCPU
//! management; crypto operational or not, signing failing or not; a Calling
//! Area or none; a vTPM backend serving, gone, overrunning, or none), patches its memory, then issues up to [`MAX_CALLS`] calls,
//! each through the Calling Area protocol ([`Svsm::serve`]) or directly
//! ([`Svsm::handle`]). After every call it checks:
//! * RAX is a result code of the SVSM specification;
//! * R9 is unchanged (no call has an output in it);
//! * every byte written to guest memory lies in a buffer the call names: the
//!   PVALIDATE list's `next` field, the three output buffers of an
//!   attestation request (a failed attestation writes nothing), the page of
//!   an SVSM_VTPM_CMD (a refused one writes nothing), and the
//!   `call_pending` byte of the Calling Area that was current when a served
//!   call began. The fake memory itself refuses any access outside what the
//!   guest granted.
//!
//! The request layouts are read here from the specification's offsets, not
//! through the protocol crate's types, so a wrong layout there is caught.

use std::cell::RefCell;

use svsm_protocol::memory::{GuestMemory, MemoryError};
use svsm_protocol::platform::Platform;
use svsm_protocol::{GuestPhysAddr, Registers, Served, Svsm};

use crate::input::Input;

// The fakes of the protocol tests (memory with a hole, a platform with vCPU
// management, switchable crypto), shared rather than copied.
#[path = "../../../kernel/protocol/tests/common/mod.rs"]
mod common;

use common::vtpm::{Behaviour, HostVtpm};
use common::{BASE, FakeMemory, FakePlatform, NATIVE, SwitchableCrypto};

/// Calls per input.
pub const MAX_CALLS: usize = 4;
/// Memory patches per input.
const MAX_PATCHES: u8 = 8;
/// Fuzzed addresses fall mostly in [BASE, BASE + WINDOW): the first guest
/// pages, the hole at common::HOLE and the pages after it.
const WINDOW: u64 = 0x2_0000;

/// Result codes of the SVSM specification (AMD 58019) and of PVALIDATE,
/// written out here (not taken from the crate under test).
fn is_spec_code(rax: u64) -> bool {
    matches!(
        rax,
        0 | 0x8000_0000..=0x8000_0007 | 0x8000_1001 | 0x8000_1006 | 0x8000_1010
    )
}

/// Guest memory that records every write.
struct Recording<'a> {
    inner: &'a FakeMemory,
    writes: RefCell<Vec<(u64, u64)>>,
}

impl GuestMemory for Recording<'_> {
    fn is_granted(&self, gpa: GuestPhysAddr, len: u64) -> bool {
        self.inner.is_granted(gpa, len)
    }
    fn copy_from_guest(&self, gpa: GuestPhysAddr, out: &mut [u8]) -> Result<(), MemoryError> {
        self.inner.copy_from_guest(gpa, out)
    }
    fn copy_to_guest(&self, gpa: GuestPhysAddr, data: &[u8]) -> Result<(), MemoryError> {
        self.writes
            .borrow_mut()
            .push((gpa.raw(), data.len() as u64));
        self.inner.copy_to_guest(gpa, data)
    }
}

/// A half-open byte range of guest memory.
#[derive(Clone, Copy, Debug)]
struct Range {
    start: u64,
    end: u64,
}

impl Range {
    fn new(start: u64, len: u64) -> Self {
        Self {
            start,
            end: start.saturating_add(len),
        }
    }
    fn contains(&self, start: u64, len: u64) -> bool {
        start >= self.start && start.checked_add(len).is_some_and(|e| e <= self.end)
    }
}

/// Reads `N` bytes of guest memory if granted (zeros otherwise).
fn peek<const N: usize>(mem: &FakeMemory, gpa: u64) -> [u8; N] {
    let mut out = [0u8; N];
    if gpa.checked_add(N as u64).is_some() && mem.is_granted(GuestPhysAddr::new(gpa), N as u64) {
        out.copy_from_slice(&mem.get(gpa, N));
    }
    out
}

fn peek_u64(mem: &FakeMemory, gpa: u64) -> u64 {
    u64::from_le_bytes(peek(mem, gpa))
}

fn peek_u32(mem: &FakeMemory, gpa: u64) -> u64 {
    u64::from(u32::from_le_bytes(peek(mem, gpa)))
}

/// The buffers the call in `regs` names as outputs, read from memory before
/// the call: PVALIDATE's `next` (offset 2 of the list, 2 bytes); an
/// attestation request's report (offset 0: GPA, 8: size), manifest (32, 40)
/// and certificates (48, 56) buffers; SVSM_VTPM_CMD's page (4096 bytes).
fn named_outputs(mem: &FakeMemory, regs: &Registers) -> Vec<Range> {
    let (protocol, call) = ((regs.rax >> 32) as u32, regs.rax as u32);
    match (protocol, call) {
        (0, 1) => vec![Range::new(regs.rcx.saturating_add(2), 2)],
        (1, 0 | 1) => [(0, 8), (32, 40), (48, 56)]
            .iter()
            .map(|&(gpa_at, size_at)| {
                Range::new(
                    peek_u64(mem, regs.rcx.saturating_add(gpa_at)),
                    peek_u32(mem, regs.rcx.saturating_add(size_at)),
                )
            })
            .collect(),
        (2, 1) => vec![Range::new(regs.rcx, 4096)],
        _ => Vec::new(),
    }
}

/// A fuzzed register: mostly guest addresses near [`BASE`] (aligned in a
/// chosen way), sometimes any value.
fn register(input: &mut Input<'_>) -> u64 {
    match input.u8() % 4 {
        0 => input.u64(),
        1 => BASE + (u64::from(input.u32()) % WINDOW),
        2 => BASE + (u64::from(input.u16()) & !0xfff) % WINDOW,
        _ => u64::from(input.u8()),
    }
}

/// The vTPM backend, one per thread like [`crypto`] (manufacturing it is
/// slow); each input sets its behaviour. Its TPM state carries over between
/// inputs, which the checks here do not depend on.
fn vtpm() -> &'static HostVtpm {
    thread_local! {
        static VTPM: &'static HostVtpm = Box::leak(Box::new(HostVtpm::new()));
    }
    VTPM.with(|v| *v)
}

/// The crypto a run switches on or off. One per thread, made once (its key
/// generation is slow): each input sets its switches, so two threads sharing
/// one (cargo test runs tests in parallel) would flip each other's.
fn crypto() -> &'static SwitchableCrypto {
    thread_local! {
        static CRYPTO: &'static SwitchableCrypto = Box::leak(Box::new(SwitchableCrypto::new()));
    }
    CRYPTO.with(|c| *c)
}

pub fn one_input(data: &[u8]) {
    run(data);
}

/// Runs one input (see the module comment); returns RAX after each call
/// that was answered.
pub fn run(data: &[u8]) -> Vec<u64> {
    let mut answers = Vec::new();
    let mut input = Input::new(data);
    let setup = input.u8();
    let fake = FakePlatform::default();
    let platform: &dyn Platform = if setup & 1 != 0 { &fake } else { &NATIVE };
    let crypto = crypto();
    crypto.set_operational(setup & 2 == 0);
    crypto.set_sign_fails(setup & 4 != 0);
    let mut svsm = Svsm::new(platform, Some(crypto), common::services());
    if setup & 0x30 != 0 {
        let backend = vtpm();
        backend.behave(match setup & 0x30 {
            0x10 => Behaviour::Unavailable,
            0x20 => Behaviour::Overlong,
            _ => Behaviour::Serve,
        });
        svsm = svsm.with_vtpm(backend);
    }
    if setup & 8 != 0 {
        svsm.set_calling_area(GuestPhysAddr::new(register(&mut input)));
    }

    let guest = FakeMemory::new();
    for _ in 0..input.u8() % MAX_PATCHES {
        let at = BASE + u64::from(input.u32()) % WINDOW;
        let len = usize::from(input.u8() % 128);
        let bytes = input.take(len);
        let len = bytes.len().min((BASE + common::SIZE - at) as usize);
        guest.put(at, &bytes[..len]);
    }

    for _ in 0..MAX_CALLS {
        if input.is_empty() {
            break;
        }
        let how = input.u8();
        let protocol = match how % 4 {
            0 | 1 => u64::from(how >> 7),
            2 => 2,
            _ => u64::from(input.u32()),
        };
        let call = match (how >> 2) % 4 {
            0 => u64::from(input.u32()),
            _ => u64::from(input.u8() % 10),
        };
        let before = Registers {
            rax: protocol << 32 | call,
            rcx: register(&mut input),
            rdx: register(&mut input),
            r8: register(&mut input),
            r9: register(&mut input),
        };
        let mut allowed = named_outputs(&guest, &before);
        let mem = Recording {
            inner: &guest,
            writes: RefCell::new(Vec::new()),
        };
        let mut regs = before;
        // The Calling Area byte a served call may clear.
        let mut pending = None;
        let answered = if (how >> 4) & 1 != 0 {
            if let Some(caa) = svsm.calling_area() {
                // (`is_granted` takes ranges that do not wrap.)
                let in_guest = caa.checked_add(1).is_some() && mem.is_granted(caa, 1);
                if (how >> 5) & 1 != 0 && in_guest {
                    guest.put(caa.raw(), &[1]);
                }
                pending = Some(Range::new(caa.raw(), 1));
                allowed.extend(pending);
            }
            // An unreadable Calling Area is an answer too (the kernel then
            // does not return to the guest), with the registers untouched.
            matches!(svsm.serve(&mem, &mut regs), Ok(Served::Handled))
        } else {
            svsm.handle(&mem, &mut regs);
            true
        };
        if answered {
            answers.push(regs.rax);
            assert!(
                is_spec_code(regs.rax),
                "RAX {:#x} is no spec code",
                regs.rax
            );
        } else {
            assert_eq!(regs, before, "registers changed without a call");
        }
        assert_eq!(regs.r9, before.r9, "R9 changed");
        let writes = mem.writes.into_inner();
        for &(start, len) in &writes {
            assert!(
                allowed.iter().any(|r| r.contains(start, len)),
                "call {before:x?} wrote {len} bytes at {start:#x} outside {allowed:x?}"
            );
        }
        if answered && matches!(before.rax >> 32, 1 | 2) && regs.rax != 0 {
            let outputs = writes
                .iter()
                .filter(|&&(start, len)| !pending.is_some_and(|p| p.contains(start, len)));
            assert_eq!(
                outputs.count(),
                0,
                "failed attestation or vTPM call {before:x?} wrote {writes:x?}"
            );
        }
    }
    answers
}
