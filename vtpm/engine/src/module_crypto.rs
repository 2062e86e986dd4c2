//! [`TpmCrypto`] over the SVSM crypto module, called directly through the
//! `svsm-crypto` shim (host simulator, kernel-resident engine). Every
//! service is the module's; this file only converts types and errors.
//!
//! The service indicator is not surfaced: the engine uses HMAC with short or
//! empty authValues, which the module reports as non-approved use.

use core::cell::RefCell;

use svsm_crypto::{
    Curve, DRBG_MAX_REQUEST, Drbg, Error, HASH_STATE_LEN, HashAlg, HashState, Hasher, Module,
    PrivateKey, PublicKey, Signature,
};

use crate::crypto::{AeadCrypto, CryptoError, HashStateCrypto, TpmCrypto, TpmCurve, TpmHash};

// The gate carries the module's exported hash state as it is.
const _: () = assert!(svsm_abi::vtpm_service::gate::HASH_STATE_BYTES == HASH_STATE_LEN);

/// The module instance the engine uses, with the engine's own DRBG instance
/// (so TPM2_StirRandom can reseed it with the caller's input).
pub struct ModuleCrypto<'m> {
    module: &'m Module,
    drbg: RefCell<Drbg<'m>>,
}

impl<'m> ModuleCrypto<'m> {
    /// Instantiates the engine's DRBG from the module's entropy source.
    pub fn new(module: &'m Module) -> Result<Self, CryptoError> {
        let drbg = module.drbg(b"svsm-vtpm").map_err(map_err)?.into_value();
        Ok(ModuleCrypto {
            module,
            drbg: RefCell::new(drbg),
        })
    }
}

fn map_err(e: Error) -> CryptoError {
    match e {
        Error::Arg | Error::Limit => CryptoError::Arg,
        Error::Key => CryptoError::Key,
        Error::Auth => CryptoError::Verify,
        Error::State
        | Error::Entropy
        | Error::SelfTest
        | Error::Internal
        | Error::Already
        | Error::Unknown(_) => CryptoError::Failed,
    }
}

fn hash_alg(alg: TpmHash) -> HashAlg {
    match alg {
        TpmHash::Sha256 => HashAlg::Sha256,
        TpmHash::Sha384 => HashAlg::Sha384,
    }
}

fn curve(c: TpmCurve) -> Curve {
    match c {
        TpmCurve::P256 => Curve::P256,
        TpmCurve::P384 => Curve::P384,
    }
}

/// Copies a fixed-size result into `out`, which must have its length.
fn copy_out(src: &[u8], out: &mut [u8]) -> Result<(), CryptoError> {
    if src.len() != out.len() {
        out.fill(0);
        return Err(CryptoError::Arg);
    }
    out.copy_from_slice(src);
    Ok(())
}

/// The module's own state export and import: import refuses (zeroing its
/// context) any bytes that are not a state of the algorithm that export
/// could have written.
impl<'m> HashStateCrypto for ModuleCrypto<'m> {
    const STATE_LEN: usize = HASH_STATE_LEN;

    fn hash_export(&self, state: &Hasher<'m>, out: &mut [u8]) -> Result<(), CryptoError> {
        match state.export() {
            Ok(exported) => copy_out(exported.value().as_bytes(), out),
            Err(e) => {
                out.fill(0);
                Err(map_err(e))
            }
        }
    }

    fn hash_import(&self, alg: TpmHash, bytes: &[u8]) -> Result<Hasher<'m>, CryptoError> {
        let bytes: &[u8; HASH_STATE_LEN] = bytes.try_into().map_err(|_| CryptoError::Arg)?;
        self.module
            .hasher_import(hash_alg(alg), &HashState::from_bytes(bytes))
            .map_err(map_err)
    }
}

impl<'m> TpmCrypto for ModuleCrypto<'m> {
    type HashState = Hasher<'m>;

    fn hash(&self, alg: TpmHash, data: &[u8], out: &mut [u8]) -> Result<(), CryptoError> {
        let digest = self.module.hash(hash_alg(alg), data).map_err(map_err)?;
        copy_out(digest.value().as_bytes(), out)
    }

    fn hash_start(&self, alg: TpmHash) -> Result<Hasher<'m>, CryptoError> {
        self.module.hasher(hash_alg(alg)).map_err(map_err)
    }

    fn hash_update(&self, state: &mut Hasher<'m>, data: &[u8]) -> Result<(), CryptoError> {
        state.update(data).map_err(map_err)
    }

    fn hash_finish(&self, state: Hasher<'m>, out: &mut [u8]) -> Result<(), CryptoError> {
        let digest = state.finalize().map_err(map_err)?;
        copy_out(digest.value().as_bytes(), out)
    }

    fn hmac(
        &self,
        alg: TpmHash,
        key: &[u8],
        data: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        self.module
            .hmac(hash_alg(alg), key, data, out)
            .map(|_| ())
            .map_err(map_err)
    }

    fn kdfa(
        &self,
        alg: TpmHash,
        key: &[u8],
        label: &[u8],
        context_u: &[u8],
        context_v: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        self.module
            .kdfa(hash_alg(alg), key, label, context_u, context_v, out)
            .map(|_| ())
            .map_err(map_err)
    }

    fn kdfe(
        &self,
        alg: TpmHash,
        z: &[u8],
        label: &[u8],
        party_u: &[u8],
        party_v: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        self.module
            .kdfe(hash_alg(alg), z, label, party_u, party_v, out)
            .map(|_| ())
            .map_err(map_err)
    }

    fn aes_cfb(
        &self,
        encrypt: bool,
        key: &[u8],
        iv: &[u8; 16],
        data: &mut [u8],
    ) -> Result<(), CryptoError> {
        if data.is_empty() {
            return Ok(());
        }
        let key = self.module.aes_key(key).map_err(map_err)?;
        let result = if encrypt {
            key.cfb128_encrypt(iv, data)
        } else {
            key.cfb128_decrypt(iv, data)
        };
        result.map(|_| ()).map_err(map_err)
    }

    fn random(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        let mut drbg = self.drbg.borrow_mut();
        for chunk in out.chunks_mut(DRBG_MAX_REQUEST) {
            // A DRBG at its reseed interval reseeds from the module's
            // entropy source and tries once more.
            let result = match drbg.generate(chunk, &[]) {
                Err(Error::Limit) => drbg.reseed(&[]).and_then(|_| drbg.generate(chunk, &[])),
                other => other,
            };
            if let Err(e) = result {
                out.fill(0);
                return Err(map_err(e));
            }
        }
        Ok(())
    }

    fn stir(&self, input: &[u8]) -> Result<(), CryptoError> {
        self.drbg
            .borrow_mut()
            .reseed(input)
            .map(|_| ())
            .map_err(map_err)
    }

    fn ecc_public(&self, c: TpmCurve, d: &[u8], q: &mut [u8]) -> Result<(), CryptoError> {
        let key = PrivateKey::from_bytes(curve(c), d).map_err(map_err)?;
        let public = self.module.ecc_public_key(&key).map_err(map_err)?;
        copy_out(public.value().as_bytes(), q)
    }

    fn ecdsa_sign(
        &self,
        c: TpmCurve,
        d: &[u8],
        digest: &[u8],
        sig: &mut [u8],
    ) -> Result<(), CryptoError> {
        let key = PrivateKey::from_bytes(curve(c), d).map_err(map_err)?;
        let s = self
            .module
            .ecdsa_sign_digest(&key, digest)
            .map_err(map_err)?;
        copy_out(s.value().as_bytes(), sig)
    }

    fn ecdsa_verify(
        &self,
        c: TpmCurve,
        q: &[u8],
        digest: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError> {
        let key = PublicKey::from_bytes(curve(c), q).map_err(map_err)?;
        let sig = Signature::from_bytes(curve(c), sig).map_err(map_err)?;
        self.module
            .ecdsa_verify_digest(&key, digest, &sig)
            .map(|_| ())
            .map_err(map_err)
    }

    fn ecdh(&self, c: TpmCurve, d: &[u8], q: &[u8], z: &mut [u8]) -> Result<(), CryptoError> {
        let key = PrivateKey::from_bytes(curve(c), d).map_err(map_err)?;
        let peer = PublicKey::from_bytes(curve(c), q).map_err(map_err)?;
        let secret = self.module.ecdh(&key, &peer).map_err(map_err)?;
        copy_out(secret.value().as_bytes(), z)
    }
}

/// A fresh module key context per call (cleansed when it drops). The IV is
/// the caller's, so the module marks these seals non-approved; the
/// indicator is not surfaced, as for the engine's services.
impl AeadCrypto for ModuleCrypto<'_> {
    fn aes_gcm_seal(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        plaintext: &[u8],
        ciphertext: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), CryptoError> {
        let result = self
            .module
            .aes_gcm_key(key)
            .and_then(|mut k| k.seal_with_iv(iv, aad, plaintext, ciphertext, tag));
        if result.is_err() {
            ciphertext.fill(0);
            tag.fill(0);
        }
        result.map(|_| ()).map_err(map_err)
    }

    fn aes_gcm_open(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
        tag: &[u8],
        plaintext: &mut [u8],
    ) -> Result<(), CryptoError> {
        let result = self
            .module
            .aes_gcm_key(key)
            .and_then(|mut k| k.open(iv, aad, ciphertext, tag, plaintext));
        if result.is_err() {
            plaintext.fill(0);
        }
        result.map(|_| ()).map_err(map_err)
    }
}
