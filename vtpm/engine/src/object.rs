//! ECC key objects: the public area (TPMT_PUBLIC), CreatePrimary with keys
//! derived from the hierarchy seed, ReadPublic, Sign, VerifySignature and
//! Quote (Part 3, 12.1, 12.4, 18.4, 20.1, 20.2, 24.1), tickets, and the
//! ECDH salt of a salted session.

use alloc::boxed::Box;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::consts::*;
use crate::crypto::{CryptoError, TpmCrypto, TpmCurve, TpmHash};
use crate::engine::{
    Command, Response, SEED_LEN, Secret, Slot, Tpm, auth_value, crypto_rc, hash_alg, hash_alg_id,
};
use crate::hash::TPM_GENERATED;
use crate::marshal::{Reader, Writer};
use crate::pcr::{read_selection, write_selection};
use crate::rc::Rc;

// TPMA_OBJECT
const FIXED_TPM: u32 = 1 << 1;
const FIXED_PARENT: u32 = 1 << 4;
const SENSITIVE_DATA_ORIGIN: u32 = 1 << 5;
const USER_WITH_AUTH: u32 = 1 << 6;
const NO_DA: u32 = 1 << 10;
const RESTRICTED: u32 = 1 << 16;
const DECRYPT: u32 = 1 << 17;
const SIGN: u32 = 1 << 18;
/// Bits of TPMA_OBJECT Part 2 reserves.
const RESERVED: u32 = 0xFFF8_F309;

/// Attempts at a scalar in [1, n-1] before giving up (TPM_RC_NO_RESULT);
/// each fails with probability about 2^-32 on P-256 and P-384.
const MAX_DERIVE_ATTEMPTS: u32 = 100;

/// A parsed ECC public area.
#[derive(Clone)]
pub(crate) struct EccTemplate {
    pub name_alg: TpmHash,
    pub attributes: u32,
    pub auth_policy: Vec<u8>,
    /// AES key bits of a storage key's symmetric definition.
    pub symmetric: Option<u16>,
    /// The key's scheme: ECDSA or ECDH with its hash, or none.
    pub scheme: Option<(u16, TpmHash)>,
    pub curve: TpmCurve,
    pub x: Vec<u8>,
    pub y: Vec<u8>,
}

impl EccTemplate {
    /// Reads a TPMT_PUBLIC; format-one codes are left for the caller to
    /// number.
    pub fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        let ty = r.u16()?;
        if ty != ALG_ECC {
            return Err(Rc::TYPE);
        }
        let name_alg = hash_alg(r.u16()?)?;
        let attributes = r.u32()?;
        if attributes & RESERVED != 0 {
            return Err(Rc::RESERVED_BITS);
        }
        let auth_policy = r.tpm2b(48)?.to_vec();
        let symmetric = match r.u16()? {
            ALG_NULL => None,
            ALG_AES => {
                let bits = r.u16()?;
                if bits != 128 && bits != 256 {
                    return Err(Rc::KEY_SIZE);
                }
                if r.u16()? != ALG_CFB {
                    return Err(Rc::MODE);
                }
                Some(bits)
            }
            _ => return Err(Rc::SYMMETRIC),
        };
        let scheme = match r.u16()? {
            ALG_NULL => None,
            s @ (ALG_ECDSA | ALG_ECDH) => Some((s, hash_alg(r.u16()?)?)),
            _ => return Err(Rc::SCHEME),
        };
        let curve = match r.u16()? {
            ECC_NIST_P256 => TpmCurve::P256,
            ECC_NIST_P384 => TpmCurve::P384,
            _ => return Err(Rc::CURVE),
        };
        if r.u16()? != ALG_NULL {
            return Err(Rc::KDF);
        }
        let x = r.tpm2b(48)?.to_vec();
        let y = r.tpm2b(48)?.to_vec();
        Ok(EccTemplate {
            name_alg,
            attributes,
            auth_policy,
            symmetric,
            scheme,
            curve,
            x,
            y,
        })
    }

    /// The consistency rules for a key the engine creates (Part 1, 27.2
    /// and Part 3, 12.1): TPM_RC_ATTRIBUTES, _SYMMETRIC or _SCHEME.
    fn check(&self) -> Result<(), Rc> {
        let a = self.attributes;
        let (restricted, decrypt, sign) = (a & RESTRICTED != 0, a & DECRYPT != 0, a & SIGN != 0);
        if (a & FIXED_TPM != 0) != (a & FIXED_PARENT != 0) {
            return Err(Rc::ATTRIBUTES);
        }
        // No sensitive data can be supplied for an ECC key.
        if a & SENSITIVE_DATA_ORIGIN == 0 || !(decrypt || sign) {
            return Err(Rc::ATTRIBUTES);
        }
        if restricted && decrypt && sign {
            return Err(Rc::ATTRIBUTES);
        }
        if restricted && decrypt {
            if self.symmetric.is_none() {
                return Err(Rc::SYMMETRIC);
            }
            if self.scheme.is_some() {
                return Err(Rc::SCHEME);
            }
        } else if self.symmetric.is_some() {
            return Err(Rc::SYMMETRIC);
        }
        match self.scheme {
            Some((ALG_ECDSA, _)) if !sign => Err(Rc::SCHEME),
            Some((ALG_ECDH, _)) if !decrypt || sign => Err(Rc::SCHEME),
            None if restricted && sign => Err(Rc::SCHEME),
            _ => Ok(()),
        }
    }

    pub fn write(&self, w: &mut Writer) {
        w.u16(ALG_ECC)
            .u16(hash_alg_id(self.name_alg))
            .u32(self.attributes)
            .tpm2b(&self.auth_policy);
        match self.symmetric {
            Some(bits) => w.u16(ALG_AES).u16(bits).u16(ALG_CFB),
            None => w.u16(ALG_NULL),
        };
        match self.scheme {
            Some((s, h)) => w.u16(s).u16(hash_alg_id(h)),
            None => w.u16(ALG_NULL),
        };
        w.u16(match self.curve {
            TpmCurve::P256 => ECC_NIST_P256,
            TpmCurve::P384 => ECC_NIST_P384,
        })
        .u16(ALG_NULL)
        .tpm2b(&self.x)
        .tpm2b(&self.y);
    }
}

/// A loaded ECC key. The private scalar and the authValue are wiped when it
/// is dropped (flush, Clear, power-on, drop of the TPM).
#[derive(Clone)]
pub(crate) struct KeyObject {
    pub public: EccTemplate,
    /// The marshalled TPMT_PUBLIC.
    pub public_bytes: Vec<u8>,
    pub name: Vec<u8>,
    pub qualified_name: Vec<u8>,
    pub hierarchy: u32,
    pub d: Secret,
    pub auth: Secret,
}

impl KeyObject {
    pub fn no_da(&self) -> bool {
        self.public.attributes & NO_DA != 0
    }

    /// Whether the USER role may be authorized with the authValue (else
    /// only with a policy: TPM_RC_AUTH_UNAVAILABLE).
    pub fn user_with_auth(&self) -> bool {
        self.public.attributes & USER_WITH_AUTH != 0
    }

    fn q(&self) -> Vec<u8> {
        let mut q = self.public.x.clone();
        q.extend_from_slice(&self.public.y);
        q
    }
}

/// TPMT_SIGNATURE for ECDSA: the scheme, its hash, r and s.
fn write_signature(w: &mut Writer, hash: TpmHash, sig: &[u8]) {
    let half = sig.len() / 2;
    w.u16(ALG_ECDSA)
        .u16(hash_alg_id(hash))
        .tpm2b(&sig[..half])
        .tpm2b(&sig[half..]);
}

impl<C: TpmCrypto> Tpm<C> {
    /// The primary seed of a hierarchy.
    fn seed(&self, hierarchy: u32) -> &[u8; SEED_LEN] {
        match hierarchy {
            RH_ENDORSEMENT => &self.seeds.endorsement,
            RH_OWNER => &self.seeds.owner,
            RH_PLATFORM => &self.seeds.platform,
            _ => &self.null_seed,
        }
    }

    /// HMAC-SHA-256 of a ticket under the hierarchy's proof value,
    /// KDFa(SHA-256, seed, "PROOF", proof salt) (Part 1, 14.4: secret values
    /// bound to the hierarchy; Clear replaces the owner's and endorsement's).
    pub(crate) fn ticket_hmac(&self, hierarchy: u32, msg: &[u8]) -> Result<Vec<u8>, Rc> {
        let mut proof = Zeroizing::new([0u8; 32]);
        self.crypto
            .kdfa(
                TpmHash::Sha256,
                self.seed(hierarchy),
                b"PROOF",
                &self.proof_salt[..],
                &[],
                &mut proof[..],
            )
            .map_err(crypto_rc)?;
        let mut tag = alloc::vec![0u8; 32];
        self.crypto
            .hmac(TpmHash::Sha256, &proof[..], msg, &mut tag)
            .map_err(crypto_rc)?;
        Ok(tag)
    }

    /// nameAlg || H(bytes).
    pub(crate) fn name(&self, alg: TpmHash, bytes: &[u8]) -> Result<Vec<u8>, Rc> {
        let mut name = hash_alg_id(alg).to_be_bytes().to_vec();
        name.extend_from_slice(&self.digest(alg, bytes)?);
        Ok(name)
    }

    /// The private scalar of a primary key (Part 1, 27.2 / 11.4.10.2):
    /// d = KDFa(nameAlg, seed, "ECC", H_nameAlg(template), [counter]_32,
    /// curve bits), counter = 1, 2, ... until d is in [1, n-1]. The same
    /// template under the same seed gives the same key.
    fn derive_key(
        &self,
        hierarchy: u32,
        template: &EccTemplate,
        template_bytes: &[u8],
    ) -> Result<(Secret, Vec<u8>), Rc> {
        let curve = template.curve;
        let context = self.digest(template.name_alg, template_bytes)?;
        let mut q = alloc::vec![0u8; 2 * curve.scalar_len()];
        for counter in 1..=MAX_DERIVE_ATTEMPTS {
            let mut d = Zeroizing::new(alloc::vec![0u8; curve.scalar_len()]);
            self.crypto
                .kdfa(
                    template.name_alg,
                    self.seed(hierarchy),
                    b"ECC",
                    &context,
                    &counter.to_be_bytes(),
                    &mut d,
                )
                .map_err(crypto_rc)?;
            match self.crypto.ecc_public(curve, &d, &mut q) {
                Ok(()) => return Ok((d, q)),
                Err(CryptoError::Key) => continue,
                Err(e) => return Err(crypto_rc(e)),
            }
        }
        Err(Rc::NO_RESULT)
    }

    /// TPM2_CreatePrimary: an ECC key derived from the hierarchy's seed.
    pub(crate) fn create_primary(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let hierarchy = cmd.handles[0];
        let sensitive = Self::param(cmd, 1, |r| r.tpm2b(256))?;
        let public = Self::param(cmd, 2, |r| r.tpm2b(512))?;
        let outside_info = Self::param(cmd, 3, |r| r.tpm2b(64))?;
        let creation_pcr = Self::param(cmd, 4, read_selection)?;
        Self::end(cmd)?;
        let mut s = Reader::new(sensitive);
        let user_auth = s.tpm2b(48).map_err(|rc| rc.param(1))?;
        let data = s.tpm2b(128).map_err(|rc| rc.param(1))?;
        if !s.is_empty() {
            return Err(Rc::SIZE.param(1));
        }
        let mut p = Reader::new(public);
        let template = EccTemplate::read(&mut p).map_err(|rc| rc.param(2))?;
        if !p.is_empty() {
            return Err(Rc::SIZE.param(2));
        }
        template.check().map_err(|rc| rc.param(2))?;
        if !data.is_empty() {
            return Err(Rc::SIZE.param(1));
        }
        if user_auth.len() > template.name_alg.digest_len() {
            return Err(Rc::SIZE.param(1));
        }
        if self.objects.len() >= crate::engine::LIMITS.objects {
            return Err(Rc::OBJECT_MEMORY);
        }
        let (d, q) = self.derive_key(hierarchy, &template, public)?;
        let n = template.curve.scalar_len();
        let mut out = template.clone();
        out.x = q[..n].to_vec();
        out.y = q[n..].to_vec();
        let mut pw = Writer::new();
        out.write(&mut pw);
        let name = self.name(out.name_alg, &pw.buf)?;
        let mut qn_input = hierarchy.to_be_bytes().to_vec();
        qn_input.extend_from_slice(&name);
        let qualified_name = self.name(out.name_alg, &qn_input)?;

        // TPMS_CREATION_DATA and its ticket.
        let mut cd = Writer::new();
        write_selection(&mut cd, &creation_pcr);
        let pcr_digest = self.pcr_digest(out.name_alg, &creation_pcr)?;
        cd.tpm2b(&pcr_digest)
            .u8(1)
            .u16(ALG_NULL)
            .tpm2b(&hierarchy.to_be_bytes())
            .tpm2b(&hierarchy.to_be_bytes())
            .tpm2b(outside_info);
        let creation_hash = self.digest(out.name_alg, &cd.buf)?;
        let mut w = Writer::new();
        w.tpm2b(&pw.buf).tpm2b(&cd.buf).tpm2b(&creation_hash);
        w.u16(ST_CREATION);
        if hierarchy == RH_NULL {
            w.u32(RH_NULL).tpm2b(&[]);
        } else {
            let mut m = Writer::new();
            m.u16(ST_CREATION).bytes(&name).bytes(&creation_hash);
            let ticket = self.ticket_hmac(hierarchy, &m.buf)?;
            w.u32(hierarchy).tpm2b(&ticket);
        }
        w.tpm2b(&name);
        let key = KeyObject {
            public: out,
            public_bytes: pw.buf,
            name,
            qualified_name,
            hierarchy,
            d,
            auth: auth_value(user_auth),
        };
        let handle = self.insert_object(Slot::Key(Box::new(key)))?;
        Ok(Response {
            handle: Some(handle),
            params: w,
        })
    }

    /// TPM2_ReadPublic.
    pub(crate) fn read_public(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        Self::end(cmd)?;
        let key = self.key(cmd.handles[0]).map_err(|rc| rc.handle(1))?;
        let mut w = Writer::new();
        w.tpm2b(&key.public_bytes)
            .tpm2b(&key.name)
            .tpm2b(&key.qualified_name);
        Ok(Response::with(w))
    }

    /// Reads a TPMT_SIG_SCHEME and settles it against the key's scheme
    /// (Part 1, 31.? signing schemes): the hash to sign with.
    fn sig_scheme(key: &KeyObject, r: &mut Reader<'_>) -> Result<TpmHash, Rc> {
        let scheme = r.u16()?;
        let requested = match scheme {
            ALG_NULL => None,
            ALG_ECDSA => Some(hash_alg(r.u16()?)?),
            _ => return Err(Rc::SCHEME),
        };
        match (key.public.scheme, requested) {
            (Some((ALG_ECDSA, h)), None) => Ok(h),
            (Some((ALG_ECDSA, h)), Some(r)) if h == r => Ok(h),
            (None, Some(r)) => Ok(r),
            _ => Err(Rc::SCHEME),
        }
    }

    fn signing_key(&self, h: u32) -> Result<&KeyObject, Rc> {
        let key = self.key(h).map_err(|rc| rc.handle(1))?;
        if key.public.attributes & SIGN == 0 {
            return Err(Rc::KEY.handle(1));
        }
        Ok(key)
    }

    fn sign_digest(&self, key: &KeyObject, digest: &[u8]) -> Result<Vec<u8>, Rc> {
        let mut sig = alloc::vec![0u8; 2 * key.public.curve.scalar_len()];
        self.crypto
            .ecdsa_sign(key.public.curve, &key.d, digest, &mut sig)
            .map_err(crypto_rc)?;
        Ok(sig)
    }

    /// TPM2_Sign: ECDSA over a digest; a restricted key signs only digests
    /// with a hash-check ticket from this TPM.
    pub(crate) fn sign(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let digest = Self::param(cmd, 1, |r| r.tpm2b(48))?;
        let key = self.signing_key(cmd.handles[0])?;
        let hash = {
            let r = &mut cmd.params;
            Self::sig_scheme(key, r).map_err(|rc| rc.param(2))?
        };
        let tag = Self::param(cmd, 3, |r| r.u16())?;
        let ticket_hierarchy = Self::param(cmd, 3, |r| r.u32())?;
        let ticket = Self::param(cmd, 3, |r| r.tpm2b(48))?;
        Self::end(cmd)?;
        if tag != ST_HASHCHECK {
            return Err(Rc::TAG.param(3));
        }
        if digest.len() != hash.digest_len() {
            return Err(Rc::SIZE.param(1));
        }
        if key.public.attributes & RESTRICTED != 0 {
            if ticket_hierarchy == RH_NULL {
                return Err(Rc::TICKET.param(3));
            }
            let mut m = Writer::new();
            m.u16(ST_HASHCHECK).bytes(digest);
            let expected = self.ticket_hmac(ticket_hierarchy, &m.buf).map_err(|rc| {
                if rc == Rc::FAILURE {
                    rc
                } else {
                    Rc::TICKET.param(3)
                }
            })?;
            if !crate::engine::ct_eq(&expected, ticket) {
                return Err(Rc::TICKET.param(3));
            }
        }
        let sig = self.sign_digest(key, digest)?;
        let mut w = Writer::new();
        write_signature(&mut w, hash, &sig);
        Ok(Response::with(w))
    }

    /// TPM2_VerifySignature: a TPMT_TK_VERIFIED ticket when it verifies,
    /// TPM_RC_SIGNATURE otherwise.
    pub(crate) fn verify_signature(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let digest = Self::param(cmd, 1, |r| r.tpm2b(48))?;
        let sig_alg = Self::param(cmd, 2, |r| r.u16())?;
        if sig_alg != ALG_ECDSA {
            return Err(Rc::SCHEME.param(2));
        }
        let hash = Self::param(cmd, 2, |r| r.u16())?;
        let r_bytes = Self::param(cmd, 2, |r| r.tpm2b(48))?;
        let s_bytes = Self::param(cmd, 2, |r| r.tpm2b(48))?;
        Self::end(cmd)?;
        hash_alg(hash).map_err(|rc| rc.param(2))?;
        let key = self.signing_key(cmd.handles[0])?;
        let n = key.public.curve.scalar_len();
        if r_bytes.len() > n || s_bytes.len() > n {
            return Err(Rc::SIGNATURE.param(2));
        }
        // r and s left-padded to the curve's size.
        let mut sig = alloc::vec![0u8; 2 * n];
        sig[n - r_bytes.len()..n].copy_from_slice(r_bytes);
        sig[2 * n - s_bytes.len()..].copy_from_slice(s_bytes);
        match self
            .crypto
            .ecdsa_verify(key.public.curve, &key.q(), digest, &sig)
        {
            Ok(()) => {}
            Err(CryptoError::Failed) => return Err(Rc::FAILURE),
            Err(_) => return Err(Rc::SIGNATURE.param(2)),
        }
        let mut w = Writer::new();
        w.u16(ST_VERIFIED);
        if key.hierarchy == RH_NULL {
            w.u32(RH_NULL).tpm2b(&[]);
        } else {
            let mut m = Writer::new();
            m.u16(ST_VERIFIED).bytes(digest).bytes(&key.name);
            let ticket = self.ticket_hmac(key.hierarchy, &m.buf)?;
            w.u32(key.hierarchy).tpm2b(&ticket);
        }
        Ok(Response::with(w))
    }

    /// TPM2_Quote: a TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE over the
    /// selected PCRs, signed with the key.
    pub(crate) fn quote(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let qualifying = Self::param(cmd, 1, |r| r.tpm2b(64))?;
        let key = self.signing_key(cmd.handles[0])?;
        let hash = {
            let r = &mut cmd.params;
            Self::sig_scheme(key, r).map_err(|rc| rc.param(2))?
        };
        let selection = Self::param(cmd, 3, read_selection)?;
        Self::end(cmd)?;
        let pcr_digest = self.pcr_digest(hash, &selection)?;
        let mut a = Writer::new();
        a.bytes(&TPM_GENERATED)
            .u16(ST_ATTEST_QUOTE)
            .tpm2b(&key.qualified_name)
            .tpm2b(qualifying)
            // TPMS_CLOCK_INFO: clock, resetCount, restartCount, safe.
            .u64(self.clock)
            .u32(0)
            .u32(0)
            .u8(1)
            .u64(0x0001_0000_0000_0000);
        write_selection(&mut a, &selection);
        a.tpm2b(&pcr_digest);
        let digest = self.digest(hash, &a.buf)?;
        let sig = self.sign_digest(key, &digest)?;
        let mut w = Writer::new();
        w.tpm2b(&a.buf);
        write_signature(&mut w, hash, &sig);
        Ok(Response::with(w))
    }

    /// The salt of a session salted with an ECC key (Part 1, C.6.1):
    /// encryptedSalt is the caller's ephemeral point Qe; Z = x(d * Qe);
    /// salt = KDFe(nameAlg, Z, "SECRET", Qe.x, Qs.x, digest bits).
    pub(crate) fn decrypt_salt(&self, tpm_key: u32, encrypted: &[u8]) -> Result<Secret, Rc> {
        let key = self.key(tpm_key).map_err(|rc| rc.handle(1))?;
        if key.public.attributes & DECRYPT == 0 {
            return Err(Rc::KEY.handle(1));
        }
        let curve = key.public.curve;
        let n = curve.scalar_len();
        let mut r = Reader::new(encrypted);
        let x = r.tpm2b(n).map_err(|_| Rc::VALUE.param(2))?;
        let y = r.tpm2b(n).map_err(|_| Rc::VALUE.param(2))?;
        if !r.is_empty() || x.len() != n || y.len() != n {
            return Err(Rc::VALUE.param(2));
        }
        let mut point = x.to_vec();
        point.extend_from_slice(y);
        let mut z = Zeroizing::new(alloc::vec![0u8; n]);
        match self.crypto.ecdh(curve, &key.d, &point, &mut z) {
            Ok(()) => {}
            Err(CryptoError::Failed) => return Err(Rc::FAILURE),
            Err(_) => return Err(Rc::ECC_POINT.param(2)),
        }
        let alg = key.public.name_alg;
        let mut salt = Zeroizing::new(alloc::vec![0u8; alg.digest_len()]);
        self.crypto
            .kdfe(alg, &z, b"SECRET", x, &key.public.x, &mut salt)
            .map_err(crypto_rc)?;
        Ok(salt)
    }
}
