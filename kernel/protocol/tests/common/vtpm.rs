//! A protocol 2 backend over the TPM engine and the host module (what the
//! kernel's ring-3 service does, called directly), and the few TPM commands
//! the tests send.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use svsm_protocol::Svsm;
use svsm_protocol::vtpm::{VtpmBackend, VtpmUnavailable};
use svsm_vtpm::{ModuleCrypto, Tpm};

use super::{FakeMemory, NATIVE, SwitchableCrypto, svsm};

pub const TPM_ST_NO_SESSIONS: u16 = 0x8001;
pub const TPM_ST_SESSIONS: u16 = 0x8002;
pub const TPM_RS_PW: u32 = 0x4000_0009;
pub const TPM_RH_ENDORSEMENT: u32 = 0x4000_000B;
pub const TPM_ALG_SHA256: u16 = 0x000B;
pub const TPM_CC_STARTUP: u32 = 0x144;
pub const TPM_CC_CREATE_PRIMARY: u32 = 0x131;
pub const TPM_CC_PCR_EXTEND: u32 = 0x182;
pub const TPM_CC_PCR_READ: u32 = 0x17E;
pub const TPM_CC_GET_RANDOM: u32 = 0x17B;

/// A TPM command: header (tag, size, code), then `body`.
pub fn tpm_command(tag: u16, code: u32, body: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(10 + body.len());
    c.extend_from_slice(&tag.to_be_bytes());
    c.extend_from_slice(&((10 + body.len()) as u32).to_be_bytes());
    c.extend_from_slice(&code.to_be_bytes());
    c.extend_from_slice(body);
    c
}

/// The authorization area of one empty password session.
pub fn password_session() -> Vec<u8> {
    let mut s = Vec::new();
    s.extend_from_slice(&TPM_RS_PW.to_be_bytes());
    s.extend_from_slice(&[0, 0, 0]); // nonce (empty), attributes 0
    s.extend_from_slice(&[0, 0]); // hmac (empty password)
    let mut area = (s.len() as u32).to_be_bytes().to_vec();
    area.extend_from_slice(&s);
    area
}

/// The response code of a marshalled TPM response.
pub fn tpm_rc(response: &[u8]) -> u32 {
    u32::from_be_bytes(response[6..10].try_into().unwrap())
}

/// The TCG EK Credential Profile's default ECC NIST P-256 template (L-2):
/// a restricted decryption key with PolicyA, AES-128-CFB, all-zero unique.
pub fn ek_template() -> Vec<u8> {
    const POLICY_A_SHA256: [u8; 32] = [
        0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7,
        0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14,
        0x69, 0xaa,
    ];
    let mut t = Vec::new();
    t.extend_from_slice(&0x0023u16.to_be_bytes()); // TPM_ALG_ECC
    t.extend_from_slice(&TPM_ALG_SHA256.to_be_bytes());
    t.extend_from_slice(&0x0003_00B2u32.to_be_bytes());
    t.extend_from_slice(&32u16.to_be_bytes());
    t.extend_from_slice(&POLICY_A_SHA256);
    for v in [0x0006u16, 128, 0x0043, 0x0010, 0x0003, 0x0010, 32] {
        t.extend_from_slice(&v.to_be_bytes());
    }
    t.extend_from_slice(&[0; 32]);
    t.extend_from_slice(&32u16.to_be_bytes());
    t.extend_from_slice(&[0; 32]);
    t
}

/// How the backend behaves on the next command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Serve,
    /// The service is gone.
    Unavailable,
    /// Claims a response longer than the buffer it was given.
    Overlong,
}

/// The engine over the host module, manufactured, started and holding an
/// EK, as the kernel's vTPM service is at boot.
pub struct HostVtpm {
    tpm: Mutex<Tpm<ModuleCrypto<'static>>>,
    ek_public: Vec<u8>,
    unavailable: AtomicBool,
    overlong: AtomicBool,
    /// The localities of the commands executed.
    pub localities: Mutex<Vec<u8>>,
}

impl HostVtpm {
    pub fn new() -> Self {
        let crypto = ModuleCrypto::new(svsm_crypto::host::module()).expect("module DRBG");
        let mut tpm = Tpm::manufacture(crypto).expect("manufacture");
        tpm.power_on();
        let r = tpm.execute(&tpm_command(TPM_ST_NO_SESSIONS, TPM_CC_STARTUP, &[0, 0]));
        assert_eq!(tpm_rc(&r), 0, "Startup(CLEAR)");
        // CreatePrimary(endorsement, inSensitive empty, the EK template, no
        // outsideInfo, no PCRs).
        let template = ek_template();
        let mut body = TPM_RH_ENDORSEMENT.to_be_bytes().to_vec();
        body.extend_from_slice(&password_session());
        body.extend_from_slice(&[0, 4, 0, 0, 0, 0]);
        body.extend_from_slice(&(template.len() as u16).to_be_bytes());
        body.extend_from_slice(&template);
        body.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let r = tpm.execute(&tpm_command(TPM_ST_SESSIONS, TPM_CC_CREATE_PRIMARY, &body));
        assert_eq!(tpm_rc(&r), 0, "CreatePrimary(EK)");
        // handle (4), parameterSize (4), then outPublic as a TPM2B.
        let len = u16::from_be_bytes([r[18], r[19]]) as usize;
        let ek_public = r[20..20 + len].to_vec();
        Self {
            tpm: Mutex::new(tpm),
            ek_public,
            unavailable: AtomicBool::new(false),
            overlong: AtomicBool::new(false),
            localities: Mutex::new(Vec::new()),
        }
    }

    pub fn behave(&self, behaviour: Behaviour) {
        self.unavailable
            .store(behaviour == Behaviour::Unavailable, Ordering::Relaxed);
        self.overlong
            .store(behaviour == Behaviour::Overlong, Ordering::Relaxed);
    }
}

impl VtpmBackend for HostVtpm {
    fn execute(
        &self,
        locality: u8,
        command: &[u8],
        response: &mut [u8],
    ) -> Result<usize, VtpmUnavailable> {
        if self.unavailable.load(Ordering::Relaxed) {
            return Err(VtpmUnavailable);
        }
        self.localities.lock().unwrap().push(locality);
        let answer = self.tpm.lock().unwrap().execute(command);
        if self.overlong.load(Ordering::Relaxed) {
            return Ok(response.len() + 1);
        }
        let out = response.get_mut(..answer.len()).ok_or(VtpmUnavailable)?;
        out.copy_from_slice(&answer);
        Ok(answer.len())
    }

    fn ek_public(&self) -> Option<&[u8]> {
        Some(&self.ek_public)
    }
}

/// Guest memory, the module's crypto and a vTPM backend.
pub struct Fixture {
    pub mem: FakeMemory,
    pub crypto: SwitchableCrypto,
    pub backend: HostVtpm,
}

impl Fixture {
    pub fn new() -> Self {
        Self {
            mem: FakeMemory::new(),
            crypto: SwitchableCrypto::new(),
            backend: HostVtpm::new(),
        }
    }

    /// An SVSM serving protocol 2 with the backend.
    pub fn svsm(&self) -> Svsm<'_> {
        svsm(&NATIVE, Some(&self.crypto)).with_vtpm(&self.backend)
    }
}
