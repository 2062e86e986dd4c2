//! `svsm-igvm`: the SVSM kernel as an IGVM image, and the SEV-SNP launch
//! digest predicted from any IGVM file.
//!
//! * [`elf`]: the kernel's loadable pages, read from the same ELF that QEMU
//!   boots through PVH;
//! * [`image`]: the IGVM file built from them (revision 2, NATIVE and
//!   SEV-SNP), laid out as `svsm_boot_params::igvm` says;
//! * [`inspect`]: reading any IGVM file back, with an error naming what is
//!   wrong (truncated, wrong magic, overlapping pages, a parameter beyond its
//!   area), and the list of pages the SEV-SNP firmware measures;
//! * [`snp`]: the launch digest from that list, written from the SNP firmware
//!   ABI's PAGE_INFO definition (checked against the `igvm` crate's own
//!   measurement and, in `make test`, PyPI `sev-snp-measure`);
//! * [`report`]: `svsm.igvm.json`, what a verifier reads.
#![forbid(unsafe_code)]

pub mod elf;
pub mod image;
pub mod inspect;
pub mod load;
pub mod report;
pub mod snp;

/// Bytes of a page, the unit of every IGVM page directive here.
pub const PAGE_SIZE: u64 = 4096;

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An IGVM file read back and measured.
#[derive(Debug)]
pub struct Analysis {
    /// Every platform: name and compatibility mask.
    pub platforms: Vec<(String, u32)>,
    pub launch: inspect::SnpLaunch,
    /// Our digest ([`snp::launch_digest`] over `launch.pages`).
    pub digest: [u8; snp::DIGEST_SIZE],
    /// The `igvm` crate's measurement of the same file (which measures one
    /// VMSA per context in the file, where it stands).
    pub igvm_crate_digest: Result<[u8; snp::DIGEST_SIZE], String>,
}

/// Parses and checks `bytes` ([`inspect::parse`]) and measures its SEV-SNP
/// launch with `vcpus` vCPUs, by our code and by the `igvm` crate's.
pub fn analyse(bytes: &[u8], vcpus: u16) -> Result<Analysis, inspect::InspectError> {
    let file = inspect::parse(bytes)?;
    let launch = inspect::snp_launch(&file, vcpus)?;
    let igvm_crate_digest = igvm::measurement::generate_snp_measurement(
        file.initializations(),
        file.directives(),
        launch.compatibility_mask,
    )
    .map_err(|e| e.to_string());
    Ok(Analysis {
        platforms: inspect::platforms(&file),
        digest: snp::launch_digest(&launch.pages),
        launch,
        igvm_crate_digest,
    })
}

/// Checks that every page of `kernel` is in `file`, for every platform, with
/// the same bytes (page data shorter than a page is zero-filled, as the
/// loader does). Returns how many pages were compared per platform.
pub fn kernel_pages_match(
    file: &igvm::IgvmFile,
    kernel: &elf::KernelImage,
) -> Result<usize, String> {
    for (name, mask) in inspect::platforms(file) {
        let mut pages = std::collections::BTreeMap::new();
        for d in file.directives() {
            if let igvm::IgvmDirectiveHeader::PageData {
                gpa,
                compatibility_mask,
                data,
                ..
            } = d
                && compatibility_mask & mask != 0
            {
                pages.insert(*gpa, data.as_slice());
            }
        }
        for (gpa, expected) in &kernel.pages {
            let data = pages.get(gpa).ok_or(format!(
                "{name}: kernel page {gpa:#x} is not in the IGVM file"
            ))?;
            let same = data.len() <= expected.len()
                && expected[..data.len()] == **data
                && expected[data.len()..].iter().all(|b| *b == 0);
            if !same {
                return Err(format!(
                    "{name}: kernel page {gpa:#x} differs from the ELF's"
                ));
            }
        }
    }
    Ok(kernel.pages.len())
}
