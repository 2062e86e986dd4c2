//! The guest harness: a ring-3 program that plays the guest on Native.
//!
//! It owns a Calling Area and buffers in its guest RAM, issues every call the
//! SVSM serves and many it must refuse, with the real register convention,
//! and checks every answer against the specification (docs/protocol.md). It
//! verifies development reports itself, with RustCrypto (SHA-512, ECDSA
//! P-384), independently of the SVSM's crypto module. Exit status 0 means
//! every check passed.
//!
//! Guest RAM layout (pages): 0 Calling Area, 1 second Calling Area, 2
//! PVALIDATE request, 3 attestation operation, 4 nonce, 5 manifest, 6
//! certificates, 7 report, 8-15 pages to (in)validate.
#![no_std]
#![no_main]

extern crate alloc;

mod guest;
mod rt;

use p384::ecdsa::signature::Verifier;
use sha2::{Digest, Sha512};
use svsm_protocol::attest::{
    self, AttestRequest, AttestSingleRequest, ManifestEntry, ManifestHeader,
};
use svsm_protocol::code;
use svsm_protocol::core_protocol::{self as core_p, entry};
use svsm_protocol::platform::native::{
    DEV_REPORT_MAGIC, DEV_REPORT_NOT_HARDWARE_ROOTED, DEV_REPORT_SIGNED_LEN, DEV_REPORT_SIZE,
    DevReport,
};
use zerocopy::{FromBytes, IntoBytes};

use svsm_abi::harness::Flags;

use guest::{Guest, Out, PAGE};

/// An address the guest was never granted: the SVSM kernel image.
const SVSM_MEMORY: u64 = 0x10_0000;

const CORE: u32 = core_p::PROTOCOL_ID;
const ATTEST: u32 = attest::PROTOCOL_ID;
const V1: u64 = (1 << 32) | 1;
/// Argument values for calls that read none: the SVSM must hand them back.
const MARKERS: [u64; 4] = [
    0xc0c0_c0c0_0000_00c1,
    0xd0d0_d0d0_0000_00d1,
    0x8888_8888_0000_0081,
    0x9999_9999_0000_0091,
];

extern "C" fn harness_main(va: u64, gpa: u64, size: u64, flags: u64, caa: u64) -> ! {
    say!(
        "harness: guest RAM {gpa:#x}+{size:#x} at {va:#x}, Calling Area {caa:#x}, flags {flags:#x}"
    );
    let flags = Flags::from_bits_retain(flags);
    if flags.contains(Flags::FAULT) {
        say!("harness: test=guest-fault: reading SVSM memory at {SVSM_MEMORY:#x} from ring 3");
        // SAFETY: not sound on purpose: the page is supervisor-only, so the
        // read faults and the kernel ends this task; it never returns.
        let value = unsafe { core::ptr::read_volatile(SVSM_MEMORY as *const u64) };
        say!("harness: read {value:#x}: SVSM memory is readable from ring 3!");
        rt::exit(3);
    }
    let mut g = Guest::new(va, gpa, size, caa);
    dispatcher(&mut g);
    remap_ca(&mut g);
    pvalidate(&mut g);
    other_core_calls(&mut g);
    if flags.contains(Flags::EXPECT_ATTESTATION) {
        attestation(&mut g);
    } else {
        attestation_refused(&mut g);
    }
    round_trip(&mut g);
    say!("harness: {} calls, {} failures", g.calls, g.failures);
    rt::exit(u64::from(g.failures != 0))
}

/// How many QUERY_PROTOCOL calls the round-trip figure is the median of.
const ROUND_TRIPS: usize = 255;

/// The cost of one SVSM call as the guest sees it (mark `call_pending`,
/// trap, check it cleared), in TSC cycles, for `make bench`. Only printed:
/// no test asserts a duration.
fn round_trip(g: &mut Guest) {
    let mut cycles = [0u64; ROUND_TRIPS];
    for sample in cycles.iter_mut() {
        let start = rt::tsc();
        let regs = g.call(CORE, core_p::QUERY_PROTOCOL, [V1, 0, 0, 0]);
        *sample = rt::tsc().wrapping_sub(start);
        if regs.rax != code::SUCCESS {
            g.fail(format_args!(
                "QUERY_PROTOCOL round trip answered {:#x}",
                regs.rax
            ));
            return;
        }
    }
    cycles.sort_unstable();
    say!(
        "harness: QUERY_PROTOCOL round trip: {} TSC cycles (median of {ROUND_TRIPS}, min {}, max {})",
        cycles[ROUND_TRIPS / 2],
        cycles[0],
        cycles[ROUND_TRIPS - 1]
    );
}

fn dispatcher(g: &mut Guest) {
    let q = core_p::QUERY_PROTOCOL;
    core_out(g, "QUERY_PROTOCOL(core v1)", q, 1, code::SUCCESS, V1);
    core_out(g, "QUERY_PROTOCOL(core v2)", q, 2, code::SUCCESS, 0);
    core_out(
        g,
        "QUERY_PROTOCOL(vTPM v1)",
        q,
        (2 << 32) | 1,
        code::SUCCESS,
        0,
    );
    core_out(
        g,
        "QUERY_PROTOCOL(APIC v1)",
        q,
        (3 << 32) | 1,
        code::SUCCESS,
        0,
    );
    g.expect(
        "unknown protocol 7",
        7,
        0,
        MARKERS,
        code::UNSUPPORTED_PROTOCOL,
        Out::Unchanged,
    );
    g.expect(
        "unknown protocol 0xffffffff",
        u32::MAX,
        0,
        MARKERS,
        code::UNSUPPORTED_PROTOCOL,
        Out::Unchanged,
    );
    g.expect(
        "unknown core call 8",
        CORE,
        8,
        MARKERS,
        code::UNSUPPORTED_CALL,
        Out::Unchanged,
    );
    g.expect(
        "unknown core call 0xffffffff",
        CORE,
        u32::MAX,
        MARKERS,
        code::UNSUPPORTED_CALL,
        Out::Unchanged,
    );
}

/// A Core call without outputs, RCX its argument (the other argument
/// registers carry markers), checked against `want`.
fn core(g: &mut Guest, what: &str, call: u32, rcx: u64, want: u64) {
    let [_, rdx, r8, r9] = MARKERS;
    g.expect(what, CORE, call, [rcx, rdx, r8, r9], want, Out::Unchanged);
}

/// As [`core`], for a call whose one output is RCX (`rcx_out`).
fn core_out(g: &mut Guest, what: &str, call: u32, rcx: u64, want: u64, rcx_out: u64) {
    let [_, rdx, r8, r9] = MARKERS;
    g.expect(
        what,
        CORE,
        call,
        [rcx, rdx, r8, r9],
        want,
        Out::Are([rcx_out, rdx, r8]),
    );
}

fn remap_ca(g: &mut Guest) {
    let r = core_p::REMAP_CA;
    let (first, second) = (g.page(0), g.page(1));
    core(
        g,
        "REMAP_CA(misaligned)",
        r,
        second + 8,
        code::INVALID_ADDRESS,
    );
    core(
        g,
        "REMAP_CA(SVSM memory)",
        r,
        SVSM_MEMORY,
        code::INVALID_ADDRESS,
    );
    core(
        g,
        "REMAP_CA(beyond guest RAM)",
        r,
        g.page(16),
        code::INVALID_ADDRESS,
    );
    core(g, "REMAP_CA(page 1)", r, second, code::SUCCESS);
    g.caa = second;
    // The new area is the one the SVSM now looks at.
    core_out(
        g,
        "QUERY_PROTOCOL via new CA",
        core_p::QUERY_PROTOCOL,
        1,
        code::SUCCESS,
        V1,
    );
    core(g, "REMAP_CA(page 0)", r, first, code::SUCCESS);
    g.caa = first;
}

/// Writes a PVALIDATE request in page 2 and returns its GPA.
fn pvalidate_request(g: &Guest, next: u16, entries: &[u64]) -> u64 {
    let at = g.page(2);
    let mut header = [0u8; 8];
    header[..2].copy_from_slice(&(entries.len() as u16).to_le_bytes());
    header[2..4].copy_from_slice(&next.to_le_bytes());
    g.write(at, &header);
    for (i, e) in entries.iter().enumerate() {
        g.write_u64(at + 8 + 8 * i as u64, *e);
    }
    at
}

fn pvalidate(g: &mut Guest) {
    let p = core_p::PVALIDATE;
    let valid = |g: &Guest, n| g.page(n) | entry::VALIDATE;
    let good = [valid(g, 8), valid(g, 9), g.page(10)];

    let at = pvalidate_request(g, 0, &good);
    core(g, "PVALIDATE(3 entries)", p, at, code::SUCCESS);
    let next = g.read_u16(at + 2);
    g.check("PVALIDATE advanced next to 3", next == 3);
    core(
        g,
        "PVALIDATE(misaligned request)",
        p,
        at + 4,
        code::INVALID_ADDRESS,
    );
    core(
        g,
        "PVALIDATE(request in SVSM memory)",
        p,
        SVSM_MEMORY,
        code::INVALID_ADDRESS,
    );

    // Linux leaves whatever its Calling Area held in the reserved field.
    let at = pvalidate_request(g, 0, &good);
    g.write(at + 4, &[0xef, 0xbe, 0xad, 0xde]);
    core(
        g,
        "PVALIDATE(header reserved field set, ignored)",
        p,
        at,
        code::SUCCESS,
    );
    let next = g.read_u16(at + 2);
    g.check("  next reaches 3", next == 3);
    // Entries that would invalidate the request's own page or the Calling
    // Area are refused, `next` pointing at them: the SVSM never writes into
    // a page the same call took away.
    for (what, page) in [("its own page", 2), ("the Calling Area", 0)] {
        let at = pvalidate_request(g, 0, &[good[0], g.page(page), good[2]]);
        let mut label = rt::Line::new();
        let _ = core::fmt::Write::write_fmt(
            &mut label,
            format_args!("PVALIDATE(entry 1 invalidates {what})"),
        );
        g.expect(
            label.as_str(),
            CORE,
            p,
            [at, 0, 0, 0],
            code::INVALID_PARAMETER,
            Out::Unchanged,
        );
        let next = g.read_u16(at + 2);
        g.check("  next stops at that entry (1)", next == 1);
    }
    let at = pvalidate_request(g, 4, &good);
    core(
        g,
        "PVALIDATE(next > entries)",
        p,
        at,
        code::INVALID_PARAMETER,
    );
    let at = pvalidate_request(g, 0, &good);
    g.write(at, &600u16.to_le_bytes());
    core(
        g,
        "PVALIDATE(entries beyond the page)",
        p,
        at,
        code::INVALID_PARAMETER,
    );

    let bad_entries = [
        ("page size 2", valid(g, 9) | 2, code::INVALID_PARAMETER),
        (
            "reserved bit 4",
            valid(g, 9) | (1 << 4),
            code::INVALID_PARAMETER,
        ),
        (
            "2M page misaligned",
            valid(g, 9) | entry::PAGE_SIZE_2M,
            code::INVALID_PARAMETER,
        ),
        (
            "GFN in SVSM memory",
            SVSM_MEMORY | entry::VALIDATE,
            code::INVALID_ADDRESS,
        ),
        ("GFN beyond guest RAM", valid(g, 16), code::INVALID_ADDRESS),
    ];
    for (what, bad, want) in bad_entries {
        let at = pvalidate_request(g, 0, &[good[0], bad, good[2]]);
        let mut label = rt::Line::new();
        let _ = core::fmt::Write::write_fmt(&mut label, format_args!("PVALIDATE(entry 1: {what})"));
        g.expect(label.as_str(), CORE, p, [at, 0, 0, 0], want, Out::Unchanged);
        let next = g.read_u16(at + 2);
        g.check("  next stops at the failing entry (1)", next == 1);
        // Fix the entry and resume from `next`.
        g.write_u64(at + 16, good[1]);
        core(
            g,
            "  PVALIDATE(resumed after fixing it)",
            p,
            at,
            code::SUCCESS,
        );
        let next = g.read_u16(at + 2);
        g.check("  next reaches 3", next == 3);
    }
}

fn other_core_calls(g: &mut Guest) {
    let (vmsa, caa) = (g.page(11), g.page(12));
    g.expect(
        "CREATE_VCPU (Native)",
        CORE,
        core_p::CREATE_VCPU,
        [vmsa, caa, 1, 0],
        code::UNSUPPORTED_CALL,
        Out::Unchanged,
    );
    core(
        g,
        "DELETE_VCPU (Native)",
        core_p::DELETE_VCPU,
        vmsa,
        code::UNSUPPORTED_CALL,
    );
    core(
        g,
        "DEPOSIT_MEM",
        core_p::DEPOSIT_MEM,
        g.page(2),
        code::UNSUPPORTED_CALL,
    );
    core(
        g,
        "WITHDRAW_MEM",
        core_p::WITHDRAW_MEM,
        g.page(2),
        code::UNSUPPORTED_CALL,
    );
    let v = core_p::CONFIGURE_VTOM;
    core_out(g, "CONFIGURE_VTOM(query)", v, 1, code::SUCCESS, 0);
    core(
        g,
        "CONFIGURE_VTOM(query, reserved bits)",
        v,
        3,
        code::INVALID_PARAMETER,
    );
    core(g, "CONFIGURE_VTOM(set)", v, 1 << 40, code::INVALID_REQUEST);
}

fn nonce() -> [u8; 64] {
    core::array::from_fn(|i| (i as u8).wrapping_mul(7) ^ 0x3c)
}

/// An ATTEST_SERVICES operation over pages 4-7 with the given sizes.
fn request(g: &Guest, manifest: u32, certs: u32, report: u32) -> AttestRequest {
    AttestRequest {
        report_gpa: g.page(7).into(),
        report_size: report.into(),
        nonce_gpa: g.page(4).into(),
        nonce_size: 64.into(),
        manifest_gpa: g.page(5).into(),
        manifest_size: manifest.into(),
        certs_gpa: g.page(6).into(),
        certs_size: certs.into(),
        ..AttestRequest::default()
    }
}

fn attest_call(g: &mut Guest, what: &str, op: &[u8], call: u32, want: u64, out: Out) -> [u64; 3] {
    g.write(g.page(3), op);
    let r = g.expect(what, ATTEST, call, [g.page(3), 0, 0, 0], want, out);
    [r.rcx, r.rdx, r.r8]
}

/// Checks a development report the way a relying party would.
fn verify_report(g: &mut Guest, manifest: &[u8]) {
    let mut bytes = [0u8; DEV_REPORT_SIZE];
    g.read(g.page(7), &mut bytes);
    let Ok(report) = DevReport::read_from_bytes(&bytes[..]) else {
        g.check("report parses", false);
        return;
    };
    g.check(
        "report magic SVSMDEVR, version 1",
        report.magic == DEV_REPORT_MAGIC && report.version == 1,
    );
    g.check(
        "report says NOT hardware-rooted",
        report.flags & DEV_REPORT_NOT_HARDWARE_ROOTED != 0,
    );
    let mut hasher = Sha512::new();
    hasher.update(nonce());
    hasher.update(manifest);
    let expected = hasher.finalize();
    g.check(
        "REPORT_DATA == SHA-512(nonce || manifest)",
        report.report_data[..] == expected[..],
    );
    let mut sec1 = [0u8; 97];
    sec1[0] = 4;
    sec1[1..].copy_from_slice(&report.public_key);
    let verified = p384::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
        .ok()
        .zip(p384::ecdsa::Signature::from_slice(&report.signature).ok())
        .is_some_and(|(key, sig)| key.verify(&bytes[..DEV_REPORT_SIGNED_LEN], &sig).is_ok());
    g.check("report signature (ECDSA P-384/SHA-384) verifies", verified);
    let mut tampered = bytes;
    tampered[0x18] ^= 1;
    let rejected = p384::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
        .ok()
        .zip(p384::ecdsa::Signature::from_slice(&report.signature).ok())
        .is_some_and(|(key, sig)| {
            key.verify(&tampered[..DEV_REPORT_SIGNED_LEN], &sig)
                .is_err()
        });
    g.check("tampered report rejected", rejected);
    let mut line = rt::Line::new();
    let _ = core::fmt::Write::write_str(&mut line, "harness: report public key X||Y ");
    for b in report.public_key {
        let _ = core::fmt::Write::write_fmt(&mut line, format_args!("{b:02x}"));
    }
    line.send();
}

fn attestation(g: &mut Guest) {
    core_out(
        g,
        "QUERY_PROTOCOL(attestation v1)",
        core_p::QUERY_PROTOCOL,
        (1 << 32) | 1,
        code::SUCCESS,
        V1,
    );
    g.write(g.page(4), &nonce());
    let services = attest::ATTEST_SERVICES;
    let report_len = DEV_REPORT_SIZE as u64;

    // Too small, then retried with the sizes returned.
    let op = request(g, 0, 0, 0);
    let needed = attest_call(
        g,
        "ATTEST_SERVICES(buffers too small)",
        op.as_bytes(),
        services,
        code::INVALID_PARAMETER,
        Out::Written,
    );
    g.check(
        "sizes returned: manifest > 0, certs 0, report 376",
        needed[0] > 0 && needed[1] == 0 && needed[2] == report_len,
    );
    let op = request(g, 16, 0, PAGE as u32);
    attest_call(
        g,
        "ATTEST_SERVICES(manifest buffer too small)",
        op.as_bytes(),
        services,
        code::INVALID_PARAMETER,
        Out::Are(needed),
    );
    let op = request(g, needed[0] as u32, needed[1] as u32, needed[2] as u32);
    attest_call(
        g,
        "ATTEST_SERVICES(retried with those sizes)",
        op.as_bytes(),
        services,
        code::SUCCESS,
        Out::Are(needed),
    );

    let mut manifest = [0u8; PAGE as usize];
    let manifest = &mut manifest[..needed[0] as usize];
    g.read(g.page(5), manifest);
    let header = ManifestHeader::read_from_prefix(manifest)
        .ok()
        .map(|(h, _)| h);
    let header_ok = header.is_some_and(|h| {
        h.guid == attest::SERVICES_MANIFEST_GUID
            && u64::from(h.size.get()) == needed[0]
            && h.count.get() >= 1
    });
    g.check("services manifest: header GUID, size, count", header_ok);
    verify_report(g, manifest);

    // One service: the first entry of the services manifest.
    let entry = manifest
        .get(24..48)
        .and_then(|e| ManifestEntry::read_from_bytes(e).ok());
    let Some(entry) = entry else {
        g.check("services manifest has an entry", false);
        return;
    };
    let (offset, len) = (entry.offset.get() as usize, entry.size.get() as usize);
    let mut own = [0u8; PAGE as usize];
    let own_len = len.min(own.len());
    if let Some(m) = manifest.get(offset..offset + len) {
        own[..own_len].copy_from_slice(&m[..own_len]);
    }
    let single = attest::ATTEST_SINGLE_SERVICE;
    let op = AttestSingleRequest {
        common: request(g, PAGE as u32, 0, PAGE as u32),
        service_guid: entry.guid,
        ..AttestSingleRequest::default()
    };
    attest_call(
        g,
        "ATTEST_SINGLE_SERVICE(first service)",
        op.as_bytes(),
        single,
        code::SUCCESS,
        Out::Are([len as u64, 0, report_len]),
    );
    let mut got = [0u8; PAGE as usize];
    g.read(g.page(5), &mut got[..own_len]);
    g.check(
        "single-service manifest is the service's own",
        got[..own_len] == own[..own_len],
    );
    verify_report(g, &own[..own_len]);
    let unknown = AttestSingleRequest {
        service_guid: [0xab; 16],
        ..op
    };
    attest_call(
        g,
        "ATTEST_SINGLE_SERVICE(unknown GUID)",
        unknown.as_bytes(),
        single,
        code::INVALID_PARAMETER,
        Out::Unchanged,
    );
    let version = AttestSingleRequest {
        manifest_version: 9.into(),
        ..op
    };
    attest_call(
        g,
        "ATTEST_SINGLE_SERVICE(manifest version 9)",
        version.as_bytes(),
        single,
        code::INVALID_PARAMETER,
        Out::Unchanged,
    );

    // Bad inputs.
    let good = request(g, PAGE as u32, 0, PAGE as u32);
    let bad = AttestRequest {
        nonce_size: 32.into(),
        ..good
    };
    attest_call(
        g,
        "ATTEST_SERVICES(nonce of 32 bytes)",
        bad.as_bytes(),
        services,
        code::INVALID_PARAMETER,
        Out::Unchanged,
    );
    let bad = AttestRequest {
        nonce_gpa: (g.page(4) + PAGE - 32).into(),
        ..good
    };
    attest_call(
        g,
        "ATTEST_SERVICES(nonce crossing a page)",
        bad.as_bytes(),
        services,
        code::INVALID_ADDRESS,
        Out::Unchanged,
    );
    let bad = AttestRequest {
        nonce_gpa: SVSM_MEMORY.into(),
        ..good
    };
    attest_call(
        g,
        "ATTEST_SERVICES(nonce in SVSM memory)",
        bad.as_bytes(),
        services,
        code::INVALID_ADDRESS,
        Out::Unchanged,
    );
    let bad = AttestRequest {
        report_gpa: SVSM_MEMORY.into(),
        ..good
    };
    attest_call(
        g,
        "ATTEST_SERVICES(report buffer in SVSM memory)",
        bad.as_bytes(),
        services,
        code::INVALID_ADDRESS,
        Out::Unchanged,
    );
    let bad = AttestRequest {
        manifest_gpa: (g.page(16) - 8).into(),
        ..good
    };
    attest_call(
        g,
        "ATTEST_SERVICES(manifest past guest RAM)",
        bad.as_bytes(),
        services,
        code::INVALID_ADDRESS,
        Out::Unchanged,
    );
    let mut bytes = [0u8; 64];
    bytes.copy_from_slice(good.as_bytes());
    bytes[13] = 1;
    attest_call(
        g,
        "ATTEST_SERVICES(reserved byte set)",
        &bytes,
        services,
        code::INVALID_PARAMETER,
        Out::Unchanged,
    );
    g.expect(
        "ATTEST_SERVICES(operation in SVSM memory)",
        ATTEST,
        services,
        [SVSM_MEMORY, 0, 0, 0],
        code::INVALID_ADDRESS,
        Out::Unchanged,
    );
    g.expect(
        "unknown attestation call 2",
        ATTEST,
        2,
        [0; 4],
        code::UNSUPPORTED_CALL,
        Out::Unchanged,
    );
}

fn attestation_refused(g: &mut Guest) {
    say!("harness: crypto module not operational: attestation must be refused");
    core_out(
        g,
        "QUERY_PROTOCOL(attestation v1)",
        core_p::QUERY_PROTOCOL,
        (1 << 32) | 1,
        code::SUCCESS,
        0,
    );
    g.write(g.page(4), &nonce());
    let op = request(g, PAGE as u32, 0, PAGE as u32);
    attest_call(
        g,
        "ATTEST_SERVICES",
        op.as_bytes(),
        attest::ATTEST_SERVICES,
        code::UNSUPPORTED_PROTOCOL,
        Out::Unchanged,
    );
    let single = AttestSingleRequest {
        common: op,
        ..AttestSingleRequest::default()
    };
    attest_call(
        g,
        "ATTEST_SINGLE_SERVICE",
        single.as_bytes(),
        attest::ATTEST_SINGLE_SERVICE,
        code::UNSUPPORTED_PROTOCOL,
        Out::Unchanged,
    );
    say!("harness: attestation refused, as required");
}
