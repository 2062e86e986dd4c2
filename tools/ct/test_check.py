"""Unit tests of the constant-time check's verdict (tools/ct/check.py); make ct
runs them before the check itself."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check  # noqa: E402


class FakeSymbols:
    """A module at [0x1000, 0x2000) with functions every 0x100 bytes."""

    names = {0x1000: "leaky", 0x1100: "allowed_fn", 0x1200: "known_fn"}

    def in_module(self, pc):
        return 0x1000 <= pc < 0x2000

    def name(self, pc):
        base = max(a for a in self.names if a <= pc) if pc >= 0x1000 else None
        return f"{self.names[base]}+{pc - base:#x}" if base is not None else f"{pc:#x}"

    def function(self, pc):
        return self.name(pc).split("+")[0]


ALLOWED = {"allowed_fn": "public by design"}
KNOWN = {"known_fn": "open"}


class Classify(unittest.TestCase):
    def classify(self, errors):
        return check.classify(errors, FakeSymbols(), ALLOWED, KNOWN)

    def test_a_secret_branch_in_an_unlisted_function_is_a_finding(self):
        findings, used, seen = self.classify([("UninitCondition", [0x1004, 0x500], "svc")])
        self.assertEqual(findings, {"leaky+0x4": ("UninitCondition", "svc")})
        self.assertEqual((used, seen), (set(), set()))

    def test_frames_outside_the_module_are_skipped_for_the_innermost_module_one(self):
        # memcpy-like frames outside the module are skipped.
        findings, _, _ = self.classify([("UninitValue", [0x500, 0x1108], "svc")])
        self.assertEqual(findings, {})

    def test_allowlisted_and_known_functions_pass_and_are_reported(self):
        findings, used, seen = self.classify(
            [("UninitCondition", [0x1104], "a"), ("UninitValue", [0x1208], "b")]
        )
        self.assertEqual(findings, {})
        self.assertEqual(used, {"allowed_fn"})
        self.assertEqual(seen, {"known_fn"})

    def test_the_allowlist_covers_secret_dependence_only(self):
        findings, used, _ = self.classify([("InvalidRead", [0x1104], "svc")])
        self.assertIn("allowed_fn+0x4", findings)
        self.assertEqual(used, set())

    def test_an_error_outside_the_module_fails(self):
        findings, _, _ = self.classify([("UninitCondition", [0x500], "svc")])
        self.assertEqual(list(findings), ["outside the module: 0x500"])


class Allowlist(unittest.TestCase):
    def load(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write(text)
        try:
            return check.load_allowlist(f.name)
        finally:
            os.unlink(f.name)

    def test_entries_and_comments(self):
        self.assertEqual(self.load("# comment\n\nfn  why it is public\n"), {"fn": "why it is public"})

    def test_an_entry_without_a_reason_is_refused(self):
        with self.assertRaises(SystemExit):
            self.load("fn\n")

    def test_the_committed_lists_load_and_do_not_overlap(self):
        allowed = check.load_allowlist(check.ALLOWLIST)
        known = check.load_allowlist(check.OPEN_FINDINGS)
        self.assertFalse(set(allowed) & set(known))


if __name__ == "__main__":
    unittest.main()
