//! Timing: each operation in the five implementations ([`IMPLS`]) that offer
//! it, interleaved.

use std::hint::black_box;

use openssl::ec::EcKey;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use p384::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, RngCore, SeedableRng};
use svsm_crypto::{Curve, Error, HashAlg};
use svsm_oracle as oracle;

use super::adapters::*;
use super::fixture::{BULK_SIZES, Fixture, array};
use super::peers;
use crate::measure::{Op, Plan, Stats, measure};

/// One row of the host table.
pub struct Row {
    pub group: &'static str,
    pub name: String,
    /// Bytes processed per operation, for throughput.
    pub bytes: Option<usize>,
    /// One entry per [`IMPLS`] (a diagnostic row has the module only); `None`
    /// where that implementation does not offer the operation.
    pub stats: Vec<Option<Stats>>,
    pub note: &'static str,
}

pub struct Bench {
    plan: Plan,
    pub rows: Vec<Row>,
    verbose: bool,
}

impl Bench {
    pub fn new(plan: Plan, verbose: bool) -> Self {
        Bench {
            plan,
            rows: Vec::new(),
            verbose,
        }
    }

    pub(super) fn row(
        &mut self,
        group: &'static str,
        name: String,
        bytes: Option<usize>,
        note: &'static str,
        ops: Vec<Option<Op<'_>>>,
    ) {
        if self.verbose {
            eprintln!("  timing {name}");
        }
        let offered: Vec<bool> = ops.iter().map(Option::is_some).collect();
        let mut present: Vec<Op<'_>> = ops.into_iter().flatten().collect();
        let mut measured = measure(self.plan, &mut present).into_iter();
        let stats = offered
            .into_iter()
            .map(|o| if o { measured.next() } else { None })
            .collect();
        self.rows.push(Row {
            group,
            name,
            bytes,
            stats,
            note,
        });
    }
}

impl Bench {
    /// Module-only rows timed together (interleaved); one row per op.
    fn group(
        &mut self,
        group: &'static str,
        names: Vec<(&'static str, Option<usize>)>,
        mut ops: Vec<Op<'_>>,
    ) {
        if self.verbose {
            eprintln!("  timing {}", names[0].0);
        }
        let stats = measure(self.plan, &mut ops);
        for ((name, bytes), s) in names.into_iter().zip(stats) {
            self.rows.push(Row {
                group,
                name: name.to_string(),
                bytes,
                stats: vec![Some(s)],
                note: "module only, timed interleaved with the rows of its group",
            });
        }
    }
}

/// One implementation's operation in a row.
pub(super) fn op<'a>(f: impl FnMut() + 'a) -> Option<Op<'a>> {
    Some(Box::new(f))
}

fn size_label(n: usize) -> String {
    if n >= 1024 * 1024 {
        format!("{} MiB", n / (1024 * 1024))
    } else if n >= 1024 {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} B")
    }
}

pub fn bench(f: &Fixture, b: &mut Bench) -> Result<(), Error> {
    let m = f.module;

    for &n in &BULK_SIZES {
        let pt = &f.msg[..n];
        let (iv, aad) = (&f.iv, &f.aad);
        let mut mkey = f.aes_module()?;
        let mut okey = f.aes_ossl(true);
        let rkey = f.aes_rc();
        let (akey, bkey) = (f.aes_awslc(), f.aes_ring());
        let (mut c1, mut c2, mut c3) = (vec![0u8; n], vec![0u8; n], vec![0u8; n]);
        let (mut c4, mut c5) = (vec![0u8; n], vec![0u8; n]);
        let mut t1 = [0u8; 16];
        b.row(
            "AES-256-GCM",
            format!("AES-256-GCM seal {}", size_label(n)),
            Some(n),
            "",
            vec![
                op(|| {
                    let r = mkey.seal_with_iv(iv, aad, pt, &mut c1, &mut t1);
                    let _ = black_box(r).expect("module seal");
                }),
                op(|| {
                    black_box(seal_ossl(&mut okey, iv, aad, pt, &mut c2));
                }),
                op(|| {
                    black_box(seal_rc(&rkey, iv, aad, pt, &mut c3));
                }),
                op(|| {
                    black_box(peers::awslc::seal(&akey, iv, aad, pt, &mut c4));
                }),
                op(|| {
                    black_box(peers::ring::seal(&bkey, iv, aad, pt, &mut c5));
                }),
            ],
        );
        let mut ct = vec![0u8; n];
        let tag = seal_rc(&rkey, iv, aad, pt, &mut ct);
        let ct = &ct;
        let mut mkey = f.aes_module()?;
        let mut okey = f.aes_ossl(false);
        let (mut p1, mut p2, mut p3) = (vec![0u8; n], vec![0u8; n], vec![0u8; n]);
        let (mut p4, mut p5) = (vec![0u8; n], vec![0u8; n]);
        let sealed = &Sealed {
            iv,
            aad,
            ct,
            tag: &tag,
        };
        b.row(
            "AES-256-GCM",
            format!("AES-256-GCM open {}", size_label(n)),
            Some(n),
            "",
            vec![
                op(|| {
                    let _ = black_box(mkey.open(iv, aad, ct, &tag, &mut p1)).expect("module open");
                }),
                op(|| {
                    assert!(black_box(open_ossl(&mut okey, iv, aad, ct, &tag, &mut p2)));
                }),
                op(|| assert!(black_box(open_rc(&rkey, sealed, &mut p3)))),
                op(|| assert!(black_box(peers::awslc_open(&akey, sealed, &mut p4)))),
                op(|| assert!(black_box(peers::ring_open(&bkey, sealed, &mut p5)))),
            ],
        );
    }

    for (alg, reference, label) in [
        (HashAlg::Sha256, oracle::HashAlg::Sha256, "SHA-256"),
        (HashAlg::Sha384, oracle::HashAlg::Sha384, "SHA-384"),
        (HashAlg::Sha512, oracle::HashAlg::Sha512, "SHA-512"),
    ] {
        for &n in &BULK_SIZES {
            let msg = &f.msg[..n];
            b.row(
                "SHA-2",
                format!("{label} {}", size_label(n)),
                Some(n),
                "",
                vec![
                    op(|| {
                        let _ = black_box(m.hash(alg, black_box(msg))).expect("module hash");
                    }),
                    op(|| {
                        black_box(hash_ossl(alg, black_box(msg)));
                    }),
                    op(|| {
                        black_box(oracle::hash(reference, black_box(msg)));
                    }),
                    op(|| {
                        black_box(peers::awslc::hash(alg, black_box(msg)));
                    }),
                    op(|| {
                        black_box(peers::ring::hash(alg, black_box(msg)));
                    }),
                ],
            );
        }
    }

    let msg = &f.msg[..1024];
    let key = &f.hmac_key;
    let pkey = PKey::hmac(key).expect("HMAC key");
    let (mut t1, mut t2) = ([0u8; 48], [0u8; 48]);
    b.row(
        "HMAC/HKDF",
        "HMAC-SHA-384 1 KiB".into(),
        Some(1024),
        "key passed with each call (stateless)",
        vec![
            op(|| {
                let _ = black_box(m.hmac(HashAlg::Sha384, key, msg, &mut t1)).expect("module HMAC");
            }),
            op(|| {
                let mut s = Signer::new(MessageDigest::sha384(), &pkey).expect("HMAC signer");
                s.update(msg).expect("HMAC update");
                black_box(s.sign(&mut t2)).expect("HMAC final");
            }),
            op(|| {
                black_box(oracle::hmac(oracle::HashAlg::Sha384, key, msg));
            }),
            op(|| {
                black_box(peers::awslc::hmac_sha384(key, msg));
            }),
            op(|| {
                black_box(peers::ring::hmac_sha384(key, msg));
            }),
        ],
    );
    let (mut o1, mut o2, mut o3) = ([0u8; 48], [0u8; 48], Vec::new());
    let (mut o4, mut o5) = ([0u8; 48], [0u8; 48]);
    b.row(
        "HMAC/HKDF",
        "HKDF-SHA-384 (48 B IKM/salt, 32 B info, 48 B out)".into(),
        None,
        "",
        vec![
            op(|| assert!(hkdf_module(m, &f.ikm, &f.salt, &f.info, &mut o1))),
            op(|| assert!(hkdf_ossl(&f.ikm, &f.salt, &f.info, &mut o2))),
            op(|| {
                o3 = oracle::hkdf(oracle::HashAlg::Sha384, &f.ikm, &f.salt, &f.info, 48)
                    .expect("48 B of HKDF-SHA-384");
            }),
            op(|| assert!(peers::awslc::hkdf_sha384(&f.ikm, &f.salt, &f.info, &mut o4))),
            op(|| assert!(peers::ring::hkdf_sha384(&f.ikm, &f.salt, &f.info, &mut o5))),
        ],
    );

    let group = &f.group;
    b.row(
        "ECC P-384",
        "ECDSA P-384 keygen".into(),
        None,
        "module includes the pairwise consistency test; ring returns a PKCS#8 document",
        vec![
            op(|| {
                let _ = black_box(m.ecc_keygen(Curve::P384)).expect("module keygen");
            }),
            op(|| {
                black_box(EcKey::generate(group)).expect("OpenSSL keygen");
            }),
            op(|| {
                black_box(p384::SecretKey::random(&mut OsRng).public_key());
            }),
            op(peers::awslc_keygen),
            op(peers::ring_keygen),
        ],
    );
    let digest = &f.digest;
    let signed = &f.msg[..1024];
    let rc_signer = p384::ecdsa::SigningKey::from(&f.a.rc_secret);
    b.row(
        "ECC P-384",
        "ECDSA P-384 sign (SHA-384 digest)".into(),
        None,
        "module: private key passed with each call; ring signs the 1 KiB message (no prehash API)",
        vec![
            op(|| {
                let _ = black_box(m.ecdsa_sign_digest(&f.a.module_private, digest))
                    .expect("module sign");
            }),
            op(|| {
                black_box(EcdsaSig::sign(digest, &f.a.ossl_private)).expect("OpenSSL sign");
            }),
            op(|| {
                let s: p384::ecdsa::Signature =
                    rc_signer.sign_prehash(digest).expect("RustCrypto sign");
                black_box(s);
            }),
            op(|| {
                black_box(peers::awslc_sign_digest(&f.a.peers.awslc_ecdsa, digest));
            }),
            op(|| {
                black_box(peers::ring_sign(&f.a.peers.ring_ecdsa, signed));
            }),
        ],
    );
    let sig_m = m
        .ecdsa_sign_digest(&f.a.module_private, digest)?
        .into_value();
    let sig_o = EcdsaSig::sign(digest, &f.a.ossl_private).expect("OpenSSL sign");
    let sig_r: p384::ecdsa::Signature = rc_signer.sign_prehash(digest).expect("RustCrypto sign");
    let rc_verifier = p384::ecdsa::VerifyingKey::from(&f.a.rc_public);
    let sig_a = peers::awslc_sign_digest(&f.a.peers.awslc_ecdsa, digest);
    let sig_b = peers::ring_sign(&f.a.peers.ring_ecdsa, signed);
    let q = &f.a.peers.sec1;
    b.row(
        "ECC P-384",
        "ECDSA P-384 verify (SHA-384 digest)".into(),
        None,
        "public key passed (and validated) with each call; ring verifies over the 1 KiB message (no prehash API)",
        vec![
            op(|| {
                let _ = black_box(m.ecdsa_verify_digest(&f.a.module_public, digest, &sig_m))
                    .expect("module verify");
            }),
            op(|| {
                assert!(black_box(sig_o.verify(digest, &f.a.ossl_public)).expect("verify"));
            }),
            op(|| {
                black_box(rc_verifier.verify_prehash(digest, &sig_r)).expect("RustCrypto verify");
            }),
            op(|| assert!(black_box(peers::awslc_verify_digest(q, digest, &sig_a)))),
            op(|| assert!(black_box(peers::ring_verify(q, signed, &sig_b)))),
        ],
    );
    b.row(
        "ECC P-384",
        "ECDH P-384 shared secret".into(),
        None,
        "all validate the peer key on each call; ring has no static-key ECDH",
        vec![
            op(|| {
                let _ = black_box(m.ecdh(&f.a.module_private, &f.b.module_public))
                    .expect("module ECDH");
            }),
            op(|| {
                black_box(ecdh_ossl(&f.a.ossl_pkey_private, &f.b.ossl_pkey_public));
            }),
            op(|| {
                black_box(ecdh_rc(&f.a.rc_secret, &f.b.rc_public));
            }),
            op(|| {
                black_box(peers::awslc_ecdh(&f.a.peers.awslc_ecdh, &f.b.peers.sec1));
            }),
            None,
        ],
    );

    f.p256.bench(b)?;

    // The same keys used repeatedly: each implementation's prepared form.
    let loaded_a = m.ecc_load_public_key(&f.a.module_public)?.into_value();
    let loaded_b = m.ecc_load_public_key(&f.b.module_public)?.into_value();
    let parsed_a = peers::awslc_verifier(q).expect("AWS-LC parses the key");
    let parsed_b = peers::awslc_ecdh_peer(&f.b.peers.sec1).expect("AWS-LC parses the key");
    b.row(
        "ECC P-384",
        "ECDSA P-384 verify, public key used repeatedly".into(),
        None,
        "module: loaded key (validated in full once); OpenSSL, RustCrypto: prepared keys as above; AWS-LC: ParsedPublicKey; ring has no parsed form",
        vec![
            op(|| {
                let _ = black_box(loaded_a.ecdsa_verify_digest(digest, &sig_m))
                    .expect("module verify");
            }),
            op(|| {
                assert!(black_box(sig_o.verify(digest, &f.a.ossl_public)).expect("verify"));
            }),
            op(|| {
                black_box(rc_verifier.verify_prehash(digest, &sig_r)).expect("RustCrypto verify");
            }),
            op(|| {
                assert!(black_box(peers::awslc_verify_digest_parsed(
                    &parsed_a, digest, &sig_a
                )))
            }),
            None,
        ],
    );
    b.row(
        "ECC P-384",
        "ECDH P-384, peer key used repeatedly".into(),
        None,
        "module: loaded peer key (validated in full once); AWS-LC: ParsedPublicKey (cloned per call); ring has no static-key ECDH",
        vec![
            op(|| {
                let _ = black_box(loaded_b.ecdh(&f.a.module_private)).expect("module ECDH");
            }),
            op(|| {
                black_box(ecdh_ossl(&f.a.ossl_pkey_private, &f.b.ossl_pkey_public));
            }),
            op(|| {
                black_box(ecdh_rc(&f.a.rc_secret, &f.b.rc_public));
            }),
            op(|| {
                black_box(peers::awslc_ecdh_parsed(&f.a.peers.awslc_ecdh, &parsed_b));
            }),
            None,
        ],
    );

    for n in [32usize, 4096] {
        let mut drbg = m.drbg(b"svsm-bench")?.into_value();
        let mut chacha = ChaCha20Rng::from_seed(array(9));
        let (mut r1, mut r2, mut r3) = (vec![0u8; n], vec![0u8; n], vec![0u8; n]);
        let (mut r4, mut r5) = (vec![0u8; n], vec![0u8; n]);
        let (arng, brng) = (
            aws_lc_rs::rand::SystemRandom::new(),
            ring::rand::SystemRandom::new(),
        );
        b.row(
            "DRBG",
            format!("random {}", size_label(n)),
            Some(n),
            "module CTR_DRBG (AES-256, df) on a caller instance; OpenSSL and AWS-LC RAND_bytes (CTR_DRBG AES-256); ChaCha20Rng and ring (getrandom) are not SP 800-90A DRBGs",
            vec![
                op(|| match drbg.generate(&mut r1, &[]) {
                    Err(Error::Limit) => {
                        let _ = drbg.reseed(&[]).expect("module reseed");
                    }
                    other => {
                        let _ = black_box(other).expect("module generate");
                    }
                }),
                op(|| openssl::rand::rand_bytes(black_box(&mut r2)).expect("RAND_bytes")),
                op(|| chacha.fill_bytes(black_box(&mut r3))),
                op(|| peers::awslc::random(&arng, black_box(&mut r4))),
                op(|| peers::ring::random(&brng, black_box(&mut r5))),
            ],
        );
    }

    // Module-only rows that explain the costs above, each group timed
    // interleaved so that the rows of a group compare without drift.
    let mut raw_key = f.aes_key;
    let pt = &f.msg[..1024];
    let mut k1 = f.aes_module()?;
    let mut k2 = f.aes_module()?;
    let (mut c1, mut t1, mut c2, mut t2) = (vec![0u8; 1024], [0u8; 16], vec![0u8; 1024], [0u8; 16]);
    b.group(
        "module only",
        vec![
            ("AES-256-GCM key setup (aes_gcm_key + drop)", None),
            ("AES-256-GCM seal 1 KiB, caller IV (as above)", Some(1024)),
            (
                "AES-256-GCM seal 1 KiB, module-generated IV (approved)",
                Some(1024),
            ),
        ],
        vec![
            Box::new(|| {
                raw_key[0] = black_box(raw_key[0]);
                black_box(m.aes_gcm_key(&raw_key)).expect("module key");
            }),
            Box::new(|| {
                let _ = black_box(k1.seal_with_iv(&f.iv, &f.aad, pt, &mut c1, &mut t1))
                    .expect("module seal");
            }),
            Box::new(|| {
                let _ = black_box(k2.seal(&f.aad, pt, &mut c2, &mut t2)).expect("module seal");
            }),
        ],
    );
    b.group(
        "module only",
        vec![
            ("P-384 d*G (public key from private)", None),
            ("P-384 full public-key validation", None),
            ("P-384 public-key load (validation + table)", None),
            ("ECDSA P-384 sign (as above)", None),
            ("ECDSA P-384 verify (as above)", None),
            ("ECDSA P-384 verify, loaded key (as above)", None),
            ("ECDH P-384 (as above)", None),
            ("ECDH P-384, loaded peer key (as above)", None),
        ],
        vec![
            Box::new(|| {
                let _ = black_box(m.ecc_public_key(&f.a.module_private)).expect("module d*G");
            }),
            Box::new(|| {
                let _ = black_box(m.ecc_validate_public_key(&f.a.module_public))
                    .expect("module validate");
            }),
            Box::new(|| {
                let _ = black_box(m.ecc_load_public_key(&f.a.module_public)).expect("module load");
            }),
            Box::new(|| {
                let _ = black_box(m.ecdsa_sign_digest(&f.a.module_private, digest))
                    .expect("module sign");
            }),
            Box::new(|| {
                let _ = black_box(m.ecdsa_verify_digest(&f.a.module_public, digest, &sig_m))
                    .expect("module verify");
            }),
            Box::new(|| {
                let _ =
                    black_box(loaded_a.ecdsa_verify_digest(digest, &sig_m)).expect("module verify");
            }),
            Box::new(|| {
                let _ = black_box(m.ecdh(&f.a.module_private, &f.b.module_public))
                    .expect("module ECDH");
            }),
            Box::new(|| {
                let _ = black_box(loaded_b.ecdh(&f.a.module_private)).expect("module ECDH");
            }),
        ],
    );
    Ok(())
}

/// Names of the implementations, in the order of `Row::stats`.
pub const IMPLS: [&str; 5] = ["module", "OpenSSL", "RustCrypto", "AWS-LC", "ring"];
