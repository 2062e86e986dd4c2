//! ECDSA, ECDH and public-key derivation on P-256 and P-384 (RustCrypto).

use crate::Curve;

macro_rules! curve_ops {
    ($name:ident, $krate:ident, $uint:ident) => {
        mod $name {
            use $krate::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
            use $krate::ecdsa::{Signature, SigningKey, VerifyingKey};
            use $krate::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
            use $krate::{PublicKey, SecretKey};

            fn public_bytes(pk: &PublicKey) -> Vec<u8> {
                pk.to_encoded_point(false).as_bytes()[1..].to_vec()
            }

            /// X || Y to a validated public key (on the curve, not identity).
            pub fn public(xy: &[u8]) -> Option<PublicKey> {
                let mut sec1 = vec![4u8];
                sec1.extend_from_slice(xy);
                let ep = $krate::EncodedPoint::from_bytes(&sec1).ok()?;
                Option::from(PublicKey::from_encoded_point(&ep))
            }

            pub fn derive(d: &[u8]) -> Option<Vec<u8>> {
                Some(public_bytes(&SecretKey::from_slice(d).ok()?.public_key()))
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
                let (Some(pk), Ok(sig)) = (public(q), Signature::from_slice(sig)) else {
                    return false;
                };
                VerifyingKey::from(&pk).verify_prehash(digest, &sig).is_ok()
            }

            pub fn ecdh(d: &[u8], q: &[u8]) -> Option<Vec<u8>> {
                let sk = SecretKey::from_slice(d).ok()?;
                let pk = public(q)?;
                let shared = $krate::ecdh::diffie_hellman(sk.to_nonzero_scalar(), pk.as_affine());
                Some(shared.raw_secret_bytes().to_vec())
            }

            pub fn equal_points_signature(d: &[u8], k: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
                use $krate::elliptic_curve::Field;
                use $krate::elliptic_curve::ops::Reduce;
                use $krate::elliptic_curve::point::AffineCoordinates;
                use $krate::{ProjectivePoint, Scalar};
                let d = *SecretKey::from_slice(d).ok()?.to_nonzero_scalar();
                let k = *SecretKey::from_slice(k).ok()?.to_nonzero_scalar();
                let x = (ProjectivePoint::GENERATOR * k).to_affine().x();
                let r = <Scalar as Reduce<$krate::$uint>>::reduce_bytes(&x);
                let e = r * d;
                let s = Option::<Scalar>::from(k.invert())? * (e + r * d);
                if bool::from(Field::is_zero(&r) | Field::is_zero(&s)) {
                    return None;
                }
                let mut sig = r.to_bytes().to_vec();
                sig.extend_from_slice(&s.to_bytes());
                Some((e.to_bytes().to_vec(), sig))
            }
        }
    };
}

curve_ops!(p256_ops, p256, U256);
curve_ops!(p384_ops, p384, U384);

/// `X || Y` of the right length for `curve`.
fn sized(curve: Curve, q: &[u8]) -> bool {
    q.len() == 2 * curve.scalar_len()
}

/// The public key d*G of a private scalar; `None` unless 1 <= d < n and d
/// has the curve's length.
pub fn ecc_public(curve: Curve, d: &[u8]) -> Option<Vec<u8>> {
    if d.len() != curve.scalar_len() {
        return None;
    }
    match curve {
        Curve::P256 => p256_ops::derive(d),
        Curve::P384 => p384_ops::derive(d),
    }
}

/// Full public-key validation (SP 800-56A 5.6.2.3.3): the right length, on
/// the curve, not the identity.
pub fn ecc_valid(curve: Curve, q: &[u8]) -> bool {
    sized(curve, q)
        && match curve {
            Curve::P256 => p256_ops::public(q).is_some(),
            Curve::P384 => p384_ops::public(q).is_some(),
        }
}

/// A fresh key pair (OS randomness): (d, X || Y).
pub fn ecc_keygen(curve: Curve) -> (Vec<u8>, Vec<u8>) {
    match curve {
        Curve::P256 => p256_ops::keygen(),
        Curve::P384 => p384_ops::keygen(),
    }
}

/// A deterministic (RFC 6979) ECDSA signature r || s over `digest`.
pub fn ecdsa_sign(curve: Curve, d: &[u8], digest: &[u8]) -> Option<Vec<u8>> {
    if d.len() != curve.scalar_len() {
        return None;
    }
    match curve {
        Curve::P256 => p256_ops::sign(d, digest),
        Curve::P384 => p384_ops::sign(d, digest),
    }
}

/// Whether r || s is a valid ECDSA signature of `digest` under X || Y.
/// A digest shorter than half the field is read as FIPS 186 reads it, as an
/// integer (RustCrypto refuses it unpadded; leading zeros do not change it).
pub fn ecdsa_verify(curve: Curve, q: &[u8], digest: &[u8], sig: &[u8]) -> bool {
    if !sized(curve, q) || sig.len() != 2 * curve.scalar_len() {
        return false;
    }
    let mut padded = vec![0u8; curve.scalar_len().saturating_sub(digest.len())];
    padded.extend_from_slice(digest);
    match curve {
        Curve::P256 => p256_ops::verify(q, &padded, sig),
        Curve::P384 => p384_ops::verify(q, &padded, sig),
    }
}

/// The ECC CDH primitive: the X coordinate of d*Q after validating Q.
pub fn ecdh(curve: Curve, d: &[u8], q: &[u8]) -> Option<Vec<u8>> {
    if !sized(curve, q) || d.len() != curve.scalar_len() {
        return None;
    }
    match curve {
        Curve::P256 => p256_ops::ecdh(d, q),
        Curve::P384 => p384_ops::ecdh(d, q),
    }
}

/// A digest and a valid signature r || s under the key d whose verification
/// adds two equal points: with e = r*d the sum u1*G + u2*Q of FIPS 186-5
/// 6.4.2 has u1*G = (e/s)*G = (r*d/s)*G = u2*Q (r = x(k*G) mod n,
/// s = (e + r*d)/k). `None` unless d and k are in [1, n-1] with the curve's
/// length.
pub fn ecdsa_equal_points_signature(
    curve: Curve,
    d: &[u8],
    k: &[u8],
) -> Option<(Vec<u8>, Vec<u8>)> {
    if d.len() != curve.scalar_len() || k.len() != curve.scalar_len() {
        return None;
    }
    match curve {
        Curve::P256 => p256_ops::equal_points_signature(d, k),
        Curve::P384 => p384_ops::equal_points_signature(d, k),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HashAlg, hash};

    #[test]
    fn sign_verify_and_ecdh_agree() {
        for curve in Curve::ALL {
            let (d, q) = ecc_keygen(curve);
            assert_eq!(ecc_public(curve, &d).unwrap(), q);
            assert!(ecc_valid(curve, &q));
            let digest = hash(HashAlg::Sha256, b"msg");
            let sig = ecdsa_sign(curve, &d, &digest).unwrap();
            assert!(ecdsa_verify(curve, &q, &digest, &sig));
            let mut bad = sig.clone();
            bad[3] ^= 1;
            assert!(!ecdsa_verify(curve, &q, &digest, &bad));
            let (d2, q2) = ecc_keygen(curve);
            assert_eq!(ecdh(curve, &d, &q2), ecdh(curve, &d2, &q));
            let mut off = q.clone();
            off[5] ^= 1;
            assert!(!ecc_valid(curve, &off));
            assert_eq!(ecdh(curve, &d, &off), None);
            assert_eq!(ecc_public(curve, &vec![0; curve.scalar_len()]), None);
        }
    }
}
