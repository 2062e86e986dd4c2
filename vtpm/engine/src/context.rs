//! Context management: ContextSave, ContextLoad, FlushContext (Part 3, 28).
//!
//! A saved context never leaves the TPM: the blob the caller gets is a
//! random token naming an entry the engine keeps (a copy of the object, or
//! the saved session), so no key material is exported and no context
//! encryption key is needed. Entries are bounded ([`LIMITS`]): saving an
//! object when the table is full drops the oldest saved object, whose blob
//! then answers TPM_RC_INTEGRITY. Everything saved is gone at power-on.

use alloc::boxed::Box;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::consts::*;
use crate::crypto::TpmCrypto;
use crate::engine::{Command, LIMITS, Response, Slot, Tpm, crypto_rc, ct_eq};
use crate::marshal::Writer;
use crate::object::KeyObject;
use crate::rc::Rc;

/// Bytes of a context blob (the token).
const TOKEN_LEN: usize = 32;
/// TPMS_CONTEXT.savedHandle of a saved transient object.
const SAVED_OBJECT: u32 = 0x8000_0000;

enum Saved {
    Object(Box<KeyObject>),
    Session(u32),
}

struct Entry {
    sequence: u64,
    /// The blob's secret: whoever holds it can load the context.
    token: Zeroizing<[u8; TOKEN_LEN]>,
    saved: Saved,
}

/// The saved contexts of the current power cycle.
#[derive(Default)]
pub(crate) struct SavedContexts {
    entries: Vec<Entry>,
    next_sequence: u64,
}

impl SavedContexts {
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Drops saved objects of a hierarchy (TPM2_Clear).
    pub fn retain_hierarchies(&mut self, keep: impl Fn(u32) -> bool) {
        self.entries.retain(|e| match &e.saved {
            Saved::Object(key) => keep(key.hierarchy),
            Saved::Session(_) => true,
        });
    }

    fn drop_session(&mut self, h: u32) {
        self.entries
            .retain(|e| !matches!(e.saved, Saved::Session(s) if s == h));
    }
}

impl<C: TpmCrypto> Tpm<C> {
    /// TPM2_ContextSave.
    pub(crate) fn context_save(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        Self::end(cmd)?;
        let h = cmd.handles[0];
        let mut token = Zeroizing::new([0u8; TOKEN_LEN]);
        self.crypto.random(&mut token[..]).map_err(crypto_rc)?;
        let (saved, saved_handle, hierarchy) = if handle_type(h) == HT_TRANSIENT {
            let key = match self.slot(h) {
                Some(Slot::Key(key)) => key.clone(),
                // Hash state cannot leave the module: sequences stay loaded.
                Some(Slot::Sequence(_)) => return Err(Rc::TYPE.handle(1)),
                None => return Err(Rc::HANDLE.handle(1)),
            };
            let hierarchy = key.hierarchy;
            let objects = self
                .saved
                .entries
                .iter()
                .filter(|e| matches!(e.saved, Saved::Object(_)))
                .count();
            if objects >= LIMITS.saved_objects
                && let Some(oldest) = self
                    .saved
                    .entries
                    .iter()
                    .position(|e| matches!(e.saved, Saved::Object(_)))
            {
                self.saved.entries.remove(oldest);
            }
            (Saved::Object(key), SAVED_OBJECT, hierarchy)
        } else {
            let s = self
                .sessions
                .iter_mut()
                .find(|s| s.handle == h && !s.saved)
                .ok_or(Rc::HANDLE.handle(1))?;
            s.saved = true;
            self.saved.drop_session(h);
            (Saved::Session(h), h, RH_NULL)
        };
        self.saved.next_sequence += 1;
        let sequence = self.saved.next_sequence;
        let mut w = Writer::new();
        w.u64(sequence)
            .u32(saved_handle)
            .u32(hierarchy)
            .tpm2b(&token[..]);
        self.saved.entries.push(Entry {
            sequence,
            token,
            saved,
        });
        Ok(Response::with(w))
    }

    /// TPM2_ContextLoad.
    pub(crate) fn context_load(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let sequence = Self::param(cmd, 1, |r| r.u64())?;
        let saved_handle = Self::param(cmd, 1, |r| r.u32())?;
        let _hierarchy = Self::param(cmd, 1, |r| r.u32())?;
        let blob = Self::param(cmd, 1, |r| r.tpm2b(256))?;
        Self::end(cmd)?;
        let i = self
            .saved
            .entries
            .iter()
            .position(|e| e.sequence == sequence && ct_eq(&e.token[..], blob))
            .ok_or(Rc::INTEGRITY.param(1))?;
        let handle = match &self.saved.entries[i].saved {
            Saved::Object(key) => {
                if saved_handle != SAVED_OBJECT {
                    return Err(Rc::INTEGRITY.param(1));
                }
                let key = key.clone();
                self.insert_object(Slot::Key(key))?
            }
            Saved::Session(h) => {
                let h = *h;
                if saved_handle != h {
                    return Err(Rc::INTEGRITY.param(1));
                }
                let s = self
                    .sessions
                    .iter_mut()
                    .find(|s| s.handle == h && s.saved)
                    .ok_or(Rc::INTEGRITY.param(1))?;
                s.saved = false;
                self.saved.entries.remove(i);
                h
            }
        };
        Ok(Response {
            handle: Some(handle),
            params: Writer::new(),
        })
    }

    /// TPM2_FlushContext: a transient object or a session, loaded or saved.
    pub(crate) fn flush_context(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let h = Self::param(cmd, 1, |r| r.u32())?;
        Self::end(cmd)?;
        match handle_type(h) {
            HT_TRANSIENT => {
                self.remove_object(h).ok_or(Rc::HANDLE.param(1))?;
            }
            HT_HMAC_SESSION | HT_POLICY_SESSION => {
                let i = self
                    .sessions
                    .iter()
                    .position(|s| s.handle == h)
                    .ok_or(Rc::HANDLE.param(1))?;
                self.sessions.swap_remove(i);
                self.saved.drop_session(h);
            }
            _ => return Err(Rc::VALUE.param(1)),
        }
        Ok(Response::default())
    }
}
