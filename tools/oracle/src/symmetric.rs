//! SHA-2, HMAC, HKDF, the SP 800-108 counter KDF, the SP 800-56C one-step
//! KDF, AES-GCM, AES-ECB and AES-CFB128 (RustCrypto).

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

/// AES-ECB over whole blocks (128- or 256-bit key); `None` for another key
/// length or a partial block.
pub fn aes_ecb(key: &[u8], encrypt: bool, data: &[u8]) -> Option<Vec<u8>> {
    use aes::cipher::{BlockDecrypt, BlockEncrypt, BlockSizeUser, KeyInit as _, consts::U16};
    fn run<C>(c: &C, encrypt: bool, data: &[u8]) -> Vec<u8>
    where
        C: BlockEncrypt + BlockDecrypt + BlockSizeUser<BlockSize = U16>,
    {
        let mut out = data.to_vec();
        for chunk in out.chunks_exact_mut(16) {
            let Ok(block) = <&mut [u8; 16]>::try_from(chunk) else {
                unreachable!("chunks_exact_mut(16) yields 16-byte chunks")
            };
            let block = block.into();
            if encrypt {
                c.encrypt_block(block);
            } else {
                c.decrypt_block(block);
            }
        }
        out
    }
    if !data.len().is_multiple_of(16) {
        return None;
    }
    match key.len() {
        16 => Some(run(&aes::Aes128::new_from_slice(key).ok()?, encrypt, data)),
        32 => Some(run(&aes::Aes256::new_from_slice(key).ok()?, encrypt, data)),
        _ => None,
    }
}

/// AES-CFB128 (SP 800-38A) from a 16-byte IV over any length; `None` for
/// another key or IV length.
pub fn aes_cfb128(key: &[u8], iv: &[u8], encrypt: bool, data: &[u8]) -> Option<Vec<u8>> {
    use cfb_mode::cipher::{AsyncStreamCipher, KeyIvInit};
    fn run<C: aes::cipher::BlockEncrypt + aes::cipher::BlockCipher + aes::cipher::KeyInit>(
        key: &[u8],
        iv: &[u8],
        encrypt: bool,
        data: &[u8],
    ) -> Option<Vec<u8>> {
        let mut out = data.to_vec();
        if encrypt {
            cfb_mode::Encryptor::<C>::new_from_slices(key, iv)
                .ok()?
                .encrypt(&mut out);
        } else {
            cfb_mode::Decryptor::<C>::new_from_slices(key, iv)
                .ok()?
                .decrypt(&mut out);
        }
        Some(out)
    }
    match key.len() {
        16 => run::<aes::Aes128>(key, iv, encrypt, data),
        32 => run::<aes::Aes256>(key, iv, encrypt, data),
        _ => None,
    }
}

/// SP 800-108r1 KDF in counter mode with HMAC as the PRF, the counter a
/// 32-bit big-endian value before the fixed data: K(i) = HMAC(key, [i]_32
/// || fixed), i from 1, the first `len` bytes of K(1) || K(2) || ...
/// (TPM 2.0 KDFa when fixed = Label || 0x00 || Context || [L]_32).
pub fn kdf_counter_hmac(alg: HashAlg, key: &[u8], fixed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + alg.digest_len());
    let mut i: u32 = 1;
    while out.len() < len {
        let mut msg = i.to_be_bytes().to_vec();
        msg.extend_from_slice(fixed);
        out.extend(hmac(alg, key, &msg));
        i += 1;
    }
    out.truncate(len);
    out
}

/// SP 800-56C rev. 2 one-step KDF with a hash: H([i]_32 || Z || FixedInfo),
/// i from 1 (the `concat-kdf` crate); `None` for an empty Z or output.
pub fn kdf_one_step(alg: HashAlg, z: &[u8], fixed_info: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut out = vec![0; len];
    match alg {
        HashAlg::Sha256 => concat_kdf::derive_key_into::<Sha256>(z, fixed_info, &mut out),
        HashAlg::Sha384 => concat_kdf::derive_key_into::<Sha384>(z, fixed_info, &mut out),
        HashAlg::Sha512 => concat_kdf::derive_key_into::<Sha512>(z, fixed_info, &mut out),
    }
    .ok()?;
    Some(out)
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
    fn aes_fips197_and_sp800_38a_examples() {
        // FIPS 197 C.1 and C.3.
        let pt = unhex("00112233445566778899aabbccddeeff");
        let k128 = unhex("000102030405060708090a0b0c0d0e0f");
        let ct = aes_ecb(&k128, true, &pt).unwrap();
        assert_eq!(ct, unhex("69c4e0d86a7b0430d8cdb78070b4c55a"));
        assert_eq!(aes_ecb(&k128, false, &ct).unwrap(), pt);
        let k256 = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        assert_eq!(
            aes_ecb(&k256, true, &pt).unwrap(),
            unhex("8ea2b7ca516745bfeafc49904b496089")
        );
        // SP 800-38A F.3.13 CFB128-AES128.Encrypt, first two blocks.
        let key = unhex("2b7e151628aed2a6abf7158809cf4f3c");
        let iv = unhex("000102030405060708090a0b0c0d0e0f");
        let pt = unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
        let ct = unhex("3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b");
        assert_eq!(aes_cfb128(&key, &iv, true, &pt).unwrap(), ct);
        assert_eq!(aes_cfb128(&key, &iv, false, &ct).unwrap(), pt);
        assert_eq!(aes_ecb(&[0; 24], true, &pt), None);
        assert_eq!(aes_ecb(&key, true, &pt[..15]), None);
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
