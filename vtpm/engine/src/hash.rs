//! Hashing: TPM2_Hash and hash sequences (HashSequenceStart,
//! SequenceUpdate, SequenceComplete), with their TPMT_TK_HASHCHECK tickets
//! (Part 3, 15.4 and 17).

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::consts::*;
use crate::crypto::{TpmCrypto, TpmHash};
use crate::engine::{
    Command, LIMITS, Response, Secret, Slot, Tpm, auth_value, crypto_rc, hash_alg,
};
use crate::marshal::Writer;
use crate::rc::Rc;

/// TPM_GENERATED_VALUE: the first bytes of every structure the TPM signs.
pub const TPM_GENERATED: [u8; 4] = [0xFF, 0x54, 0x43, 0x47];

/// A hash sequence object.
pub(crate) struct Sequence<H> {
    pub alg: TpmHash,
    pub state: H,
    pub auth: Secret,
    /// The first bytes hashed (a ticket is only issued for data that does
    /// not start with TPM_GENERATED_VALUE).
    pub head: Vec<u8>,
}

impl<C: TpmCrypto> Tpm<C> {
    /// A TPMT_TK_HASHCHECK for `digest`: an HMAC under the hierarchy's
    /// proof, or the NULL ticket when the hierarchy is NULL or the data
    /// looked like a TPM-generated structure.
    fn hash_ticket(
        &self,
        w: &mut Writer,
        hierarchy: u32,
        digest: &[u8],
        head: &[u8],
    ) -> Result<(), Rc> {
        w.u16(ST_HASHCHECK);
        if hierarchy == RH_NULL || head.starts_with(&TPM_GENERATED) {
            w.u32(RH_NULL).tpm2b(&[]);
            return Ok(());
        }
        let mut m = Writer::new();
        m.u16(ST_HASHCHECK).bytes(digest);
        let hmac = self.ticket_hmac(hierarchy, &m.buf)?;
        w.u32(hierarchy).tpm2b(&hmac);
        Ok(())
    }

    fn hierarchy_param(h: u32, n: u32) -> Result<u32, Rc> {
        match h {
            RH_OWNER | RH_ENDORSEMENT | RH_PLATFORM | RH_NULL => Ok(h),
            _ => Err(Rc::VALUE.param(n)),
        }
    }

    /// TPM2_Hash.
    pub(crate) fn hash(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let data = Self::param(cmd, 1, |r| r.tpm2b(LIMITS.input_buffer))?;
        let alg = Self::param(cmd, 2, |r| r.u16())?;
        let hierarchy = Self::param(cmd, 3, |r| r.u32())?;
        Self::end(cmd)?;
        let alg = hash_alg(alg).map_err(|rc| rc.param(2))?;
        let hierarchy = Self::hierarchy_param(hierarchy, 3)?;
        let digest = self.digest(alg, data)?;
        let mut w = Writer::new();
        w.tpm2b(&digest);
        self.hash_ticket(&mut w, hierarchy, &digest, data)?;
        Ok(Response::with(w))
    }

    /// TPM2_HashSequenceStart (event sequences, hashAlg NULL, are not
    /// offered: TPM_RC_HASH).
    pub(crate) fn hash_sequence_start(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let auth = Self::param(cmd, 1, |r| r.tpm2b(48))?;
        let alg = Self::param(cmd, 2, |r| r.u16())?;
        Self::end(cmd)?;
        let alg = hash_alg(alg).map_err(|rc| rc.param(2))?;
        if self.objects.len() >= LIMITS.objects {
            return Err(Rc::OBJECT_MEMORY);
        }
        let state = self.crypto.hash_start(alg).map_err(crypto_rc)?;
        let seq = Sequence {
            alg,
            state,
            auth: auth_value(auth),
            head: Vec::new(),
        };
        let handle = self.insert_object(Slot::Sequence(Box::new(seq)))?;
        Ok(Response {
            handle: Some(handle),
            params: Writer::new(),
        })
    }

    fn sequence_mut(&mut self, h: u32) -> Result<&mut Sequence<C::HashState>, Rc> {
        match self.objects.iter_mut().find(|(x, _)| *x == h) {
            Some((_, Slot::Sequence(seq))) => Ok(seq),
            Some(_) => Err(Rc::MODE.handle(1)),
            None => Err(Rc::HANDLE.handle(1)),
        }
    }

    /// TPM2_SequenceUpdate.
    pub(crate) fn sequence_update(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let data = Self::param(cmd, 1, |r| r.tpm2b(LIMITS.input_buffer))?;
        Self::end(cmd)?;
        let h = cmd.handles[0];
        let crypto = &self.crypto;
        let seq = match self.objects.iter_mut().find(|(x, _)| *x == h) {
            Some((_, Slot::Sequence(seq))) => seq,
            Some(_) => return Err(Rc::MODE.handle(1)),
            None => return Err(Rc::HANDLE.handle(1)),
        };
        let take = TPM_GENERATED
            .len()
            .saturating_sub(seq.head.len())
            .min(data.len());
        seq.head.extend_from_slice(&data[..take]);
        crypto
            .hash_update(&mut seq.state, data)
            .map_err(crypto_rc)?;
        Ok(Response::default())
    }

    /// TPM2_SequenceComplete: the digest and its ticket; the sequence is
    /// flushed.
    pub(crate) fn sequence_complete(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let data = Self::param(cmd, 1, |r| r.tpm2b(LIMITS.input_buffer))?;
        let hierarchy = Self::param(cmd, 2, |r| r.u32())?;
        Self::end(cmd)?;
        let hierarchy = Self::hierarchy_param(hierarchy, 2)?;
        let h = cmd.handles[0];
        self.sequence_mut(h)?;
        let Some(Slot::Sequence(mut seq)) = self.remove_object(h) else {
            return Err(Rc::HANDLE.handle(1));
        };
        let take = TPM_GENERATED
            .len()
            .saturating_sub(seq.head.len())
            .min(data.len());
        seq.head.extend_from_slice(&data[..take]);
        self.crypto
            .hash_update(&mut seq.state, data)
            .map_err(crypto_rc)?;
        let Sequence {
            alg, state, head, ..
        } = *seq;
        let mut digest = alloc::vec![0u8; alg.digest_len()];
        self.crypto
            .hash_finish(state, &mut digest)
            .map_err(crypto_rc)?;
        let mut w = Writer::new();
        w.tpm2b(&digest);
        self.hash_ticket(&mut w, hierarchy, &digest, &head)?;
        Ok(Response::with(w))
    }
}
