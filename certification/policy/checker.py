"""`--check`: is a written policy the one the generator writes now?"""

from __future__ import annotations

import re
from pathlib import Path

from .common import GENERATOR, PolicyError, rel
from .loader import load_inputs
from .manifest import load_manifest
from .render import render
from .sections import TITLES

# How far into the document the object hash must appear ("near the top").
HASH_WITHIN_LINES = 12


def check_policy(policy: Path, manifest_path: Path, acvp_path: Path | None) -> list[str]:
    """Problems with a written policy; empty when it is fine."""
    if not policy.is_file():
        return [f"{policy} does not exist (run {GENERATOR} first)"]
    text = policy.read_text(encoding="utf-8")
    problems = []
    m = load_manifest(manifest_path)
    digest = m["object"]["object_sha256"]
    top = "\n".join(text.splitlines()[:HASH_WITHIN_LINES])
    if digest not in top:
        problems.append(f"the object SHA-256 {digest} is not named in the first "
                        f"{HASH_WITHIN_LINES} lines")
    headings = re.findall(r"^## (\d+)\. (.+)$", text, re.M)
    want = [(str(i), t) for i, t in enumerate(TITLES, 1)]
    if headings != want:
        missing = [f"{n}. {t}" for n, t in want if (n, t) not in headings]
        problems.append("sections are not the 12 of ISO/IEC 19790 in order" +
                        (f"; missing: {', '.join(missing)}" if missing else f"; found: {headings}"))
    if re.search(r"\{[A-Z0-9_]+\}", text):
        problems.append("unfilled template placeholders remain")
    if not problems:
        try:
            fresh = render(load_inputs(manifest_path, acvp_path, policy))
        except PolicyError as e:
            problems.append(f"cannot regenerate to compare: {e}")
        else:
            if fresh + "\n" != text:
                problems.append(f"{rel(policy)} is stale: its inputs changed since it was written; "
                                f"regenerate with {GENERATOR}")
    return problems
