//! ECDSA (FIPS 186-5) and ECC CDH (SP 800-56A rev. 3) on P-256 and P-384.
//!
//! Keys and signatures carry their curve, so a P-256 key cannot be used with a
//! P-384 signature by accident: mixing curves is [`Error::Arg`] before the
//! module is called. Encodings follow the header: big-endian scalars, public
//! keys as X || Y without the 0x04 prefix, signatures as r || s.

use crate::bindings;
use crate::errors::{Error, Indicated, Indicator};
use crate::hash::HashAlg;
use crate::module::Module;
use crate::secret::SecretBytes;

const MAX_SCALAR: usize = bindings::SVSM_CRYPTO_ECC_MAX_SCALAR_LEN as usize;

/// The module's curves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
}

impl Curve {
    /// Size of a scalar or field element in bytes.
    pub const fn scalar_len(self) -> usize {
        match self {
            Curve::P256 => bindings::SVSM_CRYPTO_P256_SCALAR_LEN as usize,
            Curve::P384 => bindings::SVSM_CRYPTO_P384_SCALAR_LEN as usize,
        }
    }

    /// Size of an encoded public key (X || Y) or signature (r || s).
    pub const fn pair_len(self) -> usize {
        2 * self.scalar_len()
    }

    const fn raw(self) -> u32 {
        match self {
            Curve::P256 => bindings::SVSM_CRYPTO_P256,
            Curve::P384 => bindings::SVSM_CRYPTO_P384,
        }
    }
}

/// Two big-endian integers of the curve's size: a public point or (r, s).
///
/// # Invariants
///
/// Bytes past `curve.pair_len()` are zero.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Pair {
    curve: Curve,
    bytes: [u8; 2 * MAX_SCALAR],
}

impl Pair {
    fn zeroed(curve: Curve) -> Self {
        Pair {
            curve,
            bytes: [0; 2 * MAX_SCALAR],
        }
    }

    fn from_bytes(curve: Curve, bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != curve.pair_len() {
            return Err(Error::Arg);
        }
        let mut pair = Pair::zeroed(curve);
        pair.as_mut_bytes().copy_from_slice(bytes);
        Ok(pair)
    }

    fn from_halves(curve: Curve, first: &[u8], second: &[u8]) -> Result<Self, Error> {
        let n = curve.scalar_len();
        if first.len() != n || second.len() != n {
            return Err(Error::Arg);
        }
        let mut pair = Pair::zeroed(curve);
        pair.bytes[..n].copy_from_slice(first);
        pair.bytes[n..2 * n].copy_from_slice(second);
        Ok(pair)
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.curve.pair_len()]
    }

    fn as_mut_bytes(&mut self) -> &mut [u8] {
        &mut self.bytes[..self.curve.pair_len()]
    }

    fn first(&self) -> &[u8] {
        &self.bytes[..self.curve.scalar_len()]
    }

    fn second(&self) -> &[u8] {
        &self.bytes[self.curve.scalar_len()..self.curve.pair_len()]
    }
}

impl core::fmt::Debug for Pair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?}:", self.curve)?;
        self.as_bytes()
            .iter()
            .try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// A public key (X || Y). Constructing one checks only its length; the
/// module validates the point when it is used, or on request with
/// [`Module::ecc_validate_public_key`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(Pair);

impl PublicKey {
    /// From X || Y, each `curve.scalar_len()` bytes.
    pub fn from_bytes(curve: Curve, xy: &[u8]) -> Result<Self, Error> {
        Pair::from_bytes(curve, xy).map(PublicKey)
    }

    /// From separate coordinates.
    pub fn from_coordinates(curve: Curve, x: &[u8], y: &[u8]) -> Result<Self, Error> {
        Pair::from_halves(curve, x, y).map(PublicKey)
    }

    pub fn curve(&self) -> Curve {
        self.0.curve
    }

    /// X || Y.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    pub fn x(&self) -> &[u8] {
        self.0.first()
    }

    pub fn y(&self) -> &[u8] {
        self.0.second()
    }
}

/// An ECDSA signature (r || s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature(Pair);

impl Signature {
    /// From r || s, each `curve.scalar_len()` bytes.
    pub fn from_bytes(curve: Curve, rs: &[u8]) -> Result<Self, Error> {
        Pair::from_bytes(curve, rs).map(Signature)
    }

    /// From separate r and s.
    pub fn from_components(curve: Curve, r: &[u8], s: &[u8]) -> Result<Self, Error> {
        Pair::from_halves(curve, r, s).map(Signature)
    }

    pub fn curve(&self) -> Curve {
        self.0.curve
    }

    /// r || s.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    pub fn r(&self) -> &[u8] {
        self.0.first()
    }

    pub fn s(&self) -> &[u8] {
        self.0.second()
    }
}

/// A private scalar d, wiped on drop. Constructing one checks only its
/// length; the module rejects d = 0 or d >= n when it is used.
///
/// # Invariants
///
/// `scalar` holds exactly `curve.scalar_len()` bytes.
#[derive(Debug)]
pub struct PrivateKey {
    curve: Curve,
    scalar: SecretBytes<MAX_SCALAR>,
}

impl PrivateKey {
    /// From a big-endian scalar of `curve.scalar_len()` bytes.
    pub fn from_bytes(curve: Curve, d: &[u8]) -> Result<Self, Error> {
        if d.len() != curve.scalar_len() {
            return Err(Error::Arg);
        }
        let mut key = PrivateKey::zeroed(curve);
        key.scalar.as_mut_bytes().copy_from_slice(d);
        Ok(key)
    }

    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// The secret scalar (for export under the caller's responsibility).
    pub fn as_bytes(&self) -> &[u8] {
        self.scalar.as_bytes()
    }

    fn zeroed(curve: Curve) -> Self {
        // INVARIANT: the length is the curve's scalar length.
        PrivateKey {
            curve,
            scalar: SecretBytes::zeroed(curve.scalar_len()),
        }
    }
}

/// A generated key pair.
#[derive(Debug)]
pub struct KeyPair {
    pub private: PrivateKey,
    pub public: PublicKey,
}

/// An ECC CDH shared secret (the x-coordinate Z), wiped on drop.
#[derive(Debug)]
pub struct SharedSecret(SecretBytes<MAX_SCALAR>);

impl SharedSecret {
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

fn same_curve(a: Curve, b: Curve) -> Result<(), Error> {
    if a == b { Ok(()) } else { Err(Error::Arg) }
}

impl Module {
    /// Generates a key pair (FIPS 186-5 A.2.2) and runs the pairwise
    /// consistency test.
    pub fn ecc_keygen(&self, curve: Curve) -> Result<Indicated<KeyPair>, Error> {
        let mut private = PrivateKey::zeroed(curve);
        let mut public = Pair::zeroed(curve);
        let d = private.scalar.as_mut_bytes();
        let q = public.as_mut_bytes();
        // SAFETY: `d` and `q` are distinct locals valid for writes of the
        // lengths passed.
        let indicator = self.service(|| unsafe {
            bindings::svsm_crypto_ecc_keygen(
                curve.raw(),
                d.as_mut_ptr(),
                d.len(),
                q.as_mut_ptr(),
                q.len(),
            )
        })?;
        let pair = KeyPair {
            private,
            public: PublicKey(public),
        };
        Ok(Indicated::new(pair, indicator))
    }

    /// Full public-key validation (SP 800-56A rev. 3 5.6.2.3.3):
    /// [`Error::Key`] for an invalid point.
    pub fn ecc_validate_public_key(&self, key: &PublicKey) -> Result<Indicator, Error> {
        let q = key.as_bytes();
        // SAFETY: `q` is valid for reads of its length.
        self.service(|| unsafe {
            bindings::svsm_crypto_ecc_public_key_validate(key.curve().raw(), q.as_ptr(), q.len())
        })
    }

    /// The public key Q = dG of a private key.
    pub fn ecc_public_key(&self, key: &PrivateKey) -> Result<Indicated<PublicKey>, Error> {
        let mut public = Pair::zeroed(key.curve);
        let d = key.as_bytes();
        let q = public.as_mut_bytes();
        // SAFETY: `d` is valid for reads and `q` (a local) for writes of
        // their lengths.
        let indicator = self.service(|| unsafe {
            bindings::svsm_crypto_ecc_public_key_derive(
                key.curve.raw(),
                d.as_ptr(),
                d.len(),
                q.as_mut_ptr(),
                q.len(),
            )
        })?;
        Ok(Indicated::new(PublicKey(public), indicator))
    }

    /// Signs a digest the caller computed (1 to 64 bytes).
    pub fn ecdsa_sign_digest(
        &self,
        key: &PrivateKey,
        digest: &[u8],
    ) -> Result<Indicated<Signature>, Error> {
        let mut signature = Pair::zeroed(key.curve);
        let d = key.as_bytes();
        let sig = signature.as_mut_bytes();
        // SAFETY: `d`, `digest` are valid for reads and `sig` (a local) for
        // writes of their lengths.
        let indicator = self.service(|| unsafe {
            bindings::svsm_crypto_ecdsa_sign_digest(
                key.curve.raw(),
                d.as_ptr(),
                d.len(),
                digest.as_ptr(),
                digest.len(),
                sig.as_mut_ptr(),
                sig.len(),
            )
        })?;
        Ok(Indicated::new(Signature(signature), indicator))
    }

    /// Verifies a signature over a digest: [`Error::Auth`] if it does not
    /// verify, [`Error::Key`] if the public key is invalid.
    pub fn ecdsa_verify_digest(
        &self,
        key: &PublicKey,
        digest: &[u8],
        signature: &Signature,
    ) -> Result<Indicator, Error> {
        same_curve(key.curve(), signature.curve())?;
        let q = key.as_bytes();
        let sig = signature.as_bytes();
        // SAFETY: all buffers are valid for reads of their lengths.
        self.service(|| unsafe {
            bindings::svsm_crypto_ecdsa_verify_digest(
                key.curve().raw(),
                q.as_ptr(),
                q.len(),
                digest.as_ptr(),
                digest.len(),
                sig.as_ptr(),
                sig.len(),
            )
        })
    }

    /// Hashes `msg` with `hash` in the module, then signs the digest. Approved
    /// only if both steps are.
    pub fn ecdsa_sign(
        &self,
        key: &PrivateKey,
        hash: HashAlg,
        msg: &[u8],
    ) -> Result<Indicated<Signature>, Error> {
        let (digest, hashed) = self.hash(hash, msg)?.into_parts();
        let (signature, signed) = self.ecdsa_sign_digest(key, digest.as_bytes())?.into_parts();
        Ok(Indicated::new(signature, hashed.and(signed)))
    }

    /// Hashes `msg` with `hash` in the module, then verifies the signature.
    pub fn ecdsa_verify(
        &self,
        key: &PublicKey,
        hash: HashAlg,
        msg: &[u8],
        signature: &Signature,
    ) -> Result<Indicator, Error> {
        same_curve(key.curve(), signature.curve())?;
        let (digest, hashed) = self.hash(hash, msg)?.into_parts();
        let verified = self.ecdsa_verify_digest(key, digest.as_bytes(), signature)?;
        Ok(hashed.and(verified))
    }

    /// ECC CDH: Z = x(d * Q_peer), after full validation of the peer key.
    pub fn ecdh(
        &self,
        key: &PrivateKey,
        peer: &PublicKey,
    ) -> Result<Indicated<SharedSecret>, Error> {
        same_curve(key.curve, peer.curve())?;
        let mut secret = SecretBytes::zeroed(key.curve.scalar_len());
        let d = key.as_bytes();
        let q = peer.as_bytes();
        let z = secret.as_mut_bytes();
        // SAFETY: `d`, `q` are valid for reads and `z` (a local) for writes
        // of their lengths.
        let indicator = self.service(|| unsafe {
            bindings::svsm_crypto_ecdh_shared_secret(
                key.curve.raw(),
                d.as_ptr(),
                d.len(),
                q.as_ptr(),
                q.len(),
                z.as_mut_ptr(),
                z.len(),
            )
        })?;
        Ok(Indicated::new(SharedSecret(secret), indicator))
    }
}

/// A public key validated in full once, when loaded
/// ([`Module::ecc_load_public_key`]), for repeated verification or ECDH:
/// each use re-checks only range and curve membership (which on P-256 and
/// P-384 implies order n), skipping the n·Q multiplication, and multiplies
/// with the key's precomputed table, which the module builds at load and
/// keeps in the handle (`SVSM_CRYPTO_ECC_PUBLIC_KEY_CTX_SIZE` bytes, held
/// inline: about 6 KiB). The module's handle is ended when the value is
/// dropped.
///
/// # Invariants
///
/// A value reachable by callers holds a `ctx` loaded by
/// `svsm_crypto_ecc_public_key_load` with a key of `curve`.
pub struct LoadedPublicKey<'m> {
    module: &'m Module,
    curve: Curve,
    ctx: bindings::svsm_crypto_ecc_public_key_ctx,
}

impl Module {
    /// Validates `key` in full (SP 800-56A rev. 3 5.6.2.3.3) and keeps it in
    /// a handle; [`Error::Key`] when it is not a valid public key.
    pub fn ecc_load_public_key(
        &self,
        key: &PublicKey,
    ) -> Result<Indicated<LoadedPublicKey<'_>>, Error> {
        let mut ctx = bindings::svsm_crypto_ecc_public_key_ctx {
            opaque: [0; bindings::SVSM_CRYPTO_ECC_PUBLIC_KEY_CTX_SIZE as usize],
        };
        let q = key.as_bytes();
        let raw = &mut ctx;
        // SAFETY: `raw` is exclusively borrowed storage of the context's size
        // and alignment; `q` is valid for reads of its length.
        let status = self.service(|| unsafe {
            bindings::svsm_crypto_ecc_public_key_load(raw, key.curve().raw(), q.as_ptr(), q.len())
        });
        // INVARIANT: the handle escapes only on success.
        let loaded = LoadedPublicKey {
            module: self,
            curve: key.curve(),
            ctx,
        };
        status.map(|indicator| Indicated::new(loaded, indicator))
    }
}

impl LoadedPublicKey<'_> {
    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// As [`Module::ecdsa_verify_digest`], with this key.
    pub fn ecdsa_verify_digest(
        &self,
        digest: &[u8],
        signature: &Signature,
    ) -> Result<Indicator, Error> {
        same_curve(self.curve, signature.curve())?;
        let sig = signature.as_bytes();
        let ctx = &self.ctx;
        // SAFETY: `ctx` is a loaded handle (type invariant); the buffers are
        // valid for reads of their lengths.
        self.module.service(|| unsafe {
            bindings::svsm_crypto_ecdsa_verify_digest_loaded(
                ctx,
                digest.as_ptr(),
                digest.len(),
                sig.as_ptr(),
                sig.len(),
            )
        })
    }

    /// As [`Module::ecdh`], with this key as the peer's.
    pub fn ecdh(&self, key: &PrivateKey) -> Result<Indicated<SharedSecret>, Error> {
        same_curve(key.curve, self.curve)?;
        let mut secret = SecretBytes::zeroed(key.curve.scalar_len());
        let d = key.as_bytes();
        let z = secret.as_mut_bytes();
        let ctx = &self.ctx;
        // SAFETY: `ctx` is a loaded handle (type invariant); `d` is valid for
        // reads and `z` (a local) for writes of their lengths.
        let indicator = self.module.service(|| unsafe {
            bindings::svsm_crypto_ecdh_shared_secret_loaded(
                ctx,
                d.as_ptr(),
                d.len(),
                z.as_mut_ptr(),
                z.len(),
            )
        })?;
        Ok(Indicated::new(SharedSecret(secret), indicator))
    }
}

impl Drop for LoadedPublicKey<'_> {
    fn drop(&mut self) {
        let ctx = &mut self.ctx;
        // SAFETY: `ctx` belongs to this value; the module's cleanse accepts
        // any context storage and zeroes it.
        self.module
            .call(|| unsafe { bindings::svsm_crypto_ecc_public_key_cleanse(ctx) });
    }
}
