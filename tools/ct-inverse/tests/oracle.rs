//! The module's constant-time inversion (host build of ct_inverse.c)
//! against RustCrypto's scalar arithmetic mod the P-256 and P-384 orders:
//! thousands of random inputs and the edge cases (0, 1, 2, n - 2, n - 1,
//! n, n + 1, every 2^k and 2^k - 1, 2^bits - 1, long runs of equal bits).

use p256::elliptic_curve::ops::Reduce;
use p256::elliptic_curve::{Curve, PrimeField};
use svsm_ct_inverse_host::{
    inverse_mont_p256, inverse_mont_p256_in_place, inverse_mont_p384, wiped_bytes,
};

/// splitmix64: reproducible inputs, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// x + k (k small, may be negative), wrapping at 2^(64 W).
fn add_small<const W: usize>(x: [u64; W], k: i64) -> [u64; W] {
    let mut out = x;
    let mut carry = k as i128;
    for w in out.iter_mut() {
        let t = *w as i128 + carry;
        *w = t as u64;
        carry = t >> 64;
    }
    out
}

fn bit<const W: usize>(k: usize) -> [u64; W] {
    let mut x = [0u64; W];
    x[k / 64] = 1 << (k % 64);
    x
}

/// Edge cases and random values below 2^(64 W), n the modulus.
fn inputs<const W: usize>(n: [u64; W], random: usize) -> Vec<[u64; W]> {
    let mut v = vec![
        [0; W],
        add_small([0; W], 1),
        add_small([0; W], 2),
        [u64::MAX; W],
    ];
    for k in [-2, -1, 0, 1, 2] {
        v.push(add_small(n, k));
    }
    for k in 0..64 * W {
        v.push(bit(k));
        v.push(add_small(bit(k), -1));
    }
    let mut rng = Rng(0x5eed_0000 + W as u64);
    for _ in 0..random {
        v.push(core::array::from_fn(|_| rng.next()));
    }
    // Long runs of zero and one bits, alternating, of random lengths.
    for _ in 0..random / 4 {
        let mut x = [0u64; W];
        let (mut pos, mut one) = (0, rng.next() & 1 == 1);
        while pos < 64 * W {
            let len = 1 + (rng.next() % 96) as usize;
            for b in pos..(pos + len).min(64 * W) {
                if one {
                    x[b / 64] |= 1 << (b % 64);
                }
            }
            pos += len;
            one = !one;
        }
        v.push(x);
    }
    v
}

fn be_bytes<const W: usize>(x: &[u64; W]) -> Vec<u8> {
    x.iter().rev().flat_map(|w| w.to_be_bytes()).collect()
}

fn words<const W: usize>(be: &[u8]) -> [u64; W] {
    core::array::from_fn(|i| {
        let at = be.len() - 8 * (i + 1);
        u64::from_be_bytes(be[at..at + 8].try_into().unwrap())
    })
}

/// in^-1 * R^2 mod n (R = 2^(64 W)) by RustCrypto's scalar type S of the
/// curve, 0 for in = 0 mod n.
fn expected<S, U, const W: usize>(x: &[u64; W]) -> [u64; W]
where
    U: p256::elliptic_curve::bigint::Integer,
    S: PrimeField + Reduce<U>,
    <S as Reduce<U>>::Bytes: Default + AsMut<[u8]>,
{
    let mut bytes = <S as Reduce<U>>::Bytes::default();
    bytes.as_mut().copy_from_slice(&be_bytes(x));
    let a = S::reduce_bytes(&bytes);
    let r2 = S::from(2u64).pow_vartime([128 * W as u64]);
    let inv = Option::<S>::from(a.invert()).map_or(S::ZERO, |i| i * r2);
    words(inv.to_repr().as_ref())
}

fn expected_p256(x: &[u64; 4]) -> [u64; 4] {
    expected::<p256::Scalar, p256::U256, 4>(x)
}

fn expected_p384(x: &[u64; 6]) -> [u64; 6] {
    expected::<p384::Scalar, p384::U384, 6>(x)
}

fn check<const W: usize>(
    n: [u64; W],
    inverse: fn(&[u64; W]) -> [u64; W],
    expected: fn(&[u64; W]) -> [u64; W],
) {
    let cases = inputs(n, 4000);
    for x in &cases {
        assert_eq!(inverse(x), expected(x), "input {x:x?}");
    }
    assert!(cases.len() > 4000 + 2 * 64 * W);
}

#[test]
fn p256_matches_rustcrypto() {
    check(
        p256::NistP256::ORDER.to_words(),
        inverse_mont_p256,
        expected_p256,
    );
}

#[test]
fn p384_matches_rustcrypto() {
    check(
        p384::NistP384::ORDER.to_words(),
        inverse_mont_p384,
        expected_p384,
    );
}

#[test]
fn montgomery_round_trip() {
    // The map is x -> R^2 / x (a R -> a^-1 R), so applying it twice gives
    // x back, for every reduced x.
    let mut rng = Rng(7);
    for _ in 0..500 {
        let x: [u64; 4] = expected_p256(&core::array::from_fn(|_| rng.next()));
        assert_eq!(inverse_mont_p256(&inverse_mont_p256(&x)), x);
    }
}

#[test]
fn in_place_equals_out_of_place() {
    let mut rng = Rng(11);
    for _ in 0..200 {
        let x: [u64; 4] = core::array::from_fn(|_| rng.next());
        let mut y = x;
        inverse_mont_p256_in_place(&mut y);
        assert_eq!(y, inverse_mont_p256(&x));
    }
}

#[test]
fn state_is_wiped_on_every_call() {
    let before = wiped_bytes();
    let _ = inverse_mont_p256(&[3, 0, 0, 0]);
    let once = wiped_bytes() - before;
    // f, g, d, e and n in limbs, the reduced input, the matrix: well over
    // 4 * 5 limbs of 8 bytes.
    assert!(once >= 4 * 5 * 8, "wiped {once} bytes");
    let _ = inverse_mont_p384(&[3, 0, 0, 0, 0, 0]);
    assert_eq!(
        wiped_bytes() - before,
        2 * once,
        "one wipe of the same state per call"
    );
}
