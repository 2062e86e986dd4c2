/*
 * drbg.c - CTR_DRBG with AES-256 and the derivation function (SP 800-90A
 * rev. 1, 10.2.1 with Block_Cipher_df, 10.3.2), owned by the module.
 *
 * The module, not wolfCrypt, owns its DRBG: wolfCrypt's WC_RNG draws from
 * the module's instance through CUSTOM_RAND_GENERATE_BLOCK (user_settings.h),
 * so key generation, ECDSA nonces and generated IVs all come from one
 * health-tested, self-tested DRBG seeded by the entropy source. Callers can
 * also own instances (svsm_crypto_drbg_ctx), seeded the same way, or seeded
 * with their own entropy for mechanism testing (non-approved).
 *
 * Security strength 256 bits: instantiation takes 256 bits of entropy and a
 * 128-bit nonce (from the entropy source), both through the derivation
 * function, because the entropy source does not deliver full entropy; reseed
 * every 2^24 requests (SP 800-90A allows 2^48). The counter field is the
 * whole 128-bit block (ctr_len = blocklen).
 *
 * Speed: the keystream of a request is one wolfCrypt CTR call over all its
 * blocks (wc_AesCtrEncrypt, which runs wolfCrypt's AES-NI, AVX, VAES or
 * AVX-512 CTR code as cpu.c selected, several blocks per iteration), and the
 * CTR_DRBG_Update that ends the request continues the same counter: its
 * 3 blocks of keystream XOR the provided data are the CTR encryption of that
 * data. One key schedule per request (two with additional input).
 *
 * Prediction resistance: the API offers it as an explicit reseed
 * (svsm_crypto_drbg_reseed, then generate without additional input), which
 * is what 9.3.1 step 7 does for a prediction-resistance request.
 */
#include "internal.h"

#include <wolfssl/wolfcrypt/aes.h>

#define DRBG_MAGIC 0x52444243u /* "CBDR" */
#define BLOCK_LEN 16
#define KEY_LEN DRBG_KEYLEN
#define SECURITY_STRENGTH_BITS 256
#define MIN_ENTROPY_LEN (SECURITY_STRENGTH_BITS / 8)
#define MIN_NONCE_LEN (SECURITY_STRENGTH_BITS / 16)

_Static_assert(DRBG_SEEDLEN == KEY_LEN + BLOCK_LEN, "seedlen = keylen + blocklen (10.2.1)");
_Static_assert(SVSM_CRYPTO_DRBG_MAX_REQUEST <= (1 << 19) / 8, "max_number_of_bits_per_request");
_Static_assert(sizeof(drbg_state) <= SVSM_CRYPTO_DRBG_CTX_SIZE, "DRBG context too small");
_Static_assert(_Alignof(drbg_state) <= 16, "DRBG context alignment");
/* ffi/tests/raw_layer.rs sets reseed_counter here to reach the reseed interval. */
_Static_assert(offsetof(drbg_state, reseed_counter) == 8, "reseed counter offset");

typedef struct piece {
    const uint8_t *p;
    size_t n;
} piece;

static void free_aes(Aes *aes)
{
    wc_AesFree(aes);
    svsm_secure_zero(aes, sizeof(*aes));
}

static int set_encrypt_key(Aes *aes, const uint8_t key[KEY_LEN])
{
    int ret = wc_AesInit(aes, NULL, INVALID_DEVID);
    if (ret == 0)
        ret = wc_AesSetKey(aes, key, KEY_LEN, NULL, AES_ENCRYPTION);
    return ret;
}

/* block = (block + n) mod 2^128, big-endian. */
static void counter_add(uint8_t block[BLOCK_LEN], uint64_t n)
{
    unsigned carry = 0;
    for (int i = BLOCK_LEN - 1; i >= 0; i--) {
        unsigned sum = block[i] + (unsigned)(n & 0xff) + carry;
        block[i] = (uint8_t)sum;
        carry = sum >> 8;
        n >>= 8;
    }
}

/* ---- Block_Cipher_df (10.3.2) ------------------------------------------- */

/* BCC (10.3.3) over a stream of bytes: a CBC-MAC with a zero IV. */
typedef struct bcc {
    Aes *aes;
    uint8_t chain[BLOCK_LEN];
    size_t fill;
    int ret;
} bcc;

static void bcc_absorb(bcc *b, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        b->chain[b->fill++] ^= p[i];
        if (b->fill == BLOCK_LEN) {
            if (b->ret == 0)
                b->ret = wc_AesEncryptDirect(b->aes, b->chain, b->chain);
            b->fill = 0;
        }
    }
}

/*
 * DRBG_SEEDLEN bytes derived from the concatenated inputs. The lengths are
 * public; the bytes are not, and only go through AES and XOR.
 */
static int block_cipher_df(const piece *in, size_t count, uint8_t out[DRBG_SEEDLEN])
{
    /* 8.: K = leftmost keylen bits of 0x00 01 02 ... 1F. */
    static const uint8_t df_key[KEY_LEN] = {
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
        0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
        0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    };
    static const uint8_t pad_start = 0x80, zero = 0x00;
    uint8_t temp[DRBG_SEEDLEN], iv[BLOCK_LEN] = { 0 };
    uint8_t l_n[8];
    uint64_t total = 0;
    Aes aes;
    int ret;

    for (size_t i = 0; i < count; i++)
        total += in[i].n;
    if (total > 0xffffffffu)
        return BAD_FUNC_ARG;
    /* S = L || N || input_string || 0x80 || 0x00 padding. */
    for (int i = 0; i < 4; i++) {
        l_n[i] = (uint8_t)(total >> (24 - 8 * i));
        l_n[4 + i] = (uint8_t)((uint32_t)DRBG_SEEDLEN >> (24 - 8 * i));
    }

    ret = set_encrypt_key(&aes, df_key);
    /* 9.: temp = BCC(K, IV_0 || S) || BCC(K, IV_1 || S) || BCC(K, IV_2 || S). */
    for (uint32_t i = 0; ret == 0 && i < DRBG_SEEDLEN / BLOCK_LEN; i++) {
        bcc b = { .aes = &aes };
        iv[3] = (uint8_t)i;
        bcc_absorb(&b, iv, sizeof(iv));
        bcc_absorb(&b, l_n, sizeof(l_n));
        for (size_t j = 0; j < count; j++)
            bcc_absorb(&b, in[j].p, in[j].n);
        bcc_absorb(&b, &pad_start, 1);
        while (b.fill != 0)
            bcc_absorb(&b, &zero, 1);
        ret = b.ret;
        memcpy(temp + i * BLOCK_LEN, b.chain, BLOCK_LEN);
        svsm_secure_zero(&b, sizeof(b));
    }
    free_aes(&aes);

    /* 10.-14.: K = temp[0..keylen], X = the next block; X = E(K, X) per block. */
    if (ret == 0)
        ret = set_encrypt_key(&aes, temp);
    for (size_t off = 0; ret == 0 && off < DRBG_SEEDLEN; off += BLOCK_LEN) {
        const uint8_t *x = off == 0 ? temp + KEY_LEN : out + off - BLOCK_LEN;
        ret = wc_AesEncryptDirect(&aes, out + off, x);
    }
    free_aes(&aes);
    svsm_secure_zero(temp, sizeof(temp));
    if (ret != 0)
        svsm_secure_zero(out, DRBG_SEEDLEN);
    return ret;
}

/* ---- CTR_DRBG (10.2.1) ----------------------------------------------------- */

/* Starts the counter of `aes` (keyed with d->key) at V + 1. */
static int start_counter(Aes *aes, const drbg_state *d)
{
    uint8_t ctr[BLOCK_LEN];
    memcpy(ctr, d->v, BLOCK_LEN);
    counter_add(ctr, 1);
    int ret = wc_AesSetIV(aes, ctr);
    svsm_secure_zero(ctr, sizeof(ctr));
    return ret;
}

/*
 * The tail of CTR_DRBG_Update (10.2.1.2) on an `aes` keyed with the current
 * Key whose counter is at V + 1: temp = keystream XOR provided_data, then
 * Key || V = temp.
 */
static int update_with(Aes *aes, drbg_state *d, const uint8_t provided[DRBG_SEEDLEN])
{
    uint8_t temp[DRBG_SEEDLEN];
    int ret = wc_AesCtrEncrypt(aes, temp, provided, DRBG_SEEDLEN);
    if (ret == 0) {
        memcpy(d->key, temp, KEY_LEN);
        memcpy(d->v, temp + KEY_LEN, BLOCK_LEN);
    }
    svsm_secure_zero(temp, sizeof(temp));
    return ret;
}

/* CTR_DRBG_Update (10.2.1.2). */
static int update(drbg_state *d, const uint8_t provided[DRBG_SEEDLEN])
{
    Aes aes;
    int ret = set_encrypt_key(&aes, d->key);
    if (ret == 0)
        ret = start_counter(&aes, d);
    if (ret == 0)
        ret = update_with(&aes, d, provided);
    free_aes(&aes);
    return ret;
}

int drbg_instantiate_op(drbg_state *d, const uint8_t *entropy, size_t entropy_len,
                        const uint8_t *nonce, size_t nonce_len, const uint8_t *pers,
                        size_t pers_len)
{
    const piece in[] = { { entropy, entropy_len }, { nonce, nonce_len }, { pers, pers_len } };
    uint8_t seed[DRBG_SEEDLEN];

    /* 10.2.1.3.2: Key = 0, V = 0, then Update(df(seed_material)). */
    svsm_secure_zero(d, sizeof(*d));
    int ret = block_cipher_df(in, ARRAY_LEN(in), seed);
    if (ret == 0)
        ret = update(d, seed);
    svsm_secure_zero(seed, sizeof(seed));
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
    const piece in[] = { { entropy, entropy_len }, { additional, additional_len } };
    uint8_t seed[DRBG_SEEDLEN];

    /* 10.2.1.4.2 */
    int ret = block_cipher_df(in, ARRAY_LEN(in), seed);
    if (ret == 0)
        ret = update(d, seed);
    if (ret == 0)
        d->reseed_counter = 1;
    svsm_secure_zero(seed, sizeof(seed));
    return ret;
}

int drbg_generate_op(drbg_state *d, uint8_t *out, size_t out_len, const uint8_t *additional,
                     size_t additional_len)
{
    uint8_t provided[DRBG_SEEDLEN] = { 0 }, tail[BLOCK_LEN] = { 0 };
    size_t full = out_len - out_len % BLOCK_LEN;
    Aes aes;
    int ret = 0;

    /* 10.2.1.5.2 */
    if (d->reseed_counter > DRBG_RESEED_INTERVAL)
        return DRBG_NEEDS_RESEED;
    if (out_len > SVSM_CRYPTO_DRBG_MAX_REQUEST)
        return BAD_FUNC_ARG;
    if (additional_len > 0) {
        const piece in[] = { { additional, additional_len } };
        ret = block_cipher_df(in, ARRAY_LEN(in), provided);
        if (ret == 0)
            ret = update(d, provided);
    }
    if (ret == 0)
        ret = set_encrypt_key(&aes, d->key);
    else
        svsm_secure_zero(&aes, sizeof(aes));
    if (ret == 0)
        ret = start_counter(&aes, d);
    /* The keystream of every whole block in one call, then the last part. */
    if (ret == 0 && full > 0) {
        memset(out, 0, full);
        ret = wc_AesCtrEncrypt(&aes, out, out, (word32)full);
    }
    if (ret == 0 && full < out_len) {
        ret = wc_AesCtrEncrypt(&aes, tail, tail, BLOCK_LEN);
        memcpy(out + full, tail, out_len - full);
    }
    /* The counter now stands at V + blocks + 1: Update continues it. */
    if (ret == 0) {
        counter_add(d->v, (out_len + BLOCK_LEN - 1) / BLOCK_LEN);
        ret = update_with(&aes, d, provided);
    }
    if (ret == 0)
        d->reseed_counter++;
    free_aes(&aes);
    svsm_secure_zero(provided, sizeof(provided));
    svsm_secure_zero(tail, sizeof(tail));
    /*
     * A failure part-way (wolfCrypt refusing a call) leaves keystream in
     * `out` from a state that was not advanced: wipe both, so that neither
     * the bytes nor a repeat of them can be used. The instance must be
     * instantiated again (the module's own one is, at its next use).
     */
    if (ret != 0) {
        svsm_secure_zero(out, out_len);
        drbg_uninstantiate_op(d);
    }
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
