//! Hierarchy commands: TPM2_Clear and TPM2_HierarchyChangeAuth (Part 3,
//! 24.6 and 24.8).

use zeroize::Zeroizing;

use crate::consts::*;
use crate::crypto::TpmCrypto;
use crate::engine::{Command, HierarchyAuth, Response, Slot, Tpm, auth_value, crypto_rc};
use crate::nv::NvStore;
use crate::rc::Rc;

impl<C: TpmCrypto> Tpm<C> {
    /// TPM2_Clear (Part 3, 24.6): a new storage primary seed, new owner and
    /// endorsement proofs, owner, endorsement and lockout authValues
    /// emptied, the owner's NV indices and every object of those
    /// hierarchies gone (their secrets wiped as they drop). The endorsement
    /// seed stays: the EK survives Clear.
    pub(crate) fn clear(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        Self::end(cmd)?;
        let mut owner = Zeroizing::new([0u8; crate::engine::SEED_LEN]);
        let mut salt = Zeroizing::new([0u8; 32]);
        self.crypto.random(&mut owner[..]).map_err(crypto_rc)?;
        self.crypto.random(&mut salt[..]).map_err(crypto_rc)?;
        self.seeds.owner = owner;
        self.proof_salt = salt;
        let platform = core::mem::take(&mut self.auth.platform);
        self.auth = HierarchyAuth {
            platform,
            ..HierarchyAuth::default()
        };
        self.nv.retain(NvStore::platform_created);
        let gone = |h: u32| h == RH_OWNER || h == RH_ENDORSEMENT;
        self.objects.retain(|(_, slot)| match slot {
            Slot::Key(key) => !gone(key.hierarchy),
            Slot::Sequence(_) => true,
        });
        self.saved.retain_hierarchies(|h| !gone(h));
        Ok(Response::default())
    }

    /// TPM2_HierarchyChangeAuth.
    pub(crate) fn hierarchy_change_auth(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let new_auth = Self::param(cmd, 1, |r| r.tpm2b(48))?;
        Self::end(cmd)?;
        let value = auth_value(new_auth);
        match cmd.handles[0] {
            RH_OWNER => self.auth.owner = value,
            RH_ENDORSEMENT => self.auth.endorsement = value,
            RH_LOCKOUT => self.auth.lockout = value,
            RH_PLATFORM => self.auth.platform = value,
            _ => return Err(Rc::VALUE.handle(1)),
        }
        Ok(Response::default())
    }
}
