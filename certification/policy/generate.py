#!/usr/bin/env python3
"""Writes the module's security policy draft from its build inputs.

A security policy that is typed by hand drifts from the module it describes:
a hash is pasted from an old build, a self-test is renamed, a service gains a
non-approved path. So this script states nothing it can read. It reads

  * the manifest the builder wrote (target/svsm-crypto/manifest.json): object
    hash and sizes, symbols, compiler and flags, wolfCrypt package, every
    source with its SHA-256, approved algorithms, self-tests, integrity value;
  * the API header (crypto-c/include/svsm_crypto.h): services, their comments
    and parameters, status codes, states, callbacks, the self-test list;
  * crypto-c/boundary.toml: the boundary list and the algorithm table;
  * the module's C sources, for the numbers only code holds (health-test
    cutoffs, DRBG parameters, limits) and for what each service can return
    and touch, found by following its calls;

and refuses to write anything when they disagree with each other, or when a
source on disk is not the one the manifest hashed (the policy would describe
code that is not in the object).

What cannot be read from a build input (the role model, the tested platform,
what an SSP is called, what a compile option mitigates) is stated once, in the
HAND-STATED section below, and everything there that names a function, a
parameter or a compile option is checked against the inputs, so a rename
breaks the generator instead of the document.

The output has the twelve sections of ISO/IEC 19790:2012 in the order
NIST SP 800-140B asks for. `--check` verifies a written policy (used by tests).

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import hashlib
import json
import math
import re
import sys
import textwrap
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_MANIFEST = REPO / "target/svsm-crypto/manifest.json"
DEFAULT_OUTPUT = REPO / "certification/security-policy.md"
DEFAULT_ACVP = REPO / "certification/acvp/summary.json"
BOUNDARY = "crypto-c/boundary.toml"
GENERATOR = "certification/policy/generate.py"

# ISO/IEC 19790:2012 clause 7 / SP 800-140B order. `--check` looks for these.
SECTIONS = [
    "General",
    "Cryptographic module specification",
    "Cryptographic module interfaces",
    "Roles, services and authentication",
    "Software/firmware security",
    "Operational environment",
    "Physical security",
    "Non-invasive security",
    "Sensitive security parameter management",
    "Self-tests",
    "Life-cycle assurance",
    "Mitigation of other attacks",
]

# How far into the document the object hash must appear ("near the top").
HASH_WITHIN_LINES = 12

# =============================================================================
# HAND-STATED: everything in this section is a statement no build input makes.
# Identifiers named here (functions, parameters, compile options) are checked
# against the header, the sources and user_settings.h when the policy is
# generated; prose is the only thing a reviewer must keep true by hand.
# =============================================================================

HAND_SECURITY_LEVELS = [
    # (ISO/IEC 19790 area, level claimed)
    ("Cryptographic module specification", "1"),
    ("Cryptographic module interfaces", "1"),
    ("Roles, services, and authentication", "1"),
    ("Software/firmware security", "1"),
    ("Operational environment", "1"),
    ("Physical security", "N/A (software module)"),
    ("Non-invasive security", "N/A (no mitigations claimed)"),
    ("Sensitive security parameter management", "1"),
    ("Self-tests", "1"),
    ("Life-cycle assurance", "1"),
    ("Mitigation of other attacks", "1 (documented, not tested: section 12)"),
]
HAND_OVERALL_LEVEL = "1"
HAND_MODULE_TYPE = "Software"
HAND_EMBODIMENT = "Multi-chip standalone (a software module executing on a general-purpose x86_64 CPU)"

HAND_CALLER = (
    "The module is linked into the SVSM kernel (`kernel/`), which is its only caller. "
    "The kernel initialises it once at boot, giving it an entropy callback (RDSEED, falling "
    "back to RDRAND) and a timestamp callback (TSC); all cryptography then runs in ring 0 "
    "on x86_64 with interrupts disabled, one call at a time."
)

HAND_TESTED_ENVIRONMENTS = [
    # (operating environment, processor, status)
    ("SVSM kernel, ring 0, QEMU TCG guest (x86_64)", "QEMU TCG CPU model (emulated)",
     "development platform; not a certification platform"),
    ("SVSM kernel, ring 0, AMD SEV-SNP guest at VMPL0", "AMD EPYC with SEV-SNP",
     "target platform; to be tested by the lab"),
]

HAND_ROLE_MODEL = (
    "The module supports one role, the Crypto Officer, which also holds every User "
    "service. The calling SVSM kernel assumes the role implicitly by calling the API; "
    "there is no other operator. The module does not authenticate the role (allowed at "
    "security level 1): the kernel is the only code that can reach the module's entry "
    "points, which are not exposed to the guest."
)

HAND_SSP_ACCESS_LEGEND = (
    "G = generated by the module, R = read/output from the module, W = written/input "
    "to the module, E = executed (used in an operation), Z = zeroised."
)

# Which parameter of which service carries which SSP. (function glob, parameter,
# SSP, access when it is an input, access when it is an output). Every rule must
# match a parameter of the header, or generation fails.
HAND_SSP_PARAMETERS = [
    ("svsm_crypto_hmac*", "key", "HMAC key", "W,E", None),
    ("svsm_crypto_aes_gcm_init", "key", "AES key", "W", None),
    ("svsm_crypto_aes_gcm_init", "ctx", "AES key", None, "G"),
    ("svsm_crypto_aes_gcm_seal*", "ctx", "AES key", "E", None),
    ("svsm_crypto_aes_gcm_open", "ctx", "AES key", "E", None),
    ("svsm_crypto_aes_gcm_cleanse", "ctx", "AES key", "Z", None),
    ("svsm_crypto_hkdf", "ikm", "HKDF input keying material", "W,E", None),
    ("svsm_crypto_hkdf_extract", "ikm", "HKDF input keying material", "W,E", None),
    ("svsm_crypto_hkdf_extract", "prk", "HKDF pseudorandom key", None, "G,R"),
    ("svsm_crypto_hkdf_expand", "prk", "HKDF pseudorandom key", "W,E", None),
    ("svsm_crypto_hkdf*", "okm", "HKDF output keying material", None, "G,R"),
    ("svsm_crypto_drbg_instantiate*", "ctx", "DRBG internal state (V, C)", None, "G"),
    ("svsm_crypto_drbg_generate", "ctx", "DRBG internal state (V, C)", "E", None),
    ("svsm_crypto_drbg_reseed*", "ctx", "DRBG internal state (V, C)", "E", None),
    ("svsm_crypto_drbg_uninstantiate", "ctx", "DRBG internal state (V, C)", "Z", None),
    ("svsm_crypto_drbg_*_test", "entropy", "Entropy input (caller-supplied, test mode)", "W,E", None),
    ("svsm_crypto_drbg_instantiate_test", "nonce", "Entropy input (caller-supplied, test mode)", "W,E", None),
    ("svsm_crypto_ecc_keygen", "private_key", "ECC private key", None, "G,R"),
    ("svsm_crypto_ecc_keygen", "public_key", "ECC public key", None, "G,R"),
    ("svsm_crypto_ecc_public_key_derive", "private_key", "ECC private key", "W,E", None),
    ("svsm_crypto_ecc_public_key_derive", "public_key", "ECC public key", None, "G,R"),
    ("svsm_crypto_ecc_public_key_validate", "public_key", "ECC public key", "W,E", None),
    ("svsm_crypto_ecdsa_sign_digest", "private_key", "ECC private key", "W,E", None),
    ("svsm_crypto_ecdsa_verify_digest", "public_key", "ECC public key", "W,E", None),
    ("svsm_crypto_ecdh_shared_secret", "private_key", "ECC private key", "W,E", None),
    ("svsm_crypto_ecdh_shared_secret", "peer_public_key", "ECC public key", "W,E", None),
    ("svsm_crypto_ecdh_shared_secret", "shared_secret", "Shared secret Z", None, "G,R"),
]

# SSPs the module uses on its own, found by following each service's calls in
# the sources: (module function the service reaches, SSP, access). The search
# does not look past these functions, so "uses the module DRBG" does not also
# list the entropy a reseed inside it may draw.
HAND_INTERNAL_SSP_USES = [
    ("module_drbg_instantiate", "Module DRBG internal state (V, C)", "G"),
    ("module_random", "Module DRBG internal state (V, C)", "E"),
    ("module_drbg_zeroize", "Module DRBG internal state (V, C)", "Z"),
    ("entropy_get", "Entropy input (from the entropy source)", "G,E"),
]
# wolfCrypt calls that draw from the WC_RNG handed to them (key generation,
# the ECDSA per-message secret, blinding of the ECDH scalar multiplication).
# WC_RNG draws from the function user_settings.h names as
# CUSTOM_RAND_GENERATE_BLOCK, so a module function calling one of these
# reaches that function.
HAND_WOLFCRYPT_RNG_DRAWERS = ["wc_ecc_make_key_ex", "wc_ecc_sign_hash_ex", "wc_ecc_shared_secret"]

# The service each API function provides, as an SP 800-140B services table
# names it. Must list exactly the header's functions.
HAND_SERVICE_NAMES = {
    "svsm_crypto_init": "Initialise; run the pre-operational self-tests",
    "svsm_crypto_state": "Show status: module state",
    "svsm_crypto_failed_self_test": "Show status: failed self-test",
    "svsm_crypto_self_test_result_get": "Show status: one self-test's result and timing",
    "svsm_crypto_self_test_key": "Show status: self-test id",
    "svsm_crypto_self_test_name": "Show status: self-test name",
    "svsm_crypto_version": "Show module name and version",
    "svsm_crypto_zeroize": "Zeroise the module's SSPs",
    "svsm_crypto_hash": "SHA-2 hash, one-shot",
    "svsm_crypto_hash_init": "SHA-2 hash, streaming: start",
    "svsm_crypto_hash_update": "SHA-2 hash, streaming: absorb data",
    "svsm_crypto_hash_final": "SHA-2 hash, streaming: finish",
    "svsm_crypto_hash_cleanse": "Cleanse a hash context",
    "svsm_crypto_hmac": "HMAC generation",
    "svsm_crypto_hmac_verify": "HMAC verification",
    "svsm_crypto_hkdf": "HKDF extract-then-expand",
    "svsm_crypto_hkdf_extract": "HKDF extract",
    "svsm_crypto_hkdf_expand": "HKDF expand",
    "svsm_crypto_aes_gcm_init": "AES-GCM key setup",
    "svsm_crypto_aes_gcm_seal": "AES-GCM encryption, caller-supplied IV",
    "svsm_crypto_aes_gcm_seal_generated_iv": "AES-GCM encryption, module-generated IV",
    "svsm_crypto_aes_gcm_open": "AES-GCM decryption",
    "svsm_crypto_aes_gcm_cleanse": "Zeroise an AES-GCM context",
    "svsm_crypto_drbg_instantiate": "DRBG instantiate (caller instance)",
    "svsm_crypto_drbg_generate": "DRBG generate (caller instance)",
    "svsm_crypto_drbg_reseed": "DRBG reseed (caller instance)",
    "svsm_crypto_drbg_uninstantiate": "DRBG uninstantiate (zeroise a caller instance)",
    "svsm_crypto_drbg_instantiate_test": "DRBG instantiate with caller entropy (mechanism testing)",
    "svsm_crypto_drbg_reseed_test": "DRBG reseed with caller entropy (mechanism testing)",
    "svsm_crypto_random": "Random bits from the module DRBG",
    "svsm_crypto_ecc_keygen": "ECC key pair generation",
    "svsm_crypto_ecc_public_key_validate": "ECC public-key validation",
    "svsm_crypto_ecc_public_key_derive": "ECC public key from a private key",
    "svsm_crypto_ecdsa_sign_digest": "ECDSA signature generation",
    "svsm_crypto_ecdsa_verify_digest": "ECDSA signature verification",
    "svsm_crypto_ecdh_shared_secret": "ECC CDH shared secret computation",
}

# When each service that can return SVSM_CRYPTO_OK_NON_APPROVED does so. The
# set of services, and always/conditionally, must equal what the sources say.
HAND_NON_APPROVED = {
    "svsm_crypto_hmac": ("conditionally",
        "The key is shorter than {HMAC_MIN_APPROVED_KEY_LEN} bytes ({HMAC_MIN_APPROVED_KEY_BITS} bits, SP 800-131A)."),
    "svsm_crypto_hmac_verify": ("conditionally",
        "The key is shorter than {HMAC_MIN_APPROVED_KEY_LEN} bytes ({HMAC_MIN_APPROVED_KEY_BITS} bits, SP 800-131A)."),
    "svsm_crypto_aes_gcm_seal": ("always",
        "The IV comes from the caller, so the module cannot enforce its uniqueness (SP 800-38D 8). "
        "Approved encryption is svsm_crypto_aes_gcm_seal_generated_iv."),
    "svsm_crypto_drbg_instantiate_test": ("always",
        "The caller supplies the entropy input (ACVP mechanism testing); the output is not random."),
    "svsm_crypto_drbg_reseed_test": ("always",
        "The caller supplies the entropy input; from then on the instance is in test mode."),
    "svsm_crypto_drbg_generate": ("conditionally",
        "The instance was seeded or reseeded with caller entropy (test mode)."),
    "svsm_crypto_drbg_reseed": ("conditionally",
        "The instance was seeded or reseeded with caller entropy (test mode); it stays in test mode."),
}

# The SSP table of section 9. Columns after the name: kind, size/strength,
# generation, entry, output, storage, zeroisation. `{NAME}` is replaced by a
# fact read from the inputs (see Facts); an unknown name fails generation.
HAND_SSPS = [
    ("DRBG internal state (V, C)", "CSP",
     "V and C, {DRBG_SEEDLEN} bytes each ({DRBG_SEEDLEN_BITS} bits); {SECURITY_STRENGTH_BITS}-bit security strength",
     "Hash_DRBG instantiate/reseed (SP 800-90A rev. 1 10.1.1) from entropy input",
     "Never entered (test mode: derived from caller entropy, service non-approved)",
     "Never output",
     "Module instance: module data section. Caller instances: caller-provided svsm_crypto_drbg_ctx ({SVSM_CRYPTO_DRBG_CTX_SIZE} bytes)",
     "svsm_crypto_drbg_uninstantiate (caller instance); svsm_crypto_zeroize and entry to the error state (module instance)"),
    ("Entropy input (from the entropy source)", "CSP",
     "{ENTROPY_INPUT_SAMPLES} samples ({SECURITY_STRENGTH_BITS} bits min-entropy) + nonce of {NONCE_SAMPLES} samples",
     "get_noise callback, through the SP 800-90B health tests",
     "Raw noise from the entropy source outside the boundary, through the get_noise callback",
     "Never output",
     "Stack buffers during instantiate/reseed",
     "Zeroised immediately after use; health-test state zeroised by svsm_crypto_zeroize and on entry to the error state"),
    ("Entropy input (caller-supplied, test mode)", "CSP (test only)",
     "At least {MIN_ENTROPY_LEN} bytes entropy, {MIN_NONCE_LEN} bytes nonce",
     "N/A",
     "Caller, plaintext, through svsm_crypto_drbg_instantiate_test / svsm_crypto_drbg_reseed_test",
     "Never output",
     "Not retained (absorbed into the caller's DRBG state)",
     "The caller's buffer is the caller's; the DRBG state by svsm_crypto_drbg_uninstantiate"),
    ("ECC private key", "CSP",
     "P-256 ({SVSM_CRYPTO_P256_SCALAR_LEN} bytes), P-384 ({SVSM_CRYPTO_P384_SCALAR_LEN} bytes)",
     "svsm_crypto_ecc_keygen (FIPS 186-5 A.2.2, module DRBG), followed by a pairwise consistency test",
     "Caller, plaintext, per call",
     "svsm_crypto_ecc_keygen, plaintext, to the caller's buffer",
     "Not retained: imported per call into a stack structure",
     "Stack copies zeroised before each service returns; caller buffers are the caller's"),
    ("ECDSA per-message secret k", "CSP",
     "Scalar of the curve's order size",
     "Module DRBG through wolfCrypt's WC_RNG",
     "Never entered (fixed k exists only for the self-test)",
     "Never output",
     "Stack, during svsm_crypto_ecdsa_sign_digest",
     "Zeroised before the service returns"),
    ("Shared secret Z", "CSP",
     "P-256: 32 bytes, P-384: 48 bytes",
     "svsm_crypto_ecdh_shared_secret (SP 800-56A rev. 3 5.7.1.2)",
     "N/A",
     "To the caller's buffer, plaintext",
     "Not retained",
     "Stack copies zeroised before the service returns"),
    ("HMAC key", "CSP",
     "Any length; approved use at least {HMAC_MIN_APPROVED_KEY_LEN} bytes ({HMAC_MIN_APPROVED_KEY_BITS} bits)",
     "N/A (entered)",
     "Caller, plaintext, per call",
     "Never output",
     "Not retained: wolfCrypt Hmac structure on the stack",
     "Stack structure zeroised before the service returns"),
    ("HKDF input keying material", "CSP",
     "Any length",
     "N/A (entered)",
     "Caller, plaintext, per call",
     "Never output",
     "Not retained",
     "Stack structures zeroised by wolfCrypt before the service returns"),
    ("HKDF pseudorandom key", "CSP",
     "Digest size of the hash",
     "svsm_crypto_hkdf_extract, or internally by svsm_crypto_hkdf",
     "Caller, plaintext (svsm_crypto_hkdf_expand)",
     "svsm_crypto_hkdf_extract, plaintext",
     "Not retained",
     "Internal copies zeroised before the service returns"),
    ("HKDF output keying material", "CSP",
     "Up to 255 times the digest size",
     "svsm_crypto_hkdf, svsm_crypto_hkdf_expand (SP 800-56C rev. 2)",
     "N/A",
     "To the caller's buffer, plaintext",
     "Not retained",
     "N/A (output only)"),
    ("AES key", "CSP",
     "128 or 256 bits",
     "N/A (entered)",
     "Caller, plaintext, svsm_crypto_aes_gcm_init",
     "Never output",
     "Expanded key schedule and GHASH key in the caller-provided svsm_crypto_aes_gcm_ctx ({SVSM_CRYPTO_AES_GCM_CTX_SIZE} bytes)",
     "svsm_crypto_aes_gcm_cleanse"),
    ("ECC public key", "PSP",
     "2 x scalar length (X || Y)",
     "svsm_crypto_ecc_keygen, svsm_crypto_ecc_public_key_derive",
     "Caller, plaintext; fully validated (SP 800-56A rev. 3 5.6.2.3.3)",
     "To the caller's buffer",
     "Not retained",
     "N/A (public)"),
    ("Software integrity key", "Public value (not an SSP)",
     "{INTEGRITY_KEY_BITS} bits",
     "Fixed at build time",
     "N/A",
     "Never output by a service (published in section 5)",
     "Module read-only data (inside the integrity-protected range)",
     "N/A (public)"),
]

# Compile options of crypto-c/config/user_settings.h and what they mitigate
# (section 12). Each must be defined there, or generation fails.
HAND_MITIGATIONS = [
    ("WOLFSSL_AESNI",
     "AES and GHASH use AES-NI and PCLMULQDQ when the CPU has them (selected at run time "
     "from CPUID): no key- or data-dependent table lookups."),
    ("WOLFSSL_AES_TOUCH_LINES",
     "The portable C AES fallback, used only without AES-NI, reads every cache line of its "
     "tables on each lookup, so the cache footprint does not depend on the key or data."),
    ("ECC_TIMING_RESISTANT",
     "ECC scalar multiplication in wolfCrypt runs in constant time with blinding, for key "
     "generation, signing and ECDH."),
    ("WOLFSSL_SP_X86_64_ASM",
     "P-256 and P-384 arithmetic uses wolfCrypt's fixed-size single-precision code with "
     "x86_64 assembly, written to be constant time."),
    ("WOLFSSL_NO_MALLOC",
     "No heap: SSPs only ever live on the stack, in the module's data section or in "
     "caller-provided contexts, all zeroised as section 9 describes."),
]

HAND_INTEGRITY_NOTES = (
    "The key is public, as for every FIPS module: the test detects modification of the module, "
    "it does not authenticate it. The builder computes the expected value after applying the "
    "relocations the final link will apply inside the range, and checks that no relocation in "
    "the range depends on where the object is finally linked, so the value holds in any image. "
    "The module is not loadable: it is linked into the SVSM kernel image, and replacing it "
    "means building a new image."
)

HAND_ENVIRONMENT_NOTES = (
    "The module is freestanding: no C library, no heap, no operating-system service "
    "(section 3: no undefined symbols). What it requires of its environment is stated in the "
    "header's conventions (section 3): calls are serialised by the caller, and the caller "
    "preserves vector register state across a call. CPU features (AES-NI, PCLMULQDQ, AVX, "
    "VAES) are chosen at run time from CPUID, before any self-test runs, so the self-tests "
    "exercise the code paths the services will use. *LAB TO CONFIRM: operational environment "
    "category (the SVSM kernel is a non-modifiable, single-purpose environment).*"
)

HAND_BREAK_NOTES = (
    "For each self-test id below, a separate build makes exactly that test fail "
    "(`SVSM_CRYPTO_BREAK=<id> cargo build -p svsm-crypto-object`, output in "
    "`target/svsm-crypto/break/<id>/`), so the lab can watch every failure path. A KAT BREAK "
    "flips one bit of that test's input; the `integrity` BREAK corrupts one byte of module "
    "code after the expected value was computed. A variant's manifest is marked broken; this "
    "generator refuses it, and the real object is never replaced by a variant."
)

HAND_GUIDANCE = (
    "The Crypto Officer's only duty is to call `svsm_crypto_init` once at boot and to stop "
    "using the module if it does not return `SVSM_CRYPTO_OK`; the SVSM kernel does this and "
    "prints the self-test table, the module state and the object SHA-256 at boot."
)

HAND_PHYSICAL = (
    "Not applicable: the module is software. Physical protection of the platform is the "
    "business of the AMD SEV-SNP hardware and the host, outside the boundary."
)
HAND_NON_INVASIVE = (
    "Not applicable: ISO/IEC 19790 defines no non-invasive mitigation requirements at this "
    "security level, and the module claims none. Timing choices are documented in section 12."
)

# =============================================================================
# End of HAND-STATED.
# =============================================================================


class PolicyError(Exception):
    """A build input is missing, broken or inconsistent; nothing is written."""


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{what} not found: {path}") from None
    except OSError as e:
        raise PolicyError(f"cannot read {what} {path}: {e}") from None


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


# ---- Manifest ---------------------------------------------------------------

MANIFEST_SHAPE = {
    "module": dict, "object": dict, "exported_symbols": list, "undefined_symbols": list,
    "compiler": dict, "wolfcrypt": dict, "sources": list, "approved_algorithms": list,
    "self_tests": list, "break_ids": list, "integrity": dict,
}


def load_manifest(path: Path) -> dict:
    if not path.is_file():
        raise PolicyError(
            f"manifest not found: {path}\n"
            "  build the module first: cargo build -p svsm-crypto-object")
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise PolicyError(f"manifest {path} is not valid JSON: {e}") from None
    if not isinstance(m, dict):
        raise PolicyError(f"manifest {path}: top level is not an object")
    if "broken" not in m:
        raise PolicyError(f"manifest {path}: no \"broken\" field; cannot tell whether it "
                          "describes the real module or a BREAK variant")
    if m["broken"] is not None:
        b = m["broken"]
        which = b.get("self_test", "?") if isinstance(b, dict) else b
        raise PolicyError(
            f"manifest {path} describes a BREAK fault-injection build (self-test "
            f"\"{which}\" made to fail); that object is not the module. Refusing to write "
            "a security policy for it: use target/svsm-crypto/manifest.json")
    for key, kind in MANIFEST_SHAPE.items():
        if not isinstance(m.get(key), kind):
            raise PolicyError(f"manifest {path}: \"{key}\" missing or not a {kind.__name__}")
    need = {
        "module": ["name", "version", "api_header", "api_header_sha256"],
        "object": ["path", "object_sha256", "size", "text_rodata_bytes", "data_bss_bytes", "section"],
        "wolfcrypt": ["version", "package", "package_version", "package_sha256", "license", "pinned_files"],
        "integrity": ["algorithm", "hashed_range", "expected_hmac_sha256"],
        "compiler": ["cc", "version", "linker", "flags"],
    }
    for key, fields in need.items():
        missing = [f for f in fields if f not in m[key]]
        if missing:
            raise PolicyError(f"manifest {path}: {key} lacks {', '.join(missing)}")
    if not re.fullmatch(r"[0-9a-f]{64}", str(m["object"]["object_sha256"])):
        raise PolicyError(f"manifest {path}: object.object_sha256 is not a SHA-256")
    for s in m["sources"]:
        if not {"path", "sha256", "compiled"} <= set(s):
            raise PolicyError(f"manifest {path}: a source entry lacks path/sha256/compiled: {s}")
    return m


# ---- C text helpers -------------------------------------------------------------

COMMENT_RE = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def strip_comments(text: str) -> str:
    # Keep line structure so positions stay meaningful for humans.
    return COMMENT_RE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def comment_text(raw: str) -> str:
    """The words of a /* */ comment, without the stars and margins."""
    body = raw.strip()
    body = body[2:-2] if body.startswith("/*") else body.lstrip("/")
    lines = [re.sub(r"^\s*\*\s?", "", ln).rstrip() for ln in body.splitlines()]
    return "\n".join(lines).strip()


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def defines(text: str) -> dict[str, str]:
    """Object-like #defines (name -> replacement text, comment removed)."""
    out = {}
    for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(?![\w(])[ \t]*(.*)$", text, re.M):
        out[m.group(1)] = COMMENT_RE.sub("", m.group(2)).strip()
    return out


def define_comments(text: str) -> dict[str, str]:
    out = {}
    for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)[^\n]*?/\*(.*?)\*/", text, re.M):
        out[m.group(1)] = one_line(m.group(2))
    return out


def eval_int(expr: str, known: dict[str, int], where: str) -> int:
    """Evaluates an integer constant expression of a #define."""
    e = re.sub(r"\(\s*(?:u?int\d+_t|size_t|unsigned(?:\s+\w+)?)\s*\)", "", expr)
    e = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b", r"\1", e)
    try:
        tree = ast.parse(e, mode="eval")
    except SyntaxError:
        raise PolicyError(f"{where}: cannot evaluate \"{expr}\"") from None

    def ev(n):
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and isinstance(n.value, int):
            return n.value
        if isinstance(n, ast.Name) and n.id in known:
            return known[n.id]
        if isinstance(n, ast.BinOp):
            a, b = ev(n.left), ev(n.right)
            ops = {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b,
                   ast.LShift: a << b if b >= 0 else None, ast.RShift: a >> b if b >= 0 else None}
            if isinstance(n.op, ast.Div):
                return a // b
            if type(n.op) in ops and ops[type(n.op)] is not None:
                return ops[type(n.op)]
        raise PolicyError(f"{where}: cannot evaluate \"{expr}\"")

    return ev(tree)


@dataclass
class CFunction:
    name: str
    file: str
    body: str


def c_functions_and_macros(path: str, text: str) -> tuple[dict[str, CFunction], dict[str, str]]:
    """Top-level function definitions and function-like macros of one C file."""
    code = strip_comments(text)
    macros = {}
    # Function-like macros, continuation lines included, then blank them out.
    def take_macro(m):
        macros[m.group(1)] = m.group(0)
        return re.sub(r"[^\n]", " ", m.group(0))
    code = re.sub(r"^[ \t]*#[ \t]*define[ \t]+(\w+)\((?:[^\n]*\\\n)*[^\n]*", take_macro, code, flags=re.M)
    code = re.sub(r"^[ \t]*#[^\n]*(?:\\\n[^\n]*)*", lambda m: re.sub(r"[^\n]", " ", m.group(0)), code, flags=re.M)

    functions = {}
    depth, start, i = 0, 0, 0
    head_re = re.compile(r"(\w+)\s*\((?:[^()]|\([^()]*\))*\)\s*$", re.S)
    while i < len(code):
        c = code[i]
        if c == "{":
            if depth == 0:
                head = head_re.search(code[start:i])
                open_at = i
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                if head is not None and head.group(1) not in ("if", "while", "for", "switch"):
                    functions[head.group(1)] = CFunction(head.group(1), path, code[open_at:i + 1])
                start = i + 1
        elif c == ";" and depth == 0:
            start = i + 1
        i += 1
    return functions, macros


# ---- Header -------------------------------------------------------------------

@dataclass
class Param:
    ctype: str
    name: str

    @property
    def is_const_bytes(self) -> bool:
        return re.fullmatch(r"const\s+uint8_t\s*\*", self.ctype) is not None

    @property
    def is_out_bytes(self) -> bool:
        return re.fullmatch(r"uint8_t\s*\*", self.ctype) is not None

    @property
    def is_context(self) -> bool:
        return re.fullmatch(r"svsm_crypto_\w+_ctx\s*\*", self.ctype) is not None


@dataclass
class ApiFunction:
    name: str
    returns: str
    params: list[Param]
    group: str          # the header's "---- Title ----" heading
    comment: str        # the comment right above it, or trailing on its line


@dataclass
class Header:
    path: str
    text: str
    conventions: str
    functions: list[ApiFunction]
    statuses: list[tuple[str, int, str]]
    states: list[tuple[str, int]]
    self_tests: list[tuple[str, str, str]]      # (symbol, id, name)
    callbacks: list[str]
    callbacks_comment: str
    constants: dict[str, int]

    def function(self, name: str) -> ApiFunction:
        for f in self.functions:
            if f.name == name:
                return f
        raise PolicyError(f"{self.path}: no API function {name}")


def parse_header(path: Path, relpath: str) -> Header:
    text = read_text(path, "API header")
    first = re.match(r"\s*/\*.*?\*/", text, re.S)
    conventions = ""
    if first:
        words = comment_text(first.group(0))
        if "Conventions" in words:
            conventions = textwrap.dedent(words.split("Conventions", 1)[1].strip("\n")).strip()

    statuses = [(m.group(1), int(m.group(2)), one_line(m.group(3))) for m in re.finditer(
        r"(SVSM_CRYPTO_(?:OK|ERR)\w*)\s*=\s*(-?\d+)\s*,?\s*/\*(.*?)\*/", text)]
    states = [(m.group(1), int(m.group(2))) for m in re.finditer(
        r"(SVSM_CRYPTO_STATE_\w+)\s*=\s*(\d+)", text)]
    self_tests = re.findall(r'X\((\w+),\s*"([^"]+)",\s*"([^"]+)"\)', COMMENT_RE.sub("", text))

    cb = re.search(r"(/\*(?:(?!\*/).)*\*/)\s*typedef struct svsm_crypto_callbacks\s*\{(.*?)\}", text, re.S)
    if not cb:
        raise PolicyError(f"{relpath}: struct svsm_crypto_callbacks not found")
    callbacks = re.findall(r"\(\s*\*\s*(\w+)\s*\)", cb.group(2))

    constants = {}
    for name, value in defines(text).items():
        if re.fullmatch(r"\d+", value):
            constants[name] = int(value)

    # Walk the header in order: group headings, comments, declarations.
    token_re = re.compile(
        r"(?P<group>/\*\s*-{2,}\s*(?P<title>.*?)\s*-{2,}\s*\*/)"
        r"|(?P<comment>/\*.*?\*/)"
        r"|(?P<decl>SVSM_CRYPTO_API\s+(?P<ret>[^;{]*?)\b(?P<name>svsm_crypto_\w+)\s*\((?P<params>[^;]*?)\)\s*;"
        r"(?P<trail>[ \t]*/\*.*?\*/)?)", re.S)
    functions, group, last_comment, last_end = [], "", None, 0
    for m in token_re.finditer(text):
        between = text[last_end:m.start()]
        if m.group("group"):
            group, last_comment = m.group("title"), None
        elif m.group("comment"):
            last_comment = comment_text(m.group("comment"))
        elif m.group("decl"):
            comment = last_comment if last_comment and between.strip() == "" else ""
            if m.group("trail"):
                comment = (comment + " " + comment_text(m.group("trail"))).strip()
            params = []
            for p in one_line(m.group("params")).split(","):
                p = p.strip()
                if p in ("", "void"):
                    continue
                pm = re.fullmatch(r"(.*?)(\w+)", p)
                params.append(Param(one_line(pm.group(1)).replace(" *", "*").replace("*", " *").strip(), pm.group(2)))
            functions.append(ApiFunction(m.group("name"), one_line(m.group("ret")), params, group,
                                         one_line(comment)))
            last_comment = None
        if m.group("decl") is None:
            last_end = m.end()
        else:
            last_end = m.end()
        # A declaration or group heading consumes the pending comment.
    if not functions:
        raise PolicyError(f"{relpath}: no SVSM_CRYPTO_API declarations found")
    if not statuses or not states or not self_tests:
        raise PolicyError(f"{relpath}: status codes, states or the self-test list not found")
    return Header(relpath, text, conventions, functions, statuses, states, self_tests,
                  callbacks, one_line(comment_text(cb.group(1))), constants)


# ---- Sources ------------------------------------------------------------------

@dataclass
class Sources:
    texts: dict[str, str]                       # repo-relative path -> text
    functions: dict[str, CFunction] = field(default_factory=dict)
    macros: dict[str, str] = field(default_factory=dict)
    rng_block: str | None = None                 # CUSTOM_RAND_GENERATE_BLOCK

    def text(self, path: str) -> str:
        if path not in self.texts:
            raise PolicyError(f"{path} is not among the module sources the manifest lists")
        return self.texts[path]

    def reach(self, name: str, stop: frozenset[str] = frozenset()) -> set[str]:
        """Every module function or macro reachable from `name`, itself included,
        not looking inside the functions of `stop` (they are included)."""
        seen, todo = set(), [name]
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            if n in stop and n != name:
                continue
            body = self.functions[n].body if n in self.functions else self.macros.get(n, "")
            for ident in set(re.findall(r"\b[A-Za-z_]\w*\b", body)):
                if ident in self.functions or ident in self.macros:
                    todo.append(ident)
                if ident in HAND_WOLFCRYPT_RNG_DRAWERS and self.rng_block:
                    todo.append(self.rng_block)
        return seen

    def body_of_reach(self, name: str) -> str:
        parts = []
        for n in self.reach(name):
            parts.append(self.functions[n].body if n in self.functions else self.macros.get(n, ""))
        return "\n".join(parts)


def load_sources(manifest: dict) -> Sources:
    """The module's own files, each checked against the manifest's hash."""
    texts, stale = {}, []
    for s in manifest["sources"]:
        p = s["path"]
        if not p.startswith("crypto-c/"):
            continue  # wolfCrypt files: pinned by package checksum, read from the package
        f = REPO / p
        if not f.is_file():
            raise PolicyError(f"{p} (listed in the manifest) is missing from the tree")
        if sha256_file(f) != s["sha256"]:
            stale.append(p)
            continue
        texts[p] = f.read_text(encoding="utf-8")
    if stale:
        raise PolicyError(
            "these files differ from the build the manifest describes, so the policy would "
            "describe code that is not in the object:\n    " + "\n    ".join(stale) +
            "\n  rebuild (cargo build -p svsm-crypto-object) and run again")
    src = Sources(texts)
    for path, text in texts.items():
        if path.endswith((".c", ".h")):
            fns, macros = c_functions_and_macros(path, text)
            src.functions.update(fns)
            src.macros.update(macros)
    settings = texts.get("crypto-c/config/user_settings.h", "")
    src.rng_block = defines(settings).get("CUSTOM_RAND_GENERATE_BLOCK")
    return src


# ---- Facts: numbers only the sources hold ---------------------------------------

@dataclass
class Facts:
    values: dict[str, int]
    origin: dict[str, str]          # name -> file it came from

    def __getitem__(self, name: str) -> int:
        return self.values[name]


FACT_SOURCES = {
    "crypto-c/src/entropy.c": ["ENTROPY_BITS_PER_SAMPLE", "RCT_CUTOFF", "APT_WINDOW", "APT_CUTOFF"],
    "crypto-c/src/internal.h": ["ENTROPY_STARTUP_SAMPLES", "DRBG_SEEDLEN", "DRBG_RESEED_INTERVAL"],
    "crypto-c/src/drbg.c": ["SECURITY_STRENGTH_BITS", "MIN_ENTROPY_LEN", "MIN_NONCE_LEN"],
    "crypto-c/src/hashing.c": ["HMAC_MIN_APPROVED_KEY_LEN", "HMAC_MIN_TAG_LEN"],
    "crypto-c/src/aead.c": ["GCM_MAX_GENERATED_IVS", "GCM_MAX_IV_LEN"],
}


def collect_facts(src: Sources, header: Header) -> Facts:
    values, origin = {}, {}
    for name, v in header.constants.items():
        values[name], origin[name] = v, header.path
    for path, names in FACT_SOURCES.items():
        d = defines(src.text(path))
        for name in names:
            if name not in d:
                raise PolicyError(f"{path}: #define {name} not found (renamed? update {GENERATOR})")
            values[name] = eval_int(d[name], values, f"{path}: {name}")
            origin[name] = path
    # Derived, the way the code derives them (entropy.c: entropy_samples_for).
    per = values["ENTROPY_BITS_PER_SAMPLE"]
    values["ENTROPY_INPUT_SAMPLES"] = -(-values["SECURITY_STRENGTH_BITS"] // per)
    values["NONCE_SAMPLES"] = -(-(values["SECURITY_STRENGTH_BITS"] // 2) // per)
    values["DRBG_SEEDLEN_BITS"] = values["DRBG_SEEDLEN"] * 8
    values["HMAC_MIN_APPROVED_KEY_BITS"] = values["HMAC_MIN_APPROVED_KEY_LEN"] * 8
    values["HMAC_MIN_TAG_BITS"] = values["HMAC_MIN_TAG_LEN"] * 8
    key = integrity_key(src)
    values["INTEGRITY_KEY_BITS"] = len(key) * 8
    for n in ("ENTROPY_INPUT_SAMPLES", "NONCE_SAMPLES", "DRBG_SEEDLEN_BITS",
              "HMAC_MIN_APPROVED_KEY_BITS", "HMAC_MIN_TAG_BITS", "INTEGRITY_KEY_BITS"):
        origin[n] = "derived"
    return Facts(values, origin)


def integrity_key(src: Sources) -> bytes:
    text = src.text("crypto-c/src/integrity.c")
    m = re.search(r"svsm_integrity_key\s*\[\s*(\d+)\s*\]\s*=\s*\{([^}]*)\}", text)
    if not m:
        raise PolicyError("crypto-c/src/integrity.c: svsm_integrity_key not found")
    key = bytes(int(b, 0) for b in re.findall(r"0x[0-9a-fA-F]+|\d+", m.group(2)))
    if len(key) != int(m.group(1)):
        raise PolicyError("crypto-c/src/integrity.c: svsm_integrity_key length mismatch")
    return key


def health_alpha_exponent(src: Sources) -> int | None:
    m = re.search(r"alpha\s*=\s*2\^-(\d+)", src.text("crypto-c/src/entropy.c"))
    return int(m.group(1)) if m else None


def rct_cutoff(alpha_exp: int, h_bits: int) -> int:
    """SP 800-90B 4.4.1: C = 1 + ceil(-log2(alpha) / H)."""
    return 1 + math.ceil(Fraction(alpha_exp, h_bits))


def apt_cutoff(alpha_exp: int, h_bits: int, window: int) -> int:
    """SP 800-90B 4.4.2: C = 1 + CRITBINOM(W, 2^-H, 1 - alpha)."""
    p = Fraction(1, 2 ** h_bits)
    target = 1 - Fraction(1, 2 ** alpha_exp)
    cdf = Fraction(0)
    for k in range(window + 1):
        cdf += math.comb(window, k) * p ** k * (1 - p) ** (window - k)
        if cdf >= target:
            return 1 + k
    return window


# ---- Cross-checks ----------------------------------------------------------------

def cross_check(m: dict, header: Header, boundary: dict, src: Sources) -> None:
    problems = []
    mod = m["module"]
    if (boundary["module"]["name"], boundary["module"]["version"]) != (mod["name"], mod["version"]):
        problems.append("boundary.toml [module] name/version differ from the manifest")

    manifest_tests = [(t["id"], t["name"]) for t in m["self_tests"]]
    header_tests = [(tid, name) for _, tid, name in header.self_tests]
    if manifest_tests != header_tests:
        problems.append("the manifest's self-test list differs from SVSM_CRYPTO_SELF_TEST_LIST in the header")

    ids = {t["id"] for t in m["self_tests"]}
    for a in m["approved_algorithms"]:
        for t in a["self_tests"]:
            if t not in ids:
                problems.append(f"algorithm {a['name']} names unknown self-test {t}")
    if m["approved_algorithms"] != boundary.get("algorithm"):
        problems.append("the manifest's approved algorithms differ from boundary.toml")
    # A BREAK id names a self-test, or (break_variants) says which one it fails.
    fails = {v["id"]: v["fails"] for v in m.get("break_variants", [])}
    orphans = sorted(b for b in m["break_ids"] if fails.get(b, b) not in ids)
    if orphans:
        problems.append(f"break ids without a self-test: {orphans}")

    api = {f.name for f in header.functions}
    markers = set(boundary["module"].get("markers", []))
    exported = set(m["exported_symbols"])
    if exported != api | markers:
        if exported - api - markers:
            problems.append(f"exported but not in the header: {sorted(exported - api - markers)}")
        if (api | markers) - exported:
            problems.append(f"in the header but not exported: {sorted((api | markers) - exported)}")

    listed = {"crypto-c/" + f for f in boundary["sources"]["files"]}
    compiled = {s["path"] for s in m["sources"] if s["compiled"] and s["path"].startswith("crypto-c/")}
    if listed != compiled:
        problems.append(f"boundary.toml [sources] and the manifest's compiled module files differ: "
                        f"{sorted(listed ^ compiled)}")
    if m["module"]["api_header_sha256"] != next(
            (s["sha256"] for s in m["sources"] if s["path"] == m["module"]["api_header"]), None):
        problems.append("module.api_header_sha256 disagrees with the header's source entry")

    for f in header.functions:
        if f.name not in src.functions:
            problems.append(f"{f.name} is declared in the header but defined in no module source")
    if problems:
        raise PolicyError("the build inputs disagree:\n    " + "\n    ".join(problems))


def check_hand_stated(header: Header, src: Sources) -> None:
    """Everything HAND-STATED names must exist in the inputs."""
    problems = []
    for glob, param, ssp, _, _ in HAND_SSP_PARAMETERS:
        hits = [f for f in header.functions if fnmatch.fnmatchcase(f.name, glob)
                and any(p.name == param for p in f.params)]
        if not hits:
            problems.append(f"HAND_SSP_PARAMETERS: no API function {glob} has a parameter {param}")
    for fn, _, _ in HAND_INTERNAL_SSP_USES:
        if fn not in src.functions:
            problems.append(f"HAND_INTERNAL_SSP_USES: {fn} is defined in no module source")
    everything = "\n".join(fn.body for fn in src.functions.values())
    for fn in HAND_WOLFCRYPT_RNG_DRAWERS:
        if not re.search(rf"\b{fn}\s*\(", everything):
            problems.append(f"HAND_WOLFCRYPT_RNG_DRAWERS: the module never calls {fn}")
    api = [f.name for f in header.functions]
    for name in sorted(set(api) - set(HAND_SERVICE_NAMES)):
        problems.append(f"HAND_SERVICE_NAMES: no service name for {name}")
    for name in sorted(set(HAND_SERVICE_NAMES) - set(api)):
        problems.append(f"HAND_SERVICE_NAMES: {name} is not in the header")
    settings = defines(src.text("crypto-c/config/user_settings.h"))
    for opt, _ in HAND_MITIGATIONS:
        if opt not in settings:
            problems.append(f"HAND_MITIGATIONS: {opt} is not defined in crypto-c/config/user_settings.h")
    if src.rng_block and src.rng_block not in src.functions:
        problems.append(f"CUSTOM_RAND_GENERATE_BLOCK names {src.rng_block}, defined nowhere")
    if problems:
        raise PolicyError("the HAND-STATED section is out of date:\n    " + "\n    ".join(problems))


# ---- What each service does, from the sources --------------------------------------

@dataclass
class Service:
    fn: ApiFunction
    indicators: list[str]            # success statuses it can return
    gated: bool                      # refuses to run unless operational
    ssps: list[tuple[str, str]]      # (SSP, access)
    errors: list[str]


def analyse_services(header: Header, src: Sources) -> list[Service]:
    ok_names = [s for s, v, _ in header.statuses if v >= 0]
    err_names = [s for s, v, _ in header.statuses if v < 0]
    out = []
    for f in header.functions:
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


# ---- Markdown ------------------------------------------------------------------

def cell(x) -> str:
    return str(x).replace("|", "\\|").replace("\n", " ")


def table(headers: list[str], rows: list[list], align: str | None = None) -> str:
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join((align[i] if align else "-") == "r" and "---:" or "---"
                                for i in range(len(headers))) + "|")
    for r in rows:
        lines.append("| " + " | ".join(cell(c) for c in r) + " |")
    return "\n".join(lines)


def option_items(flags: list[str]) -> list[str]:
    """Compiler flags with their separate arguments joined ("-I dir")."""
    out, i = [], 0
    while i < len(flags):
        if flags[i] in ("-I", "-isystem", "-include", "-D", "-U") and i + 1 < len(flags):
            out.append(f"{flags[i]} {flags[i + 1]}")
            i += 2
        else:
            out.append(flags[i])
            i += 1
    return out


def code(x) -> str:
    return f"`{x}`"


def fill(template: str, facts: Facts) -> str:
    def sub(m):
        name = m.group(1)
        if name not in facts.values:
            raise PolicyError(f"HAND-STATED text refers to unknown fact {{{name}}}")
        return f"{facts[name]}"
    return re.sub(r"\{([A-Z0-9_]+)\}", sub, template)


def pow2(n: int) -> str:
    return f"2^{n.bit_length() - 1}" if n > 0 and n & (n - 1) == 0 else f"{n:,}"


# ---- The document -----------------------------------------------------------------

@dataclass
class Inputs:
    manifest_path: Path
    manifest: dict
    header: Header
    boundary: dict
    boundary_text: str
    src: Sources
    facts: Facts
    services: list[Service]
    acvp_path: Path
    acvp: dict | None
    object_on_disk: str | None       # "match", "MISMATCH", or None when absent


def load_inputs(manifest_path: Path, acvp_path: Path) -> Inputs:
    m = load_manifest(manifest_path)
    header_rel = m["module"]["api_header"]
    header = parse_header(REPO / header_rel, header_rel)
    btext = read_text(REPO / BOUNDARY, "boundary list")
    try:
        boundary = tomllib.loads(btext)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"{BOUNDARY}: {e}") from None
    src = load_sources(m)
    if header_rel not in src.texts:
        raise PolicyError(f"the manifest does not list the API header {header_rel} as a source")
    cross_check(m, header, boundary, src)
    check_hand_stated(header, src)
    facts = collect_facts(src, header)

    obj = manifest_path.parent / m["object"]["path"]
    on_disk = None
    if obj.is_file():
        on_disk = "match" if sha256_file(obj) == m["object"]["object_sha256"] else "MISMATCH"
        if on_disk == "MISMATCH":
            raise PolicyError(f"{obj} does not hash to the manifest's object_sha256: the manifest "
                              "is stale. Rebuild with cargo build -p svsm-crypto-object")

    acvp = None
    if acvp_path.is_file():
        try:
            acvp = json.loads(acvp_path.read_text(encoding="utf-8"))
            if not isinstance(acvp, dict) or not isinstance(acvp.get("sets"), list):
                raise ValueError("no \"sets\" list")
        except (ValueError, UnicodeDecodeError) as e:
            raise PolicyError(f"{acvp_path}: not an ACVP summary: {e}") from None
    return Inputs(manifest_path, m, header, boundary, btext, src, facts,
                  analyse_services(header, src), acvp_path, acvp, on_disk)


def render(inp: Inputs) -> str:
    m, h, f = inp.manifest, inp.header, inp.facts
    mod, obj = m["module"], m["object"]
    out: list[str] = []
    w = out.append

    w(f"# {mod['name']} {mod['version']}: FIPS 140-3 Security Policy (DRAFT)")
    w("")
    w(f"**Object SHA-256: `{obj['object_sha256']}`**  ")
    w(f"(`{obj['path']}`, {obj['size']:,} bytes; the module is this one object and nothing else)")
    w("")
    w(f"> Generated by `{GENERATOR}` from `{rel(inp.manifest_path)}`, `{h.path}`, `{BOUNDARY}` "
      "and the module sources. Do not edit: change the inputs, or the HAND-STATED section of the "
      "generator, and regenerate (`make cert`). Statements marked *LAB TO CONFIRM* are the "
      "vendor's proposal, not yet agreed with the testing laboratory.")
    w("")
    inputs = [
        [code(rel(inp.manifest_path)), code(sha256_file(inp.manifest_path))],
        [code(h.path), code(mod["api_header_sha256"])],
        [code(BOUNDARY), code(hashlib.sha256(inp.boundary_text.encode()).hexdigest()) +
         " (working tree; not recorded in the manifest)"],
    ]
    if inp.acvp is not None:
        same = inp.acvp.get("object_sha256") == obj["object_sha256"]
        inputs.append([code(rel(inp.acvp_path)), code(sha256_file(inp.acvp_path)) +
                       (" (ran against this object)" if same else " (**ran against a different object**)")])
    w(table(["Input", "SHA-256"], inputs))
    w("")

    # 1 ------------------------------------------------------------------------
    w(f"## 1. {SECTIONS[0]}")
    w("")
    w(f"This document is the non-proprietary security policy of **{mod['name']}** version "
      f"**{mod['version']}**, a software cryptographic module for the Secure VM Service Module "
      f"(SVSM). It follows the section order of ISO/IEC 19790:2012 and NIST SP 800-140B. "
      f"The module is built from the module's own C code and a pinned subset of wolfCrypt "
      f"{m['wolfcrypt']['version']} into one relocatable object.")
    w("")
    w(HAND_CALLER)
    w("")
    w(f"Overall security level claimed: **{HAND_OVERALL_LEVEL}** *(LAB TO CONFIRM)*.")
    w("")
    w(table(["ISO/IEC 19790 area", "Security level"], [list(r) for r in HAND_SECURITY_LEVELS]))
    w("")

    # 2 ------------------------------------------------------------------------
    w(f"## 2. {SECTIONS[1]}")
    w("")
    w("### 2.1 Module and cryptographic boundary")
    w("")
    w(table(["Property", "Value"], [
        ["Module name and version", f"{mod['name']} {mod['version']}"],
        ["Module type", HAND_MODULE_TYPE],
        ["Embodiment", HAND_EMBODIMENT],
        ["Cryptographic boundary", f"the relocatable ELF object `{obj['path']}`, one section `{obj['section']}`"],
        ["Object SHA-256", code(obj["object_sha256"])],
        ["Object size", f"{obj['size']:,} bytes"],
        ["Code and read-only data", f"{obj['text_rodata_bytes']:,} bytes (integrity-protected, section 5)"],
        ["Writable data and bss", f"{obj['data_bss_bytes']:,} bytes"],
        ["Boundary markers", ", ".join(code(x) for x in inp.boundary["module"]["markers"])],
        ["wolfCrypt", f"{m['wolfcrypt']['version']}, from crates.io package {m['wolfcrypt']['package']} "
                      f"{m['wolfcrypt']['package_version']} (SHA-256 `{m['wolfcrypt']['package_sha256']}`), "
                      f"{m['wolfcrypt']['pinned_files']} pinned files"],
        ["wolfCrypt licence", m["wolfcrypt"]["license"]],
        ["Object on disk next to the manifest",
         {"match": "present, hashes to the value above", None: "not present (only the manifest was read)"}
         [inp.object_on_disk]],
    ]))
    w("")
    w("Everything the object contains is compiled from the files below and nothing else; the "
      "builder refuses any file not listed in the boundary list or not matching its pinned hash. "
      "\"Compiled\" files are translation units; the others are headers they include.")
    w("")
    w("### 2.2 Files inside the boundary")
    w("")
    rows = [[code(s["path"]), "compiled" if s["compiled"] else "included", code(s["sha256"])]
            for s in m["sources"]]
    w(table(["File", "Role", "SHA-256"], rows))
    w("")
    w("### 2.3 Build and operational environment")
    w("")
    w(table(["Operating environment", "Processor", "Status"], [list(r) for r in HAND_TESTED_ENVIRONMENTS]))
    w("")
    c = m["compiler"]
    w(f"Compiler: {c['version']} (`{c['cc']}`); linker: {c['linker']}. Compiler flags "
      "(`<cc-builtin-include>` is the compiler's own header directory) common to every "
      "translation unit, then what each kind of unit adds:")
    w("")
    kinds = [(u["kind"], option_items(u["flags"])) for u in c["flags"]]
    common = [x for x in kinds[0][1] if all(x in k for _, k in kinds)]
    w(f"- common: `{' '.join(common)}`")
    for kind, items in kinds:
        extra = [x for x in items if x not in common]
        w(f"- **{kind}**: " + (f"adds `{' '.join(extra)}`" if extra else "nothing more"))
    w("")
    w("### 2.4 Approved algorithms")
    w("")
    w("The CAVP column is filled in when certificates are issued.")
    w("")
    covered = {}
    for a in m["approved_algorithms"]:
        for t in a["self_tests"]:
            covered.setdefault(t, []).append(a["name"])
    w(table(["Algorithm", "Standard", "Modes, sizes and limits", "Self-tests", "CAVP certificate"],
            [[a["name"], a["standard"], a["details"], ", ".join(code(t) for t in a["self_tests"]),
              "pending"] for a in m["approved_algorithms"]]))
    w("")
    w("### 2.5 ACVP self-check results")
    w("")
    render_acvp(inp, w)
    w("")
    w("### 2.6 Non-approved services")
    w("")
    w("No non-approved algorithm is allowed in the approved mode. The services below can run "
      "non-approved; each says so in its status (`SVSM_CRYPTO_OK_NON_APPROVED`, section 4), so the "
      "caller always knows which kind of service it got. Which services these are, and whether "
      "always or only under a condition, is read from the sources.")
    w("")
    found = {}
    for sv in inp.services:
        if "SVSM_CRYPTO_OK_NON_APPROVED" in sv.indicators:
            found[sv.fn.name] = "always" if sv.indicators == ["SVSM_CRYPTO_OK_NON_APPROVED"] else "conditionally"
    stated = {name: kind for name, (kind, _) in HAND_NON_APPROVED.items()}
    if found != stated:
        raise PolicyError(
            "HAND_NON_APPROVED disagrees with the sources, which say these services can return "
            "SVSM_CRYPTO_OK_NON_APPROVED: " + ", ".join(f"{k} ({v})" for k, v in sorted(found.items())))
    rows = [[code(sv.fn.name), HAND_SERVICE_NAMES[sv.fn.name], found[sv.fn.name],
             fill(HAND_NON_APPROVED[sv.fn.name][1], f)]
            for sv in inp.services if sv.fn.name in found]
    w(table(["Function", "Service", "Non-approved", "When"], rows))
    w("")

    # 3 ------------------------------------------------------------------------
    w(f"## 3. {SECTIONS[2]}")
    w("")
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
      + ", ".join(code(x) for x in h.callbacks) + ", registered once through `svsm_crypto_init`.")
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

    # 4 ------------------------------------------------------------------------
    w(f"## 4. {SECTIONS[3]}")
    w("")
    w(HAND_ROLE_MODEL)
    w("")
    w(table(["Role", "Authentication", "Services"], [
        ["Crypto Officer (also User)", "None (level 1): implicit, by calling the API", "All services below"],
    ]))
    w("")
    w("**Service indicator.** Every cryptographic service returns a status; a value >= 0 is "
      "success and is the service indicator:")
    w("")
    w(table(["Status", "Value", "Meaning"], [[code(n), v, d] for n, v, d in h.statuses]))
    w("")
    w("**Services.** One row per API function of the header; the header notes are its comment "
      "on the function. The indicator is the set of success statuses the function can return, "
      "and the SSPs are those its parameters carry plus the module SSPs it reaches, both found "
      "by following its calls through the sources. "
      + HAND_SSP_ACCESS_LEGEND + " \"Gated\" services are the cryptographic services: they fail "
      "with `SVSM_CRYPTO_ERR_STATE` and zeroed outputs unless the module is operational, and only "
      "they carry a service indicator. The others (status, self-test, zeroisation) work in every "
      "state and perform no security function on caller data.")
    w("")
    rows = []
    for s in inp.services:
        ind = {(): "-",
               ("SVSM_CRYPTO_OK",): "`OK` (approved)",
               ("SVSM_CRYPTO_OK_NON_APPROVED",): "`OK_NON_APPROVED` (non-approved)",
               ("SVSM_CRYPTO_OK", "SVSM_CRYPTO_OK_NON_APPROVED"):
                   "`OK` or `OK_NON_APPROVED` (section 2.6)"}.get(tuple(s.indicators), ", ".join(s.indicators))
        if s.gated and not s.indicators:
            raise PolicyError(f"{s.fn.name}: no success status found in the sources")
        ssps = "; ".join(f"{name} ({acc})" for name, acc in s.ssps) or "-"
        rows.append([HAND_SERVICE_NAMES[s.fn.name], code(s.fn.name), s.fn.comment or "-", ssps, ind,
                     "yes" if s.gated else "no"])
    w(table(["Service", "Function", "Header notes", "SSPs (access)", "Indicator", "Gated"], rows))
    w("")
    w("Module states (`svsm_crypto_state`):")
    w("")
    w(table(["State", "Value"], [[code(n), v] for n, v in h.states]))
    w("")
    w("The state machine, from `crypto-c/src/module.c`:")
    w("")
    w("```text")
    w(comment_text(re.match(r"\s*/\*.*?\*/", inp.src.text("crypto-c/src/module.c"), re.S).group(0)))
    w("```")
    w("")

    # 5 ------------------------------------------------------------------------
    order = [t["id"] for t in m["self_tests"]]
    def norm(name):
        return re.sub(r"[^A-Z0-9]", "", name.upper().replace("SHA2-", "SHA-"))
    integ_kats = [t for t in order if any(norm(a["name"]) == norm(m["integrity"]["algorithm"])
                                          for a in m["approved_algorithms"] if t in a["self_tests"])]
    kat_first = ("integrity" in order and bool(integ_kats)
                 and order.index(integ_kats[0]) < order.index("integrity"))
    w(f"## 5. {SECTIONS[4]}")
    w("")
    integ = m["integrity"]
    key = integrity_key(inp.src)
    w(f"At power-on (`svsm_crypto_init`), before any service is available, the module computes "
      f"{integ['algorithm']} over {integ['hashed_range']} as it lies in memory, and compares it in "
      f"constant time with the value the builder stored in the object.")
    w("")
    w(table(["Property", "Value"], [
        ["Algorithm", integ["algorithm"] + (f" (approved; its KAT `{integ_kats[0]}` runs before this "
                                            "test, section 10)" if kat_first else "")],
        ["Range", integ["hashed_range"]],
        ["Range size", f"{obj['text_rodata_bytes']:,} bytes"],
        ["Expected value (injected at build)", code(integ["expected_hmac_sha256"])],
        ["Key", f"{len(key) * 8} bits, fixed and public: `{key.hex()}` (ASCII `{key.decode('ascii', 'replace')}`)"],
        ["Where the expected value lives", "`svsm_integrity_expected`, in the writable part of the object, outside the hashed range"],
        ["On failure", "error state; `svsm_crypto_init` returns `SVSM_CRYPTO_ERR_SELF_TEST`"],
    ]))
    w("")
    w(HAND_INTEGRITY_NOTES)
    w("")

    # 6 ------------------------------------------------------------------------
    w(f"## 6. {SECTIONS[5]}")
    w("")
    w(HAND_CALLER)
    w("")
    w(table(["Operating environment", "Processor", "Status"], [list(r) for r in HAND_TESTED_ENVIRONMENTS]))
    w("")
    w(HAND_ENVIRONMENT_NOTES)
    w("")

    # 7, 8 ----------------------------------------------------------------------
    w(f"## 7. {SECTIONS[6]}")
    w("")
    w(HAND_PHYSICAL)
    w("")
    w(f"## 8. {SECTIONS[7]}")
    w("")
    w(HAND_NON_INVASIVE)
    w("")

    # 9 ------------------------------------------------------------------------
    w(f"## 9. {SECTIONS[8]}")
    w("")
    w(HAND_SSP_ACCESS_LEGEND)
    w("")
    w(table(["SSP", "Kind", "Size / strength", "Generation", "Entry", "Output", "Storage", "Zeroisation"],
            [[fill(x, f) for x in row] for row in HAND_SSPS]))
    w("")
    w(f"**Random bit generation.** One Hash_DRBG with SHA-256 (SP 800-90A rev. 1), owned by the "
      f"module, serves key generation, ECDSA per-message secrets and generated IVs (wolfCrypt's "
      f"random source is redirected to it). Security strength {f['SECURITY_STRENGTH_BITS']} bits; "
      f"seedlen {f['DRBG_SEEDLEN_BITS']} bits; instantiation takes {f['ENTROPY_INPUT_SAMPLES']} "
      f"entropy samples ({f['SECURITY_STRENGTH_BITS']} bits of min-entropy) and a nonce of "
      f"{f['NONCE_SAMPLES']} samples from the entropy source; reseed after "
      f"{pow2(f['DRBG_RESEED_INTERVAL'])} requests; at most {f['SVSM_CRYPTO_DRBG_MAX_REQUEST']:,} "
      f"bytes per request and {f['SVSM_CRYPTO_DRBG_MAX_INPUT']:,} bytes of personalisation or "
      f"additional input. Callers can own further instances (`svsm_crypto_drbg_ctx`), seeded the "
      f"same way.")
    w("")
    w(f"**Entropy.** The entropy source is outside the boundary: raw samples come from the "
      f"caller's `get_noise` callback, one sample per byte, each credited with "
      f"{f['ENTROPY_BITS_PER_SAMPLE']} bits of min-entropy. Every sample passes the SP 800-90B "
      f"continuous health tests (section 10) before it is used. *LAB TO CONFIRM: the entropy "
      f"assessment (ESV) of RDSEED/RDRAND on the target platform that justifies this claim.*")
    w("")
    w(f"**AES-GCM IVs.** Approved encryption uses a {f['SVSM_CRYPTO_AES_GCM_IV_LEN'] * 8}-bit IV "
      f"the module generates from its DRBG (SP 800-38D 8.2.2), at most "
      f"{pow2(f['GCM_MAX_GENERATED_IVS'])} per key, after which the service fails with "
      f"`SVSM_CRYPTO_ERR_LIMIT`.")
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

    # 10 -----------------------------------------------------------------------
    w(f"## 10. {SECTIONS[9]}")
    w("")
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
    if kat_first:
        w(f"The KAT of the integrity algorithm ({code(integ_kats[0])}) runs before the integrity "
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

    # 11 -----------------------------------------------------------------------
    w(f"## 11. {SECTIONS[10]}")
    w("")
    flags = {fl for unit in c["flags"] for fl in unit["flags"]}
    repro = [fl for fl in sorted(flags) if fl.startswith("-ffile-prefix-map") or fl in ("-fno-ident", "-g0")]
    w("**Pinned inputs.** The object is a function of the files of section 2.2 (each pinned by "
      f"SHA-256), the wolfCrypt package (pinned by its crates.io checksum "
      f"`{m['wolfcrypt']['package_sha256']}`), the compiler and linker named in section 2.3, and "
      f"the flags listed there. Flags that keep build paths, compiler identification and debug "
      f"information out of the object: {', '.join(code(x) for x in repro) or 'none'}.")
    w("")
    w("**Rebuilding and verifying.**")
    w("")
    w("```sh")
    w("cargo build -p svsm-crypto-object        # writes target/svsm-crypto/svsm-crypto.o and manifest.json")
    w("sha256sum target/svsm-crypto/svsm-crypto.o")
    w(f"# expect {obj['object_sha256']}")
    w(f"python3 {GENERATOR} target/svsm-crypto/manifest.json   # regenerates this document")
    w("```")
    w("")
    w("The same object is linked into the SVSM kernel, the host tests and the ACVP harness, so all "
      "of them exercise the bytes named at the top of this document.")
    w("")
    w("**Fault injection (BREAK builds).** " + HAND_BREAK_NOTES + " Ids: "
      + ", ".join(code(x) for x in m["break_ids"]) + ".")
    w("")
    w("**Guidance.** " + HAND_GUIDANCE)
    w("")

    # 12 -----------------------------------------------------------------------
    w(f"## 12. {SECTIONS[11]}")
    w("")
    w("The module claims no mitigation of other attacks for validation; the following design "
      "choices against timing attacks are documented for information. Each option is defined in "
      "`crypto-c/config/user_settings.h`:")
    w("")
    comments = define_comments(inp.src.text("crypto-c/config/user_settings.h"))
    w(table(["Option", "Effect", "Comment in user_settings.h"],
            [[code(o), t, comments.get(o, "-")] for o, t in HAND_MITIGATIONS]))
    w("")
    ct_users = sorted({fn.file for fn in inp.src.functions.values()
                       if re.search(r"\bsvsm_ct_equal\s*\(", fn.body)})
    w("Tag and value comparisons inside the module use `svsm_ct_equal`, whose running time depends "
      "only on the length (" + ", ".join(code(x) for x in ct_users) + "): HMAC verification, the "
      "integrity test and the self-tests. AES-GCM decryption checks its tag with wolfCrypt's "
      "constant-time comparison and returns no plaintext when it fails.")
    w("")
    text = "\n".join(out)
    check_identifiers(text, inp)
    return text


def render_acvp(inp: Inputs, w) -> None:
    a, expected = inp.acvp, inp.manifest["object"]["object_sha256"]
    if a is None:
        w(f"No ACVP self-check summary was found (`{rel(inp.acvp_path)}`). Run the harness "
          "(`svsm-acvp check --write-summary`, tools/acvp) and regenerate.")
        return
    ran = a.get("object_sha256", "unknown")
    if ran == expected:
        verdict = f"**The results are for this object** (object SHA-256 `{ran}` matches)."
    else:
        verdict = (f"**WARNING: the results are for a different object** (`{ran}`, not `{expected}`): "
                   "rerun the harness against this build before relying on them.")
        print(f"warning: {rel(inp.acvp_path)} was produced for object {ran}, not {expected}",
              file=sys.stderr)
    w(f"From `{rel(inp.acvp_path)}` (date {a.get('date', '?')}, module {a.get('module', '?')}, "
      f"vectors `{a.get('vectors', '?')}`, result **{a.get('result', '?')}**). {verdict} These are "
      "the vendor's own runs of ACVP vector sets, not CAVP validation.")
    w("")
    rows = [[s.get("set", "?"), s.get("tests", "?"), s.get("passed", "?"), s.get("failed", "?"),
             s.get("not_claimed", "?")] for s in a["sets"]]
    t = a.get("totals", {})
    counts = [x.get("tests") for x in a["sets"]]
    total_tests = sum(counts) if all(isinstance(n, int) for n in counts) else "?"
    rows.append(["**total**", total_tests, t.get("passed", "?"), t.get("failed", "?"), t.get("not_claimed", "?")])
    w(table(["Vector set", "Tests", "Passed", "Failed", "Not claimed"], rows, "lrrrr"))


def check_identifiers(text: str, inp: Inputs) -> None:
    """Every svsm_crypto_* name in the policy must exist in the header or the manifest."""
    known = set(re.findall(r"\bsvsm_crypto_\w+|\bSVSM_CRYPTO_\w+", inp.header.text))
    known |= set(inp.manifest["exported_symbols"])
    named = set(re.findall(r"\bsvsm_crypto_\w+|\bSVSM_CRYPTO_\w+", text))
    # Paths and file names are not identifiers.
    named = {n for n in named if not re.search(r"svsm_crypto_(?:builder|object)$", n)}
    unknown = sorted(n for n in named - known if n not in ("SVSM_CRYPTO_BREAK",))
    if unknown:
        raise PolicyError("the policy names identifiers the header does not define: " + ", ".join(unknown))


# ---- Check mode -------------------------------------------------------------------

def check_policy(policy: Path, manifest_path: Path, acvp_path: Path) -> list[str]:
    """Problems with a written policy; empty when it is fine."""
    if not policy.is_file():
        return [f"{policy} does not exist (run {GENERATOR} first)"]
    text = policy.read_text(encoding="utf-8")
    problems = []
    m = load_manifest(manifest_path)
    digest = m["object"]["object_sha256"]
    top = "\n".join(text.splitlines()[:HASH_WITHIN_LINES])
    if digest not in top:
        problems.append(f"the object SHA-256 {digest} is not named in the first "
                        f"{HASH_WITHIN_LINES} lines")
    headings = re.findall(r"^## (\d+)\. (.+)$", text, re.M)
    want = [(str(i), t) for i, t in enumerate(SECTIONS, 1)]
    if headings != want:
        missing = [f"{n}. {t}" for n, t in want if (n, t) not in headings]
        problems.append("sections are not the 12 of ISO/IEC 19790 in order" +
                        (f"; missing: {', '.join(missing)}" if missing else f"; found: {headings}"))
    if re.search(r"\{[A-Z0-9_]+\}", text):
        problems.append("unfilled template placeholders remain")
    if not problems:
        try:
            fresh = render(load_inputs(manifest_path, acvp_path))
        except PolicyError as e:
            problems.append(f"cannot regenerate to compare: {e}")
        else:
            if fresh + "\n" != text:
                problems.append(f"{rel(policy)} is stale: its inputs changed since it was written; "
                                f"regenerate with {GENERATOR}")
    return problems


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description="Generate the security policy draft from the build inputs.")
    ap.add_argument("manifest", nargs="?", type=Path, default=DEFAULT_MANIFEST,
                    help="manifest.json of the real (not BREAK) build")
    ap.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    ap.add_argument("--acvp", type=Path, default=DEFAULT_ACVP,
                    help="ACVP summary.json to include when it exists")
    ap.add_argument("--check", action="store_true",
                    help="verify the written policy instead of writing it")
    args = ap.parse_args(argv)
    try:
        if args.check:
            problems = check_policy(args.output, args.manifest, args.acvp)
            for p in problems:
                print(f"{GENERATOR} --check: {p}", file=sys.stderr)
            if problems:
                return 1
            print(f"{rel(args.output)}: OK (object hash near the top, 12 sections, up to date)")
            return 0
        text = render(load_inputs(args.manifest, args.acvp))
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {rel(args.output)} for object {json.loads(args.manifest.read_text())['object']['object_sha256']}")
        return 0
    except PolicyError as e:
        print(f"{GENERATOR}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
