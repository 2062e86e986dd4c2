/*
 * drbg.c - Hash_DRBG with SHA-256 (SP 800-90A rev. 1, 10.1.1), owned by the
 * module.
 *
 * The module, not wolfCrypt, owns its DRBG: wolfCrypt's WC_RNG draws from
 * the module's instance through CUSTOM_RAND_GENERATE_BLOCK (user_settings.h),
 * so key generation, ECDSA nonces and generated IVs all come from one
 * health-tested, self-tested DRBG seeded by the entropy source. Callers can
 * also own instances (svsm_crypto_drbg_ctx), seeded the same way, or seeded
 * with their own entropy for mechanism testing (non-approved).
 *
 * Security strength 256 bits: instantiation takes 256 bits of entropy and a
 * 128-bit nonce (from the entropy source); reseed every 2^24 requests.
 */
#include "internal.h"

#include <wolfssl/wolfcrypt/sha256.h>

#define DRBG_MAGIC 0x47425244u /* "DRBG" */
#define SHA256_LEN 32
#define SECURITY_STRENGTH_BITS 256
#define MIN_ENTROPY_LEN (SECURITY_STRENGTH_BITS / 8)
#define MIN_NONCE_LEN (SECURITY_STRENGTH_BITS / 16)

_Static_assert(sizeof(drbg_state) <= SVSM_CRYPTO_DRBG_CTX_SIZE, "DRBG context too small");
_Static_assert(_Alignof(drbg_state) <= 16, "DRBG context alignment");

typedef struct piece {
    const uint8_t *p;
    size_t n;
} piece;

static int hash_pieces(const piece *pieces, size_t count, uint8_t out[SHA256_LEN])
{
    wc_Sha256 sha;
    int ret = wc_InitSha256_ex(&sha, NULL, INVALID_DEVID);
    for (size_t i = 0; ret == 0 && i < count; i++) {
        if (pieces[i].n > 0)
            ret = wc_Sha256Update(&sha, pieces[i].p, (word32)pieces[i].n);
    }
    if (ret == 0)
        ret = wc_Sha256Final(&sha, out);
    wc_Sha256Free(&sha);
    svsm_secure_zero(&sha, sizeof(sha));
    return ret;
}

/* Hash_df (10.3.1): out_len bytes derived from the concatenated inputs. */
static int hash_df(const piece *in, size_t count, uint8_t *out, size_t out_len)
{
    uint8_t counter = 1;
    uint32_t bits = (uint32_t)(out_len * 8);
    uint8_t bits_be[4] = { (uint8_t)(bits >> 24), (uint8_t)(bits >> 16), (uint8_t)(bits >> 8),
                           (uint8_t)bits };
    uint8_t block[SHA256_LEN];
    piece all[6] = { { &counter, 1 }, { bits_be, 4 } };
    int ret = 0;

    if (count > ARRAY_LEN(all) - 2)
        return BAD_FUNC_ARG;
    for (size_t i = 0; i < count; i++)
        all[i + 2] = in[i];
    for (size_t off = 0; ret == 0 && off < out_len; off += SHA256_LEN, counter++) {
        size_t take = out_len - off < SHA256_LEN ? out_len - off : SHA256_LEN;
        ret = hash_pieces(all, count + 2, block);
        memcpy(out + off, block, take);
    }
    svsm_secure_zero(block, sizeof(block));
    return ret;
}

/* v = (v + x) mod 2^(8 * DRBG_SEEDLEN), both big-endian, x no longer than v. */
static void add_mod(uint8_t v[DRBG_SEEDLEN], const uint8_t *x, size_t x_len)
{
    unsigned carry = 0;
    for (size_t i = 0; i < DRBG_SEEDLEN; i++) {
        unsigned sum = v[DRBG_SEEDLEN - 1 - i] + carry;
        if (i < x_len)
            sum += x[x_len - 1 - i];
        v[DRBG_SEEDLEN - 1 - i] = (uint8_t)sum;
        carry = sum >> 8;
    }
}

static int derive_c(drbg_state *d)
{
    static const uint8_t zero = 0x00;
    const piece in[] = { { &zero, 1 }, { d->v, DRBG_SEEDLEN } };
    return hash_df(in, ARRAY_LEN(in), d->c, DRBG_SEEDLEN);
}

int drbg_instantiate_op(drbg_state *d, const uint8_t *entropy, size_t entropy_len,
                        const uint8_t *nonce, size_t nonce_len, const uint8_t *pers,
                        size_t pers_len)
{
    const piece seed[] = { { entropy, entropy_len }, { nonce, nonce_len }, { pers, pers_len } };
    int ret;

    svsm_secure_zero(d, sizeof(*d));
    ret = hash_df(seed, ARRAY_LEN(seed), d->v, DRBG_SEEDLEN);
    if (ret == 0)
        ret = derive_c(d);
    if (ret != 0) {
        svsm_secure_zero(d, sizeof(*d));
        return ret;
    }
    d->reseed_counter = 1;
    d->magic = DRBG_MAGIC;
    return 0;
}

int drbg_reseed_op(drbg_state *d, const uint8_t *entropy, size_t entropy_len,
                   const uint8_t *additional, size_t additional_len)
{
    static const uint8_t one = 0x01;
    uint8_t v[DRBG_SEEDLEN];
    const piece seed[] = { { &one, 1 },
                           { d->v, DRBG_SEEDLEN },
                           { entropy, entropy_len },
                           { additional, additional_len } };
    int ret = hash_df(seed, ARRAY_LEN(seed), v, DRBG_SEEDLEN);
    if (ret == 0) {
        memcpy(d->v, v, DRBG_SEEDLEN);
        ret = derive_c(d);
        d->reseed_counter = 1;
    }
    svsm_secure_zero(v, sizeof(v));
    return ret;
}

int drbg_generate_op(drbg_state *d, uint8_t *out, size_t out_len, const uint8_t *additional,
                     size_t additional_len)
{
    static const uint8_t two = 0x02, three = 0x03;
    uint8_t w[SHA256_LEN], data[DRBG_SEEDLEN], counter_be[8];
    int ret = 0;

    if (d->reseed_counter > DRBG_RESEED_INTERVAL)
        return DRBG_NEEDS_RESEED;
    if (additional_len > 0) {
        const piece in[] = { { &two, 1 }, { d->v, DRBG_SEEDLEN }, { additional, additional_len } };
        ret = hash_pieces(in, ARRAY_LEN(in), w);
        add_mod(d->v, w, SHA256_LEN);
    }

    /* Hashgen (10.1.1.4) */
    memcpy(data, d->v, DRBG_SEEDLEN);
    for (size_t off = 0; ret == 0 && off < out_len; off += SHA256_LEN) {
        static const uint8_t one = 1;
        const piece in[] = { { data, DRBG_SEEDLEN } };
        size_t take = out_len - off < SHA256_LEN ? out_len - off : SHA256_LEN;
        ret = hash_pieces(in, 1, w);
        memcpy(out + off, w, take);
        add_mod(data, &one, 1);
    }

    if (ret == 0) {
        const piece in[] = { { &three, 1 }, { d->v, DRBG_SEEDLEN } };
        ret = hash_pieces(in, ARRAY_LEN(in), w);
    }
    if (ret == 0) {
        for (int i = 0; i < 8; i++)
            counter_be[i] = (uint8_t)(d->reseed_counter >> (56 - 8 * i));
        add_mod(d->v, w, SHA256_LEN);
        add_mod(d->v, d->c, DRBG_SEEDLEN);
        add_mod(d->v, counter_be, sizeof(counter_be));
        d->reseed_counter++;
    }
    svsm_secure_zero(w, sizeof(w));
    svsm_secure_zero(data, sizeof(data));
    return ret;
}

void drbg_uninstantiate_op(drbg_state *d)
{
    svsm_secure_zero(d, sizeof(*d));
}

/* Entropy input and nonce from the entropy source, then instantiate. */
static int instantiate_from_source(drbg_state *d, const uint8_t *pers, size_t pers_len)
{
    uint8_t entropy[64], nonce[32];
    size_t entropy_len = entropy_samples_for(SECURITY_STRENGTH_BITS);
    size_t nonce_len = entropy_samples_for(SECURITY_STRENGTH_BITS / 2);
    int ret = -1;

    if (entropy_len <= sizeof(entropy) && nonce_len <= sizeof(nonce) &&
        entropy_get(entropy, entropy_len) == 0 && entropy_get(nonce, nonce_len) == 0)
        ret = drbg_instantiate_op(d, entropy, entropy_len, nonce, nonce_len, pers, pers_len);
    svsm_secure_zero(entropy, sizeof(entropy));
    svsm_secure_zero(nonce, sizeof(nonce));
    return ret;
}

static int reseed_from_source(drbg_state *d, const uint8_t *additional, size_t additional_len)
{
    uint8_t entropy[64];
    size_t entropy_len = entropy_samples_for(SECURITY_STRENGTH_BITS);
    int ret = -1;

    if (entropy_len <= sizeof(entropy) && entropy_get(entropy, entropy_len) == 0)
        ret = drbg_reseed_op(d, entropy, entropy_len, additional, additional_len);
    svsm_secure_zero(entropy, sizeof(entropy));
    return ret;
}

/* ---- The module's own instance ------------------------------------------ */

static drbg_state g_module_drbg;

int module_drbg_instantiate(void)
{
    static const char pers[] = "svsm-crypto module DRBG";
    return instantiate_from_source(&g_module_drbg, (const uint8_t *)pers, sizeof(pers) - 1);
}

int module_random(uint8_t *out, size_t len)
{
    if (g_module_drbg.magic != DRBG_MAGIC && module_drbg_instantiate() != 0)
        return -1;
    while (len > 0) {
        size_t take = len < SVSM_CRYPTO_DRBG_MAX_REQUEST ? len : SVSM_CRYPTO_DRBG_MAX_REQUEST;
        int ret = drbg_generate_op(&g_module_drbg, out, take, NULL, 0);
        if (ret == DRBG_NEEDS_RESEED) {
            if (reseed_from_source(&g_module_drbg, NULL, 0) != 0)
                return -1;
            continue;
        }
        if (ret != 0)
            return -1;
        out += take;
        len -= take;
    }
    return 0;
}

void module_drbg_zeroize(void)
{
    drbg_uninstantiate_op(&g_module_drbg);
}

/* wolfCrypt's random source (CUSTOM_RAND_GENERATE_BLOCK). */
int svsm_mod_rng_block(unsigned char *out, unsigned int len)
{
    return module_random(out, len) == 0 ? 0 : RNG_FAILURE_E;
}

/* ---- Services ---------------------------------------------------------- */

static drbg_state *instance(svsm_crypto_drbg_ctx *ctx)
{
    return (drbg_state *)(void *)ctx->opaque;
}

svsm_crypto_status svsm_crypto_drbg_instantiate(svsm_crypto_drbg_ctx *ctx,
                                                const uint8_t *personalization,
                                                size_t personalization_len)
{
    SERVICE_OUTPUTS(OUT(ctx, sizeof(*ctx)));
    SERVICE_ENTER();
    if (ctx == NULL || !BUF_OK(personalization, personalization_len) ||
        personalization_len > SVSM_CRYPTO_DRBG_MAX_INPUT)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    if (instantiate_from_source(instance(ctx), personalization, personalization_len) != 0)
        SERVICE_FAIL(svc_operational() ? SVSM_CRYPTO_ERR_INTERNAL : SVSM_CRYPTO_ERR_ENTROPY);
    return SVSM_CRYPTO_OK;
}

svsm_crypto_status svsm_crypto_drbg_instantiate_test(
    svsm_crypto_drbg_ctx *ctx, const uint8_t *entropy, size_t entropy_len,
    const uint8_t *nonce, size_t nonce_len, const uint8_t *personalization,
    size_t personalization_len)
{
    SERVICE_OUTPUTS(OUT(ctx, sizeof(*ctx)));
    SERVICE_ENTER();
    if (ctx == NULL || entropy == NULL || entropy_len < MIN_ENTROPY_LEN ||
        entropy_len > SVSM_CRYPTO_DRBG_MAX_INPUT || nonce == NULL ||
        nonce_len < MIN_NONCE_LEN || nonce_len > SVSM_CRYPTO_DRBG_MAX_INPUT ||
        !BUF_OK(personalization, personalization_len) ||
        personalization_len > SVSM_CRYPTO_DRBG_MAX_INPUT)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    if (drbg_instantiate_op(instance(ctx), entropy, entropy_len, nonce, nonce_len,
                            personalization, personalization_len) != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    instance(ctx)->test_seeded = 1;
    return SVSM_CRYPTO_OK_NON_APPROVED;
}

static svsm_crypto_status indicator(const drbg_state *d)
{
    return d->test_seeded ? SVSM_CRYPTO_OK_NON_APPROVED : SVSM_CRYPTO_OK;
}

svsm_crypto_status svsm_crypto_drbg_generate(svsm_crypto_drbg_ctx *ctx, uint8_t *out,
                                             size_t out_len, const uint8_t *additional,
                                             size_t additional_len)
{
    SERVICE_OUTPUTS(OUT(out, out_len));
    SERVICE_ENTER();
    if (ctx == NULL || instance(ctx)->magic != DRBG_MAGIC || !BUF_OK(out, out_len) ||
        out_len > SVSM_CRYPTO_DRBG_MAX_REQUEST || !BUF_OK(additional, additional_len) ||
        additional_len > SVSM_CRYPTO_DRBG_MAX_INPUT)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    drbg_state *d = instance(ctx);
    int ret = drbg_generate_op(d, out, out_len, additional, additional_len);
    if (ret == DRBG_NEEDS_RESEED) {
        /* A caller-seeded instance cannot be reseeded behind its back. */
        if (d->test_seeded)
            SERVICE_FAIL(SVSM_CRYPTO_ERR_LIMIT);
        if (reseed_from_source(d, additional, additional_len) != 0)
            SERVICE_FAIL(SVSM_CRYPTO_ERR_ENTROPY);
        ret = drbg_generate_op(d, out, out_len, NULL, 0);
    }
    if (ret != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    return indicator(d);
}

svsm_crypto_status svsm_crypto_drbg_reseed(svsm_crypto_drbg_ctx *ctx,
                                           const uint8_t *additional, size_t additional_len)
{
    SERVICE_OUTPUTS(NO_OUTPUT);
    SERVICE_ENTER();
    if (ctx == NULL || instance(ctx)->magic != DRBG_MAGIC ||
        !BUF_OK(additional, additional_len) || additional_len > SVSM_CRYPTO_DRBG_MAX_INPUT)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    if (reseed_from_source(instance(ctx), additional, additional_len) != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ENTROPY);
    return indicator(instance(ctx));
}

svsm_crypto_status svsm_crypto_drbg_reseed_test(svsm_crypto_drbg_ctx *ctx,
                                                const uint8_t *entropy, size_t entropy_len,
                                                const uint8_t *additional,
                                                size_t additional_len)
{
    SERVICE_OUTPUTS(NO_OUTPUT);
    SERVICE_ENTER();
    if (ctx == NULL || instance(ctx)->magic != DRBG_MAGIC || entropy == NULL ||
        entropy_len < MIN_ENTROPY_LEN || entropy_len > SVSM_CRYPTO_DRBG_MAX_INPUT ||
        !BUF_OK(additional, additional_len) || additional_len > SVSM_CRYPTO_DRBG_MAX_INPUT)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    if (drbg_reseed_op(instance(ctx), entropy, entropy_len, additional, additional_len) != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    instance(ctx)->test_seeded = 1;
    return SVSM_CRYPTO_OK_NON_APPROVED;
}

void svsm_crypto_drbg_uninstantiate(svsm_crypto_drbg_ctx *ctx)
{
    if (ctx != NULL)
        svsm_secure_zero(ctx, sizeof(*ctx));
}

svsm_crypto_status svsm_crypto_random(uint8_t *out, size_t len)
{
    SERVICE_OUTPUTS(OUT(out, len));
    SERVICE_ENTER();
    if (!BUF_OK(out, len))
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    if (module_random(out, len) != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ENTROPY);
    return SVSM_CRYPTO_OK;
}
