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

/// What the dispatcher needs to know about a command before running it.
#[derive(Clone, Copy, Debug)]
pub struct CommandInfo {
    pub cc: u32,
    /// Handles in the command's handle area.
    pub handles: u8,
    /// How many of them (the first ones) need an authorization session.
    pub auth_handles: u8,
    /// The response carries one handle (TPMA_CC rHandle).
    pub response_handle: bool,
}

const fn info(cc: u32, handles: u8, auth_handles: u8, response_handle: bool) -> CommandInfo {
    CommandInfo {
        cc,
        handles,
        auth_handles,
        response_handle,
    }
}

/// Every implemented command, in TPM_CC order (GetCapability lists them so).
pub const COMMANDS: &[CommandInfo] = &[
    info(cc::INCREMENTAL_SELF_TEST, 0, 0, false),
    info(cc::SELF_TEST, 0, 0, false),
    info(cc::STARTUP, 0, 0, false),
    info(cc::SHUTDOWN, 0, 0, false),
    info(cc::STIR_RANDOM, 0, 0, false),
    info(cc::GET_RANDOM, 0, 0, false),
    info(cc::GET_TEST_RESULT, 0, 0, false),
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
