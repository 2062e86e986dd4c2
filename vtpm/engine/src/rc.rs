//! TPM_RC response codes (TPM 2.0 Part 2, 6.6).

/// A response code. Format-one codes (bit 7 set) may carry the number of
/// the parameter, handle or session they concern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rc(pub u32);

const RC_VER1: u32 = 0x100;
const RC_FMT1: u32 = 0x080;
const RC_WARN: u32 = 0x900;
/// Format one: the number names a parameter (else a handle or session).
const RC_P: u32 = 0x040;
/// Format one, not a parameter: the number names a session (else a handle).
const RC_S: u32 = 0x800;

impl Rc {
    pub const SUCCESS: Rc = Rc(0);
    pub const BAD_TAG: Rc = Rc(0x01E);

    pub const INITIALIZE: Rc = Rc(RC_VER1);
    pub const FAILURE: Rc = Rc(RC_VER1 + 0x001);
    pub const SEQUENCE: Rc = Rc(RC_VER1 + 0x003);
    pub const DISABLED: Rc = Rc(RC_VER1 + 0x020);
    pub const AUTH_TYPE: Rc = Rc(RC_VER1 + 0x024);
    pub const AUTH_MISSING: Rc = Rc(RC_VER1 + 0x025);
    pub const POLICY: Rc = Rc(RC_VER1 + 0x026);
    pub const PCR: Rc = Rc(RC_VER1 + 0x027);
    pub const AUTH_UNAVAILABLE: Rc = Rc(RC_VER1 + 0x02F);
    pub const COMMAND_SIZE: Rc = Rc(RC_VER1 + 0x042);
    pub const COMMAND_CODE: Rc = Rc(RC_VER1 + 0x043);
    pub const AUTHSIZE: Rc = Rc(RC_VER1 + 0x044);
    pub const AUTH_CONTEXT: Rc = Rc(RC_VER1 + 0x045);
    pub const NV_RANGE: Rc = Rc(RC_VER1 + 0x046);
    pub const NV_SIZE: Rc = Rc(RC_VER1 + 0x047);
    pub const NV_LOCKED: Rc = Rc(RC_VER1 + 0x048);
    pub const NV_AUTHORIZATION: Rc = Rc(RC_VER1 + 0x049);
    pub const NV_UNINITIALIZED: Rc = Rc(RC_VER1 + 0x04A);
    pub const NV_SPACE: Rc = Rc(RC_VER1 + 0x04B);
    pub const NV_DEFINED: Rc = Rc(RC_VER1 + 0x04C);
    pub const BAD_CONTEXT: Rc = Rc(RC_VER1 + 0x050);
    pub const PARENT: Rc = Rc(RC_VER1 + 0x052);
    pub const NO_RESULT: Rc = Rc(RC_VER1 + 0x054);

    pub const ASYMMETRIC: Rc = Rc(RC_FMT1 + 0x001);
    pub const ATTRIBUTES: Rc = Rc(RC_FMT1 + 0x002);
    pub const HASH: Rc = Rc(RC_FMT1 + 0x003);
    pub const VALUE: Rc = Rc(RC_FMT1 + 0x004);
    pub const HIERARCHY: Rc = Rc(RC_FMT1 + 0x005);
    pub const KEY_SIZE: Rc = Rc(RC_FMT1 + 0x007);
    pub const MODE: Rc = Rc(RC_FMT1 + 0x009);
    pub const TYPE: Rc = Rc(RC_FMT1 + 0x00A);
    pub const HANDLE: Rc = Rc(RC_FMT1 + 0x00B);
    pub const KDF: Rc = Rc(RC_FMT1 + 0x00C);
    pub const RANGE: Rc = Rc(RC_FMT1 + 0x00D);
    pub const AUTH_FAIL: Rc = Rc(RC_FMT1 + 0x00E);
    pub const NONCE: Rc = Rc(RC_FMT1 + 0x00F);
    pub const SCHEME: Rc = Rc(RC_FMT1 + 0x012);
    pub const SIZE: Rc = Rc(RC_FMT1 + 0x015);
    pub const SYMMETRIC: Rc = Rc(RC_FMT1 + 0x016);
    pub const TAG: Rc = Rc(RC_FMT1 + 0x017);
    pub const SELECTOR: Rc = Rc(RC_FMT1 + 0x018);
    pub const INSUFFICIENT: Rc = Rc(RC_FMT1 + 0x01A);
    pub const SIGNATURE: Rc = Rc(RC_FMT1 + 0x01B);
    pub const KEY: Rc = Rc(RC_FMT1 + 0x01C);
    pub const POLICY_FAIL: Rc = Rc(RC_FMT1 + 0x01D);
    pub const INTEGRITY: Rc = Rc(RC_FMT1 + 0x01F);
    pub const TICKET: Rc = Rc(RC_FMT1 + 0x020);
    pub const RESERVED_BITS: Rc = Rc(RC_FMT1 + 0x021);
    pub const BAD_AUTH: Rc = Rc(RC_FMT1 + 0x022);
    pub const CURVE: Rc = Rc(RC_FMT1 + 0x026);
    pub const ECC_POINT: Rc = Rc(RC_FMT1 + 0x027);

    pub const OBJECT_MEMORY: Rc = Rc(RC_WARN + 0x002);
    pub const SESSION_MEMORY: Rc = Rc(RC_WARN + 0x003);
    pub const SESSION_HANDLES: Rc = Rc(RC_WARN + 0x005);
    pub const OBJECT_HANDLES: Rc = Rc(RC_WARN + 0x006);
    pub const LOCALITY: Rc = Rc(RC_WARN + 0x007);
    pub const REFERENCE_H0: Rc = Rc(RC_WARN + 0x010);

    /// Whether this is a format-one code that can carry a number.
    fn is_fmt1(self) -> bool {
        self.0 & RC_FMT1 != 0 && self.0 & 0xF00 == 0
    }

    /// The code for parameter `n` (1..=15); format-zero codes and codes
    /// that already carry a number are returned unchanged.
    pub fn param(self, n: u32) -> Rc {
        if self.is_fmt1() && (1..=15).contains(&n) {
            Rc(self.0 | RC_P | (n << 8))
        } else {
            self
        }
    }

    /// The code for handle `n` (1..=7).
    pub fn handle(self, n: u32) -> Rc {
        if self.is_fmt1() && (1..=7).contains(&n) {
            Rc(self.0 | (n << 8))
        } else {
            self
        }
    }

    /// The code for session `n` (1..=7).
    pub fn session(self, n: u32) -> Rc {
        if self.is_fmt1() && (1..=7).contains(&n) {
            Rc(self.0 | RC_S | (n << 8))
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rc;

    #[test]
    fn numbers_follow_part_2() {
        // Part 2 6.6.3: TPM_RC_VALUE + TPM_RC_P + TPM_RC_1 = 0x1C4.
        assert_eq!(Rc::VALUE.param(1), Rc(0x1C4));
        assert_eq!(Rc::HANDLE.handle(1), Rc(0x18B));
        assert_eq!(Rc::AUTH_FAIL.session(1), Rc(0x98E));
        assert_eq!(Rc::INSUFFICIENT.param(2), Rc(0x2DA));
        // Format zero and numbered codes are left alone.
        assert_eq!(Rc::INITIALIZE.param(1), Rc::INITIALIZE);
        assert_eq!(Rc::VALUE.param(1).param(2), Rc(0x1C4));
    }
}
