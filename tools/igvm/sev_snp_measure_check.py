#!/usr/bin/env python3
"""Recompute an IGVM image's SEV-SNP launch digest with PyPI sev-snp-measure.

Usage: sev_snp_measure_check.py REPORT.json PAGES.bin

REPORT.json is what `svsm-igvm measure --json` (or `build --json`) wrote; its
sev_snp.pages list is fed, in order, to sevsnpmeasure.gctx.GCTX, the
package's page-by-page model of the firmware (an implementation independent
of ours and of the igvm crate's). PAGES.bin holds the 4 KiB contents of the
measured pages (normal and VMSA) in list order (`--pages`). Exit 0 when the
digest equals the report's launch_digest, 1 otherwise.
"""

import json
import sys

from sevsnpmeasure.gctx import GCTX

PAGE = 4096


def digest(pages, contents):
    gctx = GCTX()
    offset = 0
    for page in pages:
        gpa = int(page["gpa"], 16)
        kind = page["type"]
        if page["measured"]:
            data = contents[offset:offset + PAGE]
            if len(data) != PAGE:
                raise ValueError(f"page contents end before page {page['gpa']}")
            offset += PAGE
        if kind == "normal":
            gctx.update_normal_pages(gpa, data)
        elif kind == "vmsa":
            if gpa != GCTX.VMSA_GPA:
                raise ValueError(f"VMSA at {gpa:#x}; sev-snp-measure measures it at {GCTX.VMSA_GPA:#x}")
            gctx.update_vmsa_page(data)
        elif kind == "zero":
            gctx.update_zero_pages(gpa, PAGE)
        elif kind == "unmeasured":
            gctx.update_unmeasured_pages(gpa, PAGE)
        elif kind == "secrets":
            gctx.update_secrets_page(gpa)
        elif kind == "cpuid":
            gctx.update_cpuid_page(gpa)
        else:
            raise ValueError(f"unknown page type {kind!r} at {page['gpa']}")
    if offset != len(contents):
        raise ValueError(f"{len(contents) - offset} bytes of page contents left over")
    return gctx.hex_ld()


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        snp = json.load(f)["sev_snp"]
    with open(argv[2], "rb") as f:
        contents = f.read()
    ours = snp["launch_digest"]
    theirs = digest(snp["pages"], contents)
    print(f"sev-snp-measure: {theirs} over {len(snp['pages'])} pages, {snp['vcpus']} vCPU(s)")
    if theirs != ours:
        print(f"sev-snp-measure DISAGREES with svsm-igvm: {ours}", file=sys.stderr)
        return 1
    print("sev-snp-measure: equal to svsm-igvm's launch digest")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
