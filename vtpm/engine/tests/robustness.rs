//! Robustness: well over 100,000 random and mutated commands. Every one
//! gets a well-formed response (tag, size == length, code), nothing panics,
//! loaded resources stay within the limits and the heap does not grow.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use common::*;
use svsm_vtpm::LIMITS;

/// Counts live heap bytes of the whole test binary.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Handles worth trying: the first transient objects, sessions and NV
/// indices the engine hands out, every permanent handle, PCRs, nonsense.
const HANDLES: &[u32] = &[
    0x8000_0000,
    0x8000_0001,
    0x8000_0002,
    0x8000_0003,
    0x0200_0000,
    0x0200_0001,
    0x0300_0002,
    0x0100_0001,
    0x0100_0002,
    RH_OWNER,
    RH_NULL,
    RS_PW,
    RH_LOCKOUT,
    RH_ENDORSEMENT,
    RH_PLATFORM,
    0,
    16,
    23,
    24,
    0x8100_0001,
    0xFFFF_FFFF,
];

/// Well-formed commands of every implemented kind (the seeds of the
/// mutations; sent as they are, they also move the TPM through its states).
fn corpus() -> Vec<Vec<u8>> {
    let nv_public = B::new()
        .u32(0x0100_0001)
        .u16(0x000B)
        .u32(0x0006_0006)
        .b2(&[])
        .u16(32)
        .0;
    let sel = B::new()
        .u32(2)
        .u16(0x0B)
        .u8(3)
        .bytes(&[0xFF, 0, 0])
        .u16(0x0C)
        .u8(3)
        .bytes(&[1, 0, 0x80])
        .0;
    let sig = B::new().u16(0x0018).u16(0x0B).b2(&[1; 32]).b2(&[2; 32]).0;
    let ticket = B::new().u16(0x8024).u32(RH_NULL).b2(&[]).0;
    vec![
        command(ST_NO, 0x144, &[0, 0]),
        command(ST_NO, 0x145, &[0, 1]),
        command(ST_NO, 0x143, &[1]),
        command(ST_NO, 0x142, &B::new().u32(1).u16(0x0B).0),
        command(ST_NO, 0x17C, &[]),
        command(ST_NO, 0x17B, &[0, 16]),
        command(ST_NO, 0x146, &B::new().b2(b"stir").0),
        command(ST_NO, 0x17A, &B::new().u32(0).u32(0).u32(64).0),
        command(ST_NO, 0x17A, &B::new().u32(1).u32(0x8000_0000).u32(64).0),
        command(ST_NO, 0x17A, &B::new().u32(2).u32(0).u32(64).0),
        command(ST_NO, 0x17A, &B::new().u32(6).u32(0x100).u32(64).0),
        command(ST_NO, 0x17E, &sel),
        with_pw(
            0x182,
            &[10],
            &[],
            &B::new().u32(1).u16(0x0B).bytes(&[7; 32]).0,
        ),
        with_pw(0x13C, &[11], &[], &B::new().b2(b"event").0),
        with_pw(0x13D, &[16], &[], &[]),
        command(ST_NO, 0x17D, &B::new().b2(b"abc").u16(0x0B).u32(RH_OWNER).0),
        command(ST_NO, 0x186, &B::new().b2(b"").u16(0x0C).0),
        with_pw(0x15C, &[0x8000_0000], &[], &B::new().b2(b"more").0),
        with_pw(
            0x13E,
            &[0x8000_0000],
            &[],
            &B::new().b2(b"end").u32(RH_NULL).0,
        ),
        command(
            ST_NO,
            0x176,
            &B::new()
                .u32(RH_NULL)
                .u32(RH_NULL)
                .b2(&[5; 32])
                .b2(&[])
                .u8(0)
                .u16(0x10)
                .u16(0x0B)
                .0,
        ),
        command(
            ST_NO,
            0x176,
            &B::new()
                .u32(RH_NULL)
                .u32(RH_NULL)
                .b2(&[5; 16])
                .b2(&[])
                .u8(0)
                .u16(6)
                .u16(128)
                .u16(0x43)
                .u16(0x0C)
                .0,
        ),
        with_pw(
            0x131,
            &[RH_OWNER],
            &[],
            &create_primary_params(&ecdsa_template(3, 0x0B), b"k"),
        ),
        with_pw(
            0x131,
            &[RH_NULL],
            &[],
            &create_primary_params(&storage_template(), &[]),
        ),
        with_pw(
            0x131,
            &[RH_ENDORSEMENT],
            &[],
            &create_primary_params(&ecdsa_template(4, 0x0C), &[]),
        ),
        command(ST_NO, 0x173, &B::new().u32(0x8000_0000).0),
        command(ST_NO, 0x165, &B::new().u32(0x8000_0000).0),
        command(ST_NO, 0x162, &B::new().u32(0x8000_0001).0),
        command(ST_NO, 0x165, &B::new().u32(0x0200_0000).0),
        hmac_session_extend(),
        command(
            ST_NO,
            0x161,
            &B::new()
                .u32(0)
                .u32(1)
                .u32(0x8000_0000)
                .u32(RH_OWNER)
                .b2(&[0; 32])
                .0,
        ),
        with_pw(
            0x15D,
            &[0x8000_0000],
            b"k",
            &B::new().b2(&[3; 32]).u16(0x10).bytes(&ticket).0,
        ),
        command(
            ST_NO,
            0x177,
            &B::new().u32(0x8000_0000).b2(&[3; 32]).bytes(&sig).0,
        ),
        with_pw(
            0x158,
            &[0x8000_0000],
            b"k",
            &B::new().b2(b"nonce").u16(0x10).bytes(&sel).0,
        ),
        with_pw(
            0x12A,
            &[RH_OWNER],
            &[],
            &B::new().b2(b"nvpw").b2(&nv_public).0,
        ),
        with_pw(
            0x137,
            &[0x0100_0001, 0x0100_0001],
            b"nvpw",
            &B::new().b2(b"data").u16(4).0,
        ),
        with_pw(
            0x14E,
            &[0x0100_0001, 0x0100_0001],
            b"nvpw",
            &B::new().u16(8).u16(0).0,
        ),
        command(ST_NO, 0x169, &B::new().u32(0x0100_0001).0),
        with_pw(0x122, &[RH_OWNER, 0x0100_0001], &[], &[]),
        with_pw(0x129, &[RH_ENDORSEMENT], &[], &B::new().b2(b"").0),
        with_pw(0x126, &[RH_PLATFORM], &[], &[]),
    ]
}

/// PCR_Extend authorized by HMAC session 0x02000000 with a made-up HMAC.
fn hmac_session_extend() -> Vec<u8> {
    let session = B::new()
        .u32(0x0200_0000)
        .b2(&[9; 16])
        .u8(1)
        .b2(&[0xAB; 32])
        .0;
    let body = B::new()
        .u32(10)
        .u32(session.len() as u32)
        .bytes(&session)
        .u32(1)
        .u16(0x0B)
        .bytes(&[7; 32]);
    command(ST_SESS, 0x182, &body.0)
}

fn set_u32(c: &mut [u8], at: usize, v: u32) {
    if c.len() >= at + 4 {
        c[at..at + 4].copy_from_slice(&v.to_be_bytes());
    }
}

fn fix_size(c: &mut [u8]) {
    let n = c.len() as u32;
    set_u32(c, 2, n);
}

fn mutate(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut c = corpus[rng.below(corpus.len())].clone();
    match rng.below(10) {
        // Corrupt body bytes, keep the header valid.
        0 | 1 => {
            for _ in 0..1 + rng.below(4) {
                if c.len() > 10 {
                    let i = 10 + rng.below(c.len() - 10);
                    c[i] = rng.next() as u8;
                }
            }
        }
        // Truncate, with the size field fixed or not.
        2 => {
            c.truncate(rng.below(c.len() + 1));
            if rng.below(2) == 0 {
                fix_size(&mut c);
            }
        }
        // A huge or wrong size field.
        3 => {
            let v = [u32::MAX, 0x1000_0000, c.len() as u32 + 1, 0, 9][rng.below(5)];
            set_u32(&mut c, 2, v);
        }
        // An unknown or neighbouring command code.
        4 => {
            let code = [rng.next() as u32, 0x11F, 0x190, 0x2000_0001, 0x17F][rng.below(5)];
            set_u32(&mut c, 6, code);
        }
        // A handle or session handle from the interesting set.
        5 => {
            let h = HANDLES[rng.below(HANDLES.len())];
            let at = [10, 14, 18, 22][rng.below(4)];
            set_u32(&mut c, at, h);
        }
        // Appended garbage, size fixed.
        6 => {
            for _ in 0..rng.below(64) {
                c.push(rng.next() as u8);
            }
            fix_size(&mut c);
        }
        // Entirely random bytes behind a plausible header.
        7 => {
            let len = rng.below(200);
            c = (0..len).map(|_| rng.next() as u8).collect();
            if c.len() >= 10 {
                c[0] = 0x80;
                c[1] = [1, 2][rng.below(2)];
                fix_size(&mut c);
            }
        }
        // Oversized buffers.
        8 => {
            c.resize(svsm_vtpm::MAX_COMMAND_SIZE + 1 + rng.below(64), 0);
            fix_size(&mut c);
        }
        // The command as it is.
        _ => {}
    }
    c
}

/// ROBUST_STATS=1 prints how often each command met each code (the map's
/// own heap use is left out of the growth check).
fn stats_bytes(stats: &std::collections::BTreeMap<(u32, u32), usize>) -> isize {
    for ((code, rc), n) in stats {
        if *n > 20 && *code < 0x200 {
            eprintln!("cc {code:#x} rc {rc:#x}: {n}");
        }
    }
    // A B-tree node holds at most 11 entries; count generously.
    (stats.len() as isize) * 64 + 4096 * isize::from(!stats.is_empty())
}

fn check(response: &[u8]) {
    assert!(response.len() >= 10, "short response");
    assert!(response.len() <= svsm_vtpm::MAX_COMMAND_SIZE);
    let tag = u16::from_be_bytes([response[0], response[1]]);
    let size = u32::from_be_bytes(response[2..6].try_into().unwrap()) as usize;
    let code = u32::from_be_bytes(response[6..10].try_into().unwrap());
    assert_eq!(size, response.len());
    match tag {
        0x8001 => {}
        0x8002 => assert_eq!(code, 0, "only a success carries sessions"),
        _ => panic!("tag {tag:#x}"),
    }
    if code != 0 {
        assert_eq!(size, 10);
    }
}

#[test]
fn random_and_mutated_commands() {
    const ITERATIONS: usize = 120_000;
    let corpus = corpus();
    let mut tpm = tpm_with_seeds();
    tpm.power_on();
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    // Warm up: one of each, then measure the heap with volatile state gone.
    for c in &corpus {
        check(&tpm.execute(c));
    }
    tpm.power_on();
    let baseline = LIVE.load(Ordering::Relaxed);
    let mut successes = 0usize;
    let mut stats = std::collections::BTreeMap::new();
    for i in 0..ITERATIONS {
        let c = if rng.below(4) == 0 {
            corpus[rng.below(corpus.len())].clone()
        } else {
            mutate(&mut rng, &corpus)
        };
        let r = tpm.execute(&c);
        check(&r);
        successes += usize::from(r[6..10] == [0; 4]);
        if std::env::var("ROBUST_STATS").is_ok() && c.len() >= 10 {
            let code = u32::from_be_bytes(c[6..10].try_into().unwrap());
            let rc = u32::from_be_bytes(r[6..10].try_into().unwrap());
            *stats.entry((code, rc)).or_insert(0usize) += 1;
        }
        let (objects, sessions, saved) = tpm.resources();
        assert!(objects <= LIMITS.objects && sessions <= LIMITS.sessions);
        assert!(saved <= LIMITS.saved_objects + LIMITS.sessions);
        if i % 1000 == 0 {
            tpm.power_on();
        }
    }
    tpm.power_on();
    let end = LIVE.load(Ordering::Relaxed) - stats_bytes(&stats);
    // NV indices are the only state that may remain, within their limits.
    let nv_bound = (LIMITS.nv_bytes + LIMITS.nv_indices * 256) as isize;
    assert!(
        end - baseline <= nv_bound,
        "heap grew by {} bytes",
        end - baseline
    );
    assert!(
        successes > ITERATIONS / 20,
        "only {successes} commands succeeded"
    );
}
