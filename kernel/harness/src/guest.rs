//! The harness's view of its guest RAM, and SVSM calls with the Calling Area
//! protocol, each printed and checked.

use core::fmt;

use svsm_abi::Registers;
use svsm_protocol::error::code_name;

use crate::rt::svsm_call;
use crate::say;

pub use svsm_abi::PAGE_SIZE as PAGE;

/// What RCX, RDX, R8 must hold after a call.
#[derive(Clone, Copy)]
pub enum Out {
    /// Not outputs of the call: as the guest passed them.
    Unchanged,
    /// Outputs with these values.
    Are([u64; 3]),
    /// Outputs whose values the caller checks itself (it learns them from
    /// this call).
    Written,
}

/// Guest RAM: `size` bytes at `va` in this task, guest-physical `gpa`.
pub struct Guest {
    va: u64,
    pub gpa: u64,
    size: u64,
    /// The current Calling Area (GPA).
    pub caa: u64,
    pub calls: u32,
    pub failures: u32,
}

impl Guest {
    pub fn new(va: u64, gpa: u64, size: u64, caa: u64) -> Self {
        Self {
            va,
            gpa,
            size,
            caa,
            calls: 0,
            failures: 0,
        }
    }

    /// GPA of page `n` of guest RAM.
    pub fn page(&self, n: u64) -> u64 {
        self.gpa + n * PAGE
    }

    fn ptr(&self, gpa: u64, len: usize) -> *mut u8 {
        let offset = gpa.wrapping_sub(self.gpa);
        assert!(
            offset <= self.size && len as u64 <= self.size - offset,
            "guest RAM access out of range"
        );
        (self.va + offset) as *mut u8
    }

    pub fn write(&self, gpa: u64, bytes: &[u8]) {
        let p = self.ptr(gpa, bytes.len());
        for (i, b) in bytes.iter().enumerate() {
            // SAFETY: `p..p + len` is guest RAM mapped RW in this task
            // (checked by `ptr`); volatile, as the SVSM shares it.
            unsafe { p.add(i).write_volatile(*b) };
        }
    }

    pub fn read(&self, gpa: u64, out: &mut [u8]) {
        let p = self.ptr(gpa, out.len());
        for (i, b) in out.iter_mut().enumerate() {
            // SAFETY: as in `write`.
            *b = unsafe { p.add(i).read_volatile() };
        }
    }

    pub fn write_u64(&self, gpa: u64, value: u64) {
        self.write(gpa, &value.to_le_bytes());
    }

    pub fn read_u16(&self, gpa: u64) -> u16 {
        let mut b = [0; 2];
        self.read(gpa, &mut b);
        u16::from_le_bytes(b)
    }

    /// Issues a call the way an SNP guest does: set `call_pending` in the
    /// Calling Area, trap to the SVSM, then see it cleared.
    pub fn call(&mut self, protocol: u32, call: u32, args: [u64; 4]) -> Registers {
        self.write(self.caa, &[1]);
        let regs = svsm_call(Registers {
            rax: (u64::from(protocol) << 32) | u64::from(call),
            rcx: args[0],
            rdx: args[1],
            r8: args[2],
            r9: args[3],
        });
        let mut pending = [0];
        self.read(self.caa, &mut pending);
        if pending[0] != 0 {
            self.fail(format_args!("call_pending not cleared by the SVSM"));
        }
        self.calls += 1;
        regs
    }

    pub fn fail(&mut self, why: fmt::Arguments<'_>) {
        self.failures += 1;
        say!("harness:   FAIL: {why}");
    }

    /// Calls and checks the result code and the registers: RCX, RDX, R8 as
    /// `outputs` says, R9 (never an output) as it was passed.
    pub fn expect(
        &mut self,
        what: &str,
        protocol: u32,
        call: u32,
        args: [u64; 4],
        want: u64,
        outputs: Out,
    ) -> Registers {
        let r = self.call(protocol, call, args);
        let got = [r.rcx, r.rdx, r.r8];
        let expected = match outputs {
            Out::Unchanged => [args[0], args[1], args[2]],
            Out::Are(values) => values,
            Out::Written => got,
        };
        let ok = r.rax == want && got == expected && r.r9 == args[3];
        say!(
            "harness: {} {what}: {} [rcx={:#x} rdx={:#x} r8={:#x}]",
            if ok { "ok  " } else { "FAIL" },
            code_name(r.rax),
            r.rcx,
            r.rdx,
            r.r8
        );
        if !ok {
            self.failures += 1;
            say!(
                "harness:   expected {} [rcx={:#x} rdx={:#x} r8={:#x}], r9 {:#x} (got {:#x})",
                code_name(want),
                expected[0],
                expected[1],
                expected[2],
                args[3],
                r.r9
            );
        }
        r
    }

    /// Records a check that is not a call.
    pub fn check(&mut self, what: &str, ok: bool) {
        say!("harness: {} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            self.failures += 1;
        }
    }
}
