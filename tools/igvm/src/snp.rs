//! The SEV-SNP launch digest, from the SNP firmware ABI specification
//! (SNP_LAUNCH_UPDATE, the PAGE_INFO structure).
//!
//! The firmware starts from 48 zero bytes and, for every page it is handed,
//! replaces the digest with SHA-384 of a 0x70-byte PAGE_INFO record:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0x00 | 48 | current digest |
//! | 0x30 | 48 | contents: SHA-384 of the page for normal and VMSA pages, zero otherwise |
//! | 0x60 | 2 | length of the record, 0x70 |
//! | 0x62 | 1 | page type ([`PageType`]) |
//! | 0x63 | 1 | IMI page (0: not a migration-agent page) |
//! | 0x64 | 1 | VMPL3 permissions (0) |
//! | 0x65 | 1 | VMPL2 permissions (0) |
//! | 0x66 | 1 | VMPL1 permissions (0) |
//! | 0x67 | 1 | reserved (0) |
//! | 0x68 | 8 | guest-physical address |

use sha2::{Digest, Sha384};

use crate::PAGE_SIZE;

/// Bytes of a SHA-384 digest, the launch digest's size.
pub const DIGEST_SIZE: usize = 48;
/// Bytes of a PAGE_INFO record.
pub const PAGE_INFO_SIZE: usize = 0x70;

/// SNP_LAUNCH_UPDATE page types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PageType {
    Normal = 1,
    Vmsa = 2,
    Zero = 3,
    Unmeasured = 4,
    Secrets = 5,
    Cpuid = 6,
}

impl PageType {
    /// The name used in `svsm.igvm.json` and the Python cross-check.
    pub fn name(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Vmsa => "vmsa",
            Self::Zero => "zero",
            Self::Unmeasured => "unmeasured",
            Self::Secrets => "secrets",
            Self::Cpuid => "cpuid",
        }
    }
}

/// One page as the firmware measures it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeasuredPage {
    pub gpa: u64,
    pub kind: PageType,
    /// The 4 KiB whose hash enters the digest: present exactly for normal and
    /// VMSA pages.
    pub data: Option<Vec<u8>>,
}

impl MeasuredPage {
    /// A page whose contents are measured; `data` shorter than a page is
    /// zero-filled (the loader zero-fills it too).
    pub fn with_contents(gpa: u64, kind: PageType, data: &[u8]) -> Self {
        let mut page = vec![0; PAGE_SIZE as usize];
        page[..data.len()].copy_from_slice(data);
        Self {
            gpa,
            kind,
            data: Some(page),
        }
    }

    /// A page measured by type and address only.
    pub fn without_contents(gpa: u64, kind: PageType) -> Self {
        Self {
            gpa,
            kind,
            data: None,
        }
    }

    /// The PAGE_INFO contents field.
    pub fn contents(&self) -> [u8; DIGEST_SIZE] {
        self.data
            .as_ref()
            .map_or([0; DIGEST_SIZE], |d| Sha384::digest(d).into())
    }
}

/// The PAGE_INFO record that extends `digest` with `page`.
pub fn page_info(digest: &[u8; DIGEST_SIZE], page: &MeasuredPage) -> [u8; PAGE_INFO_SIZE] {
    let mut info = [0u8; PAGE_INFO_SIZE];
    info[0x00..0x30].copy_from_slice(digest);
    info[0x30..0x60].copy_from_slice(&page.contents());
    info[0x60..0x62].copy_from_slice(&(PAGE_INFO_SIZE as u16).to_le_bytes());
    info[0x62] = page.kind as u8;
    // 0x63..0x68: IMI page, VMPL3/2/1 permissions, reserved: all zero.
    info[0x68..0x70].copy_from_slice(&page.gpa.to_le_bytes());
    info
}

/// The launch digest after measuring `pages` in order.
pub fn launch_digest(pages: &[MeasuredPage]) -> [u8; DIGEST_SIZE] {
    pages.iter().fold([0; DIGEST_SIZE], |digest, page| {
        Sha384::digest(page_info(&digest, page)).into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_info_fields_sit_where_the_spec_puts_them() {
        let digest = [0xaa; DIGEST_SIZE];
        let page = MeasuredPage::with_contents(0x1234_5000, PageType::Normal, b"svsm");
        let info = page_info(&digest, &page);
        assert_eq!(&info[..0x30], &digest);
        let mut padded = vec![0; 4096];
        padded[..4].copy_from_slice(b"svsm");
        let expected: [u8; DIGEST_SIZE] = Sha384::digest(&padded).into();
        assert_eq!(&info[0x30..0x60], &expected);
        assert_eq!(&info[0x60..0x62], &[0x70, 0]);
        assert_eq!(info[0x62], 1);
        assert_eq!(&info[0x63..0x68], &[0; 5]);
        assert_eq!(&info[0x68..], &0x1234_5000u64.to_le_bytes());
    }

    #[test]
    fn unmeasured_types_contribute_zero_contents_but_their_type_and_address() {
        let a = MeasuredPage::without_contents(0x1000, PageType::Secrets);
        assert_eq!(a.contents(), [0; DIGEST_SIZE]);
        let b = MeasuredPage::without_contents(0x1000, PageType::Cpuid);
        let c = MeasuredPage::without_contents(0x2000, PageType::Secrets);
        let d = launch_digest(std::slice::from_ref(&a));
        assert_ne!(d, launch_digest(&[b]));
        assert_ne!(d, launch_digest(&[c]));
        assert_ne!(d, [0; DIGEST_SIZE]);
    }

    #[test]
    fn the_chain_depends_on_order() {
        let a = MeasuredPage::with_contents(0x1000, PageType::Normal, &[1]);
        let b = MeasuredPage::with_contents(0x2000, PageType::Normal, &[2]);
        assert_ne!(
            launch_digest(&[a.clone(), b.clone()]),
            launch_digest(&[b, a])
        );
        assert_eq!(launch_digest(&[]), [0; DIGEST_SIZE]);
    }
}
