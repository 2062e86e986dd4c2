"""Section 10, Self-tests: the pre-operational tests with their BREAK
variants, the conditional tests (health tests recomputed from SP 800-90B),
what a failure does."""

from __future__ import annotations

import json
import re

from ..common import PolicyError, Write, code, table
from ..csource import apt_cutoff, health_alpha_exponent, rct_cutoff
from ..loader import Inputs


def render(inp: Inputs, w: Write) -> None:
    m, h, f = inp.manifest, inp.api, inp.facts
    covered, kat = inp.coverage(), inp.integrity_kat()
    w("**Pre-operational and cryptographic algorithm self-tests.** `svsm_crypto_init` runs them "
      "all, in this order, before any service is available; the first failure stops the sequence "
      "and leaves the module in the error state. Each test has a stable id (used in reports, in "
      "the manifest and by BREAK builds) and a name the caller can print "
      "(`svsm_crypto_self_test_key`, `svsm_crypto_self_test_name`, "
      "`svsm_crypto_self_test_result_get`).")
    w("")
    break_dir = inp.manifest_path.parent / "break"
    rows = []
    for i, t in enumerate(m["self_tests"], 1):
        variant = "-"
        if t["id"] in m["break_ids"]:
            variant = "yes"
            vm = break_dir / t["id"] / "manifest.json"
            if vm.is_file():
                try:
                    vj = json.loads(vm.read_text(encoding="utf-8"))
                    variant = f"built, object `{vj['object']['object_sha256'][:16]}...`"
                    if vj.get("sources") != m["sources"]:
                        variant += " (stale: built from other sources; rebuild it)"
                except (ValueError, KeyError, TypeError):
                    variant = "yes (variant manifest unreadable)"
        what = ", ".join(covered.get(t["id"], [])) or ("software integrity" if t["id"] == "integrity" else "-")
        rows.append([i, code(t["id"]), t["name"], what, variant])
    w(table(["#", "Id", "Name", "Covers", "BREAK variant"], rows))
    w("")
    if kat:
        w(f"The KAT of the integrity algorithm ({code(kat)}) runs before the integrity "
          "test, so the integrity test never relies on an untested algorithm.")
        w("")
    already = next((d for n, _, d in h.statuses if n == "SVSM_CRYPTO_ERR_ALREADY"), None)
    if already:
        w("**On demand.** The pre-operational self-tests run again only when the module is "
          "restarted with the image: a second `svsm_crypto_init` fails with "
          f"`SVSM_CRYPTO_ERR_ALREADY` ({already}). *LAB TO CONFIRM: restart as the on-demand "
          "self-test mechanism.*")
        w("")
    alpha = health_alpha_exponent(inp.src)
    H, W = f["ENTROPY_BITS_PER_SAMPLE"], f["APT_WINDOW"]
    if alpha is not None:
        want_rct, want_apt = rct_cutoff(alpha, H), apt_cutoff(alpha, H, W)
        if (want_rct, want_apt) != (f["RCT_CUTOFF"], f["APT_CUTOFF"]):
            raise PolicyError(f"crypto-c/src/entropy.c: cutoffs RCT {f['RCT_CUTOFF']}, APT "
                              f"{f['APT_CUTOFF']} do not match SP 800-90B for alpha = 2^-{alpha}, "
                              f"H = {H}, W = {W} (expected {want_rct}, {want_apt})")
        alpha_text = (f"alpha = 2^-{alpha}; both cutoffs recomputed from the SP 800-90B formulas "
                      f"by the generator and found equal to the code's")
    else:
        alpha_text = "the false-positive rate alpha is not stated in entropy.c"
    keygen = inp.src.functions["svsm_crypto_ecc_keygen"].body
    pct = "module_enter_error" in keygen
    w("**Conditional self-tests.**")
    w("")
    rows = [
        ["Repetition Count Test (SP 800-90B 4.4.1)", "every entropy sample",
         f"cutoff C = {f['RCT_CUTOFF']} identical consecutive samples (H = {H})"],
        ["Adaptive Proportion Test (SP 800-90B 4.4.2)", "every entropy sample",
         f"window W = {W}, cutoff C = {f['APT_CUTOFF']}"],
        ["Entropy start-up test (SP 800-90B 4.3)", "at power-on (`entropy-startup` above)",
         f"RCT and APT over {f['ENTROPY_STARTUP_SAMPLES']:,} samples"],
    ]
    if pct:
        rows.append(["Pairwise consistency test (FIPS 140-3 IG 10.3.A)", "every `svsm_crypto_ecc_keygen`",
                     "sign a fixed digest with the new private key, verify with the new public key"])
    w(table(["Test", "When", "Parameters"], rows))
    w("")
    w(f"Health-test parameters: {alpha_text}.")
    w("")
    # The statuses the next paragraph names, checked against the code that returns them.
    for fn, status in [("svsm_crypto_init", "SVSM_CRYPTO_ERR_SELF_TEST"),
                       ("svsm_crypto_init", "SVSM_CRYPTO_ERR_ENTROPY"),
                       ("svsm_crypto_random", "SVSM_CRYPTO_ERR_ENTROPY"),
                       ("svsm_crypto_ecc_keygen", "SVSM_CRYPTO_ERR_SELF_TEST")]:
        if status not in inp.src.functions[fn].body:
            raise PolicyError(f"{fn} no longer returns {status}: section 10 would be wrong")
    for fn in ("svsm_crypto_ecc_keygen", "entropy_get"):
        if "module_enter_error" not in inp.src.functions[fn].body:
            raise PolicyError(f"{fn} no longer enters the error state: section 10 would be wrong")
    enter = re.search(r"SERVICE_FAIL\((SVSM_CRYPTO_ERR_\w+)\)", inp.src.macros.get("SERVICE_ENTER", ""))
    single = enter.group(1) if enter else None
    w("**On failure.** Any failed self-test, health test or pairwise consistency test puts the "
      "module in the error state (`SVSM_CRYPTO_STATE_ERROR`) and zeroises the module's DRBG "
      "state and entropy state. The call that detected it fails: `svsm_crypto_init` with "
      "`SVSM_CRYPTO_ERR_SELF_TEST` (or `SVSM_CRYPTO_ERR_ENTROPY` when the module DRBG cannot be "
      "seeded), a health-test failure with `SVSM_CRYPTO_ERR_ENTROPY`, a failed pairwise "
      "consistency test with `SVSM_CRYPTO_ERR_SELF_TEST`. From then on every gated service "
      + (f"returns the single error code `{single}` " if single else "fails ")
      + "with all outputs zeroed; only the status services (state, self-test results, version) "
      "and zeroisation keep working. The state is final until the module is reloaded with the "
      "image. `svsm_crypto_failed_self_test` names the failed test.")
    w("")
    if not pct:
        raise PolicyError("svsm_crypto_ecc_keygen no longer enters the error state on a failed "
                          "pairwise consistency test: section 10 would be wrong")
