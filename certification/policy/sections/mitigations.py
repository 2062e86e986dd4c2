"""Section 12, Mitigation of other attacks: the compile options against
timing attacks, and where comparisons are constant time."""

from __future__ import annotations

import re

from ..common import Write, code, table
from ..csource import define_comments
from ..hand import HAND_MITIGATIONS
from ..loader import Inputs


def render(inp: Inputs, w: Write) -> None:
    w("The module claims no mitigation of other attacks for validation; the following design "
      "choices against timing attacks are documented for information. Each option is defined in "
      "`crypto-c/config/user_settings.h`:")
    w("")
    comments = define_comments(inp.src.text("crypto-c/config/user_settings.h"))
    w(table(["Option", "Effect", "Comment in user_settings.h"],
            [[code(o), t, comments.get(o, "-")] for o, t in HAND_MITIGATIONS]))
    w("")
    ct_users = sorted({fn.file for fn in inp.src.functions.values()
                       if re.search(r"\bsvsm_ct_equal\s*\(", fn.body)})
    w("Tag and value comparisons inside the module use `svsm_ct_equal`, whose running time depends "
      "only on the length (" + ", ".join(code(x) for x in ct_users) + "): HMAC verification, the "
      "integrity test and the self-tests. AES-GCM decryption checks its tag with wolfCrypt's "
      "constant-time comparison and returns no plaintext when it fails.")
    w("")
