//! Target: the vTPM's command parser and engine (`svsm-vtpm`), over the
//! host crypto module.
//!
//! One [`Tpm`] per thread, manufactured once with fixed seeds and powered
//! on. Every input starts from the same volatile state: `power_on` (loaded
//! objects, sessions and saved contexts wiped) and TPM2_Startup(CLEAR); the
//! persistent state (NV indices, hierarchy authValues) carries over between
//! inputs, as it does across a real TPM's reboots.
//!
//! The input is a stream of commands framed as a TPM transport frames them:
//! each command's own `commandSize` field (bytes 2..6, big-endian) says how
//! long it is; when that field is below the 10-byte header or beyond the
//! bytes left, the rest of the input is one command (so a single raw command
//! is an input, and so is a concatenation of commands). At most
//! [`MAX_COMMANDS`] are run. Properties checked beyond "no panic":
//! * every response is well-formed: at least 10 bytes and at most
//!   [`MAX_COMMAND_SIZE`], tag TPM_ST_NO_SESSIONS or TPM_ST_SESSIONS, its
//!   `responseSize` equal to its length; an error response is the 10-byte
//!   header with TPM_ST_NO_SESSIONS; TPM_ST_SESSIONS answers only a command
//!   sent with sessions;
//! * the loaded resources stay within the engine's [`LIMITS`]
//!   ([`Tpm::resources`]: transient objects and sequences, sessions, saved
//!   contexts).

use svsm_vtpm::{LIMITS, MAX_COMMAND_SIZE, ModuleCrypto, SEED_LEN, Seeds, Tpm};
use zeroize::Zeroizing;

/// TPM_ST_NO_SESSIONS and TPM_ST_SESSIONS.
pub const ST_NO_SESSIONS: u16 = 0x8001;
pub const ST_SESSIONS: u16 = 0x8002;
/// TPM_CC_Startup.
pub const CC_STARTUP: u32 = 0x144;

/// Most commands one input runs.
pub const MAX_COMMANDS: usize = 8;

/// Bytes of a command or response header (tag, size, code).
const HEADER: usize = 10;

type HostTpm = Tpm<ModuleCrypto<'static>>;

/// A command: the header (tag, size, code) then `body`.
pub fn command(tag: u16, code: u32, body: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(HEADER + body.len());
    c.extend_from_slice(&tag.to_be_bytes());
    c.extend_from_slice(&((HEADER + body.len()) as u32).to_be_bytes());
    c.extend_from_slice(&code.to_be_bytes());
    c.extend_from_slice(body);
    c
}

/// The commands of an input, split by their `commandSize` fields.
pub fn split(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !data.is_empty() && out.len() < MAX_COMMANDS {
        let size = data
            .get(2..6)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .filter(|&n| (HEADER..=data.len()).contains(&n))
            .unwrap_or(data.len());
        let (head, rest) = data.split_at(size);
        out.push(head);
        data = rest;
    }
    out
}

/// The thread's TPM, manufactured with fixed seeds.
fn with_tpm<R>(f: impl FnOnce(&mut HostTpm) -> R) -> R {
    thread_local! {
        static TPM: std::cell::RefCell<HostTpm> = std::cell::RefCell::new({
            let crypto = ModuleCrypto::new(svsm_crypto::host::module())
                .expect("the host module's DRBG instantiates");
            let seed = |b: u8| Zeroizing::new([b; SEED_LEN]);
            let seeds = Seeds {
                endorsement: seed(0xe5),
                owner: seed(0x05),
                platform: seed(0x9f),
            };
            Tpm::manufacture_with_seeds(crypto, seeds)
        });
    }
    TPM.with(|t| f(&mut t.borrow_mut()))
}

/// The response code of a well-formed response.
pub fn rc(response: &[u8]) -> u32 {
    u32::from_be_bytes([response[6], response[7], response[8], response[9]])
}

/// Runs the input's commands on a freshly started TPM and returns their
/// responses, each checked (module docs).
pub fn run(data: &[u8]) -> Vec<Vec<u8>> {
    with_tpm(|tpm| {
        tpm.power_on();
        let started = tpm.execute(&command(ST_NO_SESSIONS, CC_STARTUP, &[0, 0]));
        assert_eq!(rc(&started), 0, "Startup(CLEAR) after power-on");
        split(data)
            .into_iter()
            .map(|cmd| {
                let response = tpm.execute(cmd);
                check(cmd, &response);
                let (objects, sessions, saved) = tpm.resources();
                assert!(objects <= LIMITS.objects, "{objects} objects loaded");
                assert!(sessions <= LIMITS.sessions, "{sessions} sessions loaded");
                assert!(saved <= LIMITS.saved_objects, "{saved} contexts saved");
                response
            })
            .collect()
    })
}

/// A response's shape (module docs).
fn check(cmd: &[u8], response: &[u8]) {
    let len = response.len();
    assert!(
        (HEADER..=MAX_COMMAND_SIZE).contains(&len),
        "a response of {len} bytes"
    );
    let tag = u16::from_be_bytes([response[0], response[1]]);
    let size = u32::from_be_bytes([response[2], response[3], response[4], response[5]]);
    assert_eq!(size as usize, len, "responseSize differs from the length");
    match tag {
        ST_NO_SESSIONS => {}
        ST_SESSIONS => assert_eq!(
            cmd.get(..2),
            Some(&ST_SESSIONS.to_be_bytes()[..]),
            "sessions answered to a command without"
        ),
        _ => panic!("response tag {tag:#x}"),
    }
    if rc(response) != 0 {
        assert_eq!(
            (tag, len),
            (ST_NO_SESSIONS, HEADER),
            "an error response is the bare header"
        );
    }
}

/// Runs one input.
pub fn one_input(data: &[u8]) {
    run(data);
}
