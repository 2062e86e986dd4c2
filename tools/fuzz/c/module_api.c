/*
 * Fuzz target: the crypto module's C API, on the fuzzing variant of its
 * sources (crypto-c/builder/src/fuzz.rs: clang with libFuzzer's hooks,
 * AddressSanitizer and UndefinedBehaviorSanitizer; not the certified object).
 *
 * The first byte of an input picks a service, the rest gives its lengths,
 * keys, IVs, tags, signatures and points. Every buffer the module gets is
 * allocated with exactly the length it is told, so AddressSanitizer reports
 * any access past it. Answers are compared with OpenSSL where the answer is
 * defined: a digest (one-shot, streaming, and resumed from an exported
 * state), MAC, KDF output (HKDF, SP 800-108 counter, SP 800-56C
 * one-step), ciphertext (GCM, ECB, CFB128) or tag must equal OpenSSL's;
 * an open of data whose tag is not the right one must fail with ERR_AUTH and
 * zero the plaintext; a public point must be accepted exactly when OpenSSL
 * finds it on the curve, a private scalar exactly when 1 <= d < n; a
 * signature the module makes must verify with OpenSSL, one OpenSSL makes
 * with the module; a shared secret must equal OpenSSL's. After every input
 * the module must still be operational. Any broken rule aborts (a crash).
 */
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>

#include "svsm_crypto.h"

#define CHECK(cond)                                                               \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "module-api: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                              \
        }                                                                         \
    } while (0)

/* ---- What the module's link provides otherwise (see fuzz.rs) ----------- */

__asm__(".section .rodata.svsm_fuzz_range,\"a\"\n"
        ".globl svsm_crypto_text_start\n"
        "svsm_crypto_text_start:\n"
        ".ascii \"svsm-crypto fuzzing variant: not the certified object\"\n"
        ".globl svsm_crypto_text_end\n"
        "svsm_crypto_text_end:\n"
        ".previous\n");
extern const uint8_t svsm_crypto_text_start[], svsm_crypto_text_end[];
extern const uint8_t svsm_integrity_key[32];
extern uint8_t svsm_integrity_expected[32];

/* ---- The environment: deterministic noise, the host's XCR0 -------------- */

static uint64_t noise_state = 0x9e3779b97f4a7c15u;

/* xorshift64*: full-entropy looking samples, reproducible crashes. */
static int32_t get_noise(void *context, uint8_t *out, size_t len)
{
    (void)context;
    for (size_t i = 0; i < len; i++) {
        noise_state ^= noise_state >> 12;
        noise_state ^= noise_state << 25;
        noise_state ^= noise_state >> 27;
        out[i] = (uint8_t)((noise_state * 0x2545f4914f6cdd1du) >> 56);
    }
    return 0;
}

static uint64_t host_xcr0(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
        return 0;
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    unsigned int len = 0;
    CHECK(HMAC(EVP_sha256(), svsm_integrity_key, 32, svsm_crypto_text_start,
               (size_t)(svsm_crypto_text_end - svsm_crypto_text_start),
               svsm_integrity_expected, &len) != NULL && len == 32);
    static const svsm_crypto_callbacks callbacks = { NULL, get_noise, NULL, 0 };
    svsm_crypto_callbacks cb = callbacks;
    cb.xcr0 = host_xcr0();
    if (svsm_crypto_init(&cb) != SVSM_CRYPTO_OK) {
        int32_t failed = svsm_crypto_failed_self_test();
        fprintf(stderr, "module-api: svsm_crypto_init failed: self-test %s\n",
                failed >= 0 ? svsm_crypto_self_test_key((uint32_t)failed) : "(none)");
        abort();
    }
    CHECK(svsm_crypto_state() == SVSM_CRYPTO_STATE_OPERATIONAL);
    return 0;
}

/* ---- Reading the input -------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t n;
} input;

static uint8_t in_u8(input *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

/* A length: mostly small, sometimes up to 4 KiB (lengths past what a
 * service accepts are part of what is fuzzed). */
static size_t in_len(input *in)
{
    uint8_t b = in_u8(in);
    if (b < 0xf0)
        return b;
    return ((size_t)(b & 0x0f) << 8 | in_u8(in));
}

/* A heap copy of the next `len` input bytes (zero past the end), exactly
 * `len` long; never NULL (1 byte for 0, so it is still a valid pointer). */
static uint8_t *in_bytes(input *in, size_t len)
{
    uint8_t *buf = malloc(len ? len : 1);
    CHECK(buf != NULL);
    size_t take = len < in->n ? len : in->n;
    memcpy(buf, in->p, take);
    memset(buf + take, 0, len - take);
    in->p += take;
    in->n -= take;
    return buf;
}

static uint8_t *out_buf(size_t len)
{
    uint8_t *buf = malloc(len ? len : 1);
    CHECK(buf != NULL);
    memset(buf, 0xa5, len);
    return buf;
}

static int ok(svsm_crypto_status s)
{
    return s == SVSM_CRYPTO_OK || s == SVSM_CRYPTO_OK_NON_APPROVED;
}

/* Every status is one of the header's. */
#define check_status(s) check_status_at(s, __LINE__)
static void check_status_at(svsm_crypto_status s, int line)
{
    /* An operational module fails no call with a state, entropy,
     * self-test or internal error. */
    if (s < SVSM_CRYPTO_ERR_LIMIT || s > SVSM_CRYPTO_OK_NON_APPROVED ||
        s == SVSM_CRYPTO_ERR_STATE || s == SVSM_CRYPTO_ERR_INTERNAL ||
        s == SVSM_CRYPTO_ERR_ENTROPY || s == SVSM_CRYPTO_ERR_SELF_TEST) {
        fprintf(stderr, "module-api: line %d: unexpected status %d\n", line, (int)s);
        abort();
    }
}

/* ---- Hashes, HMAC, HKDF -------------------------------------------------- */

static const EVP_MD *md_of(uint32_t alg)
{
    switch (alg) {
    case SVSM_CRYPTO_SHA256: return EVP_sha256();
    case SVSM_CRYPTO_SHA384: return EVP_sha384();
    case SVSM_CRYPTO_SHA512: return EVP_sha512();
    default: return NULL;
    }
}

/* Mostly a valid algorithm, sometimes any value. */
static uint32_t in_alg(input *in)
{
    uint8_t b = in_u8(in);
    return b < 0xf0 ? 1u + b % 3 : b;
}

static void fuzz_hash(input *in)
{
    uint32_t alg = in_alg(in);
    size_t msg_len = in_len(in), digest_len = in_len(in) % 80;
    uint8_t *msg = in_bytes(in, msg_len), *digest = out_buf(digest_len);
    svsm_crypto_status s = svsm_crypto_hash(alg, msg, msg_len, digest, digest_len);
    check_status(s);
    const EVP_MD *md = md_of(alg);
    if (md == NULL || digest_len != (size_t)EVP_MD_get_size(md)) {
        CHECK(s == SVSM_CRYPTO_ERR_ARG);
    } else {
        uint8_t want[64];
        CHECK(s == SVSM_CRYPTO_OK);
        CHECK(EVP_Digest(msg, msg_len, want, NULL, md, NULL));
        CHECK(memcmp(digest, want, digest_len) == 0);
        /* Streaming in two parts gives the same digest. */
        svsm_crypto_hash_ctx ctx;
        size_t cut = msg_len ? in_u8(in) % (msg_len + 1) : 0;
        CHECK(svsm_crypto_hash_init(&ctx, alg) == SVSM_CRYPTO_OK);
        CHECK(svsm_crypto_hash_update(&ctx, msg, cut) == SVSM_CRYPTO_OK);
        /* Exported at the cut and resumed in another context: the same. */
        uint8_t state[SVSM_CRYPTO_HASH_STATE_LEN];
        svsm_crypto_hash_ctx resumed;
        CHECK(svsm_crypto_hash_export(&ctx, state, sizeof(state)) == SVSM_CRYPTO_OK);
        CHECK(svsm_crypto_hash_import(&resumed, alg, state, sizeof(state)) == SVSM_CRYPTO_OK);
        CHECK(svsm_crypto_hash_update(&ctx, msg + cut, msg_len - cut) == SVSM_CRYPTO_OK);
        CHECK(svsm_crypto_hash_final(&ctx, digest, digest_len) == SVSM_CRYPTO_OK);
        CHECK(memcmp(digest, want, digest_len) == 0);
        CHECK(svsm_crypto_hash_update(&resumed, msg + cut, msg_len - cut) == SVSM_CRYPTO_OK);
        CHECK(svsm_crypto_hash_final(&resumed, digest, digest_len) == SVSM_CRYPTO_OK);
        CHECK(memcmp(digest, want, digest_len) == 0);
        /* One byte changed in a state is either refused or a state of its own;
         * it never crashes the module. */
        state[in_u8(in) % sizeof(state)] ^= (uint8_t)(1u << (in_u8(in) % 8));
        check_status(svsm_crypto_hash_import(&resumed, alg, state, sizeof(state)));
        svsm_crypto_hash_cleanse(&resumed);
    }
    free(msg);
    free(digest);
}

static void fuzz_hmac(input *in)
{
    uint32_t alg = in_alg(in);
    size_t key_len = in_len(in), msg_len = in_len(in), tag_len = in_len(in) % 80;
    uint8_t *key = in_bytes(in, key_len), *msg = in_bytes(in, msg_len);
    uint8_t *tag = out_buf(tag_len), *guess = in_bytes(in, tag_len);
    svsm_crypto_status s = svsm_crypto_hmac(alg, key, key_len, msg, msg_len, tag, tag_len);
    check_status(s);
    svsm_crypto_status v =
        svsm_crypto_hmac_verify(alg, key, key_len, msg, msg_len, guess, tag_len);
    check_status(v);
    const EVP_MD *md = md_of(alg);
    if (md == NULL || tag_len < 4 || tag_len > (size_t)EVP_MD_get_size(md)) {
        CHECK(!ok(s) && !ok(v));
    } else if (ok(s)) {
        uint8_t want[64];
        unsigned int want_len = 0;
        CHECK(HMAC(md, key, (int)key_len, msg, msg_len, want, &want_len) != NULL);
        CHECK(memcmp(tag, want, tag_len) == 0);
        /* A guessed tag verifies exactly when it is the tag. */
        CHECK(ok(v) == (memcmp(guess, want, tag_len) == 0));
        CHECK(ok(v) || v == SVSM_CRYPTO_ERR_AUTH);
        CHECK(ok(svsm_crypto_hmac_verify(alg, key, key_len, msg, msg_len, tag, tag_len)));
    }
    free(key);
    free(msg);
    free(tag);
    free(guess);
}

static int openssl_hkdf(const EVP_MD *md, int mode, const uint8_t *key, size_t key_len,
                        const uint8_t *salt, size_t salt_len, const uint8_t *info,
                        size_t info_len, uint8_t *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    OSSL_PARAM params[6], *p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)EVP_MD_get0_name(md), 0);
    *p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
    if (salt_len)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    *p = OSSL_PARAM_construct_end();
    int r = EVP_KDF_derive(ctx, out, out_len, params);
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return r == 1;
}

static void fuzz_hkdf(input *in)
{
    uint32_t alg = in_alg(in);
    size_t ikm_len = in_len(in), salt_len = in_len(in), info_len = in_len(in);
    size_t okm_len = in_len(in) * (in_u8(in) % 16 + 1);
    uint8_t *ikm = in_bytes(in, ikm_len), *salt = in_bytes(in, salt_len);
    uint8_t *info = in_bytes(in, info_len), *okm = out_buf(okm_len);
    svsm_crypto_status s =
        svsm_crypto_hkdf(alg, ikm, ikm_len, salt, salt_len, info, info_len, okm, okm_len);
    check_status(s);
    const EVP_MD *md = md_of(alg);
    if (md == NULL || okm_len > 255 * (size_t)EVP_MD_get_size(md)) {
        CHECK(!ok(s));
    } else if (ok(s) && ikm_len > 0 && okm_len > 0) {
        uint8_t *want = out_buf(okm_len);
        CHECK(openssl_hkdf(md, EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, ikm, ikm_len, salt,
                           salt_len, info, info_len, want, okm_len));
        CHECK(memcmp(okm, want, okm_len) == 0);
        free(want);
    }
    free(ikm);
    free(salt);
    free(info);
    free(okm);
}

/* ---- AES-ECB and AES-CFB128 --------------------------------------------- */

static const EVP_CIPHER *openssl_aes(int cfb, size_t key_len)
{
    if (cfb)
        return key_len == 16 ? EVP_aes_128_cfb128() : EVP_aes_256_cfb128();
    return key_len == 16 ? EVP_aes_128_ecb() : EVP_aes_256_ecb();
}

static void fuzz_aes_modes(input *in)
{
    uint8_t choice = in_u8(in);
    int cfb = choice & 1, encrypt = (choice >> 1) & 1, in_place = (choice >> 2) & 1;
    size_t key_len = choice < 0xf0 ? (choice & 8 ? 32 : 16) : in_len(in) % 40;
    size_t iv_len = in_u8(in) < 0xe0 ? 16 : in_len(in) % 20;
    size_t len = in_len(in);
    uint8_t *key = in_bytes(in, key_len), *iv = in_bytes(in, iv_len);
    uint8_t *data = in_bytes(in, len), *out = in_place ? data : out_buf(len);
    uint8_t *want = out_buf(len + 32);
    svsm_crypto_aes_ctx ctx;
    svsm_crypto_status s = svsm_crypto_aes_init(&ctx, key, key_len);
    check_status(s);
    if (key_len != 16 && key_len != 32) {
        CHECK(s == SVSM_CRYPTO_ERR_ARG);
        goto out;
    }
    CHECK(s == SVSM_CRYPTO_OK);
    /* OpenSSL's answer, before an in-place call overwrites the input. */
    int n = 0, m = 0, have_want = 0;
    if (len > 0 && (cfb ? iv_len == 16 : len % 16 == 0)) {
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        CHECK(EVP_CipherInit_ex(c, openssl_aes(cfb, key_len), NULL, key, cfb ? iv : NULL,
                                encrypt) &&
              EVP_CIPHER_CTX_set_padding(c, 0) && EVP_CipherUpdate(c, want, &n, data, (int)len) &&
              EVP_CipherFinal_ex(c, want + n, &m));
        CHECK((size_t)(n + m) == len);
        EVP_CIPHER_CTX_free(c);
        have_want = 1;
    }
    if (cfb)
        s = encrypt ? svsm_crypto_aes_cfb128_encrypt(&ctx, iv, iv_len, data, out, len)
                    : svsm_crypto_aes_cfb128_decrypt(&ctx, iv, iv_len, data, out, len);
    else
        s = encrypt ? svsm_crypto_aes_ecb_encrypt(&ctx, data, out, len)
                    : svsm_crypto_aes_ecb_decrypt(&ctx, data, out, len);
    check_status(s);
    CHECK(ok(s) == have_want);
    if (have_want)
        CHECK(s == SVSM_CRYPTO_OK && memcmp(out, want, len) == 0);
    else
        CHECK(s == SVSM_CRYPTO_ERR_ARG);
out:
    svsm_crypto_aes_cleanse(&ctx);
    free(key);
    free(iv);
    if (!in_place)
        free(out);
    free(data);
    free(want);
}

/* ---- SP 800-108 counter KDF (HMAC), SP 800-56C one-step KDF (hash) ----------- */

/* OpenSSL's KBKDF in counter mode with the fixed data as its "salt" (label)
 * and neither separator nor [L]: PRF(key, [i]_32 || fixed). */
static int openssl_kdf(int one_step, const EVP_MD *md, const uint8_t *key, size_t key_len,
                       const uint8_t *fixed, size_t fixed_len, uint8_t *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, one_step ? "SSKDF" : "KBKDF", NULL);
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    int zero = 0;
    OSSL_PARAM params[8], *p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)EVP_MD_get0_name(md), 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
    if (one_step) {
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)fixed, fixed_len);
    } else {
        *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, (char *)"HMAC", 0);
        *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, (char *)"counter", 0);
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)fixed, fixed_len);
        *p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_KBKDF_USE_L, &zero);
        *p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_KBKDF_USE_SEPARATOR, &zero);
    }
    *p = OSSL_PARAM_construct_end();
    int r = EVP_KDF_derive(ctx, out, out_len, params);
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return r == 1;
}

static void fuzz_kdf(input *in)
{
    int one_step = in_u8(in) & 1;
    uint32_t alg = in_alg(in);
    size_t key_len = in_len(in), out_len = in_len(in) * (in_u8(in) % 4 + 1);
    size_t n_parts = in_u8(in) % (SVSM_CRYPTO_KDF_MAX_PARTS + 3), fixed_len = 0;
    svsm_crypto_bytes parts[SVSM_CRYPTO_KDF_MAX_PARTS + 2];
    uint8_t *bufs[SVSM_CRYPTO_KDF_MAX_PARTS + 2];
    for (size_t i = 0; i < n_parts; i++) {
        parts[i].len = in_len(in) % 64;
        bufs[i] = in_bytes(in, parts[i].len);
        parts[i].ptr = bufs[i];
        fixed_len += parts[i].len;
    }
    uint8_t *key = in_bytes(in, key_len), *out = out_buf(out_len);
    uint8_t *fixed = out_buf(fixed_len), *want = out_buf(out_len);
    for (size_t i = 0, at = 0; i < n_parts; at += parts[i].len, i++)
        memcpy(fixed + at, parts[i].ptr, parts[i].len);
    svsm_crypto_status s =
        one_step ? svsm_crypto_kdf_one_step(alg, key, key_len, parts, n_parts, out, out_len)
                 : svsm_crypto_kdf_counter_hmac(alg, key, key_len, parts, n_parts, out, out_len);
    check_status(s);
    const EVP_MD *md = md_of(alg);
    int args_ok = md != NULL && n_parts <= SVSM_CRYPTO_KDF_MAX_PARTS && out_len > 0 &&
                  (!one_step || key_len > 0);
    CHECK(ok(s) == args_ok);
    if (!args_ok) {
        CHECK(s == SVSM_CRYPTO_ERR_ARG);
        for (size_t i = 0; i < out_len; i++)
            CHECK(out[i] == 0);
    } else {
        /* Approved exactly when the key or Z has 112 bits or more. */
        CHECK(s == (key_len >= 14 ? SVSM_CRYPTO_OK : SVSM_CRYPTO_OK_NON_APPROVED));
        /* OpenSSL takes no empty HMAC key; the other cases it must agree on. */
        if (key_len > 0) {
            CHECK(openssl_kdf(one_step, md, key, key_len, fixed, fixed_len, want, out_len));
            CHECK(memcmp(out, want, out_len) == 0);
        }
    }
    for (size_t i = 0; i < n_parts; i++)
        free(bufs[i]);
    free(key);
    free(out);
    free(fixed);
    free(want);
}

/* ---- AES-GCM ------------------------------------------------------------ */

static int openssl_gcm_seal(const uint8_t *key, size_t key_len, const uint8_t *iv,
                            size_t iv_len, const uint8_t *aad, size_t aad_len,
                            const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[16])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, r = EVP_EncryptInit_ex(c, key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(),
                                      NULL, NULL, NULL) &&
                   EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)iv_len, NULL) &&
                   EVP_EncryptInit_ex(c, NULL, NULL, key, iv) &&
                   EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) &&
                   EVP_EncryptUpdate(c, ct, &n, pt, (int)len) &&
                   EVP_EncryptFinal_ex(c, ct + n, &n) &&
                   EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
    EVP_CIPHER_CTX_free(c);
    return r;
}

static void fuzz_aes_gcm(input *in)
{
    uint8_t key_choice = in_u8(in);
    size_t key_len = key_choice < 0xf0 ? (key_choice & 1 ? 32 : 16) : in_len(in);
    size_t iv_len = in_u8(in) < 0xe0 ? 12 : in_len(in) % 80;
    size_t aad_len = in_len(in), len = in_len(in);
    size_t tag_len = in_u8(in) < 0xe0 ? 16 : in_u8(in) % 20;
    uint8_t *key = in_bytes(in, key_len), *iv = in_bytes(in, iv_len);
    uint8_t *aad = in_bytes(in, aad_len), *pt = in_bytes(in, len);
    uint8_t *ct = out_buf(len), *tag = out_buf(tag_len), *back = out_buf(len);
    uint8_t *junk_tag = in_bytes(in, tag_len), *junk_ct = in_bytes(in, len);
    svsm_crypto_aes_gcm_ctx ctx;
    svsm_crypto_status s = svsm_crypto_aes_gcm_init(&ctx, key, key_len);
    check_status(s);
    if (key_len != 16 && key_len != 32) {
        CHECK(s == SVSM_CRYPTO_ERR_ARG || s == SVSM_CRYPTO_ERR_KEY);
        goto out;
    }
    CHECK(s == SVSM_CRYPTO_OK);
    s = svsm_crypto_aes_gcm_seal(&ctx, iv, iv_len, aad, aad_len, pt, len, ct, tag, tag_len);
    check_status(s);
    int tag_ok = tag_len == 4 || tag_len == 8 || (tag_len >= 12 && tag_len <= 16);
    if (!tag_ok || iv_len == 0)
        CHECK(!ok(s));
    if (ok(s)) {
        uint8_t *want = out_buf(len), want_tag[16];
        CHECK(openssl_gcm_seal(key, key_len, iv, iv_len, aad, aad_len, pt, len, want, want_tag));
        CHECK(memcmp(ct, want, len) == 0 && memcmp(tag, want_tag, tag_len) == 0);
        free(want);
        /* Opens back; any other tag or ciphertext is refused, with zeros. */
        CHECK(ok(svsm_crypto_aes_gcm_open(&ctx, iv, iv_len, aad, aad_len, ct, len, tag,
                                          tag_len, back)));
        CHECK(memcmp(back, pt, len) == 0);
        int same = memcmp(junk_tag, tag, tag_len) == 0 && memcmp(junk_ct, ct, len) == 0;
        s = svsm_crypto_aes_gcm_open(&ctx, iv, iv_len, aad, aad_len, junk_ct, len, junk_tag,
                                     tag_len, back);
        check_status(s);
        if (!same) {
            CHECK(s == SVSM_CRYPTO_ERR_AUTH);
            for (size_t i = 0; i < len; i++)
                CHECK(back[i] == 0);
        }
    }
    /* The approved seal: the module's IV, which OpenSSL then opens. */
    uint8_t gen_iv[12];
    s = svsm_crypto_aes_gcm_seal_generated_iv(&ctx, gen_iv, sizeof(gen_iv), aad, aad_len, pt,
                                              len, ct, tag, tag_len);
    check_status(s);
    if (ok(s)) {
        uint8_t *want = out_buf(len), want_tag[16];
        CHECK(openssl_gcm_seal(key, key_len, gen_iv, 12, aad, aad_len, pt, len, want, want_tag));
        CHECK(memcmp(ct, want, len) == 0 && memcmp(tag, want_tag, tag_len) == 0);
        free(want);
    } else {
        CHECK(!tag_ok);
    }
    svsm_crypto_aes_gcm_cleanse(&ctx);
out:
    free(key);
    free(iv);
    free(aad);
    free(pt);
    free(ct);
    free(tag);
    free(back);
    free(junk_tag);
    free(junk_ct);
}

/* ---- CTR_DRBG ----------------------------------------------------------- */

static void fuzz_drbg(input *in)
{
    svsm_crypto_drbg_ctx ctx;
    size_t entropy_len = in_len(in), nonce_len = in_len(in), pers_len = in_len(in);
    uint8_t *entropy = in_bytes(in, entropy_len), *nonce = in_bytes(in, nonce_len);
    uint8_t *pers = in_bytes(in, pers_len);
    svsm_crypto_status s = in_u8(in) & 1
        ? svsm_crypto_drbg_instantiate(&ctx, pers, pers_len)
        : svsm_crypto_drbg_instantiate_test(&ctx, entropy, entropy_len, nonce, nonce_len, pers,
                                            pers_len);
    check_status(s);
    for (int round = 0; ok(s) && round < 3 && in->n; round++) {
        size_t out_len = in_len(in) * (in_u8(in) % 17 + 1), add_len = in_len(in);
        uint8_t *out = out_buf(out_len), *add = in_bytes(in, add_len);
        check_status(svsm_crypto_drbg_generate(&ctx, out, out_len, add, add_len));
        check_status(in_u8(in) & 1
                         ? svsm_crypto_drbg_reseed(&ctx, add, add_len)
                         : svsm_crypto_drbg_reseed_test(&ctx, entropy, entropy_len, add,
                                                        add_len));
        free(out);
        free(add);
    }
    svsm_crypto_drbg_uninstantiate(&ctx);
    for (size_t i = 0; i < sizeof(ctx.opaque); i++)
        CHECK(ctx.opaque[i] == 0);
    free(entropy);
    free(nonce);
    free(pers);
}

/* ---- ECC ---------------------------------------------------------------- */

typedef struct {
    uint32_t id;
    int nid;
    size_t scalar;
    const EVP_MD *md;
} curve;

static curve in_curve(input *in)
{
    uint8_t b = in_u8(in);
    if (b >= 0xf8)
        return (curve){ b, NID_undef, 32, EVP_sha256() };
    return b & 1 ? (curve){ SVSM_CRYPTO_P384, NID_secp384r1, 48, EVP_sha384() }
                 : (curve){ SVSM_CRYPTO_P256, NID_X9_62_prime256v1, 32, EVP_sha256() };
}

/* OpenSSL's public point X || Y, or NULL if it is not on the curve. */
static EC_POINT *openssl_point(const EC_GROUP *g, const uint8_t *xy, size_t len)
{
    uint8_t *enc = malloc(len + 1);
    CHECK(enc != NULL);
    enc[0] = 4;
    memcpy(enc + 1, xy, len);
    EC_POINT *p = EC_POINT_new(g);
    if (!EC_POINT_oct2point(g, p, enc, len + 1, NULL) || !EC_POINT_is_on_curve(g, p, NULL) ||
        EC_POINT_is_at_infinity(g, p)) {
        EC_POINT_free(p);
        p = NULL;
    }
    free(enc);
    return p;
}

/* The private scalar d if 1 <= d < n, else NULL. */
static BIGNUM *openssl_scalar(const EC_GROUP *g, const uint8_t *d, size_t len)
{
    BIGNUM *bn = BN_bin2bn(d, (int)len, NULL);
    if (BN_is_zero(bn) || BN_cmp(bn, EC_GROUP_get0_order(g)) >= 0) {
        BN_free(bn);
        return NULL;
    }
    return bn;
}

static void point_bytes(const EC_GROUP *g, const EC_POINT *p, uint8_t *xy, size_t len)
{
    uint8_t enc[97];
    CHECK(EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, enc, sizeof(enc), NULL) ==
          len + 1);
    memcpy(xy, enc + 1, len);
}

/* A public point: from the input, or sometimes a valid one (k·G). */
static uint8_t *in_point(input *in, const EC_GROUP *g, curve c, size_t len)
{
    uint8_t *xy = in_bytes(in, len);
    if (g != NULL && len == 2 * c.scalar && (in_u8(in) & 3) == 0) {
        BIGNUM *k = BN_bin2bn(xy, (int)c.scalar, NULL);
        EC_POINT *p = EC_POINT_new(g);
        if (!BN_is_zero(k) && EC_POINT_mul(g, p, k, NULL, NULL, NULL) &&
            !EC_POINT_is_at_infinity(g, p))
            point_bytes(g, p, xy, len);
        EC_POINT_free(p);
        BN_free(k);
    }
    return xy;
}

static void fuzz_ecc(input *in)
{
    curve c = in_curve(in);
    EC_GROUP *g = c.nid == NID_undef ? NULL : EC_GROUP_new_by_curve_name(c.nid);
    size_t want = 2 * c.scalar;
    size_t priv_len = in_u8(in) < 0xf0 ? c.scalar : in_len(in) % 100;
    size_t pub_len = in_u8(in) < 0xf0 ? want : in_len(in) % 200;
    size_t digest_len = in_u8(in) < 0xf0 ? c.scalar : in_len(in) % 80;
    size_t sig_len = in_u8(in) < 0xf0 ? want : in_len(in) % 200;
    uint8_t *priv = in_bytes(in, priv_len), *digest = in_bytes(in, digest_len);
    uint8_t *peer = in_point(in, g, c, pub_len), *sig_in = in_bytes(in, sig_len);
    uint8_t *pub = out_buf(pub_len), *sig = out_buf(sig_len);
    int shapes = g != NULL && priv_len == c.scalar && pub_len == want;

    /* Public-key validation: exactly OpenSSL's on-curve check. */
    svsm_crypto_status s = svsm_crypto_ecc_public_key_validate(c.id, peer, pub_len);
    check_status(s);
    EC_POINT *peer_pt = g && pub_len == want ? openssl_point(g, peer, pub_len) : NULL;
    CHECK(ok(s) == (peer_pt != NULL));
    if (!ok(s))
        CHECK(s == SVSM_CRYPTO_ERR_KEY || s == SVSM_CRYPTO_ERR_ARG);

    /* Derivation: exactly the scalars 1 <= d < n, and OpenSSL's d·G. */
    s = svsm_crypto_ecc_public_key_derive(c.id, priv, priv_len, pub, pub_len);
    check_status(s);
    BIGNUM *d = g != NULL && priv_len == c.scalar ? openssl_scalar(g, priv, priv_len) : NULL;
    if (shapes)
        CHECK(ok(s) == (d != NULL));
    if (ok(s)) {
        CHECK(d != NULL && pub_len == want);
        EC_POINT *q = EC_POINT_new(g);
        uint8_t xy[96];
        CHECK(EC_POINT_mul(g, q, d, NULL, NULL, NULL));
        point_bytes(g, q, xy, want);
        CHECK(memcmp(pub, xy, want) == 0);
        EC_POINT_free(q);
    }

    /* Signing: the signature verifies with OpenSSL and with the module. An
     * all-zero digest is refused (the header; it was ERR_INTERNAL once). */
    int zero_digest = 1;
    for (size_t i = 0; i < digest_len; i++)
        zero_digest &= digest[i] == 0;
    s = svsm_crypto_ecdsa_sign_digest(c.id, priv, priv_len, digest, digest_len, sig, sig_len);
    check_status(s);
    if (zero_digest)
        CHECK(s == SVSM_CRYPTO_ERR_ARG);
    if (ok(s)) {
        CHECK(d != NULL && sig_len == want && digest_len >= 1 && digest_len <= 64);
        EC_KEY *key = EC_KEY_new_by_curve_name(c.nid);
        EC_POINT *q = EC_POINT_new(g);
        CHECK(EC_POINT_mul(g, q, d, NULL, NULL, NULL) && EC_KEY_set_public_key(key, q));
        ECDSA_SIG *es = ECDSA_SIG_new();
        ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)c.scalar, NULL),
                       BN_bin2bn(sig + c.scalar, (int)c.scalar, NULL));
        CHECK(ECDSA_do_verify(digest, (int)digest_len, es, key) == 1);
        uint8_t xy[96];
        point_bytes(g, q, xy, want);
        CHECK(ok(svsm_crypto_ecdsa_verify_digest(c.id, xy, want, digest, digest_len, sig,
                                                 sig_len)));
        ECDSA_SIG_free(es);
        EC_POINT_free(q);
        EC_KEY_free(key);
    }

    /* Verification of the input's signature: exactly OpenSSL's verdict. */
    s = svsm_crypto_ecdsa_verify_digest(c.id, peer, pub_len, digest, digest_len, sig_in,
                                        sig_len);
    check_status(s);
    svsm_crypto_status verify_status = s;
    if (peer_pt != NULL && sig_len == want && digest_len >= 1 && digest_len <= 64 &&
        !zero_digest) {
        EC_KEY *key = EC_KEY_new_by_curve_name(c.nid);
        CHECK(EC_KEY_set_public_key(key, peer_pt));
        ECDSA_SIG *es = ECDSA_SIG_new();
        ECDSA_SIG_set0(es, BN_bin2bn(sig_in, (int)c.scalar, NULL),
                       BN_bin2bn(sig_in + c.scalar, (int)c.scalar, NULL));
        int verdict = ECDSA_do_verify(digest, (int)digest_len, es, key);
        CHECK(ok(s) == (verdict == 1));
        if (!ok(s))
            CHECK(s == SVSM_CRYPTO_ERR_AUTH);
        ECDSA_SIG_free(es);
        EC_KEY_free(key);
    } else {
        CHECK(!ok(s));
    }

    /* ECDH: defined exactly for a valid scalar and a valid peer point. */
    size_t z_len = in_u8(in) < 0xf0 ? c.scalar : in_len(in) % 100;
    uint8_t *zz = out_buf(z_len);
    s = svsm_crypto_ecdh_shared_secret(c.id, priv, priv_len, peer, pub_len, zz, z_len);
    check_status(s);
    if (shapes && z_len == c.scalar) {
        CHECK(ok(s) == (d != NULL && peer_pt != NULL));
    }
    if (ok(s)) {
        CHECK(d != NULL && peer_pt != NULL);
        EC_POINT *shared = EC_POINT_new(g);
        uint8_t xy[96];
        CHECK(EC_POINT_mul(g, shared, NULL, peer_pt, d, NULL));
        point_bytes(g, shared, xy, want);
        CHECK(memcmp(zz, xy, c.scalar) == 0);
        EC_POINT_free(shared);
    }

    /* The peer key loaded into a handle (its precomputed table, ecc_keys.c):
     * loaded exactly when valid, a refused load leaves the handle zeroed;
     * verify and ECDH through it answer as the by-bytes calls. */
    svsm_crypto_status ecdh_status = s;
    svsm_crypto_ecc_public_key_ctx handle;
    memset(&handle, 0xa5, sizeof(handle));
    s = svsm_crypto_ecc_public_key_load(&handle, c.id, peer, pub_len);
    check_status(s);
    CHECK(ok(s) == (peer_pt != NULL));
    int loaded = ok(s);
    for (size_t i = 0; !loaded && i < sizeof(handle.opaque); i++)
        CHECK(handle.opaque[i] == 0);
    uint8_t *priv0 = malloc(priv_len ? priv_len : 1); /* keygen below overwrites priv */
    CHECK(priv0 != NULL);
    memcpy(priv0, priv, priv_len);
    uint8_t *z2 = out_buf(z_len);
    if (loaded) {
        CHECK(svsm_crypto_ecdsa_verify_digest_loaded(&handle, digest, digest_len, sig_in,
                                                     sig_len) == verify_status);
        CHECK(svsm_crypto_ecdh_shared_secret_loaded(&handle, priv, priv_len, z2, z_len) ==
              ecdh_status);
        if (ok(ecdh_status))
            CHECK(memcmp(z2, zz, z_len) == 0);
    }

    /* Key generation: the public key is d·G of the private key. */
    if ((in_u8(in) & 7) == 0) {
        s = svsm_crypto_ecc_keygen(c.id, priv, priv_len, pub, pub_len);
        check_status(s);
        CHECK(ok(s) == shapes);
        if (ok(s)) {
            BIGNUM *k = openssl_scalar(g, priv, priv_len);
            EC_POINT *q = EC_POINT_new(g);
            uint8_t xy[96];
            CHECK(k != NULL && EC_POINT_mul(g, q, k, NULL, NULL, NULL));
            point_bytes(g, q, xy, want);
            CHECK(memcmp(pub, xy, want) == 0);
            EC_POINT_free(q);
            BN_free(k);
        }
    }

    /* One handle byte changed: refused (ERR_KEY, ERR_ARG for the tag) when
     * the check value covers it (the 104 header and point bytes, the check
     * value, the curve's table: ecc_keys.c's offsets), the same answers when
     * it does not (padding, the unused end of a P-256 table). Cleanse wipes
     * the handle and ends it. */
    if (loaded) {
        size_t at = (in_len(in) * 53 + in_u8(in)) % sizeof(handle.opaque);
        handle.opaque[at] ^= (uint8_t)(in_u8(in) | 1);
        int covered = at < 136 || (at >= 144 && at < 144 + 128 * c.scalar);
        svsm_crypto_status v = svsm_crypto_ecdsa_verify_digest_loaded(&handle, digest, digest_len,
                                                                      sig_in, sig_len);
        check_status(v);
        memset(z2, 0xa5, z_len);
        svsm_crypto_status e =
            svsm_crypto_ecdh_shared_secret_loaded(&handle, priv0, priv_len, z2, z_len);
        check_status(e);
        if (covered) {
            CHECK(v == SVSM_CRYPTO_ERR_KEY || v == SVSM_CRYPTO_ERR_ARG);
            CHECK(e == SVSM_CRYPTO_ERR_KEY || e == SVSM_CRYPTO_ERR_ARG);
            for (size_t i = 0; i < z_len; i++)
                CHECK(z2[i] == 0);
        } else {
            CHECK(v == verify_status && e == ecdh_status);
            if (ok(e))
                CHECK(memcmp(z2, zz, z_len) == 0);
        }
    }
    svsm_crypto_ecc_public_key_cleanse(&handle);
    for (size_t i = 0; i < sizeof(handle.opaque); i++)
        CHECK(handle.opaque[i] == 0);
    CHECK(svsm_crypto_ecdsa_verify_digest_loaded(&handle, digest, digest_len, sig_in, sig_len) ==
          SVSM_CRYPTO_ERR_ARG);

    BN_free(d);
    EC_POINT_free(peer_pt);
    EC_GROUP_free(g);
    free(priv0);
    free(z2);
    free(priv);
    free(digest);
    free(peer);
    free(sig_in);
    free(pub);
    free(sig);
    free(zz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input in = { data, size };
    uint8_t service = in_u8(&in);
    /* 0xfc..0xff: the TPM services (added later; every other first byte
     * keeps the service it had, so the corpus keeps its meaning). */
    if (service >= 0xfc) {
        if (service < 0xfe)
            fuzz_aes_modes(&in);
        else
            fuzz_kdf(&in);
        CHECK(svsm_crypto_state() == SVSM_CRYPTO_STATE_OPERATIONAL);
        return 0;
    }
    switch (service % 6) {
    case 0: fuzz_hash(&in); break;
    case 1: fuzz_hmac(&in); break;
    case 2: fuzz_hkdf(&in); break;
    case 3: fuzz_aes_gcm(&in); break;
    case 4: fuzz_drbg(&in); break;
    default: fuzz_ecc(&in); break;
    }
    CHECK(svsm_crypto_state() == SVSM_CRYPTO_STATE_OPERATIONAL);
    return 0;
}
