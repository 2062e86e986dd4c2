//! [`TpmCrypto`] over the kernel crypto gate: each call is written into the
//! crypto page, the kernel runs it in the module and writes the output back.
//! Inputs (keys among them) are wiped by the kernel after the call; this
//! side wipes the output once it is copied out.

use alloc::vec::Vec;
use core::arch::asm;

use svsm_abi::service::CRYPTO;
use svsm_abi::vector;
use svsm_abi::vtpm_service::gate::{self, ALG_256, ALG_384, Call, INPUTS, op};
use svsm_abi::vtpm_service::{CRYPTO_BYTES, CRYPTO_VA};
use svsm_vtpm::{CryptoError, TpmCrypto, TpmCurve, TpmHash};
use zeroize::Zeroize;

/// The crypto page, shared with the kernel.
fn page() -> &'static mut [u8] {
    // SAFETY: the kernel maps CRYPTO_BYTES at CRYPTO_VA read-write in this
    // address space before it first enters the service, and this task is
    // single-threaded: the slice is used for one call at a time only.
    unsafe { core::slice::from_raw_parts_mut(CRYPTO_VA as *mut u8, CRYPTO_BYTES) }
}

/// One gate call: `inputs` in, `out` filled.
pub fn call(
    op: u32,
    param: u32,
    inputs: [&[u8]; INPUTS],
    out: &mut [u8],
) -> Result<(), CryptoError> {
    let mut lens = [0u32; INPUTS];
    for (len, input) in lens.iter_mut().zip(inputs) {
        *len = u32::try_from(input.len()).map_err(|_| CryptoError::Arg)?;
    }
    let c = Call {
        op,
        param,
        inputs: lens,
        output: u32::try_from(out.len()).map_err(|_| CryptoError::Arg)?,
    };
    let page = page();
    c.extent().ok_or(CryptoError::Arg)?;
    c.write(page).ok_or(CryptoError::Arg)?;
    let mut at = gate::HEADER_BYTES;
    for input in inputs {
        page[at..at + input.len()].copy_from_slice(input);
        at += input.len();
    }
    let status: u64;
    // SAFETY: the gate reads and writes only the crypto page and RAX.
    unsafe {
        asm!(
            "int {vector}",
            vector = const vector::TASK_SERVICE,
            inlateout("rax") CRYPTO => status,
        );
    }
    let (_, output) = c.split(page).ok_or(CryptoError::Arg)?;
    let result = match status {
        gate::OK => {
            out.copy_from_slice(output);
            Ok(())
        }
        gate::ERR_ARG => Err(CryptoError::Arg),
        gate::ERR_KEY => Err(CryptoError::Key),
        gate::ERR_VERIFY => Err(CryptoError::Verify),
        gate::ERR_UNSUPPORTED => Err(CryptoError::Unsupported),
        _ => Err(CryptoError::Failed),
    };
    output.zeroize();
    if result.is_err() {
        out.zeroize();
    }
    result
}

fn hash_param(alg: TpmHash) -> u32 {
    match alg {
        TpmHash::Sha256 => ALG_256,
        TpmHash::Sha384 => ALG_384,
    }
}

fn curve_param(curve: TpmCurve) -> u32 {
    match curve {
        TpmCurve::P256 => ALG_256,
        TpmCurve::P384 => ALG_384,
    }
}

const NONE: &[u8] = &[];

/// The engine's crypto, in the kernel's module behind the gate.
pub struct GateCrypto;

/// A running hash: the data is collected here and hashed by one gate call
/// at the end (sequences are bounded by the crypto page).
pub struct HashState {
    alg: TpmHash,
    data: Vec<u8>,
}

impl TpmCrypto for GateCrypto {
    type HashState = HashState;

    fn hash(&self, alg: TpmHash, data: &[u8], out: &mut [u8]) -> Result<(), CryptoError> {
        call(
            op::HASH,
            hash_param(alg),
            [data, NONE, NONE, NONE, NONE],
            out,
        )
    }

    fn hash_start(&self, alg: TpmHash) -> Result<HashState, CryptoError> {
        Ok(HashState {
            alg,
            data: Vec::new(),
        })
    }

    fn hash_update(&self, state: &mut HashState, data: &[u8]) -> Result<(), CryptoError> {
        if state.data.len() + data.len() > CRYPTO_BYTES {
            return Err(CryptoError::Arg);
        }
        state.data.extend_from_slice(data);
        Ok(())
    }

    fn hash_finish(&self, state: HashState, out: &mut [u8]) -> Result<(), CryptoError> {
        self.hash(state.alg, &state.data, out)
    }

    fn hmac(
        &self,
        alg: TpmHash,
        key: &[u8],
        data: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        call(
            op::HMAC,
            hash_param(alg),
            [key, data, NONE, NONE, NONE],
            out,
        )
    }

    fn kdfa(
        &self,
        alg: TpmHash,
        key: &[u8],
        label: &[u8],
        context_u: &[u8],
        context_v: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        call(
            op::KDFA,
            hash_param(alg),
            [key, label, context_u, context_v, NONE],
            out,
        )
    }

    fn kdfe(
        &self,
        alg: TpmHash,
        z: &[u8],
        label: &[u8],
        party_u: &[u8],
        party_v: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        call(
            op::KDFE,
            hash_param(alg),
            [z, label, party_u, party_v, NONE],
            out,
        )
    }

    fn aes_cfb(
        &self,
        encrypt: bool,
        key: &[u8],
        iv: &[u8; 16],
        data: &mut [u8],
    ) -> Result<(), CryptoError> {
        let mut out = alloc::vec![0; data.len()];
        let r = call(
            op::AES_CFB,
            u32::from(encrypt),
            [key, iv, data, NONE, NONE],
            &mut out,
        );
        if r.is_ok() {
            data.copy_from_slice(&out);
        } else {
            data.zeroize();
        }
        out.zeroize();
        r
    }

    fn random(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        call(op::RANDOM, 0, [NONE; INPUTS], out)
    }

    fn stir(&self, input: &[u8]) -> Result<(), CryptoError> {
        call(op::STIR, 0, [input, NONE, NONE, NONE, NONE], &mut [])
    }

    fn ecc_public(&self, curve: TpmCurve, d: &[u8], q: &mut [u8]) -> Result<(), CryptoError> {
        call(
            op::ECC_PUBLIC,
            curve_param(curve),
            [d, NONE, NONE, NONE, NONE],
            q,
        )
    }

    fn ecdsa_sign(
        &self,
        curve: TpmCurve,
        d: &[u8],
        digest: &[u8],
        sig: &mut [u8],
    ) -> Result<(), CryptoError> {
        call(
            op::ECDSA_SIGN,
            curve_param(curve),
            [d, digest, NONE, NONE, NONE],
            sig,
        )
    }

    fn ecdsa_verify(
        &self,
        curve: TpmCurve,
        q: &[u8],
        digest: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError> {
        call(
            op::ECDSA_VERIFY,
            curve_param(curve),
            [q, digest, sig, NONE, NONE],
            &mut [],
        )
    }

    fn ecdh(&self, curve: TpmCurve, d: &[u8], q: &[u8], z: &mut [u8]) -> Result<(), CryptoError> {
        call(op::ECDH, curve_param(curve), [d, q, NONE, NONE, NONE], z)
    }
}
