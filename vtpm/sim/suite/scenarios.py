#!/usr/bin/env python3
"""The vTPM scenario suite: tpm2-tools against a TPM, every answer checked.

    scenarios.py [--target sim|sim-gate|swtpm|both] [--sim PATH] [--json FILE]

Each scenario drives Debian's tpm2-tools (5.4) through one TPM feature and
checks what came back against values computed here, independently of the
TPM (hashlib for PCRs and hashes, OpenSSL for signatures, tpm2_checkquote
for quotes). Scenarios also record outputs the TPM 2.0 specification fixes
(PCR values after a known sequence, response codes of the same bad call,
the kinds of fixed properties); with ``--target both`` the suite runs
against swtpm (libtpms, the reference), against ``svsm-vtpm-sim`` and against
``svsm-vtpm-sim --gate`` (the engine as the kernel runs it, every crypto call
through the crypto gate), and one more scenario per recorded output compares
each of the two with swtpm.

The last line is ``vtpm scenarios: N passed, M failed``; the exit status is
non-zero when M > 0.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tpmtarget import make_target  # noqa: E402

# TPM 2.0 Part 2 response codes the suite expects by name.
TPM_RC_LOCALITY = 0x907
TPM_RC_HANDLE = 0x08B
TPM_RC_AUTH_FAIL = 0x08E  # a wrong password
TPM_RC_BAD_AUTH = 0x0A2  # a wrong HMAC (tpm2-tools authorise with HMAC sessions)
TPM_RC_SIGNATURE = 0x09B
TPM_RC_NV_UNINITIALIZED = 0x14A
TPM_RC_REFERENCE_H0 = 0x910
TPM_RC_INITIALIZE = 0x100


def rc_base(rc):
    """A format-one code without its handle/parameter/session number."""
    if rc is not None and rc & 0x80:
        return rc & 0xBF
    return rc


class Failed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failed(message)


class Run:
    """One pass of the scenarios over one TPM."""

    def __init__(self, target):
        self.t = target
        self.results = []  # (name, passed, detail)
        self.fixed = {}  # spec-fixed outputs, compared across TPMs
        self.keys = {}  # createprimary outputs other scenarios reuse

    # -- helpers -----------------------------------------------------------
    def ok(self, *argv, stdin=None):
        """Runs a tool that must succeed; its stdout."""
        r = self.t.tool(*argv, stdin=stdin)
        check(r.returncode == 0, r.describe())
        return r.stdout

    def fails(self, *argv):
        """Runs a tool that must fail with a TPM error; the response code."""
        r = self.t.tool(*argv)
        check(r.returncode != 0, f"`{' '.join(r.argv)}` succeeded, expected a TPM error")
        check(r.tpm_rc is not None, f"no TPM response code: {r.describe()}")
        return r.tpm_rc

    def yaml(self, *argv):
        return yaml.safe_load(self.ok(*argv)) or {}

    def write(self, name, data):
        with open(self.t.path(name), "wb") as f:
            f.write(data)
        return self.t.path(name)

    def read(self, name):
        with open(self.t.path(name), "rb") as f:
            return f.read()

    def flush_transient(self):
        self.ok("tpm2_flushcontext", "-t")

    def pcrs(self, selection):
        """PCR values as {bank: {index: bytes}} through tpm2_pcrread."""
        out = self.yaml("tpm2_pcrread", selection)
        sizes = {"sha256": 32, "sha384": 48}
        return {
            bank: {int(i): int(v).to_bytes(sizes[bank], "big") for i, v in values.items()}
            for bank, values in out.items()
        }

    def transients(self):
        return yaml.safe_load(self.ok("tpm2_getcap", "handles-transient")) or []

    def primary(self, hierarchy, alg, *extra):
        """tpm2_createprimary; the public point (x, y) it printed.

        The key stays loaded: its handle is ``self.handle``. Later tools name
        it by handle, not by context file, because each load of a context
        file takes one more object slot (no resource manager flushes them).
        """
        before = self.transients()
        out = self.yaml("tpm2_createprimary", "-C", hierarchy, "-G", alg, "-c", "primary.ctx", *extra)
        check("x" in out and "y" in out, f"createprimary printed no point: {out}")
        new = [h for h in self.transients() if h not in before]
        check(len(new) == 1, f"createprimary loaded {len(new)} objects")
        self.handle = hex(new[0])
        return (str(out["x"]).lower(), str(out["y"]).lower())

    # -- the scenarios -----------------------------------------------------
    def startup(self):
        self.ok("tpm2_startup", "-c")

    def selftest(self):
        self.ok("tpm2_selftest", "--fulltest")
        out = self.yaml("tpm2_gettestresult")
        check(out.get("status") == "success", f"gettestresult: {out}")
        self.ok("tpm2_incrementalselftest", "sha256", "ecc")

    def getcap(self, kind):
        out = yaml.safe_load(self.ok("tpm2_getcap", kind))
        if kind == "algorithms":
            for alg in ("sha256", "sha384", "hmac", "aes", "ecc", "ecdsa", "ecdh", "cfb"):
                check(alg in out, f"algorithm {alg} missing")
            if self.t.name == "sim":
                for alg in ("rsa", "sha1"):
                    check(alg not in out, f"{alg} listed, outside the profile")
        elif kind == "commands":
            for cc in ("Startup", "PCR_Extend", "CreatePrimary", "Quote", "NV_DefineSpace", "Clear"):
                check(f"TPM2_CC_{cc}" in out, f"command {cc} missing")
        elif kind == "pcrs":
            banks = {k: v for entry in out["selected-pcrs"] for k, v in entry.items()}
            for bank in ("sha256", "sha384"):
                check(banks.get(bank) == list(range(24)), f"bank {bank}: {banks.get(bank)}")
            self.fixed["getcap pcrs sha256+sha384"] = {b: banks[b] for b in ("sha256", "sha384")}
        elif kind == "properties-fixed":
            check(out["TPM2_PT_FAMILY_INDICATOR"]["value"] == "2.0", "family is not 2.0")
            check(out["TPM2_PT_PCR_COUNT"]["raw"] == 24, "PCR count is not 24")
            self.fixed["getcap properties-fixed: family, PCR count"] = (
                out["TPM2_PT_FAMILY_INDICATOR"]["raw"],
                out["TPM2_PT_PCR_COUNT"]["raw"],
            )
            self.fixed["getcap properties-fixed: property names"] = sorted(out)
        elif kind == "properties-variable":
            for prop in ("TPM2_PT_PERMANENT", "TPM2_PT_STARTUP_CLEAR"):
                check(prop in out, f"{prop} missing")
            self.fixed["getcap properties-variable: startup-clear enables"] = {
                k: out["TPM2_PT_STARTUP_CLEAR"].get(k) for k in ("phEnable", "shEnable", "ehEnable")
            }
        elif kind == "ecc-curves":
            for curve in ("TPM2_ECC_NIST_P256", "TPM2_ECC_NIST_P384"):
                check(curve in out, f"{curve} missing")
            if self.t.name == "sim":
                check(len(out) == 2, f"curves outside the profile: {sorted(out)}")
        elif kind == "handles-pcr":
            check(out == list(range(24)), f"PCR handles: {out}")
        elif kind == "handles-permanent":
            for h in (0x40000001, 0x40000007, 0x4000000B, 0x4000000C):
                check(h in (out or []), f"permanent handle {h:#x} missing")
        else:
            check(out is None or isinstance(out, list), f"{kind}: not a list of handles: {out}")

    def getrandom(self):
        a, b = self.t.path("r1"), self.t.path("r2")
        self.ok("tpm2_getrandom", "32", "-o", a)
        self.ok("tpm2_getrandom", "32", "-o", b)
        ra, rb = self.read("r1"), self.read("r2")
        check(len(ra) == 32 and len(rb) == 32, f"lengths {len(ra)}, {len(rb)}")
        check(ra != rb, "two GetRandom(32) returned the same bytes")
        check(ra != bytes(32), "GetRandom returned zeros")
        self.ok("tpm2_stirrandom", stdin="some extra entropy")

    def pcrextend(self, bank):
        hashf = getattr(hashlib, bank)
        # PCR 16 starts from zero after a reset; PCR 10 from whatever it holds.
        self.ok("tpm2_pcrreset", "16")
        before = self.pcrs(f"{bank}:10,16")[bank]
        d1 = hashf(b"first measurement").digest()
        d2 = hashf(b"second measurement").digest()
        self.ok("tpm2_pcrextend", f"16:{bank}={d1.hex()}")
        self.ok("tpm2_pcrextend", f"16:{bank}={d2.hex()}")
        self.ok("tpm2_pcrextend", f"10:{bank}={d1.hex()}")
        after = self.pcrs(f"{bank}:10,16")[bank]
        want16 = hashf(hashf(before[16] + d1).digest() + d2).digest()
        want10 = hashf(before[10] + d1).digest()
        check(after[16] == want16, f"PCR 16: {after[16].hex()} != {want16.hex()}")
        check(after[10] == want10, f"PCR 10: {after[10].hex()} != {want10.hex()}")
        self.fixed[f"pcr 16 {bank} after reset and two extends"] = after[16].hex()

    def pcrextend_both_banks(self):
        """One PCR_Extend carrying a digest for each bank."""
        self.ok("tpm2_pcrreset", "23")
        d256 = hashlib.sha256(b"both").digest()
        d384 = hashlib.sha384(b"both").digest()
        self.ok("tpm2_pcrextend", f"23:sha256={d256.hex()},sha384={d384.hex()}")
        got = self.pcrs("sha256:23+sha384:23")
        check(got["sha256"][23] == hashlib.sha256(bytes(32) + d256).digest(), "sha256 bank")
        check(got["sha384"][23] == hashlib.sha384(bytes(48) + d384).digest(), "sha384 bank")

    def pcrevent(self):
        """PCR_Event: the TPM hashes the data in each bank, then extends."""
        data = b"an event the TPM hashes itself"
        self.ok("tpm2_pcrreset", "16")
        # The digests print as bare hex, which YAML could read as a number.
        out = self.ok("tpm2_pcrevent", "16", self.write("event", data))
        printed = dict(re.findall(r"^(\w+): ([0-9a-f]+)$", out, re.M))
        got = self.pcrs("sha256:16+sha384:16")
        for bank, size in (("sha256", 32), ("sha384", 48)):
            event = hashlib.new(bank, data).digest()
            check(printed.get(bank) == event.hex(), f"{bank} event digest {printed.get(bank)}")
            want = hashlib.new(bank, bytes(size) + event).digest()
            check(got[bank][16] == want, f"PCR 16 {bank}: {got[bank][16].hex()} != {want.hex()}")

    def pcrreset(self):
        for pcr in (16, 23):
            self.ok("tpm2_pcrextend", f"{pcr}:sha256={'11' * 32}")
            self.ok("tpm2_pcrreset", str(pcr))
            got = self.pcrs(f"sha256:{pcr}+sha384:{pcr}")
            check(got["sha256"][pcr] == bytes(32), f"PCR {pcr} sha256 not reset")
            check(got["sha384"][pcr] == bytes(48), f"PCR {pcr} sha384 not reset")
        rc = self.fails("tpm2_pcrreset", "10")
        check(rc == TPM_RC_LOCALITY, f"reset of PCR 10: {rc:#x}, expected TPM_RC_LOCALITY")
        self.fixed["pcrreset 10 response code"] = rc

    def hash(self):
        small = b"abc"
        large = bytes(range(256)) * 12  # 3072 bytes: a hash sequence
        for alg, data in (("sha256", small), ("sha384", small), ("sha256", large), ("sha384", large)):
            src = self.write("msg", data)
            self.ok("tpm2_hash", "-C", "o", "-g", alg, "-o", "digest", "-t", "ticket", src)
            want = hashlib.new(alg, data).digest()
            check(self.read("digest") == want, f"{alg} of {len(data)} bytes")

    def hash_large_file(self):
        """A file well over the crypto gate's 16 KiB page: tpm2_hash runs it
        as a hash sequence (HashSequenceStart, 100 SequenceUpdates of 1 KiB,
        SequenceComplete). Checked against sha256sum/sha384sum and hashlib,
        and, through the comparison, against swtpm."""
        data = bytes((i * 31 + (i >> 10)) & 0xFF for i in range(100 * 1024 + 3))
        src = self.write("large", data)
        for alg in ("sha256", "sha384"):
            self.ok("tpm2_hash", "-C", "o", "-g", alg, "-o", "digest", "-t", "ticket", src)
            got = self.read("digest")
            summed = subprocess.run([f"{alg}sum", src], capture_output=True, text=True, check=True)
            check(got.hex() == summed.stdout.split()[0], f"{alg} of {len(data)} bytes: not {alg}sum's")
            check(got == hashlib.new(alg, data).digest(), f"{alg} of {len(data)} bytes: not hashlib's")
            self.fixed[f"tpm2_hash {alg} of {len(data)} bytes"] = got.hex()

    def createprimary(self, alg):
        points = {}
        for hierarchy in ("o", "e"):
            first = self.primary(hierarchy, alg)
            again = self.primary(hierarchy, alg)
            self.flush_transient()
            check(first == again, f"hierarchy {hierarchy}: two keys from one seed and template differ")
            points[hierarchy] = first
        check(points["o"] != points["e"], "owner and endorsement keys are the same")
        self.keys[alg] = points

    def readpublic(self):
        x, y = self.primary("o", "ecc256:ecdsa-sha256", "-a", SIGN_ATTRS)
        out = self.yaml("tpm2_readpublic", "-c", self.handle, "-o", "sign.pub", "-n", "sign.name")
        check((str(out["x"]).lower(), str(out["y"]).lower()) == (x, y), "readpublic point differs")
        # The name is nameAlg || H(TPMT_PUBLIC): recompute it from the area.
        area = self.read("sign.pub")[2:]
        name = self.read("sign.name")
        check(name == b"\x00\x0b" + hashlib.sha256(area).digest(), "the name is not the area's hash")
        self.ok("tpm2_readpublic", "-c", self.handle, "-o", "sign.pem", "-f", "pem")
        text = subprocess.run(
            ["openssl", "ec", "-pubin", "-in", self.t.path("sign.pem"), "-text", "-noout"],
            capture_output=True, text=True,
        ).stdout
        check("prime256v1" in text, "the PEM key is not on P-256")

    def sign_verify(self, alg, digest):
        self.primary("o", f"{alg}:ecdsa-{digest}", "-a", SIGN_ATTRS)
        ctx = self.handle
        self.ok("tpm2_readpublic", "-c", ctx, "-o", "key.pem", "-f", "pem")
        msg = self.write("msg", b"a message to sign")
        self.ok("tpm2_sign", "-c", ctx, "-g", digest, "-f", "plain", "-o", "sig.der", msg)
        openssl = subprocess.run(
            ["openssl", "dgst", f"-{digest}", "-verify", self.t.path("key.pem"),
             "-signature", self.t.path("sig.der"), msg],
            capture_output=True, text=True,
        )
        check(openssl.returncode == 0, f"OpenSSL rejects the signature: {openssl.stdout}{openssl.stderr}")
        self.ok("tpm2_sign", "-c", ctx, "-g", digest, "-o", "sig.tss", msg)
        self.ok("tpm2_verifysignature", "-c", ctx, "-g", digest, "-m", msg, "-s", "sig.tss", "-t", "vt")
        other = self.write("other", b"another message")
        rc = self.fails("tpm2_verifysignature", "-c", ctx, "-g", digest, "-m", other, "-s", "sig.tss")
        check(rc_base(rc) == TPM_RC_SIGNATURE, f"wrong message: {rc:#x}, expected TPM_RC_SIGNATURE")
        self.fixed[f"verifysignature {alg} wrong message code"] = rc

    def quote(self):
        attrs = SIGN_ATTRS + "|restricted"
        self.primary("e", "ecc256:ecdsa-sha256:null", "-a", attrs)
        self.ok("tpm2_readpublic", "-c", self.handle, "-o", "ak.pem", "-f", "pem")
        self.ok("tpm2_pcrextend", f"16:sha256={hashlib.sha256(b'q').hexdigest()}")
        nonce = "1234567890abcdef"
        self.ok("tpm2_quote", "-c", self.handle, "-l", "sha256:10,16,23+sha384:16", "-q", nonce,
                "-m", "q.msg", "-s", "q.sig", "-o", "q.pcrs", "-g", "sha256")
        self.ok("tpm2_checkquote", "-u", "ak.pem", "-m", "q.msg", "-s", "q.sig", "-f", "q.pcrs",
                "-g", "sha256", "-q", nonce)
        r = self.t.tool("tpm2_checkquote", "-u", "ak.pem", "-m", "q.msg", "-s", "q.sig",
                        "-f", "q.pcrs", "-g", "sha256", "-q", "00" * 8)
        check(r.returncode != 0, "checkquote accepted a different nonce")

    def nv(self):
        index = "0x1500016"
        self.ok("tpm2_nvdefine", index, "-C", "o", "-s", "32", "-a", "ownerread|ownerwrite|authread|authwrite")
        pub = self.yaml("tpm2_nvreadpublic", index)
        entry = pub[int(index, 16)]
        check(entry["size"] == 32, f"nvreadpublic size {entry['size']}")
        rc = self.fails("tpm2_nvread", "-C", "o", "-s", "32", index)
        check(rc_base(rc) == TPM_RC_NV_UNINITIALIZED, f"read before write: {rc:#x}")
        self.fixed["nvread before nvwrite code"] = rc
        data = bytes(range(32))
        self.ok("tpm2_nvwrite", "-C", "o", "-i", self.write("nv.in", data), index)
        self.ok("tpm2_nvwrite", "-C", "o", "--offset", "8", "-i", self.write("nv.part", b"WXYZ"), index)
        self.ok("tpm2_nvread", "-C", "o", "-s", "32", "-o", "nv.out", index)
        want = data[:8] + b"WXYZ" + data[12:]
        check(self.read("nv.out") == want, f"nvread: {self.read('nv.out').hex()}")
        pub = self.yaml("tpm2_nvreadpublic", index)
        check("written" in pub[int(index, 16)]["attributes"]["friendly"], "written not set")
        self.ok("tpm2_nvundefine", index, "-C", "o")
        rc = self.fails("tpm2_nvread", "-C", "o", "-s", "32", index)
        self.fixed["nvread after nvundefine code"] = rc

    def flushcontext(self):
        self.primary("o", "ecc256")
        self.primary("o", "ecc384")
        handles = yaml.safe_load(self.ok("tpm2_getcap", "handles-transient")) or []
        check(len(handles) == 2, f"transient handles after two createprimary: {handles}")
        self.ok("tpm2_flushcontext", str(handles[0]))
        left = yaml.safe_load(self.ok("tpm2_getcap", "handles-transient")) or []
        check(left == handles[1:], f"after flushing {handles[0]:#x}: {left}")
        self.flush_transient()
        left = yaml.safe_load(self.ok("tpm2_getcap", "handles-transient")) or []
        check(left == [], f"after flushcontext -t: {left}")

    def hmac_session(self):
        self.primary("o", "ecc256:ecdsa-sha256", "-a", SIGN_ATTRS)
        self.ok("tpm2_startauthsession", "--hmac-session", "-S", "session.ctx")
        msg = self.write("msg", b"signed under an HMAC session")
        self.ok("tpm2_sign", "-c", self.handle, "-p", "session:session.ctx", "-g", "sha256", "-o", "hs.sig", msg)
        self.ok("tpm2_verifysignature", "-c", self.handle, "-g", "sha256", "-m", msg, "-s", "hs.sig")
        self.ok("tpm2_flushcontext", "session.ctx")

    def salted_session(self):
        """A session salted with a loaded ECC key (ECDH + KDFe) encrypts the
        first parameter both ways with AES-128-CFB: what the TPM decrypted is
        checked through a plain read, what it encrypted through the tool."""
        index = "0x1500020"
        data = b"sixteen secrets!"
        self.primary("o", "ecc256")
        self.ok("tpm2_startauthsession", "--hmac-session", "-c", self.handle, "-S", "salted.ctx")
        self.ok("tpm2_nvdefine", index, "-C", "o", "-s", "16", "-a", "ownerread|ownerwrite")
        try:
            self.ok("tpm2_nvwrite", "-C", "o", "-S", "salted.ctx", "-i", self.write("secret", data), index)
            self.ok("tpm2_nvread", "-C", "o", "-s", "16", "-o", "plain.out", index)
            check(self.read("plain.out") == data, "the TPM decrypted the written data wrongly")
            self.ok("tpm2_nvread", "-C", "o", "-s", "16", "-S", "salted.ctx", "-o", "enc.out", index)
            check(self.read("enc.out") == data, "the read data did not decrypt to what was written")
        finally:
            self.t.tool("tpm2_nvundefine", index, "-C", "o")
            self.t.tool("tpm2_flushcontext", "salted.ctx")

    def context_save_load(self):
        """A saved object context loads again after the object was flushed."""
        point = self.primary("o", "ecc256")
        self.ok("tpm2_flushcontext", self.handle)
        out = self.yaml("tpm2_readpublic", "-c", "primary.ctx")
        check((str(out["x"]).lower(), str(out["y"]).lower()) == point, "the reloaded key differs")

    def power_cycle(self):
        """_TPM_Init between Shutdown and Startup, STATE then CLEAR: what
        the TPM keeps (PCR 10 across a resume, NV, seeds) and what it must
        not (PCRs after a restart from CLEAR, loaded objects)."""
        index = "0x1500021"
        d = hashlib.sha256(b"before the power cycle").digest()
        self.ok("tpm2_nvdefine", index, "-C", "o", "-s", "4", "-a", "ownerread|ownerwrite")
        try:
            self.ok("tpm2_nvwrite", "-C", "o", "-i", self.write("nv4", b"kept"), index)
            point = self.primary("o", "ecc256")
            self.ok("tpm2_pcrextend", f"10:sha256={d.hex()}", f"16:sha256={d.hex()}")
            before = self.pcrs("sha256:10,16")["sha256"]

            self.ok("tpm2_shutdown")
            self.t.power_cycle()
            rc = self.fails("tpm2_getrandom", "8")
            check(rc == TPM_RC_INITIALIZE, f"a command before Startup: {rc:#x}")
            self.ok("tpm2_startup")
            after = self.pcrs("sha256:10,16")["sha256"]
            check(after[10] == before[10], "Startup(STATE) lost PCR 10")
            check(self.transients() == [], "objects survived _TPM_Init")
            self.fixed["pcr 16 after Shutdown(STATE) and Startup(STATE)"] = after[16].hex()

            self.ok("tpm2_shutdown", "-c")
            self.t.power_cycle()
            self.ok("tpm2_startup", "-c")
            after = self.pcrs("sha256:10+sha384:10")
            check(after["sha256"][10] == bytes(32) and after["sha384"][10] == bytes(48),
                  "Startup(CLEAR) kept PCR 10")
            self.ok("tpm2_nvread", "-C", "o", "-s", "4", "-o", "nv4.out", index)
            check(self.read("nv4.out") == b"kept", "NV lost across the power cycle")
            check(self.primary("o", "ecc256") == point, "the owner key changed across the power cycle")
        finally:
            self.t.tool("tpm2_nvundefine", index, "-C", "o")

    def changeauth(self):
        self.ok("tpm2_changeauth", "-c", "o", "newownerpass")
        rc = self.fails("tpm2_createprimary", "-C", "o", "-G", "ecc256", "-c", "x.ctx")
        check(rc_base(rc) in (TPM_RC_AUTH_FAIL, TPM_RC_BAD_AUTH), f"wrong owner auth: {rc:#x}")
        self.fixed["createprimary with the old owner auth code"] = rc
        self.primary("o", "ecc256", "-P", "newownerpass")
        self.ok("tpm2_changeauth", "-c", "o", "-p", "newownerpass")
        self.primary("o", "ecc256")

    def clear(self):
        self.ok("tpm2_nvdefine", "0x1500017", "-C", "o", "-s", "8")
        before_o = self.primary("o", "ecc256")
        before_e = self.primary("e", "ecc256")
        self.flush_transient()
        self.ok("tpm2_clear", "-c", "p")
        after_o = self.primary("o", "ecc256")
        after_e = self.primary("e", "ecc256")
        check(after_o != before_o, "Clear kept the storage seed")
        check(after_e == before_e, "Clear changed the endorsement seed")
        nv = yaml.safe_load(self.ok("tpm2_getcap", "handles-nv-index")) or []
        check(0x1500017 not in nv, "Clear kept an owner NV index")

    def bad_handle(self):
        # A transient handle in every TPM's range, with nothing loaded (a
        # handle past the TPM's last slot may be TPM_RC_VALUE instead).
        rc = self.fails("tpm2_readpublic", "-c", "0x80000002")
        check(rc == TPM_RC_REFERENCE_H0, f"{rc:#x}, expected TPM_RC_REFERENCE_H0")
        self.fixed["readpublic of an unloaded transient handle code"] = rc


SIGN_ATTRS = "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign"

GETCAP_KINDS = (
    "algorithms", "commands", "pcrs", "properties-fixed", "properties-variable", "ecc-curves",
    "handles-transient", "handles-persistent", "handles-permanent", "handles-pcr",
    "handles-nv-index", "handles-loaded-session", "handles-saved-session",
)


def scenarios():
    """(name, method, args) in the order they run: state carries over."""
    out = [("startup", Run.startup, ()), ("selftest", Run.selftest, ())]
    out += [(f"getcap {kind}", Run.getcap, (kind,)) for kind in GETCAP_KINDS]
    out += [
        ("getrandom + stirrandom", Run.getrandom, ()),
        ("pcrextend + pcrread sha256", Run.pcrextend, ("sha256",)),
        ("pcrextend + pcrread sha384", Run.pcrextend, ("sha384",)),
        ("pcrextend both banks at once", Run.pcrextend_both_banks, ()),
        ("pcrevent", Run.pcrevent, ()),
        ("pcrreset 16 and 23", Run.pcrreset, ()),
        ("hash sha256 + sha384 (one shot and sequence)", Run.hash, ()),
        ("hash a 100 KiB file (a long sequence)", Run.hash_large_file, ()),
        ("createprimary ecc256 owner + endorsement, twice", Run.createprimary, ("ecc256",)),
        ("createprimary ecc384 owner + endorsement, twice", Run.createprimary, ("ecc384",)),
        ("readpublic (name recomputed, PEM)", Run.readpublic, ()),
        ("sign + verifysignature ecc256 sha256", Run.sign_verify, ("ecc256", "sha256")),
        ("sign + verifysignature ecc384 sha384", Run.sign_verify, ("ecc384", "sha384")),
        ("quote + checkquote", Run.quote, ()),
        ("nvdefine/nvwrite/nvread/nvundefine", Run.nv, ()),
        ("flushcontext", Run.flushcontext, ()),
        ("hmac session", Run.hmac_session, ()),
        ("salted session + parameter encryption", Run.salted_session, ()),
        ("context save + load", Run.context_save_load, ()),
        ("power cycle: Shutdown/Startup STATE, then CLEAR", Run.power_cycle, ()),
        ("changeauth owner", Run.changeauth, ()),
        ("bad handle", Run.bad_handle, ()),
        ("clear", Run.clear, ()),
    ]
    return out


def run_target(kind, sim_binary):
    print(f"== {kind}", flush=True)
    try:
        target = make_target(kind, sim_binary)
        target.start()
    except (RuntimeError, OSError) as e:
        target.stop()
        run = Run(target)
        run.results.append((f"start {kind}", False, str(e)))
        print(f"  FAIL start {kind}: {e}", flush=True)
        return run
    with target:
        run = Run(target)
        for name, method, args in scenarios():
            try:
                method(run, *args)
                run.results.append((name, True, ""))
                print(f"  PASS {name}", flush=True)
            except Failed as e:
                run.results.append((name, False, str(e)))
                print(f"  FAIL {name}: {e}", flush=True)
            except Exception as e:  # a scenario that crashes is a failure, not the suite's end
                run.results.append((name, False, f"{type(e).__name__}: {e}"))
                print(f"  FAIL {name}: {type(e).__name__}: {e}", flush=True)
            # Whatever a scenario left loaded (a failed one, too) is not the next one's problem.
            target.tool("tpm2_flushcontext", "-t")
        return run


def compare(ref, ours, name):
    """One result per spec-fixed output the reference recorded."""
    results = []
    print(f"== {name} against swtpm (outputs fixed by the specification)", flush=True)
    for key, want in ref.fixed.items():
        name = f"agrees with swtpm: {key}"
        if key not in ours.fixed:
            passed, detail = False, "no value (its scenario failed)"
        elif key == "getcap properties-fixed: property names":
            missing = sorted(set(want) - set(ours.fixed[key]))
            passed, detail = not missing, f"missing {missing}"
        else:
            got = ours.fixed[key]
            passed, detail = got == want, f"swtpm {fmt(want)}, {name} {fmt(got)}"
        results.append((name, passed, "" if passed else detail))
        print(f"  {'PASS' if passed else 'FAIL'} {name}{'' if passed else ': ' + detail}", flush=True)
    return results


def fmt(value):
    return f"{value:#x}" if isinstance(value, int) else str(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("sim", "sim-gate", "swtpm", "both"), default="both")
    parser.add_argument("--sim", default="target/release/svsm-vtpm-sim")
    parser.add_argument("--json", help="write every result here")
    args = parser.parse_args()

    kinds = ("swtpm", "sim", "sim-gate") if args.target == "both" else (args.target,)
    runs = {kind: run_target(kind, args.sim) for kind in kinds}
    results = [(kind, *r) for kind, run in runs.items() for r in run.results]
    if args.target == "both":
        for ours in ("sim", "sim-gate"):
            results += [(f"compare {ours}", *r) for r in compare(runs["swtpm"], runs[ours], ours)]

    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump([{"target": t, "scenario": n, "passed": p, "detail": d} for t, n, p, d in results],
                      f, indent=2)
    passed = sum(1 for r in results if r[2])
    failed = len(results) - passed
    print(f"vtpm scenarios: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
