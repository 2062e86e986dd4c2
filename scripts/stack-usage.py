#!/usr/bin/env python3
"""Peak stack per service of the crypto module, from GCC's call-graph info.

Usage: scripts/stack-usage.py [MANIFEST] [--json]

Recompiles every C source the manifest lists as compiled, with the flags the
manifest records for it plus -fcallgraph-info=su (which does not change the
generated code), into a temporary directory, then for each exported
svsm_crypto_* function sums the static frames along its deepest call path.

Reported per service: the peak in bytes, and whether the path meets an
indirect call (a function pointer: wolfCrypt's SHA transform pointers, the
module's import_public_fn), a frame of unbounded size, or a function without
call-graph information (assembly: wolfCrypt's .S files). Those are not followed, so such a peak is a
lower bound; the table marks it with ">=". Needs `make crypto` first (the
manifest and the unpacked wolfCrypt sources under target/svsm-crypto/).
"""
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = re.compile(r'node:\s*\{\s*title:\s*"([^"]+)"\s*label:\s*"([^"]*)"')
EDGE = re.compile(r'edge:\s*\{\s*sourcename:\s*"([^"]+)"\s*targetname:\s*"([^"]+)"')
# "N bytes (static)", "(dynamic,bounded)" or "(dynamic)": the last has no
# bound, and makes the peak a lower bound.
FRAME = re.compile(r"(\d+) bytes \((static|dynamic,bounded|dynamic)\)")


def flags_for(manifest, path):
    """The recorded flags of the compilation unit `path` (by its kind)."""
    kinds = {f["kind"]: f["flags"] for f in manifest["compiler"]["flags"]}
    if path.startswith("crypto-c/"):
        kind = "module-freestanding" if path.endswith("freestanding.c") else "module-c"
    elif path.endswith("/aes.c") and "wolf-aes-intrinsics" in kinds:
        kind = "wolf-aes-intrinsics"
    else:
        kind = "wolf-c"
    return kinds[kind]


def compile_unit(manifest, path, wolfssl, builtin, out_dir, index):
    source = wolfssl / path.removeprefix("wolfssl/") if path.startswith("wolfssl/") else ROOT / path
    args = []
    for a in flags_for(manifest, path):
        a = a.replace("<cc-builtin-include>", builtin)
        a = a.replace("<wolfssl>", str(wolfssl)).replace("<root>", str(ROOT))
        args.append(a)
    obj = out_dir / f"{index}.o"
    cmd = [manifest["compiler"]["cc"], *args, "-fcallgraph-info=su", "-c", str(source), "-o", str(obj)]
    subprocess.run(cmd, cwd=ROOT, check=True)
    return obj.with_suffix(".ci")


def main():
    argv = [a for a in sys.argv[1:] if a != "--json"]
    manifest_path = Path(argv[0]) if argv else ROOT / "target/svsm-crypto/manifest.json"
    manifest = json.loads(manifest_path.read_text())
    wolfssl = next(manifest_path.parent.glob("wolfssl-*"), None)
    if wolfssl is None:
        sys.exit(f"no unpacked wolfCrypt next to {manifest_path}: run make crypto")
    builtin = subprocess.run(
        [manifest["compiler"]["cc"], "-print-file-name=include"],
        capture_output=True, text=True, check=True).stdout.strip()
    frames, unbounded, calls = {}, set(), {}
    with tempfile.TemporaryDirectory() as tmp:
        units = [s["path"] for s in manifest["sources"] if s.get("compiled") and s["path"].endswith(".c")]
        for i, path in enumerate(units):
            ci = compile_unit(manifest, path, wolfssl, builtin, Path(tmp), i)
            text = ci.read_text()
            for name, label in NODE.findall(text):
                m = FRAME.search(label)
                if m:
                    frames[name] = max(frames.get(name, 0), int(m.group(1)))
                    if m.group(2) == "dynamic":
                        unbounded.add(name)
            for src, dst in EDGE.findall(text):
                calls.setdefault(src, set()).add(dst)

    memo = {}

    def peak(fn, stack=()):
        """(bytes, complete): the deepest path from fn; complete is False when
        the path meets an indirect call, an unknown function or recursion."""
        if fn in memo:
            return memo[fn]
        if fn in stack:
            return (0, False)
        if fn not in frames:
            return (0, fn in ("memcpy", "memset"))  # the module's own, in frames when compiled
        best, complete = 0, fn not in unbounded
        for callee in calls.get(fn, ()):
            if callee == "__indirect_call":
                complete = False
                continue
            b, c = peak(callee, stack + (fn,))
            complete = complete and c
            best = max(best, b)
        memo[fn] = (frames[fn] + best, complete)
        return memo[fn]

    # Exported functions (the section markers are symbols without a frame).
    services = sorted(s for s in manifest["exported_symbols"]
                      if s.startswith("svsm_crypto_") and s in frames)
    rows = [(s, *peak(s)) for s in services]
    if "--json" in sys.argv:
        print(json.dumps({s: {"peak_bytes": b, "complete": c} for s, b, c in rows}, indent=1))
        return
    print(f"| {'service':<45} | {'peak stack':>12} |")
    print(f"|{'-' * 47}|{'-' * 13}:|")
    for s, b, c in rows:
        print(f"| {s:<45} | {('' if c else '>= ') + str(b):>12} |")


if __name__ == "__main__":
    main()
