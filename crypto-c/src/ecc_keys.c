/*
 * ecc_keys.c - ECDSA and ECC CDH on P-256 and P-384.
 *
 * Keys cross the API as fixed-length big-endian byte strings, never as
 * wolfCrypt structures: each call imports what it needs into an ecc_key on
 * its stack and zeroes it before returning. Public keys are fully validated
 * (SP 800-56A rev. 3 5.6.2.3.3): coordinates in [0, p), point on the curve,
 * order n. Private scalars must lie in [1, n).
 *
 * A public key used repeatedly can be loaded once into a handle
 * (svsm_crypto_ecc_public_key_ctx): full validation then runs once, at load,
 * as SP 800-56A allows for a key whose validity is already assured. The
 * handle lives in caller memory, so each use re-runs the partial validation
 * (5.6.2.3.4: range, on the curve) on the stored coordinates; on these
 * prime-order curves (cofactor 1) a point passing it has order n, so a
 * modified handle can never bring an invalid point in. What each use skips
 * is the n*Q scalar multiplication.
 *
 * The handle also keeps the key's precomputed table (wolfCrypt's 64-entry
 * stripe table, patches/key-table.patch, built at load), so verification
 * and ECDH through it skip rebuilding a window table per call: 43 (P-256)
 * or 64 (P-384) doublings and additions instead of a doubling per bit.
 * The table is public (multiples of a public point) but lies in caller
 * memory too: load stores a SHA-256 over the handle's header, point and
 * table, and every use recomputes it first and refuses a handle that no
 * longer matches (SVSM_CRYPTO_ERR_KEY). That catches a corrupted or
 * mismatched table; it is no MAC, and a caller who rewrites table and
 * digest together only changes computations on its own inputs (it passes
 * the private scalar and gets Z).
 *
 * Constant time (issue 12, `make ct`): a private scalar never enters
 * wolfCrypt's general integer code (whose import, range checks, bit counts
 * and exports loop and branch on a number's length) nor its ecc_key paths.
 * It is loaded with a fixed number of limbs (scalar_load), range-checked by
 * the branch-free in_range, and handed straight to wolfCrypt's fixed-size
 * P-256/P-384 code (sp_ecc_sign_*, sp_ecc_secret_gen_*,
 * sp_ecc_mulmod_base_*), which reads exactly that many limbs. Results leave
 * through the branch-free scalar_store. Values public by design (a public
 * key the module just computed, a signature, a verdict the service reports)
 * are passed through svsm_ct_public before code branches on them.
 */
#include "internal.h"

#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sp.h>
#include <wolfssl/wolfcrypt/sp_int.h>

/* scalar_load and scalar_store move 8 bytes per limb. */
_Static_assert(sizeof(sp_int_digit) == 8, "64-bit limbs");
_Static_assert(SVSM_CRYPTO_ECC_MAX_SCALAR_LEN / 8 <= SP_INT_DIGITS, "a scalar fits an mp_int");

/*
 * The curves, parameters inline: the table holds no pointer, so it lies in
 * the hashed range (module.ld) and nothing about it depends on the link.
 */
typedef struct curve_desc {
    uint32_t id;
    int wc_curve;
    size_t len;                                /* field size in bytes */
    uint8_t p[SVSM_CRYPTO_ECC_MAX_SCALAR_LEN]; /* field prime, first len bytes */
    uint8_t n[SVSM_CRYPTO_ECC_MAX_SCALAR_LEN]; /* group order, first len bytes */
} curve_desc;

static const curve_desc g_curves[] = {
    {
        .id = SVSM_CRYPTO_P256,
        .wc_curve = ECC_SECP256R1,
        .len = 32,
        .p = { 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
               0xff, 0xff, 0xff, 0xff },
        .n = { 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
               0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2,
               0xfc, 0x63, 0x25, 0x51 },
    },
    {
        .id = SVSM_CRYPTO_P384,
        .wc_curve = ECC_SECP384R1,
        .len = 48,
        .p = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
               0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
               0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
               0x00, 0x00, 0xff, 0xff, 0xff, 0xff },
        .n = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
               0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81,
               0xf4, 0x37, 0x2d, 0xdf, 0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec,
               0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73 },
    },
};

/* A fixed digest for the pairwise consistency test. */
static const uint8_t g_pct_digest[32] = "svsm-crypto pairwise consistency";

static const curve_desc *curve_lookup(uint32_t curve)
{
    for (size_t i = 0; i < ARRAY_LEN(g_curves); i++) {
        const curve_desc *c = &g_curves[i];
        if (c->id != curve)
            continue;
        /* The length every buffer check relies on is the curve's field size
         * as wolfCrypt knows it, not only what this table says. */
        if (c->len > SVSM_CRYPTO_ECC_MAX_SCALAR_LEN ||
            wc_ecc_get_curve_size_from_id(c->wc_curve) != (int)c->len)
            return NULL;
        return c;
    }
    return NULL;
}

int ecc_scalar_len(uint32_t curve)
{
    const curve_desc *c = curve_lookup(curve);
    return c ? (int)c->len : 0;
}

/* 1 when 0 < x < bound (both big-endian, len bytes); time depends on len only. */
static int in_range(const uint8_t *x, const uint8_t *bound, size_t len, int allow_zero)
{
    unsigned borrow = 0;
    uint8_t any = 0;
    for (size_t i = len; i-- > 0;) {
        unsigned diff = (unsigned)x[i] - bound[i] - borrow;
        borrow = (diff >> 8) & 1;
        any |= x[i];
    }
    unsigned nonzero = (unsigned)((any | (uint8_t)-any) >> 7) | (unsigned)allow_zero;
    return (int)(borrow & nonzero & 1);
}

typedef struct ecc_work {
    ecc_key peer;   /* a public key, imported and validated by wolfCrypt */
    WC_RNG rng;
    mp_int d;       /* the private scalar (scalar_load) */
    mp_int k;       /* a fixed nonce, for the signature KAT (scalar_load) */
    mp_int r, s;    /* a signature */
    ecc_point q;    /* d*G */
    int peer_init, rng_init;
} ecc_work;

static int work_begin(ecc_work *w)
{
    memset(w, 0, sizeof(*w));
    if (wc_ecc_init_ex(&w->peer, NULL, INVALID_DEVID) != 0)
        return -1;
    w->peer_init = 1;
    if (wc_InitRng(&w->rng) != 0)
        return -1;
    w->rng_init = 1;
    if (mp_init_multi(&w->d, &w->k, &w->r, &w->s, NULL, NULL) != 0 ||
        mp_init_multi(w->q.x, w->q.y, w->q.z, NULL, NULL, NULL) != 0)
        return -1;
    return 0;
}

/* The integers hold no heap memory (WOLFSSL_SP_NO_MALLOC): zeroing the
 * whole structure wipes the scalars, without wolfCrypt's length-driven
 * clears. */
static void work_end(ecc_work *w)
{
    if (w->peer_init)
        wc_ecc_free(&w->peer);
    if (w->rng_init)
        wc_FreeRng(&w->rng);
    svsm_secure_zero(w, sizeof(*w));
}

/*
 * Loads a big-endian scalar of c->len bytes into m with the curve's fixed
 * number of limbs: `used` is len / 8 whatever the value, leading zero limbs
 * included, so nothing reveals how long the secret is. Only for wolfCrypt's
 * fixed-size P-256/P-384 functions, which read exactly that many limbs; the
 * general integer functions expect a clamped number and never see it.
 */
static void scalar_load(mp_int *m, const uint8_t *be, size_t len)
{
    size_t limbs = len / 8;
    for (size_t i = 0; i < limbs; i++) {
        const uint8_t *b = be + len - 8 * (i + 1);
        uint64_t v = 0;
        for (size_t j = 0; j < 8; j++)
            v = (v << 8) | b[j];
        m->dp[i] = (sp_int_digit)v;
    }
    m->used = (sp_size_t)limbs;
}

/* Writes m as len big-endian bytes, reading len / 8 limbs and masking off
 * those at or above m->used: no branch or index depends on the value. m is
 * below 2^(8 len) (a coordinate or a signature half of the curve). */
static void scalar_store(const mp_int *m, uint8_t *be, size_t len)
{
    size_t limbs = len / 8;
    for (size_t i = 0; i < limbs; i++) {
        uint64_t below_used = ((uint64_t)i - (uint64_t)m->used) >> 63;
        uint64_t v = (uint64_t)m->dp[i] & (0 - below_used);
        uint8_t *b = be + len - 8 * (i + 1);
        for (size_t j = 8; j-- > 0;) {
            b[j] = (uint8_t)v;
            v >>= 8;
        }
    }
}

/* Every byte value at its own index: the lookup svsm_ct_public makes. */
#define BYTES4(b) (b), (b) + 1, (b) + 2, (b) + 3
#define BYTES16(b) BYTES4(b), BYTES4((b) + 4), BYTES4((b) + 8), BYTES4((b) + 12)
#define BYTES64(b) BYTES16(b), BYTES16((b) + 16), BYTES16((b) + 32), BYTES16((b) + 48)
static const uint8_t g_byte_values[256] = { BYTES64(0), BYTES64(64), BYTES64(128), BYTES64(192) };

/*
 * Declares bytes public by design (a signature, a public key the module
 * computed, a verdict the service reports anyway) before code that branches
 * on them: each byte is replaced by itself, looked up in a table, so
 * valgrind's ctgrind check (`make ct`, tools/ct) sees it as known from here
 * on. That lookup is this function's only secret-dependent access, and
 * tools/ct/allowlist.txt names it: every call site says why its bytes are
 * public. wolfCrypt's signing calls it too (patches/ct-sign-public.patch).
 */
__attribute__((noinline)) void svsm_ct_public(void *buf, size_t len)
{
    uint8_t *b = buf;
    for (size_t i = 0; i < len; i++)
        b[i] = ((const volatile uint8_t *)g_byte_values)[b[i]];
}

/* A 0/1 flag public by design, see svsm_ct_public: a check's verdict the
 * service reveals anyway (its status, or a retry whose discarded input says
 * nothing), or wolfCrypt's "same point" flag of a point addition, which no
 * scalar but one P-256 ECDH key sets (patches/ct-point-add.patch). */
int svsm_ct_public_flag(int flag)
{
    uint8_t b = (uint8_t)flag;
    svsm_ct_public(&b, 1);
    return b;
}

/* wolfCrypt's fixed-size code for the curve: direct calls, so the call
 * graph stays complete (scripts/stack-usage.py). */
static int sp_base_mul(const curve_desc *c, const mp_int *k, ecc_point *out)
{
    return c->wc_curve == ECC_SECP256R1 ? sp_ecc_mulmod_base_256(k, out, 1, NULL)
                                        : sp_ecc_mulmod_base_384(k, out, 1, NULL);
}

static int sp_sign(const curve_desc *c, const uint8_t *digest, size_t digest_len, ecc_work *w,
                   mp_int *fixed_k)
{
    return c->wc_curve == ECC_SECP256R1
               ? sp_ecc_sign_256(digest, (word32)digest_len, &w->rng, &w->d, &w->r, &w->s,
                                 fixed_k, NULL)
               : sp_ecc_sign_384(digest, (word32)digest_len, &w->rng, &w->d, &w->r, &w->s,
                                 fixed_k, NULL);
}

static int sp_shared_x(const curve_desc *c, const mp_int *d, const ecc_point *q, uint8_t *z,
                       word32 *z_len)
{
    return c->wc_curve == ECC_SECP256R1 ? sp_ecc_secret_gen_256(d, q, z, z_len, NULL)
                                        : sp_ecc_secret_gen_384(d, q, z, z_len, NULL);
}

/* ---- Key tables (sp_x86_64.c, patches/key-table.patch) --------------------- */
int sp_ecc_key_table_gen_256(const ecc_point *pub, byte *table, word32 table_len, void *heap);
int sp_ecc_key_table_gen_384(const ecc_point *pub, byte *table, word32 table_len, void *heap);
int sp_ecc_secret_gen_key_table_256(const mp_int *priv, const byte *table, word32 table_len,
                                    byte *out, word32 *out_len, void *heap);
int sp_ecc_secret_gen_key_table_384(const mp_int *priv, const byte *table, word32 table_len,
                                    byte *out, word32 *out_len, void *heap);
int sp_ecc_verify_key_table_256(const byte *hash, word32 hash_len, const mp_int *x,
                                const mp_int *y, const mp_int *z, const byte *table,
                                word32 table_len, const mp_int *r, const mp_int *s, int *res,
                                void *heap);
int sp_ecc_verify_key_table_384(const byte *hash, word32 hash_len, const mp_int *x,
                                const mp_int *y, const mp_int *z, const byte *table,
                                word32 table_len, const mp_int *r, const mp_int *s, int *res,
                                void *heap);

/* The stripe table: 64 affine points in Montgomery form, each two
 * coordinates of the curve's size (P-256 4096 bytes, P-384 6144). */
#define KEY_TABLE_ENTRIES 64
#define KEY_TABLE_MAX_LEN (KEY_TABLE_ENTRIES * 2 * SVSM_CRYPTO_ECC_MAX_SCALAR_LEN)

static word32 key_table_len(const curve_desc *c)
{
    return (word32)(KEY_TABLE_ENTRIES * 2 * c->len);
}

static int sp_key_table_gen(const curve_desc *c, const ecc_point *q, uint8_t *table)
{
    return c->wc_curve == ECC_SECP256R1
               ? sp_ecc_key_table_gen_256(q, table, key_table_len(c), NULL)
               : sp_ecc_key_table_gen_384(q, table, key_table_len(c), NULL);
}

/* As sp_shared_x, the peer point given by its table (constant-time lookup). */
static int sp_shared_x_table(const curve_desc *c, const mp_int *d, const uint8_t *table,
                             uint8_t *z, word32 *z_len)
{
    return c->wc_curve == ECC_SECP256R1
               ? sp_ecc_secret_gen_key_table_256(d, table, key_table_len(c), z, z_len, NULL)
               : sp_ecc_secret_gen_key_table_384(d, table, key_table_len(c), z, z_len, NULL);
}

static int sp_verify_table(const curve_desc *c, const uint8_t *digest, size_t digest_len,
                           const ecc_point *q, const uint8_t *table, const mp_int *r,
                           const mp_int *s, int *verified)
{
    return c->wc_curve == ECC_SECP256R1
               ? sp_ecc_verify_key_table_256(digest, (word32)digest_len, q->x, q->y, q->z, table,
                                             key_table_len(c), r, s, verified, NULL)
               : sp_ecc_verify_key_table_384(digest, (word32)digest_len, q->x, q->y, q->z, table,
                                             key_table_len(c), r, s, verified, NULL);
}

#ifdef SVSM_CRYPTO_BREAK_CT_LEAK
/*
 * Control of the constant-time check (BREAK=ct-leak, never in the real
 * module): branches on the private scalar's lowest bit, the kind of leak
 * `make ct` must catch in every service that imports a private key.
 */
static __attribute__((noinline)) void ct_leak_control(const uint8_t *priv, size_t len)
{
    if (priv[len - 1] & 1)
        __asm__ volatile("" ::: "memory");
}
#define CT_LEAK_CONTROL(priv, len) ct_leak_control((priv), (len))
#else
#define CT_LEAK_CONTROL(priv, len) ((void)0)
#endif

/* Loads the private scalar into w->d after the range check [1, n); the
 * check's outcome (ERR_KEY or not) is the service's public result. */
static int import_private(ecc_work *w, const curve_desc *c, const uint8_t *priv)
{
    CT_LEAK_CONTROL(priv, c->len);
    if (!svsm_ct_public_flag(in_range(priv, c->n, c->len, 0)))
        return SVSM_CRYPTO_ERR_KEY;
    scalar_load(&w->d, priv, c->len);
    return 0;
}

/* Candidates drawn before key generation gives up; each is rejected with
 * probability (2^(8 len) - n + 1) / 2^(8 len), at most 2^-32 here. */
#define DRAW_TRIES 64

/*
 * A new private key by rejection sampling (FIPS 186-5 A.2.2): len bytes
 * from the DRBG until they are a number in [1, n-1], which is then d (A.2.2
 * keeps c + 1 for a c in [0, n-2]: the same uniform choice). A rejected
 * candidate is discarded, so whether one was says nothing about d.
 */
static int draw_private(ecc_work *w, const curve_desc *c, uint8_t *priv)
{
    for (unsigned tries = 0; tries < DRAW_TRIES; tries++) {
        if (wc_RNG_GenerateBlock(&w->rng, priv, (word32)c->len) != 0)
            return svc_operational() ? SVSM_CRYPTO_ERR_INTERNAL : SVSM_CRYPTO_ERR_ENTROPY;
        if (svsm_ct_public_flag(in_range(priv, c->n, c->len, 0))) {
            scalar_load(&w->d, priv, c->len);
            return 0;
        }
    }
    return SVSM_CRYPTO_ERR_INTERNAL;
}

/*
 * Imports and fully validates a public key into `into`: the coordinate range
 * here, then, because user_settings.h sets WOLFSSL_VALIDATE_ECC_IMPORT, the
 * import itself runs wc_ecc_check_key (on the curve, not the identity, n*Q is
 * the identity). Calling it again would repeat a scalar multiplication.
 */
static int import_public(ecc_key *into, const curve_desc *c, const uint8_t *pub)
{
    if (!in_range(pub, c->p, c->len, 1) || !in_range(pub + c->len, c->p, c->len, 1))
        return SVSM_CRYPTO_ERR_KEY;
    if (wc_ecc_import_unsigned(into, pub, pub + c->len, NULL, c->wc_curve) != 0)
        return SVSM_CRYPTO_ERR_KEY;
    return 0;
}

/*
 * Imports a public key from a loaded handle: partial validation only (range,
 * on the curve; (0, 0) is not on either curve), the key having passed full
 * validation when the handle was loaded. Sets the fields wolfCrypt's import
 * sets, without its wc_ecc_check_key.
 */
static int import_public_loaded(ecc_key *into, const curve_desc *c, const uint8_t *pub)
{
    if (!in_range(pub, c->p, c->len, 1) || !in_range(pub + c->len, c->p, c->len, 1))
        return SVSM_CRYPTO_ERR_KEY;
    if (wc_ecc_set_curve(into, (int)c->len, c->wc_curve) != 0 ||
        mp_read_unsigned_bin(into->pubkey.x, pub, (word32)c->len) != 0 ||
        mp_read_unsigned_bin(into->pubkey.y, pub + c->len, (word32)c->len) != 0 ||
        mp_set(into->pubkey.z, 1) != 0)
        return SVSM_CRYPTO_ERR_INTERNAL;
    into->type = ECC_PUBLICKEY;
    if (wc_ecc_point_is_on_curve(&into->pubkey, into->idx) != 0)
        return SVSM_CRYPTO_ERR_KEY;
    return 0;
}

/* Where a public key given as bytes comes from: the caller (validated in
 * full) or a loaded handle (validated in full at load). A flag, not a
 * function pointer, so the call graph (scripts/stack-usage.py) is complete. */
typedef enum { KEY_FROM_CALLER, KEY_FROM_HANDLE } key_source;

static int import_public_from(key_source from, ecc_key *into, const curve_desc *c,
                              const uint8_t *pub)
{
    return from == KEY_FROM_HANDLE ? import_public_loaded(into, c, pub)
                                   : import_public(into, c, pub);
}

/* pub = X || Y of d*G for the scalar in w->d. */
static int derive_public(ecc_work *w, const curve_desc *c, uint8_t *pub)
{
    if (sp_base_mul(c, &w->d, &w->q) != 0)
        return SVSM_CRYPTO_ERR_INTERNAL;
    scalar_store(w->q.x, pub, c->len);
    scalar_store(w->q.y, pub + c->len, c->len);
    return 0;
}

/*
 * wolfCrypt refuses digests shorter than WC_MIN_DIGEST_SIZE. FIPS 186-5 uses
 * a short digest as an integer whole, so leading zero bytes change nothing:
 * pad to that size.
 */
typedef struct padded_digest {
    uint8_t bytes[SVSM_CRYPTO_MAX_DIGEST_LEN];
    size_t len;
} padded_digest;

static padded_digest pad_digest(const uint8_t *digest, size_t digest_len)
{
    padded_digest p = { .len = digest_len };
    if (digest_len < WC_MIN_DIGEST_SIZE) {
        memset(p.bytes, 0, WC_MIN_DIGEST_SIZE - digest_len);
        memcpy(p.bytes + WC_MIN_DIGEST_SIZE - digest_len, digest, digest_len);
        p.len = WC_MIN_DIGEST_SIZE;
    } else {
        memcpy(p.bytes, digest, digest_len);
    }
    return p;
}

static int sign_with(ecc_work *w, const curve_desc *c, const uint8_t *digest,
                     size_t digest_len, const uint8_t *fixed_k, uint8_t *sig)
{
    padded_digest d = pad_digest(digest, digest_len);
    if (fixed_k != NULL)
        scalar_load(&w->k, fixed_k, c->len);
    if (sp_sign(c, d.bytes, d.len, w, fixed_k != NULL ? &w->k : NULL) != 0)
        return SVSM_CRYPTO_ERR_INTERNAL;
    scalar_store(&w->r, sig, c->len);
    scalar_store(&w->s, sig + c->len, c->len);
    return 0;
}

/* Whether a (public) digest is all zero: wolfCrypt neither signs nor
 * verifies one, so the sign service refuses it as an argument (ERR_ARG)
 * instead of failing inside (the verify service answers ERR_AUTH). */
static int digest_is_zero(const uint8_t *digest, size_t digest_len)
{
    uint8_t any = 0;
    for (size_t i = 0; i < digest_len; i++)
        any |= digest[i];
    return any == 0;
}

/*
 * Verifies sig over digest with pub_key, or with the key's table when one
 * is given (a loaded handle's): the table path calls wolfCrypt's fixed-size
 * verify directly, after the checks wc_ecc_verify_hash_ex would make (r
 * and s in [1, n-1], a digest not all zero).
 */
static int verify_with(ecc_key *pub_key, const uint8_t *table, ecc_work *w,
                       const curve_desc *c, const uint8_t *digest, size_t digest_len,
                       const uint8_t *sig)
{
    int verified = 0, ret;
    padded_digest d = pad_digest(digest, digest_len);
    if (!in_range(sig, c->n, c->len, 0) || !in_range(sig + c->len, c->n, c->len, 0))
        return SVSM_CRYPTO_ERR_AUTH;
    if (mp_read_unsigned_bin(&w->r, sig, (word32)c->len) != 0 ||
        mp_read_unsigned_bin(&w->s, sig + c->len, (word32)c->len) != 0)
        return SVSM_CRYPTO_ERR_INTERNAL;
    if (table != NULL)
        ret = digest_is_zero(d.bytes, d.len)
                  ? -1
                  : sp_verify_table(c, d.bytes, d.len, &pub_key->pubkey, table, &w->r, &w->s,
                                    &verified);
    else
        ret = wc_ecc_verify_hash_ex(&w->r, &w->s, d.bytes, (word32)d.len, &verified, pub_key);
    if (ret != 0)
        return SVSM_CRYPTO_ERR_AUTH;
    return verified == 1 ? 0 : SVSM_CRYPTO_ERR_AUTH;
}

int ecdsa_sign_op(uint32_t curve, const uint8_t *priv, const uint8_t *digest,
                  size_t digest_len, const uint8_t *fixed_k, uint8_t *sig)
{
    const curve_desc *c = curve_lookup(curve);
    ecc_work w;
    int ret = c ? work_begin(&w) : SVSM_CRYPTO_ERR_ARG;
    if (ret == 0)
        ret = import_private(&w, c, priv);
    if (ret == 0)
        ret = sign_with(&w, c, digest, digest_len, fixed_k, sig);
    if (c)
        work_end(&w);
    return ret;
}

/* table: the key's precomputed table (a loaded handle's), or NULL. */
static int verify_op(const curve_desc *c, key_source from, const uint8_t *pub,
                     const uint8_t *table, const uint8_t *digest, size_t digest_len,
                     const uint8_t *sig)
{
    ecc_work w;
    int ret = c ? work_begin(&w) : SVSM_CRYPTO_ERR_ARG;
    if (ret == 0)
        ret = import_public_from(from, &w.peer, c, pub);
    if (ret == 0)
        ret = verify_with(&w.peer, table, &w, c, digest, digest_len, sig);
    if (c)
        work_end(&w);
    return ret;
}

int ecdsa_verify_op(uint32_t curve, const uint8_t *pub, const uint8_t *digest,
                    size_t digest_len, const uint8_t *sig)
{
    return verify_op(curve_lookup(curve), KEY_FROM_CALLER, pub, NULL, digest, digest_len, sig);
}

/* table: the peer key's precomputed table (a loaded handle's), or NULL. */
static int shared_secret_op(const curve_desc *c, key_source from, const uint8_t *priv,
                            const uint8_t *peer_pub, const uint8_t *table, uint8_t *z)
{
    ecc_work w;
    word32 z_len = c ? (word32)c->len : 0;
    int ret = c ? work_begin(&w) : SVSM_CRYPTO_ERR_ARG;
    if (ret == 0)
        ret = import_private(&w, c, priv);
    if (ret == 0)
        ret = import_public_from(from, &w.peer, c, peer_pub);
    /*
     * Z is the x-coordinate of d*Q, written at full length. The peer key
     * passed full validation (order n, SP 800-56A 5.6.2.3.3, at the call or
     * at load) and d is in [1, n-1] on a curve of prime order, so d*Q is
     * never the point at infinity (5.7.1.2's only refusal); an all-zero x is
     * a valid Z, and nothing here looks at its value.
     */
    if (ret == 0 &&
        ((table != NULL ? sp_shared_x_table(c, &w.d, table, z, &z_len)
                        : sp_shared_x(c, &w.d, &w.peer.pubkey, z, &z_len)) != 0 ||
         z_len != c->len))
        ret = SVSM_CRYPTO_ERR_INTERNAL;
    if (c)
        work_end(&w);
    return ret;
}

int ecdh_op(uint32_t curve, const uint8_t *priv, const uint8_t *peer_pub, uint8_t *z)
{
    return shared_secret_op(curve_lookup(curve), KEY_FROM_CALLER, priv, peer_pub, NULL, z);
}

/* ---- Loaded public keys -------------------------------------------------- */

#define PUBKEY_MAGIC 0x42555045u /* "EPUB" */

typedef struct pubkey_state {
    uint32_t magic;
    uint32_t curve;
    uint8_t q[2 * SVSM_CRYPTO_ECC_MAX_SCALAR_LEN]; /* X || Y, 2 * curve length used */
    /* SHA-256 over the bytes above and the table's key_table_len bytes. */
    uint8_t check[32];
    /* The stripe table of Q (sp_ecc_key_table_gen_*): wolfCrypt reads it as
     * 64-bit limbs. */
    _Alignas(16) uint8_t table[KEY_TABLE_MAX_LEN];
} pubkey_state;

_Static_assert(sizeof(pubkey_state) <= SVSM_CRYPTO_ECC_PUBLIC_KEY_CTX_SIZE,
               "public-key context too small");
_Static_assert(_Alignof(pubkey_state) <= 16, "public-key context alignment");
/* ffi/tests/raw_layer.rs modifies the stored point here. */
_Static_assert(offsetof(pubkey_state, q) == 8, "public-key context point offset");
/* ffi/tests/raw_layer.rs changes the check value and the table here. */
_Static_assert(offsetof(pubkey_state, check) == 104 && sizeof(((pubkey_state *)0)->check) == 32,
               "public-key context check value");
_Static_assert(offsetof(pubkey_state, table) == 144, "public-key context table offset");

/* The curve of a loaded handle, or NULL when ctx holds none. */
static const curve_desc *pubkey_curve(const svsm_crypto_ecc_public_key_ctx *ctx)
{
    if (ctx == NULL)
        return NULL;
    const pubkey_state *k = (const pubkey_state *)(const void *)ctx->opaque;
    return k->magic == PUBKEY_MAGIC ? curve_lookup(k->curve) : NULL;
}

static const pubkey_state *pubkey_of(const svsm_crypto_ecc_public_key_ctx *ctx)
{
    return (const pubkey_state *)(const void *)ctx->opaque;
}

/* The handle's check value: SHA-256 over magic, curve, point and table. */
static int pubkey_digest(const pubkey_state *k, const curve_desc *c, uint8_t out[32])
{
    const byte_span parts[] = {
        { (const uint8_t *)k, offsetof(pubkey_state, check) },
        { k->table, key_table_len(c) },
    };
    return hash_parts_op(SVSM_CRYPTO_SHA256, parts, ARRAY_LEN(parts), out);
}

/* 1 when the handle's point and table are still those load stored. */
static int pubkey_intact(const pubkey_state *k, const curve_desc *c)
{
    uint8_t now[32];
    int ok = pubkey_digest(k, c, now) == 0 && svsm_ct_equal(now, k->check, sizeof(now));
    svsm_secure_zero(now, sizeof(now));
    return ok;
}

/*
 * Fills a zeroed handle: the point, validated in full (KEY_FROM_CALLER) or,
 * for a key already known valid, partially (KEY_FROM_HANDLE), its table
 * and the check value.
 */
static int pubkey_fill(pubkey_state *k, const curve_desc *c, key_source from,
                       const uint8_t *pub)
{
    ecc_work w;
    int ret = work_begin(&w);
    if (ret == 0)
        ret = import_public_from(from, &w.peer, c, pub);
    if (ret == 0 && sp_key_table_gen(c, &w.peer.pubkey, k->table) != 0)
        ret = SVSM_CRYPTO_ERR_INTERNAL;
    work_end(&w);
    if (ret != 0)
        return ret;
    memcpy(k->q, pub, 2 * c->len);
    k->curve = c->id;
    k->magic = PUBKEY_MAGIC;
    return pubkey_digest(k, c, k->check) == 0 ? 0 : SVSM_CRYPTO_ERR_INTERNAL;
}

/*
 * The ECDH self-test's path: the KAT's peer key (known valid) loaded into a
 * handle on the stack as the load service loads one, then checked and used
 * as the ECDH service uses it, so the power-on tests cover the table code
 * (its generation, the check value, the multiplication with the
 * constant-time lookup).
 */
int ecdh_loaded_op(uint32_t curve, const uint8_t *priv, const uint8_t *peer_pub, uint8_t *z)
{
    const curve_desc *c = curve_lookup(curve);
    svsm_crypto_ecc_public_key_ctx ctx;
    pubkey_state *k = (pubkey_state *)(void *)ctx.opaque;
    svsm_secure_zero(&ctx, sizeof(ctx));
    int ret = c ? pubkey_fill(k, c, KEY_FROM_HANDLE, peer_pub) : SVSM_CRYPTO_ERR_ARG;
    if (ret == 0)
        ret = pubkey_intact(k, c) ? shared_secret_op(c, KEY_FROM_HANDLE, priv, k->q, k->table, z)
                                  : SVSM_CRYPTO_ERR_KEY;
    svsm_secure_zero(&ctx, sizeof(ctx));
    return ret;
}

/* ---- Services ---------------------------------------------------------- */

static int digest_len_ok(const uint8_t *digest, size_t digest_len)
{
    return digest != NULL && digest_len >= 1 && digest_len <= SVSM_CRYPTO_MAX_DIGEST_LEN;
}

/* Maps an op result to a service status. */
#define SERVICE_RESULT(ret)                                                      \
    do {                                                                         \
        int r_ = (ret);                                                          \
        if (r_ != 0)                                                             \
            SERVICE_FAIL(r_ < 0 && r_ >= SVSM_CRYPTO_ERR_LIMIT ? r_ : SVSM_CRYPTO_ERR_INTERNAL); \
        return SVSM_CRYPTO_OK;                                                   \
    } while (0)

#ifdef SVSM_CRYPTO_BREAK_ECC_KEYGEN_PCT
/*
 * Fault injection (BREAK=ecc-keygen-pct, never in the real module): the PCT
 * signs with the generated scalar plus or minus one, as if the key pair were
 * inconsistent. Only the key used inside the test changes.
 */
static int pct_break_key(ecc_work *w, const curve_desc *c, const uint8_t *priv)
{
    uint8_t wrong[SVSM_CRYPTO_ECC_MAX_SCALAR_LEN];
    memcpy(wrong, priv, c->len);
    wrong[c->len - 1] ^= 0x01;
    int ret = import_private(w, c, wrong);
    svsm_secure_zero(wrong, sizeof(wrong));
    return ret;
}
#define PCT_FAULT(w, c, priv) pct_break_key((w), (c), (priv))
#else
#define PCT_FAULT(w, c, priv) 0
#endif

svsm_crypto_status svsm_crypto_ecc_keygen(uint32_t curve, uint8_t *private_key,
                                          size_t private_len, uint8_t *public_key,
                                          size_t public_len)
{
    const curve_desc *c = curve_lookup(curve);
    SERVICE_OUTPUTS(OUT(private_key, private_len), OUT(public_key, public_len));
    SERVICE_ENTER();
    if (c == NULL || private_key == NULL || private_len != c->len || public_key == NULL ||
        public_len != 2 * c->len)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);

    ecc_work w;
    uint8_t sig[2 * SVSM_CRYPTO_ECC_MAX_SCALAR_LEN];
    int ret = work_begin(&w);
    if (ret == 0)
        ret = draw_private(&w, c, private_key);
    if (ret == 0)
        ret = derive_public(&w, c, public_key);
    /*
     * Pairwise consistency test (FIPS 140-3 IG 10.3.A): sign, then verify.
     * The public key is the module's own d*G for a d in [1, n-1], so on
     * these prime-order curves it has order n by construction: the verify
     * brings it in with the partial validation of a loaded key, not the full
     * one (no n*Q multiplication).
     */
    if (ret == 0) {
        /* The public key is public by design: the caller gets it next. */
        svsm_ct_public(public_key, 2 * c->len);
        ret = PCT_FAULT(&w, c, private_key);
        if (ret == 0)
            ret = sign_with(&w, c, g_pct_digest, sizeof(g_pct_digest), NULL, sig);
        if (ret == 0)
            ret = import_public_from(KEY_FROM_HANDLE, &w.peer, c, public_key);
        if (ret == 0)
            ret = verify_with(&w.peer, NULL, &w, c, g_pct_digest, sizeof(g_pct_digest), sig);
        if (ret != 0) {
            module_enter_error();
            ret = SVSM_CRYPTO_ERR_SELF_TEST;
        }
    }
    work_end(&w);
    svsm_secure_zero(sig, sizeof(sig));
    SERVICE_RESULT(ret);
}

svsm_crypto_status svsm_crypto_ecc_public_key_validate(uint32_t curve,
                                                       const uint8_t *public_key,
                                                       size_t public_len)
{
    const curve_desc *c = curve_lookup(curve);
    SERVICE_OUTPUTS(NO_OUTPUT);
    SERVICE_ENTER();
    if (c == NULL || public_key == NULL || public_len != 2 * c->len)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    ecc_work w;
    int ret = work_begin(&w);
    if (ret == 0)
        ret = import_public(&w.peer, c, public_key);
    work_end(&w);
    SERVICE_RESULT(ret);
}

svsm_crypto_status svsm_crypto_ecc_public_key_derive(uint32_t curve, const uint8_t *private_key,
                                                     size_t private_len, uint8_t *public_key,
                                                     size_t public_len)
{
    const curve_desc *c = curve_lookup(curve);
    SERVICE_OUTPUTS(OUT(public_key, public_len));
    SERVICE_ENTER();
    if (c == NULL || private_key == NULL || private_len != c->len || public_key == NULL ||
        public_len != 2 * c->len)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    ecc_work w;
    int ret = work_begin(&w);
    if (ret == 0)
        ret = import_private(&w, c, private_key);
    if (ret == 0)
        ret = derive_public(&w, c, public_key);
    work_end(&w);
    SERVICE_RESULT(ret);
}

svsm_crypto_status svsm_crypto_ecdsa_sign_digest(uint32_t curve, const uint8_t *private_key,
                                                 size_t private_len, const uint8_t *digest,
                                                 size_t digest_len, uint8_t *signature,
                                                 size_t signature_len)
{
    const curve_desc *c = curve_lookup(curve);
    SERVICE_OUTPUTS(OUT(signature, signature_len));
    SERVICE_ENTER();
    if (c == NULL || private_key == NULL || private_len != c->len ||
        !digest_len_ok(digest, digest_len) || digest_is_zero(digest, digest_len) ||
        signature == NULL || signature_len != 2 * c->len)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    SERVICE_RESULT(ecdsa_sign_op(curve, private_key, digest, digest_len, NULL, signature));
}

svsm_crypto_status svsm_crypto_ecdsa_verify_digest(uint32_t curve, const uint8_t *public_key,
                                                   size_t public_len, const uint8_t *digest,
                                                   size_t digest_len, const uint8_t *signature,
                                                   size_t signature_len)
{
    const curve_desc *c = curve_lookup(curve);
    SERVICE_OUTPUTS(NO_OUTPUT);
    SERVICE_ENTER();
    if (c == NULL || public_key == NULL || public_len != 2 * c->len ||
        !digest_len_ok(digest, digest_len) || signature == NULL ||
        signature_len != 2 * c->len)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    SERVICE_RESULT(ecdsa_verify_op(curve, public_key, digest, digest_len, signature));
}

svsm_crypto_status svsm_crypto_ecdh_shared_secret(uint32_t curve, const uint8_t *private_key,
                                                  size_t private_len,
                                                  const uint8_t *peer_public_key,
                                                  size_t peer_public_len, uint8_t *shared_secret,
                                                  size_t shared_secret_len)
{
    const curve_desc *c = curve_lookup(curve);
    SERVICE_OUTPUTS(OUT(shared_secret, shared_secret_len));
    SERVICE_ENTER();
    if (c == NULL || private_key == NULL || private_len != c->len || peer_public_key == NULL ||
        peer_public_len != 2 * c->len || shared_secret == NULL || shared_secret_len != c->len)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    SERVICE_RESULT(ecdh_op(curve, private_key, peer_public_key, shared_secret));
}

svsm_crypto_status svsm_crypto_ecc_public_key_load(svsm_crypto_ecc_public_key_ctx *ctx,
                                                   uint32_t curve, const uint8_t *public_key,
                                                   size_t public_len)
{
    const curve_desc *c = curve_lookup(curve);
    SERVICE_OUTPUTS(OUT(ctx, sizeof(*ctx)));
    SERVICE_ENTER();
    if (ctx == NULL || c == NULL || public_key == NULL || public_len != 2 * c->len)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    svsm_secure_zero(ctx, sizeof(*ctx));
    SERVICE_RESULT(
        pubkey_fill((pubkey_state *)(void *)ctx->opaque, c, KEY_FROM_CALLER, public_key));
}

svsm_crypto_status svsm_crypto_ecdsa_verify_digest_loaded(
    const svsm_crypto_ecc_public_key_ctx *ctx, const uint8_t *digest, size_t digest_len,
    const uint8_t *signature, size_t signature_len)
{
    const curve_desc *c = pubkey_curve(ctx);
    SERVICE_OUTPUTS(NO_OUTPUT);
    SERVICE_ENTER();
    if (c == NULL || !digest_len_ok(digest, digest_len) || signature == NULL ||
        signature_len != 2 * c->len)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    const pubkey_state *k = pubkey_of(ctx);
    if (!pubkey_intact(k, c))
        SERVICE_FAIL(SVSM_CRYPTO_ERR_KEY);
    SERVICE_RESULT(
        verify_op(c, KEY_FROM_HANDLE, k->q, k->table, digest, digest_len, signature));
}

svsm_crypto_status svsm_crypto_ecdh_shared_secret_loaded(
    const svsm_crypto_ecc_public_key_ctx *peer, const uint8_t *private_key, size_t private_len,
    uint8_t *shared_secret, size_t shared_secret_len)
{
    const curve_desc *c = pubkey_curve(peer);
    SERVICE_OUTPUTS(OUT(shared_secret, shared_secret_len));
    SERVICE_ENTER();
    if (c == NULL || private_key == NULL || private_len != c->len || shared_secret == NULL ||
        shared_secret_len != c->len)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    const pubkey_state *k = pubkey_of(peer);
    if (!pubkey_intact(k, c))
        SERVICE_FAIL(SVSM_CRYPTO_ERR_KEY);
    SERVICE_RESULT(
        shared_secret_op(c, KEY_FROM_HANDLE, private_key, k->q, k->table, shared_secret));
}

/* Zeroes the whole context (a public key is no secret; this ends the handle). */
void svsm_crypto_ecc_public_key_cleanse(svsm_crypto_ecc_public_key_ctx *ctx)
{
    if (ctx != NULL)
        svsm_secure_zero(ctx, sizeof(*ctx));
}
