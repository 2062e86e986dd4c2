"""The policy's sections in ISO/IEC 19790:2012 clause 7 / SP 800-140B order:
(title, renderer). A renderer writes the section's lines, without its
heading, through the `Write` it is given; `render` numbers and heads them,
`checker` looks for the titles."""

from . import (environment, general, interfaces, lifecycle, mitigations, roles, selftests,
               software, specification, ssp)

SECTIONS = [
    ("General", general.render),
    ("Cryptographic module specification", specification.render),
    ("Cryptographic module interfaces", interfaces.render),
    ("Roles, services and authentication", roles.render),
    ("Software/firmware security", software.render),
    ("Operational environment", environment.render_operational),
    ("Physical security", environment.render_physical),
    ("Non-invasive security", environment.render_non_invasive),
    ("Sensitive security parameter management", ssp.render),
    ("Self-tests", selftests.render),
    ("Life-cycle assurance", lifecycle.render),
    ("Mitigation of other attacks", mitigations.render),
]

TITLES = [title for title, _ in SECTIONS]
