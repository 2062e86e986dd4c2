/*
 * aead.c - AES-GCM (SP 800-38D) with 128- and 256-bit keys.
 *
 * A caller holds a key context (the expanded key schedule and GHASH key stay
 * inside it, cleansed by svsm_crypto_aes_gcm_cleanse). Encryption is an
 * approved service only when the module generates the IV itself: the module
 * cannot know that a caller's IV is unique.
 *
 * Generated IVs follow the deterministic construction of SP 800-38D 8.2.1:
 * IV = fixed field (64 bits) || invocation field (32 bits, big-endian). The
 * fixed field is drawn once per context from the module's DRBG, at the
 * context's first generated-IV seal; the invocation field counts that
 * context's generated-IV seals from 0. A context therefore never repeats an
 * IV, and two contexts of one key repeat one only if their 64-bit fixed
 * fields collide (the header forbids copying a live context). The invocation
 * field bounds a context to 2^32 generated-IV seals: the next one is refused
 * with SVSM_CRYPTO_ERR_LIMIT, before any output, and the key must be loaded
 * into a new context (which draws a new fixed field).
 */
#include "internal.h"

#include <wolfssl/wolfcrypt/aes.h>

#define GCM_MAGIC 0x4d434741u /* "AGCM" */
#define GCM_MAX_IV_LEN 128
#define GCM_IV_FIXED_LEN SVSM_CRYPTO_AES_GCM_IV_FIXED_LEN
#define GCM_IV_INVOCATION_LEN (SVSM_CRYPTO_AES_GCM_IV_LEN - GCM_IV_FIXED_LEN)
#define GCM_MAX_GENERATED_IVS ((uint64_t)1 << (8 * GCM_IV_INVOCATION_LEN))

typedef struct gcm_state {
    uint32_t magic;
    uint32_t key_len;
    /* Generated-IV seals so far: the next invocation field. */
    uint64_t generated_ivs;
    uint8_t iv_fixed[GCM_IV_FIXED_LEN];
    uint32_t iv_fixed_drawn;
    Aes aes;
} gcm_state;

/* ffi/tests/raw_layer.rs sets generated_ivs here to reach the limit. */
_Static_assert(offsetof(gcm_state, generated_ivs) == 8, "invocation count offset");

_Static_assert(sizeof(gcm_state) <= SVSM_CRYPTO_AES_GCM_CTX_SIZE, "AES-GCM context too small");
_Static_assert(_Alignof(gcm_state) <= 16, "AES-GCM context alignment");

static int key_len_ok(size_t key_len)
{
    return key_len == 16 || key_len == 32;
}

static int tag_len_ok(size_t tag_len)
{
    return tag_len == 4 || tag_len == 8 || (tag_len >= 12 && tag_len <= 16);
}

static int gcm_args_ok(const uint8_t *iv, size_t iv_len, const uint8_t *aad, size_t aad_len,
                       const uint8_t *in, const uint8_t *out, size_t len, const uint8_t *tag,
                       size_t tag_len)
{
    return iv != NULL && iv_len >= 1 && iv_len <= GCM_MAX_IV_LEN && BUF_OK(aad, aad_len) &&
           aad_len <= 0xffffffffu && BUF_OK(in, len) && BUF_OK(out, len) &&
           len <= 0xffffffffu && buffers_overlap_ok(in, out, len) && tag != NULL && tag_len_ok(tag_len);
}

/* wolfCrypt wants real pointers even for empty data. */
static const uint8_t *nonnull(const uint8_t *p)
{
    static const uint8_t empty[1];
    return p != NULL ? p : empty;
}

static int set_key(Aes *aes, const uint8_t *key, size_t key_len)
{
    int ret = wc_AesInit(aes, NULL, INVALID_DEVID);
    if (ret == 0)
        ret = wc_AesGcmSetKey(aes, key, (word32)key_len);
    return ret;
}

static void free_key(Aes *aes)
{
    wc_AesFree(aes);
    svsm_secure_zero(aes, sizeof(*aes));
}

static int seal_with(Aes *aes, const uint8_t *iv, size_t iv_len, const uint8_t *aad,
                     size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag,
                     size_t tag_len)
{
    return wc_AesGcmEncrypt(aes, (byte *)nonnull(out), nonnull(in), (word32)len, iv,
                            (word32)iv_len, tag, (word32)tag_len, nonnull(aad),
                            (word32)aad_len);
}

static int open_with(Aes *aes, const uint8_t *iv, size_t iv_len, const uint8_t *aad,
                     size_t aad_len, const uint8_t *in, size_t len, const uint8_t *tag,
                     size_t tag_len, uint8_t *out)
{
    return wc_AesGcmDecrypt(aes, (byte *)nonnull(out), nonnull(in), (word32)len, iv,
                            (word32)iv_len, tag, (word32)tag_len, nonnull(aad),
                            (word32)aad_len);
}

int aes_gcm_seal_op(const uint8_t *key, size_t key_len, const uint8_t *iv, size_t iv_len,
                    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                    uint8_t *out, uint8_t *tag, size_t tag_len)
{
    Aes aes;
    int ret = set_key(&aes, key, key_len);
    if (ret == 0)
        ret = seal_with(&aes, iv, iv_len, aad, aad_len, in, len, out, tag, tag_len);
    free_key(&aes);
    return ret;
}

int aes_gcm_open_op(const uint8_t *key, size_t key_len, const uint8_t *iv, size_t iv_len,
                    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                    const uint8_t *tag, size_t tag_len, uint8_t *out)
{
    Aes aes;
    int ret = set_key(&aes, key, key_len);
    if (ret == 0)
        ret = open_with(&aes, iv, iv_len, aad, aad_len, in, len, tag, tag_len, out);
    free_key(&aes);
    return ret;
}

/* ---- Services ---------------------------------------------------------- */

static gcm_state *gcm_ctx(svsm_crypto_aes_gcm_ctx *ctx)
{
    return (gcm_state *)(void *)ctx->opaque;
}

static int ctx_ready(svsm_crypto_aes_gcm_ctx *ctx)
{
    return ctx != NULL && gcm_ctx(ctx)->magic == GCM_MAGIC;
}

svsm_crypto_status svsm_crypto_aes_gcm_init(svsm_crypto_aes_gcm_ctx *ctx, const uint8_t *key,
                                            size_t key_len)
{
    SERVICE_OUTPUTS(OUT(ctx, sizeof(*ctx)));
    SERVICE_ENTER();
    if (ctx == NULL || key == NULL || !key_len_ok(key_len))
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    gcm_state *s = gcm_ctx(ctx);
    svsm_secure_zero(ctx, sizeof(*ctx));
    if (set_key(&s->aes, key, key_len) != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    s->key_len = (uint32_t)key_len;
    s->magic = GCM_MAGIC;
    return SVSM_CRYPTO_OK;
}

svsm_crypto_status svsm_crypto_aes_gcm_seal(svsm_crypto_aes_gcm_ctx *ctx, const uint8_t *iv,
                                            size_t iv_len, const uint8_t *aad, size_t aad_len,
                                            const uint8_t *plaintext, size_t len,
                                            uint8_t *ciphertext, uint8_t *tag, size_t tag_len)
{
    SERVICE_OUTPUTS(OUT(ciphertext, len), OUT(tag, tag_len));
    SERVICE_ENTER();
    if (!ctx_ready(ctx) ||
        !gcm_args_ok(iv, iv_len, aad, aad_len, plaintext, ciphertext, len, tag, tag_len))
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    if (seal_with(&gcm_ctx(ctx)->aes, iv, iv_len, aad, aad_len, plaintext, len, ciphertext, tag,
                  tag_len) != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    return SVSM_CRYPTO_OK_NON_APPROVED;
}

svsm_crypto_status svsm_crypto_aes_gcm_seal_generated_iv(
    svsm_crypto_aes_gcm_ctx *ctx, uint8_t *iv_out, size_t iv_len, const uint8_t *aad,
    size_t aad_len, const uint8_t *plaintext, size_t len, uint8_t *ciphertext, uint8_t *tag,
    size_t tag_len)
{
    SERVICE_OUTPUTS(OUT(iv_out, iv_len), OUT(ciphertext, len), OUT(tag, tag_len));
    SERVICE_ENTER();
    if (!ctx_ready(ctx) || iv_len != SVSM_CRYPTO_AES_GCM_IV_LEN ||
        !gcm_args_ok(iv_out, iv_len, aad, aad_len, plaintext, ciphertext, len, tag, tag_len))
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    gcm_state *s = gcm_ctx(ctx);
    if (s->generated_ivs >= GCM_MAX_GENERATED_IVS)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_LIMIT);
    if (!s->iv_fixed_drawn) {
        if (module_random(s->iv_fixed, sizeof(s->iv_fixed)) != 0)
            SERVICE_FAIL(SVSM_CRYPTO_ERR_ENTROPY);
        s->iv_fixed_drawn = 1;
    }
    memcpy(iv_out, s->iv_fixed, GCM_IV_FIXED_LEN);
    for (size_t i = 0; i < GCM_IV_INVOCATION_LEN; i++)
        iv_out[GCM_IV_FIXED_LEN + i] =
            (uint8_t)(s->generated_ivs >> (8 * (GCM_IV_INVOCATION_LEN - 1 - i)));
    /* Counted before sealing: an IV handed out is never handed out again. */
    s->generated_ivs++;
    if (seal_with(&s->aes, iv_out, iv_len, aad, aad_len, plaintext, len, ciphertext, tag,
                  tag_len) != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    return SVSM_CRYPTO_OK;
}

svsm_crypto_status svsm_crypto_aes_gcm_open(svsm_crypto_aes_gcm_ctx *ctx, const uint8_t *iv,
                                            size_t iv_len, const uint8_t *aad, size_t aad_len,
                                            const uint8_t *ciphertext, size_t len,
                                            const uint8_t *tag, size_t tag_len,
                                            uint8_t *plaintext)
{
    SERVICE_OUTPUTS(OUT(plaintext, len));
    SERVICE_ENTER();
    if (!ctx_ready(ctx) ||
        !gcm_args_ok(iv, iv_len, aad, aad_len, ciphertext, plaintext, len, tag, tag_len))
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    int ret = open_with(&gcm_ctx(ctx)->aes, iv, iv_len, aad, aad_len, ciphertext, len, tag,
                        tag_len, plaintext);
    if (ret == AES_GCM_AUTH_E)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_AUTH);
    if (ret != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    return SVSM_CRYPTO_OK;
}

void svsm_crypto_aes_gcm_cleanse(svsm_crypto_aes_gcm_ctx *ctx)
{
    if (ctx == NULL)
        return;
    if (gcm_ctx(ctx)->magic == GCM_MAGIC)
        wc_AesFree(&gcm_ctx(ctx)->aes);
    svsm_secure_zero(ctx, sizeof(*ctx));
}
