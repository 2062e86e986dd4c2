"""Sections 6 to 8: operational environment, physical security, non-invasive
security (all stated by hand)."""

from __future__ import annotations

from ..common import Write, table
from ..hand import (HAND_CALLER, HAND_ENVIRONMENT_NOTES, HAND_NON_INVASIVE, HAND_PHYSICAL,
                    HAND_SNP_ENVIRONMENT, HAND_SNP_ENVIRONMENT_INTRO, HAND_TESTED_ENVIRONMENTS)
from ..loader import Inputs


def render_operational(inp: Inputs, w: Write) -> None:
    w(HAND_CALLER)
    w("")
    w(table(["Operating environment", "Processor", "Status"],
            [list(r) for r in HAND_TESTED_ENVIRONMENTS]))
    w("")
    w(HAND_ENVIRONMENT_NOTES)
    w("")
    w("**AMD SEV-SNP, VMPL0.** " + HAND_SNP_ENVIRONMENT_INTRO)
    w("")
    w(table(["Property of the environment", "Verified"],
            [list(r) for r in HAND_SNP_ENVIRONMENT]))
    w("")


def render_physical(inp: Inputs, w: Write) -> None:
    w(HAND_PHYSICAL)
    w("")


def render_non_invasive(inp: Inputs, w: Write) -> None:
    w(HAND_NON_INVASIVE)
    w("")
