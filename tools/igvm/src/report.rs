//! `svsm.igvm.json`: what a verifier needs to check a launch of the image.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::hex;
use crate::inspect::SnpLaunch;
use crate::snp::{self, DIGEST_SIZE};

/// The report for the IGVM file `bytes` whose SEV-SNP launch with `vcpus`
/// vCPUs is `launch`, with digest `digest`.
pub fn report(
    bytes: &[u8],
    platforms: &[(String, u32)],
    launch: &SnpLaunch,
    vcpus: u16,
    digest: &[u8; DIGEST_SIZE],
) -> Value {
    let pages: Vec<Value> = launch
        .pages
        .iter()
        .map(|p| {
            let mut entry = json!({
                "gpa": format!("{:#x}", p.gpa),
                "type": p.kind.name(),
                "measured": p.data.is_some(),
            });
            if p.data.is_some() {
                entry["sha384"] = json!(hex(&p.contents()));
            }
            entry
        })
        .collect();
    json!({
        "file_sha256": hex(&Sha256::digest(bytes)),
        "file_size": bytes.len(),
        "platforms": platforms
            .iter()
            .map(|(name, mask)| json!({"platform": name, "compatibility_mask": mask}))
            .collect::<Vec<_>>(),
        "sev_snp": {
            "launch_digest": hex(digest),
            "algorithm": "SHA-384 chain of PAGE_INFO records (SEV-SNP firmware ABI, SNP_LAUNCH_UPDATE)",
            "guest_policy": format!("{:#x}", launch.policy),
            "vcpus": vcpus,
            "vmsa_gpa": launch.pages.iter().find(|p| p.kind == snp::PageType::Vmsa).map(|p| format!("{:#x}", p.gpa)),
            "page_count": pages.len(),
            "pages": pages,
        },
    })
}

/// The pages' measured contents, concatenated in list order: what the
/// `sev-snp-measure` cross-check hands to `GCTX.update_normal_pages` and
/// `GCTX.update_vmsa_page`.
pub fn page_contents(launch: &SnpLaunch) -> Vec<u8> {
    launch
        .pages
        .iter()
        .filter_map(|p| p.data.as_deref())
        .flatten()
        .copied()
        .collect()
}
