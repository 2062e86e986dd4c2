//! The services the TPM engine needs: AES-ECB and AES-CFB128. Answers are
//! compared with published vectors and with the oracle (RustCrypto); every
//! call's indicator is checked, and the lengths and keys the services
//! cannot take are refused with zeroed outputs.

mod common;

use common::{hex, is_zero, random_bytes};
use svsm_crypto::host::module;
use svsm_crypto::{AES_BLOCK_LEN, Error, Indicator};

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
