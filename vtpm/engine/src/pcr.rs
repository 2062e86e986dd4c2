//! PCR banks (SHA-256 and SHA-384, 24 PCRs each) and the PCR commands:
//! PCR_Extend, PCR_Event, PCR_Read, PCR_Reset (Part 3, 22).

use alloc::vec::Vec;

use crate::consts::*;
use crate::crypto::{TpmCrypto, TpmHash};
use crate::engine::{Command, Response, Tpm, crypto_rc, hash_alg, hash_alg_id};
use crate::marshal::{Reader, Writer};
use crate::rc::Rc;

/// PCRs per bank.
pub const PCR_COUNT: usize = 24;
/// Bytes of a PCR selection bitmap (TPM_PT_PCR_SELECT_MIN).
pub const PCR_SELECT_MIN: usize = 3;
/// The banks, in the order GetCapability lists them.
pub const BANKS: [TpmHash; 2] = [TpmHash::Sha256, TpmHash::Sha384];
/// PCRs Shutdown(STATE) keeps for Startup(STATE) (TPM_PT_PCR_SAVE, PC
/// Client: 0-15); the others take their reset values on a resume.
pub const SAVED: core::ops::Range<usize> = 0..16;
/// PCRs TPM2_PCR_Reset may reset from locality 0 (PC Client: 16 and 23).
pub const RESETTABLE: [usize; 2] = [16, 23];
/// Largest number of digests in one TPML_DIGEST (PCR_Read answers at most
/// this many values per call).
const MAX_DIGESTS: usize = 8;

/// The PCR values of both banks.
#[derive(Clone)]
pub(crate) struct PcrBanks {
    sha256: [[u8; 32]; PCR_COUNT],
    sha384: [[u8; 48]; PCR_COUNT],
    /// TPM2_PCR_Read's pcrUpdateCounter.
    pub update_counter: u32,
}

impl PcrBanks {
    /// The values at TPM Reset (PC Client: PCRs 17-22 all ones, the others
    /// zero).
    pub fn new() -> Self {
        let mut banks = PcrBanks {
            sha256: [[0; 32]; PCR_COUNT],
            sha384: [[0; 48]; PCR_COUNT],
            update_counter: 0,
        };
        for i in 17..=22 {
            banks.sha256[i] = [0xFF; 32];
            banks.sha384[i] = [0xFF; 48];
        }
        banks
    }

    /// The PCRs after a TPM Resume: the saved ones from `saved`, the others
    /// at their reset values.
    pub fn resume(saved: &PcrBanks) -> Self {
        let mut banks = PcrBanks::new();
        for i in SAVED {
            banks.sha256[i] = saved.sha256[i];
            banks.sha384[i] = saved.sha384[i];
        }
        banks.update_counter = saved.update_counter;
        banks
    }

    pub fn value(&self, bank: TpmHash, i: usize) -> &[u8] {
        match bank {
            TpmHash::Sha256 => &self.sha256[i],
            TpmHash::Sha384 => &self.sha384[i],
        }
    }

    fn value_mut(&mut self, bank: TpmHash, i: usize) -> &mut [u8] {
        match bank {
            TpmHash::Sha256 => &mut self.sha256[i],
            TpmHash::Sha384 => &mut self.sha384[i],
        }
    }
}

/// One TPMS_PCR_SELECTION: a bank (or an algorithm the TPM does not have)
/// and the selected PCRs as a bitmap.
#[derive(Clone, Copy)]
pub(crate) struct Selection {
    pub alg: u16,
    pub select: [u8; PCR_SELECT_MIN],
}

impl Selection {
    pub fn bank(&self) -> Option<TpmHash> {
        BANKS.into_iter().find(|b| hash_alg_id(*b) == self.alg)
    }

    pub fn selected(&self) -> impl Iterator<Item = usize> + '_ {
        (0..PCR_COUNT).filter(|i| self.select[i / 8] & (1 << (i % 8)) != 0)
    }
}

/// Reads a TPML_PCR_SELECTION (at most one selection per bank).
pub(crate) fn read_selection(r: &mut Reader<'_>) -> Result<Vec<Selection>, Rc> {
    let count = r.u32()?;
    if count as usize > BANKS.len() {
        return Err(Rc::SIZE);
    }
    let mut list = Vec::new();
    for _ in 0..count {
        let alg = r.u16()?;
        let size = usize::from(r.u8()?);
        if !(PCR_SELECT_MIN..=4).contains(&size) {
            return Err(Rc::VALUE);
        }
        let bytes = r.bytes(size)?;
        let mut select = [0u8; PCR_SELECT_MIN];
        select.copy_from_slice(&bytes[..PCR_SELECT_MIN]);
        // Bits past PCR 23 name PCRs the TPM does not have: ignored.
        list.push(Selection { alg, select });
    }
    Ok(list)
}

pub(crate) fn write_selection(w: &mut Writer, list: &[Selection]) {
    w.u32(list.len() as u32);
    for s in list {
        w.u16(s.alg).u8(PCR_SELECT_MIN as u8).bytes(&s.select);
    }
}

impl<C: TpmCrypto> Tpm<C> {
    fn extend_one(&mut self, bank: TpmHash, pcr: usize, digest: &[u8]) -> Result<(), Rc> {
        let mut m = Vec::with_capacity(2 * bank.digest_len());
        m.extend_from_slice(self.pcrs.value(bank, pcr));
        m.extend_from_slice(digest);
        let mut out = [0u8; 48];
        let out = &mut out[..bank.digest_len()];
        self.crypto.hash(bank, &m, out).map_err(crypto_rc)?;
        self.pcrs.value_mut(bank, pcr).copy_from_slice(out);
        Ok(())
    }

    /// TPM2_PCR_Extend.
    pub(crate) fn pcr_extend(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let count = Self::param(cmd, 1, |r| r.u32())?;
        if count as usize > BANKS.len() {
            return Err(Rc::SIZE.param(1));
        }
        let mut digests: Vec<(TpmHash, &[u8])> = Vec::new();
        for _ in 0..count {
            let alg = Self::param(cmd, 1, |r| r.u16())?;
            let bank = hash_alg(alg).map_err(|rc| rc.param(1))?;
            let d = Self::param(cmd, 1, |r| r.bytes(bank.digest_len()))?;
            digests.push((bank, d));
        }
        Self::end(cmd)?;
        let pcr = cmd.handles[0];
        if pcr != RH_NULL {
            for (bank, d) in digests {
                self.extend_one(bank, pcr as usize, d)?;
            }
            self.pcrs.update_counter = self.pcrs.update_counter.wrapping_add(1);
        }
        Ok(Response::default())
    }

    /// TPM2_PCR_Event: hashes the event with every bank's algorithm and
    /// extends each bank.
    pub(crate) fn pcr_event(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let data = Self::param(cmd, 1, |r| r.tpm2b(1024))?;
        Self::end(cmd)?;
        let mut w = Writer::new();
        w.u32(BANKS.len() as u32);
        let pcr = cmd.handles[0];
        for bank in BANKS {
            let d = self.digest(bank, data)?;
            if pcr != RH_NULL {
                self.extend_one(bank, pcr as usize, &d)?;
            }
            w.u16(hash_alg_id(bank)).bytes(&d);
        }
        if pcr != RH_NULL {
            self.pcrs.update_counter = self.pcrs.update_counter.wrapping_add(1);
        }
        Ok(Response::with(w))
    }

    /// TPM2_PCR_Read: at most eight values per call; the output selection
    /// says which were returned.
    pub(crate) fn pcr_read(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let list = Self::param(cmd, 1, read_selection)?;
        Self::end(cmd)?;
        let mut out = list.clone();
        let mut values = Writer::new();
        let mut n = 0usize;
        for sel in out.iter_mut() {
            let Some(bank) = sel.bank() else {
                sel.select = [0; PCR_SELECT_MIN];
                continue;
            };
            for i in 0..PCR_COUNT {
                let bit = 1u8 << (i % 8);
                if sel.select[i / 8] & bit == 0 {
                    continue;
                }
                if n == MAX_DIGESTS {
                    sel.select[i / 8] &= !bit;
                    continue;
                }
                values.tpm2b(self.pcrs.value(bank, i));
                n += 1;
            }
        }
        let mut w = Writer::new();
        w.u32(self.pcrs.update_counter);
        write_selection(&mut w, &out);
        w.u32(n as u32).bytes(&values.buf);
        Ok(Response::with(w))
    }

    /// TPM2_PCR_Reset: only the resettable PCRs (TPM_RC_LOCALITY otherwise).
    pub(crate) fn pcr_reset(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        Self::end(cmd)?;
        let pcr = cmd.handles[0] as usize;
        if !RESETTABLE.contains(&pcr) {
            return Err(Rc::LOCALITY);
        }
        for bank in BANKS {
            self.pcrs.value_mut(bank, pcr).fill(0);
        }
        self.pcrs.update_counter = self.pcrs.update_counter.wrapping_add(1);
        Ok(Response::default())
    }

    /// The digest of the selected PCRs (Quote's pcrDigest): H over the
    /// values in selection order, ascending PCR index.
    pub(crate) fn pcr_digest(&self, alg: TpmHash, list: &[Selection]) -> Result<Vec<u8>, Rc> {
        let mut m = Vec::new();
        for sel in list {
            let Some(bank) = sel.bank() else {
                continue;
            };
            for i in sel.selected() {
                m.extend_from_slice(self.pcrs.value(bank, i));
            }
        }
        self.digest(alg, &m)
    }
}
