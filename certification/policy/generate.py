#!/usr/bin/env python3
"""Writes the module's security policy draft from its build inputs.

usage: python3 certification/policy/generate.py [MANIFEST] [-o FILE] [--acvp SUMMARY] [--check]

The generator is the `policy` package beside this file (see its __init__.py).
"""

import sys
from pathlib import Path

# This directory is the `policy` package; its parent is where it is imported from.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from policy.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
