//! The three implementations side by side: the module (svsm-crypto.o through
//! the safe shim), OpenSSL's libcrypto (the `openssl` crate) and RustCrypto.
//!
//! [`Fixture`] holds the inputs and the keys every implementation uses.
//! [`check`] proves the three agree on them before anything is timed;
//! [`bench`] times each operation, interleaved across the three.

use std::hint::black_box;

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use hmac::{Hmac, Mac};
use openssl::bn::{BigNum, BigNumContext};
use openssl::cipher::Cipher;
use openssl::cipher_ctx::CipherCtx;
use openssl::derive::Deriver;
use openssl::ec::{EcGroup, EcKey, EcPoint};
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::md::Md;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::sign::Signer;
use p384::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, RngCore, SeedableRng};
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use svsm_crypto::{
    AES_GCM_TAG_LEN, AesGcmKey, Curve, Error, HashAlg, Module, PrivateKey, PublicKey, Signature,
};

use crate::measure::{Op, Plan, Stats, measure};

/// Sizes of the bulk rows (AES-GCM, SHA-2).
pub const BULK_SIZES: [usize; 4] = [64, 1024, 16 * 1024, 1024 * 1024];
const P384_LEN: usize = 48;

/// Deterministic filler for the inputs (SplitMix64): the same bytes on every
/// run, so runs can be compared.
fn filler(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn array<const N: usize>(seed: u64) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&filler(seed, N));
    out
}

/// A P-384 key pair in each implementation's own form.
struct EccKey {
    module_private: PrivateKey,
    module_public: PublicKey,
    ossl_private: EcKey<Private>,
    ossl_public: EcKey<Public>,
    ossl_pkey_private: PKey<Private>,
    ossl_pkey_public: PKey<Public>,
    rc_secret: p384::SecretKey,
    rc_public: p384::PublicKey,
}

impl EccKey {
    /// Generates the key in the module and imports it into the peers.
    fn new(module: &Module, group: &EcGroup) -> Result<Self, String> {
        let pair = module
            .ecc_keygen(Curve::P384)
            .map_err(|e| format!("module keygen: {e}"))?
            .into_value();
        let d = pair.private.as_bytes();
        let mut sec1 = vec![0x04];
        sec1.extend_from_slice(pair.public.as_bytes());
        let ossl = |e: openssl::error::ErrorStack| format!("OpenSSL import: {e}");
        let mut bn = BigNumContext::new().map_err(ossl)?;
        let point = EcPoint::from_bytes(group, &sec1, &mut bn).map_err(ossl)?;
        let ossl_public = EcKey::from_public_key(group, &point).map_err(ossl)?;
        let ossl_private =
            EcKey::from_private_components(group, &*BigNum::from_slice(d).map_err(ossl)?, &point)
                .map_err(ossl)?;
        ossl_private
            .check_key()
            .map_err(|e| format!("OpenSSL rejects the module's key pair: {e}"))?;
        let rc_secret =
            p384::SecretKey::from_slice(d).map_err(|e| format!("RustCrypto import: {e}"))?;
        let rc_public = p384::PublicKey::from_sec1_bytes(&sec1)
            .map_err(|e| format!("RustCrypto rejects the module's public key: {e}"))?;
        if rc_secret.public_key() != rc_public {
            return Err("RustCrypto derives a different public key from the module's d".into());
        }
        Ok(EccKey {
            module_private: pair.private,
            module_public: pair.public,
            ossl_pkey_private: PKey::from_ec_key(ossl_private.clone()).map_err(ossl)?,
            ossl_pkey_public: PKey::from_ec_key(ossl_public.clone()).map_err(ossl)?,
            ossl_private,
            ossl_public,
            rc_secret,
            rc_public,
        })
    }
}

/// Inputs and keys shared by the checks and the benchmarks.
pub struct Fixture {
    pub module: &'static Module,
    aes_key: [u8; 32],
    iv: [u8; 12],
    aad: [u8; 16],
    msg: Vec<u8>,
    hmac_key: [u8; 48],
    ikm: [u8; 48],
    salt: [u8; 48],
    info: [u8; 32],
    digest: [u8; 48],
    group: EcGroup,
    a: EccKey,
    b: EccKey,
}

impl Fixture {
    pub fn new(module: &'static Module) -> Result<Self, String> {
        let group = EcGroup::from_curve_name(Nid::SECP384R1).map_err(|e| e.to_string())?;
        let a = EccKey::new(module, &group)?;
        let b = EccKey::new(module, &group)?;
        let msg = filler(1, *BULK_SIZES.iter().max().unwrap_or(&0));
        Ok(Fixture {
            module,
            aes_key: array(2),
            iv: array(3),
            aad: array(4),
            hmac_key: array(5),
            ikm: array(6),
            salt: array(7),
            info: array(8),
            digest: Sha384::digest(&msg[..1024]).into(),
            msg,
            group,
            a,
            b,
        })
    }

    fn aes_module(&self) -> Result<AesGcmKey<'static>, Error> {
        self.module.aes_gcm_key(&self.aes_key)
    }

    fn aes_ossl(&self, encrypt: bool) -> CipherCtx {
        let mut ctx = CipherCtx::new().expect("EVP_CIPHER_CTX_new");
        let init = if encrypt {
            ctx.encrypt_init(
                Some(Cipher::aes_256_gcm()),
                Some(&self.aes_key),
                Some(&self.iv),
            )
        } else {
            ctx.decrypt_init(
                Some(Cipher::aes_256_gcm()),
                Some(&self.aes_key),
                Some(&self.iv),
            )
        };
        init.expect("EVP_CipherInit_ex");
        ctx
    }

    fn aes_rc(&self) -> Aes256Gcm {
        Aes256Gcm::new_from_slice(&self.aes_key).expect("32-byte key")
    }
}

// ---- One operation per implementation --------------------------------------

fn hash_module(m: &Module, alg: HashAlg, msg: &[u8]) -> Vec<u8> {
    m.hash(alg, msg)
        .map(|d| d.value().as_bytes().to_vec())
        .unwrap_or_default()
}

fn hash_ossl(alg: HashAlg, msg: &[u8]) -> Vec<u8> {
    match alg {
        HashAlg::Sha256 => openssl::sha::sha256(msg).to_vec(),
        HashAlg::Sha384 => openssl::sha::sha384(msg).to_vec(),
        HashAlg::Sha512 => openssl::sha::sha512(msg).to_vec(),
    }
}

fn hash_rc(alg: HashAlg, msg: &[u8]) -> Vec<u8> {
    match alg {
        HashAlg::Sha256 => Sha256::digest(msg).to_vec(),
        HashAlg::Sha384 => Sha384::digest(msg).to_vec(),
        HashAlg::Sha512 => Sha512::digest(msg).to_vec(),
    }
}

fn hmac_module(m: &Module, key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut tag = [0u8; 48];
    match m.hmac(HashAlg::Sha384, key, msg, &mut tag) {
        Ok(_) => tag.to_vec(),
        Err(_) => Vec::new(),
    }
}

fn hmac_ossl(key: &PKey<Private>, msg: &[u8]) -> Vec<u8> {
    let mut tag = [0u8; 48];
    let mut signer = Signer::new(MessageDigest::sha384(), key).expect("HMAC signer");
    signer.update(msg).expect("HMAC update");
    signer.sign(&mut tag).expect("HMAC final");
    tag.to_vec()
}

fn hmac_rc(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha384> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

fn hkdf_module(m: &Module, ikm: &[u8], salt: &[u8], info: &[u8], okm: &mut [u8]) -> bool {
    m.hkdf(HashAlg::Sha384, ikm, salt, info, okm).is_ok()
}

fn hkdf_ossl(ikm: &[u8], salt: &[u8], info: &[u8], okm: &mut [u8]) -> bool {
    let mut run = || -> Result<usize, openssl::error::ErrorStack> {
        let mut ctx = PkeyCtx::new_id(Id::HKDF)?;
        ctx.derive_init()?;
        ctx.set_hkdf_md(Md::sha384())?;
        ctx.set_hkdf_key(ikm)?;
        ctx.set_hkdf_salt(salt)?;
        ctx.add_hkdf_info(info)?;
        ctx.derive(Some(okm))
    };
    run().is_ok()
}

fn hkdf_rc(ikm: &[u8], salt: &[u8], info: &[u8], okm: &mut [u8]) -> bool {
    hkdf::Hkdf::<Sha384>::new(Some(salt), ikm)
        .expand(info, okm)
        .is_ok()
}

fn seal_ossl(ctx: &mut CipherCtx, iv: &[u8], aad: &[u8], pt: &[u8], ct: &mut [u8]) -> [u8; 16] {
    let mut tag = [0u8; 16];
    ctx.encrypt_init(None, None, Some(iv)).expect("GCM IV");
    ctx.cipher_update(aad, None).expect("GCM AAD");
    ctx.cipher_update(pt, Some(ct)).expect("GCM encrypt");
    ctx.cipher_final(&mut []).expect("GCM final");
    ctx.tag(&mut tag).expect("GCM tag");
    tag
}

fn open_ossl(
    ctx: &mut CipherCtx,
    iv: &[u8],
    aad: &[u8],
    ct: &[u8],
    tag: &[u8],
    pt: &mut [u8],
) -> bool {
    let run = |ctx: &mut CipherCtx, pt: &mut [u8]| -> Result<(), openssl::error::ErrorStack> {
        ctx.decrypt_init(None, None, Some(iv))?;
        ctx.set_tag(tag)?;
        ctx.cipher_update(aad, None)?;
        ctx.cipher_update(ct, Some(pt))?;
        ctx.cipher_final(&mut [])?;
        Ok(())
    };
    run(ctx, pt).is_ok()
}

/// RustCrypto's GCM works in place: copy the plaintext into the output buffer
/// and encrypt there (the other two read one buffer and write another).
fn seal_rc(c: &Aes256Gcm, iv: &[u8; 12], aad: &[u8], pt: &[u8], ct: &mut [u8]) -> [u8; 16] {
    ct.copy_from_slice(pt);
    let tag = c
        .encrypt_in_place_detached(&Nonce::from(*iv), aad, ct)
        .expect("GCM seal");
    tag.into()
}

fn open_rc(
    c: &Aes256Gcm,
    iv: &[u8; 12],
    aad: &[u8],
    ct: &[u8],
    tag: &[u8; 16],
    pt: &mut [u8],
) -> bool {
    pt.copy_from_slice(ct);
    c.decrypt_in_place_detached(&Nonce::from(*iv), aad, pt, &Tag::from(*tag))
        .is_ok()
}

fn sig_ossl_to_bytes(sig: &EcdsaSig) -> Vec<u8> {
    let mut out = sig.r().to_vec_padded(P384_LEN as i32).expect("r");
    out.extend(sig.s().to_vec_padded(P384_LEN as i32).expect("s"));
    out
}

fn sig_ossl_from_bytes(rs: &[u8]) -> EcdsaSig {
    let (r, s) = rs.split_at(P384_LEN);
    EcdsaSig::from_private_components(
        BigNum::from_slice(r).expect("r"),
        BigNum::from_slice(s).expect("s"),
    )
    .expect("ECDSA_SIG")
}

fn ecdh_ossl(private: &PKey<Private>, peer: &PKey<Public>) -> Vec<u8> {
    let mut deriver = Deriver::new(private).expect("ECDH ctx");
    deriver.set_peer(peer).expect("ECDH peer");
    let mut z = [0u8; P384_LEN];
    deriver.derive(&mut z).expect("ECDH derive");
    z.to_vec()
}

fn ecdh_rc(secret: &p384::SecretKey, peer: &p384::PublicKey) -> Vec<u8> {
    p384::ecdh::diffie_hellman(secret.to_nonzero_scalar(), peer.as_affine())
        .raw_secret_bytes()
        .to_vec()
}

// ---- Agreement ---------------------------------------------------------------

/// Runs every agreement check and returns the disagreements (empty: agreed).
/// `corrupt` flips one bit of the module's first SHA-256 output, to exercise
/// the refusal path.
pub fn check(f: &Fixture, corrupt: bool) -> Vec<String> {
    let mut bad = Vec::new();
    let m = f.module;
    let agree = |bad: &mut Vec<String>, what: String, module: &[u8], ossl: &[u8], rc: &[u8]| {
        if module.is_empty() || module != ossl || module != rc {
            bad.push(format!(
                "{what}: module {} / OpenSSL {} / RustCrypto {}",
                hex(module),
                hex(ossl),
                hex(rc)
            ));
        }
    };

    let mut sizes: Vec<usize> = vec![0, 1, 55, 56, 111, 112, 127, 128, 1000];
    sizes.extend(BULK_SIZES);
    for alg in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
        for &n in &sizes {
            let msg = &f.msg[..n];
            let mut module = hash_module(m, alg, msg);
            if corrupt && n == 0 && alg == HashAlg::Sha256 {
                module[0] ^= 1;
            }
            agree(
                &mut bad,
                format!("{alg:?} of {n} B"),
                &module,
                &hash_ossl(alg, msg),
                &hash_rc(alg, msg),
            );
        }
    }

    for key_len in [16usize, 48, 128, 200] {
        let key = filler(10 + key_len as u64, key_len);
        let pkey = PKey::hmac(&key).expect("HMAC key");
        for n in [0usize, 1024, 5000] {
            let msg = &f.msg[..n];
            agree(
                &mut bad,
                format!("HMAC-SHA-384 key {key_len} B, msg {n} B"),
                &hmac_module(m, &key, msg),
                &hmac_ossl(&pkey, msg),
                &hmac_rc(&key, msg),
            );
        }
    }

    for okm_len in [32usize, 48, 100] {
        let (mut a, mut b, mut c) = (vec![0; okm_len], vec![0; okm_len], vec![0; okm_len]);
        let ok = hkdf_module(m, &f.ikm, &f.salt, &f.info, &mut a)
            && hkdf_ossl(&f.ikm, &f.salt, &f.info, &mut b)
            && hkdf_rc(&f.ikm, &f.salt, &f.info, &mut c);
        if !ok {
            a.clear();
        }
        agree(
            &mut bad,
            format!("HKDF-SHA-384 OKM {okm_len} B"),
            &a,
            &b,
            &c,
        );
    }

    let mut mkey = match f.aes_module() {
        Ok(k) => k,
        Err(e) => {
            bad.push(format!("module AES-GCM key setup: {e}"));
            return bad;
        }
    };
    let mut oseal = f.aes_ossl(true);
    let mut oopen = f.aes_ossl(false);
    let rc = f.aes_rc();
    for &n in sizes.iter().filter(|&&n| n > 0) {
        let pt = &f.msg[..n];
        let mut ct_m = vec![0u8; n];
        let mut tag_m = [0u8; AES_GCM_TAG_LEN];
        let sealed = mkey.seal_with_iv(&f.iv, &f.aad, pt, &mut ct_m, &mut tag_m);
        let mut ct_o = vec![0u8; n];
        let tag_o = seal_ossl(&mut oseal, &f.iv, &f.aad, pt, &mut ct_o);
        let mut ct_r = vec![0u8; n];
        let tag_r = seal_rc(&rc, &f.iv, &f.aad, pt, &mut ct_r);
        if sealed.is_err() {
            ct_m.clear();
        }
        let join = |c: &[u8], t: &[u8]| [c, t].concat();
        agree(
            &mut bad,
            format!("AES-256-GCM seal {n} B (ciphertext || tag)"),
            &join(&ct_m, &tag_m),
            &join(&ct_o, &tag_o),
            &join(&ct_r, &tag_r),
        );
        // Each opens the others' output, and all reject a forged tag.
        let mut out = vec![0u8; n];
        let opened = [
            mkey.open(&f.iv, &f.aad, &ct_o, &tag_o, &mut out).is_ok() && out == pt,
            open_ossl(&mut oopen, &f.iv, &f.aad, &ct_r, &tag_r, &mut out) && out == pt,
            open_rc(&rc, &f.iv, &f.aad, &ct_m, &tag_m, &mut out) && out == pt,
        ];
        let mut forged = tag_m;
        forged[0] ^= 1;
        let rejected = [
            mkey.open(&f.iv, &f.aad, &ct_m, &forged, &mut out) == Err(Error::Auth),
            !open_ossl(&mut oopen, &f.iv, &f.aad, &ct_m, &forged, &mut out),
            !open_rc(&rc, &f.iv, &f.aad, &ct_m, &forged, &mut out),
        ];
        if opened.contains(&false) || rejected.contains(&false) {
            bad.push(format!(
                "AES-256-GCM open {n} B: opened peers' output {opened:?}, rejected forgery {rejected:?} (module, OpenSSL, RustCrypto)"
            ));
        }
    }
    // The approved path: the module picks the IV; the peers must open it.
    let pt = &f.msg[..1024];
    let mut ct = vec![0u8; pt.len()];
    let mut tag = [0u8; AES_GCM_TAG_LEN];
    match mkey.seal(&f.aad, pt, &mut ct, &mut tag) {
        Ok(iv) => {
            let iv = *iv.value();
            let mut out = vec![0u8; pt.len()];
            let o = open_ossl(&mut oopen, &iv, &f.aad, &ct, &tag, &mut out) && out == pt;
            let r = open_rc(&rc, &iv, &f.aad, &ct, &tag, &mut out) && out == pt;
            if !(o && r) {
                bad.push(format!(
                    "AES-256-GCM module-generated IV: OpenSSL opens {o}, RustCrypto opens {r}"
                ));
            }
        }
        Err(e) => bad.push(format!("AES-256-GCM module seal (generated IV): {e}")),
    }

    // ECDH both ways.
    for (name, own, peer) in [("A,B", &f.a, &f.b), ("B,A", &f.b, &f.a)] {
        let zm = m
            .ecdh(&own.module_private, &peer.module_public)
            .map(|z| z.value().as_bytes().to_vec())
            .unwrap_or_default();
        agree(
            &mut bad,
            format!("ECDH P-384 ({name})"),
            &zm,
            &ecdh_ossl(&own.ossl_pkey_private, &peer.ossl_pkey_public),
            &ecdh_rc(&own.rc_secret, &peer.rc_public),
        );
    }

    // ECDSA: each signs; each verifies all three; all reject another digest.
    let digest = &f.digest;
    let mut other = *digest;
    other[0] ^= 1;
    let sig_m = m
        .ecdsa_sign_digest(&f.a.module_private, digest)
        .map(|s| s.value().as_bytes().to_vec());
    let sig_o = EcdsaSig::sign(digest, &f.a.ossl_private).map(|s| sig_ossl_to_bytes(&s));
    let rc_signer = p384::ecdsa::SigningKey::from(&f.a.rc_secret);
    let sig_r: Result<p384::ecdsa::Signature, _> = rc_signer.sign_prehash(digest);
    let (Ok(sig_m), Ok(sig_o), Ok(sig_r)) = (sig_m, sig_o, sig_r) else {
        bad.push("ECDSA P-384: an implementation failed to sign".into());
        return bad;
    };
    let sig_r = sig_r.to_bytes().to_vec();
    let rc_verifier = p384::ecdsa::VerifyingKey::from(&f.a.rc_public);
    for (signer, sig) in [
        ("module", &sig_m),
        ("OpenSSL", &sig_o),
        ("RustCrypto", &sig_r),
    ] {
        for (d, expect) in [(digest.as_slice(), true), (other.as_slice(), false)] {
            let by_m = Signature::from_bytes(Curve::P384, sig)
                .and_then(|s| m.ecdsa_verify_digest(&f.a.module_public, d, &s))
                .is_ok();
            let by_o = sig_ossl_from_bytes(sig)
                .verify(d, &f.a.ossl_public)
                .unwrap_or(false);
            let by_r = p384::ecdsa::Signature::from_slice(sig)
                .map(|s| rc_verifier.verify_prehash(d, &s).is_ok())
                .unwrap_or(false);
            if [by_m, by_o, by_r] != [expect; 3] {
                bad.push(format!(
                    "ECDSA P-384 signature by {signer} over {} digest: verified by module {by_m}, OpenSSL {by_o}, RustCrypto {by_r}",
                    if expect { "the signed" } else { "another" }
                ));
            }
        }
    }

    // Key generation: the module's d*G matches OpenSSL's.
    let mut bn = BigNumContext::new().expect("BN_CTX");
    let derived = m
        .ecc_public_key(&f.a.module_private)
        .map(|q| q.value().as_bytes().to_vec())
        .unwrap_or_default();
    let expected =
        f.a.ossl_public
            .public_key()
            .to_bytes(
                &f.group,
                openssl::ec::PointConversionForm::UNCOMPRESSED,
                &mut bn,
            )
            .map(|v| v[1..].to_vec())
            .unwrap_or_default();
    let rc_point = f.a.rc_public.to_sec1_bytes()[1..].to_vec();
    agree(
        &mut bad,
        "P-384 public key d*G".into(),
        &derived,
        &expected,
        &rc_point,
    );
    bad
}

fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(failed)".into();
    }
    let shown: String = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 16 {
        format!("{shown}..({} B)", bytes.len())
    } else {
        shown
    }
}

// ---- Timing ------------------------------------------------------------------

/// One row of the host table.
pub struct Row {
    pub group: &'static str,
    pub name: String,
    /// Bytes processed per operation, for throughput.
    pub bytes: Option<usize>,
    /// module, OpenSSL, RustCrypto; a diagnostic row has the module only.
    pub stats: Vec<Stats>,
    pub note: &'static str,
}

pub struct Bench {
    plan: Plan,
    pub rows: Vec<Row>,
    verbose: bool,
}

impl Bench {
    pub fn new(plan: Plan, verbose: bool) -> Self {
        Bench {
            plan,
            rows: Vec::new(),
            verbose,
        }
    }

    fn row(
        &mut self,
        group: &'static str,
        name: String,
        bytes: Option<usize>,
        note: &'static str,
        mut ops: Vec<Op<'_>>,
    ) {
        if self.verbose {
            eprintln!("  timing {name}");
        }
        let stats = measure(self.plan, &mut ops);
        self.rows.push(Row {
            group,
            name,
            bytes,
            stats,
            note,
        });
    }
}

impl Bench {
    /// Module-only rows timed together (interleaved); one row per op.
    fn group(
        &mut self,
        group: &'static str,
        names: Vec<(&'static str, Option<usize>)>,
        mut ops: Vec<Op<'_>>,
    ) {
        if self.verbose {
            eprintln!("  timing {}", names[0].0);
        }
        let stats = measure(self.plan, &mut ops);
        for ((name, bytes), s) in names.into_iter().zip(stats) {
            self.rows.push(Row {
                group,
                name: name.to_string(),
                bytes,
                stats: vec![s],
                note: "module only, timed interleaved with the rows of its group",
            });
        }
    }
}

fn size_label(n: usize) -> String {
    if n >= 1024 * 1024 {
        format!("{} MiB", n / (1024 * 1024))
    } else if n >= 1024 {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} B")
    }
}

pub fn bench(f: &Fixture, b: &mut Bench) -> Result<(), Error> {
    let m = f.module;

    for &n in &BULK_SIZES {
        let pt = &f.msg[..n];
        let (iv, aad) = (&f.iv, &f.aad);
        let mut mkey = f.aes_module()?;
        let mut okey = f.aes_ossl(true);
        let rkey = f.aes_rc();
        let (mut c1, mut c2, mut c3) = (vec![0u8; n], vec![0u8; n], vec![0u8; n]);
        let mut t1 = [0u8; 16];
        b.row(
            "AES-256-GCM",
            format!("AES-256-GCM seal {}", size_label(n)),
            Some(n),
            "",
            vec![
                Box::new(|| {
                    let r = mkey.seal_with_iv(iv, aad, pt, &mut c1, &mut t1);
                    let _ = black_box(r).expect("module seal");
                }),
                Box::new(|| {
                    black_box(seal_ossl(&mut okey, iv, aad, pt, &mut c2));
                }),
                Box::new(|| {
                    black_box(seal_rc(&rkey, iv, aad, pt, &mut c3));
                }),
            ],
        );
        let mut ct = vec![0u8; n];
        let tag = seal_rc(&rkey, iv, aad, pt, &mut ct);
        let ct = &ct;
        let mut mkey = f.aes_module()?;
        let mut okey = f.aes_ossl(false);
        let (mut p1, mut p2, mut p3) = (vec![0u8; n], vec![0u8; n], vec![0u8; n]);
        b.row(
            "AES-256-GCM",
            format!("AES-256-GCM open {}", size_label(n)),
            Some(n),
            "",
            vec![
                Box::new(|| {
                    let _ = black_box(mkey.open(iv, aad, ct, &tag, &mut p1)).expect("module open");
                }),
                Box::new(|| {
                    assert!(black_box(open_ossl(&mut okey, iv, aad, ct, &tag, &mut p2)));
                }),
                Box::new(|| {
                    assert!(black_box(open_rc(&rkey, iv, aad, ct, &tag, &mut p3)));
                }),
            ],
        );
    }

    for (alg, label) in [
        (HashAlg::Sha256, "SHA-256"),
        (HashAlg::Sha384, "SHA-384"),
        (HashAlg::Sha512, "SHA-512"),
    ] {
        for &n in &BULK_SIZES {
            let msg = &f.msg[..n];
            b.row(
                "SHA-2",
                format!("{label} {}", size_label(n)),
                Some(n),
                "",
                vec![
                    Box::new(|| {
                        let _ = black_box(m.hash(alg, black_box(msg))).expect("module hash");
                    }),
                    Box::new(|| {
                        black_box(hash_ossl(alg, black_box(msg)));
                    }),
                    Box::new(|| {
                        black_box(hash_rc(alg, black_box(msg)));
                    }),
                ],
            );
        }
    }

    let msg = &f.msg[..1024];
    let key = &f.hmac_key;
    let pkey = PKey::hmac(key).expect("HMAC key");
    let (mut t1, mut t2) = ([0u8; 48], [0u8; 48]);
    b.row(
        "HMAC/HKDF",
        "HMAC-SHA-384 1 KiB".into(),
        Some(1024),
        "key passed with each call (stateless)",
        vec![
            Box::new(|| {
                let _ = black_box(m.hmac(HashAlg::Sha384, key, msg, &mut t1)).expect("module HMAC");
            }),
            Box::new(|| {
                let mut s = Signer::new(MessageDigest::sha384(), &pkey).expect("HMAC signer");
                s.update(msg).expect("HMAC update");
                black_box(s.sign(&mut t2)).expect("HMAC final");
            }),
            Box::new(|| {
                black_box(hmac_rc(key, msg));
            }),
        ],
    );
    let (mut o1, mut o2, mut o3) = ([0u8; 48], [0u8; 48], [0u8; 48]);
    b.row(
        "HMAC/HKDF",
        "HKDF-SHA-384 (48 B IKM/salt, 32 B info, 48 B out)".into(),
        None,
        "",
        vec![
            Box::new(|| assert!(hkdf_module(m, &f.ikm, &f.salt, &f.info, &mut o1))),
            Box::new(|| assert!(hkdf_ossl(&f.ikm, &f.salt, &f.info, &mut o2))),
            Box::new(|| assert!(hkdf_rc(&f.ikm, &f.salt, &f.info, &mut o3))),
        ],
    );

    let group = &f.group;
    b.row(
        "ECC P-384",
        "ECDSA P-384 keygen".into(),
        None,
        "module includes the pairwise consistency test",
        vec![
            Box::new(|| {
                let _ = black_box(m.ecc_keygen(Curve::P384)).expect("module keygen");
            }),
            Box::new(|| {
                black_box(EcKey::generate(group)).expect("OpenSSL keygen");
            }),
            Box::new(|| {
                black_box(p384::SecretKey::random(&mut OsRng).public_key());
            }),
        ],
    );
    let digest = &f.digest;
    let rc_signer = p384::ecdsa::SigningKey::from(&f.a.rc_secret);
    b.row(
        "ECC P-384",
        "ECDSA P-384 sign (SHA-384 digest)".into(),
        None,
        "module: private key passed with each call",
        vec![
            Box::new(|| {
                let _ = black_box(m.ecdsa_sign_digest(&f.a.module_private, digest))
                    .expect("module sign");
            }),
            Box::new(|| {
                black_box(EcdsaSig::sign(digest, &f.a.ossl_private)).expect("OpenSSL sign");
            }),
            Box::new(|| {
                let s: p384::ecdsa::Signature =
                    rc_signer.sign_prehash(digest).expect("RustCrypto sign");
                black_box(s);
            }),
        ],
    );
    let sig_m = m
        .ecdsa_sign_digest(&f.a.module_private, digest)?
        .into_value();
    let sig_o = EcdsaSig::sign(digest, &f.a.ossl_private).expect("OpenSSL sign");
    let sig_r: p384::ecdsa::Signature = rc_signer.sign_prehash(digest).expect("RustCrypto sign");
    let rc_verifier = p384::ecdsa::VerifyingKey::from(&f.a.rc_public);
    b.row(
        "ECC P-384",
        "ECDSA P-384 verify (SHA-384 digest)".into(),
        None,
        "module: public key passed (and validated) with each call",
        vec![
            Box::new(|| {
                let _ = black_box(m.ecdsa_verify_digest(&f.a.module_public, digest, &sig_m))
                    .expect("module verify");
            }),
            Box::new(|| {
                assert!(black_box(sig_o.verify(digest, &f.a.ossl_public)).expect("verify"));
            }),
            Box::new(|| {
                black_box(rc_verifier.verify_prehash(digest, &sig_r)).expect("RustCrypto verify");
            }),
        ],
    );
    b.row(
        "ECC P-384",
        "ECDH P-384 shared secret".into(),
        None,
        "all three validate the peer key",
        vec![
            Box::new(|| {
                let _ = black_box(m.ecdh(&f.a.module_private, &f.b.module_public))
                    .expect("module ECDH");
            }),
            Box::new(|| {
                black_box(ecdh_ossl(&f.a.ossl_pkey_private, &f.b.ossl_pkey_public));
            }),
            Box::new(|| {
                black_box(ecdh_rc(&f.a.rc_secret, &f.b.rc_public));
            }),
        ],
    );

    for n in [32usize, 4096] {
        let mut drbg = m.drbg(b"svsm-bench")?.into_value();
        let mut chacha = ChaCha20Rng::from_seed(array(9));
        let (mut r1, mut r2, mut r3) = (vec![0u8; n], vec![0u8; n], vec![0u8; n]);
        b.row(
            "DRBG",
            format!("random {}", size_label(n)),
            Some(n),
            "module Hash_DRBG (SHA-256) vs OpenSSL RAND_bytes (CTR_DRBG AES-256) vs ChaCha20Rng (not an SP 800-90A DRBG)",
            vec![
                Box::new(|| match drbg.generate(&mut r1, &[]) {
                    Err(Error::Limit) => {
                        let _ = drbg.reseed(&[]).expect("module reseed");
                    }
                    other => {
                        let _ = black_box(other).expect("module generate");
                    }
                }),
                Box::new(|| openssl::rand::rand_bytes(black_box(&mut r2)).expect("RAND_bytes")),
                Box::new(|| chacha.fill_bytes(black_box(&mut r3))),
            ],
        );
    }

    // Module-only rows that explain the costs above, each group timed
    // interleaved so that the rows of a group compare without drift.
    let mut raw_key = f.aes_key;
    let pt = &f.msg[..1024];
    let mut k1 = f.aes_module()?;
    let mut k2 = f.aes_module()?;
    let (mut c1, mut t1, mut c2, mut t2) = (vec![0u8; 1024], [0u8; 16], vec![0u8; 1024], [0u8; 16]);
    b.group(
        "module only",
        vec![
            ("AES-256-GCM key setup (aes_gcm_key + drop)", None),
            ("AES-256-GCM seal 1 KiB, caller IV (as above)", Some(1024)),
            (
                "AES-256-GCM seal 1 KiB, module-generated IV (approved)",
                Some(1024),
            ),
        ],
        vec![
            Box::new(|| {
                raw_key[0] = black_box(raw_key[0]);
                black_box(m.aes_gcm_key(&raw_key)).expect("module key");
            }),
            Box::new(|| {
                let _ = black_box(k1.seal_with_iv(&f.iv, &f.aad, pt, &mut c1, &mut t1))
                    .expect("module seal");
            }),
            Box::new(|| {
                let _ = black_box(k2.seal(&f.aad, pt, &mut c2, &mut t2)).expect("module seal");
            }),
        ],
    );
    b.group(
        "module only",
        vec![
            ("P-384 d*G (public key from private)", None),
            ("P-384 full public-key validation", None),
            ("ECDSA P-384 sign (as above)", None),
            ("ECDSA P-384 verify (as above)", None),
            ("ECDH P-384 (as above)", None),
        ],
        vec![
            Box::new(|| {
                let _ = black_box(m.ecc_public_key(&f.a.module_private)).expect("module d*G");
            }),
            Box::new(|| {
                let _ = black_box(m.ecc_validate_public_key(&f.a.module_public))
                    .expect("module validate");
            }),
            Box::new(|| {
                let _ = black_box(m.ecdsa_sign_digest(&f.a.module_private, digest))
                    .expect("module sign");
            }),
            Box::new(|| {
                let _ = black_box(m.ecdsa_verify_digest(&f.a.module_public, digest, &sig_m))
                    .expect("module verify");
            }),
            Box::new(|| {
                let _ = black_box(m.ecdh(&f.a.module_private, &f.b.module_public))
                    .expect("module ECDH");
            }),
        ],
    );
    Ok(())
}

/// Names of the three implementations, in the order of `Row::stats`.
pub const IMPLS: [&str; 3] = ["module", "OpenSSL", "RustCrypto"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implementations_agree_and_a_corruption_is_caught() {
        let f = Fixture::new(svsm_crypto::host::module()).expect("fixture");
        assert_eq!(check(&f, false), Vec::<String>::new());
        let bad = check(&f, true);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].starts_with("Sha256 of 0 B"), "{bad:?}");
    }
}
