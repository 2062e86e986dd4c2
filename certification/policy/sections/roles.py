"""Section 4, Roles, services and authentication: the role, the service
indicator, one row per service, the module states."""

from __future__ import annotations

import re

from ..common import PolicyError, Write, code, table
from ..csource import comment_text
from ..hand import HAND_ROLE_MODEL, HAND_SERVICE_NAMES, HAND_SSP_ACCESS_LEGEND
from ..loader import Inputs


def render(inp: Inputs, w: Write) -> None:
    h = inp.api
    w(HAND_ROLE_MODEL)
    w("")
    w(table(["Role", "Authentication", "Services"], [
        ["Crypto Officer (also User)", "None (level 1): implicit, by calling the API", "All services below"],
    ]))
    w("")
    w("**Service indicator.** Every cryptographic service returns a status; a value >= 0 is "
      "success and is the service indicator:")
    w("")
    w(table(["Status", "Value", "Meaning"], [[code(n), v, d] for n, v, d in h.statuses]))
    w("")
    w("**Services.** One row per API function of the header; the header notes are its comment "
      "on the function. The indicator is the set of success statuses the function can return, "
      "and the SSPs are those its parameters carry plus the module SSPs it reaches, both found "
      "by following its calls through the sources. "
      + HAND_SSP_ACCESS_LEGEND + " \"Gated\" services are the cryptographic services: they fail "
      "with `SVSM_CRYPTO_ERR_STATE` and zeroed outputs unless the module is operational, and only "
      "they carry a service indicator. The others (status, self-test, zeroisation) work in every "
      "state and perform no security function on caller data.")
    w("")
    rows = []
    for s in inp.services:
        ind = {(): "-",
               ("SVSM_CRYPTO_OK",): "`OK` (approved)",
               ("SVSM_CRYPTO_OK_NON_APPROVED",): "`OK_NON_APPROVED` (non-approved)",
               ("SVSM_CRYPTO_OK", "SVSM_CRYPTO_OK_NON_APPROVED"):
                   "`OK` or `OK_NON_APPROVED` (section 2.6)"}.get(tuple(s.indicators), ", ".join(s.indicators))
        if s.gated and not s.indicators:
            raise PolicyError(f"{s.fn.name}: no success status found in the sources")
        ssps = "; ".join(f"{name} ({acc})" for name, acc in s.ssps) or "-"
        rows.append([HAND_SERVICE_NAMES[s.fn.name], code(s.fn.name), s.fn.comment or "-", ssps, ind,
                     "yes" if s.gated else "no"])
    w(table(["Service", "Function", "Header notes", "SSPs (access)", "Indicator", "Gated"], rows))
    w("")
    w("Module states (`svsm_crypto_state`):")
    w("")
    w(table(["State", "Value"], [[code(n), v] for n, v in h.states]))
    w("")
    w("The state machine, from `crypto-c/src/module.c`:")
    w("")
    w("```text")
    w(comment_text(re.match(r"\s*/\*.*?\*/", inp.src.text("crypto-c/src/module.c"), re.S).group(0)))
    w("```")
    w("")
