"""Section 5, Software/firmware security: the integrity test, and what it
covers as the manifest states it."""

from __future__ import annotations

from ..common import Write, code, table
from ..hand import HAND_INTEGRITY_NOTES
from ..loader import Inputs


def render(inp: Inputs, w: Write) -> None:
    integrity(inp.manifest, inp.integrity_kat(), w)


def integrity(m: dict, kat: str | None, w: Write) -> None:
    """The section from the manifest alone; `kat` is the integrity
    algorithm's KAT when it runs before the integrity test."""
    integ = m["integrity"]
    key = bytes.fromhex(integ["key_hex"])
    hashed = integ["hashed_length"]
    w(f"At power-on (`svsm_crypto_init`), before any service is available, the module computes "
      f"{integ['algorithm']} over {integ['hashed_range']} as it lies in memory, and compares it in "
      f"constant time with the value the builder stored in the object.")
    w("")
    w(table(["Property", "Value"], [
        ["Algorithm", integ["algorithm"] + (f" (approved; its KAT `{kat}` runs before this "
                                            "test, section 10)" if kat else "")],
        ["Range", integ["hashed_range"]],
        ["Range size", f"{hashed:,} bytes"],
        ["Expected value (injected at build)", code(integ["expected_hmac_sha256"])],
        ["Key", f"{len(key) * 8} bits, fixed and public: `{key.hex()}` (ASCII `{key.decode('ascii', 'replace')}`)"],
        ["Where the expected value lives", "`svsm_integrity_expected`, in the writable part of the object, outside the hashed range"],
        ["On failure", "error state; `svsm_crypto_init` returns `SVSM_CRYPTO_ERR_SELF_TEST`"],
    ]))
    w("")
    w(f"**Coverage.** The HMAC covers: {'; '.join(integ['covers'])} ({hashed:,} bytes).")
    writable = m["writable_data"]
    w("")
    total = sum(x["size"] for x in writable)
    w(f"**Writable data.** Everything else in the object is zero padding or one of these "
      f"writable objects ({total:,} bytes), as the manifest lists them, each with the file "
      "defining it and the reason it must be writable; the builder refuses an object that "
      "is not listed:")
    w("")
    w(table(["Symbol", "Defined in", "Bytes", "Why writable"],
            [[code(x["symbol"]), code(x["unit"]), f"{x['size']:,}", x["why"]] for x in writable],
            "llrl"))
    w("")
    w(HAND_INTEGRITY_NOTES)
    w("")
