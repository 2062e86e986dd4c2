//! The harness's stand-in module: the test oracle (`svsm-oracle`) behind the
//! `CryptoModule` trait, so the harness can be tested without the module
//! object. `check` never uses it to judge the module.

use crate::module::{CryptoModule, Curve, HashAlg, ModResult, ModuleError, TestDrbg};
use rand_core::{OsRng, RngCore};
use svsm_oracle as oracle;

impl TestDrbg for oracle::CtrDrbg {
    fn generate(&mut self, len: usize, additional: &[u8]) -> ModResult<Vec<u8>> {
        Ok(oracle::CtrDrbg::generate(self, len, additional))
    }

    fn reseed(&mut self, entropy: &[u8], additional: &[u8]) -> ModResult<()> {
        oracle::CtrDrbg::reseed(self, entropy, additional);
        Ok(())
    }
}

/// The harness's stand-in module built from RustCrypto crates. It only
/// exists to test the harness; `check` never uses it to judge the module.
pub struct RustCryptoModule;

fn bad(what: &str) -> ModuleError {
    ModuleError::Other(format!("invalid {what}"))
}

impl CryptoModule for RustCryptoModule {
    fn description(&self) -> String {
        "RustCrypto stand-in (harness self-test, not the module)".into()
    }

    fn hash(&self, alg: HashAlg, msg: &[u8]) -> ModResult<Vec<u8>> {
        Ok(oracle::hash(alg, msg))
    }

    fn hmac(&self, alg: HashAlg, key: &[u8], msg: &[u8], tag_len: usize) -> ModResult<Vec<u8>> {
        oracle::hmac(alg, key, msg)
            .get(..tag_len)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| bad("tag length"))
    }

    fn hkdf(
        &self,
        alg: HashAlg,
        ikm: &[u8],
        salt: &[u8],
        info: &[u8],
        okm_len: usize,
    ) -> ModResult<Vec<u8>> {
        oracle::hkdf(alg, ikm, salt, info, okm_len).ok_or_else(|| bad("output length"))
    }

    fn gcm_seal(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        pt: &[u8],
        tag_len: usize,
    ) -> ModResult<(Vec<u8>, Vec<u8>)> {
        let (ct, mut tag) = oracle::gcm_seal(key, iv, aad, pt).ok_or_else(|| bad("key or IV"))?;
        if !(4..=16).contains(&tag_len) {
            return Err(bad("tag length"));
        }
        tag.truncate(tag_len);
        Ok((ct, tag))
    }

    fn gcm_seal_generated_iv(
        &self,
        key: &[u8],
        aad: &[u8],
        pt: &[u8],
        tag_len: usize,
    ) -> ModResult<(Vec<u8>, Vec<u8>, Vec<u8>)> {
        // SP 800-38D 8.2.1 as the module does it: a random fixed field, then
        // the invocation count of a freshly loaded key (0).
        let mut iv = vec![0u8; 12];
        OsRng.fill_bytes(&mut iv[..8]);
        let (ct, tag) = self.gcm_seal(key, &iv, aad, pt, tag_len)?;
        Ok((iv, ct, tag))
    }

    fn gcm_open(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        ct: &[u8],
        tag: &[u8],
    ) -> ModResult<Vec<u8>> {
        if oracle::gcm_seal(key, iv, aad, &[]).is_none() {
            return Err(bad("key or IV"));
        }
        oracle::gcm_open(key, iv, aad, ct, tag).ok_or(ModuleError::Auth)
    }

    fn drbg_instantiate_test<'a>(
        &'a self,
        entropy: &[u8],
        nonce: &[u8],
        personalization: &[u8],
    ) -> ModResult<Box<dyn TestDrbg + 'a>> {
        Ok(Box::new(oracle::CtrDrbg::instantiate(
            entropy,
            nonce,
            personalization,
        )))
    }

    fn ecc_keygen(&self, curve: Curve) -> ModResult<(Vec<u8>, Vec<u8>)> {
        Ok(oracle::ecc_keygen(curve))
    }

    fn ecc_public_key_validate(&self, curve: Curve, public: &[u8]) -> ModResult<()> {
        if oracle::ecc_valid(curve, public) {
            Ok(())
        } else {
            Err(ModuleError::Key)
        }
    }

    fn ecc_public_key_derive(&self, curve: Curve, private: &[u8]) -> ModResult<Vec<u8>> {
        oracle::ecc_public(curve, private).ok_or(ModuleError::Key)
    }

    fn ecdsa_sign_digest(&self, curve: Curve, private: &[u8], digest: &[u8]) -> ModResult<Vec<u8>> {
        oracle::ecdsa_sign(curve, private, digest).ok_or(ModuleError::Key)
    }

    fn ecdsa_verify_digest(
        &self,
        curve: Curve,
        public: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> ModResult<()> {
        if !oracle::ecc_valid(curve, public) {
            return Err(ModuleError::Key);
        }
        if oracle::ecdsa_verify(curve, public, digest, signature) {
            Ok(())
        } else {
            Err(ModuleError::Auth)
        }
    }

    fn ecdh(&self, curve: Curve, private: &[u8], peer_public: &[u8]) -> ModResult<Vec<u8>> {
        if !oracle::ecc_valid(curve, peer_public) {
            return Err(ModuleError::Key);
        }
        oracle::ecdh(curve, private, peer_public).ok_or(ModuleError::Key)
    }
}
