//! Hash_DRBG with SHA-256 (SP 800-90A rev. 1, 10.1.1), written from the
//! specification as a model independent of the module.

use sha2::{Digest, Sha256};

/// Hash_DRBG with SHA-256 (SP 800-90A rev. 1, 10.1.1), written from the
/// specification as an independent model.
#[derive(Clone)]
pub struct HashDrbg {
    v: [u8; Self::SEED_LEN],
    c: [u8; Self::SEED_LEN],
    reseed_counter: u64,
}

impl HashDrbg {
    /// seedlen for SHA-256: 440 bits.
    const SEED_LEN: usize = 55;

    fn hash_df(parts: &[&[u8]]) -> [u8; Self::SEED_LEN] {
        let bits = (Self::SEED_LEN * 8) as u32;
        let mut out = Vec::with_capacity(64);
        let mut counter = 1u8;
        while out.len() < Self::SEED_LEN {
            let mut h = Sha256::new();
            h.update([counter]);
            h.update(bits.to_be_bytes());
            for p in parts {
                h.update(p);
            }
            out.extend_from_slice(&h.finalize());
            counter = counter.wrapping_add(1);
        }
        let mut seed = [0u8; Self::SEED_LEN];
        seed.copy_from_slice(&out[..Self::SEED_LEN]);
        seed
    }

    /// v = (v + x) mod 2^seedlen, x big-endian and at most seedlen long.
    fn add(v: &mut [u8; Self::SEED_LEN], x: &[u8]) {
        let mut carry = 0u16;
        let mut xi = x.iter().rev();
        for b in v.iter_mut().rev() {
            let s = *b as u16 + *xi.next().unwrap_or(&0) as u16 + carry;
            *b = s as u8;
            carry = s >> 8;
        }
    }

    pub fn instantiate(entropy: &[u8], nonce: &[u8], perso: &[u8]) -> Self {
        let v = Self::hash_df(&[entropy, nonce, perso]);
        let c = Self::hash_df(&[&[0], &v]);
        HashDrbg {
            v,
            c,
            reseed_counter: 1,
        }
    }

    pub fn reseed(&mut self, entropy: &[u8], additional: &[u8]) {
        let v = Self::hash_df(&[&[1], &self.v, entropy, additional]);
        self.c = Self::hash_df(&[&[0], &v]);
        self.v = v;
        self.reseed_counter = 1;
    }

    pub fn generate(&mut self, len: usize, additional: &[u8]) -> Vec<u8> {
        if !additional.is_empty() {
            let w = Sha256::new()
                .chain_update([2])
                .chain_update(self.v)
                .chain_update(additional)
                .finalize();
            Self::add(&mut self.v, &w);
        }
        let mut data = self.v;
        let mut out = Vec::with_capacity(len + 32);
        while out.len() < len {
            out.extend_from_slice(&Sha256::digest(data));
            Self::add(&mut data, &[1]);
        }
        out.truncate(len);
        let h = Sha256::new()
            .chain_update([3])
            .chain_update(self.v)
            .finalize();
        let c = self.c;
        Self::add(&mut self.v, &h);
        Self::add(&mut self.v, &c);
        Self::add(&mut self.v, &self.reseed_counter.to_be_bytes());
        self.reseed_counter += 1;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CAVP Hash_DRBG SHA-256, no PR, no reseed, count 0: the second
    /// generate's 1024 bits.
    #[test]
    fn cavp_count_0() {
        let unhex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        let mut d = HashDrbg::instantiate(
            &unhex("a65ad0f345db4e0effe875c3a2e71f42c7129d620ff5c119a9ef55f05185e0fb"),
            &unhex("8581f9317517276e06e9607ddbcbcc2e"),
            &[],
        );
        d.generate(128, &[]);
        assert_eq!(
            d.generate(128, &[])[..32],
            unhex("d3e160c35b99f340b2628264d1751060e0045da383ff57a57d73a673d2b8d80d")[..]
        );
    }
}
