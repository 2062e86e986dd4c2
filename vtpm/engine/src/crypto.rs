//! The one way the engine reaches cryptography: the [`TpmCrypto`] trait.
//!
//! Every hash, MAC, KDF, cipher, random byte and curve operation the engine
//! performs is a call on this trait; the engine itself computes none. The
//! trait speaks only in byte slices and plain enums, so an implementation
//! can forward each call across a privilege boundary (the kernel crypto gate
//! of a ring-3 vTPM) as easily as call the module directly
//! ([`crate::ModuleCrypto`], feature `module`).

/// The TPM's hash algorithms (the PCR banks and every name and HMAC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TpmHash {
    Sha256,
    Sha384,
}

impl TpmHash {
    pub const fn digest_len(self) -> usize {
        match self {
            TpmHash::Sha256 => 32,
            TpmHash::Sha384 => 48,
        }
    }
}

/// The TPM's curves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TpmCurve {
    P256,
    P384,
}

impl TpmCurve {
    /// Bytes in a scalar or coordinate.
    pub const fn scalar_len(self) -> usize {
        match self {
            TpmCurve::P256 => 32,
            TpmCurve::P384 => 48,
        }
    }
}

/// Why a crypto call failed, as far as the engine needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// The provider cannot serve requests any more (module error state,
    /// failed self-test or entropy): the TPM enters failure mode.
    Failed,
    /// An argument the provider refuses (length, range).
    Arg,
    /// A private scalar outside [1, n-1] or a public point not on the curve.
    Key,
    /// A signature or tag did not verify.
    Verify,
    /// The provider does not offer this service.
    Unsupported,
}

/// The cryptographic services of the TPM engine. Every method writes exactly
/// `out.len()` bytes (or the fixed size the method names) and leaves the
/// output zeroed on error. Secrets enter as slices the engine owns and wipes.
pub trait TpmCrypto {
    /// A running hash (HashSequenceStart ... SequenceComplete).
    type HashState;

    /// `out = H(data)`; `out.len() == alg.digest_len()`.
    fn hash(&self, alg: TpmHash, data: &[u8], out: &mut [u8]) -> Result<(), CryptoError>;
    fn hash_start(&self, alg: TpmHash) -> Result<Self::HashState, CryptoError>;
    fn hash_update(&self, state: &mut Self::HashState, data: &[u8]) -> Result<(), CryptoError>;
    /// Ends the hash; `out.len() == alg.digest_len()` of the state's algorithm.
    fn hash_finish(&self, state: Self::HashState, out: &mut [u8]) -> Result<(), CryptoError>;

    /// `out = HMAC(key, data)`, `out.len() == alg.digest_len()`. The key may
    /// be empty (an empty TPM authValue).
    fn hmac(
        &self,
        alg: TpmHash,
        key: &[u8],
        data: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError>;

    /// TPM 2.0 Part 1 11.4.10.2 KDFa (SP 800-108 counter mode, HMAC PRF):
    /// `out.len()` bytes of K(1) || K(2) ..., K(i) = HMAC(key, [i]_32 ||
    /// label || 0x00 || context_u || context_v || [8 * out.len()]_32).
    fn kdfa(
        &self,
        alg: TpmHash,
        key: &[u8],
        label: &[u8],
        context_u: &[u8],
        context_v: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError>;

    /// TPM 2.0 Part 1 11.4.10.3 KDFe (SP 800-56C one-step, hash):
    /// H([i]_32 || z || label || 0x00 || party_u || party_v) ...
    fn kdfe(
        &self,
        alg: TpmHash,
        z: &[u8],
        label: &[u8],
        party_u: &[u8],
        party_v: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError>;

    /// AES-CFB128 with a 128-bit (or 256-bit) key, in place.
    fn aes_cfb(
        &self,
        encrypt: bool,
        key: &[u8],
        iv: &[u8; 16],
        data: &mut [u8],
    ) -> Result<(), CryptoError>;

    /// Random bytes from the approved DRBG.
    fn random(&self, out: &mut [u8]) -> Result<(), CryptoError>;
    /// Additional input for the DRBG (TPM2_StirRandom).
    fn stir(&self, input: &[u8]) -> Result<(), CryptoError>;

    /// The public point X || Y of the private scalar `d` (big-endian,
    /// `curve.scalar_len()` bytes); [`CryptoError::Key`] unless d is in
    /// [1, n-1]. `q.len() == 2 * curve.scalar_len()`.
    fn ecc_public(&self, curve: TpmCurve, d: &[u8], q: &mut [u8]) -> Result<(), CryptoError>;
    /// ECDSA over a digest; `sig = r || s`, `2 * curve.scalar_len()` bytes.
    fn ecdsa_sign(
        &self,
        curve: TpmCurve,
        d: &[u8],
        digest: &[u8],
        sig: &mut [u8],
    ) -> Result<(), CryptoError>;
    /// [`CryptoError::Verify`] when the signature does not verify,
    /// [`CryptoError::Key`] when `q` is not a valid point.
    fn ecdsa_verify(
        &self,
        curve: TpmCurve,
        q: &[u8],
        digest: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError>;
    /// ECC CDH: `z = x(d * Q)`, `curve.scalar_len()` bytes, after full
    /// validation of `q`.
    fn ecdh(&self, curve: TpmCurve, d: &[u8], q: &[u8], z: &mut [u8]) -> Result<(), CryptoError>;
}

/// AES-GCM (SP 800-38D) under a caller-chosen IV. Not a TPM service (the
/// engine never calls it) but one the kernel crypto gate offers every
/// ring-3 module, e.g. an encrypted-storage service sealing its blocks.
/// Outputs are zeroed on error; the key is the caller's to wipe.
pub trait AeadCrypto {
    /// Encrypts `plaintext` into `ciphertext` (same length) under `key` (16
    /// or 32 bytes) and `iv`, authenticating `aad` as well, and writes the
    /// tag (`tag.len()` 4, 8 or 12..=16).
    fn aes_gcm_seal(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        plaintext: &[u8],
        ciphertext: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), CryptoError>;
    /// Checks the tag and decrypts `ciphertext` into `plaintext` (same
    /// length); [`CryptoError::Verify`], with `plaintext` zeroed, when the
    /// tag does not verify.
    fn aes_gcm_open(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
        tag: &[u8],
        plaintext: &mut [u8],
    ) -> Result<(), CryptoError>;
}

/// A running hash that leaves its provider as bytes and comes back: how
/// the kernel crypto gate lets a ring-3 service hold its hash sequences
/// (the state only holds what the service itself had hashed). Not a TPM
/// service: [`crate::gate::serve`] needs it, the engine never calls it.
pub trait HashStateCrypto: TpmCrypto {
    /// Bytes of an exported state.
    const STATE_LEN: usize;
    /// Writes `state` as [`Self::STATE_LEN`] bytes into `out` (zeroed on
    /// error); `state` carries on unchanged.
    fn hash_export(&self, state: &Self::HashState, out: &mut [u8]) -> Result<(), CryptoError>;
    /// A running hash of `alg` from exported bytes; [`CryptoError::Arg`]
    /// unless they are a state of `alg` that [`Self::hash_export`] could
    /// have written (the bytes are hostile).
    fn hash_import(&self, alg: TpmHash, bytes: &[u8]) -> Result<Self::HashState, CryptoError>;
}
