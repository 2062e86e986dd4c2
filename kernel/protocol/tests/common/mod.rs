//! Fakes shared by the protocol tests: guest memory backed by a vector with a
//! hole the guest was not granted, a platform with scripted PVALIDATE
//! failures and vCPU support, and crypto that can be switched off.

#![allow(dead_code)]

use std::cell::RefCell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::crypto::{AttestationCrypto, CryptoFailure, ModuleCrypto, P384_PAIR_LEN};
use svsm_protocol::error::SvsmError;
use svsm_protocol::memory::{GuestMemory, MemoryError};
use svsm_protocol::platform::{
    Capabilities, PageSize, Platform, PlatformKind, PvalidateFailure, native::Native,
};
use svsm_protocol::{Registers, Service, Svsm};

pub mod vtpm;

/// Guest memory: [BASE, BASE + SIZE), except the page at HOLE.
pub const BASE: u64 = 0x20_0000;
pub const SIZE: u64 = 0x40_0000;
pub const HOLE: u64 = 0x21_0000;

pub struct FakeMemory {
    bytes: RefCell<Vec<u8>>,
}

impl FakeMemory {
    pub fn new() -> Self {
        Self {
            bytes: RefCell::new(vec![0; SIZE as usize]),
        }
    }

    pub fn put(&self, gpa: u64, data: &[u8]) {
        let at = (gpa - BASE) as usize;
        self.bytes.borrow_mut()[at..at + data.len()].copy_from_slice(data);
    }

    pub fn put_u64(&self, gpa: u64, value: u64) {
        self.put(gpa, &value.to_le_bytes());
    }

    pub fn get(&self, gpa: u64, len: usize) -> Vec<u8> {
        let at = (gpa - BASE) as usize;
        self.bytes.borrow()[at..at + len].to_vec()
    }

    pub fn get_u16(&self, gpa: u64) -> u16 {
        u16::from_le_bytes(self.get(gpa, 2).try_into().unwrap())
    }
}

impl GuestMemory for FakeMemory {
    fn is_granted(&self, gpa: GuestPhysAddr, len: u64) -> bool {
        let (start, end) = (gpa.raw(), gpa.raw() + len);
        start >= BASE && end <= BASE + SIZE && (end <= HOLE || start >= HOLE + 0x1000)
    }

    fn copy_from_guest(&self, gpa: GuestPhysAddr, out: &mut [u8]) -> Result<(), MemoryError> {
        assert!(self.is_granted(gpa, out.len() as u64), "unchecked read");
        out.copy_from_slice(&self.get(gpa.raw(), out.len()));
        Ok(())
    }

    fn copy_to_guest(&self, gpa: GuestPhysAddr, data: &[u8]) -> Result<(), MemoryError> {
        assert!(self.is_granted(gpa, data.len() as u64), "unchecked write");
        self.put(gpa.raw(), data);
        Ok(())
    }
}

/// A platform that supports everything and fails PVALIDATE where told.
#[derive(Default)]
pub struct FakePlatform {
    pub failures: Vec<(u64, PvalidateFailure)>,
    pub validated: Mutex<Vec<(u64, PageSize, bool)>>,
    pub vcpus: Mutex<Vec<(u64, u64, u32)>>,
}

impl Platform for FakePlatform {
    fn kind(&self) -> PlatformKind {
        PlatformKind::SevSnp
    }
    fn description(&self) -> &'static str {
        "fake"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            vcpu_management: true,
        }
    }
    fn pvalidate(
        &self,
        gpa: GuestPhysAddr,
        size: PageSize,
        validate: bool,
    ) -> Result<(), PvalidateFailure> {
        self.validated
            .lock()
            .unwrap()
            .push((gpa.raw(), size, validate));
        match self.failures.iter().find(|(at, _)| *at == gpa.raw()) {
            Some((_, failure)) => Err(*failure),
            None => Ok(()),
        }
    }
    fn create_vcpu(
        &self,
        vmsa: GuestPhysAddr,
        caa: GuestPhysAddr,
        apic_id: u32,
    ) -> Result<(), SvsmError> {
        self.vcpus
            .lock()
            .unwrap()
            .push((vmsa.raw(), caa.raw(), apic_id));
        Ok(())
    }
    fn delete_vcpu(&self, vmsa: GuestPhysAddr) -> Result<(), SvsmError> {
        let mut vcpus = self.vcpus.lock().unwrap();
        let before = vcpus.len();
        vcpus.retain(|v| v.0 != vmsa.raw());
        if vcpus.len() == before {
            Err(SvsmError::InvalidParameter)
        } else {
            Ok(())
        }
    }
    fn vtom_query(&self) -> u64 {
        0
    }
    fn configure_vtom(&self, _: u64) -> Result<(), SvsmError> {
        Err(SvsmError::InvalidRequest)
    }
    fn report_size(&self) -> usize {
        0
    }
    fn certificates(&self) -> &[u8] {
        &[]
    }
    fn attestation_report(
        &self,
        _: &dyn AttestationCrypto,
        _: &[u8; 64],
        _: &mut [u8],
    ) -> Result<(), SvsmError> {
        Ok(())
    }
}

/// The module's crypto, which can be made to report an error state or to
/// fail signing.
pub struct SwitchableCrypto {
    pub inner: ModuleCrypto,
    pub operational: AtomicBool,
    pub sign_fails: AtomicBool,
}

impl SwitchableCrypto {
    pub fn set_operational(&self, on: bool) {
        self.operational.store(on, Ordering::Relaxed);
    }

    pub fn set_sign_fails(&self, on: bool) {
        self.sign_fails.store(on, Ordering::Relaxed);
    }

    pub fn new() -> Self {
        Self {
            inner: ModuleCrypto::new(svsm_crypto::host::module()).expect("keygen"),
            operational: AtomicBool::new(true),
            sign_fails: AtomicBool::new(false),
        }
    }
}

impl AttestationCrypto for SwitchableCrypto {
    fn is_operational(&self) -> bool {
        self.operational.load(Ordering::Relaxed) && self.inner.is_operational()
    }
    fn sha512(&self, parts: &[&[u8]]) -> Result<[u8; 64], CryptoFailure> {
        self.inner.sha512(parts)
    }
    fn signing_public_key(&self) -> [u8; P384_PAIR_LEN] {
        self.inner.signing_public_key()
    }
    fn sign(&self, msg: &[u8]) -> Result<[u8; P384_PAIR_LEN], CryptoFailure> {
        if self.sign_fails.load(Ordering::Relaxed) {
            return Err(CryptoFailure);
        }
        self.inner.sign(msg)
    }
}

pub const NATIVE: Native = Native::new([0x5a; 32]);

pub const BUILD_SERVICE_GUID: [u8; 16] = [0x11; 16];
pub const OTHER_SERVICE_GUID: [u8; 16] = [0x22; 16];

pub fn services() -> Vec<Service> {
    vec![
        Service {
            guid: BUILD_SERVICE_GUID,
            manifest: b"build manifest".to_vec(),
        },
        Service {
            guid: OTHER_SERVICE_GUID,
            manifest: b"other".to_vec(),
        },
    ]
}

pub fn svsm<'a>(platform: &'a dyn Platform, crypto: Option<&'a dyn AttestationCrypto>) -> Svsm<'a> {
    Svsm::new(platform, crypto, services())
}

/// Issues one call; returns the registers the SVSM answered with.
pub fn call(
    svsm: &mut Svsm<'_>,
    mem: &FakeMemory,
    protocol: u32,
    call: u32,
    args: [u64; 4],
) -> Registers {
    let mut regs = Registers {
        rax: (u64::from(protocol) << 32) | u64::from(call),
        rcx: args[0],
        rdx: args[1],
        r8: args[2],
        r9: args[3],
    };
    svsm.handle(mem, &mut regs);
    regs
}
