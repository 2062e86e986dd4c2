"""The builder's manifest: loaded, its shape checked, and its `api` object
(what the API header declares, as the builder read it) turned into types."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .common import PolicyError

MANIFEST_SHAPE = {
    "module": dict, "object": dict, "exported_symbols": list, "undefined_symbols": list,
    "compiler": dict, "wolfcrypt": dict, "sources": list, "approved_algorithms": list,
    "self_tests": list, "break_ids": list, "integrity": dict, "api": dict,
}

MANIFEST_FIELDS = {
    "module": ["name", "version", "api_header", "api_header_sha256"],
    "object": ["path", "object_sha256", "size", "text_rodata_bytes", "data_bss_bytes", "section"],
    "wolfcrypt": ["version", "package", "package_version", "package_sha256", "license", "pinned_files"],
    "integrity": ["algorithm", "hashed_range", "hashed_length", "key_hex", "expected_hmac_sha256"],
    "compiler": ["cc", "version", "linker", "flags"],
    "api": ["conventions", "functions", "status_codes", "states", "callbacks", "constants"],
}


def load_manifest(path: Path) -> dict:
    if not path.is_file():
        raise PolicyError(
            f"manifest not found: {path}\n"
            "  build the module first: cargo build -p svsm-crypto-object")
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise PolicyError(f"manifest {path} is not valid JSON: {e}") from None
    if not isinstance(m, dict):
        raise PolicyError(f"manifest {path}: top level is not an object")
    if "broken" not in m:
        raise PolicyError(f"manifest {path}: no \"broken\" field; cannot tell whether it "
                          "describes the real module or a BREAK variant")
    if m["broken"] is not None:
        b = m["broken"]
        which = b.get("self_test", "?") if isinstance(b, dict) else b
        raise PolicyError(
            f"manifest {path} describes a BREAK fault-injection build (self-test "
            f"\"{which}\" made to fail); that object is not the module. Refusing to write "
            "a security policy for it: use target/svsm-crypto/manifest.json")
    for key, kind in MANIFEST_SHAPE.items():
        if not isinstance(m.get(key), kind):
            raise PolicyError(f"manifest {path}: \"{key}\" missing or not a {kind.__name__}")
    for key, fields in MANIFEST_FIELDS.items():
        missing = [f for f in fields if f not in m[key]]
        if missing:
            raise PolicyError(f"manifest {path}: {key} lacks {', '.join(missing)}")
    if not re.fullmatch(r"[0-9a-f]{64}", str(m["object"]["object_sha256"])):
        raise PolicyError(f"manifest {path}: object.object_sha256 is not a SHA-256")
    if not re.fullmatch(r"(?:[0-9a-f]{2})+", str(m["integrity"]["key_hex"])):
        raise PolicyError(f"manifest {path}: integrity.key_hex is not hexadecimal")
    for s in m["sources"]:
        if not {"path", "sha256", "compiled"} <= set(s):
            raise PolicyError(f"manifest {path}: a source entry lacks path/sha256/compiled: {s}")
    check_coverage_fields(m, path)
    return m


def check_coverage_fields(m: dict, path: Path) -> None:
    """`writable_data` and `integrity.covers`: what the integrity section
    renders, so the policy states exactly which bytes are covered."""
    writable = m.get("writable_data")
    ok = isinstance(writable, list) and all(
        isinstance(w, dict) and isinstance(w.get("symbol"), str)
        and isinstance(w.get("unit"), str)
        and isinstance(w.get("size"), int) and not isinstance(w.get("size"), bool)
        and isinstance(w.get("why"), str) for w in writable)
    if not ok:
        raise PolicyError(f"manifest {path}: writable_data must be a list of "
                          "{\"symbol\": str, \"unit\": str, \"size\": int, \"why\": str}")
    covers = m["integrity"].get("covers")
    if not (isinstance(covers, list) and covers and all(isinstance(c, str) for c in covers)):
        raise PolicyError(f"manifest {path}: integrity.covers must be a non-empty list of strings")


# ---- The API, as the builder read it from the header -----------------------------

@dataclass
class Param:
    ctype: str
    name: str

    @property
    def is_const_bytes(self) -> bool:
        return re.fullmatch(r"const\s+uint8_t\s*\*", self.ctype) is not None

    @property
    def is_out_bytes(self) -> bool:
        return re.fullmatch(r"uint8_t\s*\*", self.ctype) is not None

    @property
    def is_context(self) -> bool:
        return re.fullmatch(r"svsm_crypto_\w+_ctx\s*\*", self.ctype) is not None


@dataclass
class ApiFunction:
    name: str
    returns: str
    params: list[Param]
    group: str          # the header's "---- Title ----" heading
    comment: str        # the comment right above it, or trailing on its line


@dataclass
class Api:
    path: str
    conventions: str
    functions: list[ApiFunction]
    statuses: list[tuple[str, int, str]]
    states: list[tuple[str, int]]
    callbacks: list[str]            # the function pointers: calls out of the boundary
    callback_values: list[str]      # declarations of the other members (values handed in)
    callbacks_comment: str
    constants: dict[str, int]
    identifiers: set[str]           # every svsm_crypto_* / SVSM_CRYPTO_* name it declares

    def function(self, name: str) -> ApiFunction:
        for f in self.functions:
            if f.name == name:
                return f
        raise PolicyError(f"{self.path}: no API function {name}")


def api_from_manifest(m: dict) -> Api:
    a, path = m["api"], m["module"]["api_header"]
    try:
        functions = [ApiFunction(f["name"], f["returns"],
                                 [Param(p["type"], p["name"]) for p in f["params"]],
                                 f["group"], f["doc"]) for f in a["functions"]]
        statuses = [(s["name"], int(s["value"]), s["doc"]) for s in a["status_codes"]]
        states = [(s["name"], int(s["value"])) for s in a["states"]]
        callbacks = [c["name"] for c in a["callbacks"]["members"] if c["function"]]
        callback_values = [c["declaration"] for c in a["callbacks"]["members"]
                           if not c["function"]]
        callbacks_comment = a["callbacks"]["doc"]
        constants = {c["name"]: int(c["value"]) for c in a["constants"]}
    except (KeyError, TypeError, ValueError) as e:
        raise PolicyError(f"manifest api: malformed entry ({type(e).__name__}: {e})") from None
    if not functions:
        raise PolicyError(f"manifest api: no functions from {path}")
    if not statuses or not states:
        raise PolicyError(f"manifest api: status codes or states of {path} missing")
    identifiers = set(re.findall(r"\bsvsm_crypto_\w+|\bSVSM_CRYPTO_\w+", json.dumps(a)))
    return Api(path, a["conventions"], functions, statuses, states, callbacks,
               callback_values, callbacks_comment, constants, identifiers)
