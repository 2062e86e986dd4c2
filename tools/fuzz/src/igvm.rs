//! Target: the IGVM file reader of `svsm-igvm`, what `svsm-igvm measure`
//! runs on any file ([`svsm_igvm::analyse`]: the `igvm` crate's parser,
//! our checks of every platform's directives, the SEV-SNP launch pages, our
//! digest and the `igvm` crate's).
//!
//! The first byte picks the vCPU count (1 to 4, `--vcpus`); the rest is the
//! file. Properties checked beyond "no panic":
//! * no allocation out of proportion to the file: the heap the reader holds
//!   at once stays within [`allowance`] of the input's length, whatever its
//!   headers' sizes and counts claim;
//! * a file it accepts re-measures deterministically: a second analysis
//!   gives the same pages and digests, and the digest is the one of the
//!   pages.

use svsm_igvm::{analyse, snp};

use crate::alloc_meter::peak_during;
use crate::input::Input;

/// Most heap bytes the reader may hold at once for a `len`-byte file and
/// `vcpus` vCPUs: each page directive's data padded to a page (a directive
/// takes at least 16 bytes of the file, hence 4096 / 16 per byte, twice for
/// the copy the `igvm` crate keeps), a VMSA page per vCPU, and one parameter
/// area's worth of page records ([`MAX_PARAMETER_AREA`] / 4096 pages) with
/// room to spare. More means the file's counts steer the allocation.
///
/// [`MAX_PARAMETER_AREA`]: svsm_igvm::inspect::MAX_PARAMETER_AREA
pub fn allowance(len: usize, vcpus: u16) -> usize {
    len * 2 * (4096 / 16) + usize::from(vcpus) * 8192 + (4 << 20)
}

/// Runs one input.
pub fn one_input(data: &[u8]) {
    let mut input = Input::new(data);
    let vcpus = 1 + u16::from(input.u8() % 4);
    let file = input.take(usize::MAX);
    let (first, peak) = peak_during(|| analyse(file, vcpus));
    let limit = allowance(file.len(), vcpus);
    assert!(
        peak <= limit,
        "{peak} heap bytes for a {}-byte file (allowance {limit})",
        file.len()
    );
    let Ok(first) = first else {
        return;
    };
    let again = analyse(file, vcpus).expect("a file accepted once is accepted again");
    assert_eq!(first.launch.pages, again.launch.pages, "pages differ");
    assert_eq!(first.launch.policy, again.launch.policy);
    assert_eq!(first.digest, again.digest, "digest differs");
    assert_eq!(first.digest, snp::launch_digest(&first.launch.pages));
    assert_eq!(
        first.igvm_crate_digest.as_ref().ok(),
        again.igvm_crate_digest.as_ref().ok(),
        "the igvm crate's digest differs"
    );
}
