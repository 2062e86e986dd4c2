//! Implementations that are not the module (RustCrypto crates and a small
//! Hash_DRBG written here), used to check the module's answers and, as
//! `RustCryptoModule`, to test the harness without the module object.

use crate::module::{CryptoModule, Curve, HashAlg, ModResult, ModuleError, TestDrbg};
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm, Nonce};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256, Sha384, Sha512};

pub fn hash(alg: HashAlg, msg: &[u8]) -> Vec<u8> {
    match alg {
        HashAlg::Sha256 => Sha256::digest(msg).to_vec(),
        HashAlg::Sha384 => Sha384::digest(msg).to_vec(),
        HashAlg::Sha512 => Sha512::digest(msg).to_vec(),
    }
}

/// AES-GCM encryption with the full 16-byte tag; `None` for a bad key or
/// IV length. Works for any tag truncation by comparing prefixes.
pub fn gcm_encrypt(key: &[u8], iv: &[u8], aad: &[u8], pt: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let nonce = Nonce::from(<[u8; 12]>::try_from(iv).ok()?);
    let nonce = &nonce;
    let mut buf = pt.to_vec();
    let tag = match key.len() {
        16 => Aes128Gcm::new_from_slice(key)
            .ok()?
            .encrypt_in_place_detached(nonce, aad, &mut buf),
        32 => Aes256Gcm::new_from_slice(key)
            .ok()?
            .encrypt_in_place_detached(nonce, aad, &mut buf),
        _ => return None,
    }
    .ok()?;
    Some((buf, tag.to_vec()))
}

/// AES-GCM decryption with a possibly truncated tag: `Some(pt)` when the
/// tag matches. (GCM's keystream is symmetric, so encrypting the
/// ciphertext gives the plaintext; re-encrypting it gives the full tag.)
pub fn gcm_decrypt(key: &[u8], iv: &[u8], aad: &[u8], ct: &[u8], tag: &[u8]) -> Option<Vec<u8>> {
    let (pt, _) = gcm_encrypt(key, iv, aad, ct)?;
    let (ct2, full) = gcm_encrypt(key, iv, aad, &pt)?;
    (ct2 == ct && !tag.is_empty() && tag.len() <= 16 && full[..tag.len()] == *tag).then_some(pt)
}

macro_rules! curve_ops {
    ($name:ident, $krate:ident) => {
        pub mod $name {
            use $krate::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
            use $krate::ecdsa::{Signature, SigningKey, VerifyingKey};
            use $krate::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
            use $krate::{FieldBytes, PublicKey, SecretKey};

            fn public_bytes(pk: &PublicKey) -> Vec<u8> {
                let ep = pk.to_encoded_point(false);
                ep.as_bytes()[1..].to_vec()
            }

            /// X || Y to a validated public key (on the curve, not identity).
            pub fn public(xy: &[u8]) -> Option<PublicKey> {
                if xy.len() != 2 * FieldBytes::default().len() {
                    return None;
                }
                let mut sec1 = vec![4u8];
                sec1.extend_from_slice(xy);
                let ep = $krate::EncodedPoint::from_bytes(&sec1).ok()?;
                Option::from(PublicKey::from_encoded_point(&ep))
            }

            pub fn secret(d: &[u8]) -> Option<SecretKey> {
                SecretKey::from_slice(d).ok()
            }

            pub fn derive(d: &[u8]) -> Option<Vec<u8>> {
                Some(public_bytes(&secret(d)?.public_key()))
            }

            pub fn keygen() -> (Vec<u8>, Vec<u8>) {
                let sk = SecretKey::random(&mut rand_core::OsRng);
                (sk.to_bytes().to_vec(), public_bytes(&sk.public_key()))
            }

            pub fn sign(d: &[u8], digest: &[u8]) -> Option<Vec<u8>> {
                let sk = SigningKey::from_slice(d).ok()?;
                let sig: Signature = sk.sign_prehash(digest).ok()?;
                Some(sig.to_bytes().to_vec())
            }

            pub fn verify(q: &[u8], digest: &[u8], sig: &[u8]) -> bool {
                let Some(pk) = public(q) else { return false };
                let Ok(sig) = Signature::from_slice(sig) else {
                    return false;
                };
                VerifyingKey::from(&pk).verify_prehash(digest, &sig).is_ok()
            }

            pub fn ecdh(d: &[u8], q: &[u8]) -> Option<Vec<u8>> {
                let sk = secret(d)?;
                let pk = public(q)?;
                let shared = $krate::ecdh::diffie_hellman(sk.to_nonzero_scalar(), pk.as_affine());
                Some(shared.raw_secret_bytes().to_vec())
            }
        }
    };
}

curve_ops!(p256_ops, p256);
curve_ops!(p384_ops, p384);

pub fn ecc_derive(curve: Curve, d: &[u8]) -> Option<Vec<u8>> {
    match curve {
        Curve::P256 => p256_ops::derive(d),
        Curve::P384 => p384_ops::derive(d),
    }
}

pub fn ecc_valid(curve: Curve, q: &[u8]) -> bool {
    q.len() == 2 * curve.scalar_len()
        && match curve {
            Curve::P256 => p256_ops::public(q).is_some(),
            Curve::P384 => p384_ops::public(q).is_some(),
        }
}

pub fn ecdsa_verify(curve: Curve, q: &[u8], digest: &[u8], sig: &[u8]) -> bool {
    match curve {
        Curve::P256 => p256_ops::verify(q, digest, sig),
        Curve::P384 => p384_ops::verify(q, digest, sig),
    }
}

pub fn ecdh(curve: Curve, d: &[u8], q: &[u8]) -> Option<Vec<u8>> {
    if q.len() != 2 * curve.scalar_len() {
        return None;
    }
    match curve {
        Curve::P256 => p256_ops::ecdh(d, q),
        Curve::P384 => p384_ops::ecdh(d, q),
    }
}

/// Hash_DRBG with SHA-256 (SP 800-90A rev. 1, 10.1.1), written from the
/// specification as an independent model.
#[derive(Clone)]
pub struct HashDrbgModel {
    v: [u8; Self::SEED_LEN],
    c: [u8; Self::SEED_LEN],
    reseed_counter: u64,
}

impl HashDrbgModel {
    /// seedlen for SHA-256: 440 bits.
    const SEED_LEN: usize = 55;

    fn hash_df(parts: &[&[u8]]) -> [u8; Self::SEED_LEN] {
        let bits = (Self::SEED_LEN * 8) as u32;
        let mut out = Vec::with_capacity(64);
        let mut counter = 1u8;
        while out.len() < Self::SEED_LEN {
            let mut h = Sha256::new();
            h.update([counter]);
            h.update(bits.to_be_bytes());
            for p in parts {
                h.update(p);
            }
            out.extend_from_slice(&h.finalize());
            counter = counter.wrapping_add(1);
        }
        let mut seed = [0u8; Self::SEED_LEN];
        seed.copy_from_slice(&out[..Self::SEED_LEN]);
        seed
    }

    /// v = (v + x) mod 2^seedlen, x big-endian and at most seedlen long.
    fn add(v: &mut [u8; Self::SEED_LEN], x: &[u8]) {
        let mut carry = 0u16;
        let mut xi = x.iter().rev();
        for b in v.iter_mut().rev() {
            let s = *b as u16 + *xi.next().unwrap_or(&0) as u16 + carry;
            *b = s as u8;
            carry = s >> 8;
        }
    }

    pub fn instantiate(entropy: &[u8], nonce: &[u8], perso: &[u8]) -> Self {
        let v = Self::hash_df(&[entropy, nonce, perso]);
        let c = Self::hash_df(&[&[0], &v]);
        HashDrbgModel {
            v,
            c,
            reseed_counter: 1,
        }
    }

    pub fn reseed(&mut self, entropy: &[u8], additional: &[u8]) {
        let v = Self::hash_df(&[&[1], &self.v, entropy, additional]);
        self.c = Self::hash_df(&[&[0], &v]);
        self.v = v;
        self.reseed_counter = 1;
    }

    pub fn generate(&mut self, len: usize, additional: &[u8]) -> Vec<u8> {
        if !additional.is_empty() {
            let w = Sha256::new()
                .chain_update([2])
                .chain_update(self.v)
                .chain_update(additional)
                .finalize();
            Self::add(&mut self.v, &w);
        }
        let mut data = self.v;
        let mut out = Vec::with_capacity(len + 32);
        while out.len() < len {
            out.extend_from_slice(&Sha256::digest(data));
            Self::add(&mut data, &[1]);
        }
        out.truncate(len);
        let h = Sha256::new()
            .chain_update([3])
            .chain_update(self.v)
            .finalize();
        let c = self.c;
        Self::add(&mut self.v, &h);
        Self::add(&mut self.v, &c);
        Self::add(&mut self.v, &self.reseed_counter.to_be_bytes());
        self.reseed_counter += 1;
        out
    }
}

impl TestDrbg for HashDrbgModel {
    fn generate(&mut self, len: usize, additional: &[u8]) -> ModResult<Vec<u8>> {
        Ok(HashDrbgModel::generate(self, len, additional))
    }

    fn reseed(&mut self, entropy: &[u8], additional: &[u8]) -> ModResult<()> {
        HashDrbgModel::reseed(self, entropy, additional);
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
        Ok(hash(alg, msg))
    }

    fn hmac(&self, alg: HashAlg, key: &[u8], msg: &[u8], tag_len: usize) -> ModResult<Vec<u8>> {
        use hmac::{Hmac, Mac};
        fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &[u8]) -> ModResult<Vec<u8>> {
            let mut h = <M as Mac>::new_from_slice(key).map_err(|_| bad("key"))?;
            h.update(msg);
            Ok(h.finalize().into_bytes().to_vec())
        }
        let full = match alg {
            HashAlg::Sha256 => mac::<Hmac<Sha256>>(key, msg)?,
            HashAlg::Sha384 => mac::<Hmac<Sha384>>(key, msg)?,
            HashAlg::Sha512 => mac::<Hmac<Sha512>>(key, msg)?,
        };
        full.get(..tag_len)
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
        let mut okm = vec![0; okm_len];
        let ok = match alg {
            HashAlg::Sha256 => hkdf::Hkdf::<Sha256>::new(Some(salt), ikm)
                .expand(info, &mut okm)
                .is_ok(),
            HashAlg::Sha384 => hkdf::Hkdf::<Sha384>::new(Some(salt), ikm)
                .expand(info, &mut okm)
                .is_ok(),
            HashAlg::Sha512 => hkdf::Hkdf::<Sha512>::new(Some(salt), ikm)
                .expand(info, &mut okm)
                .is_ok(),
        };
        if ok {
            Ok(okm)
        } else {
            Err(bad("output length"))
        }
    }

    fn gcm_seal(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        pt: &[u8],
        tag_len: usize,
    ) -> ModResult<(Vec<u8>, Vec<u8>)> {
        let (ct, mut tag) = gcm_encrypt(key, iv, aad, pt).ok_or_else(|| bad("key or IV"))?;
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
        let mut iv = vec![0u8; 12];
        OsRng.fill_bytes(&mut iv);
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
        if gcm_encrypt(key, iv, aad, &[]).is_none() {
            return Err(bad("key or IV"));
        }
        gcm_decrypt(key, iv, aad, ct, tag).ok_or(ModuleError::Auth)
    }

    fn drbg_instantiate_test<'a>(
        &'a self,
        entropy: &[u8],
        nonce: &[u8],
        personalization: &[u8],
    ) -> ModResult<Box<dyn TestDrbg + 'a>> {
        Ok(Box::new(HashDrbgModel::instantiate(
            entropy,
            nonce,
            personalization,
        )))
    }

    fn ecc_keygen(&self, curve: Curve) -> ModResult<(Vec<u8>, Vec<u8>)> {
        Ok(match curve {
            Curve::P256 => p256_ops::keygen(),
            Curve::P384 => p384_ops::keygen(),
        })
    }

    fn ecc_public_key_validate(&self, curve: Curve, public: &[u8]) -> ModResult<()> {
        if ecc_valid(curve, public) {
            Ok(())
        } else {
            Err(ModuleError::Key)
        }
    }

    fn ecc_public_key_derive(&self, curve: Curve, private: &[u8]) -> ModResult<Vec<u8>> {
        if private.len() != curve.scalar_len() {
            return Err(ModuleError::Key);
        }
        ecc_derive(curve, private).ok_or(ModuleError::Key)
    }

    fn ecdsa_sign_digest(&self, curve: Curve, private: &[u8], digest: &[u8]) -> ModResult<Vec<u8>> {
        match curve {
            Curve::P256 => p256_ops::sign(private, digest),
            Curve::P384 => p384_ops::sign(private, digest),
        }
        .ok_or(ModuleError::Key)
    }

    fn ecdsa_verify_digest(
        &self,
        curve: Curve,
        public: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> ModResult<()> {
        if !ecc_valid(curve, public) {
            return Err(ModuleError::Key);
        }
        if ecdsa_verify(curve, public, digest, signature) {
            Ok(())
        } else {
            Err(ModuleError::Auth)
        }
    }

    fn ecdh(&self, curve: Curve, private: &[u8], peer_public: &[u8]) -> ModResult<Vec<u8>> {
        if !ecc_valid(curve, peer_public) || private.len() != curve.scalar_len() {
            return Err(ModuleError::Key);
        }
        ecdh(curve, private, peer_public).ok_or(ModuleError::Key)
    }
}
