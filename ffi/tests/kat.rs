//! Known-answer tests through the safe API, with vectors from the standards
//! (FIPS 180-4 examples, RFC 4231, RFC 5869, the GCM specification's test
//! cases, CAVP CTR_DRBG, FIPS 186 ECDSA, CAVP KAS ECC CDH).
//!
//! Each vector is also checked against an independent implementation
//! (RustCrypto) where one exists, so a mistyped vector fails loudly instead
//! of hiding a module bug. Nothing expected is computed with the module.

mod common;

use common::hex;
use svsm_crypto::host::module;
use svsm_crypto::{
    AES_GCM_IV_FIXED_LEN, AES_GCM_IV_LEN, Curve, HashAlg, Indicator, PrivateKey, Prk, PublicKey,
    Signature,
};

// ---- SHA-2 (FIPS 180-4 examples) -------------------------------------------

const ABC: &[u8] = b"abc";
const MSG_448: &[u8] = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const MSG_896: &[u8] = b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

struct HashVector {
    alg: HashAlg,
    msg: &'static [u8],
    digest: &'static str,
}

const HASH_VECTORS: &[HashVector] = &[
    HashVector {
        alg: HashAlg::Sha256,
        msg: b"",
        digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    HashVector {
        alg: HashAlg::Sha256,
        msg: ABC,
        digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    },
    HashVector {
        alg: HashAlg::Sha256,
        msg: MSG_448,
        digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    },
    HashVector {
        alg: HashAlg::Sha384,
        msg: ABC,
        digest: "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
                 8086072ba1e7cc2358baeca134c825a7",
    },
    HashVector {
        alg: HashAlg::Sha384,
        msg: MSG_896,
        digest: "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712\
                 fcc7c71a557e2db966c3e9fa91746039",
    },
    HashVector {
        alg: HashAlg::Sha512,
        msg: ABC,
        digest: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                 2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    },
    HashVector {
        alg: HashAlg::Sha512,
        msg: MSG_896,
        digest: "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018\
                 501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
    },
];

fn reference_hash(alg: HashAlg, msg: &[u8]) -> Vec<u8> {
    svsm_oracle::hash(common::oracle_hash(alg), msg)
}

#[test]
fn sha2_fips180_examples_one_shot_and_streaming() {
    let module = module();
    for v in HASH_VECTORS {
        let expected = hex(v.digest);
        assert_eq!(
            reference_hash(v.alg, v.msg),
            expected,
            "vector typo: {:?}",
            v.alg
        );

        let digest = module.hash(v.alg, v.msg).unwrap();
        assert_eq!(digest.indicator(), Indicator::Approved);
        assert_eq!(
            digest.value().as_bytes(),
            &expected[..],
            "{:?} {:?}",
            v.alg,
            v.msg
        );
        assert_eq!(digest.value().alg(), v.alg);

        // Streaming, one byte at a time and in two uneven parts.
        let mut hasher = module.hasher(v.alg).unwrap();
        for byte in v.msg {
            hasher.update(std::slice::from_ref(byte)).unwrap();
        }
        assert_eq!(hasher.finalize().unwrap().value().as_bytes(), &expected[..]);
        let mut hasher = module.hasher(v.alg).unwrap();
        let (a, b) = v.msg.split_at(v.msg.len() / 3);
        hasher.update(a).unwrap();
        hasher.update(b).unwrap();
        assert_eq!(hasher.finalize().unwrap().value().as_bytes(), &expected[..]);
    }
}

#[test]
fn sha256_million_a() {
    let msg = vec![b'a'; 1_000_000];
    let expected = hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    assert_eq!(reference_hash(HashAlg::Sha256, &msg), expected);
    let digest = module().hash(HashAlg::Sha256, &msg).unwrap().into_value();
    assert_eq!(digest.as_bytes(), &expected[..]);
}

#[test]
fn sha2_random_inputs_match_reference() {
    let module = module();
    for len in [
        0, 1, 55, 56, 63, 64, 111, 112, 127, 128, 129, 1000, 4097, 65_537,
    ] {
        let msg = common::random_bytes(len);
        for alg in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
            let digest = module.hash(alg, &msg).unwrap().into_value();
            assert_eq!(
                digest.as_bytes(),
                &reference_hash(alg, &msg)[..],
                "{alg:?} len {len}"
            );
        }
    }
}

// ---- HMAC (RFC 4231) ---------------------------------------------------------

struct HmacVector {
    key: Vec<u8>,
    data: Vec<u8>,
    /// Expected tags for SHA-256, SHA-384, SHA-512 (truncated where the RFC
    /// truncates).
    tags: [&'static str; 3],
}

fn rfc4231() -> Vec<HmacVector> {
    vec![
        HmacVector {
            key: vec![0x0b; 20],
            data: b"Hi There".to_vec(),
            tags: [
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c\
                 faea9ea9076ede7f4af152e8b2fa9cb6",
                "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde\
                 daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
            ],
        },
        HmacVector {
            key: b"Jefe".to_vec(),
            data: b"what do ya want for nothing?".to_vec(),
            tags: [
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
                 8e2240ca5e69e2c78b3239ecfab21649",
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
                 9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
            ],
        },
        HmacVector {
            key: vec![0xaa; 20],
            data: vec![0xdd; 50],
            tags: [
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
                "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b\
                 2a5ab39dc13814b94e3ab6e101a34f27",
                "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39\
                 bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
            ],
        },
        HmacVector {
            key: (1..=25).collect(),
            data: vec![0xcd; 50],
            tags: [
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
                "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e\
                 6801dd23c4a7d679ccf8a386c674cffb",
                "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db\
                 a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
            ],
        },
        // Test case 5: output truncated to 128 bits.
        HmacVector {
            key: vec![0x0c; 20],
            data: b"Test With Truncation".to_vec(),
            tags: [
                "a3b6167473100ee06e0c796c2955552b",
                "3abf34c3503b2a23a46efc619baef897",
                "415fad6271580a531d4179bc891d87a6",
            ],
        },
        HmacVector {
            key: vec![0xaa; 131],
            data: b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
            tags: [
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6\
                 0c2ef6ab4030fe8296248df163f44952",
                "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352\
                 6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
            ],
        },
        HmacVector {
            key: vec![0xaa; 131],
            data: b"This is a test using a larger than block-size key and a larger than block-size data. \
The key needs to be hashed before being used by the HMAC algorithm."
                .to_vec(),
            tags: [
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
                "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5\
                 a678cc31e799176d3860e6110c46523e",
                "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944\
                 b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
            ],
        },
    ]
}

fn reference_hmac(alg: HashAlg, key: &[u8], msg: &[u8]) -> Vec<u8> {
    svsm_oracle::hmac(common::oracle_hash(alg), key, msg)
}

const ALGS: [HashAlg; 3] = [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512];

#[test]
fn hmac_rfc4231() {
    let module = module();
    for (case, v) in rfc4231().iter().enumerate() {
        for (alg, tag) in ALGS.iter().zip(v.tags) {
            let expected = hex(tag);
            let full = reference_hmac(*alg, &v.key, &v.data);
            assert_eq!(
                &full[..expected.len()],
                &expected[..],
                "vector typo: case {} {alg:?}",
                case + 1
            );

            let mut out = vec![0u8; expected.len()];
            let indicator = module.hmac(*alg, &v.key, &v.data, &mut out).unwrap();
            assert_eq!(out, expected, "case {} {alg:?}", case + 1);
            // RFC 4231 case 2 uses a 32-bit key: below 112 bits, non-approved.
            let approved = v.key.len() * 8 >= 112;
            assert_eq!(
                indicator.is_approved(),
                approved,
                "case {} {alg:?}",
                case + 1
            );

            assert_eq!(
                module
                    .hmac_verify(*alg, &v.key, &v.data, &expected)
                    .unwrap(),
                indicator
            );
        }
    }
}

#[test]
fn hmac_random_inputs_match_reference() {
    let module = module();
    for (key_len, msg_len) in [
        (14, 0),
        (32, 1),
        (64, 200),
        (65, 1000),
        (128, 129),
        (200, 4096),
    ] {
        let key = common::random_bytes(key_len);
        let msg = common::random_bytes(msg_len);
        for alg in ALGS {
            let mut out = vec![0u8; alg.digest_len()];
            let indicator = module.hmac(alg, &key, &msg, &mut out).unwrap();
            assert_eq!(indicator, Indicator::Approved);
            assert_eq!(
                out,
                reference_hmac(alg, &key, &msg),
                "{alg:?} key {key_len} msg {msg_len}"
            );
        }
    }
}

// ---- HKDF (RFC 5869, SHA-256 cases) -----------------------------------------

struct HkdfVector {
    ikm: Vec<u8>,
    salt: Vec<u8>,
    info: Vec<u8>,
    prk: &'static str,
    okm: &'static str,
}

fn rfc5869() -> Vec<HkdfVector> {
    vec![
        HkdfVector {
            ikm: vec![0x0b; 22],
            salt: (0x00..=0x0c).collect(),
            info: (0xf0..=0xf9).collect(),
            prk: "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
            okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
        },
        HkdfVector {
            ikm: (0x00..=0x4f).collect(),
            salt: (0x60..=0xaf).collect(),
            info: (0xb0..=0xff).collect(),
            prk: "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
            okm: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c\
                  59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71\
                  cc30c58179ec3e87c14c01d5c1f3434f1d87",
        },
        HkdfVector {
            ikm: vec![0x0b; 22],
            salt: Vec::new(),
            info: Vec::new(),
            prk: "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
            okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
        },
    ]
}

#[test]
fn hkdf_rfc5869() {
    let module = module();
    for (case, v) in rfc5869().iter().enumerate() {
        let expected_prk = hex(v.prk);
        let expected_okm = hex(v.okm);
        let reference_prk =
            svsm_oracle::hkdf_extract(svsm_oracle::HashAlg::Sha256, &v.salt, &v.ikm);
        assert_eq!(
            reference_prk,
            expected_prk,
            "vector typo: case {}",
            case + 1
        );
        let reference_okm = svsm_oracle::hkdf(
            svsm_oracle::HashAlg::Sha256,
            &v.ikm,
            &v.salt,
            &v.info,
            expected_okm.len(),
        )
        .unwrap();
        assert_eq!(
            reference_okm,
            expected_okm,
            "vector typo: case {}",
            case + 1
        );

        let mut okm = vec![0u8; expected_okm.len()];
        let indicator = module
            .hkdf(HashAlg::Sha256, &v.ikm, &v.salt, &v.info, &mut okm)
            .unwrap();
        assert_eq!(okm, expected_okm, "one-shot case {}", case + 1);
        assert_eq!(indicator, Indicator::Approved);

        let prk = module
            .hkdf_extract(HashAlg::Sha256, &v.salt, &v.ikm)
            .unwrap()
            .into_value();
        assert_eq!(
            prk.as_bytes(),
            &expected_prk[..],
            "extract case {}",
            case + 1
        );
        let mut okm = vec![0u8; expected_okm.len()];
        assert!(
            module
                .hkdf_expand(&prk, &v.info, &mut okm)
                .unwrap()
                .is_approved()
        );
        assert_eq!(okm, expected_okm, "expand case {}", case + 1);

        let imported = Prk::from_bytes(HashAlg::Sha256, &expected_prk).unwrap();
        let mut okm = vec![0u8; expected_okm.len()];
        assert!(
            module
                .hkdf_expand(&imported, &v.info, &mut okm)
                .unwrap()
                .is_approved()
        );
        assert_eq!(
            okm,
            expected_okm,
            "expand of imported PRK case {}",
            case + 1
        );
    }
}

#[test]
fn hkdf_sha384_random_inputs_match_reference() {
    let module = module();
    for (ikm_len, salt_len, info_len, okm_len) in
        [(32, 0, 0, 48), (48, 48, 16, 100), (80, 13, 200, 255 * 48)]
    {
        let ikm = common::random_bytes(ikm_len);
        let salt = common::random_bytes(salt_len);
        let info = common::random_bytes(info_len);
        let expected =
            svsm_oracle::hkdf(svsm_oracle::HashAlg::Sha384, &ikm, &salt, &info, okm_len).unwrap();
        let mut okm = vec![0u8; okm_len];
        assert!(
            module
                .hkdf(HashAlg::Sha384, &ikm, &salt, &info, &mut okm)
                .unwrap()
                .is_approved()
        );
        assert_eq!(okm, expected, "okm {okm_len}");
    }
}

// ---- AES-GCM (McGrew & Viega, "The Galois/Counter Mode of Operation") --------

struct GcmVector {
    case: u32,
    key: &'static str,
    iv: &'static str,
    aad: &'static str,
    plaintext: &'static str,
    ciphertext: &'static str,
    tag: &'static str,
}

const GCM_P64: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                       1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
const GCM_P60: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                       1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
const GCM_AAD: &str = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
const GCM_K128: &str = "feffe9928665731c6d6a8f9467308308";
const GCM_K256: &str = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
const GCM_IV: &str = "cafebabefacedbaddecaf888";
const ZERO_IV: &str = "000000000000000000000000";

const GCM_VECTORS: &[GcmVector] = &[
    GcmVector {
        case: 1,
        key: "00000000000000000000000000000000",
        iv: ZERO_IV,
        aad: "",
        plaintext: "",
        ciphertext: "",
        tag: "58e2fccefa7e3061367f1d57a4e7455a",
    },
    GcmVector {
        case: 2,
        key: "00000000000000000000000000000000",
        iv: ZERO_IV,
        aad: "",
        plaintext: "00000000000000000000000000000000",
        ciphertext: "0388dace60b6a392f328c2b971b2fe78",
        tag: "ab6e47d42cec13bdf53a67b21257bddf",
    },
    GcmVector {
        case: 3,
        key: GCM_K128,
        iv: GCM_IV,
        aad: "",
        plaintext: GCM_P64,
        ciphertext: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
                     21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
        tag: "4d5c2af327cd64a62cf35abd2ba6fab4",
    },
    GcmVector {
        case: 4,
        key: GCM_K128,
        iv: GCM_IV,
        aad: GCM_AAD,
        plaintext: GCM_P60,
        ciphertext: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
                     21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
        tag: "5bc94fbc3221a5db94fae95ae7121a47",
    },
    GcmVector {
        case: 13,
        key: "0000000000000000000000000000000000000000000000000000000000000000",
        iv: ZERO_IV,
        aad: "",
        plaintext: "",
        ciphertext: "",
        tag: "530f8afbc74536b9a963b4f1c4cb738b",
    },
    GcmVector {
        case: 14,
        key: "0000000000000000000000000000000000000000000000000000000000000000",
        iv: ZERO_IV,
        aad: "",
        plaintext: "00000000000000000000000000000000",
        ciphertext: "cea7403d4d606b6e074ec5d3baf39d18",
        tag: "d0d1c8a799996bf0265b98b5d48ab919",
    },
    GcmVector {
        case: 15,
        key: GCM_K256,
        iv: GCM_IV,
        aad: "",
        plaintext: GCM_P64,
        ciphertext: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
                     8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
        tag: "b094dac5d93471bdec1a502270e3cc6c",
    },
    GcmVector {
        case: 16,
        key: GCM_K256,
        iv: GCM_IV,
        aad: GCM_AAD,
        plaintext: GCM_P60,
        ciphertext: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
                     8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        tag: "76fc6ece0f4e1768cddf8853bb2d551b",
    },
];

/// (ciphertext, tag) from the reference implementation.
fn reference_gcm_seal(key: &[u8], iv: &[u8], aad: &[u8], plaintext: &[u8]) -> (Vec<u8>, Vec<u8>) {
    svsm_oracle::gcm_seal(key, iv, aad, plaintext).expect("AES-128/256 key and a 96-bit IV")
}

#[test]
fn aes_gcm_spec_test_cases() {
    let module = module();
    for v in GCM_VECTORS {
        let (key, iv, aad, plaintext) = (hex(v.key), hex(v.iv), hex(v.aad), hex(v.plaintext));
        let (ciphertext, tag) = (hex(v.ciphertext), hex(v.tag));
        assert_eq!(
            reference_gcm_seal(&key, &iv, &aad, &plaintext),
            (ciphertext.clone(), tag.clone()),
            "vector typo: case {}",
            v.case
        );

        let mut gcm = module.aes_gcm_key(&key).unwrap();
        let mut ct = vec![0u8; plaintext.len()];
        let mut t = [0u8; 16];
        let indicator = gcm
            .seal_with_iv(&iv, &aad, &plaintext, &mut ct, &mut t)
            .unwrap();
        assert_eq!(
            indicator,
            Indicator::NonApproved,
            "caller IV is non-approved"
        );
        assert_eq!(
            (ct, t.to_vec()),
            (ciphertext.clone(), tag.clone()),
            "seal case {}",
            v.case
        );

        let mut pt = common::poisoned(ciphertext.len());
        let indicator = gcm.open(&iv, &aad, &ciphertext, &tag, &mut pt).unwrap();
        assert_eq!(indicator, Indicator::Approved);
        assert_eq!(pt, plaintext, "open case {}", v.case);
    }
}

#[test]
fn aes_gcm_truncated_tags() {
    let module = module();
    let (key, iv, aad, plaintext) = (hex(GCM_K256), hex(GCM_IV), hex(GCM_AAD), hex(GCM_P60));
    let full_tag = hex("76fc6ece0f4e1768cddf8853bb2d551b");
    let mut gcm = module.aes_gcm_key(&key).unwrap();
    for tag_len in [4, 8, 12, 13, 14, 15, 16] {
        let mut ct = vec![0u8; plaintext.len()];
        let mut tag = vec![0u8; tag_len];
        let _ = gcm
            .seal_with_iv(&iv, &aad, &plaintext, &mut ct, &mut tag)
            .unwrap();
        assert_eq!(tag, full_tag[..tag_len], "tag length {tag_len}");
        let mut pt = vec![0u8; ct.len()];
        let _ = gcm.open(&iv, &aad, &ct, &tag, &mut pt).unwrap();
        assert_eq!(pt, plaintext);
    }
}

#[test]
fn aes_gcm_large_and_odd_messages_match_reference() {
    let module = module();
    for key_len in [16, 32] {
        let key = common::random_bytes(key_len);
        let mut gcm = module.aes_gcm_key(&key).unwrap();
        for len in [
            1,
            15,
            17,
            255,
            4095,
            16 * 1024,
            16 * 1024 + 1,
            64 * 1024,
            64 * 1024 - 3,
            100_003,
        ] {
            let iv = common::random_bytes(12);
            let aad = common::random_bytes(len % 97);
            let plaintext = common::random_bytes(len);
            let (expected_ct, expected_tag) = reference_gcm_seal(&key, &iv, &aad, &plaintext);

            let mut ct = vec![0u8; len];
            let mut tag = [0u8; 16];
            let _ = gcm
                .seal_with_iv(&iv, &aad, &plaintext, &mut ct, &mut tag)
                .unwrap();
            assert!(
                ct == expected_ct,
                "ciphertext differs: key {key_len} len {len}"
            );
            assert_eq!(tag.to_vec(), expected_tag, "key {key_len} len {len}");

            let mut pt = vec![0u8; len];
            let _ = gcm.open(&iv, &aad, &ct, &tag, &mut pt).unwrap();
            assert!(pt == plaintext, "round trip: key {key_len} len {len}");
        }
    }
}

#[test]
fn aes_gcm_generated_iv_is_approved_fresh_and_opens_with_reference() {
    let module = module();
    let key = common::random_bytes(32);
    let mut gcm = module.aes_gcm_key(&key).unwrap();
    let mut seen = std::collections::HashSet::new();
    for len in [0, 16, 1000] {
        let plaintext = common::random_bytes(len);
        let mut ct = vec![0u8; len];
        let mut tag = [0u8; 16];
        let iv = gcm.seal(b"header", &plaintext, &mut ct, &mut tag).unwrap();
        assert_eq!(iv.indicator(), Indicator::Approved);
        let iv = iv.into_value();
        assert!(seen.insert(iv), "generated IV repeated");
        let opened = svsm_oracle::gcm_open(&key, &iv, b"header", &ct, &tag)
            .expect("reference opens the module's output");
        assert_eq!(opened, plaintext);
    }
}

/// SP 800-38D 8.2.1: one key's generated IVs share its fixed field and count
/// its seals from 0; another key (even with the same bytes) draws its own
/// fixed field.
#[test]
fn aes_gcm_generated_ivs_are_fixed_field_then_invocation_count() {
    let module = module();
    let key = common::random_bytes(32);
    let fixed_field = |iv: &[u8; AES_GCM_IV_LEN]| iv[..AES_GCM_IV_FIXED_LEN].to_vec();
    let mut gcm = module.aes_gcm_key(&key).unwrap();
    let mut first = None;
    for count in 0u32..5 {
        let (mut ct, mut tag) = ([0u8; 4], [0u8; 16]);
        let iv = gcm
            .seal(b"", b"data", &mut ct, &mut tag)
            .unwrap()
            .into_value();
        assert_eq!(
            iv[AES_GCM_IV_FIXED_LEN..],
            count.to_be_bytes(),
            "invocation field"
        );
        let fixed = first.get_or_insert_with(|| fixed_field(&iv));
        assert_eq!(&fixed_field(&iv), fixed, "fixed field changed");
        assert_eq!(
            svsm_oracle::gcm_open(&key, &iv, b"", &ct, &tag).as_deref(),
            Some(&b"data"[..])
        );
    }
    let mut other = module.aes_gcm_key(&key).unwrap();
    let (mut ct, mut tag) = ([0u8; 4], [0u8; 16]);
    let iv = other
        .seal(b"", b"data", &mut ct, &mut tag)
        .unwrap()
        .into_value();
    assert_eq!(iv[AES_GCM_IV_FIXED_LEN..], [0; 4]);
    assert_ne!(
        Some(fixed_field(&iv)),
        first,
        "second context reused the fixed field"
    );
}

// ---- CTR_DRBG AES-256 with df (CAVP drbgvectors, reseed / PR, and the model) ----

/// CAVP CTR_DRBG [AES-256 use df], EntropyInputLen = 256, NonceLen = 128,
/// PersonalizationStringLen = 256, AdditionalInputLen = 0, ReturnedBitsLen =
/// 512. Two generate calls; the second output is checked. `reseeds` are the
/// entropy inputs of an explicit reseed (PR false: one, before the first
/// generate) or of the reseed before each generate (PR true: the API's
/// prediction resistance, SP 800-90A 9.3.1 step 7).
struct DrbgVector {
    prediction_resistance: bool,
    entropy: &'static str,
    nonce: &'static str,
    perso: &'static str,
    reseeds: &'static [&'static str],
    output: &'static str,
}

const DRBG_VECTORS: &[DrbgVector] = &[
    DrbgVector {
        prediction_resistance: false,
        entropy: "4cfb218673346d9d50c922e49b0dfcd090adf04f5c3ba47327dfcd6fa63a785c",
        nonce: "016962a7fd2787a24bf6be47ef3783f1",
        perso: "88eeb8e0e83bf3294bdacd6099ebe4bf55ecd9113f71e5ebcb4575f3d6a68a6b",
        reseeds: &["b7ec46072363834a1b0133f2c23891db4f11a68651f23e3a8b1fdc03b192c7e7"],
        output: "a55180a190bef3adaf28f6b795e9f1f3d6dfa1b27dd0467b0c75f5fa931e9714\
                 75b27cae03a29654e2f40966ea33643040d1400fe677873af8097c1fe9f00298",
    },
    DrbgVector {
        prediction_resistance: true,
        entropy: "ca58fdf2b977cb49d4e05be23950d98a6ab3c52fdf74d5858fd1ba64547bdb1e",
        nonce: "c5ea24c0fa0c90150920924232364545",
        perso: "5a7095e98140523391537e75d6199d1ead0dc6a7de6c1fe0ea1833a87e0620e9",
        reseeds: &[
            "7d20766bcfa215c82f9fbc883f80d12cb716d1809ee1c9b3881b2145efa17fce",
            "c89235552ad91d8e1238ac014e3818769cf2b6d413b62c77c0e7e60c474495be",
        ],
        output: "ce2fdbb6d9b7398504c5c042c231c61d9b5a59f87e0dcc627b65115510eb9e3d\
                 a4fb1c6a18c074dbdde702236321d039f9a7c452843b4940722bb06c9cdbc343",
    },
];

#[test]
fn ctr_drbg_cavp() {
    let module = module();
    for (i, v) in DRBG_VECTORS.iter().enumerate() {
        let drbg = module
            .drbg_test(&hex(v.entropy), &hex(v.nonce), &hex(v.perso))
            .unwrap();
        assert_eq!(
            drbg.indicator(),
            Indicator::NonApproved,
            "test instantiate is non-approved"
        );
        let mut drbg = drbg.into_value();
        let mut out = vec![0u8; 64];
        if v.prediction_resistance {
            for reseed in v.reseeds.iter() {
                let _ = drbg.reseed_test(&hex(reseed), &[]).unwrap();
                let _ = drbg.generate(&mut out, &[]).unwrap();
            }
        } else {
            let _ = drbg.reseed_test(&hex(v.reseeds[0]), &[]).unwrap();
            let _ = drbg.generate(&mut out, &[]).unwrap();
            let _ = drbg.generate(&mut out, &[]).unwrap();
        }
        assert_eq!(out, hex(v.output), "vector {i}");
        drbg.uninstantiate();
    }
}

/// The module and the oracle's CTR_DRBG model agree on every input shape:
/// request lengths around the block and the bulk path's widths, empty and
/// long additional input, input lengths that leave the derivation
/// function's padding anywhere in a block, reseeds between requests.
#[test]
fn ctr_drbg_agrees_with_the_model() {
    let module = module();
    let bytes = |seed: u8, len: usize| -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    };
    let lengths = [
        0usize, 1, 15, 16, 17, 31, 32, 33, 64, 100, 128, 255, 256, 1000, 4096, 4097,
    ];
    for (round, &input_len) in [0usize, 1, 7, 8, 15, 16, 17, 47, 48, 49, 200]
        .iter()
        .enumerate()
    {
        let seed = round as u8;
        let (entropy, nonce, perso) = (
            bytes(seed, 32 + input_len % 9),
            bytes(seed ^ 0x55, 16 + input_len % 5),
            bytes(seed ^ 0xaa, input_len),
        );
        let mut model = svsm_oracle::CtrDrbg::instantiate(&entropy, &nonce, &perso);
        let mut drbg = module
            .drbg_test(&entropy, &nonce, &perso)
            .unwrap()
            .into_value();
        for (k, &len) in lengths.iter().enumerate() {
            let additional = bytes(seed.wrapping_add(k as u8), (input_len + k) % 3 * input_len);
            let mut out = vec![0u8; len];
            let _ = drbg.generate(&mut out, &additional).unwrap();
            assert_eq!(
                out,
                model.generate(len, &additional),
                "input {input_len}, request {len}"
            );
            if k % 5 == 4 {
                let reseed = bytes(seed ^ 0x0f, 32 + k);
                let _ = drbg.reseed_test(&reseed, &additional).unwrap();
                model.reseed(&reseed, &additional);
            }
        }
    }
    // The largest request, crossing a carry out of V's low 64 bits is
    // exercised by the model test of the counter; here the whole bulk path.
    let mut model = svsm_oracle::CtrDrbg::instantiate(&[7; 32], &[8; 16], b"");
    let mut drbg = module
        .drbg_test(&[7; 32], &[8; 16], b"")
        .unwrap()
        .into_value();
    let mut out = vec![0u8; svsm_crypto::DRBG_MAX_REQUEST];
    let _ = drbg.generate(&mut out, b"").unwrap();
    assert_eq!(out, model.generate(svsm_crypto::DRBG_MAX_REQUEST, b""));
}

#[test]
fn drbg_seeded_from_entropy_source_is_approved_and_varies() {
    let module = module();
    let a = module.drbg(b"svsm test a").unwrap();
    assert_eq!(a.indicator(), Indicator::Approved);
    let mut b = module.drbg(b"svsm test a").unwrap().into_value();
    let (mut x, mut y) = ([0u8; 64], [0u8; 64]);
    assert_eq!(
        a.into_value().generate(&mut x, b"").unwrap(),
        Indicator::Approved
    );
    let _ = b.generate(&mut y, b"extra").unwrap();
    assert_ne!(x, y);
    assert_eq!(b.reseed(b"more").unwrap(), Indicator::Approved);
    let mut big = vec![0u8; svsm_crypto::DRBG_MAX_REQUEST];
    let _ = b.generate(&mut big, &[]).unwrap();
    assert!(!common::is_zero(&big));

    let (mut r1, mut r2) = ([0u8; 48], [0u8; 48]);
    assert_eq!(module.random(&mut r1).unwrap(), Indicator::Approved);
    let _ = module.random(&mut r2).unwrap();
    assert_ne!(r1, r2);
}

// ---- ECDSA (FIPS 186-5 examples; FIPS 186-3 CAVP SHA-1-digest vectors) ------

struct EcdsaVector {
    curve: Curve,
    /// The message `digest` is the hash of, when `hash` names the function.
    msg: &'static [u8],
    hash: Option<HashAlg>,
    digest: &'static str,
    d: &'static str,
    qx: &'static str,
    qy: &'static str,
    r: &'static str,
    s: &'static str,
}

const ECDSA_VECTORS: &[EcdsaVector] = &[
    EcdsaVector {
        curve: Curve::P256,
        msg: b"Example of ECDSA with P-256",
        hash: Some(HashAlg::Sha256),
        digest: "a41a41a12a799548211c410c65d8133afde34d28bdd542e4b680cf2899c8a8c4",
        d: "c477f9f65c22cce20657faa5b2d1d8122336f851a508a1ed04e479c34985bf96",
        qx: "b7e08afdfe94bad3f1dc8c734798ba1c62b3a0ad1e9ea2a38201cd0889bc7a19",
        qy: "3603f747959dbf7a4bb226e41928729063adc7ae43529e61b563bbc606cc5e09",
        r: "2b42f576d07f4165ff65d1f3b1500f81e44c316f1f0b3ef57325b69aca46104f",
        s: "dc42c2122d6392cd3e3a993a89502a8198c1886fe69d262c4b329bdb6b63faf1",
    },
    EcdsaVector {
        curve: Curve::P384,
        msg: b"Example of ECDSA with P-384",
        hash: Some(HashAlg::Sha384),
        digest: "5aea187d1c4f6e1b35057d20126d836c6adbbc7049ee0299c9529f5e0b3f8b5a\
                 7411149d6c30d6cb2b8af70e0a781e89",
        d: "f92c02ed629e4b48c0584b1c6ce3a3e3b4faae4afc6acb0455e73dfc392e6a0ae393a8565e6b9714d1224b57d83f8a08",
        qx: "3bf701bc9e9d36b4d5f1455343f09126f2564390f2b487365071243c61e6471fb9d2ab74657b82f9086489d9ef0f5cb5",
        qy: "d1a358eafbf952e68d533855ccbdaa6ff75b137a5101443199325583552a6295ffe5382d00cfcda30344a9b5b68db855",
        r: "30ea514fc0d38d8208756f068113c7cada9f66a3b40ea3b313d040d9b57dd41a332795d02cc7d507fcef9faf01a27088",
        s: "cc808e504be414f46c9027bcbf78adf067a43922d6fcaa66c4476875fbb7b94efd1f7d5dbe620bfb821c46d549683ad8",
    },
    // FIPS 186-3 CAVP [P-256,SHA-1]: the digest is 20 bytes (shorter than n).
    EcdsaVector {
        curve: Curve::P256,
        msg: b"",
        hash: None,
        digest: "a3f91ae21ba6b3039864472f184144c6af62cd0e",
        d: "be34baa8d040a3b991f9075b56ba292f755b90e4b6dc10dad36715c33cfdac25",
        qx: "fa2737fb93488d19caef11ae7faf6b7f4bcd67b286e3fc54e8a65c2b74aeccb0",
        qy: "d4ccd6dae698208aa8c3a6f39e45510d03be09b2f124bfc067856c324f9b4d09",
        r: "2b826f5d44e2d0b6de531ad96b51e8f0c56fdfead3c236892e4d84eacfc3b75c",
        s: "a2248b62c03db35a7cd63e8a120a3521a89d3d2f61ff99035a2148ae32e3a248",
    },
    // FIPS 186-3 CAVP [P-384,SHA-1].
    EcdsaVector {
        curve: Curve::P384,
        msg: b"",
        hash: None,
        digest: "9b9f8c9535a5ca26605db7f2fa573bdfc32eab8b",
        d: "a492ce8fa90084c227e1a32f7974d39e9ff67a7e8705ec3419b35fb607582bebd461e0b1520ac76ec2dd4e9b63ebae71",
        qx: "e55fee6c49d8d523f5ce7bf9c0425ce4ff650708b7de5cfb095901523979a7f042602db30854735369813b5c3f5ef868",
        qy: "28f59cc5dc509892a988d38a8e2519de3d0c4fd0fbdb0993e38f18506c17606c5e24249246f1ce94983a5361c5be983e",
        r: "6820b8585204648aed63bdff47f6d9acebdea62944774a7d14f0e14aa0b9a5b99545b2daee6b3c74ebf606667a3f39b7",
        s: "491af1d0cccd56ddd520b233775d0bc6b40a6255cc55207d8e9356741f23c96c14714221078dbd5c17f4fdd89b32a907",
    },
];

#[test]
fn ecdsa_fips186_vectors_verify_and_keys_derive() {
    let module = module();
    for (i, v) in ECDSA_VECTORS.iter().enumerate() {
        let digest = hex(v.digest);
        let public = PublicKey::from_coordinates(v.curve, &hex(v.qx), &hex(v.qy)).unwrap();
        let signature = Signature::from_components(v.curve, &hex(v.r), &hex(v.s)).unwrap();
        let private = PrivateKey::from_bytes(v.curve, &hex(v.d)).unwrap();

        assert_eq!(
            module.ecc_validate_public_key(&public).unwrap(),
            Indicator::Approved
        );
        let derived = module.ecc_public_key(&private).unwrap().into_value();
        assert_eq!(derived, public, "vector {i}: Q = dG");

        // A fresh signature by the module (random k) verifies in the
        // reference and in the module.
        let fresh = module.ecdsa_sign_digest(&private, &digest);
        let fresh = fresh
            .unwrap_or_else(|e| panic!("vector {i}: sign: {e:?}"))
            .into_value();
        assert_ne!(fresh, signature, "k must be random");
        assert!(
            reference_verify(v.curve, public.as_bytes(), &digest, fresh.as_bytes()),
            "vector {i}: module signature rejected by the reference"
        );
        let verified = module.ecdsa_verify_digest(&public, &digest, &fresh);
        assert!(verified.is_ok(), "vector {i}: own signature: {verified:?}");

        assert!(
            reference_verify(v.curve, public.as_bytes(), &digest, signature.as_bytes()),
            "vector typo {i}"
        );
        let verified = module.ecdsa_verify_digest(&public, &digest, &signature);
        assert!(verified.is_ok(), "vector {i}: {verified:?}");
        if let Some(hash) = v.hash {
            assert_eq!(reference_hash(hash, v.msg), digest, "vector typo {i}");
            assert_eq!(
                module
                    .ecdsa_verify(&public, hash, v.msg, &signature)
                    .unwrap(),
                Indicator::Approved
            );
        }
    }
}

#[test]
fn ecdsa_module_signatures_verify_with_reference() {
    let module = module();
    for _ in 0..8 {
        let msg = common::random_bytes(100);

        let pair = module.ecc_keygen(Curve::P256).unwrap();
        assert_eq!(pair.indicator(), Indicator::Approved);
        let pair = pair.into_value();
        let signature = module
            .ecdsa_sign(&pair.private, HashAlg::Sha256, &msg)
            .unwrap();
        assert_eq!(signature.indicator(), Indicator::Approved);
        let signature = signature.into_value();
        assert!(reference_verify(
            Curve::P256,
            pair.public.as_bytes(),
            &reference_hash(HashAlg::Sha256, &msg),
            signature.as_bytes()
        ));
        assert_eq!(
            module
                .ecdsa_verify(&pair.public, HashAlg::Sha256, &msg, &signature)
                .unwrap(),
            Indicator::Approved
        );

        let pair = module.ecc_keygen(Curve::P384).unwrap().into_value();
        let signature = module
            .ecdsa_sign(&pair.private, HashAlg::Sha384, &msg)
            .unwrap()
            .into_value();
        assert!(reference_verify(
            Curve::P384,
            pair.public.as_bytes(),
            &reference_hash(HashAlg::Sha384, &msg),
            signature.as_bytes()
        ));
    }
}

#[test]
fn ecdsa_reference_signatures_verify_in_module() {
    let module = module();
    for _ in 0..8 {
        let msg = common::random_bytes(77);
        for (curve, hash) in [
            (Curve::P256, HashAlg::Sha256),
            (Curve::P384, HashAlg::Sha384),
        ] {
            let oracle_curve = common::oracle_curve(curve);
            let d = random_scalar(curve.scalar_len());
            let sig = svsm_oracle::ecdsa_sign(oracle_curve, &d, &reference_hash(hash, &msg))
                .expect("a scalar below n");
            let xy = svsm_oracle::ecc_public(oracle_curve, &d).unwrap();
            let public = PublicKey::from_bytes(curve, &xy).unwrap();
            let signature = Signature::from_bytes(curve, &sig).unwrap();
            let _ = module
                .ecdsa_verify(&public, hash, &msg, &signature)
                .unwrap();
        }
    }
}

/// Whether the reference implementation accepts `rs` over `digest`.
fn reference_verify(curve: Curve, xy: &[u8], digest: &[u8], rs: &[u8]) -> bool {
    svsm_oracle::ecdsa_verify(common::oracle_curve(curve), xy, digest, rs)
}

/// A random scalar; the top byte is cleared so it is below n.
fn random_scalar(len: usize) -> Vec<u8> {
    let mut d = common::random_bytes(len);
    d[0] &= 0x7f;
    d[len - 1] |= 1;
    d
}

// ---- ECC CDH (CAVP KAS ECC CDH primitive test vectors) -----------------------

struct CdhVector {
    curve: Curve,
    qcavs_x: &'static str,
    qcavs_y: &'static str,
    d_iut: &'static str,
    qiut_x: &'static str,
    qiut_y: &'static str,
    z: &'static str,
}

const CDH_VECTORS: &[CdhVector] = &[
    CdhVector {
        curve: Curve::P256,
        qcavs_x: "700c48f77f56584c5cc632ca65640db91b6bacce3a4df6b42ce7cc838833d287",
        qcavs_y: "db71e509e3fd9b060ddb20ba5c51dcc5948d46fbf640dfe0441782cab85fa4ac",
        d_iut: "7d7dc5f71eb29ddaf80d6214632eeae03d9058af1fb6d22ed80badb62bc1a534",
        qiut_x: "ead218590119e8876b29146ff89ca61770c4edbbf97d38ce385ed281d8a6b230",
        qiut_y: "28af61281fd35e2fa7002523acc85a429cb06ee6648325389f59edfce1405141",
        z: "46fc62106420ff012e54a434fbdd2d25ccc5852060561e68040dd7778997bd7b",
    },
    CdhVector {
        curve: Curve::P384,
        qcavs_x: "a7c76b970c3b5fe8b05d2838ae04ab47697b9eaf52e764592efda27fe7513272734466b400091adbf2d68c58e0c50066",
        qcavs_y: "ac68f19f2e1cb879aed43a9969b91a0839c4c38a49749b661efedf243451915ed0905a32b060992b468c64766fc8437a",
        d_iut: "3cc3122a68f0d95027ad38c067916ba0eb8c38894d22e1b15618b6818a661774ad463b205da88cf699ab4d43c9cf98a1",
        qiut_x: "9803807f2f6d2fd966cdd0290bd410c0190352fbec7ff6247de1302df86f25d34fe4a97bef60cff548355c015dbb3e5f",
        qiut_y: "ba26ca69ec2f5b5d9dad20cc9da711383a9dbe34ea3fa5a2af75b46502629ad54dd8b7d73a8abb06a3a3be47d650cc99",
        z: "5f9d29dc5e31a163060356213669c8ce132e22f57c9a04f40ba7fcead493b457e5621e766c40a2e3d4d6a04b25e533f1",
    },
];

#[test]
fn ecdh_kas_ecc_cdh_vectors() {
    let module = module();
    for (i, v) in CDH_VECTORS.iter().enumerate() {
        let peer = PublicKey::from_coordinates(v.curve, &hex(v.qcavs_x), &hex(v.qcavs_y)).unwrap();
        let private = PrivateKey::from_bytes(v.curve, &hex(v.d_iut)).unwrap();
        let own = PublicKey::from_coordinates(v.curve, &hex(v.qiut_x), &hex(v.qiut_y)).unwrap();
        let expected = hex(v.z);
        check_cdh_vector_with_reference(v.curve, &hex(v.d_iut), peer.as_bytes(), &expected);

        assert_eq!(
            module.ecc_public_key(&private).unwrap().into_value(),
            own,
            "vector {i}"
        );
        let z = module.ecdh(&private, &peer).unwrap();
        assert_eq!(z.indicator(), Indicator::Approved);
        assert_eq!(z.value().as_bytes(), &expected[..], "vector {i}");
    }
}

fn check_cdh_vector_with_reference(curve: Curve, d: &[u8], peer_xy: &[u8], z: &[u8]) {
    let shared = svsm_oracle::ecdh(common::oracle_curve(curve), d, peer_xy);
    assert_eq!(shared.as_deref(), Some(z), "vector typo ({curve:?})");
}

#[test]
fn ecdh_agrees_with_reference_on_random_keys() {
    let module = module();
    for curve in [Curve::P256, Curve::P384] {
        for _ in 0..4 {
            let ours = module.ecc_keygen(curve).unwrap().into_value();
            let theirs = module.ecc_keygen(curve).unwrap().into_value();
            let z1 = module
                .ecdh(&ours.private, &theirs.public)
                .unwrap()
                .into_value();
            let z2 = module
                .ecdh(&theirs.private, &ours.public)
                .unwrap()
                .into_value();
            assert_eq!(z1.as_bytes(), z2.as_bytes());
            check_cdh_vector_with_reference(
                curve,
                ours.private.as_bytes(),
                theirs.public.as_bytes(),
                z1.as_bytes(),
            );
        }
    }
}

/// Point additions of two equal points branch to a doubling
/// (patches/ct-point-add.patch). With a secret scalar only one key makes
/// that happen: P-256's n - 34, whose variable-base multiplication ends by
/// adding -17*Q to the running sum -17*Q. Its shared secret must be the
/// reference's and that of 34 (the same x). Verification of a signature
/// built so that u1*G = u2*Q drives the same branch on both curves.
#[test]
fn point_additions_of_equal_points_double() {
    let module = module();
    let n_minus_34 = hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc63252f");
    let mut thirty_four = [0u8; 32];
    thirty_four[31] = 34;
    let key = PrivateKey::from_bytes(Curve::P256, &n_minus_34).unwrap();
    let small = PrivateKey::from_bytes(Curve::P256, &thirty_four).unwrap();
    for _ in 0..4 {
        let peer = module.ecc_keygen(Curve::P256).unwrap().into_value();
        let z = module.ecdh(&key, &peer.public).unwrap().into_value();
        let z34 = module.ecdh(&small, &peer.public).unwrap().into_value();
        assert_eq!(z.as_bytes(), z34.as_bytes());
        check_cdh_vector_with_reference(
            Curve::P256,
            &n_minus_34,
            peer.public.as_bytes(),
            z.as_bytes(),
        );
    }
    for curve in [Curve::P256, Curve::P384] {
        let signer = module.ecc_keygen(curve).unwrap().into_value();
        let (k, _) = svsm_oracle::ecc_keygen(common::oracle_curve(curve));
        let (digest, rs) = svsm_oracle::ecdsa_equal_points_signature(
            common::oracle_curve(curve),
            signer.private.as_bytes(),
            &k,
        )
        .unwrap();
        assert!(reference_verify(
            curve,
            signer.public.as_bytes(),
            &digest,
            &rs
        ));
        let signature = Signature::from_bytes(curve, &rs).unwrap();
        assert_eq!(
            module.ecdsa_verify_digest(&signer.public, &digest, &signature),
            Ok(Indicator::Approved)
        );
        let mut other = digest.clone();
        other[0] ^= 1;
        assert!(
            module
                .ecdsa_verify_digest(&signer.public, &other, &signature)
                .is_err()
        );
    }
}

/// A loaded public key (validated once) gives the answers of the by-bytes
/// calls and of the reference: verification of good and bad signatures, and
/// ECDH, on both curves.
#[test]
fn loaded_public_keys_agree_with_by_bytes_calls_and_reference() {
    let module = module();
    for curve in [Curve::P256, Curve::P384] {
        let signer = module.ecc_keygen(curve).unwrap().into_value();
        let peer = module.ecc_keygen(curve).unwrap().into_value();
        let loaded = module.ecc_load_public_key(&signer.public).unwrap();
        assert_eq!(loaded.indicator(), Indicator::Approved);
        let loaded = loaded.into_value();
        assert_eq!(loaded.curve(), curve);
        let digest = common::random_bytes(curve.scalar_len());
        let signature = module
            .ecdsa_sign_digest(&signer.private, &digest)
            .unwrap()
            .into_value();
        assert_eq!(
            loaded.ecdsa_verify_digest(&digest, &signature),
            Ok(Indicator::Approved)
        );
        let mut other = digest.clone();
        other[0] ^= 1;
        assert_eq!(
            loaded.ecdsa_verify_digest(&other, &signature),
            module.ecdsa_verify_digest(&signer.public, &other, &signature)
        );
        assert!(loaded.ecdsa_verify_digest(&other, &signature).is_err());

        let z = loaded.ecdh(&peer.private).unwrap().into_value();
        let by_bytes = module
            .ecdh(&peer.private, &signer.public)
            .unwrap()
            .into_value();
        assert_eq!(z.as_bytes(), by_bytes.as_bytes());
        let oracle_curve = match curve {
            Curve::P256 => svsm_oracle::Curve::P256,
            Curve::P384 => svsm_oracle::Curve::P384,
        };
        assert_eq!(
            svsm_oracle::ecdh(
                oracle_curve,
                peer.private.as_bytes(),
                signer.public.as_bytes()
            )
            .as_deref(),
            Some(z.as_bytes())
        );
    }
}

/// The loaded path multiplies with the key's precomputed table (a
/// different scalar multiplication from the by-bytes calls): for random
/// keys from outside the module, and for scalars whose top stripes or
/// whole windows are zero, it gives the reference's shared secret and
/// verdicts, and the by-bytes calls' answers.
#[test]
fn key_tables_agree_with_reference_for_random_keys_and_edge_scalars() {
    let module = module();
    for (curve, n) in [(Curve::P256, common::P256_N), (Curve::P384, common::P384_N)] {
        let len = curve.scalar_len();
        let oc = common::oracle_curve(curve);
        let n = hex(n);
        let mut n_minus_1 = n.clone();
        n_minus_1[len - 1] -= 1;
        let mut two = vec![0u8; len];
        two[len - 1] = 2;
        let mut low = vec![0u8; len]; // below 2^40: every top stripe zero
        low[len - 5..].copy_from_slice(&[0x9a, 0x31, 0x07, 0xee, 0x51]);
        let mut high = vec![0u8; len]; // only the top byte: the low windows zero
        high[0] = 0x80;
        let mut scalars = vec![n_minus_1, two, low, high];
        scalars.extend((0..12).map(|_| svsm_oracle::ecc_keygen(oc).0));
        for round in 0..8 {
            let (qd, qxy) = svsm_oracle::ecc_keygen(oc);
            let q = PublicKey::from_bytes(curve, &qxy).unwrap();
            let loaded = module.ecc_load_public_key(&q).unwrap().into_value();
            for d in &scalars {
                let want = svsm_oracle::ecdh(oc, d, &qxy).unwrap();
                let d = PrivateKey::from_bytes(curve, d).unwrap();
                let z = loaded.ecdh(&d).unwrap().into_value();
                assert_eq!(z.as_bytes(), &want[..], "{curve:?} round {round}");
                let by_bytes = module.ecdh(&d, &q).unwrap().into_value();
                assert_eq!(z.as_bytes(), by_bytes.as_bytes());
            }
            // d = 1: Z is Q's own x.
            let mut one = vec![0u8; len];
            one[len - 1] = 1;
            let z = loaded
                .ecdh(&PrivateKey::from_bytes(curve, &one).unwrap())
                .unwrap()
                .into_value();
            assert_eq!(z.as_bytes(), &qxy[..len]);

            // Signatures by the reference (deterministic k): the loaded key
            // accepts each, refuses it for another digest, and answers as
            // the by-bytes call and the reference do.
            for digest_len in [len, 64] {
                let digest = common::random_bytes(digest_len);
                let rs = svsm_oracle::ecdsa_sign(oc, &qd, &digest).unwrap();
                let sig = Signature::from_bytes(curve, &rs).unwrap();
                assert_eq!(
                    loaded.ecdsa_verify_digest(&digest, &sig),
                    Ok(Indicator::Approved),
                    "{curve:?} round {round}, digest {digest_len}"
                );
                let mut other = digest.clone();
                other[0] ^= 0x40;
                assert!(loaded.ecdsa_verify_digest(&other, &sig).is_err());
                assert!(!svsm_oracle::ecdsa_verify(oc, &qxy, &other, &rs));
                assert_eq!(
                    loaded.ecdsa_verify_digest(&other, &sig),
                    module.ecdsa_verify_digest(&q, &other, &sig)
                );
            }
        }
    }
}
