//! The vTPM (protocol 2) as Linux's `tpm_svsm` driver drives it, every
//! answer checked: SVSM_VTPM_QUERY; GetCapability, Startup, SelfTest,
//! GetRandom, PCR_Extend and PCR_Read (the expected PCR computed here with
//! RustCrypto), CreatePrimary (ECC P-256) and Quote, whose signature and
//! PCR digest are verified here with RustCrypto `p256`/`sha2`, independently
//! of the SVSM's crypto module; a hash sequence larger than the crypto
//! gate's page; hostile buffers; the round trips timed.
//!
//! Guest RAM: page 13 is the command buffer, pages 14-15 the unaligned and
//! out-of-range buffers.

use p256::ecdsa::signature::Verifier;
use sha2::{Digest, Sha256};
use svsm_abi::harness::Flags;
use svsm_protocol::attest::{self, AttestSingleRequest};
use svsm_protocol::code;
use svsm_protocol::core_protocol as core_p;
use svsm_protocol::vtpm::{
    self as proto, MAX_COMMAND, MAX_RESPONSE, SendCommandRequest, TPM_SEND_COMMAND,
};
use zerocopy::IntoBytes;

use crate::guest::{Guest, Out, PAGE};
use crate::tpm::*;
use crate::{MARKERS, SVSM_MEMORY, V1, rt, say};

const VTPM: u32 = proto::PROTOCOL_ID;
/// The PCR the harness extends (PC Client: debug, resettable).
const PCR: usize = 16;
/// How many round trips each timed figure is the median of.
const TIMED: usize = 9;
/// SequenceUpdates of 1024 bytes (the TPM's input buffer) in
/// [`large_sequence`]: 48 KiB, three times the crypto gate's page.
const SEQUENCE_UPDATES: usize = 48;

/// Runs the vTPM cases, or checks that the vTPM is refused when it is not
/// offered (and not expected).
pub fn run(g: &mut Guest, flags: Flags) {
    let [_, rdx, r8, r9] = MARKERS;
    let offered = g
        .expect(
            "QUERY_PROTOCOL(vTPM v1)",
            0,
            core_p::QUERY_PROTOCOL,
            [(u64::from(VTPM) << 32) | 1, rdx, r8, r9],
            code::SUCCESS,
            Out::Written,
        )
        .rcx;
    let expected = flags.contains(Flags::EXPECT_VTPM);
    if offered != V1 {
        g.check(
            "  the kernel does not run a vTPM (EXPECT_VTPM clear)",
            !expected,
        );
        g.check("  QUERY_PROTOCOL(vTPM v1) answers 0", offered == 0);
        say!("harness: vTPM (protocol 2) not offered: vTPM cases skipped");
        g.expect(
            "SVSM_VTPM_QUERY (not offered)",
            VTPM,
            proto::SVSM_VTPM_QUERY,
            MARKERS,
            code::UNSUPPORTED_PROTOCOL,
            Out::Unchanged,
        );
        return;
    }
    if flags.contains(Flags::VTPM_FAULTS) {
        faulting_service(g);
        return;
    }
    query(g);
    attested(g);
    let quote_key = linux_sequence(g);
    large_sequence(g);
    hostile(g);
    if let Some(key) = quote_key {
        timings(g, key);
    }
    say!("harness: vTPM served as specified");
}

fn query(g: &mut Guest) {
    let [_, _, r8, _] = MARKERS;
    g.expect(
        "SVSM_VTPM_QUERY",
        VTPM,
        proto::SVSM_VTPM_QUERY,
        MARKERS,
        code::SUCCESS,
        Out::Are([1 << TPM_SEND_COMMAND, 0, r8]),
    );
    g.expect(
        "unknown vTPM call 2",
        VTPM,
        2,
        MARKERS,
        code::UNSUPPORTED_CALL,
        Out::Unchanged,
    );
}

/// ATTEST_SINGLE_SERVICE(vTPM): the vTPM service's manifest is an ECC
/// public area (the EK), bound to the report's REPORT_DATA.
fn attested(g: &mut Guest) {
    g.write(g.page(4), &crate::nonce());
    let op = AttestSingleRequest {
        common: crate::request(g, PAGE as u32, 0, PAGE as u32),
        service_guid: proto::VTPM_SERVICE_GUID,
        ..AttestSingleRequest::default()
    };
    let [len, _, _] = crate::attest_call(
        g,
        "ATTEST_SINGLE_SERVICE(vTPM c476f1eb-0123-45a5-9641-b4e7dde5bfe3)",
        op.as_bytes(),
        attest::ATTEST_SINGLE_SERVICE,
        code::SUCCESS,
        Out::Written,
    );
    let mut ek = [0u8; PAGE as usize];
    let ek = &mut ek[..(len as usize).min(PAGE as usize)];
    g.read(g.page(5), ek);
    let mut r = Reader::new(ek);
    g.check(
        "  vTPM manifest is the EK public area (ECC, SHA-256 name)",
        r.u16() == Some(ALG_ECC) && r.u16() == Some(ALG_SHA256),
    );
    crate::verify_report(g, ek);
}

/// The command buffer.
fn buffer(g: &Guest) -> u64 {
    g.page(13)
}

/// Writes a SEND_COMMAND request (header as given, then `tpm`) at `at`.
fn put_request(g: &Guest, at: u64, command: u32, locality: u8, size: u32, tpm: &[u8]) {
    let header = SendCommandRequest {
        command: command.into(),
        locality,
        size: size.into(),
    };
    g.write(at, header.as_bytes());
    g.write(at + size_of::<SendCommandRequest>() as u64, tpm);
}

/// One SVSM_VTPM_CMD with `tpm` at the command buffer, checked at the
/// protocol level (SUCCESS, registers, a response size within the page and
/// matching the TPM header). `None` when any of that is off.
fn send(g: &mut Guest, what: &str, tpm: &[u8], out: &mut Response) -> Option<u32> {
    let at = buffer(g);
    put_request(g, at, TPM_SEND_COMMAND, 0, tpm.len() as u32, tpm);
    let [_, rdx, r8, r9] = MARKERS;
    let r = g.expect(
        what,
        VTPM,
        proto::SVSM_VTPM_CMD,
        [at, rdx, r8, r9],
        code::SUCCESS,
        Out::Unchanged,
    );
    read_response(g, r.rax, at, out)
}

/// Reads the response at `at` into `out` after a call that answered `rax`.
fn read_response(g: &mut Guest, rax: u64, at: u64, out: &mut Response) -> Option<u32> {
    if rax != code::SUCCESS {
        return None;
    }
    let mut size = [0u8; 4];
    g.read(at, &mut size);
    let size = u32::from_le_bytes(size) as usize;
    if size > MAX_RESPONSE {
        g.check("  response size within the page", false);
        return None;
    }
    out.len = size;
    g.read(at + 4, &mut out.buf[..size]);
    let rc = out.rc();
    if rc.is_none() {
        g.check("  response header (tag, size) well formed", false);
    }
    rc
}

/// Sends and checks the TPM response code against `want`.
fn send_expect(
    g: &mut Guest,
    what: &str,
    cmd: &mut Command,
    want: &[u32],
    out: &mut Response,
) -> bool {
    let Some(tpm) = cmd.bytes() else {
        g.check("command fits the page", false);
        return false;
    };
    let rc = send(g, what, tpm, out);
    let ok = rc.is_some_and(|rc| want.contains(&rc));
    let mut line = rt::Line::new();
    let _ = core::fmt::Write::write_fmt(
        &mut line,
        format_args!("  TPM response code {:#x} expected", rc.unwrap_or(u32::MAX)),
    );
    g.check(line.as_str(), ok);
    ok
}

/// GetCapability(TPM_PROPERTIES, `property`, 1): the value, if the TPM
/// answered SUCCESS with that property.
fn property(resp: &Response, property: u32) -> Option<u32> {
    let mut r = resp.body();
    r.u8()?; // moreData
    (r.u32()? == CAP_TPM_PROPERTIES).then_some(())?;
    (r.u32()? >= 1).then_some(())?;
    (r.u32()? == property).then_some(())?;
    r.u32()
}

fn get_capability(property: u32) -> Command {
    let mut c = Command::new(ST_NO_SESSIONS, CC_GET_CAPABILITY);
    c.u32(CAP_TPM_PROPERTIES).u32(property).u32(1);
    c
}

/// A PCR's SHA-256 value, read through the vTPM.
fn pcr_read(g: &mut Guest, what: &str, out: &mut Response) -> Option<[u8; 32]> {
    let mut c = Command::new(ST_NO_SESSIONS, CC_PCR_READ);
    c.sha256_pcr(PCR);
    if !send_expect(g, what, &mut c, &[RC_SUCCESS], out) {
        return None;
    }
    let mut r = out.body();
    r.u32()?; // pcrUpdateCounter
    (r.u32()? == 1 && r.u16()? == ALG_SHA256 && r.u8()? == 3).then_some(())?;
    r.take(3)?;
    (r.u32()? == 1).then_some(())?;
    r.b2()?.try_into().ok()
}

fn pcr_extend(digest: &[u8; 32]) -> Command {
    let mut c = Command::new(ST_SESSIONS, CC_PCR_EXTEND);
    c.u32(PCR as u32)
        .password_session()
        .u32(1)
        .u16(ALG_SHA256)
        .raw(digest);
    c
}

fn get_random(n: u16) -> Command {
    let mut c = Command::new(ST_NO_SESSIONS, CC_GET_RANDOM);
    c.u16(n);
    c
}

/// The signing key of the Quote: an unrestricted ECDSA P-256/SHA-256 key.
fn create_primary() -> Command {
    let mut template = Command::new(0, 0);
    template
        .u16(ALG_ECC)
        .u16(ALG_SHA256)
        .u32(0x0004_0072) // fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|sign
        .b2(&[])
        .u16(ALG_NULL)
        .u16(ALG_ECDSA)
        .u16(ALG_SHA256)
        .u16(ECC_NIST_P256)
        .u16(ALG_NULL)
        .b2(&[])
        .b2(&[]);
    let template = &template.bytes().unwrap_or(&[])[10..];
    let mut c = Command::new(ST_SESSIONS, CC_CREATE_PRIMARY);
    c.u32(RH_OWNER)
        .password_session()
        .u16(4)
        .b2(&[])
        .b2(&[]) // inSensitive: empty userAuth and data
        .b2(template)
        .b2(&[]) // outsideInfo
        .u32(0); // creationPCR: none
    c
}

/// The P-256 point of a CreatePrimary response for the template above, and
/// the object handle.
fn primary_key(resp: &Response) -> Option<(u32, p256::ecdsa::VerifyingKey)> {
    let mut r = resp.body();
    let handle = r.u32()?;
    r.u32()?; // parameterSize
    let public = r.b2()?;
    let mut p = Reader::new(public);
    (p.u16()? == ALG_ECC && p.u16()? == ALG_SHA256).then_some(())?;
    p.u32()?;
    p.b2()?;
    (p.u16()? == ALG_NULL && p.u16()? == ALG_ECDSA && p.u16()? == ALG_SHA256).then_some(())?;
    (p.u16()? == ECC_NIST_P256 && p.u16()? == ALG_NULL).then_some(())?;
    let (x, y) = (p.b2()?, p.b2()?);
    let mut sec1 = [0u8; 65];
    sec1[0] = 4;
    sec1.get_mut(33 - x.len()..33)?.copy_from_slice(x);
    sec1.get_mut(65 - y.len()..65)?.copy_from_slice(y);
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).ok()?;
    Some((handle, key))
}

fn quote(key: u32, nonce: &[u8]) -> Command {
    let mut c = Command::new(ST_SESSIONS, CC_QUOTE);
    c.u32(key)
        .password_session()
        .b2(nonce)
        .u16(ALG_NULL) // the key's own scheme (ECDSA/SHA-256)
        .sha256_pcr(PCR);
    c
}

/// Checks a Quote response: TPMS_ATTEST (magic, type, extraData = nonce,
/// one SHA-256 PCR, pcrDigest = SHA-256(pcr)) and the ECDSA signature over
/// it, both here, with RustCrypto.
fn check_quote(
    g: &mut Guest,
    resp: &Response,
    key: &p256::ecdsa::VerifyingKey,
    nonce: &[u8],
    pcr: &[u8; 32],
) {
    let parsed = (|| {
        let mut r = resp.body();
        r.u32()?; // parameterSize
        let quoted = r.b2()?;
        let (alg, hash) = (r.u16()?, r.u16()?);
        let (sig_r, sig_s) = (r.b2()?, r.b2()?);
        Some((quoted, alg, hash, sig_r, sig_s))
    })();
    let Some((quoted, alg, hash, sig_r, sig_s)) = parsed else {
        g.check("Quote response parses", false);
        return;
    };
    let attest = (|| {
        let mut a = Reader::new(quoted);
        (a.u32()? == GENERATED_VALUE && a.u16()? == ST_ATTEST_QUOTE).then_some(())?;
        a.b2()?; // qualifiedSigner
        let extra = a.b2()?;
        a.take(17 + 8)?; // clockInfo, firmwareVersion
        (a.u32()? == 1 && a.u16()? == ALG_SHA256 && a.u8()? == 3).then_some(())?;
        let select = a.take(3)?;
        let digest = a.b2()?;
        Some((extra, select, digest))
    })();
    let mut expected_select = [0u8; 3];
    expected_select[PCR / 8] = 1 << (PCR % 8);
    let expected_digest = Sha256::digest(pcr);
    g.check(
        "Quote: TPMS_ATTEST magic, type, nonce, PCR 16, pcrDigest = SHA-256(PCR)",
        attest.is_some_and(|(extra, select, digest)| {
            extra == nonce && select == expected_select && digest == &expected_digest[..]
        }),
    );
    let mut rs = [0u8; 64];
    let fits = sig_r.len() <= 32 && sig_s.len() <= 32;
    if fits {
        rs[32 - sig_r.len()..32].copy_from_slice(sig_r);
        rs[64 - sig_s.len()..].copy_from_slice(sig_s);
    }
    let signature = p256::ecdsa::Signature::from_slice(&rs)
        .ok()
        .filter(|_| fits);
    let verified = signature.is_some_and(|s| key.verify(quoted, &s).is_ok());
    g.check(
        "Quote signature (ECDSA P-256/SHA-256) verifies with RustCrypto",
        alg == ALG_ECDSA && hash == ALG_SHA256 && verified,
    );
    let mut tampered = [0u8; MAX_RESPONSE];
    let tampered = &mut tampered[..quoted.len()];
    tampered.copy_from_slice(quoted);
    if let Some(b) = tampered.last_mut() {
        *b ^= 1;
    }
    let rejected = signature.is_some_and(|s| key.verify(tampered, &s).is_err());
    g.check("tampered quote rejected", rejected);
}

/// What Linux does at probe and after; the handle of the loaded quote key,
/// or `None` if a step the rest depends on failed (the failure is counted).
fn linux_sequence(g: &mut Guest) -> Option<u32> {
    let mut resp = Response::empty();
    // tpm2_probe: any TPM 2.0 answer, before or after Startup.
    send_expect(
        g,
        "TPM2_GetCapability(PT_TOTAL_COMMANDS) (probe)",
        &mut get_capability(PT_TOTAL_COMMANDS),
        &[RC_SUCCESS, RC_INITIALIZE],
        &mut resp,
    );
    let mut startup = Command::new(ST_NO_SESSIONS, CC_STARTUP);
    startup.u16(SU_CLEAR);
    // SUCCESS, or INITIALIZE when the SVSM already started it.
    send_expect(
        g,
        "TPM2_Startup(CLEAR)",
        &mut startup,
        &[RC_SUCCESS, RC_INITIALIZE],
        &mut resp,
    );
    let mut self_test = Command::new(ST_NO_SESSIONS, CC_SELF_TEST);
    self_test.u8(1);
    send_expect(
        g,
        "TPM2_SelfTest(full)",
        &mut self_test,
        &[RC_SUCCESS],
        &mut resp,
    );
    if send_expect(
        g,
        "TPM2_GetCapability(PT_FAMILY_INDICATOR)",
        &mut get_capability(PT_FAMILY_INDICATOR),
        &[RC_SUCCESS],
        &mut resp,
    ) {
        g.check(
            "  family indicator \"2.0\"",
            property(&resp, PT_FAMILY_INDICATOR) == Some(u32::from_be_bytes(*b"2.0\0")),
        );
    }

    if send_expect(
        g,
        "TPM2_GetRandom(32)",
        &mut get_random(32),
        &[RC_SUCCESS],
        &mut resp,
    ) {
        let mut r = resp.body();
        let bytes = r.b2();
        g.check(
            "  32 random bytes, not all zero",
            bytes.is_some_and(|b| b.len() == 32 && b.iter().any(|&x| x != 0)),
        );
    }

    let before = pcr_read(g, "TPM2_PCR_Read(SHA-256, PCR 16)", &mut resp)?;
    let measurement: [u8; 32] = Sha256::digest(b"svsm guest harness measurement").into();
    send_expect(
        g,
        "TPM2_PCR_Extend(PCR 16, SHA-256)",
        &mut pcr_extend(&measurement),
        &[RC_SUCCESS],
        &mut resp,
    );
    let mut expected = Sha256::new();
    expected.update(before);
    expected.update(measurement);
    let expected: [u8; 32] = expected.finalize().into();
    let after = pcr_read(g, "TPM2_PCR_Read after the extend", &mut resp);
    g.check(
        "  PCR 16 == SHA-256(old || measurement), computed here",
        after == Some(expected),
    );

    if !send_expect(
        g,
        "TPM2_CreatePrimary(owner, ECC P-256 ECDSA)",
        &mut create_primary(),
        &[RC_SUCCESS],
        &mut resp,
    ) {
        return None;
    }
    let Some((handle, key)) = primary_key(&resp) else {
        g.check("  P-256 public key parses and is on the curve", false);
        return None;
    };
    g.check("  P-256 public key parses and is on the curve", true);
    let nonce = *b"harness quote nonce 0123456789ab";
    if send_expect(
        g,
        "TPM2_Quote(PCR 16, nonce)",
        &mut quote(handle, &nonce),
        &[RC_SUCCESS],
        &mut resp,
    ) {
        check_quote(g, &resp, &key, &nonce, &expected);
    }
    Some(handle)
}

/// Byte `i` of the data [`large_sequence`] hashes.
fn sequence_byte(i: usize) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 10)) as u8
}

/// A SHA-256 hash sequence of [`SEQUENCE_UPDATES`] KiB and a tail, as
/// tpm2_hash sends a large file: HashSequenceStart, SequenceUpdate per
/// KiB, SequenceComplete; the digest checked against RustCrypto here. The
/// service carries the running hash across the crypto gate as the module's
/// state, so the sequence is not bounded by the gate's page.
fn large_sequence(g: &mut Guest) {
    let mut resp = Response::empty();
    let mut start = Command::new(ST_NO_SESSIONS, CC_HASH_SEQUENCE_START);
    start.b2(&[]).u16(ALG_SHA256);
    if !send_expect(
        g,
        "TPM2_HashSequenceStart(SHA-256)",
        &mut start,
        &[RC_SUCCESS],
        &mut resp,
    ) {
        return;
    }
    let Some(handle) = resp.body().u32() else {
        g.check("  sequence handle", false);
        return;
    };
    let mut reference = Sha256::new();
    let at = buffer(g);
    let mut all_ok = true;
    let mut chunk = [0u8; 1024];
    for k in 0..SEQUENCE_UPDATES {
        for (i, b) in chunk.iter_mut().enumerate() {
            *b = sequence_byte(k * 1024 + i);
        }
        reference.update(chunk);
        let mut update = Command::new(ST_SESSIONS, CC_SEQUENCE_UPDATE);
        update.u32(handle).password_session().b2(&chunk);
        let Some(tpm) = update.bytes() else {
            all_ok = false;
            break;
        };
        put_request(g, at, TPM_SEND_COMMAND, 0, tpm.len() as u32, tpm);
        let r = g.call(VTPM, proto::SVSM_VTPM_CMD, [at, 0, 0, 0]);
        all_ok &= read_response(g, r.rax, at, &mut resp) == Some(RC_SUCCESS);
    }
    g.check("  every SequenceUpdate (1 KiB each) SUCCESS", all_ok);
    let tail = b"end of the large sequence";
    reference.update(tail);
    let mut complete = Command::new(ST_SESSIONS, CC_SEQUENCE_COMPLETE);
    complete
        .u32(handle)
        .password_session()
        .b2(tail)
        .u32(RH_NULL);
    if send_expect(
        g,
        "TPM2_SequenceComplete(the tail, NULL hierarchy)",
        &mut complete,
        &[RC_SUCCESS],
        &mut resp,
    ) {
        let expected: [u8; 32] = reference.finalize().into();
        let mut r = resp.body();
        let digest = r.u32().and_then(|_| r.b2());
        g.check(
            "  digest == SHA-256 of the whole sequence, computed here",
            digest == Some(&expected[..]),
        );
    }
}

fn hostile(g: &mut Guest) {
    let at = buffer(g);
    let get = [0x80, 0x01, 0, 0, 0, 12, 0, 0, 1, 0x7B, 0, 8];
    let cases: [(&str, u32, u8, u32, u64); 4] = [
        (
            "SVSM_VTPM_CMD(platform command 7)",
            7,
            0,
            12,
            code::INVALID_PARAMETER,
        ),
        (
            "SVSM_VTPM_CMD(locality 4)",
            TPM_SEND_COMMAND,
            4,
            12,
            code::INVALID_PARAMETER,
        ),
        (
            "SVSM_VTPM_CMD(size beyond the page)",
            TPM_SEND_COMMAND,
            0,
            MAX_COMMAND as u32 + 1,
            code::INVALID_PARAMETER,
        ),
        (
            "SVSM_VTPM_CMD(size 0xffffffff)",
            TPM_SEND_COMMAND,
            0,
            u32::MAX,
            code::INVALID_PARAMETER,
        ),
    ];
    let [_, rdx, r8, r9] = MARKERS;
    for (what, command, locality, size, want) in cases {
        put_request(g, at, command, locality, size, &get);
        g.expect(
            what,
            VTPM,
            proto::SVSM_VTPM_CMD,
            [at, rdx, r8, r9],
            want,
            Out::Unchanged,
        );
        let mut first = [0u8; 4];
        g.read(at, &mut first);
        g.check("  request left as written", first == command.to_le_bytes());
    }
    for (what, gpa) in [
        ("SVSM_VTPM_CMD(buffer in SVSM memory)", SVSM_MEMORY),
        (
            "SVSM_VTPM_CMD(buffer running past guest RAM)",
            g.page(15) + PAGE / 2,
        ),
    ] {
        g.expect(
            what,
            VTPM,
            proto::SVSM_VTPM_CMD,
            [gpa, rdx, r8, r9],
            code::INVALID_ADDRESS,
            Out::Unchanged,
        );
    }
    // A truncated TPM command is the TPM's business: it answers an error.
    let mut resp = Response::empty();
    let rc = send(
        g,
        "SVSM_VTPM_CMD(truncated TPM command)",
        &get[..11],
        &mut resp,
    );
    g.check(
        "  the TPM answers a bare error response",
        rc.is_some_and(|rc| rc != RC_SUCCESS) && resp.len == 10,
    );
    // Any alignment: a buffer starting mid-page, spanning two pages.
    let unaligned = g.page(14) + 0x321;
    put_request(g, unaligned, TPM_SEND_COMMAND, 0, 12, &get);
    let r = g.expect(
        "SVSM_VTPM_CMD(buffer not page aligned)",
        VTPM,
        proto::SVSM_VTPM_CMD,
        [unaligned, rdx, r8, r9],
        code::SUCCESS,
        Out::Unchanged,
    );
    let rc = read_response(g, r.rax, unaligned, &mut resp);
    g.check(
        "  GetRandom(8) answered there",
        rc == Some(RC_SUCCESS) && resp.len == 20,
    );
}

/// The round trips `make bench` reads: PCR_Extend, GetRandom(32), Quote.
/// Printed only; no test asserts a duration. `key` (the quote key) is
/// flushed afterwards.
fn timings(g: &mut Guest, key: u32) {
    let mut resp = Response::empty();
    let measurement = [0x5a; 32];
    let cases: [(&str, Command); 3] = [
        ("PCR_Extend", pcr_extend(&measurement)),
        ("GetRandom(32)", get_random(32)),
        ("Quote", quote(key, b"timed")),
    ];
    for (name, mut cmd) in cases {
        let mut cycles = [0u64; TIMED];
        let Some(tpm) = cmd.bytes() else { continue };
        let at = buffer(g);
        let mut all_ok = true;
        for sample in cycles.iter_mut() {
            put_request(g, at, TPM_SEND_COMMAND, 0, tpm.len() as u32, tpm);
            let start = rt::tsc();
            let r = g.call(VTPM, proto::SVSM_VTPM_CMD, [at, 0, 0, 0]);
            *sample = rt::tsc().wrapping_sub(start);
            all_ok &= read_response(g, r.rax, at, &mut resp) == Some(RC_SUCCESS);
        }
        g.check("timed round trips all SUCCESS", all_ok);
        cycles.sort_unstable();
        say!(
            "harness: vtpm round trip {name}: {} cycles (median of {TIMED}, min {}, max {})",
            cycles[TIMED / 2],
            cycles[0],
            cycles[TIMED - 1]
        );
    }
    let mut flush = Command::new(ST_NO_SESSIONS, CC_FLUSH_CONTEXT);
    flush.u32(key);
    send_expect(
        g,
        "TPM2_FlushContext(quote key)",
        &mut flush,
        &[RC_SUCCESS],
        &mut resp,
    );
}

/// The service faults on its first request: that request and every later
/// vTPM call are refused, and QUERY_PROTOCOL stops offering protocol 2.
fn faulting_service(g: &mut Guest) {
    let at = buffer(g);
    let get = [0x80, 0x01, 0, 0, 0, 12, 0, 0, 1, 0x7B, 0, 8];
    put_request(g, at, TPM_SEND_COMMAND, 0, 12, &get);
    let [_, rdx, r8, r9] = MARKERS;
    for what in [
        "SVSM_VTPM_CMD (the service faults)",
        "SVSM_VTPM_CMD (after the fault)",
    ] {
        g.expect(
            what,
            VTPM,
            proto::SVSM_VTPM_CMD,
            [at, rdx, r8, r9],
            code::UNSUPPORTED_PROTOCOL,
            Out::Unchanged,
        );
    }
    g.expect(
        "SVSM_VTPM_QUERY (after the fault)",
        VTPM,
        proto::SVSM_VTPM_QUERY,
        MARKERS,
        code::UNSUPPORTED_PROTOCOL,
        Out::Unchanged,
    );
    let [_, rdx, r8, r9] = MARKERS;
    g.expect(
        "QUERY_PROTOCOL(vTPM v1) after the fault",
        0,
        core_p::QUERY_PROTOCOL,
        [(u64::from(VTPM) << 32) | 1, rdx, r8, r9],
        code::SUCCESS,
        Out::Are([0, rdx, r8]),
    );
    say!("harness: vTPM service faulted: protocol 2 withdrawn, as required");
}
