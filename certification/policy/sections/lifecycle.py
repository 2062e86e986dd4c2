"""Section 11, Life-cycle assurance: what the object is a function of, how to
rebuild and verify it, BREAK builds, guidance."""

from __future__ import annotations

from ..common import Write, code
from ..hand import HAND_BREAK_NOTES, HAND_GUIDANCE
from ..loader import Inputs


def render(inp: Inputs, w: Write) -> None:
    m = inp.manifest
    c, obj = m["compiler"], m["object"]
    flags = {fl for unit in c["flags"] for fl in unit["flags"]}
    repro = [fl for fl in sorted(flags) if fl.startswith("-ffile-prefix-map") or fl in ("-fno-ident", "-g0")]
    w("**Pinned inputs.** The object is a function of the files of section 2.2 (each pinned by "
      f"SHA-256), the wolfCrypt package (pinned by its crates.io checksum "
      f"`{m['wolfcrypt']['package_sha256']}`), the compiler and linker named in section 2.3, and "
      f"the flags listed there. Flags that keep build paths, compiler identification and debug "
      f"information out of the object: {', '.join(code(x) for x in repro) or 'none'}.")
    w("")
    w("**Rebuilding and verifying.**")
    w("")
    w("```sh")
    w("cargo build -p svsm-crypto-object        # writes target/svsm-crypto/svsm-crypto.o and manifest.json")
    w("sha256sum target/svsm-crypto/svsm-crypto.o")
    w(f"# expect {obj['object_sha256']}")
    w("make cert                                # regenerates this document and the ACVP summary")
    w("                                         # in target/certification/")
    w("```")
    w("")
    w("The same object is linked into the SVSM kernel, the host tests and the ACVP harness, so all "
      "of them exercise the bytes named at the top of this document.")
    w("")
    w("**Fault injection (BREAK builds).** " + HAND_BREAK_NOTES + " Ids: "
      + ", ".join(code(x) for x in m["break_ids"]) + ".")
    w("")
    w("**Guidance.** " + HAND_GUIDANCE)
    w("")
