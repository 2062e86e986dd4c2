//! The IGVM image: the kernel pages of [`crate::elf`] for two platforms,
//! NATIVE and SEV-SNP, laid out as `svsm_boot_params::igvm` says.
//!
//! Directive order is the order a loader imports (and the SNP firmware
//! measures): every non-page directive first (required memory, the three
//! parameter areas with their inserts), then the page data sorted by GPA
//! (launch-info page, CPUID and secrets pages for SEV-SNP, the kernel), then
//! the boot vCPU's context: a native VP context, and for SEV-SNP a VMSA at
//! the GPA QEMU/KVM use, last.

use igvm::snp_defs::{SevFeatures, SevSelector, SevVmsa};
use igvm::{Arch, IgvmRevision};
use igvm::{IgvmDirectiveHeader, IgvmFile, IgvmInitializationHeader, IgvmPlatformHeader};
use igvm_defs::{
    IGVM_NATIVE_PLATFORM_VERSION, IGVM_SEV_SNP_PLATFORM_VERSION, IGVM_VHS_PARAMETER,
    IGVM_VHS_PARAMETER_INSERT, IGVM_VHS_SUPPORTED_PLATFORM, IgvmNativeVpContextX64,
    IgvmPageDataFlags, IgvmPageDataType, IgvmPlatformType,
};
use svsm_boot_params::igvm as layout;
use zerocopy::FromZeros;

use crate::PAGE_SIZE;
use crate::elf::KernelImage;

/// Compatibility mask of the NATIVE platform.
pub const NATIVE_MASK: u32 = 1 << 0;
/// Compatibility mask of the SEV-SNP platform.
pub const SNP_MASK: u32 = 1 << 1;
/// Both platforms.
const ALL: u32 = NATIVE_MASK | SNP_MASK;

/// Default SEV-SNP guest policy: ABI 0.0, SMT allowed (bit 16), the
/// must-be-one bit 17; no debugging, no migration agent.
pub const DEFAULT_POLICY: u64 = 0x3_0000;

/// The three parameter areas, by index: what the loader deposits and where.
const PARAMETER_AREAS: [(u32, u64); 3] = [
    (0, layout::MEMORY_MAP_GPA),
    (1, layout::VP_COUNT_GPA),
    (2, layout::COMMAND_LINE_GPA),
];

/// 32-bit flat segments the PVH entry expects (its own GDT's selectors).
const CODE_SELECTOR: u16 = 0x08;
const DATA_SELECTOR: u16 = 0x10;
/// Segment attributes as type | S | DPL | P | AVL | L | D/B | G: present,
/// 32-bit, 4 KiB granular; code execute/read, data read/write, both accessed.
const CODE_ATTRIBUTES: u16 = 0xc9b;
const DATA_ATTRIBUTES: u16 = 0xc93;
/// CR0.PE | CR0.ET: protected mode, paging off, as PVH enters.
const ENTRY_CR0: u64 = 0x11;
/// EFER.SVME, which a SEV-SNP VMSA must have.
const EFER_SVME: u64 = 1 << 12;

/// Builds the image for `kernel` with SEV-SNP guest policy `policy`.
pub fn build(kernel: &KernelImage, policy: u64) -> Result<IgvmFile, igvm::Error> {
    let platforms = [
        (
            NATIVE_MASK,
            IgvmPlatformType::NATIVE,
            IGVM_NATIVE_PLATFORM_VERSION,
        ),
        (
            SNP_MASK,
            IgvmPlatformType::SEV_SNP,
            IGVM_SEV_SNP_PLATFORM_VERSION,
        ),
    ]
    .into_iter()
    .map(|(mask, platform_type, platform_version)| {
        IgvmPlatformHeader::SupportedPlatform(IGVM_VHS_SUPPORTED_PLATFORM {
            compatibility_mask: mask,
            highest_vtl: 0,
            platform_type,
            platform_version,
            shared_gpa_boundary: 0,
        })
    })
    .collect();
    let initialization = vec![IgvmInitializationHeader::GuestPolicy {
        policy,
        compatibility_mask: SNP_MASK,
    }];
    IgvmFile::new(
        IgvmRevision::V2 {
            arch: Arch::X64,
            page_size: PAGE_SIZE as u32,
        },
        platforms,
        initialization,
        directives(kernel),
    )
}

fn directives(kernel: &KernelImage) -> Vec<IgvmDirectiveHeader> {
    let mut out = vec![IgvmDirectiveHeader::RequiredMemory {
        gpa: kernel.required_memory.start,
        compatibility_mask: ALL,
        number_of_bytes: layout::REQUIRED_MEMORY_SIZE as u32,
        vtl2_protectable: false,
    }];
    for (index, _) in PARAMETER_AREAS {
        out.push(IgvmDirectiveHeader::ParameterArea {
            number_of_bytes: layout::PARAMETER_AREA_SIZE,
            parameter_area_index: index,
            initial_data: Vec::new(),
        });
    }
    let usage = |index| IGVM_VHS_PARAMETER {
        parameter_area_index: index,
        byte_offset: 0,
    };
    out.push(IgvmDirectiveHeader::MemoryMap(usage(0)));
    out.push(IgvmDirectiveHeader::VpCount(usage(1)));
    out.push(IgvmDirectiveHeader::CommandLine(usage(2)));
    for (index, gpa) in PARAMETER_AREAS {
        out.push(IgvmDirectiveHeader::ParameterInsert(
            IGVM_VHS_PARAMETER_INSERT {
                gpa,
                compatibility_mask: ALL,
                parameter_area_index: index,
            },
        ));
    }

    let mut pages = vec![
        page(
            layout::LAUNCH_INFO_GPA,
            ALL,
            IgvmPageDataType::NORMAL,
            layout::LaunchInfo::IMAGE.encode().to_vec(),
        ),
        page(
            layout::CPUID_PAGE_GPA,
            SNP_MASK,
            IgvmPageDataType::CPUID_DATA,
            cpuid_page(),
        ),
        page(
            layout::SECRETS_PAGE_GPA,
            SNP_MASK,
            IgvmPageDataType::SECRETS,
            Vec::new(),
        ),
    ];
    pages.extend(kernel.pages.iter().map(|(gpa, data)| {
        // An all-zero page is carried without data: the loader zero-fills
        // it, and it is measured as the same normal page.
        let data = if data.iter().all(|b| *b == 0) {
            Vec::new()
        } else {
            data.clone()
        };
        page(*gpa, ALL, IgvmPageDataType::NORMAL, data)
    }));
    pages.sort_by_key(|p| match p {
        IgvmDirectiveHeader::PageData { gpa, .. } => *gpa,
        _ => u64::MAX,
    });
    out.extend(pages);

    out.push(IgvmDirectiveHeader::X64NativeVpContext {
        compatibility_mask: NATIVE_MASK,
        vp_index: 0,
        context: Box::new(native_context(kernel.entry)),
    });
    out.push(IgvmDirectiveHeader::SnpVpContext {
        gpa: layout::SNP_VMSA_GPA,
        compatibility_mask: SNP_MASK,
        vp_index: 0,
        vmsa: snp_vmsa(kernel.entry),
    });
    out
}

fn page(gpa: u64, mask: u32, data_type: IgvmPageDataType, data: Vec<u8>) -> IgvmDirectiveHeader {
    IgvmDirectiveHeader::PageData {
        gpa,
        compatibility_mask: mask,
        flags: IgvmPageDataFlags::new(),
        data_type,
        data,
    }
}

/// The CPUID leaves the kernel reads, as an SNP CPUID page asking the
/// hypervisor (and then the firmware, which checks them) to fill them in:
/// count, then 48-byte entries (EAX and ECX in, XCR0 and XSS in, the four
/// outputs, reserved). Its contents are not part of the launch digest.
fn cpuid_page() -> Vec<u8> {
    const LEAVES: [(u32, u32); 9] = [
        (0x0, 0),
        (0x1, 0),
        (0x7, 0),
        (0xd, 0),
        (0xd, 1),
        (0x8000_0000, 0),
        (0x8000_0001, 0),
        (0x8000_0008, 0),
        (0x8000_001f, 0),
    ];
    let mut out = vec![0u8; 16 + LEAVES.len() * 48];
    out[0..4].copy_from_slice(&(LEAVES.len() as u32).to_le_bytes());
    for (entry, (eax, ecx)) in out[16..].chunks_exact_mut(48).zip(LEAVES) {
        entry[0..4].copy_from_slice(&eax.to_le_bytes());
        entry[4..8].copy_from_slice(&ecx.to_le_bytes());
        // XCR0 in: x87 only, the architectural reset value.
        entry[8..16].copy_from_slice(&1u64.to_le_bytes());
    }
    out
}

/// The native boot vCPU: 32-bit protected mode at the PVH entry, `%ebx` at
/// the launch-info page, exactly the state PVH hands over.
fn native_context(entry: u64) -> IgvmNativeVpContextX64 {
    let mut c = IgvmNativeVpContextX64::new_zeroed();
    c.rip = entry;
    c.rbx = layout::LAUNCH_INFO_GPA;
    c.rflags = 0x2;
    c.code_selector = CODE_SELECTOR;
    // The native context's attributes put the high nibble at bits 15:12.
    c.code_attributes = (CODE_ATTRIBUTES & 0xff) | ((CODE_ATTRIBUTES & 0xf00) << 4);
    c.code_limit = 0xffff_ffff;
    c.data_selector = DATA_SELECTOR;
    c.data_attributes = (DATA_ATTRIBUTES & 0xff) | ((DATA_ATTRIBUTES & 0xf00) << 4);
    c.data_limit = 0xffff_ffff;
    c.cr0 = ENTRY_CR0;
    c
}

/// The SEV-SNP boot vCPU: the same entry state as a VMSA (VMPL0, SNP active).
fn snp_vmsa(entry: u64) -> Box<SevVmsa> {
    let mut v = Box::new(SevVmsa::new_zeroed());
    let segment = |selector, attrib| SevSelector {
        selector,
        attrib,
        limit: 0xffff_ffff,
        base: 0,
    };
    v.cs = segment(CODE_SELECTOR, CODE_ATTRIBUTES);
    for s in [&mut v.ds, &mut v.es, &mut v.ss, &mut v.fs, &mut v.gs] {
        *s = segment(DATA_SELECTOR, DATA_ATTRIBUTES);
    }
    v.gdtr.limit = 0xffff;
    v.idtr.limit = 0xffff;
    v.ldtr = SevSelector {
        selector: 0,
        attrib: 0x82,
        limit: 0xffff,
        base: 0,
    };
    v.tr = SevSelector {
        selector: 0,
        attrib: 0x8b,
        limit: 0xffff,
        base: 0,
    };
    v.rip = entry;
    v.rbx = layout::LAUNCH_INFO_GPA;
    v.rflags = 0x2;
    v.cr0 = ENTRY_CR0;
    v.efer = EFER_SVME;
    v.dr6 = 0xffff_0ff0;
    v.dr7 = 0x400;
    v.xcr0 = 1;
    v.pat = 0x0007_0406_0007_0406;
    v.vmpl = 0;
    v.sev_features = SevFeatures::new().with_snp(true);
    v
}

/// A serialized file for one platform (compatibility mask 1, platform
/// version 1) with these headers: the bad and small files of the tests and
/// the fuzz seeds.
pub fn one_platform_file(
    platform_type: IgvmPlatformType,
    initialization: Vec<IgvmInitializationHeader>,
    directives: Vec<IgvmDirectiveHeader>,
) -> Result<Vec<u8>, igvm::Error> {
    let file = IgvmFile::new(
        IgvmRevision::V2 {
            arch: Arch::X64,
            page_size: PAGE_SIZE as u32,
        },
        vec![IgvmPlatformHeader::SupportedPlatform(
            IGVM_VHS_SUPPORTED_PLATFORM {
                compatibility_mask: 1,
                highest_vtl: 0,
                platform_type,
                // Version 1 for every platform type.
                platform_version: IGVM_SEV_SNP_PLATFORM_VERSION,
                shared_gpa_boundary: 0,
            },
        )],
        initialization,
        directives,
    )?;
    let mut out = Vec::new();
    file.serialize(&mut out)?;
    Ok(out)
}
