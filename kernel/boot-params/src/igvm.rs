//! Launch from an IGVM image: where the image puts what (the one place the
//! image builder, `tools/igvm`, and the kernel agree on it) and the launch-info
//! page that tells the kernel it was launched that way.
//!
//! The boot vCPU enters the same 32-bit entry point as under PVH, with `%ebx`
//! holding a physical address. Under PVH it is `hvm_start_info`; under IGVM it
//! is [`LAUNCH_INFO_GPA`], a measured page of the image whose first word is
//! [`LAUNCH_INFO_MAGIC`] (never `hvm_start_info`'s magic), followed by the
//! addresses of the parameter areas the loader filled.

/// First word of the launch-info page: "SVIG" little endian.
pub const LAUNCH_INFO_MAGIC: u32 = u32::from_le_bytes(*b"SVIG");
/// Layout version of the launch-info page.
pub const LAUNCH_INFO_VERSION: u32 = 1;

/// Bytes of one parameter area (each is one page: measuring tools that count
/// an inserted area as one page then agree with the firmware).
pub const PARAMETER_AREA_SIZE: u64 = 4096;

/// Guest-physical layout of an IGVM launch, below the kernel image (which
/// sits at its link address, 1 MiB, as under PVH).
pub const MEMORY_MAP_GPA: u64 = 0x10000;
pub const VP_COUNT_GPA: u64 = 0x11000;
pub const COMMAND_LINE_GPA: u64 = 0x12000;
pub const LAUNCH_INFO_GPA: u64 = 0x13000;
/// SEV-SNP only: the CPUID page the firmware checks, and the secrets page.
pub const CPUID_PAGE_GPA: u64 = 0x14000;
pub const SECRETS_PAGE_GPA: u64 = 0x15000;
/// Memory the kernel takes its frames from that the image does not load:
/// declared as required memory, from the first 2 MiB boundary after the
/// kernel image on, this many bytes.
pub const REQUIRED_MEMORY_SIZE: u64 = 16 << 20;
/// Where QEMU/KVM place (and the firmware measures) the boot vCPU's VMSA.
pub const SNP_VMSA_GPA: u64 = 0xFFFF_FFFF_F000;

/// The launch-info page's contents: magic, version, then the physical
/// addresses of the memory map, vCPU count, command line, CPUID and secrets
/// pages (0 for the last two when the platform has none), little endian.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaunchInfo {
    pub memory_map: u64,
    pub vp_count: u64,
    pub command_line: u64,
    pub cpuid_page: u64,
    pub secrets_page: u64,
}

impl LaunchInfo {
    /// Bytes of the encoded record.
    pub const SIZE: usize = 8 + 5 * 8;

    /// The layout above, as the image builder writes it.
    pub const IMAGE: Self = Self {
        memory_map: MEMORY_MAP_GPA,
        vp_count: VP_COUNT_GPA,
        command_line: COMMAND_LINE_GPA,
        cpuid_page: CPUID_PAGE_GPA,
        secrets_page: SECRETS_PAGE_GPA,
    };

    pub fn encode(&self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        out[0..4].copy_from_slice(&LAUNCH_INFO_MAGIC.to_le_bytes());
        out[4..8].copy_from_slice(&LAUNCH_INFO_VERSION.to_le_bytes());
        let fields = [
            self.memory_map,
            self.vp_count,
            self.command_line,
            self.cpuid_page,
            self.secrets_page,
        ];
        for (slot, value) in out[8..].chunks_exact_mut(8).zip(fields) {
            slot.copy_from_slice(&value.to_le_bytes());
        }
        out
    }

    /// The record in `bytes`, or `None` if the magic or version is not ours.
    pub fn decode(bytes: &[u8; Self::SIZE]) -> Option<Self> {
        let word = |at: usize| {
            let mut b = [0; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(b)
        };
        let magic = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let version = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        (magic == LAUNCH_INFO_MAGIC && version == LAUNCH_INFO_VERSION).then(|| Self {
            memory_map: word(8),
            vp_count: word(16),
            command_line: word(24),
            cpuid_page: word(32),
            secrets_page: word(40),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launch_info_round_trips_and_refuses_other_magic() {
        let bytes = LaunchInfo::IMAGE.encode();
        assert_eq!(LaunchInfo::decode(&bytes), Some(LaunchInfo::IMAGE));
        let mut pvh = bytes;
        pvh[0..4].copy_from_slice(&crate::start_info::START_INFO_MAGIC.to_le_bytes());
        assert_eq!(LaunchInfo::decode(&pvh), None);
        let mut newer = bytes;
        newer[4] = 2;
        assert_eq!(LaunchInfo::decode(&newer), None);
    }

    #[test]
    fn image_layout_pages_are_distinct_and_below_the_kernel() {
        let pages = [
            MEMORY_MAP_GPA,
            VP_COUNT_GPA,
            COMMAND_LINE_GPA,
            LAUNCH_INFO_GPA,
            CPUID_PAGE_GPA,
            SECRETS_PAGE_GPA,
        ];
        for (i, a) in pages.iter().enumerate() {
            assert_eq!(a % 4096, 0);
            assert!(a + PARAMETER_AREA_SIZE <= 0x100000);
            for b in &pages[i + 1..] {
                assert!(a + 4096 <= *b || b + 4096 <= *a, "{a:#x} overlaps {b:#x}");
            }
        }
    }
}
