//! The services the TPM engine needs: AES-ECB, AES-CFB128, the SP 800-108
//! counter KDF (TPM KDFa) and the SP 800-56C one-step KDF (KDFe). Answers are
//! compared with published vectors and with the oracle (RustCrypto); every
//! call's indicator is checked, and the lengths and keys the services
//! cannot take are refused with zeroed outputs.

mod common;

use common::oracle_hash;
use common::{hex, is_zero, random_bytes};
use svsm_crypto::host::module;
use svsm_crypto::{AES_BLOCK_LEN, Error, HashAlg, Indicator, KDF_MAX_PARTS};

const HASHES: [HashAlg; 3] = [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512];

fn iv_of(bytes: &[u8]) -> [u8; AES_BLOCK_LEN] {
    bytes.try_into().expect("16-byte IV")
}

#[test]
fn aes_ecb_fips197_and_sp800_38a_vectors() {
    let module = module();
    // FIPS 197 C.1 (AES-128) and C.3 (AES-256).
    let pt = hex("00112233445566778899aabbccddeeff");
    for (key, ct) in [
        (
            "000102030405060708090a0b0c0d0e0f",
            "69c4e0d86a7b0430d8cdb78070b4c55a",
        ),
        (
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "8ea2b7ca516745bfeafc49904b496089",
        ),
    ] {
        let aes = module.aes_key(&hex(key)).unwrap();
        let mut block = pt.clone();
        assert_eq!(aes.ecb_encrypt(&mut block), Ok(Indicator::Approved));
        assert_eq!(block, hex(ct));
        assert_eq!(aes.ecb_decrypt(&mut block), Ok(Indicator::Approved));
        assert_eq!(block, pt);
    }
    // SP 800-38A F.1.1 ECB-AES128.Encrypt, four blocks at once.
    let aes = module
        .aes_key(&hex("2b7e151628aed2a6abf7158809cf4f3c"))
        .unwrap();
    let pt = hex(concat!(
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
    ));
    let mut data = pt.clone();
    assert!(aes.ecb_encrypt(&mut data).unwrap().is_approved());
    assert_eq!(
        data,
        hex(concat!(
            "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf",
            "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4"
        ))
    );
    assert!(aes.ecb_decrypt(&mut data).unwrap().is_approved());
    assert_eq!(data, pt);
}

#[test]
fn aes_cfb128_sp800_38a_vectors() {
    let module = module();
    let iv = iv_of(&hex("000102030405060708090a0b0c0d0e0f"));
    let pt = hex(concat!(
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
    ));
    // F.3.13 CFB128-AES128 and F.3.17 CFB128-AES256.
    for (key, ct) in [
        (
            "2b7e151628aed2a6abf7158809cf4f3c",
            concat!(
                "3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b",
                "26751f67a3cbb140b1808cf187a4f4dfc04b05357c5d1c0eeac4c66f9ff7f2e6"
            ),
        ),
        (
            "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
            concat!(
                "dc7e84bfda79164b7ecd8486985d386039ffed143b28b1c832113c6331e5407b",
                "df10132415e54b92a13ed0a8267ae2f975a385741ab9cef82031623d55b1e471"
            ),
        ),
    ] {
        let aes = module.aes_key(&hex(key)).unwrap();
        let mut data = pt.clone();
        assert_eq!(aes.cfb128_encrypt(&iv, &mut data), Ok(Indicator::Approved));
        assert_eq!(data, hex(ct));
        assert_eq!(aes.cfb128_decrypt(&iv, &mut data), Ok(Indicator::Approved));
        assert_eq!(data, pt);
    }
}

#[test]
fn aes_ecb_and_cfb128_random_inputs_match_reference() {
    let module = module();
    for key_len in [16, 32] {
        let key = random_bytes(key_len);
        let aes = module.aes_key(&key).unwrap();
        for len in [1usize, 15, 16, 17, 31, 32, 33, 64, 100, 1000, 4099] {
            let pt = random_bytes(len);
            let iv = iv_of(&random_bytes(16));
            let mut data = pt.clone();
            assert!(aes.cfb128_encrypt(&iv, &mut data).unwrap().is_approved());
            let want = svsm_oracle::aes_cfb128(&key, &iv, true, &pt).unwrap();
            assert_eq!(data, want, "CFB128 encrypt, key {key_len}, {len} bytes");
            assert!(aes.cfb128_decrypt(&iv, &mut data).unwrap().is_approved());
            assert_eq!(data, pt, "CFB128 decrypt, key {key_len}, {len} bytes");
            // Decryption of someone else's ciphertext, not only our own.
            let mut theirs = svsm_oracle::aes_cfb128(&key, &iv, false, &pt).unwrap();
            assert!(aes.cfb128_encrypt(&iv, &mut theirs).unwrap().is_approved());
            assert_eq!(theirs, pt);

            if len.is_multiple_of(AES_BLOCK_LEN) {
                let mut data = pt.clone();
                assert!(aes.ecb_encrypt(&mut data).unwrap().is_approved());
                assert_eq!(data, svsm_oracle::aes_ecb(&key, true, &pt).unwrap());
                assert!(aes.ecb_decrypt(&mut data).unwrap().is_approved());
                assert_eq!(data, pt);
            }
        }
    }
}

#[test]
fn aes_cfb128_calls_are_independent() {
    // Each call starts from its own IV: encrypting a message in one call or
    // the same message again gives the same answer (no state kept between
    // calls), and a one-key context serves interleaved directions.
    let module = module();
    let aes = module.aes_key(&[5u8; 16]).unwrap();
    let iv = [6u8; 16];
    let pt = random_bytes(37);
    let mut first = pt.clone();
    assert!(aes.cfb128_encrypt(&iv, &mut first).unwrap().is_approved());
    let mut block = [9u8; 16];
    assert!(aes.ecb_decrypt(&mut block).unwrap().is_approved());
    let mut second = pt.clone();
    assert!(aes.cfb128_encrypt(&iv, &mut second).unwrap().is_approved());
    assert_eq!(first, second);
    let mut other_iv = pt.clone();
    assert!(
        aes.cfb128_encrypt(&[7u8; 16], &mut other_iv)
            .unwrap()
            .is_approved()
    );
    assert_ne!(first, other_iv);
}

#[test]
fn aes_bad_keys_and_lengths_are_refused_with_zeroed_data() {
    let module = module();
    for len in [0usize, 1, 15, 17, 24, 31, 33, 64] {
        assert_eq!(
            module.aes_key(&vec![7u8; len]).err(),
            Some(Error::Arg),
            "{len}-byte key"
        );
    }
    let aes = module.aes_key(&[1u8; 32]).unwrap();
    for len in [0usize, 1, 15, 17, 33] {
        let mut data = vec![0xAA; len];
        assert_eq!(aes.ecb_encrypt(&mut data), Err(Error::Arg), "ECB {len}");
        assert!(is_zero(&data));
        let mut data = vec![0xAA; len];
        assert_eq!(aes.ecb_decrypt(&mut data), Err(Error::Arg), "ECB {len}");
        assert!(is_zero(&data));
    }
    let iv = [0u8; 16];
    assert_eq!(aes.cfb128_encrypt(&iv, &mut []), Err(Error::Arg));
    assert_eq!(aes.cfb128_decrypt(&iv, &mut []), Err(Error::Arg));
}

#[test]
fn kdf_counter_hmac_matches_reference_for_every_hash_length_and_split() {
    let module = module();
    for alg in HASHES {
        for (key_len, fixed_len, out_len) in [
            (32, 0, 1),
            (14, 60, 16),
            (48, 60, alg.digest_len()),
            (64, 1, alg.digest_len() + 1),
            (100, 200, 3 * alg.digest_len() - 5),
            (32, 33, 512),
        ] {
            let key = random_bytes(key_len);
            let fixed = random_bytes(fixed_len);
            let want = svsm_oracle::kdf_counter_hmac(oracle_hash(alg), &key, &fixed, out_len);
            let mut out = vec![0u8; out_len];
            assert_eq!(
                module.kdf_counter_hmac(alg, &key, &[&fixed], &mut out),
                Ok(Indicator::Approved)
            );
            assert_eq!(
                out, want,
                "{alg:?} key {key_len} fixed {fixed_len} out {out_len}"
            );
            // The same fixed data in pieces, empty ones included.
            let (a, b) = fixed.split_at(fixed_len / 3);
            let mut pieces = vec![0u8; out_len];
            module
                .kdf_counter_hmac(alg, &key, &[a, &[], b, &[]], &mut pieces)
                .unwrap()
                .is_approved()
                .then_some(())
                .expect("approved");
            assert_eq!(pieces, want);
        }
    }
}

#[test]
fn kdfa_is_the_counter_kdf_over_the_tpm_fixed_data() {
    let module = module();
    let key = random_bytes(32);
    let (nonce_u, nonce_v) = (random_bytes(32), random_bytes(16));
    for alg in [HashAlg::Sha256, HashAlg::Sha384] {
        for out_len in [16usize, 32, 48, 70] {
            let mut fixed = b"CFB".to_vec();
            fixed.push(0);
            fixed.extend_from_slice(&nonce_u);
            fixed.extend_from_slice(&nonce_v);
            fixed.extend_from_slice(&(8 * out_len as u32).to_be_bytes());
            let want = svsm_oracle::kdf_counter_hmac(oracle_hash(alg), &key, &fixed, out_len);
            let mut out = vec![0u8; out_len];
            assert_eq!(
                module.kdfa(alg, &key, b"CFB", &nonce_u, &nonce_v, &mut out),
                Ok(Indicator::Approved)
            );
            assert_eq!(out, want, "{alg:?} {out_len}");
        }
    }
}

#[test]
fn kdf_one_step_and_kdfe_match_reference() {
    let module = module();
    for alg in HASHES {
        for (z_len, fixed_len, out_len) in [
            (32, 0, 1),
            (14, 20, alg.digest_len()),
            (48, 100, alg.digest_len() + 1),
            (66, 7, 4 * alg.digest_len() - 3),
        ] {
            let z = random_bytes(z_len);
            let fixed = random_bytes(fixed_len);
            let want = svsm_oracle::kdf_one_step(oracle_hash(alg), &z, &fixed, out_len).unwrap();
            let mut out = vec![0u8; out_len];
            assert_eq!(
                module.kdf_one_step(alg, &z, &[&fixed], &mut out),
                Ok(Indicator::Approved)
            );
            assert_eq!(
                out, want,
                "{alg:?} z {z_len} fixed {fixed_len} out {out_len}"
            );
        }
    }
    // KDFe: FixedInfo = Label || 0x00 || PartyUInfo || PartyVInfo.
    let z = random_bytes(32);
    let (u, v) = (random_bytes(32), random_bytes(32));
    let mut fixed = b"SECRET".to_vec();
    fixed.push(0);
    fixed.extend_from_slice(&u);
    fixed.extend_from_slice(&v);
    let want = svsm_oracle::kdf_one_step(svsm_oracle::HashAlg::Sha256, &z, &fixed, 32).unwrap();
    let mut out = [0u8; 32];
    assert_eq!(
        module.kdfe(HashAlg::Sha256, &z, b"SECRET", &u, &v, &mut out),
        Ok(Indicator::Approved)
    );
    assert_eq!(out.to_vec(), want);
}

#[test]
fn kdf_keys_below_112_bits_are_non_approved() {
    let module = module();
    let mut out = [0u8; 32];
    for (len, indicator) in [
        (0usize, Indicator::NonApproved),
        (13, Indicator::NonApproved),
        (14, Indicator::Approved),
    ] {
        let key = vec![3u8; len];
        assert_eq!(
            module.kdf_counter_hmac(HashAlg::Sha256, &key, &[b"fixed"], &mut out),
            Ok(indicator),
            "counter, {len}-byte key"
        );
        // A TPM session key may be empty (an unbound, unsalted session with
        // an empty authValue): derived, but not an approved use.
        assert_eq!(
            module.kdfa(HashAlg::Sha256, &key, b"ATH", &[1; 16], &[2; 16], &mut out),
            Ok(indicator),
            "KDFa, {len}-byte key"
        );
        if len > 0 {
            assert_eq!(
                module.kdf_one_step(HashAlg::Sha256, &key, &[b"fixed"], &mut out),
                Ok(indicator),
                "one-step, {len}-byte Z"
            );
        }
    }
}

#[test]
fn kdf_bad_arguments_are_refused_with_zeroed_output() {
    let module = module();
    let key = [7u8; 32];
    assert_eq!(
        module.kdf_counter_hmac(HashAlg::Sha256, &key, &[], &mut []),
        Err(Error::Arg)
    );
    assert_eq!(
        module.kdf_one_step(HashAlg::Sha256, &key, &[], &mut []),
        Err(Error::Arg)
    );
    let mut out = vec![0xAA; 40];
    assert_eq!(
        module.kdf_one_step(HashAlg::Sha384, &[], &[b"x"], &mut out),
        Err(Error::Arg),
        "empty Z"
    );
    assert!(is_zero(&out));
    let too_many = [&b"p"[..]; KDF_MAX_PARTS + 1];
    let mut out = vec![0xAA; 40];
    assert_eq!(
        module.kdf_counter_hmac(HashAlg::Sha256, &key, &too_many, &mut out),
        Err(Error::Arg)
    );
    assert!(is_zero(&out));
    let mut out = vec![0xAA; 40];
    assert_eq!(
        module.kdf_one_step(HashAlg::Sha256, &key, &too_many, &mut out),
        Err(Error::Arg)
    );
    assert!(is_zero(&out));
    // KDFa's fixed data is label, 0x00, two contexts and [L]_32: five pieces.
    let max = [&b"p"[..]; KDF_MAX_PARTS];
    let mut out = vec![0u8; 40];
    assert!(
        module
            .kdf_counter_hmac(HashAlg::Sha256, &key, &max, &mut out)
            .is_ok()
    );
}
