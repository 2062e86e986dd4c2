//! What the module claims, as ACVP registration JSON. The group handlers in
//! `algs` use the same constants to decide whether a group is claimed.

use serde_json::{Value, json};

/// Message lengths for SHA2 AFT (bits).
pub const SHA_MAX_MSG_BITS: u64 = 65535;
/// Large data test: full lengths in GiB the module claims.
pub const SHA_LDT_GIB: &[u64] = &[1];

pub const HMAC_KEY_BITS: (u64, u64) = (8, 65536);
pub const HMAC_MSG_BITS: (u64, u64) = (0, 65536);
pub const HMAC_MIN_MAC_BITS: u64 = 32;

pub const GCM_KEY_BITS: &[u64] = &[128, 256];
pub const GCM_TAG_BITS: &[u64] = &[32, 64, 96, 104, 112, 120, 128];
pub const GCM_IV_BITS: u64 = 96;
/// How the module builds the IVs it generates: SP 800-38D 8.2.1 (fixed
/// field, then invocation count), so ACVP internal-IV sets for 8.2.2 (random
/// IVs) are not claimed.
pub const GCM_IV_GEN_MODE: &str = "8.2.1";
pub const GCM_MAX_PAYLOAD_BITS: u64 = 65536;
pub const GCM_MAX_AAD_BITS: u64 = 65536;

pub const KDA_REVISIONS: &[&str] = &["Sp800-56Cr1", "Sp800-56Cr2"];
pub const KDA_HMAC: &[&str] = &["SHA2-256", "SHA2-384", "SHA2-512"];
pub const KDA_FIXED_INFO_PATTERN: &str = "uPartyInfo||vPartyInfo||l";
pub const KDA_Z_BITS: (u64, u64) = (224, 65536);
pub const KDA_MAX_L_BITS: u64 = 2048;

pub const ECDSA_REVISIONS: &[&str] = &["1.0", "FIPS186-5"];
pub const ECDSA_CURVES: &[&str] = &["P-256", "P-384"];
pub const ECDSA_HASHES: &[&str] = &["SHA2-256", "SHA2-384", "SHA2-512"];

pub const KAS_SCHEMES: &[&str] = &["ephemeralUnified", "onePassDh", "staticUnified"];

pub const DRBG_MODE: &str = "AES-256";
pub const DRBG_ENTROPY_BITS: u64 = 256;
pub const DRBG_NONCE_BITS: u64 = 128;
pub const DRBG_PERSO_BITS: &[u64] = &[0, 256];
pub const DRBG_ADDL_BITS: &[u64] = &[0, 256];
pub const DRBG_RETURNED_BITS: u64 = 512;

fn sha(alg: &str) -> Value {
    json!({
        "algorithm": alg,
        "revision": "1.0",
        "messageLength": [{ "min": 0, "max": SHA_MAX_MSG_BITS, "increment": 8 }],
        "performLargeDataTest": SHA_LDT_GIB,
    })
}

fn hmac(alg: &str, digest_bits: u64) -> Value {
    json!({
        "algorithm": alg,
        "revision": "1.0",
        "keyLen": [{ "min": HMAC_KEY_BITS.0, "max": HMAC_KEY_BITS.1, "increment": 8 }],
        "macLen": [{ "min": HMAC_MIN_MAC_BITS, "max": digest_bits, "increment": 8 }],
    })
}

fn ecdsa(revision: &str) -> Vec<Value> {
    let caps = json!([{ "curve": ECDSA_CURVES, "hashAlg": ECDSA_HASHES }]);
    let mut v = vec![
        json!({
            "algorithm": "ECDSA", "mode": "keyGen", "revision": revision,
            "curve": ECDSA_CURVES,
            "secretGenerationMode": ["testing candidates"],
        }),
        json!({
            "algorithm": "ECDSA", "mode": "keyVer", "revision": revision,
            "curve": ECDSA_CURVES,
        }),
        json!({
            "algorithm": "ECDSA", "mode": "sigGen", "revision": revision,
            "componentTest": false,
            "capabilities": caps,
        }),
    ];
    if revision == "FIPS186-5" {
        v.push(json!({
            "algorithm": "ECDSA", "mode": "sigGen", "revision": revision,
            "componentTest": true,
            "capabilities": caps,
        }));
    }
    v.push(json!({
        "algorithm": "ECDSA", "mode": "sigVer", "revision": revision,
        "capabilities": caps,
    }));
    v
}

/// The registration: one capability object per algorithm/mode/revision.
pub fn registration() -> Value {
    let mut algs = vec![sha("SHA2-256"), sha("SHA2-384"), sha("SHA2-512")];
    algs.push(hmac("HMAC-SHA2-256", 256));
    algs.push(hmac("HMAC-SHA2-384", 384));
    algs.push(hmac("HMAC-SHA2-512", 512));
    let payload = json!([{ "min": 0, "max": GCM_MAX_PAYLOAD_BITS, "increment": 8 }]);
    let aad = json!([{ "min": 0, "max": GCM_MAX_AAD_BITS, "increment": 8 }]);
    algs.push(json!({
        "algorithm": "ACVP-AES-GCM",
        "revision": "1.0",
        "direction": ["encrypt", "decrypt"],
        "keyLen": GCM_KEY_BITS,
        "tagLen": GCM_TAG_BITS,
        "ivLen": [GCM_IV_BITS],
        "ivGen": "external",
        "payloadLen": payload,
        "aadLen": aad,
    }));
    algs.push(json!({
        "algorithm": "ACVP-AES-GCM",
        "revision": "1.0",
        "direction": ["encrypt"],
        "keyLen": GCM_KEY_BITS,
        "tagLen": GCM_TAG_BITS,
        "ivLen": [GCM_IV_BITS],
        "ivGen": "internal",
        "ivGenMode": GCM_IV_GEN_MODE,
        "payloadLen": payload,
        "aadLen": aad,
    }));
    for rev in KDA_REVISIONS {
        let mut kda = json!({
            "algorithm": "KDA",
            "mode": "HKDF",
            "revision": rev,
            "fixedInfoPattern": KDA_FIXED_INFO_PATTERN,
            "encoding": ["concatenation"],
            "hmacAlg": KDA_HMAC,
            "macSaltMethods": ["default", "random"],
            "l": KDA_MAX_L_BITS,
            "z": [{ "min": KDA_Z_BITS.0, "max": KDA_Z_BITS.1, "increment": 8 }],
        });
        if *rev == "Sp800-56Cr2" {
            kda["performMultiExpansionTests"] = json!(false);
        }
        algs.push(kda);
    }
    for rev in ECDSA_REVISIONS {
        algs.extend(ecdsa(rev));
    }
    let roles = json!({ "kasRole": ["initiator", "responder"] });
    let mut schemes = serde_json::Map::new();
    for s in KAS_SCHEMES {
        schemes.insert((*s).to_string(), roles.clone());
    }
    algs.push(json!({
        "algorithm": "KAS-ECC-SSC",
        "revision": "Sp800-56Ar3",
        "scheme": schemes,
        "domainParameterGenerationMethods": ECDSA_CURVES,
    }));
    algs.push(json!({
        "algorithm": "ctrDRBG",
        "revision": "1.0",
        "predResistanceEnabled": [true, false],
        "reseedImplemented": true,
        "capabilities": [{
            "mode": DRBG_MODE,
            "derFuncEnabled": true,
            "entropyInputLen": [DRBG_ENTROPY_BITS],
            "nonceLen": [DRBG_NONCE_BITS],
            "persoStringLen": DRBG_PERSO_BITS,
            "additionalInputLen": DRBG_ADDL_BITS,
            "returnedBitsLen": DRBG_RETURNED_BITS,
        }],
    }));
    Value::Array(algs)
}
