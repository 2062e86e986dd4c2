"""Section 3, Cryptographic module interfaces: the API (as the manifest
carries it) mapped onto the logical interfaces; calls out of the boundary."""

from __future__ import annotations

import sys

from ..common import Write, code, table
from ..loader import Inputs


def render(inp: Inputs, w: Write) -> None:
    m, h = inp.manifest, inp.api
    w("The module's only interface is the C API of the header; there is no physical port. "
      "The logical interfaces map onto function parameters and return values as follows "
      "(control output is not used: the module commands nothing outside itself).")
    w("")
    w(table(["ISO/IEC 19790 interface", "Realised by"], [
        ["Data input", "`const uint8_t *` parameters (messages, keys, IVs, AAD, peer keys, entropy in test mode)"],
        ["Data output", "`uint8_t *` parameters (digests, tags, ciphertext, keys, shared secrets, random bytes)"],
        ["Control input", "function choice, algorithm/curve identifiers, lengths, context pointers, callbacks"],
        ["Status output", "the returned status (service indicator), module state, self-test results"],
        ["Control output", "none"],
        ["Power", "N/A (software)"],
    ]))
    w("")
    w("Per function, as declared in the header:")
    w("")
    rows = []
    for fn in h.functions:
        din = [p.name for p in fn.params if p.is_const_bytes]
        dout = [p.name for p in fn.params if p.is_out_bytes]
        ctrl = [p.name for p in fn.params if not p.is_const_bytes and not p.is_out_bytes
                and not p.ctype.startswith("svsm_crypto_self_test_result")]
        status = [] if fn.returns == "void" else [f"return ({fn.returns})"]
        status += [p.name for p in fn.params if p.ctype.startswith("svsm_crypto_self_test_result")]
        rows.append([code(fn.name), ", ".join(din) or "-", ", ".join(dout) or "-",
                     ", ".join(ctrl) or "-", ", ".join(status) or "-"])
    w(table(["Function", "Data input", "Data output", "Control input", "Status output"], rows))
    w("")
    w("**Calls out of the boundary.** " + h.callbacks_comment + " The callbacks are "
      + ", ".join(code(x) for x in h.callbacks) + ", registered once through `svsm_crypto_init`"
      + (" in `svsm_crypto_callbacks`, which also carries "
         + ", ".join(code(x) for x in h.callback_values) if h.callback_values else "") + ".")
    w("")
    undefined = m["undefined_symbols"]
    if undefined:
        w(f"**Undefined symbols: {', '.join(code(x) for x in undefined)}.** The object references "
          "code outside the boundary; the claim above does not hold for this build.")
        print(f"warning: the object has undefined symbols: {undefined}", file=sys.stderr)
    else:
        w("The object has no undefined symbols (`nm -u svsm-crypto.o` is empty; the builder "
          "checks this and records it in the manifest): apart from the callbacks, the module "
          "calls nothing outside itself. Its exported symbols are exactly the API functions and "
          "the boundary markers:")
        w("")
        w(", ".join(code(x) for x in m["exported_symbols"]))
    w("")
    w("Conventions of the API, from the header:")
    w("")
    w("```text")
    w(h.conventions)
    w("```")
    w("")
