//! Failure mode: when the crypto provider stops serving (the module in its
//! error state), the TPM answers TPM_RC_FAILURE to everything but
//! GetTestResult and GetCapability. The provider here is ModuleCrypto with
//! a switch that makes every call fail as the module's error state does.

mod common;
use common::*;

use std::cell::Cell;

use svsm_vtpm::{CryptoError, ModuleCrypto, Seeds, Tpm, TpmCrypto, TpmCurve, TpmHash};
use zeroize::Zeroizing;

struct Switchable {
    inner: ModuleCrypto<'static>,
    failed: std::rc::Rc<Cell<bool>>,
}

impl Switchable {
    fn check(&self) -> Result<(), CryptoError> {
        if self.failed.get() {
            Err(CryptoError::Failed)
        } else {
            Ok(())
        }
    }
}

impl TpmCrypto for Switchable {
    type HashState = <ModuleCrypto<'static> as TpmCrypto>::HashState;
    fn hash(&self, a: TpmHash, d: &[u8], o: &mut [u8]) -> Result<(), CryptoError> {
        self.check()?;
        self.inner.hash(a, d, o)
    }
    fn hash_start(&self, a: TpmHash) -> Result<Self::HashState, CryptoError> {
        self.check()?;
        self.inner.hash_start(a)
    }
    fn hash_update(&self, s: &mut Self::HashState, d: &[u8]) -> Result<(), CryptoError> {
        self.check()?;
        self.inner.hash_update(s, d)
    }
    fn hash_finish(&self, s: Self::HashState, o: &mut [u8]) -> Result<(), CryptoError> {
        self.check()?;
        self.inner.hash_finish(s, o)
    }
    fn hmac(&self, a: TpmHash, k: &[u8], d: &[u8], o: &mut [u8]) -> Result<(), CryptoError> {
        self.check()?;
        self.inner.hmac(a, k, d, o)
    }
    fn kdfa(
        &self,
        a: TpmHash,
        k: &[u8],
        l: &[u8],
        u: &[u8],
        v: &[u8],
        o: &mut [u8],
    ) -> Result<(), CryptoError> {
        self.check()?;
        self.inner.kdfa(a, k, l, u, v, o)
    }
    fn kdfe(
        &self,
        a: TpmHash,
        z: &[u8],
        l: &[u8],
        u: &[u8],
        v: &[u8],
        o: &mut [u8],
    ) -> Result<(), CryptoError> {
        self.check()?;
        self.inner.kdfe(a, z, l, u, v, o)
    }
    fn aes_cfb(&self, e: bool, k: &[u8], iv: &[u8; 16], d: &mut [u8]) -> Result<(), CryptoError> {
        self.check()?;
        self.inner.aes_cfb(e, k, iv, d)
    }
    fn random(&self, o: &mut [u8]) -> Result<(), CryptoError> {
        self.check()?;
        self.inner.random(o)
    }
    fn stir(&self, i: &[u8]) -> Result<(), CryptoError> {
        self.check()?;
        self.inner.stir(i)
    }
    fn ecc_public(&self, c: TpmCurve, d: &[u8], q: &mut [u8]) -> Result<(), CryptoError> {
        self.check()?;
        self.inner.ecc_public(c, d, q)
    }
    fn ecdsa_sign(&self, c: TpmCurve, d: &[u8], h: &[u8], s: &mut [u8]) -> Result<(), CryptoError> {
        self.check()?;
        self.inner.ecdsa_sign(c, d, h, s)
    }
    fn ecdsa_verify(&self, c: TpmCurve, q: &[u8], h: &[u8], s: &[u8]) -> Result<(), CryptoError> {
        self.check()?;
        self.inner.ecdsa_verify(c, q, h, s)
    }
    fn ecdh(&self, c: TpmCurve, d: &[u8], q: &[u8], z: &mut [u8]) -> Result<(), CryptoError> {
        self.check()?;
        self.inner.ecdh(c, d, q, z)
    }
}

#[test]
fn a_failed_provider_puts_the_tpm_in_failure_mode() {
    let failed = std::rc::Rc::new(Cell::new(false));
    let crypto = Switchable {
        inner: ModuleCrypto::new(svsm_crypto::host::module()).unwrap(),
        failed: failed.clone(),
    };
    let mut tpm = Tpm::manufacture_with_seeds(
        crypto,
        Seeds {
            endorsement: Zeroizing::new([1; 48]),
            owner: Zeroizing::new([2; 48]),
            platform: Zeroizing::new([3; 48]),
        },
    );
    tpm.power_on();
    assert_eq!(rc(&tpm.execute(&command(ST_NO, 0x144, &[0, 0]))), 0);
    assert_eq!(rc(&tpm.execute(&command(ST_NO, 0x17B, &[0, 8]))), 0);
    failed.set(true);
    assert_eq!(rc(&tpm.execute(&command(ST_NO, 0x17B, &[0, 8]))), 0x101);
    failed.set(false);
    // Failure mode stays, whatever the provider does next.
    assert_eq!(rc(&tpm.execute(&command(ST_NO, 0x17B, &[0, 8]))), 0x101);
    assert_eq!(rc(&tpm.execute(&command(ST_NO, 0x143, &[1]))), 0x101);
    let r = tpm.execute(&command(ST_NO, 0x17C, &[]));
    assert_eq!(rc(&r), 0);
    assert_eq!(body(&r), &[0, 0, 0, 0, 0x01, 0x01]);
    let getcap = B::new().u32(6).u32(0x100).u32(1).0;
    assert_eq!(rc(&tpm.execute(&command(ST_NO, 0x17A, &getcap))), 0);
}
