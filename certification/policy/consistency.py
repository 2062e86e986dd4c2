"""Cross-checks: the inputs must agree with each other, and everything the
HAND-STATED module names must still exist."""

from __future__ import annotations

import fnmatch
import re

from .common import PolicyError
from .csource import Sources, defines
from .hand import (HAND_INTERNAL_SSP_USES, HAND_MITIGATIONS, HAND_SERVICE_NAMES,
                   HAND_SSP_PARAMETERS, HAND_WOLFCRYPT_RNG_DRAWERS)
from .manifest import Api


def cross_check(m: dict, api: Api, boundary: dict, src: Sources) -> None:
    problems = []
    mod = m["module"]
    if (boundary["module"]["name"], boundary["module"]["version"]) != (mod["name"], mod["version"]):
        problems.append("boundary.toml [module] name/version differ from the manifest")

    ids = {t["id"] for t in m["self_tests"]}
    for a in m["approved_algorithms"]:
        for t in a["self_tests"]:
            if t not in ids:
                problems.append(f"algorithm {a['name']} names unknown self-test {t}")
    if m["approved_algorithms"] != boundary.get("algorithm"):
        problems.append("the manifest's approved algorithms differ from boundary.toml")
    # A BREAK id names a self-test, or (break_variants) says which one it fails.
    fails = {v["id"]: v["fails"] for v in m.get("break_variants", [])}
    orphans = sorted(b for b in m["break_ids"] if fails.get(b, b) not in ids)
    if orphans:
        problems.append(f"break ids without a self-test: {orphans}")

    declared = {f.name for f in api.functions}
    markers = set(boundary["module"].get("markers", []))
    exported = set(m["exported_symbols"])
    if exported != declared | markers:
        if exported - declared - markers:
            problems.append(f"exported but not in the header: {sorted(exported - declared - markers)}")
        if (declared | markers) - exported:
            problems.append(f"in the header but not exported: {sorted((declared | markers) - exported)}")

    listed = {"crypto-c/" + f for f in boundary["sources"]["files"]}
    compiled = {s["path"] for s in m["sources"] if s["compiled"] and s["path"].startswith("crypto-c/")}
    if listed != compiled:
        problems.append(f"boundary.toml [sources] and the manifest's compiled module files differ: "
                        f"{sorted(listed ^ compiled)}")
    if m["module"]["api_header_sha256"] != next(
            (s["sha256"] for s in m["sources"] if s["path"] == m["module"]["api_header"]), None):
        problems.append("module.api_header_sha256 disagrees with the header's source entry")

    for f in api.functions:
        if f.name not in src.functions:
            problems.append(f"{f.name} is declared in the header but defined in no module source")
    if problems:
        raise PolicyError("the build inputs disagree:\n    " + "\n    ".join(problems))


def check_hand_stated(api: Api, src: Sources) -> None:
    """Everything HAND-STATED names must exist in the inputs."""
    problems = []
    for glob, param, ssp, _, _ in HAND_SSP_PARAMETERS:
        hits = [f for f in api.functions if fnmatch.fnmatchcase(f.name, glob)
                and any(p.name == param for p in f.params)]
        if not hits:
            problems.append(f"HAND_SSP_PARAMETERS: no API function {glob} has a parameter {param}")
    for fn, _, _ in HAND_INTERNAL_SSP_USES:
        if fn not in src.functions:
            problems.append(f"HAND_INTERNAL_SSP_USES: {fn} is defined in no module source")
    everything = "\n".join(fn.body for fn in src.functions.values())
    for fn in HAND_WOLFCRYPT_RNG_DRAWERS:
        if not re.search(rf"\b{fn}\s*\(", everything):
            problems.append(f"HAND_WOLFCRYPT_RNG_DRAWERS: the module never calls {fn}")
    names = {f.name for f in api.functions}
    for name in sorted(names - set(HAND_SERVICE_NAMES)):
        problems.append(f"HAND_SERVICE_NAMES: no service name for {name}")
    for name in sorted(set(HAND_SERVICE_NAMES) - names):
        problems.append(f"HAND_SERVICE_NAMES: {name} is not in the header")
    settings = defines(src.text("crypto-c/config/user_settings.h"))
    for opt, _ in HAND_MITIGATIONS:
        if opt not in settings:
            problems.append(f"HAND_MITIGATIONS: {opt} is not defined in crypto-c/config/user_settings.h")
    if src.rng_block and src.rng_block not in src.functions:
        problems.append(f"CUSTOM_RAND_GENERATE_BLOCK names {src.rng_block}, defined nowhere")
    if problems:
        raise PolicyError("the HAND-STATED section is out of date:\n    " + "\n    ".join(problems))
