"""Everything the document is made from, loaded and cross-checked once."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .common import BOUNDARY, REPO, PolicyError, read_text, rel, sha256_file
from .consistency import check_hand_stated, cross_check
from .csource import Facts, Sources, collect_facts, load_sources
from .manifest import Api, api_from_manifest, load_manifest
from .services import Service, analyse_services


@dataclass
class Inputs:
    manifest_path: Path
    manifest: dict
    api: Api
    boundary: dict
    boundary_text: str
    src: Sources
    facts: Facts
    services: list[Service]
    acvp_path: Path | None
    acvp: dict | None
    object_on_disk: str | None       # "match", or None when absent
    output_dir: Path                 # where the policy is written

    def name(self, path: Path) -> str:
        """How the document names a file: relative to the policy when it lies
        beside it (the ACVP summary of `make cert`), else to the repository."""
        try:
            return str(path.resolve().relative_to(self.output_dir.resolve()))
        except ValueError:
            return rel(path)

    def coverage(self) -> dict[str, list[str]]:
        """Self-test id -> the approved algorithms it covers."""
        covered: dict[str, list[str]] = {}
        for a in self.manifest["approved_algorithms"]:
            for t in a["self_tests"]:
                covered.setdefault(t, []).append(a["name"])
        return covered

    def integrity_kat(self) -> str | None:
        """The KAT of the integrity algorithm when it runs before the
        integrity test (so that test never relies on an untested algorithm)."""
        m = self.manifest
        order = [t["id"] for t in m["self_tests"]]

        def norm(name):
            return re.sub(r"[^A-Z0-9]", "", name.upper().replace("SHA2-", "SHA-"))
        kats = [t for t in order if any(norm(a["name"]) == norm(m["integrity"]["algorithm"])
                                        for a in m["approved_algorithms"] if t in a["self_tests"])]
        if "integrity" in order and kats and order.index(kats[0]) < order.index("integrity"):
            return kats[0]
        return None


def load_acvp(path: Path) -> dict:
    if not path.is_file():
        raise PolicyError(f"ACVP summary not found: {path} (svsm-acvp check --write-summary DIR "
                          "writes it)")
    try:
        acvp = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(acvp, dict) or not isinstance(acvp.get("sets"), list):
            raise ValueError("no \"sets\" list")
    except (ValueError, UnicodeDecodeError) as e:
        raise PolicyError(f"{path}: not an ACVP summary: {e}") from None
    return acvp


def load_inputs(manifest_path: Path, acvp_path: Path | None, output: Path) -> Inputs:
    m = load_manifest(manifest_path)
    api = api_from_manifest(m)
    btext = read_text(REPO / BOUNDARY, "boundary list")
    try:
        boundary = tomllib.loads(btext)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"{BOUNDARY}: {e}") from None
    src = load_sources(m)
    if not any(s["path"] == api.path for s in m["sources"]):
        raise PolicyError(f"the manifest does not list the API header {api.path} as a source")
    cross_check(m, api, boundary, src)
    check_hand_stated(api, src)
    facts = collect_facts(src, api.constants, api.path,
                          len(bytes.fromhex(m["integrity"]["key_hex"])) * 8)

    obj = manifest_path.parent / m["object"]["path"]
    on_disk = None
    if obj.is_file():
        if sha256_file(obj) != m["object"]["object_sha256"]:
            raise PolicyError(f"{obj} does not hash to the manifest's object_sha256: the manifest "
                              "is stale. Rebuild with cargo build -p svsm-crypto-object")
        on_disk = "match"

    acvp = load_acvp(acvp_path) if acvp_path is not None else None
    return Inputs(manifest_path, m, api, boundary, btext, src, facts,
                  analyse_services(api, src), acvp_path, acvp, on_disk, output.parent)
