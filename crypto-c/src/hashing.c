/*
 * hashing.c - SHA-2, HMAC and HKDF services.
 *
 * wolfCrypt takes word32 lengths; the services take size_t and refuse what
 * does not fit rather than truncate. Streaming hashes feed large inputs in
 * chunks, so only one-shot calls are limited to 4 GiB - 1.
 */
#include "internal.h"

#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/hmac.h>

#define HASH_MAGIC 0x48415348u /* "HASH" */
#define HMAC_MIN_APPROVED_KEY_LEN 14 /* 112 bits, SP 800-131A */
#define HMAC_MIN_TAG_LEN 4           /* 32 bits, SP 800-107 */

typedef struct hash_state {
    uint32_t magic;
    uint32_t alg;
    wc_HashAlg wc;
} hash_state;

_Static_assert(sizeof(hash_state) <= SVSM_CRYPTO_HASH_CTX_SIZE, "hash context too small");
_Static_assert(_Alignof(hash_state) <= 16, "hash context alignment");

static int fits_word32(size_t n)
{
    return n <= 0xffffffffu;
}

int hash_lookup(uint32_t alg, hash_info *out)
{
    switch (alg) {
    case SVSM_CRYPTO_SHA256:
        *out = (hash_info){ WC_HASH_TYPE_SHA256, WC_SHA256_DIGEST_SIZE };
        return 0;
    case SVSM_CRYPTO_SHA384:
        *out = (hash_info){ WC_HASH_TYPE_SHA384, WC_SHA384_DIGEST_SIZE };
        return 0;
    case SVSM_CRYPTO_SHA512:
        *out = (hash_info){ WC_HASH_TYPE_SHA512, WC_SHA512_DIGEST_SIZE };
        return 0;
    default:
        return BAD_FUNC_ARG;
    }
}

int hash_op(uint32_t alg, const uint8_t *msg, size_t len, uint8_t *digest)
{
    hash_info h;
    if (hash_lookup(alg, &h) != 0 || !fits_word32(len))
        return BAD_FUNC_ARG;
    return wc_Hash((enum wc_HashType)h.wc_type, msg, (word32)len, digest,
                   (word32)h.digest_len);
}

int hash_parts_op(uint32_t alg, const byte_span *parts, size_t n_parts, uint8_t *digest)
{
    hash_info h;
    wc_HashAlg wc;
    int ret;

    if (hash_lookup(alg, &h) != 0)
        return BAD_FUNC_ARG;
    for (size_t i = 0; i < n_parts; i++) {
        if (!fits_word32(parts[i].len))
            return BAD_FUNC_ARG;
    }
    ret = wc_HashInit(&wc, (enum wc_HashType)h.wc_type);
    for (size_t i = 0; ret == 0 && i < n_parts; i++)
        ret = wc_HashUpdate(&wc, (enum wc_HashType)h.wc_type, parts[i].ptr, (word32)parts[i].len);
    if (ret == 0)
        ret = wc_HashFinal(&wc, (enum wc_HashType)h.wc_type, digest);
    wc_HashFree(&wc, (enum wc_HashType)h.wc_type);
    svsm_secure_zero(&wc, sizeof(wc));
    return ret;
}

int hmac_parts_op(uint32_t alg, const uint8_t *key, size_t key_len, const byte_span *parts,
                  size_t n_parts, uint8_t *mac)
{
    hash_info h;
    Hmac hmac;
    int ret;

    if (hash_lookup(alg, &h) != 0 || !fits_word32(key_len))
        return BAD_FUNC_ARG;
    for (size_t i = 0; i < n_parts; i++) {
        if (!fits_word32(parts[i].len))
            return BAD_FUNC_ARG;
    }
    ret = wc_HmacInit(&hmac, NULL, INVALID_DEVID);
    if (ret == 0)
        ret = wc_HmacSetKey_ex(&hmac, h.wc_type, key, (word32)key_len, 1);
    for (size_t i = 0; ret == 0 && i < n_parts; i++)
        ret = wc_HmacUpdate(&hmac, parts[i].ptr, (word32)parts[i].len);
    if (ret == 0)
        ret = wc_HmacFinal(&hmac, mac);
    wc_HmacFree(&hmac);
    svsm_secure_zero(&hmac, sizeof(hmac));
    return ret;
}

int hmac_op(uint32_t alg, const uint8_t *key, size_t key_len, const uint8_t *msg,
            size_t msg_len, uint8_t *mac)
{
    const byte_span part = { msg, msg_len };
    return hmac_parts_op(alg, key, key_len, &part, 1, mac);
}

int hkdf_op(uint32_t alg, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
            size_t salt_len, const uint8_t *info, size_t info_len, uint8_t *okm, size_t okm_len)
{
    hash_info h;
    if (hash_lookup(alg, &h) != 0 || !fits_word32(ikm_len) || !fits_word32(salt_len) ||
        !fits_word32(info_len) || okm_len > 255 * h.digest_len)
        return BAD_FUNC_ARG;
    return wc_HKDF(h.wc_type, ikm, (word32)ikm_len, salt, (word32)salt_len, info,
                   (word32)info_len, okm, (word32)okm_len);
}

/* ---- Hash services ---------------------------------------------------- */

svsm_crypto_status svsm_crypto_hash(uint32_t alg, const uint8_t *msg, size_t msg_len,
                                    uint8_t *digest, size_t digest_len)
{
    hash_info h;
    SERVICE_OUTPUTS(OUT(digest, digest_len));
    SERVICE_ENTER();
    if (hash_lookup(alg, &h) != 0 || digest == NULL || digest_len != h.digest_len ||
        !BUF_OK(msg, msg_len) || !fits_word32(msg_len))
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    if (hash_op(alg, msg, msg_len, digest) != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    return SVSM_CRYPTO_OK;
}

static hash_state *hash_ctx(svsm_crypto_hash_ctx *ctx)
{
    return (hash_state *)(void *)ctx->opaque;
}

svsm_crypto_status svsm_crypto_hash_init(svsm_crypto_hash_ctx *ctx, uint32_t alg)
{
    hash_info h;
    SERVICE_OUTPUTS(OUT(ctx, sizeof(*ctx)));
    SERVICE_ENTER();
    if (ctx == NULL || hash_lookup(alg, &h) != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    hash_state *s = hash_ctx(ctx);
    svsm_secure_zero(ctx, sizeof(*ctx));
    if (wc_HashInit(&s->wc, (enum wc_HashType)h.wc_type) != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    s->alg = alg;
    s->magic = HASH_MAGIC;
    return SVSM_CRYPTO_OK;
}

svsm_crypto_status svsm_crypto_hash_update(svsm_crypto_hash_ctx *ctx, const uint8_t *data,
                                           size_t len)
{
    hash_info h;
    SERVICE_OUTPUTS(OUT(ctx, ctx ? sizeof(*ctx) : 0));
    SERVICE_ENTER();
    if (ctx == NULL || hash_ctx(ctx)->magic != HASH_MAGIC ||
        hash_lookup(hash_ctx(ctx)->alg, &h) != 0 || !BUF_OK(data, len))
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    hash_state *s = hash_ctx(ctx);
    while (len > 0) {
        word32 chunk = len > 0x40000000u ? 0x40000000u : (word32)len;
        if (wc_HashUpdate(&s->wc, (enum wc_HashType)h.wc_type, data, chunk) != 0)
            SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
        data += chunk;
        len -= chunk;
    }
    return SVSM_CRYPTO_OK;
}

svsm_crypto_status svsm_crypto_hash_final(svsm_crypto_hash_ctx *ctx, uint8_t *digest,
                                          size_t digest_len)
{
    hash_info h;
    SERVICE_OUTPUTS(OUT(digest, digest_len), OUT(ctx, ctx ? sizeof(*ctx) : 0));
    SERVICE_ENTER();
    if (ctx == NULL || hash_ctx(ctx)->magic != HASH_MAGIC ||
        hash_lookup(hash_ctx(ctx)->alg, &h) != 0 || digest == NULL ||
        digest_len != h.digest_len)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    hash_state *s = hash_ctx(ctx);
    int ret = wc_HashFinal(&s->wc, (enum wc_HashType)h.wc_type, digest);
    wc_HashFree(&s->wc, (enum wc_HashType)h.wc_type);
    svsm_secure_zero(ctx, sizeof(*ctx));
    if (ret != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    return SVSM_CRYPTO_OK;
}

void svsm_crypto_hash_cleanse(svsm_crypto_hash_ctx *ctx)
{
    if (ctx != NULL)
        svsm_secure_zero(ctx, sizeof(*ctx));
}

/* ---- HMAC ------------------------------------------------------------ */

svsm_crypto_status key_len_indicator(size_t key_len)
{
    return key_len >= HMAC_MIN_APPROVED_KEY_LEN ? SVSM_CRYPTO_OK : SVSM_CRYPTO_OK_NON_APPROVED;
}

static int hmac_args_ok(uint32_t alg, const uint8_t *key, size_t key_len, const uint8_t *msg,
                        size_t msg_len, const uint8_t *tag, size_t tag_len)
{
    hash_info h;
    return hash_lookup(alg, &h) == 0 && BUF_OK(key, key_len) && BUF_OK(msg, msg_len) &&
           tag != NULL && tag_len >= HMAC_MIN_TAG_LEN && tag_len <= h.digest_len &&
           fits_word32(key_len) && fits_word32(msg_len);
}

svsm_crypto_status svsm_crypto_hmac(uint32_t alg, const uint8_t *key, size_t key_len,
                                    const uint8_t *msg, size_t msg_len, uint8_t *tag,
                                    size_t tag_len)
{
    uint8_t full[SVSM_CRYPTO_MAX_DIGEST_LEN];
    SERVICE_OUTPUTS(OUT(tag, tag_len));
    SERVICE_ENTER();
    if (!hmac_args_ok(alg, key, key_len, msg, msg_len, tag, tag_len))
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    int ret = hmac_op(alg, key, key_len, msg, msg_len, full);
    if (ret == 0)
        memcpy(tag, full, tag_len);
    svsm_secure_zero(full, sizeof(full));
    if (ret != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    return key_len_indicator(key_len);
}

svsm_crypto_status svsm_crypto_hmac_verify(uint32_t alg, const uint8_t *key, size_t key_len,
                                           const uint8_t *msg, size_t msg_len,
                                           const uint8_t *tag, size_t tag_len)
{
    uint8_t full[SVSM_CRYPTO_MAX_DIGEST_LEN];
    SERVICE_OUTPUTS(NO_OUTPUT);
    SERVICE_ENTER();
    if (!hmac_args_ok(alg, key, key_len, msg, msg_len, tag, tag_len))
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    int ret = hmac_op(alg, key, key_len, msg, msg_len, full);
    int equal = ret == 0 && svsm_ct_equal(full, tag, tag_len);
    svsm_secure_zero(full, sizeof(full));
    if (ret != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    if (!equal)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_AUTH);
    return key_len_indicator(key_len);
}

/* ---- HKDF ------------------------------------------------------------ */

svsm_crypto_status svsm_crypto_hkdf(uint32_t alg, const uint8_t *ikm, size_t ikm_len,
                                    const uint8_t *salt, size_t salt_len,
                                    const uint8_t *info, size_t info_len, uint8_t *okm,
                                    size_t okm_len)
{
    hash_info h;
    SERVICE_OUTPUTS(OUT(okm, okm_len));
    SERVICE_ENTER();
    if (hash_lookup(alg, &h) != 0 || !BUF_OK(ikm, ikm_len) || !BUF_OK(salt, salt_len) ||
        !BUF_OK(info, info_len) || okm == NULL || okm_len == 0 ||
        okm_len > 255 * h.digest_len)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    if (hkdf_op(alg, ikm, ikm_len, salt, salt_len, info, info_len, okm, okm_len) != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    return SVSM_CRYPTO_OK;
}

svsm_crypto_status svsm_crypto_hkdf_extract(uint32_t alg, const uint8_t *salt,
                                            size_t salt_len, const uint8_t *ikm,
                                            size_t ikm_len, uint8_t *prk, size_t prk_len)
{
    hash_info h;
    SERVICE_OUTPUTS(OUT(prk, prk_len));
    SERVICE_ENTER();
    if (hash_lookup(alg, &h) != 0 || !BUF_OK(ikm, ikm_len) || !BUF_OK(salt, salt_len) ||
        prk == NULL || prk_len != h.digest_len || !fits_word32(ikm_len) ||
        !fits_word32(salt_len))
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    if (wc_HKDF_Extract(h.wc_type, salt, (word32)salt_len, ikm, (word32)ikm_len, prk) != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    return SVSM_CRYPTO_OK;
}

svsm_crypto_status svsm_crypto_hkdf_expand(uint32_t alg, const uint8_t *prk, size_t prk_len,
                                           const uint8_t *info, size_t info_len,
                                           uint8_t *okm, size_t okm_len)
{
    hash_info h;
    SERVICE_OUTPUTS(OUT(okm, okm_len));
    SERVICE_ENTER();
    if (hash_lookup(alg, &h) != 0 || prk == NULL || prk_len < h.digest_len ||
        !fits_word32(prk_len) || !BUF_OK(info, info_len) || !fits_word32(info_len) ||
        okm == NULL || okm_len == 0 || okm_len > 255 * h.digest_len)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    if (wc_HKDF_Expand(h.wc_type, prk, (word32)prk_len, info, (word32)info_len, okm,
                       (word32)okm_len) != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    return SVSM_CRYPTO_OK;
}
