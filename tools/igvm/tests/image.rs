//! The image built from a small synthetic kernel ELF: round trip through the
//! igvm crate's parser for each platform, our digest against the igvm
//! crate's, reproducibility, the kernel pages against the ELF, and bad files
//! (generated here) refused with an error naming what is wrong.

use igvm::IsolationType;
use igvm::{IgvmDirectiveHeader, IgvmFile, IgvmInitializationHeader};
use igvm_defs::{IGVM_VHS_PARAMETER, IgvmPageDataFlags, IgvmPageDataType, IgvmPlatformType};
use svsm_igvm::inspect::{self, InspectError};
use svsm_igvm::{analyse, elf, image, kernel_pages_match, snp};

/// Two PT_LOAD segments (address, file size, memory size): 6 KiB of
/// code-like bytes at 1 MiB, and 16 bytes of data followed by 12 KiB of
/// `.bss` at 1 MiB + 8 KiB.
const SEGMENTS: [(u64, u64, u64); 2] = [(0x10_0000, 0x1800, 0x1800), (0x10_2000, 0x10, 0x3000)];

/// A 64-bit ELF whose segments hold bytes derived from `seed`.
fn kernel_elf(seed: u8) -> Vec<u8> {
    elf_with(&SEGMENTS, seed)
}

fn elf_with(segments: &[(u64, u64, u64)], seed: u8) -> Vec<u8> {
    let data: Vec<Vec<u8>> = segments
        .iter()
        .map(|&(_, filesz, _)| {
            (0..filesz)
                .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) | 1)
                .collect()
        })
        .collect();
    let specs: Vec<elf::Segment> = segments
        .iter()
        .zip(&data)
        .map(|(&(addr, _, memsz), data)| elf::Segment {
            kind: 1, // PT_LOAD
            flags: 5,
            addr,
            data,
            memsz,
        })
        .collect();
    elf::write_exec(0x10_0000, &specs)
}

fn built(seed: u8) -> (elf::KernelImage, Vec<u8>) {
    let kernel = elf::load(&kernel_elf(seed)).unwrap();
    let file = image::build(&kernel, image::DEFAULT_POLICY).unwrap();
    let mut bytes = Vec::new();
    file.serialize(&mut bytes).unwrap();
    (kernel, bytes)
}

#[test]
fn the_elf_loads_as_file_bytes_then_zeros() {
    let kernel = elf::load(&kernel_elf(7)).unwrap();
    assert_eq!(kernel.entry, 0x10_0000);
    let gpas: Vec<u64> = kernel.pages.keys().copied().collect();
    assert_eq!(
        gpas,
        [0x10_0000, 0x10_1000, 0x10_2000, 0x10_3000, 0x10_4000]
    );
    assert_eq!(
        kernel.pages[&0x10_1000][0x7ff],
        (0x17ffu32 as u8).wrapping_mul(31).wrapping_add(7) | 1
    );
    assert!(kernel.pages[&0x10_1000][0x800..].iter().all(|b| *b == 0));
    assert!(kernel.pages[&0x10_2000][..0x10].iter().all(|b| *b != 0));
    assert!(kernel.pages[&0x10_2000][0x10..].iter().all(|b| *b == 0));
    assert!(matches!(
        elf::load(b"not an elf"),
        Err(elf::ElfError::Parse(_))
    ));
}

#[test]
fn the_file_parses_for_each_platform_with_the_expected_contents() {
    let (_, bytes) = built(1);
    // Filtered for one platform, the other platform's VP context is gone.
    for (isolation, native, snp) in [
        (IsolationType::NotIsolated, 1, 0),
        (IsolationType::Snp, 0, 1),
    ] {
        let file = IgvmFile::new_from_binary(&bytes, Some(isolation)).unwrap();
        let count =
            |f: fn(&IgvmDirectiveHeader) -> bool| file.directives().iter().filter(|d| f(d)).count();
        assert_eq!(
            count(|d| matches!(d, IgvmDirectiveHeader::X64NativeVpContext { .. })),
            native
        );
        assert_eq!(
            count(|d| matches!(d, IgvmDirectiveHeader::SnpVpContext { .. })),
            snp
        );
    }
    let file = IgvmFile::new_from_binary(&bytes, None).unwrap();
    let names: Vec<String> = inspect::platforms(&file)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["NATIVE", "SEV_SNP"]);
    let directives = file.directives();
    // The VMSA is last, at the GPA QEMU/KVM measure it at.
    assert!(matches!(
        directives.last(),
        Some(IgvmDirectiveHeader::SnpVpContext {
            gpa: 0xFFFF_FFFF_F000,
            vp_index: 0,
            ..
        })
    ));
    assert!(
        directives
            .iter()
            .any(|d| matches!(d, IgvmDirectiveHeader::X64NativeVpContext { .. }))
    );
    for kind in ["memory map", "vCPU count", "command line"] {
        let found = directives.iter().any(|d| {
            matches!(
                (kind, d),
                ("memory map", IgvmDirectiveHeader::MemoryMap(_))
                    | ("vCPU count", IgvmDirectiveHeader::VpCount(_))
                    | ("command line", IgvmDirectiveHeader::CommandLine(_))
            )
        });
        assert!(found, "{kind}");
    }
    // Every parameter area is at most 4 KiB and is inserted before any page data.
    let first_page = directives
        .iter()
        .position(|d| matches!(d, IgvmDirectiveHeader::PageData { .. }))
        .unwrap();
    for (i, d) in directives.iter().enumerate() {
        match d {
            IgvmDirectiveHeader::ParameterArea {
                number_of_bytes, ..
            } => assert!(*number_of_bytes <= 4096),
            IgvmDirectiveHeader::ParameterInsert(_) => assert!(i < first_page),
            _ => {}
        }
    }
    let types: Vec<IgvmPageDataType> = directives
        .iter()
        .filter_map(|d| match d {
            IgvmDirectiveHeader::PageData {
                data_type,
                compatibility_mask,
                ..
            } if *compatibility_mask == image::SNP_MASK => Some(*data_type),
            _ => None,
        })
        .collect();
    assert_eq!(
        types,
        [IgvmPageDataType::CPUID_DATA, IgvmPageDataType::SECRETS]
    );
}

#[test]
fn our_digest_equals_the_igvm_crates_and_follows_the_kernel_bytes() {
    let (_, bytes) = built(1);
    let a = analyse(&bytes, 1).unwrap();
    assert_eq!(a.igvm_crate_digest.as_ref().unwrap(), &a.digest);
    assert_eq!(a.launch.policy, image::DEFAULT_POLICY);
    let kinds: Vec<snp::PageType> = a.launch.pages.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == snp::PageType::Unmeasured)
            .count(),
        3
    );
    assert_eq!(kinds.last(), Some(&snp::PageType::Vmsa));

    // The guest policy travels in the file, not in the digest.
    let kernel = elf::load(&kernel_elf(1)).unwrap();
    let mut debug_policy = Vec::new();
    image::build(&kernel, image::DEFAULT_POLICY | 1 << 19)
        .unwrap()
        .serialize(&mut debug_policy)
        .unwrap();
    let with_debug = analyse(&debug_policy, 1).unwrap();
    assert_eq!(with_debug.launch.policy, 0xb_0000);
    assert_eq!(with_debug.digest, a.digest);

    let (_, other) = built(2);
    assert_ne!(analyse(&other, 1).unwrap().digest, a.digest);
    // More vCPUs: one more VMSA each, so a different digest.
    let four = analyse(&bytes, 4).unwrap();
    assert_eq!(four.launch.pages.len(), a.launch.pages.len() + 3);
    assert_ne!(four.digest, a.digest);
}

#[test]
fn two_builds_are_byte_identical() {
    assert_eq!(built(3).1, built(3).1);
}

#[test]
fn the_kernel_pages_in_the_file_are_the_elfs_bytes() {
    let (kernel, bytes) = built(4);
    let file = inspect::parse(&bytes).unwrap();
    assert_eq!(kernel_pages_match(&file, &kernel), Ok(5));
    let other = elf::load(&kernel_elf(5)).unwrap();
    let err = kernel_pages_match(&file, &other).unwrap_err();
    assert!(err.contains("kernel page 0x100000 differs"), "{err}");
}

fn expect_error(bytes: &[u8], what: &str) -> InspectError {
    let err = analyse(bytes, 1).unwrap_err();
    assert!(
        err.to_string().contains(what),
        "'{err}' does not say '{what}'"
    );
    err
}

#[test]
fn truncated_files_are_refused_at_every_length() {
    let (_, bytes) = built(1);
    expect_error(&bytes[..10], "truncated: 10 bytes, the header needs 24");
    expect_error(&bytes[..bytes.len() / 2], "truncated");
    // Never a panic, whatever the cut.
    for len in (0..bytes.len()).step_by(97) {
        assert!(analyse(&bytes[..len], 1).is_err(), "{len}");
    }
}

#[test]
fn wrong_magic_is_named() {
    let (_, mut bytes) = built(1);
    bytes[0] = b'X';
    expect_error(&bytes, "wrong magic 0x4d564758");
}

/// A serialized one-platform file (compatibility mask 1).
fn one_platform_file(
    platform_type: IgvmPlatformType,
    initialization: Vec<IgvmInitializationHeader>,
    directives: Vec<IgvmDirectiveHeader>,
) -> Vec<u8> {
    image::one_platform_file(platform_type, initialization, directives).unwrap()
}

/// A serialized SEV-SNP-only file with these directives.
fn snp_file(directives: Vec<IgvmDirectiveHeader>) -> Vec<u8> {
    let policy = IgvmInitializationHeader::GuestPolicy {
        policy: 0x30000,
        compatibility_mask: 1,
    };
    one_platform_file(IgvmPlatformType::SEV_SNP, vec![policy], directives)
}

fn page(gpa: u64, data: Vec<u8>) -> IgvmDirectiveHeader {
    IgvmDirectiveHeader::PageData {
        gpa,
        compatibility_mask: 1,
        flags: IgvmPageDataFlags::new(),
        data_type: IgvmPageDataType::NORMAL,
        data,
    }
}

/// Parameter area 0 of `size` bytes inserted at 0x4000, then a page at 0x5000.
fn area_inserted_with_a_page(size: u64) -> Vec<IgvmDirectiveHeader> {
    vec![
        IgvmDirectiveHeader::ParameterArea {
            number_of_bytes: size,
            parameter_area_index: 0,
            initial_data: vec![],
        },
        IgvmDirectiveHeader::ParameterInsert(igvm_defs::IGVM_VHS_PARAMETER_INSERT {
            gpa: 0x4000,
            compatibility_mask: 1,
            parameter_area_index: 0,
        }),
        page(0x5000, vec![1; 16]),
    ]
}

#[test]
fn overlapping_pages_are_named() {
    let bytes = snp_file(vec![page(0x5000, vec![1; 16]), page(0x5000, vec![2; 16])]);
    assert!(matches!(
        expect_error(&bytes, "overlapping pages: SEV_SNP loads GPA 0x5000 twice"),
        InspectError::OverlappingPages { gpa: 0x5000, .. }
    ));
    // A parameter area inserted over a loaded page overlaps too.
    let bytes = snp_file(area_inserted_with_a_page(0x2000));
    expect_error(&bytes, "loads GPA 0x5000 twice");
}

#[test]
fn a_parameter_beyond_its_area_is_named() {
    let bytes = snp_file(vec![
        IgvmDirectiveHeader::ParameterArea {
            number_of_bytes: 0x1000,
            parameter_area_index: 0,
            initial_data: vec![],
        },
        IgvmDirectiveHeader::VpCount(IGVM_VHS_PARAMETER {
            parameter_area_index: 0,
            byte_offset: 0x1000,
        }),
        page(0x5000, vec![1; 16]),
    ]);
    expect_error(
        &bytes,
        "parameter beyond its area: vCPU count at byte offset 0x1000 of parameter area 0, which has 0x1000 bytes",
    );
}

#[test]
fn a_huge_parameter_area_is_refused_not_walked() {
    let bytes = snp_file(area_inserted_with_a_page(1 << 50));
    expect_error(&bytes, "parameter area 0 declares 0x4000000000000 bytes");
}

/// The fuzz target's first finding: variable headers whose offset plus
/// size overflows 32 bits made the `igvm` crate panic.
#[test]
fn variable_headers_beyond_the_file_are_refused_not_added_up() {
    let (_, mut bytes) = built(1);
    // IGVM_FIXED_HEADER: magic, format version, variable header offset,
    // variable header size, total file size, checksum.
    bytes[12..16].copy_from_slice(&0xffff_fff8u32.to_le_bytes());
    expect_error(&bytes, "variable headers at 0x");
    expect_error(&bytes, "end beyond the file's");
}

#[test]
fn parameter_areas_adding_up_beyond_the_limit_are_refused() {
    // A page, area 0 of the largest size, then area 1 of one page, each
    // inserted.
    let mut directives = vec![page(0x5000, vec![1; 16])];
    for (index, size, gpa) in [
        (0, inspect::MAX_PARAMETER_AREA, 0x1_0000_0000),
        (1, 4096, 0x2_0000_0000),
    ] {
        directives.push(IgvmDirectiveHeader::ParameterArea {
            number_of_bytes: size,
            parameter_area_index: index,
            initial_data: vec![],
        });
        directives.push(IgvmDirectiveHeader::ParameterInsert(
            igvm_defs::IGVM_VHS_PARAMETER_INSERT {
                gpa,
                compatibility_mask: 1,
                parameter_area_index: index,
            },
        ));
    }
    expect_error(
        &snp_file(directives),
        "SEV_SNP inserts parameter areas of 0x1001000 bytes in all, more than 0x1000000",
    );
}

#[test]
fn a_file_without_a_vmsa_or_snp_platform_cannot_be_measured() {
    expect_error(
        &snp_file(vec![page(0x5000, vec![1; 16])]),
        "no SEV-SNP VMSA",
    );
    let native = one_platform_file(
        IgvmPlatformType::NATIVE,
        vec![],
        vec![page(0x5000, vec![1; 16])],
    );
    expect_error(&native, "no SEV-SNP platform");
}

#[test]
fn the_cli_names_the_problem_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("svsm-igvm-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_, bytes) = built(1);
    let cases = [
        (
            "truncated.igvm",
            bytes[..bytes.len() - 100].to_vec(),
            "truncated",
        ),
        ("magic.igvm", [b"XXXX", &bytes[4..]].concat(), "wrong magic"),
    ];
    let exe = env!("CARGO_BIN_EXE_svsm-igvm");
    for (name, content, what) in cases {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        let out = std::process::Command::new(exe)
            .arg("measure")
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(what) && stderr.contains(name),
            "{name}: {stderr}"
        );
    }
    let good = dir.join("good.igvm");
    std::fs::write(&good, &bytes).unwrap();
    let out = std::process::Command::new(exe)
        .arg("measure")
        .arg(&good)
        .output()
        .unwrap();
    assert!(out.status.success());
    let digest = svsm_igvm::hex(&analyse(&bytes, 1).unwrap().digest);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("launch digest:  {digest}")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_test_loader_lays_out_native_pages_parameters_and_a_shim() {
    use object::read::elf::{ElfFile64, FileHeader};
    use svsm_boot_params::igvm as layout;
    use svsm_igvm::load;

    let (kernel, bytes) = built(6);
    let loaded = load::native(&bytes, 64 << 20, "log=debug").unwrap();
    let byte_at = |gpa: u64| {
        let (start, run) = loaded.runs.range(..=gpa).next_back().unwrap();
        run[(gpa - start) as usize]
    };
    let slice_at = |gpa: u64, len: usize| {
        (0..len as u64)
            .map(|i| byte_at(gpa + i))
            .collect::<Vec<u8>>()
    };
    // The file's own pages: launch info and kernel.
    assert_eq!(
        slice_at(layout::LAUNCH_INFO_GPA, layout::LaunchInfo::SIZE),
        layout::LaunchInfo::IMAGE.encode()
    );
    for (gpa, page) in &kernel.pages {
        assert_eq!(&slice_at(*gpa, 4096), page);
    }
    // The parameter areas, filled as a loader would.
    assert_eq!(slice_at(layout::COMMAND_LINE_GPA, 10), b"log=debug\0");
    assert_eq!(slice_at(layout::VP_COUNT_GPA, 4), 1u32.to_le_bytes());
    let map = slice_at(layout::MEMORY_MAP_GPA, 72);
    assert_eq!(&map[24..32], &0x100u64.to_le_bytes()); // second entry from 1 MiB
    assert_eq!(
        &map[32..40],
        &(((64u64 << 20) - 0x10_0000) >> 12).to_le_bytes()
    );
    assert!(map[48..].iter().all(|b| *b == 0), "terminating entry");
    // No SEV-SNP-only page (CPUID, secrets) in a NATIVE launch.
    assert!(
        loaded
            .runs
            .range(layout::CPUID_PAGE_GPA..0x10_0000)
            .next()
            .is_none()
    );

    // The shim: PVH-bootable, `mov $launch_info, %ebx; mov $entry, %eax; jmp *%eax`.
    let elf = ElfFile64::<object::Endianness>::parse(loaded.shim.as_slice()).unwrap();
    assert_eq!(elf.elf_header().e_entry(elf.endian()), load::SHIM_ADDRESS);
    let code = &loaded.shim[0x1000..0x100c];
    let mut expected = vec![0xbb];
    expected.extend((layout::LAUNCH_INFO_GPA as u32).to_le_bytes());
    expected.push(0xb8);
    expected.extend((kernel.entry as u32).to_le_bytes());
    expected.extend([0xff, 0xe0]);
    assert_eq!(code, expected);
    let note = &loaded.shim[0x2000..0x2014];
    assert_eq!(&note[12..16], b"Xen\0");
    assert_eq!(&note[16..20], &(load::SHIM_ADDRESS as u32).to_le_bytes());

    assert!(matches!(
        load::native(&bytes, 1 << 20, ""),
        Err(load::LoadError::TooSmall { .. })
    ));
    let snp_only = snp_file(vec![page(0x5000, vec![1; 16])]);
    assert_eq!(
        load::native(&snp_only, 64 << 20, "").unwrap_err(),
        load::LoadError::NoNativePlatform
    );
}
