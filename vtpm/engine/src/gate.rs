//! The kernel crypto gate's two ends, for a TPM in a ring-3 service.
//!
//! [`GateCrypto`] is the service's [`TpmCrypto`]: each call is written into
//! the crypto page (`svsm_abi::vtpm_service::gate`: op, parameter, input
//! lengths, output length, then the bytes) and handed to a [`Gate`], which
//! in the service raises the kernel's task-service gate. [`serve`] is the
//! kernel's end: it checks the call against the page, runs it in a direct
//! [`TpmCrypto`] (the module), writes the output and wipes the inputs. The
//! gate also carries AES-GCM seal and open ([`AeadCrypto`]) for ring-3
//! modules other than the TPM. A running hash crosses as the module's
//! exported state ([`GateHash`]): the service holds it between calls, the
//! kernel imports, continues and exports it again ([`HashStateCrypto`]).
//! Both ends are here, in one crate, so a host test can join them
//! ([`Gate`] over [`serve`]) and check the encoding both ways.

use core::cell::RefCell;

use svsm_abi::vtpm_service::gate::{
    self as abi, ALG_256, ALG_384, Call, HASH_STATE_BYTES, HASH_UPDATE_MAX, HEADER_BYTES, INPUTS,
    op,
};
use zeroize::Zeroize;

use crate::crypto::{AeadCrypto, CryptoError, HashStateCrypto, TpmCrypto, TpmCurve, TpmHash};

/// How a call written in the crypto page reaches the kernel.
pub trait Gate {
    /// Runs the call at the start of `page` on the other side of the gate;
    /// its status (`svsm_abi::vtpm_service::gate::OK` or an error code).
    fn call(&self, page: &mut [u8]) -> u64;
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

fn hash_of(param: u32) -> Option<TpmHash> {
    match param {
        ALG_256 => Some(TpmHash::Sha256),
        ALG_384 => Some(TpmHash::Sha384),
        _ => None,
    }
}

fn curve_of(param: u32) -> Option<TpmCurve> {
    match param {
        ALG_256 => Some(TpmCurve::P256),
        ALG_384 => Some(TpmCurve::P384),
        _ => None,
    }
}

fn status(result: Result<(), CryptoError>) -> u64 {
    match result {
        Ok(()) => abi::OK,
        Err(CryptoError::Failed) => abi::ERR_FAILED,
        Err(CryptoError::Arg) => abi::ERR_ARG,
        Err(CryptoError::Key) => abi::ERR_KEY,
        Err(CryptoError::Verify) => abi::ERR_VERIFY,
        Err(CryptoError::Unsupported) => abi::ERR_UNSUPPORTED,
    }
}

fn error(status: u64) -> CryptoError {
    match status {
        abi::ERR_ARG => CryptoError::Arg,
        abi::ERR_KEY => CryptoError::Key,
        abi::ERR_VERIFY => CryptoError::Verify,
        abi::ERR_UNSUPPORTED => CryptoError::Unsupported,
        _ => CryptoError::Failed,
    }
}

/// The kernel's end: runs the call in `page` with `crypto` and returns its
/// status. The page is the service's: nothing is read before the call is
/// known to fit ([`Call::read`]), the output goes only into the call's own
/// output area (zeroed on error), and the inputs are wiped afterwards (they
/// may be keys, seeds, shared secrets or hash states). A hash state the
/// service sends is hostile: it must be [`HashStateCrypto::STATE_LEN`]
/// bytes and the provider's import refuses any state it could not have
/// exported.
pub fn serve<C: TpmCrypto + AeadCrypto + HashStateCrypto>(crypto: &C, page: &mut [u8]) -> u64 {
    let Some(call) = Call::read(page) else {
        return abi::ERR_ARG;
    };
    let result = run(crypto, &call, page);
    if let Some(end) = call.extent() {
        let inputs: usize = call.inputs.iter().map(|&l| l as usize).sum();
        let wipe_from = HEADER_BYTES;
        let wipe_to = if result.is_ok() {
            HEADER_BYTES + inputs
        } else {
            end
        };
        page[wipe_from..wipe_to].zeroize();
    }
    status(result)
}

fn run<C: TpmCrypto + AeadCrypto + HashStateCrypto>(
    crypto: &C,
    call: &Call,
    page: &mut [u8],
) -> Result<(), CryptoError> {
    let ([a, b, c, d, e], out) = call.split(page).ok_or(CryptoError::Arg)?;
    let alg = || hash_of(call.param).ok_or(CryptoError::Arg);
    let ecc = || curve_of(call.param).ok_or(CryptoError::Arg);
    // Inputs a call does not take must be empty.
    let unused = |inputs: &[&[u8]]| {
        let empty = inputs.iter().all(|i| i.is_empty());
        empty.then_some(()).ok_or(CryptoError::Arg)
    };
    // A state the service sent, checked by the provider's import.
    let import = |state: &[u8]| -> Result<C::HashState, CryptoError> {
        if state.len() != C::STATE_LEN {
            return Err(CryptoError::Arg);
        }
        crypto.hash_import(alg()?, state)
    };
    // An output that is to hold a state.
    let state_out = |out: &[u8]| {
        let fits = out.len() == C::STATE_LEN;
        fits.then_some(()).ok_or(CryptoError::Arg)
    };
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
        op::AES_GCM_SEAL => {
            if call.param != 0 || !e.is_empty() || out.len() < d.len() {
                return Err(CryptoError::Arg);
            }
            let (ciphertext, tag) = out.split_at_mut(d.len());
            crypto.aes_gcm_seal(a, b, c, d, ciphertext, tag)
        }
        op::AES_GCM_OPEN => {
            if call.param != 0 {
                return Err(CryptoError::Arg);
            }
            crypto.aes_gcm_open(a, b, c, d, e, out)
        }
        op::HASH_START => {
            unused(&[a, b, c, d, e])?;
            state_out(out)?;
            let state = crypto.hash_start(alg()?)?;
            crypto.hash_export(&state, out)
        }
        op::HASH_UPDATE => {
            unused(&[c, d, e])?;
            state_out(out)?;
            let mut state = import(a)?;
            crypto.hash_update(&mut state, b)?;
            crypto.hash_export(&state, out)
        }
        op::HASH_FINISH => {
            unused(&[c, d, e])?;
            let mut state = import(a)?;
            crypto.hash_update(&mut state, b)?;
            crypto.hash_finish(state, out)
        }
        _ => Err(CryptoError::Unsupported),
    }
}

/// Both ends in one process: each call served at once by [`serve`] over
/// the module, as the kernel serves the ring-3 service. The host simulator
/// runs a TPM over it (`svsm-vtpm-sim --gate`) and so do the tests.
#[cfg(feature = "module")]
pub struct Loopback<'m>(pub crate::ModuleCrypto<'m>);

#[cfg(feature = "module")]
impl Gate for Loopback<'_> {
    fn call(&self, page: &mut [u8]) -> u64 {
        serve(&self.0, page)
    }
}

const NONE: &[u8] = &[];

/// The service's [`TpmCrypto`]: every call through `G` and the crypto page.
pub struct GateCrypto<G: Gate> {
    gate: G,
    page: RefCell<&'static mut [u8]>,
}

impl<G: Gate> GateCrypto<G> {
    /// `page` is the crypto page shared with the kernel, used by nothing
    /// else.
    pub fn new(gate: G, page: &'static mut [u8]) -> Self {
        Self {
            gate,
            page: RefCell::new(page),
        }
    }

    /// One gate call: `inputs` in, `out` filled (zeroed on error). The
    /// output's copy in the page is wiped once it is copied out.
    pub fn call(
        &self,
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
        let mut page = self
            .page
            .try_borrow_mut()
            .map_err(|_| CryptoError::Failed)?;
        let page: &mut [u8] = &mut page;
        if c.extent().is_none_or(|end| end > page.len()) {
            return Err(CryptoError::Arg);
        }
        c.write(page).ok_or(CryptoError::Arg)?;
        let mut at = HEADER_BYTES;
        for input in inputs {
            page[at..at + input.len()].copy_from_slice(input);
            at += input.len();
        }
        let status = self.gate.call(page);
        let (_, output) = c.split(page).ok_or(CryptoError::Arg)?;
        let result = if status == abi::OK {
            out.copy_from_slice(output);
            Ok(())
        } else {
            out.zeroize();
            Err(error(status))
        };
        output.zeroize();
        result
    }
}

/// A running hash over the gate: the module's exported state, held by the
/// service between gate calls ([`op::HASH_START`], [`op::HASH_UPDATE`],
/// [`op::HASH_FINISH`]), so a sequence has no bound of its own. The state
/// is not a key: it holds only what the service itself hashed, and the
/// kernel checks it on every import. Wiped on drop (it is as secret as that
/// data).
pub struct GateHash {
    alg: TpmHash,
    state: [u8; HASH_STATE_BYTES],
}

impl Drop for GateHash {
    fn drop(&mut self) {
        self.state.zeroize();
    }
}

impl<G: Gate> TpmCrypto for GateCrypto<G> {
    type HashState = GateHash;

    fn hash(&self, alg: TpmHash, data: &[u8], out: &mut [u8]) -> Result<(), CryptoError> {
        self.call(
            op::HASH,
            hash_param(alg),
            [data, NONE, NONE, NONE, NONE],
            out,
        )
    }

    fn hash_start(&self, alg: TpmHash) -> Result<GateHash, CryptoError> {
        let mut seq = GateHash {
            alg,
            state: [0; HASH_STATE_BYTES],
        };
        self.call(
            op::HASH_START,
            hash_param(alg),
            [NONE; INPUTS],
            &mut seq.state,
        )?;
        Ok(seq)
    }

    /// One [`op::HASH_UPDATE`] per [`HASH_UPDATE_MAX`] bytes; on error the
    /// state is as it was before the call.
    fn hash_update(&self, seq: &mut GateHash, data: &[u8]) -> Result<(), CryptoError> {
        let mut next = GateHash {
            alg: seq.alg,
            state: seq.state,
        };
        // Both copies are wiped when they drop.
        let mut prev = GateHash {
            alg: seq.alg,
            state: [0; HASH_STATE_BYTES],
        };
        for chunk in data.chunks(HASH_UPDATE_MAX) {
            prev.state = next.state;
            self.call(
                op::HASH_UPDATE,
                hash_param(seq.alg),
                [&prev.state, chunk, NONE, NONE, NONE],
                &mut next.state,
            )?;
        }
        core::mem::swap(seq, &mut next);
        Ok(())
    }

    fn hash_finish(&self, seq: GateHash, out: &mut [u8]) -> Result<(), CryptoError> {
        self.call(
            op::HASH_FINISH,
            hash_param(seq.alg),
            [&seq.state, NONE, NONE, NONE, NONE],
            out,
        )
    }

    fn hmac(
        &self,
        alg: TpmHash,
        key: &[u8],
        data: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        self.call(
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
        self.call(
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
        self.call(
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
        let r = self.call(
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
        self.call(op::RANDOM, 0, [NONE; INPUTS], out)
    }

    fn stir(&self, input: &[u8]) -> Result<(), CryptoError> {
        self.call(op::STIR, 0, [input, NONE, NONE, NONE, NONE], &mut [])
    }

    fn ecc_public(&self, curve: TpmCurve, d: &[u8], q: &mut [u8]) -> Result<(), CryptoError> {
        self.call(
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
        self.call(
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
        self.call(
            op::ECDSA_VERIFY,
            curve_param(curve),
            [q, digest, sig, NONE, NONE],
            &mut [],
        )
    }

    fn ecdh(&self, curve: TpmCurve, d: &[u8], q: &[u8], z: &mut [u8]) -> Result<(), CryptoError> {
        self.call(op::ECDH, curve_param(curve), [d, q, NONE, NONE, NONE], z)
    }
}

/// AES-GCM for a ring-3 module, through the gate ([`abi::op::AES_GCM_SEAL`],
/// [`abi::op::AES_GCM_OPEN`]).
impl<G: Gate> AeadCrypto for GateCrypto<G> {
    fn aes_gcm_seal(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        plaintext: &[u8],
        ciphertext: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), CryptoError> {
        let sealed_len = plaintext.len().checked_add(tag.len());
        let (Some(sealed_len), true) = (sealed_len, ciphertext.len() == plaintext.len()) else {
            ciphertext.fill(0);
            tag.fill(0);
            return Err(CryptoError::Arg);
        };
        let mut sealed = alloc::vec![0; sealed_len];
        let result = self.call(
            op::AES_GCM_SEAL,
            0,
            [key, iv, aad, plaintext, NONE],
            &mut sealed,
        );
        let (c, t) = sealed.split_at(plaintext.len());
        ciphertext.copy_from_slice(c);
        tag.copy_from_slice(t);
        result
    }

    fn aes_gcm_open(
        &self,
        key: &[u8],
        iv: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
        tag: &[u8],
        plaintext: &mut [u8],
    ) -> Result<(), CryptoError> {
        self.call(
            op::AES_GCM_OPEN,
            0,
            [key, iv, aad, ciphertext, tag],
            plaintext,
        )
    }
}
