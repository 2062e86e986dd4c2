//! The command table: every command the engine implements, with the handle
//! counts the dispatcher and TPM2_GetCapability(TPM_CAP_COMMANDS) use.

/// TPM_CC values (Part 2, 6.5.2).
pub mod cc {
    pub const NV_UNDEFINE_SPACE: u32 = 0x122;
    pub const CLEAR: u32 = 0x126;
    pub const HIERARCHY_CHANGE_AUTH: u32 = 0x129;
    pub const NV_DEFINE_SPACE: u32 = 0x12A;
    pub const CREATE_PRIMARY: u32 = 0x131;
    pub const NV_WRITE: u32 = 0x137;
    pub const PCR_EVENT: u32 = 0x13C;
    pub const PCR_RESET: u32 = 0x13D;
    pub const SEQUENCE_COMPLETE: u32 = 0x13E;
    pub const INCREMENTAL_SELF_TEST: u32 = 0x142;
    pub const SELF_TEST: u32 = 0x143;
    pub const STARTUP: u32 = 0x144;
    pub const SHUTDOWN: u32 = 0x145;
    pub const STIR_RANDOM: u32 = 0x146;
    pub const NV_READ: u32 = 0x14E;
    pub const QUOTE: u32 = 0x158;
    pub const SEQUENCE_UPDATE: u32 = 0x15C;
    pub const SIGN: u32 = 0x15D;
    pub const CONTEXT_LOAD: u32 = 0x161;
    pub const CONTEXT_SAVE: u32 = 0x162;
    pub const FLUSH_CONTEXT: u32 = 0x165;
    pub const NV_READ_PUBLIC: u32 = 0x169;
    pub const READ_PUBLIC: u32 = 0x173;
    pub const START_AUTH_SESSION: u32 = 0x176;
    pub const VERIFY_SIGNATURE: u32 = 0x177;
    pub const GET_CAPABILITY: u32 = 0x17A;
    pub const GET_RANDOM: u32 = 0x17B;
    pub const GET_TEST_RESULT: u32 = 0x17C;
    pub const HASH: u32 = 0x17D;
    pub const PCR_READ: u32 = 0x17E;
    pub const PCR_EXTEND: u32 = 0x182;
    pub const HASH_SEQUENCE_START: u32 = 0x186;
}

/// What a command accepts in one slot of its handle area (the TPMI_ type
/// of Part 3's command table; anything else is TPM_RC_VALUE + handle).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandleKind {
    None,
    /// TPMI_DH_PCR+: PCR 0..23 or TPM_RH_NULL.
    PcrOrNull,
    /// TPMI_DH_PCR: PCR 0..23.
    Pcr,
    /// TPMI_RH_HIERARCHY+: owner, endorsement, platform, null.
    Hierarchy,
    /// TPMI_RH_HIERARCHY_AUTH: owner, endorsement, lockout, platform.
    HierarchyAuth,
    /// TPMI_RH_PROVISION: owner, platform.
    Provision,
    /// TPMI_RH_CLEAR: lockout, platform.
    Clear,
    /// TPMI_RH_NV_AUTH: owner, platform or an NV index.
    NvAuth,
    /// TPMI_RH_NV_INDEX.
    NvIndex,
    /// TPMI_DH_OBJECT: a transient object.
    Object,
    /// TPMI_DH_OBJECT+: a transient object or TPM_RH_NULL.
    ObjectOrNull,
    /// TPMI_DH_ENTITY+: anything with an authValue, or TPM_RH_NULL.
    EntityOrNull,
    /// TPMI_DH_CONTEXT: a transient object or a session.
    Context,
}

impl HandleKind {
    pub fn accepts(self, h: u32) -> bool {
        let ht = handle_type(h);
        match self {
            HandleKind::None => false,
            HandleKind::PcrOrNull => h < PCR_COUNT as u32 || h == RH_NULL,
            HandleKind::Pcr => h < PCR_COUNT as u32,
            HandleKind::Hierarchy => {
                matches!(h, RH_OWNER | RH_ENDORSEMENT | RH_PLATFORM | RH_NULL)
            }
            HandleKind::HierarchyAuth => {
                matches!(h, RH_OWNER | RH_ENDORSEMENT | RH_LOCKOUT | RH_PLATFORM)
            }
            HandleKind::Provision => matches!(h, RH_OWNER | RH_PLATFORM),
            HandleKind::Clear => matches!(h, RH_LOCKOUT | RH_PLATFORM),
            HandleKind::NvAuth => matches!(h, RH_OWNER | RH_PLATFORM) || ht == HT_NV_INDEX,
            HandleKind::NvIndex => ht == HT_NV_INDEX,
            HandleKind::Object => ht == HT_TRANSIENT,
            HandleKind::ObjectOrNull => ht == HT_TRANSIENT || h == RH_NULL,
            HandleKind::EntityOrNull => {
                matches!(
                    h,
                    RH_OWNER | RH_ENDORSEMENT | RH_LOCKOUT | RH_PLATFORM | RH_NULL
                ) || h < PCR_COUNT as u32
                    || ht == HT_TRANSIENT
                    || ht == HT_NV_INDEX
            }
            HandleKind::Context => {
                ht == HT_TRANSIENT || ht == HT_HMAC_SESSION || ht == HT_POLICY_SESSION
            }
        }
    }
}

/// What the dispatcher needs to know about a command before running it.
#[derive(Clone, Copy, Debug)]
pub struct CommandInfo {
    pub cc: u32,
    /// Handles in the command's handle area.
    pub handles: u8,
    /// How many of them (the first ones) need an authorization session.
    pub auth_handles: u8,
    /// What each handle may be.
    pub kinds: [HandleKind; 3],
    /// The response carries one handle (TPMA_CC rHandle).
    pub response_handle: bool,
    /// The first command parameter is a TPM2B (can be decrypted).
    pub decrypt: bool,
    /// The first response parameter is a TPM2B (can be encrypted).
    pub encrypt: bool,
}

use crate::consts::*;
use crate::pcr::PCR_COUNT;
use HandleKind as K;

const N: HandleKind = HandleKind::None;

const fn info(
    cc: u32,
    auth_handles: u8,
    kinds: [HandleKind; 3],
    response_handle: bool,
    decrypt: bool,
    encrypt: bool,
) -> CommandInfo {
    let handles = if matches!(kinds[0], N) {
        0
    } else if matches!(kinds[1], N) {
        1
    } else if matches!(kinds[2], N) {
        2
    } else {
        3
    };
    CommandInfo {
        cc,
        handles,
        auth_handles,
        kinds,
        response_handle,
        decrypt,
        encrypt,
    }
}

/// Every implemented command, in TPM_CC order (GetCapability lists them so):
/// code, handles needing authorization, handle kinds, response handle,
/// first parameter of the command / response a TPM2B.
#[rustfmt::skip]
pub const COMMANDS: &[CommandInfo] = &[
    info(cc::NV_UNDEFINE_SPACE, 1, [K::Provision, K::NvIndex, N], false, false, false),
    info(cc::CLEAR, 1, [K::Clear, N, N], false, false, false),
    info(cc::HIERARCHY_CHANGE_AUTH, 1, [K::HierarchyAuth, N, N], false, true, false),
    info(cc::NV_DEFINE_SPACE, 1, [K::Provision, N, N], false, true, false),
    info(cc::CREATE_PRIMARY, 1, [K::Hierarchy, N, N], true, true, true),
    info(cc::NV_WRITE, 1, [K::NvAuth, K::NvIndex, N], false, true, false),
    info(cc::PCR_EVENT, 1, [K::PcrOrNull, N, N], false, true, false),
    info(cc::PCR_RESET, 1, [K::Pcr, N, N], false, false, false),
    info(cc::SEQUENCE_COMPLETE, 1, [K::Object, N, N], false, true, true),
    info(cc::INCREMENTAL_SELF_TEST, 0, [N, N, N], false, false, false),
    info(cc::SELF_TEST, 0, [N, N, N], false, false, false),
    info(cc::STARTUP, 0, [N, N, N], false, false, false),
    info(cc::SHUTDOWN, 0, [N, N, N], false, false, false),
    info(cc::STIR_RANDOM, 0, [N, N, N], false, true, false),
    info(cc::NV_READ, 1, [K::NvAuth, K::NvIndex, N], false, false, true),
    info(cc::QUOTE, 1, [K::Object, N, N], false, true, true),
    info(cc::SEQUENCE_UPDATE, 1, [K::Object, N, N], false, true, false),
    info(cc::SIGN, 1, [K::Object, N, N], false, true, false),
    info(cc::CONTEXT_LOAD, 0, [N, N, N], true, false, false),
    info(cc::CONTEXT_SAVE, 0, [K::Context, N, N], false, false, false),
    info(cc::FLUSH_CONTEXT, 0, [N, N, N], false, false, false),
    info(cc::NV_READ_PUBLIC, 0, [K::NvIndex, N, N], false, false, true),
    info(cc::READ_PUBLIC, 0, [K::Object, N, N], false, false, true),
    info(cc::START_AUTH_SESSION, 0, [K::ObjectOrNull, K::EntityOrNull, N], true, true, true),
    info(cc::VERIFY_SIGNATURE, 0, [K::Object, N, N], false, true, false),
    info(cc::GET_CAPABILITY, 0, [N, N, N], false, false, false),
    info(cc::GET_RANDOM, 0, [N, N, N], false, false, true),
    info(cc::GET_TEST_RESULT, 0, [N, N, N], false, false, true),
    info(cc::HASH, 0, [N, N, N], false, true, true),
    info(cc::PCR_READ, 0, [N, N, N], false, false, false),
    info(cc::PCR_EXTEND, 1, [K::PcrOrNull, N, N], false, false, false),
    info(cc::HASH_SEQUENCE_START, 0, [N, N, N], true, true, false),
];

/// The table entry of `cc`, if the engine implements it.
pub fn lookup(cc: u32) -> Option<&'static CommandInfo> {
    COMMANDS.iter().find(|c| c.cc == cc)
}

#[cfg(test)]
mod tests {
    use super::COMMANDS;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(COMMANDS.windows(2).all(|w| w[0].cc < w[1].cc));
        assert!(COMMANDS.iter().all(|c| c.auth_handles <= c.handles));
    }
}
