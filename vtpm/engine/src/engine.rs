//! The engine: its state, the command dispatcher and the authorization
//! area. The commands themselves live in the sibling modules, each an
//! `impl Tpm` block.

use alloc::boxed::Box;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::MAX_COMMAND_SIZE;
use crate::commands::{self, CommandInfo, HandleKind, cc};
use crate::consts::*;
use crate::crypto::{CryptoError, TpmCrypto, TpmHash};
use crate::marshal::{Reader, Writer};
use crate::object::KeyObject;
use crate::pcr::PcrBanks;
use crate::rc::Rc;
use crate::session::{AuthSession, Session};

/// A secret byte string, wiped when dropped.
pub(crate) type Secret = Zeroizing<Vec<u8>>;

/// Bytes of each hierarchy seed (the largest digest of the profile).
pub const SEED_LEN: usize = 48;

/// The primary seeds of the hierarchies that persist across resets.
pub struct Seeds {
    pub endorsement: Zeroizing<[u8; SEED_LEN]>,
    pub owner: Zeroizing<[u8; SEED_LEN]>,
    pub platform: Zeroizing<[u8; SEED_LEN]>,
}

/// The engine's fixed resource limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Transient objects and sequences loaded at once (TPM_RC_OBJECT_MEMORY).
    pub objects: usize,
    /// Sessions loaded at once (TPM_RC_SESSION_MEMORY).
    pub sessions: usize,
    /// NV indices defined at once (TPM_RC_NV_SPACE).
    pub nv_indices: usize,
    /// Total data bytes of all NV indices (TPM_RC_NV_SPACE).
    pub nv_bytes: usize,
    /// Largest NV index, and largest NV_Read/NV_Write (TPM_PT_NV_INDEX_MAX,
    /// TPM_PT_NV_BUFFER_MAX).
    pub nv_index_max: usize,
    /// Object contexts saved (ContextSave) and not yet loaded again.
    pub saved_objects: usize,
    /// Bytes a hash sequence or TPM2_Hash takes in one command
    /// (TPM_PT_INPUT_BUFFER).
    pub input_buffer: usize,
}

/// The limits every [`Tpm`] enforces.
pub const LIMITS: Limits = Limits {
    objects: 3,
    sessions: 3,
    nv_indices: 16,
    nv_bytes: 8192,
    nv_index_max: 1024,
    saved_objects: 32,
    input_buffer: 1024,
};

/// A transient object slot: a key or a hash sequence.
pub(crate) enum Slot<H> {
    Key(Box<KeyObject>),
    Sequence(Box<crate::hash::Sequence<H>>),
}

/// Authorization values of the permanent hierarchies.
#[derive(Default)]
pub(crate) struct HierarchyAuth {
    pub owner: Secret,
    pub endorsement: Secret,
    pub lockout: Secret,
    pub platform: Secret,
}

/// A TPM 2.0. The value is the whole TPM: its persistent state (seeds,
/// authorization values, NV indices) lives as long as it does; dropping it
/// wipes every secret.
pub struct Tpm<C: TpmCrypto> {
    pub(crate) crypto: C,
    /// Persistent hierarchy seeds.
    pub(crate) seeds: Seeds,
    /// The null hierarchy's seed, drawn again at every TPM Reset.
    pub(crate) null_seed: Zeroizing<[u8; SEED_LEN]>,
    /// Mixed into the owner and endorsement proofs (shProof, ehProof):
    /// TPM2_Clear draws a new one, voiding their tickets.
    pub(crate) proof_salt: Zeroizing<[u8; 32]>,
    pub(crate) auth: HierarchyAuth,
    pub(crate) nv: crate::nv::NvStore,
    /// Started (a successful TPM2_Startup since power-on).
    pub(crate) started: bool,
    /// Failure mode: the crypto provider failed; only GetTestResult and
    /// GetCapability are answered.
    pub(crate) failed: bool,
    pub(crate) pcrs: PcrBanks,
    /// PCRs kept by Shutdown(STATE) for a Startup(STATE).
    pub(crate) saved_pcrs: Option<PcrBanks>,
    /// Loaded transient objects and sequences, by handle.
    pub(crate) objects: Vec<(u32, Slot<C::HashState>)>,
    pub(crate) sessions: Vec<Session>,
    pub(crate) saved: crate::context::SavedContexts,
    /// TPMS_CLOCK_INFO.clock: commands executed since manufacture (the
    /// engine has no time source of its own).
    pub(crate) clock: u64,
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

impl Response {
    pub fn with(params: Writer) -> Self {
        Response {
            handle: None,
            params,
        }
    }
}

pub(crate) fn crypto_rc(e: CryptoError) -> Rc {
    match e {
        CryptoError::Failed => Rc::FAILURE,
        CryptoError::Unsupported => Rc::NO_RESULT,
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

/// Constant-time equality of two byte strings (lengths are public).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    core::hint::black_box(diff) == 0
}

/// An authValue as the TPM keeps it: trailing zero bytes removed (Part 1,
/// 19.6.4.3), wiped on drop.
pub(crate) fn auth_value(bytes: &[u8]) -> Secret {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    Zeroizing::new(bytes[..end].to_vec())
}

impl<C: TpmCrypto> Tpm<C> {
    /// Manufactures a TPM: hierarchy seeds from the provider's DRBG. The TPM
    /// is powered off; call [`Tpm::power_on`] and send TPM2_Startup.
    pub fn manufacture(crypto: C) -> Result<Self, CryptoError> {
        let mut seeds = Seeds {
            endorsement: Zeroizing::new([0; SEED_LEN]),
            owner: Zeroizing::new([0; SEED_LEN]),
            platform: Zeroizing::new([0; SEED_LEN]),
        };
        crypto.random(&mut seeds.endorsement[..])?;
        crypto.random(&mut seeds.owner[..])?;
        crypto.random(&mut seeds.platform[..])?;
        Ok(Self::manufacture_with_seeds(crypto, seeds))
    }

    /// Manufactures a TPM with the given seeds (tests, reproducible keys).
    pub fn manufacture_with_seeds(crypto: C, seeds: Seeds) -> Self {
        Tpm {
            crypto,
            seeds,
            null_seed: Zeroizing::new([0; SEED_LEN]),
            proof_salt: Zeroizing::new([0; 32]),
            auth: HierarchyAuth::default(),
            nv: Default::default(),
            started: false,
            failed: false,
            pcrs: PcrBanks::new(),
            saved_pcrs: None,
            objects: Vec::new(),
            sessions: Vec::new(),
            saved: Default::default(),
            clock: 0,
        }
    }

    /// _TPM_Init: the TPM needs TPM2_Startup next; volatile state (loaded
    /// objects, sessions, sequences, saved contexts) is wiped. Calling it
    /// twice is the same as calling it once.
    pub fn power_on(&mut self) {
        self.started = false;
        self.objects.clear();
        self.sessions.clear();
        self.saved.clear();
    }

    /// Loaded transient objects and sequences, loaded sessions and saved
    /// contexts (a resource gauge for callers and tests).
    pub fn resources(&self) -> (usize, usize, usize) {
        (self.objects.len(), self.sessions.len(), self.saved.len())
    }

    /// Executes one marshalled command and returns the marshalled response.
    /// Never panics; always a well-formed response.
    pub fn execute(&mut self, command: &[u8]) -> Vec<u8> {
        self.clock = self.clock.wrapping_add(1);
        match self.run(command) {
            Ok(response) => response,
            Err(rc) => {
                if rc == Rc::FAILURE {
                    self.failed = true;
                }
                error_response(rc)
            }
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
        let count = usize::from(info.handles);
        for (i, h) in handles.iter_mut().enumerate().take(count) {
            *h = r.u32().map_err(|rc| rc.handle(i as u32 + 1))?;
        }
        for (i, (&kind, &h)) in info.kinds.iter().zip(&handles).take(count).enumerate() {
            self.check_handle(kind, h, i)?;
        }
        let mut sessions: Vec<AuthSession> = Vec::new();
        if tag == ST_SESSIONS {
            sessions = crate::session::parse_auth_area(&mut r)?;
        }
        if sessions.len() < usize::from(info.auth_handles) {
            return Err(Rc::AUTH_MISSING);
        }
        if sessions.is_empty() && tag == ST_SESSIONS {
            return Err(Rc::AUTHSIZE);
        }
        let params = r.rest();
        let mut names: Vec<Vec<u8>> = Vec::new();
        if !sessions.is_empty() {
            for &h in &handles[..count] {
                names.push(self.entity_name(h)?);
            }
        }
        let mut params_owned = Zeroizing::new(params.to_vec());
        self.authorize(info, &handles, &names, &mut sessions, &mut params_owned)?;
        let mut cmd = Command {
            info,
            handles,
            params: Reader::new(&params_owned),
        };
        let mut response = self.dispatch(&mut cmd)?;
        let mut w = Writer::new();
        if sessions.is_empty() {
            w.u16(ST_NO_SESSIONS).u32(0).u32(Rc::SUCCESS.0);
            if let Some(h) = response.handle {
                w.u32(h);
            }
            w.bytes(&response.params.buf);
        } else {
            let auths = self.respond_sessions(info, &mut sessions, &mut response)?;
            w.u16(ST_SESSIONS).u32(0).u32(Rc::SUCCESS.0);
            if let Some(h) = response.handle {
                w.u32(h);
            }
            w.u32(response.params.buf.len() as u32);
            w.bytes(&response.params.buf);
            w.bytes(&auths.buf);
        }
        if w.buf.len() > MAX_COMMAND_SIZE {
            return Err(Rc::SIZE);
        }
        let len = w.buf.len() as u32;
        w.buf[2..6].copy_from_slice(&len.to_be_bytes());
        Ok(w.buf)
    }

    /// Checks handle `i` (0-based) of a command against what the command
    /// accepts there and what exists (Part 3, 5.5 order: type, then
    /// presence).
    fn check_handle(&self, kind: HandleKind, h: u32, i: usize) -> Result<(), Rc> {
        let n = i as u32 + 1;
        if !kind.accepts(h) {
            return Err(Rc::VALUE.handle(n));
        }
        let present = match handle_type(h) {
            HT_TRANSIENT => self.objects.iter().any(|(handle, _)| *handle == h),
            HT_HMAC_SESSION | HT_POLICY_SESSION => self.sessions.iter().any(|s| s.handle == h),
            HT_NV_INDEX if self.nv.get(h).is_none() => return Err(Rc::HANDLE.handle(n)),
            _ => true,
        };
        if !present {
            return Err(Rc(Rc::REFERENCE_H0.0 + i as u32));
        }
        Ok(())
    }

    /// The Name of an entity (Part 1, 16): the handle for PCRs, permanent
    /// handles, sessions and sequences; nameAlg || H(public area) for keys
    /// and NV indices.
    pub(crate) fn entity_name(&self, h: u32) -> Result<Vec<u8>, Rc> {
        match handle_type(h) {
            HT_TRANSIENT => match self.slot(h) {
                Some(Slot::Key(key)) => Ok(key.name.clone()),
                _ => Ok(h.to_be_bytes().to_vec()),
            },
            HT_NV_INDEX => self.nv.get(h).map(|i| i.name.clone()).ok_or(Rc::HANDLE),
            _ => Ok(h.to_be_bytes().to_vec()),
        }
    }

    /// The authValue of an entity, and whether it is protected by
    /// dictionary-attack logic (TPM_RC_AUTH_FAIL rather than
    /// TPM_RC_BAD_AUTH on a wrong value).
    pub(crate) fn entity_auth(&self, h: u32) -> Result<(&[u8], bool), Rc> {
        match h {
            RH_OWNER => Ok((&self.auth.owner, false)),
            RH_ENDORSEMENT => Ok((&self.auth.endorsement, false)),
            RH_LOCKOUT => Ok((&self.auth.lockout, true)),
            RH_PLATFORM => Ok((&self.auth.platform, false)),
            RH_NULL => Ok((&[], false)),
            _ => match handle_type(h) {
                HT_PCR => Ok((&[], false)),
                HT_TRANSIENT => match self.slot(h) {
                    Some(Slot::Key(key)) => Ok((&key.auth, !key.no_da())),
                    Some(Slot::Sequence(seq)) => Ok((&seq.auth, false)),
                    None => Err(Rc::HANDLE),
                },
                HT_NV_INDEX => self
                    .nv
                    .get(h)
                    .map(|i| (&i.auth[..], !i.no_da()))
                    .ok_or(Rc::HANDLE),
                _ => Err(Rc::HANDLE),
            },
        }
    }

    pub(crate) fn slot(&self, h: u32) -> Option<&Slot<C::HashState>> {
        self.objects
            .iter()
            .find(|(handle, _)| *handle == h)
            .map(|(_, s)| s)
    }

    pub(crate) fn key(&self, h: u32) -> Result<&KeyObject, Rc> {
        match self.slot(h) {
            Some(Slot::Key(key)) => Ok(key),
            Some(Slot::Sequence(_)) => Err(Rc::TYPE),
            None => Err(Rc::HANDLE),
        }
    }

    /// Takes a free transient handle for a new object, or
    /// TPM_RC_OBJECT_MEMORY when all slots are used.
    pub(crate) fn insert_object(&mut self, slot: Slot<C::HashState>) -> Result<u32, Rc> {
        if self.objects.len() >= LIMITS.objects {
            return Err(Rc::OBJECT_MEMORY);
        }
        let h = self.fresh_handle(HT_TRANSIENT);
        self.objects.push((h, slot));
        Ok(h)
    }

    /// The lowest handle of type `ht` no loaded object or live session
    /// uses (as the reference TPM numbers its slots).
    pub(crate) fn fresh_handle(&self, ht: u8) -> u32 {
        let base = u32::from(ht) << 24;
        (base..)
            .find(|h| {
                !self.objects.iter().any(|(x, _)| x == h)
                    && !self.sessions.iter().any(|s| s.handle == *h)
            })
            .unwrap_or(base)
    }

    /// Removes a loaded object; its secrets are wiped as it drops.
    pub(crate) fn remove_object(&mut self, h: u32) -> Option<Slot<C::HashState>> {
        let i = self.objects.iter().position(|(x, _)| *x == h)?;
        Some(self.objects.swap_remove(i).1)
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
            cc::GET_CAPABILITY => self.get_capability(cmd),
            cc::PCR_EXTEND => self.pcr_extend(cmd),
            cc::PCR_EVENT => self.pcr_event(cmd),
            cc::PCR_READ => self.pcr_read(cmd),
            cc::PCR_RESET => self.pcr_reset(cmd),
            cc::HASH => self.hash(cmd),
            cc::HASH_SEQUENCE_START => self.hash_sequence_start(cmd),
            cc::SEQUENCE_UPDATE => self.sequence_update(cmd),
            cc::SEQUENCE_COMPLETE => self.sequence_complete(cmd),
            cc::START_AUTH_SESSION => self.start_auth_session(cmd),
            cc::CREATE_PRIMARY => self.create_primary(cmd),
            cc::READ_PUBLIC => self.read_public(cmd),
            cc::FLUSH_CONTEXT => self.flush_context(cmd),
            cc::CONTEXT_SAVE => self.context_save(cmd),
            cc::CONTEXT_LOAD => self.context_load(cmd),
            cc::SIGN => self.sign(cmd),
            cc::VERIFY_SIGNATURE => self.verify_signature(cmd),
            cc::QUOTE => self.quote(cmd),
            cc::NV_DEFINE_SPACE => self.nv_define_space(cmd),
            cc::NV_UNDEFINE_SPACE => self.nv_undefine_space(cmd),
            cc::NV_WRITE => self.nv_write(cmd),
            cc::NV_READ => self.nv_read(cmd),
            cc::NV_READ_PUBLIC => self.nv_read_public(cmd),
            cc::CLEAR => self.clear(cmd),
            cc::HIERARCHY_CHANGE_AUTH => self.hierarchy_change_auth(cmd),
            _ => Err(Rc::COMMAND_CODE),
        }?;
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

    /// Ends parameter parsing: bytes left over make the command malformed
    /// (TPM_RC_SIZE).
    pub(crate) fn end(cmd: &Command<'_>) -> Result<(), Rc> {
        if cmd.params.is_empty() {
            Ok(())
        } else {
            Err(Rc::SIZE)
        }
    }

    /// `H(data)` into a fresh vector.
    pub(crate) fn digest(&self, alg: TpmHash, data: &[u8]) -> Result<Vec<u8>, Rc> {
        let mut out = alloc::vec![0u8; alg.digest_len()];
        self.crypto.hash(alg, data, &mut out).map_err(crypto_rc)?;
        Ok(out)
    }
}

pub(crate) const fn hash_alg_id(alg: TpmHash) -> u16 {
    match alg {
        TpmHash::Sha256 => ALG_SHA256,
        TpmHash::Sha384 => ALG_SHA384,
    }
}

/// A TPMI_ALG_HASH of the profile (TPM_RC_HASH otherwise).
pub(crate) fn hash_alg(alg: u16) -> Result<TpmHash, Rc> {
    match alg {
        ALG_SHA256 => Ok(TpmHash::Sha256),
        ALG_SHA384 => Ok(TpmHash::Sha384),
        _ => Err(Rc::HASH),
    }
}
