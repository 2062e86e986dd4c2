//! ACVP-AES-ECB and ACVP-AES-CFB128: AFT and MCT, encrypt and decrypt,
//! 128- and 256-bit keys.

use super::{answer_tests, claimed_value, module_failed, test_type};
use crate::capabilities::AES_KEY_BITS;
use crate::generate::{Case, Generated, Seeded, SetBuilder};
use crate::json::{Obj, Result, hex};
use crate::module::CryptoModule;
use crate::run::{Evidence, GroupOutcome, SetInfo};
use serde_json::{Value, json};
use svsm_oracle as oracle;

/// The two block-cipher modes the module offers outside GCM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Ecb,
    Cfb128,
}

impl Mode {
    pub fn from_algorithm(alg: &str) -> Option<Mode> {
        match alg {
            "ACVP-AES-ECB" => Some(Mode::Ecb),
            "ACVP-AES-CFB128" => Some(Mode::Cfb128),
            _ => None,
        }
    }

    fn algorithm(self) -> &'static str {
        match self {
            Mode::Ecb => "ACVP-AES-ECB",
            Mode::Cfb128 => "ACVP-AES-CFB128",
        }
    }
}

/// One call of the cipher: (key, IV for CFB128, input) -> output.
type Cipher<'a> = dyn FnMut(&[u8], &[u8], &[u8]) -> std::result::Result<Vec<u8>, String> + 'a;

/// The cipher of `mode` and direction through the module.
fn module_cipher<'a>(m: &'a dyn CryptoModule, mode: Mode, encrypt: bool) -> Box<Cipher<'a>> {
    Box::new(move |key, iv, input| {
        match mode {
            Mode::Ecb => m.aes_ecb(key, encrypt, input),
            Mode::Cfb128 => m.aes_cfb128(key, iv, encrypt, input),
        }
        .map_err(|e| e.to_string())
    })
}

/// The same cipher through the oracle (RustCrypto).
fn oracle_cipher(mode: Mode, encrypt: bool) -> Box<Cipher<'static>> {
    Box::new(move |key, iv, input| {
        match mode {
            Mode::Ecb => oracle::aes_ecb(key, encrypt, input),
            Mode::Cfb128 => oracle::aes_cfb128(key, iv, encrypt, input),
        }
        .ok_or_else(|| "the oracle rejects the key, IV or length".to_string())
    })
}

fn xor_into(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= s;
    }
}

/// The Monte Carlo test of the ACVP AES specification (ECB as its ECB MCT,
/// CFB128 as its CBC-style MCT whose chaining value is the feedback
/// register): 100 outer rounds of 1000 one-block operations from `key`,
/// `iv` (CFB128) and the first input block; the results array as the
/// server expects it.
pub fn mct(
    mode: Mode,
    encrypt: bool,
    key: &[u8],
    iv: &[u8],
    first: &[u8],
    cipher: &mut Cipher<'_>,
) -> std::result::Result<Vec<Value>, String> {
    let (in_name, out_name) = in_out_names(encrypt);
    let (mut key, mut iv, mut input) = (key.to_vec(), iv.to_vec(), first.to_vec());
    let mut results = Vec::with_capacity(100);
    for _ in 0..100 {
        let mut entry = serde_json::Map::new();
        entry.insert("key".into(), json!(hex(&key)));
        entry.insert(in_name.into(), json!(hex(&input)));
        if mode == Mode::Cfb128 {
            entry.insert("iv".into(), json!(hex(&iv)));
        }
        // outputs[j] for the last two j; the feedback register (CFB128).
        let (mut prev, mut last) = (Vec::new(), Vec::new());
        let mut register = iv.clone();
        let mut block = input.clone();
        for j in 0..1000 {
            let out = cipher(&key, &register, &block)?;
            if out.len() != 16 {
                return Err(format!("cipher gave {} bytes for one block", out.len()));
            }
            let next = match mode {
                Mode::Ecb => out.clone(),
                // CFB: the next feedback is the ciphertext block; the next
                // input is the IV (j = 0) or the output of step j - 1.
                Mode::Cfb128 => {
                    register = if encrypt { out.clone() } else { block.clone() };
                    if j == 0 { iv.clone() } else { last.clone() }
                }
            };
            prev = std::mem::replace(&mut last, out);
            block = next;
        }
        entry.insert(out_name.into(), json!(hex(&last)));
        results.push(Value::Object(entry));
        match key.len() {
            16 => xor_into(&mut key, &last),
            24 => {
                let mut t = prev[8..].to_vec();
                t.extend_from_slice(&last);
                xor_into(&mut key, &t);
            }
            _ => {
                let mut t = prev.clone();
                t.extend_from_slice(&last);
                xor_into(&mut key, &t);
            }
        }
        match mode {
            Mode::Ecb => input = last,
            Mode::Cfb128 => {
                iv = last;
                input = prev;
            }
        }
    }
    Ok(results)
}

fn in_out_names(encrypt: bool) -> (&'static str, &'static str) {
    if encrypt { ("pt", "ct") } else { ("ct", "pt") }
}

pub fn group(
    m: &dyn CryptoModule,
    info: &SetInfo,
    g: &Obj<'_>,
    _ev: &mut Evidence,
) -> Result<GroupOutcome> {
    let mode = Mode::from_algorithm(&info.algorithm)
        .ok_or_else(|| g.err(format!("unknown AES mode {}", info.algorithm)))?;
    let tt = claim!(test_type(g, &["AFT", "MCT"], None)?);
    let key_bits = g.u64("keyLen")?;
    claim!(if claimed_value("keyLen", key_bits, AES_KEY_BITS));
    let encrypt = match g.str("direction")? {
        "encrypt" => true,
        "decrypt" => false,
        other => return Err(g.err(format!("direction \"{other}\""))),
    };
    let (in_name, out_name) = in_out_names(encrypt);
    let mut cipher = module_cipher(m, mode, encrypt);
    answer_tests(g, vec![], |t, id| {
        let key = t.hex_bits("key", key_bits)?;
        let iv = match mode {
            Mode::Ecb => Vec::new(),
            Mode::Cfb128 => t.hex_bits("iv", 128)?,
        };
        let input = t.hex(in_name)?;
        if tt == "MCT" {
            let results = mct(mode, encrypt, &key, &iv, &input, &mut cipher)
                .map_err(|e| t.err(format!("MCT: {e}")))?;
            return Ok(json!({ "tcId": id, "resultsArray": results }));
        }
        let out = match mode {
            Mode::Ecb => m.aes_ecb(&key, encrypt, &input),
            Mode::Cfb128 => m.aes_cfb128(&key, &iv, encrypt, &input),
        }
        .map_err(|e| module_failed(t, mode.algorithm(), e))?;
        Ok(json!({ "tcId": id, out_name: hex(&out) }))
    })
}

/// An ECB or CFB128 set: AFT in both directions for 128- and 256-bit keys
/// (one block, several blocks; for CFB128 also partial blocks, as the TPM
/// uses it), and one MCT per key size and direction; answers from the
/// oracle.
fn generate_mode(mode: Mode, vs_id: u64) -> Generated {
    let name = mode.algorithm();
    let mut rng = Seeded::new(&format!("svsm-acvp generated {name}"));
    let mut b = SetBuilder::new(vs_id, name, None, "1.0");
    let lens: &[usize] = match mode {
        Mode::Ecb => &[16, 32, 160],
        Mode::Cfb128 => &[16, 1, 17, 31, 100, 160],
    };
    for key_bytes in [16usize, 32] {
        for encrypt in [true, false] {
            let (in_name, out_name) = in_out_names(encrypt);
            let mut cipher = oracle_cipher(mode, encrypt);
            let cases = lens
                .iter()
                .map(|&len| {
                    let (key, iv, input) = (rng.bytes(key_bytes), rng.bytes(16), rng.bytes(len));
                    let out = cipher(&key, &iv, &input).unwrap_or_default();
                    let mut prompt = json!({ "key": hex(&key), in_name: hex(&input) });
                    if mode == Mode::Cfb128 {
                        prompt["iv"] = json!(hex(&iv));
                    }
                    Case::new(prompt, json!({ out_name: hex(&out) }))
                })
                .collect();
            let direction = if encrypt { "encrypt" } else { "decrypt" };
            b.group(
                json!({ "testType": "AFT", "direction": direction, "keyLen": key_bytes * 8 }),
                cases,
            );
            let (key, iv, input) = (rng.bytes(key_bytes), rng.bytes(16), rng.bytes(16));
            let results = mct(mode, encrypt, &key, &iv, &input, &mut cipher).unwrap_or_default();
            let mut prompt = json!({ "key": hex(&key), in_name: hex(&input) });
            if mode == Mode::Cfb128 {
                prompt["iv"] = json!(hex(&iv));
            }
            b.group(
                json!({ "testType": "MCT", "direction": direction, "keyLen": key_bytes * 8 }),
                vec![Case::new(prompt, json!({ "resultsArray": results }))],
            );
        }
    }
    b.finish(name)
}

pub fn generate() -> Vec<Generated> {
    vec![
        generate_mode(Mode::Ecb, 170),
        generate_mode(Mode::Cfb128, 171),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mct_chains_as_the_specification_says() {
        // The first round's last output, recomputed by chaining the oracle
        // by hand: ECB feeds each output back as the next input.
        let (key, block) = ([1u8; 16], [2u8; 16]);
        let mut c = oracle_cipher(Mode::Ecb, true);
        let results = mct(Mode::Ecb, true, &key, &[], &block, &mut c).unwrap();
        let mut x = block.to_vec();
        for _ in 0..1000 {
            x = oracle::aes_ecb(&key, true, &x).unwrap();
        }
        assert_eq!(results[0]["ct"], json!(hex(&x)));
        assert_eq!(results.len(), 100);
        // Round 2 starts from Key xor CT and PT = CT.
        let mut k2 = key.to_vec();
        xor_into(&mut k2, &x);
        assert_eq!(results[1]["key"], json!(hex(&k2)));
        assert_eq!(results[1]["pt"], json!(hex(&x)));
    }
}
