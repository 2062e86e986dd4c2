//! TPM2_GetCapability (Part 3, 30.2): exactly what the engine offers.

use alloc::vec::Vec;

use crate::MAX_COMMAND_SIZE;
use crate::commands::{COMMANDS, cc};
use crate::consts::*;
use crate::crypto::TpmCrypto;
use crate::engine::{Command, LIMITS, Response, Tpm, hash_alg_id};
use crate::marshal::Writer;
use crate::pcr::{BANKS, PCR_COUNT, PCR_SELECT_MIN, RESETTABLE, SAVED};
use crate::rc::Rc;

// TPM_CAP
const CAP_ALGS: u32 = 0;
const CAP_HANDLES: u32 = 1;
const CAP_COMMANDS: u32 = 2;
const CAP_PP_COMMANDS: u32 = 3;
const CAP_AUDIT_COMMANDS: u32 = 4;
const CAP_PCRS: u32 = 5;
const CAP_TPM_PROPERTIES: u32 = 6;
const CAP_PCR_PROPERTIES: u32 = 7;
const CAP_ECC_CURVES: u32 = 8;

/// Most entries one answer carries (the rest: moreData = YES).
const MAX_ENTRIES: usize = 64;

// TPMA_ALGORITHM
const ASYMMETRIC: u32 = 1 << 0;
const SYMMETRIC: u32 = 1 << 1;
const HASH: u32 = 1 << 2;
const OBJECT: u32 = 1 << 3;
const SIGNING: u32 = 1 << 8;
const ENCRYPTING: u32 = 1 << 9;
const METHOD: u32 = 1 << 10;

/// The algorithms of the profile, in TPM_ALG_ID order.
const ALGORITHMS: &[(u16, u32)] = &[
    (ALG_HMAC, HASH | SIGNING),
    (ALG_AES, SYMMETRIC),
    (ALG_SHA256, HASH),
    (ALG_SHA384, HASH),
    (ALG_ECDSA, ASYMMETRIC | SIGNING),
    (ALG_ECDH, ASYMMETRIC | METHOD),
    (ALG_KDF1_SP800_56A, HASH | METHOD),
    (ALG_KDF1_SP800_108, HASH | METHOD),
    (ALG_ECC, ASYMMETRIC | OBJECT),
    (ALG_CFB, SYMMETRIC | ENCRYPTING),
];

/// TPM_PT_PCR tags (Part 2, 6.13).
const PT_PCR_SAVE: u32 = 0x00;
const PT_PCR_EXTEND_L0: u32 = 0x01;
const PT_PCR_RESET_L0: u32 = 0x02;
const PT_PCR_NO_INCREMENT: u32 = 0x11;

// "2.0", level 0, revision 1.59 (the Part 2 revision the codes follow).
const SPEC_FAMILY: u32 = 0x322E_3000;
const SPEC_REVISION: u32 = 159;

/// Writes a counted list of at most `max` of `items`; whether more remain
/// (moreData).
fn page<T>(w: &mut Writer, items: &[T], max: usize, mut put: impl FnMut(&mut Writer, &T)) -> bool {
    let n = items.len().min(max);
    w.u32(n as u32);
    for item in &items[..n] {
        put(w, item);
    }
    items.len() > n
}

/// The four-character vendor strings.
fn chars(s: &[u8; 4]) -> u32 {
    u32::from_be_bytes(*s)
}

/// Commands that change persistent state (TPMA_CC nv).
fn writes_nv(code: u32) -> bool {
    matches!(
        code,
        cc::NV_UNDEFINE_SPACE
            | cc::CLEAR
            | cc::HIERARCHY_CHANGE_AUTH
            | cc::NV_DEFINE_SPACE
            | cc::NV_WRITE
            | cc::SHUTDOWN
    )
}

impl<C: TpmCrypto> Tpm<C> {
    /// Every TPM property the engine reports, sorted by tag.
    fn properties(&self) -> Vec<(u32, u32)> {
        let permanent = u32::from(!self.auth.owner.is_empty())
            | u32::from(!self.auth.endorsement.is_empty()) << 1
            | u32::from(!self.auth.lockout.is_empty()) << 2;
        let loaded_sessions = self.sessions.iter().filter(|s| !s.saved).count() as u32;
        let active = self.sessions.len() as u32;
        alloc::vec![
            (0x100, SPEC_FAMILY),
            (0x101, 0),
            (0x102, SPEC_REVISION),
            (0x103, 335),
            (0x104, 2026),
            (0x105, chars(b"SVSM")),
            (0x106, chars(b"SVSM")),
            (0x107, chars(b"vTPM")),
            (0x108, 0),
            (0x109, 0),
            (0x10A, 0),
            (0x10B, 0x0001_0000),
            (0x10C, 0),
            (0x10D, LIMITS.input_buffer as u32),
            (0x10E, LIMITS.objects as u32),
            (0x10F, 0),
            (0x110, LIMITS.sessions as u32),
            (0x111, LIMITS.sessions as u32),
            (0x112, PCR_COUNT as u32),
            (0x113, PCR_SELECT_MIN as u32),
            (0x114, 0xFFFF),
            (0x116, 0),
            (0x117, LIMITS.nv_index_max as u32),
            (0x118, 0),
            (0x119, 1000),
            (0x11A, u32::from(ALG_SHA256)),
            (0x11B, u32::from(ALG_NULL)),
            (0x11C, 0),
            (0x11D, 0),
            (0x11E, MAX_COMMAND_SIZE as u32),
            (0x11F, MAX_COMMAND_SIZE as u32),
            (0x120, 48),
            (0x121, 64),
            (0x122, 64),
            (0x123, 1),
            (0x124, 0),
            (0x125, 0),
            (0x126, 0),
            (0x127, 0),
            (0x128, 0),
            (0x129, COMMANDS.len() as u32),
            (0x12A, COMMANDS.len() as u32),
            (0x12B, 0),
            (0x12C, LIMITS.nv_index_max as u32),
            (0x12D, 0),
            (0x12E, 1024),
            (0x200, permanent),
            (0x201, 0x0000_000F),
            (0x202, self.nv.len() as u32),
            (0x203, loaded_sessions),
            (0x204, (LIMITS.sessions as u32).saturating_sub(active)),
            (0x205, active),
            (0x206, (LIMITS.sessions as u32).saturating_sub(active)),
            (
                0x207,
                LIMITS.objects.saturating_sub(self.objects.len()) as u32
            ),
            (0x208, 0),
            (0x209, 0),
            (0x20A, 0),
            (0x20B, 0),
            (0x20C, 0),
            (0x20D, 2),
            (0x20E, 0),
            (0x20F, 0),
            (0x210, 0),
            (0x211, 0),
            (0x212, 0),
        ]
    }

    /// The handles of one type that exist, sorted.
    fn handles_of(&self, ht: u8) -> Vec<u32> {
        let mut v: Vec<u32> = match ht {
            HT_PCR => (0..PCR_COUNT as u32).collect(),
            HT_NV_INDEX => self.nv.handles(),
            // Loaded sessions, then saved ones (TPM_HT_SAVED_SESSION).
            HT_HMAC_SESSION => self
                .sessions
                .iter()
                .filter(|s| !s.saved)
                .map(|s| s.handle)
                .collect(),
            HT_POLICY_SESSION => self
                .sessions
                .iter()
                .filter(|s| s.saved)
                .map(|s| s.handle)
                .collect(),
            HT_PERMANENT => alloc::vec![
                RH_OWNER,
                RH_NULL,
                RS_PW,
                RH_LOCKOUT,
                RH_ENDORSEMENT,
                RH_PLATFORM,
            ],
            HT_TRANSIENT => self.objects.iter().map(|(h, _)| *h).collect(),
            _ => Vec::new(),
        };
        v.sort_unstable();
        v
    }

    /// TPM2_GetCapability.
    pub(crate) fn get_capability(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let cap = Self::param(cmd, 1, |r| r.u32())?;
        let property = Self::param(cmd, 2, |r| r.u32())?;
        let count = Self::param(cmd, 3, |r| r.u32())?;
        Self::end(cmd)?;
        let max = (count as usize).min(MAX_ENTRIES);
        let mut body = Writer::new();
        let more = match cap {
            CAP_ALGS => {
                let items: Vec<_> = ALGORITHMS
                    .iter()
                    .filter(|(a, _)| u32::from(*a) >= property)
                    .collect();
                page(&mut body, &items, max, |w, (alg, attrs)| {
                    w.u16(*alg).u32(*attrs);
                })
            }
            CAP_HANDLES => {
                let ht = handle_type(property);
                if !matches!(
                    ht,
                    HT_PCR
                        | HT_NV_INDEX
                        | HT_HMAC_SESSION
                        | HT_POLICY_SESSION
                        | HT_PERMANENT
                        | HT_TRANSIENT
                        | HT_PERSISTENT
                ) {
                    return Err(Rc::VALUE.param(2));
                }
                let items: Vec<u32> = self
                    .handles_of(ht)
                    .into_iter()
                    .filter(|h| (*h & 0x00FF_FFFF) >= (property & 0x00FF_FFFF))
                    .collect();
                page(&mut body, &items, max, |w, h| {
                    w.u32(*h);
                })
            }
            CAP_COMMANDS => {
                let items: Vec<_> = COMMANDS
                    .iter()
                    .filter(|c| c.cc >= (property & 0xFFFF))
                    .collect();
                page(&mut body, &items, max, |w, c| {
                    let attrs = c.cc
                        | u32::from(writes_nv(c.cc)) << 22
                        | u32::from(c.handles) << 25
                        | u32::from(c.response_handle) << 28;
                    w.u32(attrs);
                })
            }
            CAP_PP_COMMANDS | CAP_AUDIT_COMMANDS => {
                body.u32(0);
                false
            }
            CAP_PCRS => {
                body.u32(BANKS.len() as u32);
                for bank in BANKS {
                    body.u16(hash_alg_id(bank))
                        .u8(PCR_SELECT_MIN as u8)
                        .bytes(&[0xFF; PCR_SELECT_MIN]);
                }
                false
            }
            CAP_TPM_PROPERTIES => {
                let items: Vec<(u32, u32)> = self
                    .properties()
                    .into_iter()
                    .filter(|(t, _)| *t >= property)
                    .collect();
                page(&mut body, &items, max, |w, (tag, value)| {
                    w.u32(*tag).u32(*value);
                })
            }
            CAP_PCR_PROPERTIES => {
                let bitmap = |pcrs: &mut dyn Iterator<Item = usize>| {
                    let mut b = [0u8; PCR_SELECT_MIN];
                    for i in pcrs {
                        b[i / 8] |= 1 << (i % 8);
                    }
                    b
                };
                let items = [
                    (PT_PCR_SAVE, bitmap(&mut SAVED.clone())),
                    (PT_PCR_EXTEND_L0, bitmap(&mut (0..PCR_COUNT))),
                    (PT_PCR_RESET_L0, bitmap(&mut RESETTABLE.into_iter())),
                    (PT_PCR_NO_INCREMENT, bitmap(&mut RESETTABLE.into_iter())),
                ];
                let items: Vec<_> = items.iter().filter(|(t, _)| *t >= property).collect();
                page(&mut body, &items, max, |w, (tag, b)| {
                    w.u32(*tag).u8(PCR_SELECT_MIN as u8).bytes(b);
                })
            }
            CAP_ECC_CURVES => {
                let items: Vec<u16> = [ECC_NIST_P256, ECC_NIST_P384]
                    .into_iter()
                    .filter(|c| u32::from(*c) >= property)
                    .collect();
                page(&mut body, &items, max, |w, c| {
                    w.u16(*c);
                })
            }
            _ => return Err(Rc::VALUE.param(1)),
        };
        let mut w = Writer::new();
        w.u8(u8::from(more)).u32(cap).bytes(&body.buf);
        Ok(Response::with(w))
    }
}
