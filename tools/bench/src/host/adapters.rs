//! One operation in each implementation, as the timing loops call it (keys
//! set up beforehand where the implementation allows).

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use openssl::bn::BigNum;
use openssl::cipher_ctx::CipherCtx;
use openssl::derive::Deriver;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::md::Md;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::sign::Signer;
use svsm_crypto::{HashAlg, Module};

use super::fixture::P384_LEN;

pub fn hash_module(m: &Module, alg: HashAlg, msg: &[u8]) -> Vec<u8> {
    m.hash(alg, msg)
        .map(|d| d.value().as_bytes().to_vec())
        .unwrap_or_default()
}

pub fn hash_ossl(alg: HashAlg, msg: &[u8]) -> Vec<u8> {
    match alg {
        HashAlg::Sha256 => openssl::sha::sha256(msg).to_vec(),
        HashAlg::Sha384 => openssl::sha::sha384(msg).to_vec(),
        HashAlg::Sha512 => openssl::sha::sha512(msg).to_vec(),
    }
}

pub fn hmac_module(m: &Module, key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut tag = [0u8; 48];
    match m.hmac(HashAlg::Sha384, key, msg, &mut tag) {
        Ok(_) => tag.to_vec(),
        Err(_) => Vec::new(),
    }
}

pub fn hmac_ossl(key: &PKey<Private>, msg: &[u8]) -> Vec<u8> {
    let mut tag = [0u8; 48];
    let mut signer = Signer::new(MessageDigest::sha384(), key).expect("HMAC signer");
    signer.update(msg).expect("HMAC update");
    signer.sign(&mut tag).expect("HMAC final");
    tag.to_vec()
}

pub fn hkdf_module(m: &Module, ikm: &[u8], salt: &[u8], info: &[u8], okm: &mut [u8]) -> bool {
    m.hkdf(HashAlg::Sha384, ikm, salt, info, okm).is_ok()
}

pub fn hkdf_ossl(ikm: &[u8], salt: &[u8], info: &[u8], okm: &mut [u8]) -> bool {
    let mut run = || -> Result<usize, openssl::error::ErrorStack> {
        let mut ctx = PkeyCtx::new_id(Id::HKDF)?;
        ctx.derive_init()?;
        ctx.set_hkdf_md(Md::sha384())?;
        ctx.set_hkdf_key(ikm)?;
        ctx.set_hkdf_salt(salt)?;
        ctx.add_hkdf_info(info)?;
        ctx.derive(Some(okm))
    };
    run().is_ok()
}

pub fn seal_ossl(ctx: &mut CipherCtx, iv: &[u8], aad: &[u8], pt: &[u8], ct: &mut [u8]) -> [u8; 16] {
    let mut tag = [0u8; 16];
    ctx.encrypt_init(None, None, Some(iv)).expect("GCM IV");
    ctx.cipher_update(aad, None).expect("GCM AAD");
    ctx.cipher_update(pt, Some(ct)).expect("GCM encrypt");
    ctx.cipher_final(&mut []).expect("GCM final");
    ctx.tag(&mut tag).expect("GCM tag");
    tag
}

pub fn open_ossl(
    ctx: &mut CipherCtx,
    iv: &[u8],
    aad: &[u8],
    ct: &[u8],
    tag: &[u8],
    pt: &mut [u8],
) -> bool {
    let run = |ctx: &mut CipherCtx, pt: &mut [u8]| -> Result<(), openssl::error::ErrorStack> {
        ctx.decrypt_init(None, None, Some(iv))?;
        ctx.set_tag(tag)?;
        ctx.cipher_update(aad, None)?;
        ctx.cipher_update(ct, Some(pt))?;
        ctx.cipher_final(&mut [])?;
        Ok(())
    };
    run(ctx, pt).is_ok()
}

/// RustCrypto's GCM works in place: copy the plaintext into the output buffer
/// and encrypt there (the other two read one buffer and write another).
pub fn seal_rc(c: &Aes256Gcm, iv: &[u8; 12], aad: &[u8], pt: &[u8], ct: &mut [u8]) -> [u8; 16] {
    ct.copy_from_slice(pt);
    let tag = c
        .encrypt_in_place_detached(&Nonce::from(*iv), aad, ct)
        .expect("GCM seal");
    tag.into()
}

/// A sealed AES-GCM message, as the peers' open adapters take it.
pub struct Sealed<'a> {
    pub iv: &'a [u8; 12],
    pub aad: &'a [u8],
    pub ct: &'a [u8],
    pub tag: &'a [u8; 16],
}

pub fn open_rc(c: &Aes256Gcm, m: &Sealed<'_>, pt: &mut [u8]) -> bool {
    pt.copy_from_slice(m.ct);
    c.decrypt_in_place_detached(&Nonce::from(*m.iv), m.aad, pt, &Tag::from(*m.tag))
        .is_ok()
}

/// r || s, each `len` bytes (the curve's scalar length).
pub fn sig_ossl_to_bytes(sig: &EcdsaSig, len: usize) -> Vec<u8> {
    let mut out = sig.r().to_vec_padded(len as i32).expect("r");
    out.extend(sig.s().to_vec_padded(len as i32).expect("s"));
    out
}

pub fn sig_ossl_from_bytes(rs: &[u8]) -> EcdsaSig {
    let (r, s) = rs.split_at(rs.len() / 2);
    EcdsaSig::from_private_components(
        BigNum::from_slice(r).expect("r"),
        BigNum::from_slice(s).expect("s"),
    )
    .expect("ECDSA_SIG")
}

pub fn ecdh_ossl(private: &PKey<Private>, peer: &PKey<Public>) -> Vec<u8> {
    let mut deriver = Deriver::new(private).expect("ECDH ctx");
    deriver.set_peer(peer).expect("ECDH peer");
    let mut z = [0u8; P384_LEN];
    deriver.derive(&mut z).expect("ECDH derive");
    z.to_vec()
}

pub fn ecdh_rc(secret: &p384::SecretKey, peer: &p384::PublicKey) -> Vec<u8> {
    p384::ecdh::diffie_hellman(secret.to_nonzero_scalar(), peer.as_affine())
        .raw_secret_bytes()
        .to_vec()
}
