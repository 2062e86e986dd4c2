#!/usr/bin/env python3
"""Latency of four TPM operations through tpm2-tools: our engine next to swtpm.

    bench.py [--sim PATH] [--runs N] [--json FILE]

Each row is one tpm2-tools program run N times against a fresh TPM:
PCR_Extend (tpm2_pcrextend), GetRandom(32) (tpm2_getrandom 32),
CreatePrimary ECC P-256 (tpm2_createprimary -G ecc256, flushed after each
run, outside the timing) and Quote (tpm2_quote over sha256 PCR 16 with an ECC
P-256 attestation key). What is timed is the whole call a user makes: the
process start, the TCTI connection and every command the tool sends (the
tools also read capabilities and open HMAC sessions), so the two TPMs are
compared under the same client overhead; the median is the figure to
compare.
"""

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tpmtarget import make_target  # noqa: E402

AK_ATTRS = "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign"


def operations(target):
    """(name, argv or a set-up error, cleanup or None) for each row."""
    r = target.tool("tpm2_startup", "-c")
    if r.returncode != 0:
        raise RuntimeError(r.describe())
    # The attestation key only the Quote row needs: its failure is that row's.
    r = target.tool("tpm2_createprimary", "-C", "e", "-G", "ecc256:ecdsa-sha256:null",
                    "-a", AK_ATTRS, "-c", "ak.ctx")
    ak = target.tool("tpm2_getcap", "handles-transient").stdout.split()[-1] if r.returncode == 0 else None
    quote = (["tpm2_quote", "-c", ak, "-l", "sha256:16", "-q", "00112233",
              "-m", "q.msg", "-s", "q.sig", "-g", "sha256"] if ak else f"the AK: {r.describe()}")
    digest = "ab" * 32
    return [
        ("PCR_Extend", ["tpm2_pcrextend", f"16:sha256={digest}"], None),
        ("GetRandom(32)", ["tpm2_getrandom", "32", "-o", "random.bin"], None),
        ("CreatePrimary ECC P-256", ["tpm2_createprimary", "-C", "o", "-G", "ecc256", "-c", "p.ctx"],
         lambda: flush_all_but(target, ak)),
        ("Quote", quote, None),
    ]


def flush_all_but(target, keep):
    for handle in target.tool("tpm2_getcap", "handles-transient").stdout.split():
        if handle.startswith("0x") and handle != keep:
            target.tool("tpm2_flushcontext", handle)


def measure(kind, sim_binary, runs):
    rows = {}
    with make_target(kind, sim_binary) as target:
        for name, argv, cleanup in operations(target):
            if isinstance(argv, str):
                rows[name] = {"error": argv}
                continue
            times = []
            for _ in range(runs):
                r = target.tool(*argv)
                if r.returncode != 0:
                    rows[name] = {"error": r.describe()}
                    break
                times.append(r.seconds * 1000)
                if cleanup:
                    cleanup()
            else:
                rows[name] = {
                    "runs": runs,
                    "median_ms": statistics.median(times),
                    "mean_ms": statistics.fmean(times),
                    "min_ms": min(times),
                    "max_ms": max(times),
                }
    return rows


def cell(row):
    if row is None:
        return "-"
    if "error" in row:
        return "failed"
    return f"{row['median_ms']:.1f} ({row['min_ms']:.1f}-{row['max_ms']:.1f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim", default="target/release/svsm-vtpm-sim")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", default="target/bench/vtpm.json")
    args = parser.parse_args()

    results = {}
    for kind in ("sim", "swtpm"):
        try:
            results[kind] = measure(kind, args.sim, args.runs)
        except (RuntimeError, OSError) as e:
            results[kind] = {"error": str(e)}

    names = ["PCR_Extend", "GetRandom(32)", "CreatePrimary ECC P-256", "Quote"]
    print(f"vTPM latency through tpm2-tools, ms: median (min-max) of {args.runs} calls")
    print(f"| {'operation':<24} | {'svsm-vtpm-sim':>22} | {'swtpm (libtpms)':>22} |")
    print(f"|{'-' * 26}|{'-' * 24}|{'-' * 24}|")
    for name in names:
        ours = results["sim"].get(name) if "error" not in results["sim"] else None
        ref = results["swtpm"].get(name) if "error" not in results["swtpm"] else None
        print(f"| {name:<24} | {cell(ours):>22} | {cell(ref):>22} |")
    for kind, res in results.items():
        if "error" in res:
            print(f"{kind}: {res['error']}")
        for name, row in res.items():
            if isinstance(row, dict) and "error" in row:
                print(f"{kind} {name}: {row['error']}")

    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"runs": args.runs, "unit": "ms", "targets": results}, f, indent=2)
    print(f"json: {args.json}")
    failed = any("error" in res or any("error" in r for r in res.values()) for res in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
