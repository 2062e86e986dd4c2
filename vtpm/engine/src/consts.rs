//! TPM 2.0 Part 2 constants the engine uses.

// TPM_ST
pub const ST_NO_SESSIONS: u16 = 0x8001;
pub const ST_SESSIONS: u16 = 0x8002;
pub const ST_ATTEST_QUOTE: u16 = 0x8018;
pub const ST_CREATION: u16 = 0x8021;
pub const ST_VERIFIED: u16 = 0x8022;
pub const ST_HASHCHECK: u16 = 0x8024;

// TPM_SU
pub const SU_CLEAR: u16 = 0x0000;
pub const SU_STATE: u16 = 0x0001;

// TPM_ALG_ID
pub const ALG_AES: u16 = 0x0006;
pub const ALG_SHA256: u16 = 0x000B;
pub const ALG_SHA384: u16 = 0x000C;
pub const ALG_HMAC: u16 = 0x0005;
pub const ALG_NULL: u16 = 0x0010;
pub const ALG_ECDSA: u16 = 0x0018;
pub const ALG_ECDH: u16 = 0x0019;
pub const ALG_ECC: u16 = 0x0023;
pub const ALG_CFB: u16 = 0x0043;
pub const ALG_KDF1_SP800_56A: u16 = 0x0020;
pub const ALG_KDF1_SP800_108: u16 = 0x0022;

// TPM_ECC_CURVE
pub const ECC_NIST_P256: u16 = 0x0003;
pub const ECC_NIST_P384: u16 = 0x0004;

// TPM_HT and permanent handles
pub const HT_PCR: u8 = 0x00;
pub const HT_NV_INDEX: u8 = 0x01;
pub const HT_HMAC_SESSION: u8 = 0x02;
pub const HT_POLICY_SESSION: u8 = 0x03;
pub const HT_PERMANENT: u8 = 0x40;
pub const HT_TRANSIENT: u8 = 0x80;
pub const HT_PERSISTENT: u8 = 0x81;
pub const RH_OWNER: u32 = 0x4000_0001;
pub const RH_NULL: u32 = 0x4000_0007;
pub const RS_PW: u32 = 0x4000_0009;
pub const RH_LOCKOUT: u32 = 0x4000_000A;
pub const RH_ENDORSEMENT: u32 = 0x4000_000B;
pub const RH_PLATFORM: u32 = 0x4000_000C;

// TPM_SE
pub const SE_HMAC: u8 = 0x00;
pub const SE_POLICY: u8 = 0x01;
pub const SE_TRIAL: u8 = 0x03;

// TPMA_SESSION
pub const SESSION_CONTINUE: u8 = 0x01;
pub const SESSION_AUDIT_EXCLUSIVE: u8 = 0x02;
pub const SESSION_AUDIT_RESET: u8 = 0x04;
pub const SESSION_DECRYPT: u8 = 0x20;
pub const SESSION_ENCRYPT: u8 = 0x40;
pub const SESSION_AUDIT: u8 = 0x80;

/// Handle type (the most significant byte).
pub const fn handle_type(handle: u32) -> u8 {
    (handle >> 24) as u8
}
