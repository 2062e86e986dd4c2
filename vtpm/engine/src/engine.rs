//! The engine: state, the command dispatcher and the authorization area.

use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::MAX_COMMAND_SIZE;
use crate::commands::{self, CommandInfo, cc};
use crate::consts::*;
use crate::crypto::{CryptoError, TpmCrypto};
use crate::marshal::{Reader, Writer};
use crate::rc::Rc;

/// A secret byte string, wiped when dropped.
pub(crate) type Secret = Zeroizing<Vec<u8>>;

/// Bytes of each hierarchy seed (the largest digest of the profile).
pub const SEED_LEN: usize = 48;

/// The primary seeds of the hierarchies that persist across resets.
pub struct Seeds {
    pub endorsement: Zeroizing<[u8; SEED_LEN]>,
    pub owner: Zeroizing<[u8; SEED_LEN]>,
}

/// The engine's fixed resource limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Transient objects and sequences loaded at once (TPM_RC_OBJECT_MEMORY).
    pub objects: usize,
    /// Sessions loaded or saved at once (TPM_RC_SESSION_MEMORY).
    pub sessions: usize,
    /// NV indices defined at once.
    pub nv_indices: usize,
    /// Total data bytes of all NV indices (TPM_RC_NV_SPACE).
    pub nv_bytes: usize,
    /// Largest NV index and largest NV_Read/NV_Write (TPM_PT_NV_BUFFER_MAX
    /// and TPM_PT_NV_INDEX_MAX).
    pub nv_index_max: usize,
    /// Saved object contexts kept at once.
    pub saved_objects: usize,
}

/// The limits every [`Tpm`] enforces.
pub const LIMITS: Limits = Limits {
    objects: 3,
    sessions: 3,
    nv_indices: 16,
    nv_bytes: 8192,
    nv_index_max: 1024,
    saved_objects: 16,
};

/// A TPM 2.0. The value is the whole TPM: its persistent state (seeds,
/// authorization values, NV indices) lives as long as it does; dropping it
/// wipes every secret.
pub struct Tpm<C: TpmCrypto> {
    crypto: C,
    /// Persistent hierarchy seeds.
    seeds: Seeds,
    /// Started (a successful TPM2_Startup since power-on).
    started: bool,
    /// Failure mode: the crypto provider failed; only GetTestResult and
    /// GetCapability are answered.
    failed: bool,
}

/// A parsed command on its way to its handler.
pub(crate) struct Command<'a> {
    pub info: &'static CommandInfo,
    pub handles: [u32; 3],
    pub params: Reader<'a>,
}

/// A handler's successful result.
#[derive(Default)]
pub(crate) struct Response {
    pub handle: Option<u32>,
    pub params: Writer,
}

fn crypto_rc(e: CryptoError) -> Rc {
    match e {
        CryptoError::Failed | CryptoError::Unsupported => Rc::FAILURE,
        CryptoError::Arg => Rc::VALUE,
        CryptoError::Key => Rc::KEY,
        CryptoError::Verify => Rc::SIGNATURE,
    }
}

/// A response carrying only a code.
fn error_response(rc: Rc) -> Vec<u8> {
    let mut w = Writer::new();
    w.u16(ST_NO_SESSIONS).u32(10).u32(rc.0);
    w.buf
}

impl<C: TpmCrypto> Tpm<C> {
    /// Manufactures a TPM: hierarchy seeds from the provider's DRBG. The TPM
    /// is powered off; call [`Tpm::power_on`] and send TPM2_Startup.
    pub fn manufacture(crypto: C) -> Result<Self, CryptoError> {
        let mut seeds = Seeds {
            endorsement: Zeroizing::new([0; SEED_LEN]),
            owner: Zeroizing::new([0; SEED_LEN]),
        };
        crypto.random(&mut seeds.endorsement[..])?;
        crypto.random(&mut seeds.owner[..])?;
        Ok(Self::manufacture_with_seeds(crypto, seeds))
    }

    /// Manufactures a TPM with the given seeds (tests, reproducible keys).
    pub fn manufacture_with_seeds(crypto: C, seeds: Seeds) -> Self {
        Tpm {
            crypto,
            seeds,
            started: false,
            failed: false,
        }
    }

    /// _TPM_Init: the TPM needs TPM2_Startup next; volatile state (loaded
    /// objects, sessions, sequences) is gone. Calling it twice is the same
    /// as calling it once.
    pub fn power_on(&mut self) {
        self.started = false;
    }

    /// Executes one marshalled command and returns the marshalled response.
    /// Never panics; always a well-formed response.
    pub fn execute(&mut self, command: &[u8]) -> Vec<u8> {
        match self.run(command) {
            Ok(response) => response,
            Err(rc) => error_response(rc),
        }
    }

    fn run(&mut self, command: &[u8]) -> Result<Vec<u8>, Rc> {
        if command.len() > MAX_COMMAND_SIZE {
            return Err(Rc::COMMAND_SIZE);
        }
        let mut r = Reader::new(command);
        let (Ok(tag), Ok(size), Ok(code)) = (r.u16(), r.u32(), r.u32()) else {
            return Err(Rc::COMMAND_SIZE);
        };
        if usize::try_from(size).ok() != Some(command.len()) {
            return Err(Rc::COMMAND_SIZE);
        }
        if tag != ST_NO_SESSIONS && tag != ST_SESSIONS {
            return Err(Rc::BAD_TAG);
        }
        if self.failed && code != cc::GET_TEST_RESULT && code != cc::GET_CAPABILITY {
            return Err(Rc::FAILURE);
        }
        if !self.started && code != cc::STARTUP {
            return Err(Rc::INITIALIZE);
        }
        let info = commands::lookup(code).ok_or(Rc::COMMAND_CODE)?;
        let mut handles = [0u32; 3];
        for (i, h) in handles
            .iter_mut()
            .enumerate()
            .take(usize::from(info.handles))
        {
            *h = r.u32().map_err(|rc| rc.handle(i as u32 + 1))?;
        }
        if tag == ST_SESSIONS {
            // Authorization sessions arrive with the next commit.
            return Err(Rc::AUTH_CONTEXT);
        } else if info.auth_handles > 0 {
            return Err(Rc::AUTH_MISSING);
        }
        let mut cmd = Command {
            info,
            handles,
            params: r,
        };
        let response = self.dispatch(&mut cmd);
        let response = match response {
            Err(rc) if rc == Rc::FAILURE => {
                self.failed = true;
                return Err(rc);
            }
            other => other?,
        };
        let mut w = Writer::new();
        w.u16(ST_NO_SESSIONS).u32(0).u32(Rc::SUCCESS.0);
        if let Some(h) = response.handle {
            w.u32(h);
        }
        w.bytes(&response.params.buf);
        let len = w.buf.len() as u32;
        w.buf[2..6].copy_from_slice(&len.to_be_bytes());
        Ok(w.buf)
    }

    fn dispatch(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let response = match cmd.info.cc {
            cc::STARTUP => self.startup(cmd),
            cc::SHUTDOWN => self.shutdown(cmd),
            cc::SELF_TEST => self.self_test(cmd),
            cc::INCREMENTAL_SELF_TEST => self.incremental_self_test(cmd),
            cc::GET_TEST_RESULT => self.get_test_result(cmd),
            cc::GET_RANDOM => self.get_random(cmd),
            cc::STIR_RANDOM => self.stir_random(cmd),
            _ => Err(Rc::COMMAND_CODE),
        }?;
        // Parameters the command did not consume make the command malformed.
        if !cmd.params.is_empty() {
            return Err(Rc::SIZE);
        }
        Ok(response)
    }

    /// Reads parameter `n` with `f`, numbering format-one errors.
    pub(crate) fn param<'a, T>(
        cmd: &mut Command<'a>,
        n: u32,
        f: impl FnOnce(&mut Reader<'a>) -> Result<T, Rc>,
    ) -> Result<T, Rc> {
        f(&mut cmd.params).map_err(|rc| rc.param(n))
    }

    fn startup(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let su = Self::param(cmd, 1, |r| r.u16())?;
        if su != SU_CLEAR && su != SU_STATE {
            return Err(Rc::VALUE.param(1));
        }
        if self.started {
            return Err(Rc::INITIALIZE);
        }
        self.started = true;
        Ok(Response::default())
    }

    fn shutdown(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let su = Self::param(cmd, 1, |r| r.u16())?;
        if su != SU_CLEAR && su != SU_STATE {
            return Err(Rc::VALUE.param(1));
        }
        Ok(Response::default())
    }

    fn self_test(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let full = Self::param(cmd, 1, |r| r.u8())?;
        if full > 1 {
            return Err(Rc::VALUE.param(1));
        }
        // The module ran its self-tests at power-on; a provider that cannot
        // serve a request puts the TPM in failure mode.
        let mut probe = [0u8; 1];
        self.crypto.random(&mut probe).map_err(crypto_rc)?;
        Ok(Response::default())
    }

    fn incremental_self_test(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        // TPML_ALG: the algorithms to test. All are tested: the list
        // returned (still to be tested) is always empty.
        let count = Self::param(cmd, 1, |r| r.u32())?;
        for _ in 0..count {
            Self::param(cmd, 1, |r| r.u16())?;
        }
        let mut response = Response::default();
        response.params.u32(0);
        Ok(response)
    }

    fn get_test_result(&mut self, _cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let mut response = Response::default();
        response
            .params
            .tpm2b(&[])
            .u32(if self.failed { Rc::FAILURE.0 } else { 0 });
        Ok(response)
    }

    fn get_random(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let requested = Self::param(cmd, 1, |r| r.u16())?;
        // At most the largest digest (TPM 2.0 Part 3, 16.1).
        let n = usize::from(requested).min(48);
        let mut bytes = [0u8; 48];
        self.crypto.random(&mut bytes[..n]).map_err(crypto_rc)?;
        let mut response = Response::default();
        response.params.tpm2b(&bytes[..n]);
        Ok(response)
    }

    fn stir_random(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let input = Self::param(cmd, 1, |r| r.tpm2b(128))?;
        self.crypto.stir(input).map_err(crypto_rc)?;
        Ok(Response::default())
    }
}
