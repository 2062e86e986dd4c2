//! The ABI between the SVSM kernel and the ring-3 programs it runs.
//!
//! Everything both sides must agree on is written here once: the gate
//! vectors and the task services behind them, the register layout of an SVSM
//! call, the user address window, and where and how the guest harness image
//! is loaded (its header, its entry arguments and their flags). The kernel
//! (`kernel/`) and the harness (`kernel/harness/`, with its linker script
//! generated from these values by its build script) both depend on this
//! crate; neither writes one of these numbers itself.
//!
//! Layouts that cross the boundary in memory or registers are `#[repr(C)]`
//! and have their size checked at compile time.
#![no_std]

use core::mem::size_of;

/// Size of a base page.
pub const PAGE_SIZE: u64 = 4096;

/// Interrupt vectors a ring-3 task may raise with `int` (DPL 3 gates).
pub mod vector {
    /// An SVSM call (stands in for the SNP VMGEXIT): registers as in
    /// [`crate::Registers`].
    pub const SVSM_CALL: u8 = 0x80;
    /// The task's own services ([`crate::service`]).
    pub const TASK_SERVICE: u8 = 0x81;
}

/// Task services: RAX at the [`vector::TASK_SERVICE`] gate.
pub mod service {
    /// Write RSI bytes at RDI as one console line.
    pub const WRITE: u64 = 0;
    /// End the task with status RDI.
    pub const EXIT: u64 = 1;
    /// Services only: one crypto-module call described by the service's
    /// crypto page ([`crate::vtpm_service::gate`]); RAX comes back with its
    /// status.
    pub const CRYPTO: u64 = 2;
    /// Longest console line a task may write in one call; longer writes are
    /// truncated.
    pub const MAX_WRITE: usize = 256;
}

/// The registers of an SVSM call: `RAX = protocol << 32 | call`, parameters
/// in RCX, RDX, R8, R9; the answer comes back in RAX (result code) and RCX,
/// RDX, R8 (outputs), R9 unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Registers {
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub r8: u64,
    pub r9: u64,
}

const _: () = assert!(size_of::<Registers>() == 5 * 8);

/// The virtual window a task's own pages live in (the 1-2 GiB slot of its
/// address space); everything else belongs to the kernel.
pub const USER_START: u64 = 1 << 30;
/// One past the last user address.
pub const USER_END: u64 = 2 << 30;

/// The guest harness: a flat image the kernel loads at [`harness::BASE`].
pub mod harness {
    use core::mem::size_of;

    use super::{PAGE_SIZE, USER_END, USER_START};

    /// Where the image is linked and loaded (its first byte is the header).
    pub const BASE: u64 = USER_START;
    /// Largest image (code, data and .bss) the kernel accepts.
    pub const MAX_IMAGE: u64 = 2 << 20;
    /// Initial stack pointer; the stack is the [`STACK_PAGES`] below it.
    pub const STACK_TOP: u64 = BASE + 0x80_0000;
    pub const STACK_PAGES: u64 = 16;
    /// Where the guest RAM granted to the harness is mapped in the task.
    pub const GUEST_VA: u64 = BASE + 0x100_0000;
    pub const GUEST_PAGES: u64 = 16;
    /// [`Header::magic`]: "SVSMHRN1" read as a little-endian u64.
    pub const MAGIC: u64 = u64::from_le_bytes(*b"SVSMHRN1");

    const _: () = assert!(BASE + MAX_IMAGE <= STACK_TOP - STACK_PAGES * PAGE_SIZE);
    const _: () = assert!(STACK_TOP <= GUEST_VA);
    const _: () = assert!(GUEST_VA + GUEST_PAGES * PAGE_SIZE <= USER_END);
    const _: () = assert!(BASE.is_multiple_of(PAGE_SIZE) && GUEST_VA.is_multiple_of(PAGE_SIZE));

    /// The first bytes of the image (little endian), written by the
    /// harness's linker script.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    #[repr(C)]
    pub struct Header {
        /// [`MAGIC`].
        pub magic: u64,
        /// Entry point (virtual address).
        pub entry: u64,
        /// End of code, page aligned: below it R+X, from it RW+NX.
        pub text_end: u64,
        /// End of the image including .bss.
        pub image_end: u64,
    }

    const _: () = assert!(size_of::<Header>() == 32);

    impl Header {
        /// Reads the header at the start of `image`, if it is long enough
        /// and carries [`MAGIC`]. The fields are not otherwise checked.
        pub fn read(image: &[u8]) -> Option<Self> {
            let word = |i: usize| {
                let bytes = image.get(8 * i..8 * i + 8)?;
                Some(u64::from_le_bytes(bytes.try_into().ok()?))
            };
            let header = Self {
                magic: word(0)?,
                entry: word(1)?,
                text_end: word(2)?,
                image_end: word(3)?,
            };
            (header.magic == MAGIC).then_some(header)
        }
    }

    bitflags::bitflags! {
        /// [`EntryArgs::flags`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct Flags: u64 {
            /// The crypto module is operational: attestation must be served.
            const EXPECT_ATTESTATION = 1 << 0;
            /// Fault in ring 3 on purpose (`test=guest-fault`).
            const FAULT = 1 << 1;
            /// The kernel runs the vTPM service: protocol 2 must be offered
            /// and every vTPM case must pass.
            const EXPECT_VTPM = 1 << 2;
            /// The vTPM service is made to fault on its first request: that
            /// request and every later vTPM call must be refused and
            /// protocol 2 withdrawn.
            const VTPM_FAULTS = 1 << 3;
        }
    }

    /// The harness's arguments, in RDI, RSI, RDX, RCX, R8 at its entry point
    /// (in this order, i.e. the System V argument registers).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    #[repr(C)]
    pub struct EntryArgs {
        /// Guest RAM, as mapped in the task ([`GUEST_VA`]).
        pub guest_va: u64,
        /// Guest RAM, guest-physical.
        pub guest_gpa: u64,
        /// Guest RAM size in bytes.
        pub guest_size: u64,
        /// [`Flags`] bits.
        pub flags: u64,
        /// Guest-physical address of the initial Calling Area.
        pub calling_area: u64,
    }

    const _: () = assert!(size_of::<EntryArgs>() == 5 * 8);

    impl EntryArgs {
        /// The argument registers, RDI first.
        pub fn registers(&self) -> [u64; 5] {
            [
                self.guest_va,
                self.guest_gpa,
                self.guest_size,
                self.flags,
                self.calling_area,
            ]
        }
    }
}

pub mod vtpm_service;

#[cfg(target_os = "none")]
pub mod ring3;

#[cfg(test)]
mod tests {
    use super::harness::{Header, MAGIC};

    #[test]
    fn magic_is_the_ascii_tag() {
        assert_eq!(&MAGIC.to_le_bytes(), b"SVSMHRN1");
    }

    #[test]
    fn header_reads_little_endian_words() {
        let mut image = [0u8; 40];
        image[..8].copy_from_slice(b"SVSMHRN1");
        image[8..16].copy_from_slice(&0x4000_0040u64.to_le_bytes());
        image[16..24].copy_from_slice(&0x4000_2000u64.to_le_bytes());
        image[24..32].copy_from_slice(&0x4000_5000u64.to_le_bytes());
        let h = Header::read(&image).expect("valid header");
        assert_eq!(
            (h.entry, h.text_end, h.image_end),
            (0x4000_0040, 0x4000_2000, 0x4000_5000)
        );
    }

    #[test]
    fn header_rejects_short_or_foreign_images() {
        assert_eq!(Header::read(&[]), None);
        assert_eq!(Header::read(b"SVSMHRN1 too short"), None);
        let mut image = [0u8; 32];
        image[..8].copy_from_slice(b"SVSMHRN2");
        assert_eq!(Header::read(&image), None);
    }
}
