//! The kernel crypto gate: a service's module call, described in its crypto
//! page (`svsm_abi::vtpm_service::gate`), run in the kernel's one module
//! instance through the engine's direct [`TpmCrypto`] implementation.
//!
//! The page is the service's: every length is checked ([`Call::read`])
//! before anything is read, the output is written only into the call's own
//! output area, and the inputs are wiped after the call (they may be keys
//! or seeds). A module in its error state fails every call with its error
//! ([`gate::ERR_FAILED`]).

use svsm_abi::vtpm_service::gate::{self, ALG_256, ALG_384, Call, op};
use svsm_vtpm::{CryptoError, TpmCrypto, TpmCurve, TpmHash};
use zeroize::Zeroize;

/// The status a task without the crypto gate gets.
pub const REFUSED: u64 = gate::ERR_UNSUPPORTED;

fn hash(param: u32) -> Option<TpmHash> {
    match param {
        ALG_256 => Some(TpmHash::Sha256),
        ALG_384 => Some(TpmHash::Sha384),
        _ => None,
    }
}

fn curve(param: u32) -> Option<TpmCurve> {
    match param {
        ALG_256 => Some(TpmCurve::P256),
        ALG_384 => Some(TpmCurve::P384),
        _ => None,
    }
}

fn status(result: Result<(), CryptoError>) -> u64 {
    match result {
        Ok(()) => gate::OK,
        Err(CryptoError::Failed) => gate::ERR_FAILED,
        Err(CryptoError::Arg) => gate::ERR_ARG,
        Err(CryptoError::Key) => gate::ERR_KEY,
        Err(CryptoError::Verify) => gate::ERR_VERIFY,
        Err(CryptoError::Unsupported) => gate::ERR_UNSUPPORTED,
    }
}

/// Runs the call in `page` with `crypto`; its status for RAX.
pub fn serve<C: TpmCrypto>(crypto: &C, page: &mut [u8]) -> u64 {
    let Some(call) = Call::read(page) else {
        return gate::ERR_ARG;
    };
    let result = run(crypto, &call, page);
    if let Some(end) = call.extent() {
        let inputs: usize = call.inputs.iter().map(|&l| l as usize).sum();
        page[gate::HEADER_BYTES..gate::HEADER_BYTES + inputs].zeroize();
        if result.is_err() {
            page[gate::HEADER_BYTES + inputs..end].zeroize();
        }
    }
    status(result)
}

fn run<C: TpmCrypto>(crypto: &C, call: &Call, page: &mut [u8]) -> Result<(), CryptoError> {
    let ([a, b, c, d, _], out) = call.split(page).ok_or(CryptoError::Arg)?;
    let alg = || hash(call.param).ok_or(CryptoError::Arg);
    let ecc = || curve(call.param).ok_or(CryptoError::Arg);
    match call.op {
        op::HASH => crypto.hash(alg()?, a, out),
        op::HMAC => crypto.hmac(alg()?, a, b, out),
        op::KDFA => crypto.kdfa(alg()?, a, b, c, d, out),
        op::KDFE => crypto.kdfe(alg()?, a, b, c, d, out),
        op::AES_CFB => {
            let iv: &[u8; 16] = b.try_into().map_err(|_| CryptoError::Arg)?;
            if c.len() != out.len() || call.param > 1 {
                return Err(CryptoError::Arg);
            }
            out.copy_from_slice(c);
            crypto.aes_cfb(call.param == 1, a, iv, out)
        }
        op::RANDOM => crypto.random(out),
        op::STIR => crypto.stir(a),
        op::ECC_PUBLIC => crypto.ecc_public(ecc()?, a, out),
        op::ECDSA_SIGN => crypto.ecdsa_sign(ecc()?, a, b, out),
        op::ECDSA_VERIFY => crypto.ecdsa_verify(ecc()?, a, b, c),
        op::ECDH => crypto.ecdh(ecc()?, a, b, out),
        _ => Err(CryptoError::Unsupported),
    }
}
