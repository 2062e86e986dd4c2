"""Section 2, Cryptographic module specification: boundary, files, build
environment, approved algorithms, ACVP results, non-approved services."""

from __future__ import annotations

import sys

from ..common import PolicyError, Write, code, option_items, table
from ..csource import fill
from ..hand import (HAND_EMBODIMENT, HAND_MODULE_TYPE, HAND_NON_APPROVED, HAND_SERVICE_NAMES,
                    HAND_TESTED_ENVIRONMENTS)
from ..loader import Inputs


def render(inp: Inputs, w: Write) -> None:
    m, f = inp.manifest, inp.facts
    mod, obj = m["module"], m["object"]
    w("### 2.1 Module and cryptographic boundary")
    w("")
    w(table(["Property", "Value"], [
        ["Module name and version", f"{mod['name']} {mod['version']}"],
        ["Module type", HAND_MODULE_TYPE],
        ["Embodiment", HAND_EMBODIMENT],
        ["Cryptographic boundary", f"the relocatable ELF object `{obj['path']}`, one section `{obj['section']}`"],
        ["Object SHA-256", code(obj["object_sha256"])],
        ["Object size", f"{obj['size']:,} bytes"],
        ["Code and read-only data", f"{obj['text_rodata_bytes']:,} bytes (integrity-protected, section 5)"],
        ["Writable data and bss", f"{obj['data_bss_bytes']:,} bytes"],
        ["Boundary markers", ", ".join(code(x) for x in inp.boundary["module"]["markers"])],
        ["wolfCrypt", f"{m['wolfcrypt']['version']}, from crates.io package {m['wolfcrypt']['package']} "
                      f"{m['wolfcrypt']['package_version']} (SHA-256 `{m['wolfcrypt']['package_sha256']}`), "
                      f"{m['wolfcrypt']['pinned_files']} pinned files"],
        ["wolfCrypt licence", m["wolfcrypt"]["license"]],
        ["Object on disk next to the manifest",
         {"match": "present, hashes to the value above", None: "not present (only the manifest was read)"}
         [inp.object_on_disk]],
    ]))
    w("")
    w("Everything the object contains is compiled from the files below and nothing else; the "
      "builder refuses any file not listed in the boundary list or not matching its pinned hash. "
      "\"Compiled\" files are translation units; the others are headers they include.")
    w("")
    w("### 2.2 Files inside the boundary")
    w("")
    rows = [[code(s["path"]), "compiled" if s["compiled"] else "included", code(s["sha256"])]
            for s in m["sources"]]
    w(table(["File", "Role", "SHA-256"], rows))
    w("")
    w("### 2.3 Build and operational environment")
    w("")
    w(table(["Operating environment", "Processor", "Status"], [list(r) for r in HAND_TESTED_ENVIRONMENTS]))
    w("")
    c = m["compiler"]
    w(f"Compiler: {c['version']} (`{c['cc']}`); linker: {c['linker']}. Compiler flags "
      "(`<cc-builtin-include>` is the compiler's own header directory) common to every "
      "translation unit, then what each kind of unit adds:")
    w("")
    kinds = [(u["kind"], option_items(u["flags"])) for u in c["flags"]]
    common = [x for x in dict.fromkeys(kinds[0][1]) if all(x in k for _, k in kinds)]
    w(f"- common: `{' '.join(common)}`")
    for kind, items in kinds:
        extra = [x for x in items if x not in common]
        w(f"- **{kind}**: " + (f"adds `{' '.join(extra)}`" if extra else "nothing more"))
    w("")
    w("### 2.4 Approved algorithms")
    w("")
    w("The CAVP column is filled in when certificates are issued.")
    w("")
    w(table(["Algorithm", "Standard", "Modes, sizes and limits", "Self-tests", "CAVP certificate"],
            [[a["name"], a["standard"], a["details"], ", ".join(code(t) for t in a["self_tests"]),
              "pending"] for a in m["approved_algorithms"]]))
    w("")
    w("### 2.5 ACVP self-check results")
    w("")
    render_acvp(inp, w)
    w("")
    w("### 2.6 Non-approved services")
    w("")
    w("No non-approved algorithm is allowed in the approved mode. The services below can run "
      "non-approved; each says so in its status (`SVSM_CRYPTO_OK_NON_APPROVED`, section 4), so the "
      "caller always knows which kind of service it got. Which services these are, and whether "
      "always or only under a condition, is read from the sources.")
    w("")
    found = {}
    for sv in inp.services:
        if "SVSM_CRYPTO_OK_NON_APPROVED" in sv.indicators:
            found[sv.fn.name] = "always" if sv.indicators == ["SVSM_CRYPTO_OK_NON_APPROVED"] else "conditionally"
    stated = {name: kind for name, (kind, _) in HAND_NON_APPROVED.items()}
    if found != stated:
        raise PolicyError(
            "HAND_NON_APPROVED disagrees with the sources, which say these services can return "
            "SVSM_CRYPTO_OK_NON_APPROVED: " + ", ".join(f"{k} ({v})" for k, v in sorted(found.items())))
    rows = [[code(sv.fn.name), HAND_SERVICE_NAMES[sv.fn.name], found[sv.fn.name],
             fill(HAND_NON_APPROVED[sv.fn.name][1], f)]
            for sv in inp.services if sv.fn.name in found]
    w(table(["Function", "Service", "Non-approved", "When"], rows))
    w("")


def render_acvp(inp: Inputs, w: Write) -> None:
    """Section 2.5, from the summary `svsm-acvp check --write-summary` wrote."""
    a, expected = inp.acvp, inp.manifest["object"]["object_sha256"]
    if a is None:
        w("No ACVP self-check summary was given to the generator. `make cert` runs the harness "
          "(`svsm-acvp check --write-summary`, tools/acvp) against this object and passes its "
          "summary (`--acvp`).")
        return
    ran = a.get("object_sha256", "unknown")
    if ran == expected:
        verdict = f"**The results are for this object** (object SHA-256 `{ran}` matches)."
    else:
        verdict = (f"**WARNING: the results are for a different object** (`{ran}`, not `{expected}`): "
                   "rerun the harness against this build before relying on them.")
        print(f"warning: {inp.name(inp.acvp_path)} was produced for object {ran}, not {expected}",
              file=sys.stderr)
    w(f"From `{inp.name(inp.acvp_path)}` (date {a.get('date', '?')}, module {a.get('module', '?')}, "
      f"vectors `{a.get('vectors', '?')}`, result **{a.get('result', '?')}**). {verdict} These are "
      "the vendor's own runs of ACVP vector sets, not CAVP validation.")
    w("")
    rows = [[s.get("set", "?"), s.get("tests", "?"), s.get("passed", "?"), s.get("failed", "?"),
             s.get("not_claimed", "?")] for s in a["sets"]]
    t = a.get("totals", {})
    counts = [x.get("tests") for x in a["sets"]]
    total_tests = sum(counts) if all(isinstance(n, int) for n in counts) else "?"
    rows.append(["**total**", total_tests, t.get("passed", "?"), t.get("failed", "?"), t.get("not_claimed", "?")])
    w(table(["Vector set", "Tests", "Passed", "Failed", "Not claimed"], rows, "lrrrr"))
    if a.get("sources"):
        w("")
        w(f"Vector sets run: {a['sources']}.")
    deviations = a.get("known_deviations") or []
    if deviations:
        w("")
        w("Known deviations of the module (answered against the vector's expected verdict; "
          "counted neither passed nor failed, and listed on every run until fixed):")
        w("")
        for d in deviations:
            w(f"- {d}")
