//! The two FIPS-lineage peers: AWS-LC (through `aws-lc-rs`) and BoringSSL
//! (through `ring`). ring's API is the one aws-lc-rs copies, so the calls
//! both offer are written once ([`peer!`]); what differs (ECDSA: AWS-LC signs
//! a digest, ring only a message; ECDH with a static key: AWS-LC only) is
//! written beside.
//!
//! Keys are set up once, from the module's key bytes (`Peers::new`); the
//! timing loops then call one operation at a time, as for the other peers.

/// The calls aws-lc-rs and ring spell alike, for one of the two crates.
macro_rules! peer {
    ($name:ident, $krate:ident) => {
        pub mod $name {
            use $krate::rand::SecureRandom;
            use $krate::{aead, digest, hkdf, hmac};

            /// HKDF output length (both crates take it as a `KeyType`).
            struct Len(usize);

            impl hkdf::KeyType for Len {
                fn len(&self) -> usize {
                    self.0
                }
            }

            pub fn aead_key(key: &[u8; 32]) -> aead::LessSafeKey {
                aead::LessSafeKey::new(
                    aead::UnboundKey::new(&aead::AES_256_GCM, key).expect("AES-256 key"),
                )
            }

            /// In place, like RustCrypto: the plaintext is first copied into
            /// the output buffer.
            pub fn seal(
                key: &aead::LessSafeKey,
                iv: &[u8; 12],
                aad: &[u8],
                pt: &[u8],
                ct: &mut [u8],
            ) -> [u8; 16] {
                ct.copy_from_slice(pt);
                let tag = key
                    .seal_in_place_separate_tag(
                        aead::Nonce::assume_unique_for_key(*iv),
                        aead::Aad::from(aad),
                        ct,
                    )
                    .expect("GCM seal");
                let mut out = [0u8; 16];
                out.copy_from_slice(tag.as_ref());
                out
            }

            pub fn hash(alg: svsm_crypto::HashAlg, msg: &[u8]) -> Vec<u8> {
                let alg = match alg {
                    svsm_crypto::HashAlg::Sha256 => &digest::SHA256,
                    svsm_crypto::HashAlg::Sha384 => &digest::SHA384,
                    svsm_crypto::HashAlg::Sha512 => &digest::SHA512,
                };
                digest::digest(alg, msg).as_ref().to_vec()
            }

            /// HMAC-SHA-384 with the key set up in the call (the module
            /// takes the key with each call too).
            pub fn hmac_sha384(key: &[u8], msg: &[u8]) -> Vec<u8> {
                hmac::sign(&hmac::Key::new(hmac::HMAC_SHA384, key), msg)
                    .as_ref()
                    .to_vec()
            }

            pub fn hkdf_sha384(ikm: &[u8], salt: &[u8], info: &[u8], okm: &mut [u8]) -> bool {
                let info = [info];
                hkdf::Salt::new(hkdf::HKDF_SHA384, salt)
                    .extract(ikm)
                    .expand(&info, Len(okm.len()))
                    .and_then(|o| o.fill(okm))
                    .is_ok()
            }

            pub fn random(rng: &$krate::rand::SystemRandom, out: &mut [u8]) {
                rng.fill(out).expect("random bytes");
            }
        }
    };
}

use super::adapters::Sealed;

peer!(awslc, aws_lc_rs);
peer!(ring, ring);

/// A P-384 key in each FIPS-lineage peer's form, from the module's bytes
/// (`d`, and the SEC 1 uncompressed point `04 || x || y`).
pub struct PeerKey {
    pub(super) sec1: Vec<u8>,
    pub(super) awslc_ecdsa: aws_lc_rs::signature::EcdsaKeyPair,
    pub(super) awslc_ecdh: aws_lc_rs::agreement::PrivateKey,
    pub(super) ring_ecdsa: ::ring::signature::EcdsaKeyPair,
}

impl PeerKey {
    pub fn new(d: &[u8], sec1: Vec<u8>) -> Result<Self, String> {
        let alg_awslc = &aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED_SIGNING;
        let alg_ring = &::ring::signature::ECDSA_P384_SHA384_FIXED_SIGNING;
        Ok(PeerKey {
            awslc_ecdsa: aws_lc_rs::signature::EcdsaKeyPair::from_private_key_and_public_key(
                alg_awslc, d, &sec1,
            )
            .map_err(|e| format!("AWS-LC rejects the module's key pair: {e}"))?,
            awslc_ecdh: aws_lc_rs::agreement::PrivateKey::from_private_key(
                &aws_lc_rs::agreement::ECDH_P384,
                d,
            )
            .map_err(|e| format!("AWS-LC rejects the module's ECDH key: {e}"))?,
            ring_ecdsa: ::ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
                alg_ring,
                d,
                &sec1,
                &::ring::rand::SystemRandom::new(),
            )
            .map_err(|e| format!("ring rejects the module's key pair: {e}"))?,
            sec1,
        })
    }
}

/// AWS-LC: AES-GCM open from one buffer into another (as the module does).
pub fn awslc_open(key: &aws_lc_rs::aead::LessSafeKey, m: &Sealed<'_>, pt: &mut [u8]) -> bool {
    key.open_separate_gather(
        aws_lc_rs::aead::Nonce::assume_unique_for_key(*m.iv),
        aws_lc_rs::aead::Aad::from(m.aad),
        m.ct,
        m.tag,
        pt,
    )
    .is_ok()
}

/// ring: AES-GCM open in place (the ciphertext is first copied into the
/// output buffer).
pub fn ring_open(key: &::ring::aead::LessSafeKey, m: &Sealed<'_>, pt: &mut [u8]) -> bool {
    pt.copy_from_slice(m.ct);
    key.open_in_place_separate_tag(
        ::ring::aead::Nonce::assume_unique_for_key(*m.iv),
        ::ring::aead::Aad::from(m.aad),
        ::ring::aead::Tag::from(*m.tag),
        pt,
        0..,
    )
    .is_ok()
}

/// ring: ECDSA P-384 over SHA-384 of `msg` (it has no prehash API),
/// fixed-length r || s.
pub fn ring_sign(key: &::ring::signature::EcdsaKeyPair, msg: &[u8]) -> Vec<u8> {
    key.sign(&::ring::rand::SystemRandom::new(), msg)
        .expect("ECDSA sign")
        .as_ref()
        .to_vec()
}

/// ring: parses (and checks) the uncompressed point on each call; the curve
/// (and its hash) follows from the point's length.
pub fn ring_verify(public: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let alg = if public.len() == 65 {
        &::ring::signature::ECDSA_P256_SHA256_FIXED
    } else {
        &::ring::signature::ECDSA_P384_SHA384_FIXED
    };
    ::ring::signature::UnparsedPublicKey::new(alg, public)
        .verify(msg, sig)
        .is_ok()
}

/// The SHA-2 of a digest's length (32: SHA-256 for P-256, 48: SHA-384).
fn awslc_digest(digest: &[u8]) -> Option<aws_lc_rs::digest::Digest> {
    let alg = if digest.len() == 32 {
        &aws_lc_rs::digest::SHA256
    } else {
        &aws_lc_rs::digest::SHA384
    };
    aws_lc_rs::digest::Digest::import_less_safe(digest, alg).ok()
}

/// AWS-LC only: ECDSA P-384 over a SHA-384 digest (ring signs messages).
pub fn awslc_sign_digest(key: &aws_lc_rs::signature::EcdsaKeyPair, digest: &[u8]) -> Vec<u8> {
    let d = awslc_digest(digest).expect("SHA-2 digest");
    key.sign_digest(&d).expect("ECDSA sign").as_ref().to_vec()
}

/// The point parsed and checked on each call.
pub fn awslc_verify_digest(public: &[u8], digest: &[u8], sig: &[u8]) -> bool {
    awslc_verifier(public).is_ok_and(|key| awslc_verify_digest_parsed(&key, digest, sig))
}

/// AWS-LC's form of a public key parsed (and checked) once, for repeated
/// verification; the curve follows from the point's length.
pub fn awslc_verifier(
    public: &[u8],
) -> Result<aws_lc_rs::signature::ParsedPublicKey, aws_lc_rs::error::KeyRejected> {
    let alg = if public.len() == 65 {
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED
    } else {
        &aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED
    };
    aws_lc_rs::signature::ParsedPublicKey::new(alg, public)
}

pub fn awslc_verify_digest_parsed(
    key: &aws_lc_rs::signature::ParsedPublicKey,
    digest: &[u8],
    sig: &[u8],
) -> bool {
    awslc_digest(digest).is_some_and(|d| key.verify_digest_sig(&d, sig).is_ok())
}

/// AWS-LC only: ECDH with a static private key (ring's are ephemeral);
/// the peer's point is parsed and checked on each call.
pub fn awslc_ecdh(own: &aws_lc_rs::agreement::PrivateKey, peer_sec1: &[u8]) -> Vec<u8> {
    let peer =
        aws_lc_rs::agreement::UnparsedPublicKey::new(&aws_lc_rs::agreement::ECDH_P384, peer_sec1);
    aws_lc_rs::agreement::agree(own, peer, (), |z| Ok(z.to_vec())).unwrap_or_default()
}

/// AWS-LC's form of a peer key parsed (and checked) once, for repeated ECDH.
pub fn awslc_ecdh_peer(
    peer_sec1: &[u8],
) -> Result<aws_lc_rs::agreement::ParsedPublicKey, aws_lc_rs::error::KeyRejected> {
    let peer =
        aws_lc_rs::agreement::UnparsedPublicKey::new(&aws_lc_rs::agreement::ECDH_P384, peer_sec1);
    aws_lc_rs::agreement::ParsedPublicKey::try_from(&peer)
}

/// `agree` consumes its peer key: each call takes a clone of the parsed key
/// (a reference count and a copy of the 97 encoded bytes).
pub fn awslc_ecdh_parsed(
    own: &aws_lc_rs::agreement::PrivateKey,
    peer: &aws_lc_rs::agreement::ParsedPublicKey,
) -> Vec<u8> {
    aws_lc_rs::agreement::agree(own, peer.clone(), (), |z| Ok(z.to_vec())).unwrap_or_default()
}

/// AWS-LC's d*G for its copy of the key: x || y.
pub fn awslc_public(own: &aws_lc_rs::agreement::PrivateKey) -> Vec<u8> {
    own.compute_public_key()
        .map(|q| q.as_ref().get(1..).unwrap_or_default().to_vec())
        .unwrap_or_default()
}

/// AWS-LC: a P-384 key pair.
pub fn awslc_keygen() {
    std::hint::black_box(
        aws_lc_rs::signature::EcdsaKeyPair::generate(
            &aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        )
        .expect("AWS-LC keygen"),
    );
}

/// ring: a P-384 key pair, which ring returns only as a PKCS#8 document.
pub fn ring_keygen() {
    std::hint::black_box(
        ::ring::signature::EcdsaKeyPair::generate_pkcs8(
            &::ring::signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            &::ring::rand::SystemRandom::new(),
        )
        .expect("ring keygen"),
    );
}
