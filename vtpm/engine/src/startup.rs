//! Start-up and testing: Startup, Shutdown, SelfTest, IncrementalSelfTest,
//! GetTestResult; the DRBG: GetRandom, StirRandom (Part 3, 9, 10 and 16).

use crate::consts::*;
use crate::crypto::TpmCrypto;
use crate::engine::{Command, Response, Tpm, crypto_rc};
use crate::marshal::Writer;
use crate::pcr::PcrBanks;
use crate::rc::Rc;

/// Largest GetRandom answer (the largest digest, Part 3 16.1).
const MAX_RANDOM: usize = 48;
/// Largest StirRandom input (TPM2B_SENSITIVE_DATA).
const MAX_STIR: usize = 128;

impl<C: TpmCrypto> Tpm<C> {
    /// TPM2_Startup: CLEAR is a TPM Reset (PCRs to their reset values, a new
    /// null seed) or, after Shutdown(STATE), a TPM Restart; STATE resumes
    /// the saved PCRs (0-15) a Shutdown(STATE) kept, and needs one
    /// (TPM_RC_VALUE).
    pub(crate) fn startup(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let su = Self::param(cmd, 1, |r| r.u16())?;
        Self::end(cmd)?;
        if su != SU_CLEAR && su != SU_STATE {
            return Err(Rc::VALUE.param(1));
        }
        if self.started {
            return Err(Rc::INITIALIZE);
        }
        let saved = self.saved_pcrs.take();
        match (su, saved) {
            (SU_STATE, Some(pcrs)) => self.pcrs = PcrBanks::resume(&pcrs),
            (SU_STATE, None) => return Err(Rc::VALUE.param(1)),
            (_, restart) => {
                if restart.is_none() {
                    self.crypto
                        .random(&mut self.null_seed[..])
                        .map_err(crypto_rc)?;
                }
                self.pcrs = PcrBanks::new();
            }
        }
        self.started = true;
        Ok(Response::default())
    }

    /// TPM2_Shutdown: STATE keeps the PCRs for the next Startup(STATE).
    pub(crate) fn shutdown(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let su = Self::param(cmd, 1, |r| r.u16())?;
        Self::end(cmd)?;
        self.saved_pcrs = match su {
            SU_CLEAR => None,
            SU_STATE => Some(self.pcrs.clone()),
            _ => return Err(Rc::VALUE.param(1)),
        };
        Ok(Response::default())
    }

    /// TPM2_SelfTest: the module ran its self-tests at power-on; a provider
    /// that can no longer serve puts the TPM in failure mode.
    pub(crate) fn self_test(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let full = Self::param(cmd, 1, |r| r.u8())?;
        Self::end(cmd)?;
        if full > 1 {
            return Err(Rc::VALUE.param(1));
        }
        let mut probe = [0u8; 1];
        self.crypto.random(&mut probe).map_err(crypto_rc)?;
        Ok(Response::default())
    }

    /// TPM2_IncrementalSelfTest: every algorithm is tested already, so the
    /// list still to be tested is empty.
    pub(crate) fn incremental_self_test(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let count = Self::param(cmd, 1, |r| r.u32())?;
        if count > 64 {
            return Err(Rc::SIZE.param(1));
        }
        for _ in 0..count {
            Self::param(cmd, 1, |r| r.u16())?;
        }
        Self::end(cmd)?;
        let mut w = Writer::new();
        w.u32(0);
        Ok(Response::with(w))
    }

    /// TPM2_GetTestResult: no data; TPM_RC_SUCCESS, or TPM_RC_FAILURE in
    /// failure mode.
    pub(crate) fn get_test_result(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        Self::end(cmd)?;
        let mut w = Writer::new();
        w.tpm2b(&[])
            .u32(if self.failed { Rc::FAILURE.0 } else { 0 });
        Ok(Response::with(w))
    }

    /// TPM2_GetRandom: at most [`MAX_RANDOM`] bytes.
    pub(crate) fn get_random(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let requested = Self::param(cmd, 1, |r| r.u16())?;
        Self::end(cmd)?;
        let n = usize::from(requested).min(MAX_RANDOM);
        let mut bytes = [0u8; MAX_RANDOM];
        self.crypto.random(&mut bytes[..n]).map_err(crypto_rc)?;
        let mut w = Writer::new();
        w.tpm2b(&bytes[..n]);
        Ok(Response::with(w))
    }

    /// TPM2_StirRandom: the input reseeds the engine's DRBG.
    pub(crate) fn stir_random(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let input = Self::param(cmd, 1, |r| r.tpm2b(MAX_STIR))?;
        Self::end(cmd)?;
        self.crypto.stir(input).map_err(crypto_rc)?;
        Ok(Response::default())
    }
}
