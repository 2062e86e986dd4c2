"""The security-policy generator of the SVSM crypto module, as a package.

A security policy typed by hand drifts from the module it describes: a hash is
pasted from an old build, a self-test is renamed, a service gains a
non-approved path. So this package states nothing it can read. It reads

  * the manifest the builder wrote (target/svsm-crypto/manifest.json): object
    hash and sizes, symbols, compiler and flags, wolfCrypt package, every
    source with its SHA-256, approved algorithms, self-tests, integrity value,
    and (its `api` object) what the API header declares: services with their
    comments and parameters, status codes, states, callbacks, constants. The
    builder is the only reader of the header;
  * crypto-c/boundary.toml: the boundary list and the algorithm table;
  * the module's C sources, for the numbers only code holds (health-test
    cutoffs, DRBG parameters, limits) and for what each service can return
    and touch, found by following its calls (`csource`, `services`);
  * optionally the ACVP summary `svsm-acvp check --write-summary` wrote;

and refuses to write anything when they disagree with each other, or when a
source on disk is not the one the manifest hashed.

Modules:
  common      paths, the error type, Markdown helpers
  hand        HAND-STATED: what no build input says (one place)
  manifest    the builder's manifest and its API facts, shape-checked
  csource     reading the module's C sources (functions, macros, #defines)
  consistency cross-checks between the inputs and against HAND-STATED
  services    what each API function returns and touches
  loader      every input loaded and checked once -> Inputs
  sections/   one module per ISO/IEC 19790 section (or group of sections)
  render      the document in SP 800-140B order
  checker     `--check`: verifies a written policy
  cli         the command line (certification/policy/generate.py)

Python 3.11 standard library only.
"""
