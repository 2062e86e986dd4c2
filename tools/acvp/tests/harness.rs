//! Malformed input gives clean errors that name the set, group and test;
//! the MCT and DRBG procedures match known answers; claims filter groups.

use serde_json::{Value, json};
use svsm_acvp::algs::sha::mct;
use svsm_acvp::json::decode_hex;
use svsm_acvp::module::{CryptoModule, HashAlg};
use svsm_acvp::run::{parse_document, run_document};
use svsm_acvp::standin::RustCryptoModule;
use svsm_oracle::CtrDrbg;

fn stand_in() -> &'static dyn CryptoModule {
    &RustCryptoModule
}

/// The SVSM module (linked through the shim).
fn svsm() -> &'static dyn CryptoModule {
    match svsm_acvp::shim::module() {
        Ok(m) => m,
        Err(e) => panic!("SVSM module unavailable: {e}"),
    }
}

fn sha_doc() -> Value {
    json!([
        { "acvVersion": "1.0" },
        {
            "vsId": 42, "algorithm": "SHA2-256", "revision": "1.0",
            "testGroups": [
                { "tgId": 1, "testType": "AFT", "tests": [
                    { "tcId": 5, "len": 24, "msg": "616263" },
                    { "tcId": 6, "len": 0, "msg": "00" }
                ]}
            ]
        }
    ])
}

/// Runs `doc` and returns the error text (the run must fail).
fn error_of(doc: &Value) -> String {
    match run_document(stand_in(), doc, "in.json") {
        Ok(_) => panic!("expected an error for {doc}"),
        Err(e) => e.to_string(),
    }
}

fn assert_has(text: &str, parts: &[&str]) {
    for p in parts {
        assert!(text.contains(p), "{text:?} lacks {p:?}");
    }
}

#[test]
fn good_document_answers_in_the_same_shape() {
    let out = run_document(stand_in(), &sha_doc(), "in.json").unwrap();
    let r = &out.response;
    assert_eq!(r[0], json!({ "acvVersion": "1.0" }));
    assert_eq!(r[1]["vsId"], 42);
    assert_eq!(r[1]["algorithm"], "SHA2-256");
    assert_eq!(r[1]["revision"], "1.0");
    let tests = &r[1]["testGroups"][0]["tests"];
    assert_eq!(tests[0]["tcId"], 5);
    assert_eq!(
        tests[0]["md"],
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"
    );
    // len 0 with "00": the declared length wins.
    assert_eq!(
        tests[1]["md"],
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
    );
}

#[test]
fn bare_vector_set_is_accepted() {
    let doc = sha_doc()[1].clone();
    let out = run_document(stand_in(), &doc, "in.json").unwrap();
    assert_eq!(out.response["vsId"], 42);
    assert!(out.response.is_object());
}

#[test]
fn truncated_and_corrupted_json() {
    let text = serde_json::to_string(&sha_doc()).unwrap();
    let truncated = &text[..text.len() / 2];
    let e = parse_document(truncated, "cut.json")
        .unwrap_err()
        .to_string();
    assert_has(&e, &["cut.json", "not valid JSON", "line 1"]);
    let corrupted = text.replace("\"tcId\":5", "\"tcId\":5,,");
    let e = parse_document(&corrupted, "bad.json")
        .unwrap_err()
        .to_string();
    assert_has(&e, &["bad.json", "not valid JSON"]);
    let e = parse_document("", "empty.json").unwrap_err().to_string();
    assert_has(&e, &["empty.json", "not valid JSON"]);
}

#[test]
fn wrong_document_shapes() {
    assert_has(&error_of(&json!(17)), &["in.json", "array or an object"]);
    assert_has(&error_of(&json!([])), &["in.json", "empty array"]);
    assert_has(
        &error_of(&json!([{ "acvVersion": "1.0" }])),
        &["no vector set"],
    );
    assert_has(
        &error_of(&json!([{ "acvVersion": "1.0" }, 3])),
        &["element 1", "objects"],
    );
    let mut d = sha_doc();
    d[1].as_object_mut().unwrap().remove("algorithm");
    assert_has(
        &error_of(&d),
        &["vector set 42", "missing field \"algorithm\""],
    );
    let mut d = sha_doc();
    d[1]["testGroups"] = json!({ "tgId": 1 });
    assert_has(
        &error_of(&d),
        &[
            "vector set 42 (SHA2-256 1.0)",
            "\"testGroups\" must be an array",
        ],
    );
    let mut d = sha_doc();
    d[1]["vsId"] = json!("42");
    assert_has(
        &error_of(&d),
        &["\"vsId\" must be a non-negative integer, found a string"],
    );
}

#[test]
fn missing_and_wrong_type_fields_name_group_and_test() {
    let mut d = sha_doc();
    d[1]["testGroups"][0]["tests"][0]
        .as_object_mut()
        .unwrap()
        .remove("msg");
    assert_has(
        &error_of(&d),
        &[
            "vector set 42 (SHA2-256 1.0) / group tgId 1 / test tcId 5",
            "missing field \"msg\"",
        ],
    );
    let mut d = sha_doc();
    d[1]["testGroups"][0]["tests"][1]["len"] = json!("zero");
    assert_has(
        &error_of(&d),
        &[
            "group tgId 1 / test tcId 6",
            "\"len\" must be a non-negative integer",
        ],
    );
    let mut d = sha_doc();
    d[1]["testGroups"][0]["tgId"] = json!(-1);
    assert_has(&error_of(&d), &["group tgId -1", "\"tgId\""]);
    let mut d = sha_doc();
    d[1]["testGroups"][0]["tests"][0]["msg"] = json!("61626");
    assert_has(
        &error_of(&d),
        &["test tcId 5", "\"msg\" is not valid hex", "odd"],
    );
    let mut d = sha_doc();
    d[1]["testGroups"][0]["tests"][0]["msg"] = json!("zz2263");
    assert_has(&error_of(&d), &["test tcId 5", "not valid hex"]);
    let mut d = sha_doc();
    d[1]["testGroups"][0]["tests"][0]["len"] = json!(64);
    assert_has(
        &error_of(&d),
        &["test tcId 5", "declared length is 64 bits"],
    );
    let mut d = sha_doc();
    d[1]["testGroups"][0]["tests"][0] = json!("not a test");
    assert_has(
        &error_of(&d),
        &["test #1", "must be an object, found a string"],
    );
    let mut d = sha_doc();
    d[1]["testGroups"][0]["testType"] = json!(true);
    assert_has(
        &error_of(&d),
        &[
            "group tgId 1",
            "\"testType\" must be a string, found a boolean",
        ],
    );
    let mut d = sha_doc();
    d[1]["testGroups"][0]
        .as_object_mut()
        .unwrap()
        .remove("tests");
    assert_has(&error_of(&d), &["group tgId 1", "missing field \"tests\""]);
    let mut d = sha_doc();
    d[1]["testGroups"][0]["tests"] = json!({ "tcId": 1 });
    assert_has(
        &error_of(&d),
        &[
            "in.json: vector set 42 (SHA2-256 1.0) / group tgId 1",
            "\"tests\" must be an array (or null), found an object",
        ],
    );
    let mut d = sha_doc();
    d[1]["testGroups"][0]["tests"][1] = Value::Null;
    assert_has(
        &error_of(&d),
        &[
            "group tgId 1 / test #2",
            "a test must be an object, found null",
        ],
    );
}

/// The ACVP demo server sends `"tests": null` for a group it has no samples
/// for: an empty group, answered with no tests, beside the other groups.
#[test]
fn null_tests_is_an_empty_group() {
    let mut d = sha_doc();
    let groups = d[1]["testGroups"].as_array_mut().unwrap();
    groups.push(json!({ "tgId": 2, "testType": "AFT", "tests": null }));
    let out = run_document(stand_in(), &d, "in.json").unwrap();
    assert_eq!(out.sets[0].answered_tests, 2);
    assert!(out.sets[0].skipped.is_empty());
    let groups = out.response[1]["testGroups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[1]["tgId"], 2);
    assert_eq!(groups[1]["tests"], json!([]));
    // An unclaimed group with null tests is not claimed with 0 tests.
    let mut d = sha_doc();
    d[1]["testGroups"][0] = json!({ "tgId": 1, "testType": "XYZ", "tests": null });
    let out = run_document(stand_in(), &d, "in.json").unwrap();
    assert_eq!(out.sets[0].skipped[0].tests, 0);
}

#[test]
fn errors_in_other_algorithms() {
    // Each document, and what its error must say.
    let cases = [
        // GCM
        (
            json!({
                "vsId": 7, "algorithm": "ACVP-AES-GCM", "revision": "1.0",
                "testGroups": [{ "tgId": 3, "testType": "AFT", "direction": "decrypt", "keyLen": 128,
                    "ivLen": 96, "ivGen": "external", "payloadLen": 0, "aadLen": 0, "tagLen": 128,
                    "tests": [{ "tcId": 9, "key": 5, "iv": "000000000000000000000000", "ct": "", "aad": "",
                        "tag": "00000000000000000000000000000000" }] }]
            }),
            &[
                "vector set 7",
                "group tgId 3 / test tcId 9",
                "\"key\" must be a string, found a number",
            ][..],
        ),
        // KAS
        (
            json!({
                "vsId": 8, "algorithm": "KAS-ECC-SSC", "revision": "Sp800-56Ar3",
                "testGroups": [{ "tgId": 2, "testType": "AFT", "domainParameterGenerationMode": "P-256",
                    "scheme": "onePassDh", "kasRole": "responder",
                    "tests": [{ "tcId": 6, "ephemeralPublicServerY": "00" }] }]
            }),
            &[
                "group tgId 2 / test tcId 6",
                "missing field \"ephemeralPublicServerX\"",
            ][..],
        ),
        // DRBG
        (
            json!({
                "vsId": 9, "algorithm": "ctrDRBG", "revision": "1.0",
                "testGroups": [{ "tgId": 1, "testType": "AFT", "mode": "AES-256", "derFunc": true,
                    "predResistance": false, "reSeed": false, "entropyInputLen": 256, "nonceLen": 128,
                    "persoStringLen": 0, "additionalInputLen": 0, "returnedBitsLen": 512,
                    "tests": [{ "tcId": 1, "entropyInput": "00".repeat(32), "nonce": "00".repeat(16),
                        "persoString": "", "otherInput": { "intendedUse": "generate" } }] }]
            }),
            &[
                "group tgId 1 / test tcId 1",
                "\"otherInput\" must be an array",
            ][..],
        ),
        // ECDSA sigVer
        (
            json!({
                "vsId": 10, "algorithm": "ECDSA", "mode": "sigVer", "revision": "FIPS186-5",
                "testGroups": [{ "tgId": 4, "testType": "AFT", "curve": "P-256", "hashAlg": "SHA2-256",
                    "tests": [{ "tcId": 11, "message": "00", "qx": null, "qy": "01", "r": "01", "s": "01" }] }]
            }),
            &[
                "(ECDSA sigVer FIPS186-5) / group tgId 4 / test tcId 11",
                "\"qx\" must be a string, found null",
            ][..],
        ),
        // KDA
        (
            json!({
                "vsId": 12, "algorithm": "KDA", "mode": "HKDF", "revision": "Sp800-56Cr1",
                "testGroups": [{ "tgId": 1, "testType": "AFT", "zLength": 256,
                    "kdfConfiguration": { "kdfType": "hkdf", "hmacAlg": "SHA2-256", "l": 256,
                        "saltMethod": "default", "saltLen": 256, "fixedInfoEncoding": "concatenation",
                        "fixedInfoPattern": "uPartyInfo||vPartyInfo||l" },
                    "tests": [{ "tcId": 2, "kdfParameter": { "kdfType": "hkdf", "salt": "00", "z": "00".repeat(32), "l": 256 },
                        "fixedInfoPartyU": { "partyId": "01" } }] }]
            }),
            &[
                "group tgId 1 / test tcId 2",
                "missing field \"fixedInfoPartyV\"",
            ][..],
        ),
    ];
    for (doc, parts) in &cases {
        assert_has(&error_of(doc), parts);
    }
}

#[test]
fn groups_outside_the_claims_are_left_out() {
    let doc = json!({
        "vsId": 3, "algorithm": "ECDSA", "mode": "keyGen", "revision": "FIPS186-5",
        "testGroups": [
            { "tgId": 1, "testType": "AFT", "curve": "P-521", "secretGenerationMode": "testing candidates", "tests": [{ "tcId": 1 }] },
            { "tgId": 2, "testType": "AFT", "curve": "P-256", "secretGenerationMode": "testing candidates", "tests": [{ "tcId": 2 }] },
            { "tgId": 3, "testType": "AFT", "curve": "P-384", "secretGenerationMode": "extra bits", "tests": [{ "tcId": 3 }] }
        ]
    });
    let out = run_document(stand_in(), &doc, "in.json").unwrap();
    let groups = out.response["testGroups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["tgId"], 2);
    let t = &groups[0]["tests"][0];
    assert_eq!(t["d"].as_str().unwrap().len(), 64);
    let skipped: Vec<&str> = out.sets[0]
        .skipped
        .iter()
        .map(|s| s.tg_id.as_str())
        .collect();
    assert_eq!(skipped, ["1", "3"]);
    // An unknown algorithm: the whole set is left out, without error.
    let doc = json!({ "vsId": 4, "algorithm": "ACVP-AES-CBC", "revision": "1.0",
        "testGroups": [{ "tgId": 1, "tests": [] }] });
    let out = run_document(stand_in(), &doc, "in.json").unwrap();
    assert_eq!(out.response["testGroups"], json!([]));
    assert_eq!(out.sets[0].skipped.len(), 1);
}

fn h(s: &str) -> Vec<u8> {
    decode_hex(s).unwrap()
}

// SHA2-256 MCT from the sample vector set (tcId 513): first and last digest.
const MCT_SEED: &str = "E5059D1080923CDB64019BF789557C07D0A66962541C1536056E7FAD44CA049F";
const MCT_FIRST: &str = "7c64965f58e1ee1a902a4e2fb77898492c3c3c1d05bc9da292b3815b9dee5093";
const MCT_LAST: &str = "6bcf2af8e175b8b11129be4050b8162284066f2d4ef058f6ffedaa9cd12ffdcc";

#[test]
fn sha_mct_known_answer_with_rustcrypto() {
    let out = mct(|m| stand_in().hash(HashAlg::Sha256, m), &h(MCT_SEED), false).unwrap();
    assert_eq!(out.len(), 100);
    assert_eq!(out[0], h(MCT_FIRST));
    assert_eq!(out[99], h(MCT_LAST));
}

#[test]
fn sha_mct_known_answer_with_the_module() {
    let out = mct(|m| svsm().hash(HashAlg::Sha256, m), &h(MCT_SEED), false).unwrap();
    assert_eq!(out[0], h(MCT_FIRST));
    assert_eq!(out[99], h(MCT_LAST));
}

#[test]
fn sha_mct_alternate_keeps_the_seed_length() {
    let mut lens = Vec::new();
    let out = mct(
        |m| {
            lens.push(m.len());
            Ok::<_, ()>(svsm_oracle::hash(HashAlg::Sha256, m))
        },
        &[7u8; 5],
        true,
    )
    .unwrap();
    assert_eq!(out.len(), 100);
    assert_eq!(lens.len(), 100_000);
    assert!(lens.iter().all(|&l| l == 5));
}

// NIST CAVP CTR_DRBG [AES-256 use df], prediction resistance off, with
// personalization and one reseed without additional input.
const DRBG_ENTROPY: &str = "4cfb218673346d9d50c922e49b0dfcd090adf04f5c3ba47327dfcd6fa63a785c";
const DRBG_NONCE: &str = "016962a7fd2787a24bf6be47ef3783f1";
const DRBG_PERSO: &str = "88eeb8e0e83bf3294bdacd6099ebe4bf55ecd9113f71e5ebcb4575f3d6a68a6b";
const DRBG_RESEED: &str = "b7ec46072363834a1b0133f2c23891db4f11a68651f23e3a8b1fdc03b192c7e7";
const DRBG_OUT: &str = "a55180a190bef3adaf28f6b795e9f1f3d6dfa1b27dd0467b0c75f5fa931e9714\
                        75b27cae03a29654e2f40966ea33643040d1400fe677873af8097c1fe9f00298";

fn drbg_set() -> Value {
    json!({
        "vsId": 5, "algorithm": "ctrDRBG", "revision": "1.0",
        "testGroups": [{ "tgId": 1, "testType": "AFT", "mode": "AES-256", "derFunc": true,
            "predResistance": false, "reSeed": true, "entropyInputLen": 256, "nonceLen": 128,
            "persoStringLen": 256, "additionalInputLen": 0, "returnedBitsLen": 512,
            "tests": [{ "tcId": 1, "entropyInput": DRBG_ENTROPY, "nonce": DRBG_NONCE,
                "persoString": DRBG_PERSO, "otherInput": [
                    { "intendedUse": "reSeed", "additionalInput": "", "entropyInput": DRBG_RESEED },
                    { "intendedUse": "generate", "additionalInput": "", "entropyInput": "" },
                    { "intendedUse": "generate", "additionalInput": "", "entropyInput": "" }
                ] }] }]
    })
}

#[test]
fn ctr_drbg_model_known_answer() {
    let mut d = CtrDrbg::instantiate(&h(DRBG_ENTROPY), &h(DRBG_NONCE), &h(DRBG_PERSO));
    d.reseed(&h(DRBG_RESEED), &[]);
    d.generate(64, &[]);
    assert_eq!(d.generate(64, &[]), h(DRBG_OUT));
}

#[test]
fn drbg_procedure_known_answer_with_the_module() {
    let out = run_document(svsm(), &drbg_set(), "drbg.json").unwrap();
    let bits = out.response["testGroups"][0]["tests"][0]["returnedBits"]
        .as_str()
        .unwrap();
    assert_eq!(h(bits), h(DRBG_OUT));
}

#[test]
fn the_module_passes_every_generated_and_wycheproof_set() {
    let sets = svsm_acvp::check::Sets {
        shared: None,
        generated: true,
        wycheproof: true,
    };
    let report = svsm_acvp::check::check_all(svsm(), &sets).unwrap();
    assert_eq!(report.failed(), 0, "{}", report.render());
    for row in &report.rows {
        assert!(row.tests > 0, "{} ran no test", row.name);
        assert_eq!(row.source_sha256.len(), 64, "{}", row.name);
    }
    // Every algorithm the module offers has a generated set.
    let names: Vec<&str> = report.rows.iter().map(|r| r.name.as_str()).collect();
    for want in [
        "generated SHA2-256",
        "generated SHA2-384",
        "generated SHA2-512",
        "generated HMAC-SHA2-256",
        "generated HMAC-SHA2-384",
        "generated HMAC-SHA2-512",
        "generated ACVP-AES-GCM",
        "generated ECDSA keyGen",
        "generated ECDSA keyVer",
        "generated ECDSA sigGen",
        "generated ECDSA sigVer",
        "generated KAS-ECC-SSC",
        "generated KDA HKDF",
        "generated ctrDRBG",
        "wycheproof aes_gcm",
        "wycheproof ecdh_secp384r1_ecpoint",
        "wycheproof ecdsa_secp384r1_sha384_p1363",
        "wycheproof hkdf_sha512",
        "wycheproof hmac_sha256",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
}

/// The committed baseline holds for this build: no set answers fewer tests
/// or leaves more groups unclaimed than recorded.
#[test]
fn the_committed_baseline_holds_for_the_generated_and_wycheproof_sets() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../certification/acvp/baseline.json");
    let recorded = svsm_acvp::baseline::load(&path).unwrap();
    let sets = svsm_acvp::check::Sets {
        shared: None,
        generated: true,
        wycheproof: true,
    };
    let report = svsm_acvp::check::check_all(svsm(), &sets).unwrap();
    let run = svsm_acvp::baseline::from_report(&report);
    let c = svsm_acvp::baseline::compare(&recorded, &run);
    assert!(c.regressions.is_empty(), "{}", c.render());
    assert_eq!(c.held, run.len(), "{}", c.render());
}

/// A vectors folder that is not there is reported, not failed; the other
/// sets still run.
#[test]
fn missing_shared_sets_are_reported_not_failed() {
    let missing = std::path::Path::new("/nonexistent/acvp/vectors");
    let sets = svsm_acvp::check::Sets {
        shared: Some((missing, missing)),
        generated: true,
        wycheproof: false,
    };
    let report = svsm_acvp::check::check_all(stand_in(), &sets).unwrap();
    assert_eq!(report.failed(), 0);
    assert_eq!(
        report.sources_line(),
        "sets: shared NIST: not found (/nonexistent/acvp/vectors), generated 18 ran, \
         wycheproof: skipped on request"
    );
    let none = svsm_acvp::check::Sets {
        shared: Some((missing, missing)),
        generated: false,
        wycheproof: false,
    };
    assert!(svsm_acvp::check::check_all(stand_in(), &none).is_err());
}

/// `generate` writes the sets in the server's form; read back as a vectors
/// folder they pass against their expected files.
#[test]
fn written_generated_sets_read_back_as_a_vectors_folder() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("acvp-generated");
    // A set an older build left there (and this one no longer offers) is
    // cleared by write_all, not read back.
    std::fs::create_dir_all(dir.join("vectors")).unwrap();
    std::fs::write(dir.join("vectors/retired.json"), "[]").unwrap();
    let names = svsm_acvp::generate::write_all(&dir).unwrap();
    assert_eq!(names.len(), svsm_acvp::generate::all_sets().len());
    let (vectors, expected) = (dir.join("vectors"), dir.join("expected"));
    let sets = svsm_acvp::check::Sets {
        shared: Some((&vectors, &expected)),
        generated: false,
        wycheproof: false,
    };
    let report = svsm_acvp::check::check_all(stand_in(), &sets).unwrap();
    assert_eq!(report.rows.len(), names.len());
    assert_eq!(report.failed(), 0, "{}", report.render());
    assert!(report.passed() > 900);
}
