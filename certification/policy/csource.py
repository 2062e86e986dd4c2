"""Reading the module's own C sources: the one place the generator reads C.

The API header is not read here: the builder reads it and the manifest
carries its facts (`loader.Api`). What only the sources hold is read here:
function bodies and macros (to follow what each service calls), the numbers
of #defines in the implementation (health-test cutoffs, DRBG parameters,
limits), the compile options of user_settings.h and the comments that state
the state machine and the health-test alpha. Every file is checked against
the SHA-256 the manifest recorded, so the text read is the text compiled.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

from .common import REPO, GENERATOR, PolicyError, one_line, sha256_file
from .hand import HAND_WOLFCRYPT_RNG_DRAWERS

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


# ---- Sources -----------------------------------------------------------------------

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
    """The module's own files, each checked against the manifest's hash. The
    API header is hashed like the others but not read as C: its facts come
    from the manifest, where the builder put them."""
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
        if path.endswith((".c", ".h")) and path != manifest["module"]["api_header"]:
            fns, macros = c_functions_and_macros(path, text)
            src.functions.update(fns)
            src.macros.update(macros)
    settings = texts.get("crypto-c/config/user_settings.h", "")
    src.rng_block = defines(settings).get("CUSTOM_RAND_GENERATE_BLOCK")
    return src


# ---- Facts: numbers only the sources hold (and the header's constants) ---------------------------------------

@dataclass
class Facts:
    values: dict[str, int]
    origin: dict[str, str]          # name -> file it came from

    def __getitem__(self, name: str) -> int:
        return self.values[name]


FACT_SOURCES = {
    "crypto-c/src/entropy.c": ["ENTROPY_BITS_PER_SAMPLE", "RCT_CUTOFF", "APT_WINDOW", "APT_CUTOFF"],
    "crypto-c/src/internal.h": ["ENTROPY_STARTUP_SAMPLES", "DRBG_KEYLEN", "DRBG_SEEDLEN",
                                "DRBG_RESEED_INTERVAL"],
    "crypto-c/src/drbg.c": ["SECURITY_STRENGTH_BITS", "MIN_ENTROPY_LEN", "MIN_NONCE_LEN"],
    "crypto-c/src/hashing.c": ["HMAC_MIN_APPROVED_KEY_LEN", "HMAC_MIN_TAG_LEN"],
    "crypto-c/src/aead.c": ["GCM_IV_FIXED_LEN", "GCM_IV_INVOCATION_LEN", "GCM_MAX_GENERATED_IVS",
                            "GCM_MAX_IV_LEN"],
}


def collect_facts(src: Sources, constants: dict[str, int], constants_origin: str,
                  integrity_key_bits: int) -> Facts:
    """The numbers the policy quotes: the header's constants (from the
    manifest), the #defines of FACT_SOURCES, and what derives from them."""
    values, origin = {}, {}
    for name, v in constants.items():
        values[name], origin[name] = v, constants_origin
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
    values["INTEGRITY_KEY_BITS"] = integrity_key_bits
    for n in ("ENTROPY_INPUT_SAMPLES", "NONCE_SAMPLES", "DRBG_SEEDLEN_BITS",
              "HMAC_MIN_APPROVED_KEY_BITS", "HMAC_MIN_TAG_BITS", "INTEGRITY_KEY_BITS"):
        origin[n] = "derived"
    return Facts(values, origin)


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


def fill(template: str, facts: Facts) -> str:
    def sub(m):
        name = m.group(1)
        if name not in facts.values:
            raise PolicyError(f"HAND-STATED text refers to unknown fact {{{name}}}")
        return f"{facts[name]}"
    return re.sub(r"\{([A-Z0-9_]+)\}", sub, template)
