//! Hardware entropy: RDSEED, falling back to RDRAND.
//!
//! RDSEED returns conditioned noise-source output and is preferred for seeding
//! a DRBG; it may transiently fail under load, so each 64-bit word gets
//! [`RDSEED_RETRIES`] attempts. If RDSEED is absent or keeps failing, RDRAND
//! (output of the CPU's own DRBG) is tried with [`RDRAND_RETRIES`] attempts, the
//! count Intel recommends as the bound for a healthy part. There is deliberately
//! no fallback to timers or other weak sources: failing is better than
//! pretending.

use core::arch::asm;
use core::fmt;

use super::features::{Features, get as features};

const RDSEED_RETRIES: u32 = 128;
const RDRAND_RETRIES: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntropyUnavailable;

impl fmt::Display for EntropyUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no hardware entropy (RDSEED/RDRAND absent or failing)")
    }
}

#[derive(Clone, Copy)]
enum Instruction {
    Rdseed,
    Rdrand,
}

/// One attempt; `None` if the CPU reported no data (CF clear).
fn attempt(insn: Instruction) -> Option<u64> {
    let value: u64;
    let ok: u8;
    // SAFETY: callers only use an instruction that CPUID reports; both write
    // a register and CF, nothing else.
    unsafe {
        match insn {
            Instruction::Rdseed => {
                asm!("rdseed {v}", "setc {ok}", v = out(reg) value, ok = out(reg_byte) ok, options(nomem, nostack))
            }
            Instruction::Rdrand => {
                asm!("rdrand {v}", "setc {ok}", v = out(reg) value, ok = out(reg_byte) ok, options(nomem, nostack))
            }
        }
    }
    (ok != 0).then_some(value)
}

fn word(sources: &[(Instruction, u32)]) -> Option<u64> {
    sources.iter().find_map(|&(insn, retries)| {
        (0..retries).find_map(|_| {
            let v = attempt(insn);
            if v.is_none() {
                core::hint::spin_loop();
            }
            v
        })
    })
}

/// Fills `buf` with hardware entropy.
pub fn fill_entropy(buf: &mut [u8]) -> Result<(), EntropyUnavailable> {
    let cpu = features();
    let mut sources = [(Instruction::Rdseed, 0); 2];
    let mut n = 0;
    for (feature, insn, retries) in [
        (Features::RDSEED, Instruction::Rdseed, RDSEED_RETRIES),
        (Features::RDRAND, Instruction::Rdrand, RDRAND_RETRIES),
    ] {
        if cpu.has(feature) {
            sources[n] = (insn, retries);
            n += 1;
        }
    }
    if n == 0 {
        return Err(EntropyUnavailable);
    }
    for chunk in buf.chunks_mut(8) {
        let bytes = word(&sources[..n]).ok_or(EntropyUnavailable)?.to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
    Ok(())
}
