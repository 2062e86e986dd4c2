//! The crypto the attestation protocol needs, as a small trait.
//!
//! The protocol crate never calls a crypto library directly: the kernel and
//! the host tests both hand it an [`AttestationCrypto`], normally
//! [`ModuleCrypto`] (feature `module`), which runs everything inside the
//! svsm-crypto module. Whether the module is operational is asked on every
//! call, so a module that enters its error state stops attestation at once.

/// Size of an ECDSA P-384 public key (X || Y) or signature (r || s).
pub const P384_PAIR_LEN: usize = 96;

/// The crypto module refused or failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CryptoFailure;

pub trait AttestationCrypto: Sync {
    /// Whether the module is operational; attestation is offered only then.
    fn is_operational(&self) -> bool;

    /// SHA-512 of the concatenation of `parts`.
    fn sha512(&self, parts: &[&[u8]]) -> Result<[u8; 64], CryptoFailure>;

    /// The public key of the report-signing key (X || Y).
    fn signing_public_key(&self) -> [u8; P384_PAIR_LEN];

    /// ECDSA P-384 signature (r || s) over SHA-384 of `msg` with the
    /// report-signing key.
    fn sign(&self, msg: &[u8]) -> Result<[u8; P384_PAIR_LEN], CryptoFailure>;
}

#[cfg(feature = "module")]
pub use module_crypto::ModuleCrypto;

#[cfg(feature = "module")]
mod module_crypto {
    use svsm_crypto::{Curve, HashAlg, KeyPair, Module, ModuleState};

    use super::{AttestationCrypto, CryptoFailure, P384_PAIR_LEN};

    /// [`AttestationCrypto`] over the svsm-crypto module, with a P-384 key
    /// pair generated in the module when this value is created (at boot).
    pub struct ModuleCrypto {
        module: &'static Module,
        key: KeyPair,
    }

    impl ModuleCrypto {
        /// Generates the report-signing key in `module`.
        pub fn new(module: &'static Module) -> Result<Self, svsm_crypto::Error> {
            let key = module.ecc_keygen(Curve::P384)?.into_value();
            Ok(Self { module, key })
        }
    }

    impl AttestationCrypto for ModuleCrypto {
        fn is_operational(&self) -> bool {
            self.module.state() == ModuleState::Operational
        }

        fn sha512(&self, parts: &[&[u8]]) -> Result<[u8; 64], CryptoFailure> {
            let mut hasher = self
                .module
                .hasher(HashAlg::Sha512)
                .map_err(|_| CryptoFailure)?;
            for part in parts {
                hasher.update(part).map_err(|_| CryptoFailure)?;
            }
            let digest = hasher.finalize().map_err(|_| CryptoFailure)?.into_value();
            <[u8; 64]>::try_from(digest.as_bytes()).map_err(|_| CryptoFailure)
        }

        fn signing_public_key(&self) -> [u8; P384_PAIR_LEN] {
            let mut out = [0; P384_PAIR_LEN];
            let bytes = self.key.public.as_bytes();
            if bytes.len() == P384_PAIR_LEN {
                out.copy_from_slice(bytes);
            }
            out
        }

        fn sign(&self, msg: &[u8]) -> Result<[u8; P384_PAIR_LEN], CryptoFailure> {
            let signature = self
                .module
                .ecdsa_sign(&self.key.private, HashAlg::Sha384, msg)
                .map_err(|_| CryptoFailure)?
                .into_value();
            <[u8; P384_PAIR_LEN]>::try_from(signature.as_bytes()).map_err(|_| CryptoFailure)
        }
    }
}
