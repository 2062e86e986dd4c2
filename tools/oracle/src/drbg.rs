//! CTR_DRBG with AES-256 and the derivation function (SP 800-90A rev. 1,
//! 10.2.1, Block_Cipher_df 10.3.2), written from the specification over the
//! RustCrypto `aes` block cipher as a model independent of the module: one
//! block per `encrypt_block` call, in the order the specification states.

use aes::Aes256;
use aes::cipher::{BlockEncrypt, KeyInit};

const KEY_LEN: usize = 32;
const BLOCK_LEN: usize = 16;
/// seedlen for AES-256: keylen + blocklen = 384 bits.
const SEED_LEN: usize = KEY_LEN + BLOCK_LEN;

/// CTR_DRBG, AES-256, with the derivation function, ctr_len = blocklen.
#[derive(Clone)]
pub struct CtrDrbg {
    key: [u8; KEY_LEN],
    v: [u8; BLOCK_LEN],
    reseed_counter: u64,
}

fn encrypt(key: &[u8; KEY_LEN], block: &[u8; BLOCK_LEN]) -> [u8; BLOCK_LEN] {
    let cipher = Aes256::new(key.into());
    let mut b = (*block).into();
    cipher.encrypt_block(&mut b);
    b.into()
}

/// V = (V + 1) mod 2^128.
fn increment(v: &mut [u8; BLOCK_LEN]) {
    *v = u128::from_be_bytes(*v).wrapping_add(1).to_be_bytes();
}

/// BCC (10.3.3): CBC-MAC with a zero IV over whole blocks.
fn bcc(key: &[u8; KEY_LEN], data: &[u8]) -> [u8; BLOCK_LEN] {
    let mut chain = [0u8; BLOCK_LEN];
    for block in data.chunks(BLOCK_LEN) {
        for (c, b) in chain.iter_mut().zip(block) {
            *c ^= b;
        }
        chain = encrypt(key, &chain);
    }
    chain
}

/// Block_Cipher_df (10.3.2) returning seedlen bits.
fn block_cipher_df(input: &[u8]) -> [u8; SEED_LEN] {
    let mut s = Vec::with_capacity(input.len() + 32);
    s.extend_from_slice(&(input.len() as u32).to_be_bytes());
    s.extend_from_slice(&(SEED_LEN as u32).to_be_bytes());
    s.extend_from_slice(input);
    s.push(0x80);
    while s.len() % BLOCK_LEN != 0 {
        s.push(0);
    }
    let k: [u8; KEY_LEN] = core::array::from_fn(|i| i as u8);
    let mut temp = Vec::with_capacity(SEED_LEN);
    let mut i = 0u32;
    while temp.len() < SEED_LEN {
        let mut iv_s = i.to_be_bytes().to_vec();
        iv_s.resize(BLOCK_LEN, 0);
        iv_s.extend_from_slice(&s);
        temp.extend_from_slice(&bcc(&k, &iv_s));
        i += 1;
    }
    let k: [u8; KEY_LEN] = temp[..KEY_LEN].try_into().unwrap();
    let mut x: [u8; BLOCK_LEN] = temp[KEY_LEN..SEED_LEN].try_into().unwrap();
    let mut out = Vec::with_capacity(SEED_LEN);
    while out.len() < SEED_LEN {
        x = encrypt(&k, &x);
        out.extend_from_slice(&x);
    }
    out[..SEED_LEN].try_into().unwrap()
}

impl CtrDrbg {
    /// CTR_DRBG_Update (10.2.1.2).
    fn update(&mut self, provided: &[u8; SEED_LEN]) {
        let mut temp = Vec::with_capacity(SEED_LEN);
        while temp.len() < SEED_LEN {
            increment(&mut self.v);
            temp.extend_from_slice(&encrypt(&self.key, &self.v));
        }
        for (t, p) in temp.iter_mut().zip(provided) {
            *t ^= p;
        }
        self.key.copy_from_slice(&temp[..KEY_LEN]);
        self.v.copy_from_slice(&temp[KEY_LEN..SEED_LEN]);
    }

    /// Instantiate with the derivation function (10.2.1.3.2).
    pub fn instantiate(entropy: &[u8], nonce: &[u8], perso: &[u8]) -> Self {
        let seed = block_cipher_df(&[entropy, nonce, perso].concat());
        let mut d = CtrDrbg {
            key: [0; KEY_LEN],
            v: [0; BLOCK_LEN],
            reseed_counter: 1,
        };
        d.update(&seed);
        d
    }

    /// Reseed with the derivation function (10.2.1.4.2).
    pub fn reseed(&mut self, entropy: &[u8], additional: &[u8]) {
        let seed = block_cipher_df(&[entropy, additional].concat());
        self.update(&seed);
        self.reseed_counter = 1;
    }

    /// Generate with the derivation function (10.2.1.5.2).
    pub fn generate(&mut self, len: usize, additional: &[u8]) -> Vec<u8> {
        let additional = if additional.is_empty() {
            [0u8; SEED_LEN]
        } else {
            let a = block_cipher_df(additional);
            self.update(&a);
            a
        };
        let mut out = Vec::with_capacity(len + BLOCK_LEN);
        while out.len() < len {
            increment(&mut self.v);
            out.extend_from_slice(&encrypt(&self.key, &self.v));
        }
        out.truncate(len);
        self.update(&additional);
        self.reseed_counter += 1;
        out
    }

    /// Requests since the last (re)seed, plus one (SP 800-90A's counter).
    pub fn reseed_counter(&self) -> u64 {
        self.reseed_counter
    }
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

    /// NIST CAVP CTR_DRBG [AES-256 use df], PredictionResistance = False,
    /// PersonalizationStringLen = 256, AdditionalInputLen = 0: instantiate,
    /// reseed, generate 512 bits twice, the second output.
    #[test]
    fn cavp_aes256_df_no_pr() {
        let mut d = CtrDrbg::instantiate(
            &unhex("4cfb218673346d9d50c922e49b0dfcd090adf04f5c3ba47327dfcd6fa63a785c"),
            &unhex("016962a7fd2787a24bf6be47ef3783f1"),
            &unhex("88eeb8e0e83bf3294bdacd6099ebe4bf55ecd9113f71e5ebcb4575f3d6a68a6b"),
        );
        d.reseed(
            &unhex("b7ec46072363834a1b0133f2c23891db4f11a68651f23e3a8b1fdc03b192c7e7"),
            &[],
        );
        d.generate(64, &[]);
        assert_eq!(
            d.generate(64, &[]),
            unhex(
                "a55180a190bef3adaf28f6b795e9f1f3d6dfa1b27dd0467b0c75f5fa931e9714\
                 75b27cae03a29654e2f40966ea33643040d1400fe677873af8097c1fe9f00298"
            )
        );
        assert_eq!(d.reseed_counter(), 3);
    }
}
