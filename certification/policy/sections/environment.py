"""Sections 6 to 8: operational environment, physical security, non-invasive
security (all stated by hand)."""

from __future__ import annotations

from ..common import table
from ..hand import (HAND_CALLER, HAND_ENVIRONMENT_NOTES, HAND_NON_INVASIVE, HAND_PHYSICAL,
                    HAND_TESTED_ENVIRONMENTS)
from ..loader import Inputs


def render_operational(inp: Inputs) -> list[str]:
    return [HAND_CALLER, "",
            table(["Operating environment", "Processor", "Status"],
                  [list(r) for r in HAND_TESTED_ENVIRONMENTS]), "",
            HAND_ENVIRONMENT_NOTES, ""]


def render_physical(inp: Inputs) -> list[str]:
    return [HAND_PHYSICAL, ""]


def render_non_invasive(inp: Inputs) -> list[str]:
    return [HAND_NON_INVASIVE, ""]
