//! Reading any IGVM file: checked before anything is measured, and turned
//! into the list of pages the SEV-SNP firmware measures.
//!
//! The `igvm` crate parses and validates the headers; on top of that the
//! file is refused, with an error naming what is wrong, when it is shorter
//! than its header says, does not start with the IGVM magic, loads the same
//! page twice for one platform, or deposits a parameter beyond the end of its
//! parameter area; its variable headers' bounds are checked before the
//! crate sees them (it adds them unchecked: a panic, found by fuzzing).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use igvm::{IgvmDirectiveHeader, IgvmFile, IgvmInitializationHeader, IgvmPlatformHeader};
use igvm_defs::{
    IGVM_FIXED_HEADER, IGVM_MAGIC_VALUE, IgvmPageDataFlags, IgvmPageDataType, IgvmPlatformType,
};
use zerocopy::{FromBytes, IntoBytes};

use crate::PAGE_SIZE;
use crate::snp::{MeasuredPage, PageType};

#[derive(Debug)]
pub enum InspectError {
    /// Fewer bytes than the fixed header, or than its total file size.
    Truncated {
        len: usize,
        needed: usize,
    },
    WrongMagic(u32),
    /// The variable headers end beyond the file (the `igvm` crate adds
    /// their offset and size as 32-bit numbers, unchecked).
    HeadersBeyondFile {
        offset: u32,
        size: u32,
        total: usize,
    },
    /// A header's file data lies before the file data section (the `igvm`
    /// crate subtracts the section's start from it, unchecked).
    DataBeforeFileData {
        header_type: u32,
        file_offset: u32,
        data_start: u32,
    },
    /// The `igvm` crate refused the headers.
    Invalid(String),
    /// Two directives of one platform load the same page.
    OverlappingPages {
        platform: String,
        gpa: u64,
    },
    /// A parameter is deposited at or beyond the end of its area.
    ParameterBeyondArea {
        what: &'static str,
        area: u32,
        offset: u32,
        size: u64,
    },
    /// An area whose pages would wrap the address space.
    AreaWraps {
        area: u32,
        gpa: u64,
    },
    /// An area larger than [`MAX_PARAMETER_AREA`].
    AreaTooLarge {
        area: u32,
        size: u64,
    },
    /// The areas one platform inserts add up to more than
    /// [`MAX_PARAMETER_AREA`] (`total`: the sum up to the insert refused).
    AreasTooLarge {
        platform: String,
        total: u64,
    },
    /// Page data larger than one 4 KiB page (2 MiB pages are not measured here).
    PageTooLarge {
        gpa: u64,
        len: usize,
    },
    NoSnpPlatform,
    NoGuestPolicy,
    NoVmsa,
}

impl fmt::Display for InspectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { len, needed } => {
                write!(f, "truncated: {len} bytes, the header needs {needed}")
            }
            Self::WrongMagic(m) => {
                write!(
                    f,
                    "wrong magic {m:#010x}, an IGVM file starts with 'IGVM' ({IGVM_MAGIC_VALUE:#010x})"
                )
            }
            Self::HeadersBeyondFile {
                offset,
                size,
                total,
            } => write!(
                f,
                "variable headers at {offset:#x} of {size:#x} bytes end beyond the file's {total:#x} bytes"
            ),
            Self::DataBeforeFileData {
                header_type,
                file_offset,
                data_start,
            } => write!(
                f,
                "header type {header_type:#x} points at file offset {file_offset:#x}, before the file data at {data_start:#x}"
            ),
            Self::Invalid(e) => write!(f, "invalid IGVM file: {e}"),
            Self::OverlappingPages { platform, gpa } => {
                write!(f, "overlapping pages: {platform} loads GPA {gpa:#x} twice")
            }
            Self::ParameterBeyondArea {
                what,
                area,
                offset,
                size,
            } => write!(
                f,
                "parameter beyond its area: {what} at byte offset {offset:#x} of parameter area {area}, which has {size:#x} bytes"
            ),
            Self::AreaTooLarge { area, size } => write!(
                f,
                "parameter area {area} declares {size:#x} bytes, more than {MAX_PARAMETER_AREA:#x}"
            ),
            Self::AreasTooLarge { platform, total } => write!(
                f,
                "{platform} inserts parameter areas of {total:#x} bytes in all, more than {MAX_PARAMETER_AREA:#x}"
            ),
            Self::AreaWraps { area, gpa } => {
                write!(
                    f,
                    "parameter area {area} inserted at {gpa:#x} wraps the address space"
                )
            }
            Self::PageTooLarge { gpa, len } => {
                write!(
                    f,
                    "page data at {gpa:#x} has {len} bytes, more than one 4 KiB page"
                )
            }
            Self::NoSnpPlatform => write!(f, "the file has no SEV-SNP platform"),
            Self::NoGuestPolicy => write!(f, "the file has no SEV-SNP guest policy"),
            Self::NoVmsa => write!(f, "the file has no SEV-SNP VMSA for the boot vCPU"),
        }
    }
}

impl std::error::Error for InspectError {}

/// Parses `bytes` and checks every platform's directives.
pub fn parse(bytes: &[u8]) -> Result<IgvmFile, InspectError> {
    let header_size = size_of::<IGVM_FIXED_HEADER>();
    let (header, _) =
        IGVM_FIXED_HEADER::read_from_prefix(bytes).map_err(|_| InspectError::Truncated {
            len: bytes.len(),
            needed: header_size,
        })?;
    if header.magic != IGVM_MAGIC_VALUE {
        return Err(InspectError::WrongMagic(header.magic));
    }
    let total = header.total_file_size as usize;
    if bytes.len() < total {
        return Err(InspectError::Truncated {
            len: bytes.len(),
            needed: total,
        });
    }
    let (offset, size) = (header.variable_header_offset, header.variable_header_size);
    if u64::from(offset) + u64::from(size) > total as u64 {
        return Err(InspectError::HeadersBeyondFile {
            offset,
            size,
            total,
        });
    }
    file_offsets_in_data(&bytes[offset as usize..][..size as usize], offset + size)?;
    let file = IgvmFile::new_from_binary(bytes, None).map_err(|e| {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            text.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        InspectError::Invalid(text)
    })?;
    for (name, mask) in platforms(&file) {
        loaded_pages(&file, &name, mask)?;
    }
    Ok(file)
}

/// Checks that every variable header in `headers` which points into the
/// file data (page data, parameter area, VP context, CoRIM document and
/// signature) points at or after `data_start`: the `igvm` crate subtracts
/// `data_start` from those offsets unchecked (a VP context's even when it is
/// zero). Headers are walked as the crate walks them, each 8-byte aligned; a
/// malformed walk stops here and is the crate's to refuse.
fn file_offsets_in_data(mut headers: &[u8], data_start: u32) -> Result<(), InspectError> {
    use igvm_defs::{
        IGVM_VHS_CORIM_DATA, IGVM_VHS_PAGE_DATA, IGVM_VHS_PARAMETER_AREA, IGVM_VHS_VARIABLE_HEADER,
        IGVM_VHS_VP_CONTEXT, IgvmVariableHeaderType as T,
    };
    while let Ok((header, rest)) = IGVM_VHS_VARIABLE_HEADER::read_from_prefix(headers) {
        let Some(body) = rest.get(..header.length as usize) else {
            break;
        };
        // (file offset, whether zero means "no data")
        let pointer = match header.typ {
            T::IGVM_VHT_PAGE_DATA => IGVM_VHS_PAGE_DATA::read_from_prefix(body)
                .ok()
                .map(|(h, _)| (h.file_offset, true)),
            T::IGVM_VHT_PARAMETER_AREA => IGVM_VHS_PARAMETER_AREA::read_from_prefix(body)
                .ok()
                .map(|(h, _)| (h.file_offset, true)),
            T::IGVM_VHT_VP_CONTEXT => IGVM_VHS_VP_CONTEXT::read_from_prefix(body)
                .ok()
                .map(|(h, _)| (h.file_offset, false)),
            T::IGVM_VHT_CORIM_DOCUMENT | T::IGVM_VHT_CORIM_SIGNATURE => {
                IGVM_VHS_CORIM_DATA::read_from_prefix(body)
                    .ok()
                    .map(|(h, _)| (h.file_offset, true))
            }
            _ => None,
        };
        if let Some((file_offset, zero_is_none)) = pointer
            && file_offset < data_start
            && !(zero_is_none && file_offset == 0)
        {
            return Err(InspectError::DataBeforeFileData {
                header_type: header.typ.0,
                file_offset,
                data_start,
            });
        }
        headers = rest
            .get((header.length as usize).next_multiple_of(8)..)
            .unwrap_or(&[]);
    }
    Ok(())
}

/// Every platform of the file: its name and compatibility mask.
pub fn platforms(file: &IgvmFile) -> Vec<(String, u32)> {
    file.platforms()
        .iter()
        .map(|IgvmPlatformHeader::SupportedPlatform(p)| {
            (platform_name(p.platform_type), p.compatibility_mask)
        })
        .collect()
}

/// The compatibility mask of the file's `platform`, if it has one.
pub fn platform_mask(file: &IgvmFile, platform: IgvmPlatformType) -> Option<u32> {
    file.platforms()
        .iter()
        .find_map(|IgvmPlatformHeader::SupportedPlatform(p)| {
            (p.platform_type == platform).then_some(p.compatibility_mask)
        })
}

pub fn platform_name(platform: IgvmPlatformType) -> String {
    match platform {
        IgvmPlatformType::NATIVE => "NATIVE".into(),
        IgvmPlatformType::SEV_SNP => "SEV_SNP".into(),
        IgvmPlatformType::TDX => "TDX".into(),
        IgvmPlatformType::VSM_ISOLATION => "VSM_ISOLATION".into(),
        other => format!("{other:?}"),
    }
}

/// Whether a directive applies to the platform with `mask` (directives
/// without a mask apply to all).
fn applies(d: &IgvmDirectiveHeader, mask: u32) -> bool {
    d.compatibility_mask().is_none_or(|m| m & mask != 0)
}

/// Largest parameter area accepted, and largest sum of the areas one
/// platform inserts (a loader fills them from nothing in the file, so a
/// hostile size would only cost memory and time: each inserted page is a
/// record here, found by fuzzing to make a 11 KiB file cost 38 MB when
/// only each area was bounded).
pub const MAX_PARAMETER_AREA: u64 = 16 << 20;

/// Sizes of the parameter areas declared so far, by index.
type Areas = HashMap<u32, u64>;

/// A page one platform's directives load, in file order.
enum Loaded<'a> {
    Data {
        gpa: u64,
        flags: IgvmPageDataFlags,
        data_type: IgvmPageDataType,
        data: &'a [u8],
    },
    /// A page of an inserted parameter area.
    Parameter { gpa: u64 },
    Vmsa {
        gpa: u64,
        vp_index: u16,
        bytes: &'a [u8],
    },
}

/// Walks the directives of the platform `name` (compatibility `mask`),
/// checking them: no page loaded twice (VMSAs, one per vCPU at one GPA,
/// aside), page data at most a page, every parameter inside its area.
fn loaded_pages<'a>(
    file: &'a IgvmFile,
    name: &str,
    mask: u32,
) -> Result<Vec<Loaded<'a>>, InspectError> {
    let mut areas = Areas::new();
    let mut seen = BTreeMap::new();
    let mut out = Vec::new();
    let mut load = |gpa: u64, page: Loaded<'a>| match seen.insert(gpa, ()) {
        Some(()) => Err(InspectError::OverlappingPages {
            platform: name.into(),
            gpa,
        }),
        None => {
            out.push(page);
            Ok(())
        }
    };
    let mut vmsas = Vec::new();
    let mut inserted = 0u64;
    for d in file.directives().iter().filter(|d| applies(d, mask)) {
        match d {
            IgvmDirectiveHeader::ParameterArea {
                number_of_bytes,
                parameter_area_index,
                ..
            } => {
                if *number_of_bytes > MAX_PARAMETER_AREA {
                    return Err(InspectError::AreaTooLarge {
                        area: *parameter_area_index,
                        size: *number_of_bytes,
                    });
                }
                areas.insert(*parameter_area_index, *number_of_bytes);
            }
            IgvmDirectiveHeader::PageData {
                gpa,
                flags,
                data_type,
                data,
                ..
            } => {
                if data.len() > PAGE_SIZE as usize {
                    return Err(InspectError::PageTooLarge {
                        gpa: *gpa,
                        len: data.len(),
                    });
                }
                let page = Loaded::Data {
                    gpa: *gpa,
                    flags: *flags,
                    data_type: *data_type,
                    data,
                };
                load(*gpa, page)?;
            }
            IgvmDirectiveHeader::ParameterInsert(insert) => {
                // Each area is at most MAX_PARAMETER_AREA: no overflow.
                inserted += areas
                    .get(&insert.parameter_area_index)
                    .copied()
                    .unwrap_or(0);
                if inserted > MAX_PARAMETER_AREA {
                    return Err(InspectError::AreasTooLarge {
                        platform: name.into(),
                        total: inserted,
                    });
                }
                for gpa in insert_pages(&areas, insert.parameter_area_index, insert.gpa)? {
                    load(gpa, Loaded::Parameter { gpa })?;
                }
            }
            IgvmDirectiveHeader::SnpVpContext {
                gpa,
                vp_index,
                vmsa,
                ..
            } => vmsas.push(Loaded::Vmsa {
                gpa: *gpa,
                vp_index: *vp_index,
                bytes: vmsa.as_bytes(),
            }),
            other => {
                if let Some((what, usage)) = parameter_usage(other) {
                    let size = areas.get(&usage.parameter_area_index).copied().unwrap_or(0);
                    if u64::from(usage.byte_offset) >= size {
                        return Err(InspectError::ParameterBeyondArea {
                            what,
                            area: usage.parameter_area_index,
                            offset: usage.byte_offset,
                            size,
                        });
                    }
                }
            }
        }
    }
    out.extend(vmsas);
    Ok(out)
}

/// The pages of parameter area `area` inserted at `gpa`.
fn insert_pages(
    areas: &Areas,
    area: u32,
    gpa: u64,
) -> Result<impl Iterator<Item = u64>, InspectError> {
    // The igvm crate has already refused an insert of an undeclared area.
    let size = areas.get(&area).copied().unwrap_or(0);
    let end = gpa
        .checked_add(size)
        .ok_or(InspectError::AreaWraps { area, gpa })?;
    Ok((gpa..end).step_by(PAGE_SIZE as usize))
}

/// A directive that deposits a loader parameter: its name and where.
fn parameter_usage(
    d: &IgvmDirectiveHeader,
) -> Option<(&'static str, &igvm_defs::IGVM_VHS_PARAMETER)> {
    Some(match d {
        IgvmDirectiveHeader::VpCount(p) => ("vCPU count", p),
        IgvmDirectiveHeader::EnvironmentInfo(p) => ("environment info", p),
        IgvmDirectiveHeader::Srat(p) => ("SRAT", p),
        IgvmDirectiveHeader::Madt(p) => ("MADT", p),
        IgvmDirectiveHeader::Slit(p) => ("SLIT", p),
        IgvmDirectiveHeader::Pptt(p) => ("PPTT", p),
        IgvmDirectiveHeader::MmioRanges(p) => ("MMIO ranges", p),
        IgvmDirectiveHeader::MemoryMap(p) => ("memory map", p),
        IgvmDirectiveHeader::CommandLine(p) => ("command line", p),
        IgvmDirectiveHeader::DeviceTree(p) => ("device tree", p),
        _ => return None,
    })
}

// A VMSA is measured as one page.
const _: () = assert!(size_of::<igvm::snp_defs::SevVmsa>() <= PAGE_SIZE as usize);

/// What the SEV-SNP firmware is handed for a launch of `file` with `vcpus`
/// vCPUs, in order.
#[derive(Debug)]
pub struct SnpLaunch {
    pub compatibility_mask: u32,
    pub policy: u64,
    pub pages: Vec<MeasuredPage>,
}

/// The SEV-SNP launch of `file`: its page directives in file order (shared
/// pages are not measured, parameter inserts are unmeasured pages, secrets
/// and CPUID pages by type), then one VMSA per vCPU. A vCPU without its own
/// context in the file is measured with the boot vCPU's VMSA.
pub fn snp_launch(file: &IgvmFile, vcpus: u16) -> Result<SnpLaunch, InspectError> {
    let mask = platform_mask(file, IgvmPlatformType::SEV_SNP).ok_or(InspectError::NoSnpPlatform)?;
    let policy = file
        .initializations()
        .iter()
        .find_map(|h| match h {
            IgvmInitializationHeader::GuestPolicy {
                policy,
                compatibility_mask,
            } if compatibility_mask & mask != 0 => Some(*policy),
            _ => None,
        })
        .ok_or(InspectError::NoGuestPolicy)?;

    let mut pages = Vec::new();
    let mut vmsas = BTreeMap::new();
    for page in loaded_pages(file, "SEV_SNP", mask)? {
        match page {
            Loaded::Data {
                gpa,
                flags,
                data_type,
                data,
            } => {
                if flags.shared() {
                    continue;
                }
                pages.push(match data_type {
                    IgvmPageDataType::SECRETS => {
                        MeasuredPage::without_contents(gpa, PageType::Secrets)
                    }
                    IgvmPageDataType::CPUID_DATA | IgvmPageDataType::CPUID_XF => {
                        MeasuredPage::without_contents(gpa, PageType::Cpuid)
                    }
                    _ if flags.unmeasured() => {
                        MeasuredPage::without_contents(gpa, PageType::Unmeasured)
                    }
                    _ => MeasuredPage::with_contents(gpa, PageType::Normal, data),
                });
            }
            Loaded::Parameter { gpa } => {
                pages.push(MeasuredPage::without_contents(gpa, PageType::Unmeasured));
            }
            Loaded::Vmsa {
                gpa,
                vp_index,
                bytes,
            } => {
                vmsas.insert(vp_index, (gpa, bytes));
            }
        }
    }
    let boot = *vmsas.get(&0).ok_or(InspectError::NoVmsa)?;
    for vp in 0..vcpus {
        let (gpa, bytes) = vmsas.get(&vp).copied().unwrap_or(boot);
        pages.push(MeasuredPage::with_contents(gpa, PageType::Vmsa, bytes));
    }
    Ok(SnpLaunch {
        compatibility_mask: mask,
        policy,
        pages,
    })
}
