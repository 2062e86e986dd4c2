"""Paths, the error type and the Markdown helpers every section uses."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_MANIFEST = REPO / "target/svsm-crypto/manifest.json"
DEFAULT_OUTPUT = REPO / "target/certification/security-policy.md"
BOUNDARY = "crypto-c/boundary.toml"
GENERATOR = "certification/policy/generate.py"


class PolicyError(Exception):
    """A build input is missing, broken or inconsistent; nothing is written."""


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{what} not found: {path}") from None
    except OSError as e:
        raise PolicyError(f"cannot read {what} {path}: {e}") from None


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# ---- Markdown --------------------------------------------------------------------

# What a section writes its lines to (the document's list.append).
Write = Callable[[str], None]


def cell(x) -> str:
    return str(x).replace("|", "\\|").replace("\n", " ")


def table(headers: list[str], rows: list[list], align: str | None = None) -> str:
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join((align[i] if align else "-") == "r" and "---:" or "---"
                                for i in range(len(headers))) + "|")
    for r in rows:
        lines.append("| " + " | ".join(cell(c) for c in r) + " |")
    return "\n".join(lines)


def code(x) -> str:
    return f"`{x}`"


def option_items(flags: list[str]) -> list[str]:
    """Compiler flags with their separate arguments joined ("-I dir")."""
    out, i = [], 0
    while i < len(flags):
        if flags[i] in ("-I", "-isystem", "-include", "-D", "-U") and i + 1 < len(flags):
            out.append(f"{flags[i]} {flags[i + 1]}")
            i += 2
        else:
            out.append(flags[i])
            i += 1
    return out


def pow2(n: int) -> str:
    return f"2^{n.bit_length() - 1}" if n > 0 and n & (n - 1) == 0 else f"{n:,}"
