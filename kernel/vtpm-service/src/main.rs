//! The vTPM service: `svsm_vtpm::Tpm` over the kernel crypto gate, run in
//! ring 3 in its own address space. The kernel enters [`service_main`] once
//! per request (`svsm_abi::vtpm_service::Op`); the TPM lives in this
//! program's memory between requests.
#![no_std]
#![no_main]

extern crate alloc;

mod gate;
mod rt;
use svsm_abi::say;

use core::cell::UnsafeCell;
use svsm_abi::vtpm_service::{
    DATA_OFFSET, FAILED, FAULT_FIRST, MAX_DATA, Op, REQUEST_BYTES, REQUEST_VA,
};

use svsm_vtpm::Tpm;

use gate::ServiceCrypto;

/// What the service keeps between requests.
struct State {
    /// The TPM, manufactured by the first request.
    tpm: Option<Tpm<ServiceCrypto>>,
    /// `vtpm=fault-first-request`: fault on the next Execute.
    fault_next: bool,
}

struct Global(UnsafeCell<State>);

// SAFETY: the service is single-threaded and entered again only after it
// exited, so the state is never shared.
unsafe impl Sync for Global {}

static STATE: Global = Global(UnsafeCell::new(State {
    tpm: None,
    fault_next: false,
}));

fn request() -> &'static mut [u8] {
    // SAFETY: the kernel maps REQUEST_BYTES at REQUEST_VA read-write in this
    // address space before it first enters the service; the service is
    // single-threaded and takes the slice once per entry.
    unsafe { core::slice::from_raw_parts_mut(REQUEST_VA as *mut u8, REQUEST_BYTES) }
}

extern "C" fn service_main(op: u64, flags: u64) -> ! {
    // SAFETY: one thread, and the kernel enters this function only after the
    // previous entry exited, so no other reference to the statics is live.
    let State { tpm, fault_next } = unsafe { &mut *STATE.0.get() };
    let status = match Op::from_u64(op) {
        Some(Op::Manufacture) => {
            *fault_next = flags & FAULT_FIRST != 0;
            manufacture(tpm)
        }
        Some(Op::Execute) => {
            if *fault_next {
                say!("vtpm-service: fault-first-request: writing to address 0 from ring 3");
                // SAFETY: not sound on purpose: page 0 is not mapped, so
                // the write faults and the kernel ends this service.
                unsafe { core::ptr::write_volatile(core::ptr::null_mut::<u64>(), 0) };
            }
            tpm.as_mut().map_or(FAILED, execute)
        }
        Some(Op::Bench) => tpm.as_ref().map_or(FAILED, |tpm| bench(tpm.crypto())),
        None => FAILED,
    };
    rt::exit(status)
}

/// The command in the request buffer, bounds-checked, answered in place.
fn execute(tpm: &mut Tpm<ServiceCrypto>) -> u64 {
    let buf = request();
    let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    if len > MAX_DATA {
        return FAILED;
    }
    let response = tpm.execute(&buf[DATA_OFFSET..DATA_OFFSET + len]);
    if response.len() > MAX_DATA {
        return FAILED;
    }
    buf[DATA_OFFSET..DATA_OFFSET + response.len()].copy_from_slice(&response);
    response.len() as u64
}

/// Times each benchmark case through the gate (as the engine calls it:
/// inputs copied into the crypto page, output copied out) and writes the
/// medians into the request buffer.
fn bench(crypto: &ServiceCrypto) -> u64 {
    use svsm_abi::vtpm_service::bench::{CASES, ROUNDS, input_byte, median};
    let buf = request();
    for (i, case) in CASES.iter().enumerate() {
        let c = &case.call;
        let inputs: alloc::vec::Vec<alloc::vec::Vec<u8>> = c
            .inputs
            .iter()
            .map(|&len| (0..len as usize).map(input_byte).collect())
            .collect();
        let refs: [&[u8]; 5] = core::array::from_fn(|k| inputs[k].as_slice());
        let mut out = alloc::vec![0u8; c.output as usize];
        let mut samples = [0u64; ROUNDS];
        for sample in samples.iter_mut() {
            let start = rt::tsc();
            if crypto.call(c.op, c.param, refs, &mut out).is_err() {
                return FAILED;
            }
            *sample = rt::tsc().wrapping_sub(start);
        }
        let at = DATA_OFFSET + 8 * i;
        buf[at..at + 8].copy_from_slice(&median(&mut samples).to_le_bytes());
    }
    8 * CASES.len() as u64
}

/// TPM2_Startup(CLEAR).
const STARTUP_CLEAR: [u8; 12] = [0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0];

/// TPM2_CreatePrimary in the endorsement hierarchy with the TCG EK Credential
/// Profile's template L-2 (ECC NIST P-256, AES-128-CFB storage key, policy
/// PolicySecret(TPM_RH_ENDORSEMENT)), empty password session.
fn ek_command() -> alloc::vec::Vec<u8> {
    const POLICY: [u8; 32] = [
        0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7,
        0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14,
        0x69, 0xaa,
    ];
    let mut public = alloc::vec::Vec::new();
    public.extend_from_slice(&0x0023u16.to_be_bytes()); // TPM_ALG_ECC
    public.extend_from_slice(&0x000bu16.to_be_bytes()); // nameAlg SHA-256
    // fixedTPM, fixedParent, sensitiveDataOrigin, adminWithPolicy,
    // restricted, decrypt.
    public.extend_from_slice(&0x0003_00b2u32.to_be_bytes());
    public.extend_from_slice(&32u16.to_be_bytes());
    public.extend_from_slice(&POLICY);
    for word in [0x0006u16, 128, 0x0043, 0x0010, 0x0003, 0x0010, 32] {
        public.extend_from_slice(&word.to_be_bytes()); // AES-128-CFB, no scheme, P-256, no KDF
    }
    public.extend_from_slice(&[0; 32]);
    public.extend_from_slice(&32u16.to_be_bytes());
    public.extend_from_slice(&[0; 32]);

    let mut c = alloc::vec::Vec::new();
    c.extend_from_slice(&0x8002u16.to_be_bytes());
    c.extend_from_slice(&0u32.to_be_bytes()); // size, below
    c.extend_from_slice(&0x0000_0131u32.to_be_bytes()); // TPM_CC_CreatePrimary
    c.extend_from_slice(&0x4000_000bu32.to_be_bytes()); // TPM_RH_ENDORSEMENT
    c.extend_from_slice(&9u32.to_be_bytes());
    c.extend_from_slice(&0x4000_0009u32.to_be_bytes()); // TPM_RS_PW
    c.extend_from_slice(&[0, 0, 0, 0, 0]);
    c.extend_from_slice(&[0, 4, 0, 0, 0, 0]); // inSensitive: empty
    c.extend_from_slice(&(public.len() as u16).to_be_bytes());
    c.extend_from_slice(&public);
    c.extend_from_slice(&[0, 0]); // outsideInfo
    c.extend_from_slice(&[0, 0, 0, 0]); // creationPCR
    let size = (c.len() as u32).to_be_bytes();
    c[2..6].copy_from_slice(&size);
    c
}

/// Response code of a marshalled response.
fn rc(response: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(response.get(6..10)?.try_into().ok()?))
}

/// Manufactures the TPM, creates the EK and writes its public area into the
/// request buffer; the TPM is then powered on afresh, waiting for the
/// guest's TPM2_Startup like a TPM after _TPM_Init.
fn manufacture(slot: &mut Option<Tpm<ServiceCrypto>>) -> u64 {
    let mut tpm = match Tpm::manufacture(gate::crypto()) {
        Ok(tpm) => tpm,
        Err(e) => {
            say!("vtpm-service: manufacture failed: {e:?}");
            return FAILED;
        }
    };
    tpm.power_on();
    let started = tpm.execute(&STARTUP_CLEAR);
    let created = tpm.execute(&ek_command());
    // Response: header (10), handle (4), parameterSize (4), TPM2B_PUBLIC.
    let public = (rc(&started) == Some(0) && rc(&created) == Some(0))
        .then(|| {
            let size = u16::from_be_bytes(created.get(18..20)?.try_into().ok()?) as usize;
            created.get(20..20 + size)
        })
        .flatten();
    let Some(public) = public.filter(|p| p.len() <= MAX_DATA) else {
        say!(
            "vtpm-service: EK creation failed (Startup rc {:#x?}, CreatePrimary rc {:#x?})",
            rc(&started),
            rc(&created)
        );
        return FAILED;
    };
    let buf = request();
    buf[DATA_OFFSET..DATA_OFFSET + public.len()].copy_from_slice(public);
    let len = public.len() as u64;
    tpm.power_on();
    *slot = Some(tpm);
    len
}
