"""What each service does, found in the sources: the success statuses it can
return (its service indicator), whether it is gated on the module state, the
SSPs its parameters carry and the module SSPs it reaches, and its errors."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from .csource import Sources
from .hand import HAND_INTERNAL_SSP_USES, HAND_SSP_PARAMETERS
from .manifest import Api, ApiFunction


@dataclass
class Service:
    fn: ApiFunction
    indicators: list[str]            # success statuses it can return
    gated: bool                      # refuses to run unless operational
    ssps: list[tuple[str, str]]      # (SSP, access)
    errors: list[str]


def analyse_services(api: Api, src: Sources) -> list[Service]:
    ok_names = [s for s, v, _ in api.statuses if v >= 0]
    err_names = [s for s, v, _ in api.statuses if v < 0]
    out = []
    for f in api.functions:
        body = src.body_of_reach(f.name)
        own = src.functions[f.name].body
        if f.returns == "svsm_crypto_status" and re.search(r"\bSERVICE_ENTER\s*\(", own):
            indicators = [s for s in ok_names if re.search(rf"\b{s}\b", body)]
            errors = [s for s in err_names if re.search(rf"\b{s}\b", body)]
        else:
            indicators, errors = [], []
        gated = re.search(r"\bSERVICE_ENTER\s*\(", own) is not None
        ssps: dict[str, set[str]] = {}
        for glob, pname, ssp, in_access, out_access in HAND_SSP_PARAMETERS:
            if not fnmatch.fnmatchcase(f.name, glob):
                continue
            for p in f.params:
                if p.name == pname:
                    access = out_access if (p.is_out_bytes or (p.is_context and out_access)) else in_access
                    if access:
                        ssps.setdefault(ssp, set()).update(access.split(","))
        reached = src.reach(f.name, frozenset(fn for fn, _, _ in HAND_INTERNAL_SSP_USES))
        for fn, ssp, access in HAND_INTERNAL_SSP_USES:
            if fn in reached:
                ssps.setdefault(ssp, set()).update(access.split(","))
        order = "GRWEZ"
        out.append(Service(f, indicators, gated,
                           [(k, ",".join(sorted(v, key=order.index))) for k, v in ssps.items()],
                           errors))
    return out
