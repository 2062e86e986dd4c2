//! The conditional self-tests fail closed, through the public (raw) API:
//! the entropy source's continuous health tests (SP 800-90B 4.4: repetition
//! count, adaptive proportion) when the noise source degrades after init, and
//! the pairwise consistency test of key generation in the `ecc-keygen-pct`
//! fault-injection build. Each scenario needs a module that has not failed
//! yet, so each runs in its own loaded copy of the object
//! (`common::dynamic::Instance`), never in the statically linked module.

#[macro_use]
mod common;

use common::dynamic::bindings::*;
use common::dynamic::{Instance, Samples, assert_every_service_refused};
use common::{fails_zeroed, read_json};
use std::path::{Path, PathBuf};
use std::ptr::null;

/// The entropy source's health-test parameters (crypto-c/src/entropy.c).
const RCT_CUTOFF: usize = 6;
const APT_WINDOW: usize = 512;
const APT_CUTOFF: usize = 62;
/// Samples one DRBG instantiation draws: 256 bits of entropy and a 128-bit
/// nonce at 4 bits per sample.
const INSTANTIATE_SAMPLES: usize = (256 + 128) / 4;
/// Samples one reseed draws.
const RESEED_SAMPLES: usize = 256 / 4;

const PCT_BREAK_ID: &str = "ecc-keygen-pct";

fn healthy_object() -> PathBuf {
    Path::new(svsm_crypto_object::MANIFEST_PATH).with_file_name("svsm-crypto.o")
}

/// A directory of its own for one instance.
fn instance_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("conditional-tests")
        .join(name)
}

fn drbg_ctx() -> svsm_crypto_drbg_ctx {
    svsm_crypto_drbg_ctx {
        opaque: [0; SVSM_CRYPTO_DRBG_CTX_SIZE as usize],
    }
}

/// Initializes `module` with a good source and checks it is operational with
/// no power-on self-test failed.
fn init_operational(module: &Instance, what: &str) {
    // SAFETY: the instance is used by this thread only; no pointer arguments.
    unsafe {
        assert_eq!(module.init(), SVSM_CRYPTO_OK, "{what}: init");
        assert_eq!(
            module.svsm_crypto_state(),
            SVSM_CRYPTO_STATE_OPERATIONAL,
            "{what}"
        );
        assert_eq!(module.svsm_crypto_failed_self_test(), -1, "{what}");
    }
}

/// After a conditional test failed: the error state, the power-on results
/// untouched, and every service refused.
fn assert_failed_closed(module: &Instance, what: &str) {
    // SAFETY: the instance is used by this thread only; `result` is a valid
    // exclusively borrowed structure.
    unsafe {
        assert_eq!(
            module.svsm_crypto_state(),
            SVSM_CRYPTO_STATE_ERROR,
            "{what}: state"
        );
        assert_eq!(
            module.svsm_crypto_failed_self_test(),
            -1,
            "{what}: no power-on self-test is blamed"
        );
        for id in 0..SVSM_CRYPTO_SELF_TEST_COUNT {
            let mut result = empty_self_test_result!();
            assert_eq!(
                module.svsm_crypto_self_test_result_get(id, &mut result),
                SVSM_CRYPTO_OK
            );
            assert_eq!(result.outcome, SVSM_CRYPTO_TEST_PASSED, "{what}: test {id}");
        }
        assert_every_service_refused(module, what);
    }
}

#[test]
fn stuck_noise_source_fails_the_repetition_count_test() {
    let module = Instance::load(&healthy_object(), &instance_dir("rct"));
    init_operational(&module, "rct");
    let mut drbg = drbg_ctx();
    // SAFETY: single-threaded use of this instance; valid pointers.
    unsafe {
        assert_eq!(
            module.svsm_crypto_drbg_instantiate(&mut drbg, null(), 0),
            SVSM_CRYPTO_OK,
            "instantiate from the good source"
        );
        module.set_samples(Samples::Constant(0x5a));
        // The first RCT_CUTOFF samples of the reseed repeat one value.
        const _: () = assert!(RCT_CUTOFF <= RESEED_SAMPLES);
        assert_eq!(
            module.svsm_crypto_drbg_reseed(&mut drbg, null(), 0),
            SVSM_CRYPTO_ERR_ENTROPY,
            "reseed from a stuck source"
        );
        // The caller's instance is refused too, output zeroed.
        fails_zeroed("rct: generate", SVSM_CRYPTO_ERR_STATE, [32], |[out]| {
            module.svsm_crypto_drbg_generate(&mut drbg, out, 32, null(), 0)
        });
    }
    assert_failed_closed(&module, "rct");
}

#[test]
fn biased_noise_source_fails_the_adaptive_proportion_test() {
    let module = Instance::load(&healthy_object(), &instance_dir("apt"));
    init_operational(&module, "apt");
    // Never two equal samples in a row, so the repetition count test cannot
    // fire; half of every window is the window's first value. The window in
    // progress ends within APT_WINDOW - 1 samples; the next one reaches the
    // cutoff at its sample 2 * (APT_CUTOFF - 1).
    module.set_samples(Samples::Alternating(0x11, 0x22));
    let bound = (APT_WINDOW - 1) + 2 * (APT_CUTOFF - 1) + 1;
    let attempts = bound.div_ceil(INSTANTIATE_SAMPLES);
    let mut failed_at = None;
    for attempt in 1..=attempts {
        let mut drbg = drbg_ctx();
        // SAFETY: single-threaded use of this instance; valid pointers.
        let status = unsafe { module.svsm_crypto_drbg_instantiate(&mut drbg, null(), 0) };
        match status {
            SVSM_CRYPTO_OK => continue,
            SVSM_CRYPTO_ERR_ENTROPY => {
                assert!(
                    drbg.opaque.iter().all(|&b| b == 0),
                    "failed instantiate leaves its context zeroed"
                );
                failed_at = Some(attempt);
                break;
            }
            other => panic!("instantiate {attempt}: status {other}"),
        }
    }
    assert!(
        failed_at.is_some(),
        "no health-test failure within {attempts} instantiations ({bound} samples)"
    );
    assert_failed_closed(&module, "apt");
}

#[test]
fn keygen_pairwise_consistency_failure_enters_the_error_state() {
    let healthy = read_json(Path::new(svsm_crypto_object::MANIFEST_PATH));
    let listed = |field: &str| -> Vec<String> {
        healthy[field]
            .as_array()
            .unwrap_or_else(|| panic!("manifest lists {field}"))
            .iter()
            .map(|v| v.as_str().expect("id").to_owned())
            .collect()
    };
    assert!(listed("conditional_break_ids").contains(&PCT_BREAK_ID.to_owned()));
    assert!(
        !listed("break_ids").contains(&PCT_BREAK_ID.to_owned()),
        "a conditional break is no power-on BREAK"
    );

    let built = svsm_crypto_builder::build(&svsm_crypto_builder::Options {
        break_test: Some(PCT_BREAK_ID.to_owned()),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("building BREAK={PCT_BREAK_ID}: {e}"));
    let manifest = read_json(&built.manifest);
    assert_eq!(manifest["broken"]["self_test"].as_str(), Some(PCT_BREAK_ID));
    assert_ne!(
        manifest["object"]["object_sha256"].as_str(),
        Some(svsm_crypto_object::OBJECT_SHA256),
        "the variant differs from the module"
    );

    // One instance per curve: the first failure ends an instance's services.
    for (curve, n) in [(SVSM_CRYPTO_P256, 32usize), (SVSM_CRYPTO_P384, 48)] {
        let what = format!("{PCT_BREAK_ID} P-{}", n * 8);
        let module = Instance::load(&built.object, &built.dir.join(format!("p{}", n * 8)));
        init_operational(&module, &what);
        // SAFETY: single-threaded use of this instance; every pointer is
        // valid for the length passed with it.
        unsafe {
            // Only the PCT is broken: other services still work.
            let mut digest = [0u8; 32];
            assert_eq!(
                module.svsm_crypto_hash(
                    SVSM_CRYPTO_SHA256,
                    b"abc".as_ptr(),
                    3,
                    digest.as_mut_ptr(),
                    32
                ),
                SVSM_CRYPTO_OK,
                "{what}: hash before keygen"
            );
            fails_zeroed(
                &format!("{what}: keygen"),
                SVSM_CRYPTO_ERR_SELF_TEST,
                [n, 2 * n],
                |[d, q]| module.svsm_crypto_ecc_keygen(curve, d, n, q, 2 * n),
            );
        }
        assert_failed_closed(&module, &what);
    }
}
