/*
 * kdf.c - the key-derivation functions a TPM 2.0 engine needs:
 *   - SP 800-108r1 counter mode with HMAC as the PRF, the 32-bit counter
 *     before the fixed data (TPM 2.0 Part 1 11.4.10.2 KDFa);
 *   - SP 800-56C rev. 2 one-step KDF with a hash (11.4.10.3 KDFe).
 * Both build each block from spans (counter, key material, the caller's
 * fixed-data pieces) without copying the inputs, and wipe the block they
 * truncate.
 */
#include "internal.h"

/* SP 800-108 and 800-56C: at most 2^32 - 1 blocks of the PRF or hash. */
#define KDF_MAX_BLOCKS 0xffffffffu

static int kdf_parts_ok(const byte_span *parts, size_t n)
{
    uint64_t total = 0;
    if (n > SVSM_CRYPTO_KDF_MAX_PARTS || (parts == NULL && n != 0))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!BUF_OK(parts[i].ptr, parts[i].len) || parts[i].len > 0xffffffffu)
            return 0;
        total += parts[i].len;
    }
    return total <= 0xffffffffu;
}

static int kdf_out_ok(uint32_t alg, const uint8_t *out, size_t out_len)
{
    hash_info h;
    return hash_lookup(alg, &h) == 0 && out != NULL && out_len != 0 &&
           (out_len - 1) / h.digest_len < KDF_MAX_BLOCKS;
}

static int kdf_counter_args_ok(uint32_t alg, const uint8_t *key, size_t key_len,
                               const byte_span *fixed, size_t n_fixed, const uint8_t *out,
                               size_t out_len)
{
    return kdf_parts_ok(fixed, n_fixed) && BUF_OK(key, key_len) && key_len <= 0xffffffffu &&
           kdf_out_ok(alg, out, out_len);
}

static int kdf_one_step_args_ok(uint32_t alg, const uint8_t *z, size_t z_len,
                                const byte_span *fixed, size_t n_fixed, const uint8_t *out,
                                size_t out_len)
{
    return kdf_parts_ok(fixed, n_fixed) && z != NULL && z_len != 0 && z_len <= 0xffffffffu &&
           kdf_out_ok(alg, out, out_len);
}

static void put_be32(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

/*
 * The first out_len bytes of F([i]_32 || spans[1..]) for i = 1, 2, ...,
 * where F is HMAC under hmac_key when keyed, else the hash; spans[0] is the
 * counter's slot.
 */
static int kdf_blocks(uint32_t alg, const uint8_t *hmac_key, size_t hmac_key_len, int keyed,
                      byte_span *spans, size_t n_spans, uint8_t *out, size_t out_len)
{
    uint8_t counter[4], block[SVSM_CRYPTO_MAX_DIGEST_LEN];
    hash_info h;
    int ret = hash_lookup(alg, &h);
    spans[0] = (byte_span){ counter, sizeof(counter) };
    for (uint32_t i = 1; ret == 0 && out_len > 0; i++) {
        size_t take = out_len < h.digest_len ? out_len : h.digest_len;
        put_be32(counter, i);
        ret = keyed ? hmac_parts_op(alg, hmac_key, hmac_key_len, spans, n_spans, block)
                    : hash_parts_op(alg, spans, n_spans, block);
        if (ret == 0) {
            memcpy(out, block, take);
            out += take;
            out_len -= take;
        }
    }
    svsm_secure_zero(block, sizeof(block));
    return ret;
}

int kdf_counter_hmac_op(uint32_t alg, const uint8_t *key, size_t key_len,
                        const byte_span *fixed, size_t n_fixed, uint8_t *out, size_t out_len)
{
    byte_span spans[1 + SVSM_CRYPTO_KDF_MAX_PARTS];
    if (!kdf_counter_args_ok(alg, key, key_len, fixed, n_fixed, out, out_len))
        return BAD_FUNC_ARG;
    for (size_t i = 0; i < n_fixed; i++)
        spans[1 + i] = fixed[i];
    return kdf_blocks(alg, key, key_len, 1, spans, 1 + n_fixed, out, out_len);
}

int kdf_one_step_op(uint32_t alg, const uint8_t *z, size_t z_len, const byte_span *fixed,
                    size_t n_fixed, uint8_t *out, size_t out_len)
{
    byte_span spans[2 + SVSM_CRYPTO_KDF_MAX_PARTS];
    if (!kdf_one_step_args_ok(alg, z, z_len, fixed, n_fixed, out, out_len))
        return BAD_FUNC_ARG;
    spans[1] = (byte_span){ z, z_len };
    for (size_t i = 0; i < n_fixed; i++)
        spans[2 + i] = fixed[i];
    return kdf_blocks(alg, NULL, 0, 0, spans, 2 + n_fixed, out, out_len);
}

/* ---- Services ---------------------------------------------------------- */

svsm_crypto_status svsm_crypto_kdf_counter_hmac(uint32_t alg, const uint8_t *key,
                                                size_t key_len,
                                                const svsm_crypto_bytes *fixed,
                                                size_t n_fixed, uint8_t *out,
                                                size_t out_len)
{
    SERVICE_OUTPUTS(OUT(out, out_len));
    SERVICE_ENTER();
    if (!kdf_counter_args_ok(alg, key, key_len, fixed, n_fixed, out, out_len))
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    if (kdf_counter_hmac_op(alg, key, key_len, fixed, n_fixed, out, out_len) != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    return key_len_indicator(key_len);
}

svsm_crypto_status svsm_crypto_kdf_one_step(uint32_t alg, const uint8_t *z, size_t z_len,
                                            const svsm_crypto_bytes *fixed_info,
                                            size_t n_fixed, uint8_t *out, size_t out_len)
{
    SERVICE_OUTPUTS(OUT(out, out_len));
    SERVICE_ENTER();
    if (!kdf_one_step_args_ok(alg, z, z_len, fixed_info, n_fixed, out, out_len))
        SERVICE_FAIL(SVSM_CRYPTO_ERR_ARG);
    if (kdf_one_step_op(alg, z, z_len, fixed_info, n_fixed, out, out_len) != 0)
        SERVICE_FAIL(SVSM_CRYPTO_ERR_INTERNAL);
    return key_len_indicator(z_len);
}
