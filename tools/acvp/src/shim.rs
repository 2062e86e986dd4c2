//! The SVSM module, through the safe `svsm-crypto` shim: the one adapter
//! between the harness's `CryptoModule` and the real module.

use crate::module::{CryptoModule, Curve, HashAlg, ModResult, ModuleError, TestDrbg};
use svsm_crypto as sc;

/// The SVSM module as seen by the harness.
pub struct SvsmModule {
    m: &'static sc::Module,
}

/// The process-wide module, initialized (self-tests run) on first use.
/// Fails if the module is not operational after its power-on self-tests.
pub fn module() -> Result<&'static dyn CryptoModule, String> {
    static MODULE: std::sync::OnceLock<SvsmModule> = std::sync::OnceLock::new();
    let m = MODULE.get_or_init(|| SvsmModule {
        m: sc::host::module(),
    });
    match m.m.state() {
        sc::ModuleState::Operational => Ok(m),
        state => Err(format!(
            "the SVSM crypto module is not operational ({state:?}; failed self-test: {})",
            m.m.failed_test().map_or("none", |t| t.key())
        )),
    }
}

fn err(e: sc::Error) -> ModuleError {
    match e {
        sc::Error::Auth => ModuleError::Auth,
        sc::Error::Key => ModuleError::Key,
        other => ModuleError::Other(other.to_string()),
    }
}

fn hash_alg(alg: HashAlg) -> sc::HashAlg {
    match alg {
        HashAlg::Sha256 => sc::HashAlg::Sha256,
        HashAlg::Sha384 => sc::HashAlg::Sha384,
        HashAlg::Sha512 => sc::HashAlg::Sha512,
    }
}

fn curve(c: Curve) -> sc::Curve {
    match c {
        Curve::P256 => sc::Curve::P256,
        Curve::P384 => sc::Curve::P384,
    }
}

fn private_key(c: Curve, d: &[u8]) -> ModResult<sc::PrivateKey> {
    sc::PrivateKey::from_bytes(curve(c), d).map_err(|_| ModuleError::Key)
}

fn public_key(c: Curve, q: &[u8]) -> ModResult<sc::PublicKey> {
    sc::PublicKey::from_bytes(curve(c), q).map_err(|_| ModuleError::Key)
}

struct SvsmDrbg<'m>(sc::Drbg<'m>);

impl TestDrbg for SvsmDrbg<'_> {
    fn generate(&mut self, len: usize, additional: &[u8]) -> ModResult<Vec<u8>> {
        let mut out = vec![0; len];
        let _indicator = self.0.generate(&mut out, additional).map_err(err)?;
        Ok(out)
    }

    fn reseed(&mut self, entropy: &[u8], additional: &[u8]) -> ModResult<()> {
        self.0
            .reseed_test(entropy, additional)
            .map(|_| ())
            .map_err(err)
    }
}

impl CryptoModule for SvsmModule {
    fn description(&self) -> String {
        format!("SVSM crypto module {}", self.m.version())
    }

    fn object_sha256(&self) -> Option<String> {
        Some(sc::OBJECT_SHA256.to_string())
    }

    fn hash(&self, alg: HashAlg, msg: &[u8]) -> ModResult<Vec<u8>> {
        let d = self.m.hash(hash_alg(alg), msg).map_err(err)?.into_value();
        Ok(d.as_bytes().to_vec())
    }

    fn hmac(&self, alg: HashAlg, key: &[u8], msg: &[u8], tag_len: usize) -> ModResult<Vec<u8>> {
        let mut tag = vec![0; tag_len];
        let _indicator = self
            .m
            .hmac(hash_alg(alg), key, msg, &mut tag)
            .map_err(err)?;
        Ok(tag)
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
        let _indicator = self
            .m
            .hkdf(hash_alg(alg), ikm, salt, info, &mut okm)
            .map_err(err)?;
        Ok(okm)
    }

    fn aes_ecb(&self, key: &[u8], encrypt: bool, data: &[u8]) -> ModResult<Vec<u8>> {
        let k = self.m.aes_key(key).map_err(err)?;
        let mut out = data.to_vec();
        let _indicator = if encrypt {
            k.ecb_encrypt(&mut out)
        } else {
            k.ecb_decrypt(&mut out)
        }
        .map_err(err)?;
        Ok(out)
    }

    fn aes_cfb128(&self, key: &[u8], iv: &[u8], encrypt: bool, data: &[u8]) -> ModResult<Vec<u8>> {
        let iv: &[u8; sc::AES_BLOCK_LEN] = iv
            .try_into()
            .map_err(|_| ModuleError::Other("CFB128 IV is not 16 bytes".into()))?;
        let k = self.m.aes_key(key).map_err(err)?;
        let mut out = data.to_vec();
        let _indicator = if encrypt {
            k.cfb128_encrypt(iv, &mut out)
        } else {
            k.cfb128_decrypt(iv, &mut out)
        }
        .map_err(err)?;
        Ok(out)
    }

    fn kdf_counter_hmac(
        &self,
        alg: HashAlg,
        key: &[u8],
        fixed: &[u8],
        len: usize,
    ) -> ModResult<Vec<u8>> {
        let mut out = vec![0; len];
        let _indicator = self
            .m
            .kdf_counter_hmac(hash_alg(alg), key, &[fixed], &mut out)
            .map_err(err)?;
        Ok(out)
    }

    fn kdf_one_step(
        &self,
        alg: HashAlg,
        z: &[u8],
        fixed_info: &[u8],
        len: usize,
    ) -> ModResult<Vec<u8>> {
        let mut out = vec![0; len];
        let _indicator = self
            .m
            .kdf_one_step(hash_alg(alg), z, &[fixed_info], &mut out)
            .map_err(err)?;
        Ok(out)
    }

    fn gcm_seal(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        pt: &[u8],
        tag_len: usize,
    ) -> ModResult<(Vec<u8>, Vec<u8>)> {
        let mut k = self.m.aes_gcm_key(key).map_err(err)?;
        let mut ct = vec![0; pt.len()];
        let mut tag = vec![0; tag_len];
        let _indicator = k
            .seal_with_iv(iv, aad, pt, &mut ct, &mut tag)
            .map_err(err)?;
        Ok((ct, tag))
    }

    fn gcm_seal_generated_iv(
        &self,
        key: &[u8],
        aad: &[u8],
        pt: &[u8],
        tag_len: usize,
    ) -> ModResult<(Vec<u8>, Vec<u8>, Vec<u8>)> {
        let mut k = self.m.aes_gcm_key(key).map_err(err)?;
        let mut ct = vec![0; pt.len()];
        let mut tag = vec![0; tag_len];
        let iv = k
            .seal(aad, pt, &mut ct, &mut tag)
            .map_err(err)?
            .into_value();
        Ok((iv.to_vec(), ct, tag))
    }

    fn gcm_open(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        ct: &[u8],
        tag: &[u8],
    ) -> ModResult<Vec<u8>> {
        let mut k = self.m.aes_gcm_key(key).map_err(err)?;
        let mut pt = vec![0; ct.len()];
        let _indicator = k.open(iv, aad, ct, tag, &mut pt).map_err(err)?;
        Ok(pt)
    }

    fn drbg_instantiate_test<'a>(
        &'a self,
        entropy: &[u8],
        nonce: &[u8],
        personalization: &[u8],
    ) -> ModResult<Box<dyn TestDrbg + 'a>> {
        let d = self
            .m
            .drbg_test(entropy, nonce, personalization)
            .map_err(err)?
            .into_value();
        Ok(Box::new(SvsmDrbg(d)))
    }

    fn ecc_keygen(&self, c: Curve) -> ModResult<(Vec<u8>, Vec<u8>)> {
        let pair = self.m.ecc_keygen(curve(c)).map_err(err)?.into_value();
        Ok((
            pair.private.as_bytes().to_vec(),
            pair.public.as_bytes().to_vec(),
        ))
    }

    fn ecc_public_key_validate(&self, c: Curve, public: &[u8]) -> ModResult<()> {
        let q = public_key(c, public)?;
        self.m.ecc_validate_public_key(&q).map(|_| ()).map_err(err)
    }

    fn ecc_public_key_derive(&self, c: Curve, private: &[u8]) -> ModResult<Vec<u8>> {
        let d = private_key(c, private)?;
        let q = self.m.ecc_public_key(&d).map_err(err)?.into_value();
        Ok(q.as_bytes().to_vec())
    }

    fn ecdsa_sign_digest(&self, c: Curve, private: &[u8], digest: &[u8]) -> ModResult<Vec<u8>> {
        let d = private_key(c, private)?;
        let sig = self
            .m
            .ecdsa_sign_digest(&d, digest)
            .map_err(err)?
            .into_value();
        Ok(sig.as_bytes().to_vec())
    }

    fn ecdsa_verify_digest(
        &self,
        c: Curve,
        public: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> ModResult<()> {
        let q = public_key(c, public)?;
        let sig = sc::Signature::from_bytes(curve(c), signature).map_err(|_| ModuleError::Auth)?;
        let by_bytes = self.m.ecdsa_verify_digest(&q, digest, &sig).map(|_| ());
        let loaded = self
            .m
            .ecc_load_public_key(&q)
            .and_then(|k| k.into_value().ecdsa_verify_digest(digest, &sig))
            .map(|_| ());
        same_answer("ECDSA verify", by_bytes, loaded)
    }

    fn ecdh(&self, c: Curve, private: &[u8], peer_public: &[u8]) -> ModResult<Vec<u8>> {
        let d = private_key(c, private)?;
        let q = public_key(c, peer_public)?;
        let z = |r: Result<sc::Indicated<sc::SharedSecret>, sc::Error>| {
            r.map(|z| z.into_value().as_bytes().to_vec())
        };
        let by_bytes = z(self.m.ecdh(&d, &q));
        let loaded = z(self
            .m
            .ecc_load_public_key(&q)
            .and_then(|k| k.into_value().ecdh(&d)));
        same_answer("ECDH", by_bytes, loaded)
    }
}

/// Verification and ECDH run twice, with the key passed as bytes (validated
/// in full by the call) and through a loaded handle (validated in full once,
/// partially on use): the two paths must give the same answer.
fn same_answer<T: PartialEq + core::fmt::Debug>(
    what: &str,
    by_bytes: Result<T, sc::Error>,
    loaded: Result<T, sc::Error>,
) -> ModResult<T> {
    if by_bytes != loaded {
        return Err(ModuleError::Other(format!(
            "{what}: key as bytes gives {by_bytes:?}, loaded key gives {loaded:?}"
        )));
    }
    by_bytes.map_err(err)
}
