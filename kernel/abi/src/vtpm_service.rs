//! The vTPM service: a long-lived ring-3 program in its own address space,
//! entered by the kernel once per request.
//!
//! Its image has the harness's format ([`crate::harness::Header`], loaded at
//! [`crate::harness::BASE`] of its own address space). The kernel enters it
//! at its entry point with `RDI` = an [`Op`] and `RSI` = [`FAULT_FIRST`] or
//! 0; the service answers with its exit status. Two buffers are shared
//! between the kernel and the service, mapped RW+NX in the service and read
//! by the kernel through its direct map:
//!
//! * the request buffer ([`REQUEST_VA`], [`REQUEST_BYTES`]): a TPM command
//!   at [`DATA_OFFSET`] with its length and locality in the first two
//!   little-endian u32; the service writes its response at [`DATA_OFFSET`]
//!   and exits with the response's length ([`FAILED`] when it cannot);
//! * the crypto page ([`CRYPTO_VA`], [`CRYPTO_BYTES`]): one crypto-gate call
//!   ([`gate`]).

use crate::{PAGE_SIZE, harness};

/// What the kernel asks of the service at its entry point (`RDI`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Op {
    /// Manufacture the TPM (seeds from the module's DRBG), create the EK
    /// from the TCG ECC P-256 template and write its public area (TPM2B_PUBLIC
    /// contents) at [`DATA_OFFSET`]; exit with its length.
    Manufacture = 0,
    /// Execute the command in the request buffer.
    Execute = 1,
    /// Time the [`bench::CASES`] through the crypto gate and write the
    /// median cycles of each (little-endian u64) at [`DATA_OFFSET`].
    Bench = 2,
}

impl Op {
    pub fn from_u64(v: u64) -> Option<Self> {
        match v {
            0 => Some(Self::Manufacture),
            1 => Some(Self::Execute),
            2 => Some(Self::Bench),
            _ => None,
        }
    }
}

/// `RSI` flag at [`Op::Manufacture`]: fault in ring 3 on the first
/// [`Op::Execute`] (the `vtpm=fault-first-request` test).
pub const FAULT_FIRST: u64 = 1;

/// The service's exit status when it could not do what was asked.
pub const FAILED: u64 = u64::MAX - 1;

pub const REQUEST_VA: u64 = harness::BASE + 0x100_0000;
pub const REQUEST_PAGES: u64 = 2;
pub const REQUEST_BYTES: usize = (REQUEST_PAGES * PAGE_SIZE) as usize;
/// Where the command (and the response) starts in the request buffer.
pub const DATA_OFFSET: usize = 8;
/// Largest command or response the request buffer carries.
pub const MAX_DATA: usize = REQUEST_BYTES - DATA_OFFSET;

pub const CRYPTO_VA: u64 = REQUEST_VA + 0x10_0000;
pub const CRYPTO_PAGES: u64 = 4;
pub const CRYPTO_BYTES: usize = (CRYPTO_PAGES * PAGE_SIZE) as usize;

const _: () = assert!(REQUEST_VA.is_multiple_of(PAGE_SIZE) && CRYPTO_VA.is_multiple_of(PAGE_SIZE));
const _: () = assert!(REQUEST_VA + REQUEST_PAGES * PAGE_SIZE <= CRYPTO_VA);
const _: () = assert!(CRYPTO_VA + CRYPTO_PAGES * PAGE_SIZE <= crate::USER_END);
const _: () = assert!(
    harness::BASE + harness::MAX_IMAGE <= harness::STACK_TOP - harness::STACK_PAGES * PAGE_SIZE
);
const _: () = assert!(harness::STACK_TOP <= REQUEST_VA);

/// The crypto gate: one module call per [`crate::service::CRYPTO`].
///
/// The crypto page holds a [`Call`] header (eight little-endian u32: op,
/// parameter, five input lengths, output length), then the inputs one after
/// the other, then room for the output. The kernel checks that everything
/// fits in the page before it reads anything, runs the call in the module,
/// writes the output and wipes the inputs (they may be keys); the status
/// ([`OK`] or an error code) comes back in RAX.
pub mod gate {
    use super::CRYPTO_BYTES;

    /// Calls (the [`Call::op`] field); the inputs, in order, and the output.
    pub mod op {
        /// data → digest
        pub const HASH: u32 = 1;
        /// key, data → MAC
        pub const HMAC: u32 = 2;
        /// key, label, context U, context V → key stream
        pub const KDFA: u32 = 3;
        /// Z, label, party U, party V → key stream
        pub const KDFE: u32 = 4;
        /// key, IV (16 bytes), data → data (parameter 1: encrypt, 0: decrypt)
        pub const AES_CFB: u32 = 5;
        /// → random bytes
        pub const RANDOM: u32 = 6;
        /// additional input →
        pub const STIR: u32 = 7;
        /// d → X || Y
        pub const ECC_PUBLIC: u32 = 8;
        /// d, digest → r || s
        pub const ECDSA_SIGN: u32 = 9;
        /// Q, digest, signature →
        pub const ECDSA_VERIFY: u32 = 10;
        /// d, Q → Z
        pub const ECDH: u32 = 11;
        /// key (16 or 32 bytes), IV, AAD, plaintext → ciphertext || tag
        /// (AES-GCM; the tag is the output beyond the plaintext: 4, 8 or
        /// 12..=16 bytes; parameter 0)
        pub const AES_GCM_SEAL: u32 = 12;
        /// key, IV, AAD, ciphertext, tag → plaintext (AES-GCM; parameter 0;
        /// a tag that does not verify is [`super::ERR_VERIFY`] with the
        /// output zeroed)
        pub const AES_GCM_OPEN: u32 = 13;
        /// → hash state ([`super::HASH_STATE_BYTES`]) of an empty running
        /// hash (parameter: the algorithm)
        pub const HASH_START: u32 = 14;
        /// hash state, data → hash state (the state continued with the data;
        /// parameter: the algorithm the state must be of)
        pub const HASH_UPDATE: u32 = 15;
        /// hash state, data → digest (the state continued with the data,
        /// then ended; parameter: the algorithm the state must be of)
        pub const HASH_FINISH: u32 = 16;
    }

    /// Bytes of a running hash's state as it crosses the gate (the crypto
    /// module's exported hash state, `SVSM_CRYPTO_HASH_STATE_LEN`). The
    /// service holds it between calls; the kernel imports it into the
    /// module, which refuses any state it could not have exported.
    pub const HASH_STATE_BYTES: usize = 224;

    /// Most data one [`op::HASH_UPDATE`] carries: the page less the header,
    /// the state in and the state out.
    pub const HASH_UPDATE_MAX: usize = CRYPTO_BYTES - HEADER_BYTES - 2 * HASH_STATE_BYTES;

    /// Statuses in RAX.
    pub const OK: u64 = 0;
    pub const ERR_FAILED: u64 = 1;
    pub const ERR_ARG: u64 = 2;
    pub const ERR_KEY: u64 = 3;
    pub const ERR_VERIFY: u64 = 4;
    pub const ERR_UNSUPPORTED: u64 = 5;

    /// Parameter values for hashes and curves (SHA-256/P-256 = 0,
    /// SHA-384/P-384 = 1).
    pub const ALG_256: u32 = 0;
    pub const ALG_384: u32 = 1;

    pub const INPUTS: usize = 5;
    pub const HEADER_BYTES: usize = 4 * (3 + INPUTS);

    /// A decoded call header.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Call {
        pub op: u32,
        pub param: u32,
        pub inputs: [u32; INPUTS],
        pub output: u32,
    }

    impl Call {
        /// Bytes the call occupies in the page (header, inputs, output), or
        /// `None` when that overflows or does not fit in [`CRYPTO_BYTES`].
        pub fn extent(&self) -> Option<usize> {
            let mut total = HEADER_BYTES;
            for len in self.inputs.iter().chain([&self.output]) {
                total = total.checked_add(*len as usize)?;
            }
            (total <= CRYPTO_BYTES).then_some(total)
        }

        /// Writes the header at the start of `page`.
        pub fn write(&self, page: &mut [u8]) -> Option<()> {
            let words = [self.op, self.param]
                .into_iter()
                .chain(self.inputs)
                .chain([self.output]);
            for (i, w) in words.enumerate() {
                page.get_mut(4 * i..4 * i + 4)?
                    .copy_from_slice(&w.to_le_bytes());
            }
            Some(())
        }

        /// Reads a header from `page` and checks that the call fits.
        pub fn read(page: &[u8]) -> Option<Self> {
            let word = |i: usize| -> Option<u32> {
                Some(u32::from_le_bytes(
                    page.get(4 * i..4 * i + 4)?.try_into().ok()?,
                ))
            };
            let mut inputs = [0; INPUTS];
            for (i, len) in inputs.iter_mut().enumerate() {
                *len = word(2 + i)?;
            }
            let call = Self {
                op: word(0)?,
                param: word(1)?,
                inputs,
                output: word(2 + INPUTS)?,
            };
            (call.extent()? <= page.len()).then_some(call)
        }

        /// Splits a page holding this call into its inputs and its output.
        /// `None` unless [`Call::extent`] fits in `page`.
        pub fn split<'p>(&self, page: &'p mut [u8]) -> Option<([&'p [u8]; INPUTS], &'p mut [u8])> {
            let end = self.extent()?;
            let body = page.get_mut(HEADER_BYTES..end)?;
            let (mut ins, out) = body.split_at_mut(body.len() - self.output as usize);
            let mut inputs: [&[u8]; INPUTS] = [&[]; INPUTS];
            for (slot, len) in inputs.iter_mut().zip(self.inputs) {
                let (head, tail) = core::mem::take(&mut ins).split_at_mut(len as usize);
                *slot = head;
                ins = tail;
            }
            Some((inputs, out))
        }
    }
}

/// The crypto-gate benchmark (`vtpm=bench`): the same module calls made
/// directly in the kernel and from the service through the gate.
pub mod bench {
    use super::gate::{ALG_256, Call, op};

    pub struct Case {
        pub name: &'static str,
        pub call: Call,
    }

    const fn case(name: &'static str, op: u32, param: u32, inputs: [u32; 5], output: u32) -> Case {
        Case {
            name,
            call: Call {
                op,
                param,
                inputs,
                output,
            },
        }
    }

    pub const CASES: [Case; 4] = [
        case("sha256-64B", op::HASH, ALG_256, [64, 0, 0, 0, 0], 32),
        case(
            "aes256-gcm-seal-4KiB",
            op::AES_GCM_SEAL,
            0,
            [32, 12, 0, 4096, 0],
            4096 + 16,
        ),
        case(
            "aes256-cfb-4KiB",
            op::AES_CFB,
            1,
            [32, 16, 4096, 0, 0],
            4096,
        ),
        case(
            "ecdsa-p256-sign",
            op::ECDSA_SIGN,
            ALG_256,
            [32, 32, 0, 0, 0],
            64,
        ),
    ];

    /// Calls per case; the median is reported.
    pub const ROUNDS: usize = 15;

    /// Byte `i` of every input: never zero, so the P-256 scalar
    /// 0x0101..0303.. is a valid private key.
    pub fn input_byte(i: usize) -> u8 {
        (i as u8) | 1
    }

    /// The median of `samples` (sorted in place).
    pub fn median(samples: &mut [u64]) -> u64 {
        samples.sort_unstable();
        samples.get(samples.len() / 2).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::gate::{Call, HEADER_BYTES, INPUTS};
    use super::{CRYPTO_BYTES, Op, bench};

    #[test]
    fn bench_cases_fit_the_page() {
        for case in &bench::CASES {
            assert!(case.call.extent().is_some(), "{}", case.name);
        }
        assert_eq!(bench::median(&mut [5, 1, 9]), 5);
    }

    fn call(inputs: [u32; INPUTS], output: u32) -> Call {
        Call {
            op: 2,
            param: 1,
            inputs,
            output,
        }
    }

    #[test]
    fn header_round_trips_and_splits() {
        let mut page = [0u8; CRYPTO_BYTES];
        let c = call([3, 0, 2, 0, 0], 4);
        c.write(&mut page).unwrap();
        page[HEADER_BYTES..HEADER_BYTES + 5].copy_from_slice(b"abcde");
        assert_eq!(Call::read(&page), Some(c));
        let (ins, out) = c.split(&mut page).unwrap();
        assert_eq!(ins, [&b"abc"[..], b"", b"de", b"", b""]);
        assert_eq!(out.len(), 4);
    }

    #[test]
    fn calls_that_do_not_fit_are_refused() {
        let mut page = [0u8; CRYPTO_BYTES];
        let room = (CRYPTO_BYTES - HEADER_BYTES) as u32;
        let fits = call([room - 1, 0, 0, 0, 0], 1);
        fits.write(&mut page).unwrap();
        assert_eq!(Call::read(&page), Some(fits));
        for bad in [
            call([room, 0, 0, 0, 0], 1),
            call([u32::MAX, u32::MAX, 0, 0, 0], 0),
            call([0; INPUTS], u32::MAX),
        ] {
            bad.write(&mut page).unwrap();
            assert_eq!(Call::read(&page), None, "{bad:?}");
            assert!(bad.split(&mut page).is_none());
        }
        // A page shorter than the header, or than the call it describes.
        assert_eq!(Call::read(&page[..HEADER_BYTES - 1]), None);
        fits.write(&mut page).unwrap();
        assert_eq!(Call::read(&page[..HEADER_BYTES + 4]), None);
    }

    #[test]
    fn ops_decode() {
        assert_eq!(Op::from_u64(0), Some(Op::Manufacture));
        assert_eq!(Op::from_u64(1), Some(Op::Execute));
        assert_eq!(Op::from_u64(2), Some(Op::Bench));
        assert_eq!(Op::from_u64(3), None);
    }
}
