"""The command line: generate the policy, or `--check` a written one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .checker import check_policy
from .common import DEFAULT_MANIFEST, DEFAULT_OUTPUT, GENERATOR, PolicyError, rel
from .loader import load_inputs
from .render import render


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog=GENERATOR,
                                 description="Generate the security policy draft from the build inputs.")
    ap.add_argument("manifest", nargs="?", type=Path, default=DEFAULT_MANIFEST,
                    help="manifest.json of the real (not BREAK) build")
    ap.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT,
                    help=f"where to write the policy (default {rel(DEFAULT_OUTPUT)})")
    ap.add_argument("--acvp", type=Path, default=None,
                    help="the summary.json `svsm-acvp check --write-summary` wrote for this "
                         "object (section 2.5); without it, the policy says none was given")
    ap.add_argument("--check", action="store_true",
                    help="verify the written policy instead of writing it")
    args = ap.parse_args(argv)
    try:
        if args.check:
            problems = check_policy(args.output, args.manifest, args.acvp)
            for p in problems:
                print(f"{GENERATOR} --check: {p}", file=sys.stderr)
            if problems:
                return 1
            print(f"{rel(args.output)}: OK (object hash near the top, 12 sections, up to date)")
            return 0
        inp = load_inputs(args.manifest, args.acvp, args.output)
        text = render(inp)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {rel(args.output)} for object {inp.manifest['object']['object_sha256']}")
        return 0
    except PolicyError as e:
        print(f"{GENERATOR}: error: {e}", file=sys.stderr)
        return 2
