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

/// The TPM seeds are answered as the commands they are named after (a seed
/// the engine stopped accepting would show here), and the input splits into
/// commands by their size fields.
#[test]
fn tpm_seeds_reach_their_commands() {
    use svsm_fuzz::tpm::{ST_NO_SESSIONS, ST_SESSIONS, rc, run, split};
    const SUCCESS: u32 = 0;
    const TPM_RC_INITIALIZE: u32 = 0x100;
    let seed = |name: &str| {
        std::fs::read(svsm_fuzz::fuzz_dir().join("corpus/tpm").join(name)).expect("seed")
    };
    let codes = |name: &str| run(&seed(name)).iter().map(|r| rc(r)).collect::<Vec<_>>();
    assert_eq!(codes("get-random"), [SUCCESS]);
    assert_eq!(codes("pcr-read"), [SUCCESS]);
    assert_eq!(codes("get-capability-algs"), [SUCCESS]);
    assert_eq!(codes("startup-again"), [TPM_RC_INITIALIZE]);
    assert_eq!(codes("sequence-extend-read"), [SUCCESS, SUCCESS]);

    // GetRandom(16): 10 header bytes, a TPM2B of 16 random bytes.
    let random = run(&seed("get-random"));
    assert_eq!(random[0].len(), 10 + 2 + 16);
    assert_eq!(&random[0][..2], ST_NO_SESSIONS.to_be_bytes());
    // The extend answers with sessions; the PCR read after it sees the new
    // value (a fresh Startup per input: PCR 0 starts at zero each time).
    let both = run(&seed("sequence-extend-read"));
    assert_eq!(&both[0][..2], ST_SESSIONS.to_be_bytes());
    assert_eq!(
        both,
        run(&seed("sequence-extend-read")),
        "inputs are independent"
    );
    assert_ne!(
        both[1],
        run(&seed("pcr-read"))[0],
        "the extend changed PCR 0"
    );

    // A size field below the header or beyond the input: the rest is one command.
    assert_eq!(split(&[0x80, 1, 0, 0, 0, 4, 9, 9, 9, 9, 9, 9]).len(), 1);
    assert_eq!(split(&[0x80, 1, 0, 0, 0, 99, 0, 0, 1, 0x7b]).len(), 1);
    let get_random = seed("get-random");
    assert_eq!(
        split(&get_random.repeat(20)).len(),
        svsm_fuzz::tpm::MAX_COMMANDS
    );
}

/// A small SEV-SNP IGVM file: a guest policy, two data pages (one with
/// 16 bytes, one empty), a parameter area inserted as one page, and the
/// boot vCPU's VMSA; built with the `igvm` crate the reader uses.
fn small_igvm_file() -> Vec<u8> {
    igvm_file_with_areas(&[(0x20_0000, 4096)])
}

/// [`small_igvm_file`] with one parameter area of `size` bytes inserted at
/// `gpa` per entry of `areas` (the first carrying the vCPU count).
fn igvm_file_with_areas(areas: &[(u64, u64)]) -> Vec<u8> {
    use igvm::{IgvmDirectiveHeader, IgvmInitializationHeader};
    use igvm_defs::{IgvmPageDataFlags, IgvmPageDataType, IgvmPlatformType};
    use zerocopy::FromZeros;
    let page = |gpa, data| IgvmDirectiveHeader::PageData {
        gpa,
        compatibility_mask: 1,
        flags: IgvmPageDataFlags::new(),
        data_type: IgvmPageDataType::NORMAL,
        data,
    };
    let mut directives = vec![page(0x10_0000, vec![0x90; 16]), page(0x10_1000, vec![])];
    for (index, &(gpa, size)) in areas.iter().enumerate() {
        let index = index as u32;
        directives.push(IgvmDirectiveHeader::ParameterArea {
            number_of_bytes: size,
            parameter_area_index: index,
            initial_data: vec![],
        });
        if index == 0 {
            directives.push(IgvmDirectiveHeader::VpCount(
                igvm_defs::IGVM_VHS_PARAMETER {
                    parameter_area_index: 0,
                    byte_offset: 0,
                },
            ));
        }
        directives.push(IgvmDirectiveHeader::ParameterInsert(
            igvm_defs::IGVM_VHS_PARAMETER_INSERT {
                gpa,
                compatibility_mask: 1,
                parameter_area_index: index,
            },
        ));
    }
    directives.push(IgvmDirectiveHeader::SnpVpContext {
        gpa: 0x30_0000,
        compatibility_mask: 1,
        vp_index: 0,
        vmsa: Box::new(igvm::snp_defs::SevVmsa::new_zeroed()),
    });
    let policy = IgvmInitializationHeader::GuestPolicy {
        policy: 0x30000,
        compatibility_mask: 1,
    };
    svsm_igvm::image::one_platform_file(IgvmPlatformType::SEV_SNP, vec![policy], directives)
        .expect("a valid file")
}

/// The committed igvm seed is the builder's file above behind the vCPU
/// byte, and the reader measures it: two data pages, the inserted
/// parameter page, one VMSA per vCPU.
#[test]
fn igvm_seed_is_the_builders_file_and_measures() {
    let mut expected = vec![1u8]; // two vCPUs
    expected.extend(small_igvm_file());
    let path = svsm_fuzz::fuzz_dir().join("corpus/igvm/snp-small");
    if std::env::var_os("FUZZ_WRITE_SEEDS").is_some() {
        std::fs::write(&path, &expected).expect("seed written");
    }
    assert_eq!(std::fs::read(&path).expect("seed"), expected);
    let analysis = svsm_igvm::analyse(&expected[1..], 2).expect("the seed is accepted");
    assert_eq!(analysis.launch.pages.len(), 2 + 1 + 2);
}

/// Parameter areas are the one place a few bytes of an IGVM file make the
/// reader allocate (a page record per 4 KiB an area declares): 64 areas of
/// the largest accepted size stay within the target's heap allowance,
/// because the reader refuses areas adding up to more than one (before
/// that limit the heap grew to 38 MB for this 11 KiB file).
#[test]
fn igvm_huge_parameter_areas_stay_within_the_allowance() {
    let max = svsm_igvm::inspect::MAX_PARAMETER_AREA;
    let areas: Vec<(u64, u64)> = (0..64).map(|i| (0x1_0000_0000 + i * max, max)).collect();
    let mut input = vec![0u8];
    input.extend(igvm_file_with_areas(&areas));
    svsm_fuzz::igvm::one_input(&input);
    let refused = svsm_igvm::analyse(&input[1..], 1).expect_err("areas over the limit");
    assert!(
        matches!(
            refused,
            svsm_igvm::inspect::InspectError::AreasTooLarge { .. }
        ),
        "{refused}"
    );
}
