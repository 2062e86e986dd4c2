/*
 * ct_inverse.c - constant-time inversion modulo an odd modulus by the
 * divsteps of Bernstein and Yang, "Fast constant-time gcd computation and
 * modular inversion" (IACR TCHES 2019, issue 3; https://gcd.cr.yp.to/).
 * Written for this module from the paper's description.
 *
 * The variant used is "hddivsteps" (delta starts at 1/2 instead of 1; see
 * sipa/safegcd-bounds on GitHub, README "A faster variant"), written here
 * with h = delta + 1/2, an integer (the code keeps zeta = -h). One step on
 * (h, f, g), f odd:
 *   h > 0 and g odd:  (2 - h, g, (g - f) / 2)
 *   g odd:            (1 + h, f, (g + f) / 2)
 *   otherwise:        (1 + h, f, g / 2)
 * Starting from (1, n, x), 0 <= x < n, g reaches 0 and f reaches
 * +-gcd(n, x) = +-1. Sixty-two steps only look at the low 62 bits of f and
 * g, so they run on one machine word and produce a 2x2 matrix T with
 * 2^62 * (f', g') = T * (f, g), |entries| <= 2^62, applied once per batch
 * to the full f, g and to d, e, where d * x = c * f and e * x = c * g
 * (mod n) hold throughout (d = 0, e = c at the start); at the end
 * f = +-1, so +-d = c / x.
 *
 * The proofs cited below state the same steps with delta' = 2 delta
 * (starting at 1, updated to 2 - delta' or 2 + delta'; sipa/safegcd-bounds,
 * coq/hddivsteps/hddivsteps_def.v): delta' = 2h - 1 is odd, so delta' > 0
 * exactly when h > 0, and both take the same branches.
 *
 * Iteration count (the modulus's `divsteps`, svsm_ct_modulus), each a
 * bound proved in Coq for every odd f up to a limit and 0 <= g <= f:
 * - P-256's order: 590 (limit 0x101c84...afec2 > 2^256;
 *   sipa/safegcd-bounds, coq/hddivsteps/hddivsteps590_proof.v): 10
 *   batches of 62;
 * - P-384's order: 1033 (limit 2^448 - 2^224 - 1 > 2^384;
 *   dfaranha/safegcd-bounds, coq/hddivsteps/hddivsteps1033_proof.v): 17
 *   batches. The convex-hull computation of sipa/safegcd-bounds (README,
 *   verified for every limit M <= 2^3805 but not formally checked) gives
 *   floor((3787 log2(M) + 2166) / 1644) = 885 for M = 2^384, 15 batches;
 *   not used, as it has no checked proof.
 * (The original divsteps with Bernstein-Yang's own Theorem 11.2,
 * floor((49 b + 57) / 17), would need 741 and 1110: 12 and 18 batches.)
 * Extra steps after g = 0 keep f and the relations above, so whole batches
 * are always run. The input is reduced below n first (one conditional
 * subtraction: every input is below 2^(64 words) < 2n, n's top bit being
 * set), so g <= f holds.
 *
 * Constant time: the number of batches depends on the modulus size only;
 * the divstep conditions become masks; no branch or index depends on the
 * input. Numbers are signed: limbs of 62 bits, the top limb carrying the
 * sign (and a few spare bits), so the matrix products fit 128 bits.
 */
#include "ct_inverse.h"

/* freestanding.c (declared here so a host test can build this file with
 * only its own header; internal.h declares it for the module). */
void svsm_secure_zero(void *p, size_t n);

#define LIMB_BITS 62
#define LIMB_MASK (UINT64_MAX >> (64 - LIMB_BITS))
/* Limbs of a value of `words` 64-bit words, plus room for the sign and the
 * intermediate range (-2n, n) of d and e. */
#define LIMBS(words) (((words) * 64) / LIMB_BITS + 1)
#define MAX_LIMBS LIMBS(SVSM_CT_INV_MAX_WORDS)

typedef __int128 i128;

/* 2^62 * (f', g') = (u f + v g, q f + r g). */
typedef struct matrix {
    int64_t u, v, q, r;
} matrix;

/* Everything the inversion derives from its input, wiped in one place. */
typedef struct inv_state {
    int64_t n[MAX_LIMBS];
    int64_t f[MAX_LIMBS], g[MAX_LIMBS];
    int64_t d[MAX_LIMBS], e[MAX_LIMBS];
    uint64_t x[SVSM_CT_INV_MAX_WORDS]; /* the input, reduced */
    matrix t;
    uint64_t zeta;
} inv_state;

/* All ones when x is negative (top limb's sign), else 0. */
static inline int64_t sign_mask(int64_t top)
{
    return top >> 63; /* arithmetic shift (gcc) */
}

static void words_to_limbs(int64_t *out, const uint64_t *in, size_t words)
{
    const size_t limbs = LIMBS(words);
    for (size_t i = 0; i < limbs; i++) {
        size_t bit = i * LIMB_BITS, w = bit / 64, s = bit % 64;
        uint64_t v = w < words ? in[w] >> s : 0;
        if (s > 64 - LIMB_BITS && w + 1 < words)
            v |= in[w + 1] << (64 - s);
        out[i] = (int64_t)(v & LIMB_MASK);
    }
}

/* in: non-negative, limbs normalised, value below 2^(64 * words). */
static void limbs_to_words(uint64_t *out, const int64_t *in, size_t words)
{
    const size_t limbs = LIMBS(words);
    for (size_t w = 0; w < words; w++) {
        size_t bit = w * 64, i = bit / LIMB_BITS, s = bit % LIMB_BITS;
        uint64_t v = (uint64_t)in[i] >> s;
        if (i + 1 < limbs)
            v |= (uint64_t)in[i + 1] << (LIMB_BITS - s);
        if (s > 2 * LIMB_BITS - 64 && i + 2 < limbs)
            v |= (uint64_t)in[i + 2] << (2 * LIMB_BITS - s);
        out[w] = v;
    }
}

/* out = in mod n for in < 2n: in - n unless that borrows. */
static void reduce_once(uint64_t *out, const uint64_t *in, const svsm_ct_modulus *m)
{
    uint64_t borrow = 0;
    for (size_t w = 0; w < m->words; w++) {
        unsigned __int128 t = (unsigned __int128)in[w] - m->n[w] - borrow;
        out[w] = (uint64_t)t;
        borrow = (uint64_t)(t >> 64) & 1;
    }
    const uint64_t keep = 0 - borrow; /* all ones when in < n */
    for (size_t w = 0; w < m->words; w++)
        out[w] = (in[w] & keep) | (out[w] & ~keep);
}

/* Carries every limb but the top one into [0, 2^62). */
static void normalise(int64_t *x, size_t limbs)
{
    int64_t c = 0;
    for (size_t i = 0; i + 1 < limbs; i++) {
        c += x[i];
        x[i] = (int64_t)((uint64_t)c & LIMB_MASK);
        c >>= LIMB_BITS;
    }
    x[limbs - 1] += c;
}

/* x += n when mask is all ones. */
static void add_masked(int64_t *x, const int64_t *n, int64_t mask, size_t limbs)
{
    for (size_t i = 0; i < limbs; i++)
        x[i] += n[i] & mask;
    normalise(x, limbs);
}

/* x = -x when mask is all ones. */
static void negate_masked(int64_t *x, int64_t mask, size_t limbs)
{
    for (size_t i = 0; i < limbs; i++)
        x[i] = (x[i] ^ mask) - mask;
    normalise(x, limbs);
}

/*
 * 62 hddivsteps on the low bits of f and g; takes and returns zeta = -h.
 * With swap = (h > 0 and g odd), one step is: g += (h > 0 ? -f : f) when
 * g is odd (g - f or g + f); then, when swap, f += g (old f plus g - f:
 * the old g); then g is halved, which the matrix records by doubling the
 * f row (u, v) instead, to stay integral. The same steps run on the rows
 * of the matrix. h becomes 2 - h or 1 + h: zeta becomes ~zeta - 1
 * (= h - 2) or zeta - 1.
 */
static uint64_t divsteps_62(uint64_t zeta, uint64_t f, uint64_t g, matrix *t)
{
    uint64_t u = 1, v = 0, q = 0, r = 1;
    for (int i = 0; i < LIMB_BITS; i++) {
        uint64_t positive = (uint64_t)((int64_t)zeta >> 63); /* h > 0 */
        uint64_t odd = 0 - (g & 1);
        uint64_t swap = positive & odd;
        g += ((f ^ positive) - positive) & odd;
        q += ((u ^ positive) - positive) & odd;
        r += ((v ^ positive) - positive) & odd;
        f += g & swap;
        u += q & swap;
        v += r & swap;
        zeta = (zeta ^ swap) - 1;
        g >>= 1;
        u <<= 1;
        v <<= 1;
    }
    t->u = (int64_t)u;
    t->v = (int64_t)v;
    t->q = (int64_t)q;
    t->r = (int64_t)r;
    return zeta;
}

/* (f, g) = T (f, g) / 2^62, exact: the low 62 bits of both products are 0. */
static void update_fg(int64_t *f, int64_t *g, const matrix *t, size_t limbs)
{
    i128 cf = (i128)t->u * f[0] + (i128)t->v * g[0];
    i128 cg = (i128)t->q * f[0] + (i128)t->r * g[0];
    cf >>= LIMB_BITS;
    cg >>= LIMB_BITS;
    for (size_t i = 1; i < limbs; i++) {
        cf += (i128)t->u * f[i] + (i128)t->v * g[i];
        cg += (i128)t->q * f[i] + (i128)t->r * g[i];
        f[i - 1] = (int64_t)((uint64_t)cf & LIMB_MASK);
        g[i - 1] = (int64_t)((uint64_t)cg & LIMB_MASK);
        cf >>= LIMB_BITS;
        cg >>= LIMB_BITS;
    }
    f[limbs - 1] = (int64_t)cf;
    g[limbs - 1] = (int64_t)cg;
}

/*
 * (d, e) = T (d, e) / 2^62 mod n, keeping both in (-2n, n): a negative d
 * or e is first counted as d + n (the u n, v n, q n, r n terms in md, me,
 * which brings them to (-n, n)), then a multiple of n in (-2^62, 0] is
 * added to clear the low 62 bits (ninv = n^-1 mod 2^62). With
 * |u| + |v| <= 2^62 the result lies in (-2n, n) again.
 */
static void update_de(int64_t *d, int64_t *e, const matrix *t, const int64_t *n, uint64_t ninv,
                      size_t limbs)
{
    const int64_t sd = sign_mask(d[limbs - 1]), se = sign_mask(e[limbs - 1]);
    int64_t md = (t->u & sd) + (t->v & se);
    int64_t me = (t->q & sd) + (t->r & se);
    i128 cd = (i128)t->u * d[0] + (i128)t->v * e[0];
    i128 ce = (i128)t->q * d[0] + (i128)t->r * e[0];
    md -= (int64_t)((ninv * (uint64_t)cd + (uint64_t)md) & LIMB_MASK);
    me -= (int64_t)((ninv * (uint64_t)ce + (uint64_t)me) & LIMB_MASK);
    cd += (i128)n[0] * md;
    ce += (i128)n[0] * me;
    cd >>= LIMB_BITS;
    ce >>= LIMB_BITS;
    for (size_t i = 1; i < limbs; i++) {
        cd += (i128)t->u * d[i] + (i128)t->v * e[i] + (i128)n[i] * md;
        ce += (i128)t->q * d[i] + (i128)t->r * e[i] + (i128)n[i] * me;
        d[i - 1] = (int64_t)((uint64_t)cd & LIMB_MASK);
        e[i - 1] = (int64_t)((uint64_t)ce & LIMB_MASK);
        cd >>= LIMB_BITS;
        ce >>= LIMB_BITS;
    }
    d[limbs - 1] = (int64_t)cd;
    e[limbs - 1] = (int64_t)ce;
}

/* n^-1 mod 2^64 for odd n: n is its own inverse mod 8 (3 bits), and each
 * Newton step x = x (2 - n x) doubles the correct bits: 3, 6, ..., 96. */
static uint64_t inverse_mod_2_64(uint64_t n)
{
    uint64_t x = n;
    for (int i = 0; i < 5; i++)
        x *= 2 - n * x;
    return x;
}

/* out = c / in mod n with c = R^2: (a R)^-1 R^2 = a^-1 R, the Montgomery
 * factor at no cost (e starts at R^2 instead of 1). */
void svsm_ct_inverse_mont_mod_n(uint64_t *out, const uint64_t *in, const svsm_ct_modulus *m)
{
    const size_t words = m->words, limbs = LIMBS(words);
    const uint64_t ninv = inverse_mod_2_64(m->n[0]) & LIMB_MASK;
    inv_state s;

    words_to_limbs(s.n, m->n, words);
    words_to_limbs(s.f, m->n, words);
    reduce_once(s.x, in, m);
    words_to_limbs(s.g, s.x, words);
    words_to_limbs(s.e, m->r2, words);
    for (size_t i = 0; i < limbs; i++)
        s.d[i] = 0;
    s.zeta = (uint64_t)-1; /* delta = 1/2: h = 1 */
    for (unsigned b = 0; b < (m->divsteps + LIMB_BITS - 1) / LIMB_BITS; b++) {
        s.zeta = divsteps_62(s.zeta, (uint64_t)s.f[0], (uint64_t)s.g[0], &s.t);
        update_fg(s.f, s.g, &s.t, limbs);
        update_de(s.d, s.e, &s.t, s.n, ninv, limbs);
    }

    /* f = +-1 now unless in = 0 mod n (then f = +-n, d = 0). */
    const int64_t neg = sign_mask(s.f[limbs - 1]);
    uint64_t diff = (uint64_t)s.f[0] ^ (uint64_t)((neg & (int64_t)LIMB_MASK) | (~neg & 1));
    for (size_t i = 1; i + 1 < limbs; i++)
        diff |= (uint64_t)s.f[i] ^ (uint64_t)(neg & (int64_t)LIMB_MASK);
    diff |= (uint64_t)(s.f[limbs - 1] ^ neg);
    const uint64_t unit = ((diff | (0 - diff)) >> 63) - 1; /* all ones when f = +-1 */

    /* d in (-2n, n): to (-n, n), times the sign of f, to [0, n). */
    add_masked(s.d, s.n, sign_mask(s.d[limbs - 1]), limbs);
    negate_masked(s.d, neg, limbs);
    add_masked(s.d, s.n, sign_mask(s.d[limbs - 1]), limbs);
    limbs_to_words(out, s.d, words);
    for (size_t w = 0; w < words; w++)
        out[w] &= unit;
    svsm_secure_zero(&s, sizeof(s));
}

const svsm_ct_modulus svsm_ct_p256_order = {
    .words = 4,
    .divsteps = 590, /* Coq proof up to 2^256.02, see the top of this file */
    .n = { 0xf3b9cac2fc632551, 0xbce6faada7179e84, 0xffffffffffffffff, 0xffffffff00000000 },
    .r2 = { 0x83244c95be79eea2, 0x4699799c49bd6fa6, 0x2845b2392b6bec59, 0x66e12d94f3d95620 },
};

const svsm_ct_modulus svsm_ct_p384_order = {
    .words = 6,
    .divsteps = 1033, /* Coq proof up to 448 bits, see the top of this file */
    .n = { 0xecec196accc52973, 0x581a0db248b0a77a, 0xc7634d81f4372ddf, 0xffffffffffffffff,
           0xffffffffffffffff, 0xffffffffffffffff },
    .r2 = { 0x2d319b2419b409a9, 0xff3d81e5df1aa419, 0xbc3e483afcb82947, 0xd40d49174aab1cc5,
            0x3fb05b7a28266895, 0x0c84ee012b39bf21 },
};
