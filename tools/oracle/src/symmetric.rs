//! SHA-2, HMAC, HKDF and AES-GCM (RustCrypto).

use crate::HashAlg;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha384, Sha512};

pub fn hash(alg: HashAlg, msg: &[u8]) -> Vec<u8> {
    match alg {
        HashAlg::Sha256 => Sha256::digest(msg).to_vec(),
        HashAlg::Sha384 => Sha384::digest(msg).to_vec(),
        HashAlg::Sha512 => Sha512::digest(msg).to_vec(),
    }
}

/// The full (untruncated) HMAC of `msg` under `key`.
pub fn hmac(alg: HashAlg, key: &[u8], msg: &[u8]) -> Vec<u8> {
    fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
        // HMAC takes keys of every length.
        let mut h = <M as hmac::digest::KeyInit>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        h.update(msg);
        h.finalize().into_bytes().to_vec()
    }
    match alg {
        HashAlg::Sha256 => mac::<Hmac<Sha256>>(key, msg),
        HashAlg::Sha384 => mac::<Hmac<Sha384>>(key, msg),
        HashAlg::Sha512 => mac::<Hmac<Sha512>>(key, msg),
    }
}

/// HKDF-Extract: the PRK of `ikm` under `salt`.
pub fn hkdf_extract(alg: HashAlg, salt: &[u8], ikm: &[u8]) -> Vec<u8> {
    match alg {
        HashAlg::Sha256 => hkdf::Hkdf::<Sha256>::extract(Some(salt), ikm).0.to_vec(),
        HashAlg::Sha384 => hkdf::Hkdf::<Sha384>::extract(Some(salt), ikm).0.to_vec(),
        HashAlg::Sha512 => hkdf::Hkdf::<Sha512>::extract(Some(salt), ikm).0.to_vec(),
    }
}

/// HKDF (extract then expand) of `len` bytes; `None` past 255 blocks.
pub fn hkdf(alg: HashAlg, ikm: &[u8], salt: &[u8], info: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut okm = vec![0; len];
    match alg {
        HashAlg::Sha256 => hkdf::Hkdf::<Sha256>::new(Some(salt), ikm).expand(info, &mut okm),
        HashAlg::Sha384 => hkdf::Hkdf::<Sha384>::new(Some(salt), ikm).expand(info, &mut okm),
        HashAlg::Sha512 => hkdf::Hkdf::<Sha512>::new(Some(salt), ikm).expand(info, &mut okm),
    }
    .ok()?;
    Some(okm)
}

/// AES-GCM (128 or 256-bit key, 96-bit IV): (ciphertext, full 16-byte tag).
/// `None` for another key or IV length. A truncated tag is a prefix.
pub fn gcm_seal(key: &[u8], iv: &[u8], aad: &[u8], pt: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let nonce = Nonce::from(<[u8; 12]>::try_from(iv).ok()?);
    let mut buf = pt.to_vec();
    let tag = match key.len() {
        16 => Aes128Gcm::new_from_slice(key)
            .ok()?
            .encrypt_in_place_detached(&nonce, aad, &mut buf),
        32 => Aes256Gcm::new_from_slice(key)
            .ok()?
            .encrypt_in_place_detached(&nonce, aad, &mut buf),
        _ => return None,
    }
    .ok()?;
    Some((buf, tag.to_vec()))
}

/// AES-GCM decryption with a tag of 1 to 16 bytes (a prefix of the full
/// tag): `Some(plaintext)` when it authenticates. GCM's keystream is
/// symmetric, so sealing the ciphertext gives the plaintext, and sealing
/// that gives the full tag to compare.
pub fn gcm_open(key: &[u8], iv: &[u8], aad: &[u8], ct: &[u8], tag: &[u8]) -> Option<Vec<u8>> {
    let (pt, _) = gcm_seal(key, iv, aad, ct)?;
    let (ct2, full) = gcm_seal(key, iv, aad, &pt)?;
    (ct2 == ct && !tag.is_empty() && tag.len() <= 16 && full[..tag.len()] == *tag).then_some(pt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn sha256_abc() {
        assert_eq!(
            hash(HashAlg::Sha256, b"abc"),
            unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
    }

    #[test]
    fn gcm_open_inverts_seal_and_refuses_a_changed_tag() {
        let (key, iv) = ([7u8; 32], [9u8; 12]);
        let (ct, tag) = gcm_seal(&key, &iv, b"aad", b"plaintext").unwrap();
        assert_eq!(
            gcm_open(&key, &iv, b"aad", &ct, &tag[..12]).unwrap(),
            b"plaintext"
        );
        let mut bad = tag.clone();
        bad[0] ^= 1;
        assert_eq!(gcm_open(&key, &iv, b"aad", &ct, &bad), None);
        assert_eq!(gcm_open(&key, &iv, b"aae", &ct, &tag), None);
        assert_eq!(gcm_seal(&[0; 24], &iv, b"", b""), None);
    }

    #[test]
    fn hkdf_rfc5869_case_1() {
        let okm = hkdf(
            HashAlg::Sha256,
            &[0x0b; 22],
            &unhex("000102030405060708090a0b0c"),
            &unhex("f0f1f2f3f4f5f6f7f8f9"),
            42,
        )
        .unwrap();
        assert_eq!(
            okm,
            unhex(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
            )
        );
        assert_eq!(hkdf(HashAlg::Sha256, b"", b"", b"", 255 * 32 + 1), None);
    }
}
