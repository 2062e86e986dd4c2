"""When a point addition inside wolfCrypt's secret-scalar multiplications can
be handed two equal points: the claim third_party/wolfssl/patches/
ct-point-add.patch makes to declare that flag public (make ct runs this).

A scalar model, no curve arithmetic: every point is a multiple of the base
(G or the peer's Q, both of prime order n), so a point is its multiple mod n
and two points are equal exactly when their multiples are. The digits are
those of wolfCrypt's recoding (sp_256_ecc_recode_6_4 and _7_4, sp_384's
_6_6 and _7_6 in the module's ct-recode.patch form): the window plus the
carry, minus 2^w from 2^(w-1) on; the top window is loaded without its sign.
The stripe method of a loaded key's table (patches/key-table.patch) takes
the scalar's bits unsigned, no recoding.
"""

import random
import unittest

N256 = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
N384 = int(
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
    16,
)


def recode(k, w, windows):
    digits, carry = [], 0
    for i in range(windows):
        y = ((k >> (w * i)) & ((1 << w) - 1)) + carry
        d = y - (1 << w) if y >= 1 << (w - 1) else y
        digits.append(d)
        carry = 1 if d < 0 or y == 1 << w else 0
    digits[-1] = abs(digits[-1])
    assert sum(d << (w * i) for i, d in enumerate(digits)) == k, hex(k)
    return digits


def win_add_sub(k, n, windows):
    """d*Q (ECDH): 6-bit windows, six doublings then one addition each.
    Returns the windows whose addition gets two equal points."""
    v = recode(k, 6, windows)
    equal, acc = [], v[-1] % n
    for i in range(windows - 2, -1, -1):
        acc = acc * 64 % n
        p = v[i] % n
        if acc and p and acc == p:
            equal.append(i)
        acc = (acc + p) % n
    assert acc == k % n
    return equal


def add_only(k, n, windows):
    """k*G (signing, key generation, derivation): 7-bit windows, each its
    own table of multiples of 2^(7i) G, additions only."""
    v = recode(k, 7, windows)
    equal, acc = [], (v[-1] << (7 * (windows - 1))) % n
    for i in range(windows - 2, -1, -1):
        p = (v[i] << (7 * i)) % n
        if acc and p and acc == p:
            equal.append(i)
        acc = (acc + p) % n
    assert acc == k % n
    return equal


def stripe(k, n, width):
    """d*Q with a loaded key's table (ECDH through a handle, the stripe
    method of patches/key-table.patch): six stripes of `width` bits, entry
    y of the table the sum of 2^(width*s) Q over the bits s of y; one
    doubling then one addition per bit position, the top position loaded.
    Unsigned bits, no recoding."""

    def entry(i):
        return sum(((k >> (i + width * s)) & 1) << (width * s) for s in range(6)) % n

    equal, acc = [], entry(width - 1)
    for i in range(width - 2, -1, -1):
        acc = acc * 2 % n
        p = entry(i)
        if acc and p and acc == p:
            equal.append(i)
        acc = (acc + p) % n
    assert acc == k % n
    return equal


METHODS = {
    "P-256 win_add_sub": (lambda k: win_add_sub(k, N256, 43), N256),
    "P-256 add_only": (lambda k: add_only(k, N256, 37), N256),
    "P-384 win_add_sub": (lambda k: win_add_sub(k, N384, 65), N384),
    "P-384 add_only": (lambda k: add_only(k, N384, 55), N384),
    "P-256 stripe": (lambda k: stripe(k, N256, 43), N256),
    "P-384 stripe": (lambda k: stripe(k, N384, 64), N384),
}


class EqualPointsModel(unittest.TestCase):
    def scalars(self, n):
        rng = random.Random(13)
        small = list(range(1, 3000))
        return small + [n - x for x in small] + [rng.randrange(1, n) for _ in range(3000)]

    def test_only_p256_ecdh_key_n_minus_34_adds_equal_points(self):
        for name, (method, n) in METHODS.items():
            hits = {k: method(k) for k in self.scalars(n)}
            hits = {k: w for k, w in hits.items() if w}
            want = {N256 - 34: [0]} if name == "P-256 win_add_sub" else {}
            self.assertEqual(hits, want, name)


if __name__ == "__main__":
    unittest.main()
