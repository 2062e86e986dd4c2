"""Unit tests of the policy package: run with
python3 -m unittest discover -s certification/policy/tests (make cert-check)."""

import copy
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from policy.common import PolicyError  # noqa: E402
from policy.manifest import api_from_manifest, check_coverage_fields  # noqa: E402
from policy.sections import TITLES  # noqa: E402
from policy.sections.environment import render_operational  # noqa: E402
from policy.sections.software import integrity as write_integrity  # noqa: E402

MANIFEST = {
    "module": {"api_header": "crypto-c/include/svsm_crypto.h"},
    "object": {"data_bss_bytes": 8192},
    "integrity": {
        "algorithm": "HMAC-SHA-256",
        "hashed_range": "svsm_crypto_text_start..svsm_crypto_text_end",
        "hashed_length": 4096,
        "key_hex": "6b6579",
        "expected_hmac_sha256": "00" * 32,
    },
    "api": {
        "conventions": "- one rule",
        "functions": [{"name": "svsm_crypto_init", "returns": "svsm_crypto_status",
                       "params": [{"type": "const svsm_crypto_callbacks *", "name": "callbacks"}],
                       "group": "Module control", "doc": "Runs the self-tests."}],
        "status_codes": [{"name": "SVSM_CRYPTO_OK", "value": 0, "doc": "success"},
                         {"name": "SVSM_CRYPTO_ERR_ARG", "value": -2, "doc": "bad argument"}],
        "states": [{"name": "SVSM_CRYPTO_STATE_ERROR", "value": 3, "doc": ""}],
        "callbacks": {"doc": "Calls out.", "members": [
            {"name": "context", "declaration": "void *context;", "function": False},
            {"name": "get_noise", "declaration": "int32_t (*get_noise)(void *context);",
             "function": True}]},
        "constants": [{"name": "SVSM_CRYPTO_AES_GCM_IV_LEN", "value": 12, "doc": ""}],
    },
}


def integrity(m, kat):
    lines = []
    write_integrity(m, kat, lines.append)
    return lines


class IntegritySection(unittest.TestCase):
    def test_renders_what_the_manifest_says_is_covered_and_writable(self):
        m = copy.deepcopy(MANIFEST)
        m["integrity"]["covers"] = ["code", "read-only data", "the integrity key"]
        m["writable_data"] = [
            {"symbol": "svsm_integrity_expected", "unit": "integrity.c", "size": 32,
             "why": "set after the link"},
            {"symbol": "module_state", "unit": "module.c", "size": 4096,
             "why": "the state machine"},
        ]
        text = "\n".join(integrity(m, "hmac-sha256-kat"))
        self.assertIn("The HMAC covers: code; read-only data; the integrity key (4,096 bytes).", text)
        self.assertIn("writable objects (4,128 bytes)", text)
        self.assertIn("| `svsm_integrity_expected` | `integrity.c` | 32 | set after the link |", text)
        self.assertIn("| `module_state` | `module.c` | 4,096 | the state machine |", text)
        self.assertIn("its KAT `hmac-sha256-kat` runs before this test", text)
        self.assertIn("24 bits, fixed and public: `6b6579` (ASCII `key`)", text)


class ManifestFields(unittest.TestCase):
    def test_missing_or_malformed_coverage_fields_are_refused(self):
        m = copy.deepcopy(MANIFEST)
        with self.assertRaises(PolicyError):
            check_coverage_fields(m, Path("manifest.json"))
        good = {"symbol": "x", "unit": "u.c", "size": 32, "why": "y"}
        for bad in ([dict(good, size="32")], [dict(good, unit=None)], [{"symbol": "x", "size": 1}], {}):
            m = copy.deepcopy(MANIFEST)
            m["writable_data"] = bad
            with self.assertRaises(PolicyError):
                check_coverage_fields(m, Path("manifest.json"))
        for covers in ("code", []):
            m = copy.deepcopy(MANIFEST)
            m["writable_data"] = [good]
            m["integrity"]["covers"] = covers
            with self.assertRaises(PolicyError):
                check_coverage_fields(m, Path("manifest.json"))

    def test_api_facts_come_from_the_manifest(self):
        api = api_from_manifest(MANIFEST)
        self.assertEqual([f.name for f in api.functions], ["svsm_crypto_init"])
        self.assertEqual(api.functions[0].params[0].ctype, "const svsm_crypto_callbacks *")
        self.assertEqual(api.functions[0].comment, "Runs the self-tests.")
        self.assertEqual(api.statuses[1], ("SVSM_CRYPTO_ERR_ARG", -2, "bad argument"))
        self.assertEqual(api.states, [("SVSM_CRYPTO_STATE_ERROR", 3)])
        self.assertEqual(api.callbacks, ["get_noise"])
        self.assertEqual(api.callback_values, ["void *context;"])
        self.assertEqual(api.constants, {"SVSM_CRYPTO_AES_GCM_IV_LEN": 12})
        self.assertIn("svsm_crypto_callbacks", api.identifiers)

    def test_a_malformed_api_entry_is_refused(self):
        m = copy.deepcopy(MANIFEST)
        del m["api"]["functions"][0]["params"]
        with self.assertRaises(PolicyError):
            api_from_manifest(m)


class Sections(unittest.TestCase):
    def test_the_twelve_sections_of_iso_19790_in_order(self):
        self.assertEqual(len(TITLES), 12)
        self.assertEqual(TITLES[0], "General")
        self.assertEqual(TITLES[4], "Software/firmware security")
        self.assertEqual(TITLES[-1], "Mitigation of other attacks")


class OperationalEnvironment(unittest.TestCase):
    def test_names_sev_snp_vmpl0_with_what_is_and_is_not_verified(self):
        lines = []
        render_operational(None, lines.append)
        text = "\n".join(lines)
        self.assertIn("AMD SEV-SNP guest at VMPL0", text)
        self.assertIn("**AMD SEV-SNP, VMPL0.**", text)
        rows = [l for l in lines if l.startswith("|")]
        verdicts = " ".join(rows)
        self.assertIn("Verified in simulation", verdicts)
        self.assertIn("Not verified", verdicts)


if __name__ == "__main__":
    unittest.main()
