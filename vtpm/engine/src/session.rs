//! Authorization: the command's authorization area, password sessions,
//! HMAC sessions (TPM2_StartAuthSession, unsalted or ECC-salted, bound or
//! not) and AES-128-CFB parameter encryption (Part 1, 19 and 21).

use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::commands::CommandInfo;
use crate::consts::*;
use crate::crypto::{TpmCrypto, TpmHash};
use crate::engine::{Command, LIMITS, Response, Secret, Slot, Tpm, crypto_rc, ct_eq, hash_alg};
use crate::marshal::{Reader, Writer};
use crate::rc::Rc;

/// Largest nonce (the largest digest).
const MAX_NONCE: usize = 48;
/// Largest HMAC or password in an authorization.
const MAX_AUTH: usize = 48;
/// TPM_RC_REFERENCE_S0: a session handle that is not loaded.
const REFERENCE_S0: u32 = 0x918;

/// One authorization from the command's authorization area.
pub(crate) struct AuthSession {
    pub handle: u32,
    pub nonce_caller: Vec<u8>,
    pub attrs: u8,
    /// The HMAC, or the password of a password session.
    pub hmac: Secret,
    /// The handle this session authorizes, if any (the first sessions pair
    /// with the first handles).
    pub entity: Option<u32>,
    /// The authorized entity's authValue when the command started (for the
    /// response if the command removes the entity).
    pub entity_auth: Secret,
}

/// A started HMAC or policy session.
pub(crate) struct Session {
    pub handle: u32,
    pub kind: u8,
    pub hash: TpmHash,
    pub nonce_tpm: Vec<u8>,
    pub session_key: Secret,
    /// AES key bits for parameter encryption, if the session has one.
    pub aes_bits: Option<u16>,
    /// Name of the entity the session is bound to.
    pub bind: Option<Vec<u8>>,
    /// Saved by ContextSave: not usable until ContextLoad.
    pub saved: bool,
}

/// Parses the authorization area (Part 1, 18.3): at most three sessions,
/// exactly filling `authorizationSize` bytes.
pub(crate) fn parse_auth_area(r: &mut Reader<'_>) -> Result<Vec<AuthSession>, Rc> {
    let size = r.u32().map_err(|_| Rc::AUTHSIZE)?;
    let size = usize::try_from(size).map_err(|_| Rc::AUTHSIZE)?;
    if size > r.remaining() || size < 9 {
        return Err(Rc::AUTHSIZE);
    }
    let mut area = Reader::new(r.bytes(size)?);
    let mut sessions = Vec::new();
    while !area.is_empty() {
        if sessions.len() == 3 {
            return Err(Rc::AUTHSIZE);
        }
        let n = sessions.len() as u32 + 1;
        let handle = area.u32().map_err(|_| Rc::AUTHSIZE)?;
        let nonce = area.tpm2b(MAX_NONCE).map_err(|rc| fix(rc, n))?;
        let attrs = area.u8().map_err(|_| Rc::AUTHSIZE)?;
        let hmac = area.tpm2b(MAX_AUTH).map_err(|rc| fix(rc, n))?;
        sessions.push(AuthSession {
            handle,
            nonce_caller: nonce.to_vec(),
            attrs,
            hmac: Zeroizing::new(hmac.to_vec()),
            entity: None,
            entity_auth: Secret::default(),
        });
    }
    Ok(sessions)
}

fn fix(rc: Rc, n: u32) -> Rc {
    if rc == Rc::INSUFFICIENT {
        Rc::AUTHSIZE
    } else {
        rc.session(n)
    }
}

/// HMAC-key || message material, concatenated and wiped after use.
fn concat(parts: &[&[u8]]) -> Secret {
    let mut v = Zeroizing::new(Vec::with_capacity(parts.iter().map(|p| p.len()).sum()));
    for p in parts {
        v.extend_from_slice(p);
    }
    v
}

impl<C: TpmCrypto> Tpm<C> {
    fn session_index(&self, h: u32, i: usize) -> Result<usize, Rc> {
        self.sessions
            .iter()
            .position(|s| s.handle == h && !s.saved)
            .ok_or(Rc(REFERENCE_S0 + i as u32))
    }

    /// Checks every session of the command and decrypts the first
    /// parameter when a session asks for it.
    pub(crate) fn authorize(
        &mut self,
        info: &CommandInfo,
        handles: &[u32; 3],
        names: &[Vec<u8>],
        sessions: &mut [AuthSession],
        params: &mut Secret,
    ) -> Result<(), Rc> {
        let mut cp_hashes: Vec<(TpmHash, Vec<u8>)> = Vec::new();
        let mut decrypting = false;
        let mut encrypting = false;
        let mut decrypt_with: Option<(usize, usize)> = None;
        // (handle, attributes) of the sessions after the first.
        let other_sessions: Vec<(u32, u8)> = sessions
            .iter()
            .skip(1)
            .map(|a| (a.handle, a.attrs))
            .collect();
        for (i, auth) in sessions.iter().enumerate() {
            if auth.handle != RS_PW && sessions[..i].iter().any(|a| a.handle == auth.handle) {
                return Err(Rc::HANDLE.session(i as u32 + 1));
            }
        }
        for (i, auth) in sessions.iter_mut().enumerate() {
            let n = i as u32 + 1;
            if auth.attrs & 0x18 != 0 {
                return Err(Rc::RESERVED_BITS.session(n));
            }
            if auth.attrs & (SESSION_AUDIT | SESSION_AUDIT_EXCLUSIVE | SESSION_AUDIT_RESET) != 0 {
                // Audit sessions are not offered.
                return Err(Rc::ATTRIBUTES.session(n));
            }
            if i < usize::from(info.auth_handles) {
                if let Some(Slot::Key(key)) = self.slot(handles[i])
                    && !key.user_with_auth()
                    && info.cc != crate::commands::cc::FLUSH_CONTEXT
                {
                    return Err(Rc::AUTH_UNAVAILABLE);
                }
                auth.entity = Some(handles[i]);
                let (value, _) = self.entity_auth(handles[i])?;
                auth.entity_auth = Zeroizing::new(value.to_vec());
            }
            if auth.handle == RS_PW {
                if auth.entity.is_none() {
                    return Err(Rc::AUTH_CONTEXT);
                }
                if !auth.nonce_caller.is_empty() {
                    return Err(Rc::NONCE.session(n));
                }
                if auth.attrs & (SESSION_DECRYPT | SESSION_ENCRYPT) != 0 {
                    return Err(Rc::ATTRIBUTES.session(n));
                }
                let (value, da) = self.entity_auth(handles[i])?;
                if !ct_eq(&crate::engine::auth_value(&auth.hmac), value) {
                    return Err(bad_auth(da).session(n));
                }
                continue;
            }
            let ht = handle_type(auth.handle);
            if ht != HT_HMAC_SESSION && ht != HT_POLICY_SESSION {
                return Err(Rc::HANDLE.session(n));
            }
            let s = self.session_index(auth.handle, i)?;
            let session = &self.sessions[s];
            if session.kind != SE_HMAC {
                // No policy commands are offered, so no policy is satisfied.
                return Err(Rc::POLICY_FAIL.session(n));
            }
            if auth.nonce_caller.len() < 16 {
                return Err(Rc::SIZE.session(n));
            }
            let wants_decrypt = auth.attrs & SESSION_DECRYPT != 0;
            let wants_encrypt = auth.attrs & SESSION_ENCRYPT != 0;
            if (wants_decrypt || wants_encrypt) && session.aes_bits.is_none() {
                return Err(Rc::SYMMETRIC.session(n));
            }
            if (wants_decrypt && (!info.decrypt || decrypting))
                || (wants_encrypt && (!info.encrypt || encrypting))
            {
                return Err(Rc::ATTRIBUTES.session(n));
            }
            decrypting |= wants_decrypt;
            encrypting |= wants_encrypt;
            if auth.entity.is_none() && !(wants_decrypt || wants_encrypt) {
                return Err(Rc::ATTRIBUTES.session(n));
            }
            let alg = session.hash;
            let cp = match cp_hashes.iter().find(|(a, _)| *a == alg) {
                Some((_, h)) => h.clone(),
                None => {
                    let mut m = Writer::new();
                    m.u32(info.cc);
                    for name in names {
                        m.bytes(name);
                    }
                    m.bytes(params);
                    let h = self.digest(alg, &m.buf)?;
                    cp_hashes.push((alg, h.clone()));
                    h
                }
            };
            let key = self.hmac_key(s, auth);
            // The first session's HMAC also covers the nonceTPM of another
            // session that decrypts, then of another that encrypts (Part 1,
            // 19.6.5: nonceTPMdecrypt, nonceTPMencrypt).
            let (decrypt_nonce, encrypt_nonce) = if i == 0 {
                (
                    self.extra_nonce(&other_sessions, SESSION_DECRYPT, None),
                    self.extra_nonce(&other_sessions, SESSION_ENCRYPT, Some(SESSION_DECRYPT)),
                )
            } else {
                (&[][..], &[][..])
            };
            let msg = concat(&[
                &cp,
                &auth.nonce_caller,
                &self.sessions[s].nonce_tpm,
                decrypt_nonce,
                encrypt_nonce,
                &[auth.attrs],
            ]);
            let mut expected = Zeroizing::new(alloc::vec![0u8; alg.digest_len()]);
            self.crypto
                .hmac(alg, &key, &msg, &mut expected)
                .map_err(crypto_rc)?;
            let checked = auth.entity.is_some() || !auth.hmac.is_empty();
            if checked && !ct_eq(&expected, &auth.hmac) {
                let da = auth
                    .entity
                    .map(|h| self.entity_auth(h).map(|(_, da)| da).unwrap_or(false))
                    .unwrap_or(false);
                return Err(bad_auth(da).session(n));
            }
            if wants_decrypt {
                decrypt_with = Some((s, i));
            }
        }
        // Decrypt only once every HMAC is checked: cpHash covers the
        // parameters as sent.
        if let Some((s, i)) = decrypt_with {
            self.cfb(s, &sessions[i], true, params, true)?;
        }
        Ok(())
    }

    /// The nonceTPM of the first of `others` with attribute `attr` (and
    /// without `unless`), or nothing.
    fn extra_nonce(&self, others: &[(u32, u8)], attr: u8, unless: Option<u8>) -> &[u8] {
        others
            .iter()
            .find(|(_, a)| a & attr != 0 && unless.is_none_or(|u| a & u == 0))
            .and_then(|(h, _)| self.sessions.iter().find(|s| s.handle == *h && !s.saved))
            .map_or(&[][..], |s| &s.nonce_tpm[..])
    }

    /// sessionKey || authValue (the authValue left out when the session is
    /// bound to the entity it authorizes, or authorizes none).
    fn hmac_key(&self, s: usize, auth: &AuthSession) -> Secret {
        let session = &self.sessions[s];
        let bound_here = match (&session.bind, auth.entity) {
            (Some(bind), Some(h)) => self.entity_name(h).is_ok_and(|name| name == *bind),
            _ => false,
        };
        if auth.entity.is_some() && !bound_here {
            concat(&[&session.session_key, &auth.entity_auth])
        } else {
            concat(&[&session.session_key])
        }
    }

    /// AES-CFB over the first TPM2B of `buf` (Part 1, 21.4): key and IV from
    /// KDFa(hash, hmacKey, "CFB", nonceNewer, nonceOlder).
    fn cfb(
        &self,
        s: usize,
        auth: &AuthSession,
        command: bool,
        buf: &mut [u8],
        decrypt: bool,
    ) -> Result<(), Rc> {
        let session = &self.sessions[s];
        let bits = session.aes_bits.unwrap_or(128);
        let key_len = usize::from(bits / 8);
        let size = match buf {
            [a, b, ..] => usize::from(u16::from_be_bytes([*a, *b])),
            _ => return Err(Rc::SIZE),
        };
        let data = buf.get_mut(2..2 + size).ok_or(Rc::SIZE)?;
        let hmac_key = self.hmac_key(s, auth);
        let (newer, older): (&[u8], &[u8]) = if command {
            (&auth.nonce_caller, &session.nonce_tpm)
        } else {
            (&session.nonce_tpm, &auth.nonce_caller)
        };
        let mut material = Zeroizing::new(alloc::vec![0u8; key_len + 16]);
        self.crypto
            .kdfa(session.hash, &hmac_key, b"CFB", newer, older, &mut material)
            .map_err(crypto_rc)?;
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&material[key_len..]);
        self.crypto
            .aes_cfb(!decrypt, &material[..key_len], &iv, data)
            .map_err(crypto_rc)
    }

    /// The response authorization area: new nonces, response HMACs,
    /// encryption of the first response parameter, and the end of sessions
    /// without continueSession.
    pub(crate) fn respond_sessions(
        &mut self,
        info: &CommandInfo,
        sessions: &mut [AuthSession],
        response: &mut Response,
    ) -> Result<Writer, Rc> {
        // Fresh nonces first: encryption uses the new nonceTPM.
        for auth in sessions.iter() {
            if auth.handle == RS_PW {
                continue;
            }
            if let Ok(s) = self.session_index(auth.handle, 0) {
                let mut nonce = alloc::vec![0u8; self.sessions[s].hash.digest_len()];
                self.crypto.random(&mut nonce).map_err(crypto_rc)?;
                self.sessions[s].nonce_tpm = nonce;
            }
        }
        // The entity's current authValue (a changed one for
        // HierarchyChangeAuth), or the one it had if it is gone.
        for auth in sessions.iter_mut() {
            if let Some(h) = auth.entity
                && let Ok((value, _)) = self.entity_auth(h)
            {
                auth.entity_auth = Zeroizing::new(value.to_vec());
            }
        }
        for auth in sessions.iter() {
            if auth.attrs & SESSION_ENCRYPT != 0
                && let Ok(s) = self.session_index(auth.handle, 0)
            {
                self.cfb(s, auth, false, &mut response.params.buf, false)?;
            }
        }
        let mut w = Writer::new();
        let mut rp = Writer::new();
        rp.u32(0).u32(info.cc).bytes(&response.params.buf);
        for auth in sessions.iter() {
            if auth.handle == RS_PW {
                w.tpm2b(&[]).u8(SESSION_CONTINUE).tpm2b(&[]);
                continue;
            }
            let Ok(s) = self.session_index(auth.handle, 0) else {
                // Flushed by the command itself (FlushContext of the
                // session): nothing to answer for it.
                w.tpm2b(&[]).u8(0).tpm2b(&[]);
                continue;
            };
            let alg = self.sessions[s].hash;
            let rp_hash = self.digest(alg, &rp.buf)?;
            let key = self.hmac_key(s, auth);
            let msg = concat(&[
                &rp_hash,
                &self.sessions[s].nonce_tpm,
                &auth.nonce_caller,
                &[auth.attrs],
            ]);
            let mut hmac = alloc::vec![0u8; alg.digest_len()];
            self.crypto
                .hmac(alg, &key, &msg, &mut hmac)
                .map_err(crypto_rc)?;
            w.tpm2b(&self.sessions[s].nonce_tpm)
                .u8(auth.attrs)
                .tpm2b(&hmac);
            if auth.attrs & SESSION_CONTINUE == 0 {
                self.sessions.swap_remove(s);
            }
        }
        Ok(w)
    }

    /// TPM2_StartAuthSession (Part 3, 11.1).
    pub(crate) fn start_auth_session(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let tpm_key = cmd.handles[0];
        let bind = cmd.handles[1];
        let nonce_caller = Self::param(cmd, 1, |r| r.tpm2b(MAX_NONCE))?;
        let salt_in = Self::param(cmd, 2, |r| r.tpm2b(256))?;
        let kind = Self::param(cmd, 3, |r| r.u8())?;
        let sym = Self::param(cmd, 4, |r| r.u16())?;
        let aes_bits = match sym {
            ALG_NULL => None,
            ALG_AES => {
                let bits = Self::param(cmd, 4, |r| r.u16())?;
                let mode = Self::param(cmd, 4, |r| r.u16())?;
                if bits != 128 {
                    return Err(Rc::KEY_SIZE.param(4));
                }
                if mode != ALG_CFB {
                    return Err(Rc::MODE.param(4));
                }
                Some(bits)
            }
            _ => return Err(Rc::SYMMETRIC.param(4)),
        };
        let hash_id = Self::param(cmd, 5, |r| r.u16())?;
        Self::end(cmd)?;
        let hash = hash_alg(hash_id).map_err(|rc| rc.param(5))?;
        if !matches!(kind, SE_HMAC | SE_POLICY | SE_TRIAL) {
            return Err(Rc::VALUE.param(3));
        }
        if nonce_caller.len() < 16 {
            return Err(Rc::SIZE.param(1));
        }
        let salt = if tpm_key == RH_NULL {
            if !salt_in.is_empty() {
                return Err(Rc::VALUE.param(2));
            }
            Secret::default()
        } else {
            self.decrypt_salt(tpm_key, salt_in)?
        };
        if self.sessions.len() >= LIMITS.sessions {
            return Err(Rc::SESSION_HANDLES);
        }
        let mut nonce_tpm = alloc::vec![0u8; hash.digest_len()];
        self.crypto.random(&mut nonce_tpm).map_err(crypto_rc)?;
        let (bind_name, bind_auth) = if bind == RH_NULL {
            (None, Secret::default())
        } else {
            let (value, _) = self.entity_auth(bind).map_err(|rc| rc.handle(2))?;
            let value = Zeroizing::new(value.to_vec());
            (Some(self.entity_name(bind)?), value)
        };
        let session_key = if bind == RH_NULL && tpm_key == RH_NULL {
            Secret::default()
        } else {
            let key = concat(&[&bind_auth, &salt]);
            let mut sk = Zeroizing::new(alloc::vec![0u8; hash.digest_len()]);
            self.crypto
                .kdfa(hash, &key, b"ATH", &nonce_tpm, nonce_caller, &mut sk)
                .map_err(crypto_rc)?;
            sk
        };
        let ht = if kind == SE_HMAC {
            HT_HMAC_SESSION
        } else {
            HT_POLICY_SESSION
        };
        let handle = self.fresh_handle(ht);
        let mut w = Writer::new();
        w.tpm2b(&nonce_tpm);
        self.sessions.push(Session {
            handle,
            kind,
            hash,
            nonce_tpm,
            session_key,
            aes_bits,
            bind: bind_name,
            saved: false,
        });
        Ok(Response {
            handle: Some(handle),
            params: w,
        })
    }
}

fn bad_auth(da: bool) -> Rc {
    if da { Rc::AUTH_FAIL } else { Rc::BAD_AUTH }
}
