#!/usr/bin/env python3
"""Regenerates wolfssl.toml: the upstream files the module uses, with SHA-256.

Run after changing the compiled wolfCrypt file list or the package version:
    python3 third_party/wolfssl/repin.py
It unpacks the pinned .crate (already in cargo's cache: `cargo fetch
--manifest-path third_party/wolfssl/fetch/Cargo.toml`), asks gcc which headers
every compiled file and every module source includes (-M), and writes the list.
The builder then extracts exactly these files and checks every hash.
"""
import glob, hashlib, io, os, re, subprocess, sys, tarfile, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../.."))
PIN = os.path.join(HERE, "wolfssl.toml")

pin_text = open(PIN).read()
header, _, _ = pin_text.partition("[[file]]")
# The reviewed patches (the [[patch]] tables at the end) are kept as they are.
patches = pin_text[pin_text.index("\n[[patch]]"):] if "\n[[patch]]" in pin_text else ""
pkg = dict(re.findall(r'^(\w+) = "([^"]*)"', header, re.M))
compiled = re.findall(r'^# compile: (\S+)', header, re.M)

home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
crates = glob.glob(f"{home}/registry/cache/*/{pkg['name']}-{pkg['version']}.crate")
if not crates:
    sys.exit("fetch first: cargo fetch --manifest-path third_party/wolfssl/fetch/Cargo.toml")
data = open(crates[0], "rb").read()
if hashlib.sha256(data).hexdigest() != pkg["checksum"]:
    sys.exit("the .crate does not match the pinned checksum")

with tempfile.TemporaryDirectory() as tmp:
    tarfile.open(fileobj=io.BytesIO(data)).extractall(tmp, filter="data")
    tree = os.path.join(tmp, f"{pkg['name']}-{pkg['version']}", pkg["root"])
    gccinc = subprocess.check_output(["gcc", "-print-file-name=include"], text=True).strip()
    flags = ["-std=gnu11", "-ffreestanding", "-nostdinc", "-isystem", gccinc,
             "-include", f"{ROOT}/crypto-c/config/visibility.h",
             "-D_LIBC_LIMITS_H_", "-U__linux__", "-U__linux", "-Ulinux", "-U__unix__",
             "-U__unix", "-Uunix", "-U__gnu_linux__", "-DHAVE___UINT128_T",
             "-DWOLFSSL_USER_SETTINGS", "-D_MM_MALLOC_H_INCLUDED", "-msse4.1", "-maes", "-mpclmul",
             "-I", f"{ROOT}/crypto-c/config", "-I", f"{ROOT}/crypto-c/include", "-I", tree]
    ours = sorted(glob.glob(f"{ROOT}/crypto-c/src/*.c"))
    used = set(compiled)
    for src in [os.path.join(tree, c) for c in compiled] + ours:
        deps = subprocess.check_output(["gcc", *flags, "-M", src], text=True)
        for dep in deps.replace("\\\n", " ").split(":", 1)[1].split():
            dep = os.path.normpath(dep)
            if dep.startswith(tree + "/"):
                used.add(os.path.relpath(dep, tree))
    out = [header.rstrip() + "\n"]
    for rel in sorted(used):
        digest = hashlib.sha256(open(os.path.join(tree, rel), "rb").read()).hexdigest()
        out.append(f'\n[[file]]\npath = "{rel}"\nsha256 = "{digest}"\n')
    out.append(patches)
    open(PIN, "w").write("".join(out))
    print(f"{len(used)} files pinned")
