"""Section 9, Sensitive security parameter management: the SSP table, random
bit generation, entropy, generated IVs, zeroisation."""

from __future__ import annotations

import re

from ..common import PolicyError, Write, code, pow2, table
from ..csource import fill
from ..hand import HAND_SSP_ACCESS_LEGEND, HAND_SSPS
from ..loader import Inputs


def render(inp: Inputs, w: Write) -> None:
    f = inp.facts
    w(HAND_SSP_ACCESS_LEGEND)
    w("")
    w(table(["SSP", "Kind", "Size / strength", "Generation", "Entry", "Output", "Storage", "Zeroisation"],
            [[fill(x, f) for x in row] for row in HAND_SSPS]))
    w("")
    w(f"**Random bit generation.** One CTR_DRBG with AES-256 and the derivation function (SP 800-90A rev. 1), owned by the "
      f"module, serves key generation, ECDSA per-message secrets and generated IVs (wolfCrypt's "
      f"random source is redirected to it). Security strength {f['SECURITY_STRENGTH_BITS']} bits; "
      f"seedlen {f['DRBG_SEEDLEN_BITS']} bits; instantiation takes {f['ENTROPY_INPUT_SAMPLES']} "
      f"entropy samples ({f['SECURITY_STRENGTH_BITS']} bits of min-entropy) and a nonce of "
      f"{f['NONCE_SAMPLES']} samples from the entropy source; reseed after "
      f"{pow2(f['DRBG_RESEED_INTERVAL'])} requests; at most {f['SVSM_CRYPTO_DRBG_MAX_REQUEST']:,} "
      f"bytes per request and {f['SVSM_CRYPTO_DRBG_MAX_INPUT']:,} bytes of personalisation or "
      f"additional input. Prediction resistance is an explicit reseed before a request. Callers "
      f"can own further instances (`svsm_crypto_drbg_ctx`), seeded the same way.")
    w("")
    w(f"**Entropy.** The entropy source is outside the boundary: raw samples come from the "
      f"caller's `get_noise` callback, one sample per byte, each credited with "
      f"{f['ENTROPY_BITS_PER_SAMPLE']} bits of min-entropy. Every sample passes the SP 800-90B "
      f"continuous health tests (section 10) before it is used. *LAB TO CONFIRM: the entropy "
      f"assessment (ESV) of RDSEED/RDRAND on the target platform that justifies this claim.*")
    w("")
    w(f"**AES-GCM IVs.** Approved encryption uses a {f['SVSM_CRYPTO_AES_GCM_IV_LEN'] * 8}-bit IV "
      f"the module constructs deterministically (SP 800-38D 8.2.1): a "
      f"{f['GCM_IV_FIXED_LEN'] * 8}-bit fixed field drawn from its DRBG once per key context, "
      f"then a {f['GCM_IV_INVOCATION_LEN'] * 8}-bit invocation field counting that context's "
      f"generated-IV encryptions from 0. At most {pow2(f['GCM_MAX_GENERATED_IVS'])} per key "
      f"context, after which the service fails with `SVSM_CRYPTO_ERR_LIMIT` and the key must be "
      f"loaded into a new context (a new fixed field).")
    w("")
    enter_error = inp.src.functions["module_enter_error"].body
    zeroizers = [n for n in re.findall(r"\b(\w+)\s*\(", enter_error) if n in inp.src.functions]
    zero_svcs = [s.fn for s in inp.services if re.search(r"zeroi[sz]e|cleanse|uninstantiate", s.fn.name)]
    for z in zero_svcs:
        if not re.search(r"\bsvsm_secure_zero\s*\(|_zeroize\s*\(", inp.src.functions[z.name].body):
            raise PolicyError(f"{z.name} no longer zeroises anything: section 9 would be wrong")
    w("**Zeroisation.** " + "; ".join(
        f"{code(z.name)}: {(z.comment or 'zeroes the whole context').rstrip('.')}" for z in zero_svcs) + ". "
      f"Entering the error state runs {', '.join(code(z) for z in zeroizers)}. Every failing "
      "service zeroes all its output buffers. Internal buffers are cleared with "
      "`svsm_secure_zero`, which the compiler cannot remove. Zeroisation services work in every "
      "state and take no input but the context, so they are immediate and cannot fail.")
    w("")
