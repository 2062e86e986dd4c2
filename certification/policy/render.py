"""The document: head, then the twelve sections, numbered and headed."""

from __future__ import annotations

import re

from .common import PolicyError
from .loader import Inputs
from .sections import SECTIONS
from .sections.general import preamble


def render(inp: Inputs) -> str:
    out: list[str] = []
    preamble(inp, out.append)
    for number, (title, section) in enumerate(SECTIONS, 1):
        out += [f"## {number}. {title}", ""]
        section(inp, out.append)
    text = "\n".join(out)
    check_identifiers(text, inp)
    return text


def check_identifiers(text: str, inp: Inputs) -> None:
    """Every svsm_crypto_* name in the policy must be one the API declares
    (as the manifest carries it) or the object exports."""
    known = inp.api.identifiers | set(inp.manifest["exported_symbols"])
    named = set(re.findall(r"\bsvsm_crypto_\w+|\bSVSM_CRYPTO_\w+", text))
    # Paths and file names are not identifiers.
    named = {n for n in named if not re.search(r"svsm_crypto_(?:builder|object)$", n)}
    unknown = sorted(n for n in named - known if n not in ("SVSM_CRYPTO_BREAK",))
    if unknown:
        raise PolicyError("the policy names identifiers the header does not define: " + ", ".join(unknown))
