//! Every committed seed and regression input of the Rust fuzz targets, run
//! as an ordinary test: a crash the fuzzer found stays fixed.

use svsm_fuzz::{TARGETS, inputs};

#[test]
fn every_seed_and_regression_input_passes() {
    for (target, one_input) in TARGETS {
        let seeds = inputs("corpus", target);
        assert!(!seeds.is_empty(), "{target}: no seed corpus");
        for file in seeds.iter().chain(&inputs("regressions", target)) {
            let data = std::fs::read(file).expect("readable input");
            eprintln!("{target}: {}", file.display());
            one_input(&data);
        }
    }
}

/// The protocol seeds reach the calls they are named after, so the fuzzer
/// starts from deep paths (a seed that stopped parsing would show here).
#[test]
fn protocol_seeds_reach_their_calls() {
    let answers = |name: &str| {
        let file = svsm_fuzz::fuzz_dir().join("corpus/protocol").join(name);
        svsm_fuzz::protocol::run(&std::fs::read(file).expect("seed"))
    };
    const SUCCESS: u64 = 0;
    const INVALID_ADDRESS: u64 = 0x8000_0003;
    const INVALID_PARAMETER: u64 = 0x8000_0005;
    assert_eq!(answers("query-protocol"), [SUCCESS]);
    assert_eq!(answers("pvalidate"), [SUCCESS]);
    assert_eq!(answers("pvalidate-hole"), [INVALID_ADDRESS]);
    assert_eq!(answers("attest-services"), [SUCCESS]);
    assert_eq!(answers("attest-single"), [SUCCESS]);
    assert_eq!(answers("attest-too-small"), [INVALID_PARAMETER]);
    assert_eq!(answers("served-remap-ca"), [SUCCESS, SUCCESS]);
    assert_eq!(answers("create-vcpu"), [SUCCESS]);
    assert_eq!(answers("vtpm-cmd"), [SUCCESS]);
    assert_eq!(answers("vtpm-cmd-locality"), [INVALID_PARAMETER]);
}

/// The SNP seeds are accepted by the decoders they are named after.
#[test]
fn snp_seeds_reach_their_decoders() {
    let seed = |name: &str| {
        std::fs::read(svsm_fuzz::fuzz_dir().join("corpus/snp").join(name)).expect("seed")
    };
    let header = seed("header-report-response");
    let mut bytes = [0u8; svsm_snp::guest_msg::HEADER_SIZE];
    bytes.copy_from_slice(&header[1..]);
    assert!(svsm_snp::guest_msg::Header::decode(&bytes).is_ok());
    let table = seed("cert-table-vcek");
    assert_eq!(svsm_snp::certs::table_len(&table[1..]), Ok(table.len() - 1));
    assert_eq!(svsm_snp::certs::entries(&table[1..]).count(), 1);
}

/// The boot-params seeds are well-formed launches (PVH and IGVM), so the
/// fuzzer starts past the magic and the header checks.
#[test]
fn boot_params_seeds_parse() {
    use svsm_boot_params::start_info::{Loader, StartInfo};
    use svsm_fuzz::boot_params::{BASE, Image};
    let parse = |name: &str| {
        let file = svsm_fuzz::fuzz_dir().join("corpus/boot-params").join(name);
        let bytes = std::fs::read(file).expect("seed");
        let info = StartInfo::parse(&Image::new(&bytes), BASE).expect("the seed parses");
        (
            info.loader,
            info.memory_map.iter().count(),
            info.cmdline().to_vec(),
        )
    };
    assert_eq!(
        parse("pvh-qemu"),
        (
            Loader::Pvh { version: 1 },
            5,
            b"log=debug test=none quiet".to_vec()
        )
    );
    assert_eq!(
        parse("pvh-no-cmdline"),
        (Loader::Pvh { version: 1 }, 1, Vec::new())
    );
    assert_eq!(
        parse("igvm-launch"),
        (Loader::Igvm { vcpus: 2 }, 3, b"log=trace".to_vec())
    );
}
