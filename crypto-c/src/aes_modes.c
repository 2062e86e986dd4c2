/*
 * aes_modes.c - the AES block cipher in ECB and CFB128 (SP 800-38A), 128- and
 * 256-bit keys: the single-block operation and the parameter encryption a
 * TPM needs.
 *
 * A caller's context holds both expanded key schedules (encryption for ECB
 * encryption and both CFB directions, decryption for ECB decryption). The
 * services never write the context: CFB chains through wolfCrypt's feedback
 * register, which lives in the Aes structure, so each CFB call runs on a copy
 * of the encryption schedule on the stack, set to the caller's IV and wiped
 * afterwards. A CFB call is therefore complete in itself (no state between
 * calls), and a context can be shared read-only by its caller.
 */
#include "internal.h"

#include <wolfssl/wolfcrypt/aes.h>

#define AES_MAGIC 0x42534541u /* "AESB" */

typedef struct aes_state {
    uint32_t magic;
    uint32_t key_len;
    Aes enc;
    Aes dec;
} aes_state;

_Static_assert(sizeof(aes_state) <= SVSM_CRYPTO_AES_CTX_SIZE, "AES context too small");
_Static_assert(_Alignof(aes_state) <= 16, "AES context alignment");
_Static_assert(SVSM_CRYPTO_AES_BLOCK_LEN == WC_AES_BLOCK_SIZE, "AES block size");

static int aes_key_len_ok(size_t key_len)
{
    return key_len == 16 || key_len == 32;
}

int aes_schedule_op(Aes *aes, const uint8_t *key, size_t key_len, int dir)
{
    if (!aes_key_len_ok(key_len))
        return BAD_FUNC_ARG;
    int ret = wc_AesInit(aes, NULL, INVALID_DEVID);
    if (ret == 0)
        ret = wc_AesSetKey(aes, key, (word32)key_len, NULL, dir);
    return ret;
}

void aes_schedule_free(Aes *aes)
{
    wc_AesFree(aes);
    svsm_secure_zero(aes, sizeof(*aes));
}

int aes_ecb_op(const Aes *aes, int encrypt, const uint8_t *in, uint8_t *out, size_t len)
{
    if (len == 0 || len % WC_AES_BLOCK_SIZE != 0 || len > 0xffffffffu)
        return BAD_FUNC_ARG;
    /* wolfCrypt's ECB reads the schedule only; its prototype is not const. */
    Aes *schedule = (Aes *)(uintptr_t)aes;
    return encrypt ? wc_AesEcbEncrypt(schedule, out, in, (word32)len)
                   : wc_AesEcbDecrypt(schedule, out, in, (word32)len);
}

int aes_cfb128_op(const Aes *enc, int encrypt, const uint8_t *iv, const uint8_t *in,
                  uint8_t *out, size_t len)
{
    Aes chain;
    if (len == 0 || len > 0xffffffffu)
        return BAD_FUNC_ARG;
    memcpy(&chain, enc, sizeof(chain));
    int ret = wc_AesSetIV(&chain, iv);
    if (ret == 0)
        ret = encrypt ? wc_AesCfbEncrypt(&chain, out, in, (word32)len)
                      : wc_AesCfbDecrypt(&chain, out, in, (word32)len);
    svsm_secure_zero(&chain, sizeof(chain));
    return ret;
}

/* ---- Services ---------------------------------------------------------- */

static const aes_state *aes_ctx(const svsm_crypto_aes_ctx *ctx)
{
    return (const aes_state *)(const void *)ctx->opaque;
}

static int aes_ctx_ready(const svsm_crypto_aes_ctx *ctx)
{
    return ctx != NULL && aes_ctx(ctx)->magic == AES_MAGIC;
}

static int aes_io_ok(const uint8_t *in, const uint8_t *out, size_t len)
{
    return in != NULL && out != NULL && buffers_overlap_ok(in, out, len);
}

svsm_crypto_status svsm_crypto_aes_init(svsm_crypto_aes_ctx *ctx, const uint8_t *key,
                                        size_t key_len)
{
    SERVICE_OUTPUTS(OUT(ctx, ctx ? sizeof(*ctx) : 0));
    SERVICE_ENTER();
    if (ctx == NULL || key == NULL || !aes_key_len_ok(key_len))
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    aes_state *s = (aes_state *)(void *)ctx->opaque;
    svsm_secure_zero(ctx, sizeof(*ctx));
    if (aes_schedule_op(&s->enc, key, key_len, AES_ENCRYPTION) != 0 ||
        aes_schedule_op(&s->dec, key, key_len, AES_DECRYPTION) != 0) {
        svsm_crypto_aes_cleanse(ctx);
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    }
    s->key_len = (uint32_t)key_len;
    s->magic = AES_MAGIC;
    return SVSM_CRYPTO_OK;
}

/* The checks and the operation of an ECB call; the service gate is the caller's. */
static svsm_crypto_status aes_ecb_run(const svsm_crypto_aes_ctx *ctx, int encrypt,
                                      const uint8_t *in, uint8_t *out, size_t len)
{
    if (!aes_ctx_ready(ctx) || !aes_io_ok(in, out, len) || len == 0 ||
        len % SVSM_CRYPTO_AES_BLOCK_LEN != 0 || len > 0xffffffffu)
        return SVSM_CRYPTO_ERR_ARG;
    const aes_state *s = aes_ctx(ctx);
    if (aes_ecb_op(encrypt ? &s->enc : &s->dec, encrypt, in, out, len) != 0)
        return SVSM_CRYPTO_ERR_INTERNAL;
    return SVSM_CRYPTO_OK;
}

/* The checks and the operation of a CFB128 call; the service gate is the caller's. */
static svsm_crypto_status aes_cfb128_run(const svsm_crypto_aes_ctx *ctx, int encrypt,
                                         const uint8_t *iv, size_t iv_len, const uint8_t *in,
                                         uint8_t *out, size_t len)
{
    if (!aes_ctx_ready(ctx) || iv == NULL || iv_len != SVSM_CRYPTO_AES_BLOCK_LEN ||
        !aes_io_ok(in, out, len) || len == 0 || len > 0xffffffffu)
        return SVSM_CRYPTO_ERR_ARG;
    if (aes_cfb128_op(&aes_ctx(ctx)->enc, encrypt, iv, in, out, len) != 0)
        return SVSM_CRYPTO_ERR_INTERNAL;
    return SVSM_CRYPTO_OK;
}

svsm_crypto_status svsm_crypto_aes_ecb_encrypt(const svsm_crypto_aes_ctx *ctx,
                                               const uint8_t *in, uint8_t *out, size_t len)
{
    SERVICE_OUTPUTS(OUT(out, len));
    SERVICE_ENTER();
    SERVICE_RETURN(aes_ecb_run(ctx, 1, in, out, len));
}

svsm_crypto_status svsm_crypto_aes_ecb_decrypt(const svsm_crypto_aes_ctx *ctx,
                                               const uint8_t *in, uint8_t *out, size_t len)
{
    SERVICE_OUTPUTS(OUT(out, len));
    SERVICE_ENTER();
    SERVICE_RETURN(aes_ecb_run(ctx, 0, in, out, len));
}

svsm_crypto_status svsm_crypto_aes_cfb128_encrypt(const svsm_crypto_aes_ctx *ctx,
                                                  const uint8_t *iv, size_t iv_len,
                                                  const uint8_t *in, uint8_t *out, size_t len)
{
    SERVICE_OUTPUTS(OUT(out, len));
    SERVICE_ENTER();
    SERVICE_RETURN(aes_cfb128_run(ctx, 1, iv, iv_len, in, out, len));
}

svsm_crypto_status svsm_crypto_aes_cfb128_decrypt(const svsm_crypto_aes_ctx *ctx,
                                                  const uint8_t *iv, size_t iv_len,
                                                  const uint8_t *in, uint8_t *out, size_t len)
{
    SERVICE_OUTPUTS(OUT(out, len));
    SERVICE_ENTER();
    SERVICE_RETURN(aes_cfb128_run(ctx, 0, iv, iv_len, in, out, len));
}

void svsm_crypto_aes_cleanse(svsm_crypto_aes_ctx *ctx)
{
    if (ctx == NULL)
        return;
    aes_state *s = (aes_state *)(void *)ctx->opaque;
    if (s->magic == AES_MAGIC) {
        wc_AesFree(&s->enc);
        wc_AesFree(&s->dec);
    }
    svsm_secure_zero(ctx, sizeof(*ctx));
}
