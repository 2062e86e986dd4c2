#!/usr/bin/env python3
"""The constant-time check's verdict (make ct): runs the ct harness under
valgrind memcheck and fails on any memcheck error inside the module that the
allowlist does not name.

valgrind reads no symbols for the module (it lives in one RWX segment by
design, and valgrind only symbolizes r-x mappings), so this script maps each
error's program counters to functions itself, from `nm -n` of the harness,
which is linked without PIE so the addresses are the link-time ones.

Usage: check.py HARNESS [--expect-leak FUNCTION | --write-open]
  runs the harness twice, with xcr0 0 (SSE paths) and valgrind's (AVX paths)
  --expect-leak  the control: pass only if the check FAILS with an error
                 whose innermost module frame is FUNCTION (the check bites)
  --write-open   rewrite open-findings.txt from this run
Exit status 0 when the verdict is the expected one, 1 otherwise.
"""

import argparse
import bisect
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ALLOWLIST = os.path.join(HERE, "allowlist.txt")
# Findings not yet fixed (issue 12), each a function whose secret-dependent
# branch or index is known: the check fails on any finding not listed here or
# in the allowlist, and on any listed here that no longer occurs, so the list
# only shrinks. --write-open rewrites it.
OPEN_FINDINGS = os.path.join(HERE, "open-findings.txt")
OPEN_HEADER = """# Open constant-time findings (issue 12): module functions where make ct sees a
# secret-dependent branch or memory index that is NOT public by design and is
# not fixed yet. make ct fails on any finding not listed here or in
# allowlist.txt, and on an entry here that no longer occurs. Written by
# `python3 tools/ct/check.py target/ct/ct --write-open`. Empty since issue 12's
# ECC findings were fixed; keep it empty.
"""
# The module's XCR0 settings the harness runs with: SSE-only and AVX/AVX2.
MODES = ("sse", "avx")
# The module's first and last byte (crypto-c/module.ld markers).
MODULE_START = "svsm_crypto_text_start"
MODULE_END = "svsm_crypto_end"
# memcheck's kinds for a secret-dependent branch or address; anything else
# (an invalid read, a leak, a fishy argument) fails the run too.
SECRET_KINDS = {"UninitCondition", "UninitValue"}


def load_allowlist(path):
    """{function: reason}; one `function  reason...` per line, # comments."""
    allowed = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(" ")
            if not reason.strip():
                sys.exit(f"{path}:{number}: {name} has no reason")
            allowed[name] = reason.strip()
    return allowed


class Symbols:
    """Address to function for a non-PIE executable, from nm -n."""

    def __init__(self, binary):
        out = subprocess.run(
            ["nm", "-n", "--defined-only", binary], check=True, capture_output=True, text=True
        ).stdout
        self.addrs, self.names = [], []
        for line in out.splitlines():
            parts = line.split()
            # L_* are wolfCrypt's assembly labels inside a function, not
            # functions; .isra.N and the like are compiler clones of one.
            # The module's markers share addresses with functions.
            if (
                len(parts) == 3
                and parts[1] in "tTwW"
                and not parts[2].startswith("L_")
                and parts[2] not in (MODULE_START, MODULE_END)
            ):
                self.addrs.append(int(parts[0], 16))
                self.names.append(parts[2].split(".")[0])
        marker = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2] in (MODULE_START, MODULE_END):
                marker[parts[2]] = int(parts[0], 16)
        if len(marker) != 2:
            sys.exit(f"{binary}: module markers not found")
        self.module = (marker[MODULE_START], marker[MODULE_END])

    def in_module(self, pc):
        return self.module[0] <= pc < self.module[1]

    def name(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        return f"{self.names[i]}+{pc - self.addrs[i]:#x}" if i >= 0 else f"{pc:#x}"

    def function(self, pc):
        return self.name(pc).split("+")[0]


def run_valgrind(harness, mode):
    """(harness exit status, its output, [(kind, [pc...], service)]) of one
    run. memcheck reports each error site once, at its first occurrence; the
    harness's `ct-service NAME` messages attribute it to that service."""
    with tempfile.TemporaryDirectory() as tmp:
        xml = os.path.join(tmp, "memcheck.xml")
        proc = subprocess.run(
            [
                "valgrind",
                "--tool=memcheck",
                "--error-limit=no",
                "--num-callers=12",
                "--xml=yes",
                f"--xml-file={xml}",
                harness,
                mode,
            ],
            capture_output=True,
            text=True,
        )
        errors, pending = [], []
        for item in ET.parse(xml).getroot():
            if item.tag == "clientmsg":
                text = (item.findtext("text") or "").strip()
                if text.startswith("ct-service "):
                    service = text.split()[1]
                    errors += [(kind, pcs, service) for kind, pcs in pending]
                    pending = []
            elif item.tag == "error":
                stack = item.find("stack")
                pcs = [int(f.findtext("ip"), 16) for f in stack.iter("frame")] if stack is not None else []
                pending.append((item.findtext("kind"), pcs))
        errors += [(kind, pcs, "exit") for kind, pcs in pending]
    return proc.returncode, proc.stdout + proc.stderr, errors


def classify(errors, symbols, allowed, known):
    """Sorts one run's errors: {site: (kind, service)} of findings not
    allowed, and the sets of allowlisted and known functions seen."""
    findings, used, seen_known = {}, set(), set()
    for kind, pcs, service in errors:
        inner = next((pc for pc in pcs if symbols.in_module(pc)), None)
        if inner is None:
            site = "outside the module: " + (symbols.name(pcs[0]) if pcs else "?")
            findings.setdefault(site, (kind, service))
            continue
        function = symbols.function(inner)
        if kind in SECRET_KINDS and function in allowed:
            used.add(function)
        elif kind in SECRET_KINDS and function in known:
            seen_known.add(function)
        else:
            findings.setdefault(symbols.name(inner), (kind, service))
    return findings, used, seen_known


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("harness")
    ap.add_argument("--expect-leak", metavar="FUNCTION")
    ap.add_argument("--write-open", action="store_true", help="rewrite open-findings.txt from this run")
    args = ap.parse_args()

    allowed = load_allowlist(ALLOWLIST)
    known = {} if args.write_open else load_allowlist(OPEN_FINDINGS)
    symbols = Symbols(args.harness)
    failed = False
    findings, used, seen_known = {}, set(), set()
    for mode in MODES:
        status, output, errors = run_valgrind(args.harness, mode)
        print(output, end="")
        if status == 2:
            print(f"ct[{mode}]: the harness did not run its services (status 2)")
            return 1
        f, u, k = classify(errors, symbols, allowed, known)
        for site, what in f.items():
            findings.setdefault(site, what + (mode,))
        used |= u
        seen_known |= k

    for site, (kind, service, mode) in sorted(findings.items()):
        print(f"ct: {kind:16} {site:48} first in {service} ({mode})")
    for function in sorted(used):
        print(f"ct: allowed: {function}: {allowed[function]}")
    for function in sorted(seen_known):
        print(f"ct: open finding: {function}: {known[function]}")

    if args.write_open:
        by_function = {}
        for site, (kind, service, mode) in sorted(findings.items()):
            by_function.setdefault(site.split("+")[0], set()).add(service)
        with open(OPEN_FINDINGS, "w", encoding="utf-8") as out:
            out.write(OPEN_HEADER)
            for function, services in sorted(by_function.items()):
                out.write(f"{function} first seen in {', '.join(sorted(services))}\n")
        print(f"ct: wrote {len(by_function)} open findings to {OPEN_FINDINGS}")
        return 0
    if args.expect_leak:
        if any(site.split("+")[0] == args.expect_leak for site in findings):
            print(f"ct: control: the leak in {args.expect_leak} was caught, as it must be")
            return 0
        print(f"ct: control: the leak in {args.expect_leak} was NOT caught: the check does not bite")
        return 1
    stale = sorted(set(known) - seen_known)
    for function in stale:
        print(f"ct: open finding {function} no longer occurs: remove it from {OPEN_FINDINGS}")
        failed = True
    if findings:
        print(f"ct: FAILED: {len(findings)} secret-dependent sites not allowed (new findings)")
        failed = True
    if failed:
        return 1
    print(f"ct: passed ({len(used)} allowlisted, {len(seen_known)} open findings still to fix)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
