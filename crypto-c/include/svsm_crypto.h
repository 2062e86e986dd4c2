/*
 * svsm_crypto.h - the only interface of the SVSM cryptographic module.
 *
 * The module is one relocatable object (svsm-crypto.o). Everything it can do
 * for a caller is declared here; nothing else is exported.
 *
 * Conventions
 *  - Every service returns an svsm_crypto_status. A status >= 0 is success and
 *    doubles as the FIPS 140-3 service indicator: SVSM_CRYPTO_OK means an
 *    approved service ran, SVSM_CRYPTO_OK_NON_APPROVED a non-approved one.
 *  - On any failure every output buffer of the call is zeroed. While the module
 *    is not operational every service fails with SVSM_CRYPTO_ERR_STATE.
 *  - Byte strings are big-endian where they encode integers (ECC scalars and
 *    coordinates, ECDSA r and s). Public keys are X || Y, each of the curve's
 *    field size, without the 0x04 prefix.
 *  - Lengths are size_t; a length the algorithm cannot take is
 *    SVSM_CRYPTO_ERR_ARG, as is a NULL pointer with a non-zero length.
 *  - The module is not reentrant: the caller serializes calls (one at a time).
 *    Calls may use SSE/AVX registers; the caller guarantees their state is
 *    preserved across the call.
 *  - Contexts (svsm_crypto_*_ctx) hold no pointer into themselves: between
 *    calls a caller may move one with memcpy. They must not be shared or
 *    copied to make two live contexts of the same key or state.
 */
#ifndef SVSM_CRYPTO_H
#define SVSM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The module is built with hidden visibility; only the API is exported. */
#if defined(__GNUC__)
#define SVSM_CRYPTO_API __attribute__((visibility("default")))
#else
#define SVSM_CRYPTO_API
#endif

typedef int32_t svsm_crypto_status;

enum svsm_crypto_status_code {
    SVSM_CRYPTO_OK = 0,               /* success, approved service */
    SVSM_CRYPTO_OK_NON_APPROVED = 1,  /* success, non-approved service */
    SVSM_CRYPTO_ERR_STATE = -1,       /* module not operational: no output */
    SVSM_CRYPTO_ERR_ARG = -2,         /* bad pointer, length or identifier */
    SVSM_CRYPTO_ERR_AUTH = -3,        /* tag or signature does not verify */
    SVSM_CRYPTO_ERR_KEY = -4,         /* invalid key or public point */
    SVSM_CRYPTO_ERR_ENTROPY = -5,     /* entropy source failed: error state */
    SVSM_CRYPTO_ERR_SELF_TEST = -6,   /* a self-test failed: error state */
    SVSM_CRYPTO_ERR_INTERNAL = -7,    /* unexpected failure inside the module */
    SVSM_CRYPTO_ERR_ALREADY = -8,     /* svsm_crypto_init called twice */
    SVSM_CRYPTO_ERR_LIMIT = -9        /* a usage limit was reached (IV count, reseed) */
};

enum svsm_crypto_state {
    SVSM_CRYPTO_STATE_UNINITIALIZED = 0,
    SVSM_CRYPTO_STATE_SELF_TEST = 1,
    SVSM_CRYPTO_STATE_OPERATIONAL = 2,
    SVSM_CRYPTO_STATE_ERROR = 3
};

/*
 * Power-on self-tests in the order they run: X(ENUM, "id", "name").
 * The id is the stable key used by reports, the manifest and BREAK builds.
 */
#define SVSM_CRYPTO_SELF_TEST_LIST(X)                                              \
    X(HMAC_SHA256_KAT, "hmac-sha256-kat", "HMAC-SHA-256 KAT (integrity algorithm)") \
    X(INTEGRITY, "integrity", "Software integrity test (HMAC-SHA-256)")            \
    X(SHA256_KAT, "sha256-kat", "SHA-256 KAT")                                      \
    X(SHA384_KAT, "sha384-kat", "SHA-384 KAT")                                      \
    X(SHA512_KAT, "sha512-kat", "SHA-512 KAT")                                      \
    X(HMAC_SHA384_KAT, "hmac-sha384-kat", "HMAC-SHA-384 KAT")                       \
    X(HMAC_SHA512_KAT, "hmac-sha512-kat", "HMAC-SHA-512 KAT")                       \
    X(HKDF_SHA256_KAT, "hkdf-sha256-kat", "HKDF-SHA-256 KAT")                       \
    X(HKDF_SHA384_KAT, "hkdf-sha384-kat", "HKDF-SHA-384 KAT")                       \
    X(AES_GCM_128_KAT, "aes-gcm-128-kat", "AES-128-GCM seal and open KAT")          \
    X(AES_GCM_256_KAT, "aes-gcm-256-kat", "AES-256-GCM seal and open KAT")          \
    X(AES_GCM_256_16K_KAT, "aes-gcm-256-16k-kat", "AES-256-GCM 16 KiB KAT (wide paths)") \
    X(CTR_DRBG_KAT, "ctr-drbg-kat", "CTR_DRBG AES-256 (df) instantiate/reseed/generate/uninstantiate") \
    X(ECDSA_P256_KAT, "ecdsa-p256-kat", "ECDSA P-256 SHA-256 sign and verify KAT")  \
    X(ECDSA_P384_KAT, "ecdsa-p384-kat", "ECDSA P-384 SHA-384 sign and verify KAT")  \
    X(ECDH_P256_KAT, "ecdh-p256-kat", "ECC CDH P-256 shared secret KAT")            \
    X(ECDH_P384_KAT, "ecdh-p384-kat", "ECC CDH P-384 shared secret KAT")            \
    X(ENTROPY_STARTUP, "entropy-startup", "SP 800-90B start-up health tests (RCT, APT)") \
    X(AES_ECB_256_KAT, "aes-ecb-256-kat", "AES-256 ECB encrypt and decrypt KAT")       \
    X(AES_CFB128_128_KAT, "aes-cfb128-128-kat", "AES-128 CFB128 encrypt and decrypt KAT") \
    X(KDF_COUNTER_SHA256_KAT, "kdf-ctr-sha256-kat", "SP 800-108 counter KDF, HMAC-SHA-256 KAT") \
    X(KDF_ONE_STEP_SHA256_KAT, "kdf-onestep-sha256-kat", "SP 800-56C one-step KDF, SHA-256 KAT")

#define SVSM_CRYPTO_SELF_TEST_ENUM_(name, id, text) SVSM_CRYPTO_TEST_##name,
enum svsm_crypto_self_test_id {
    SVSM_CRYPTO_SELF_TEST_LIST(SVSM_CRYPTO_SELF_TEST_ENUM_)
    SVSM_CRYPTO_SELF_TEST_COUNT
};
#undef SVSM_CRYPTO_SELF_TEST_ENUM_

enum svsm_crypto_self_test_outcome {
    SVSM_CRYPTO_TEST_NOT_RUN = 0,
    SVSM_CRYPTO_TEST_PASSED = 1,
    SVSM_CRYPTO_TEST_FAILED = 2
};

typedef struct svsm_crypto_self_test_result {
    uint32_t id;          /* enum svsm_crypto_self_test_id */
    uint32_t outcome;     /* enum svsm_crypto_self_test_outcome */
    uint64_t start_ticks; /* callbacks.timestamp at start (0 without one) */
    uint64_t end_ticks;
} svsm_crypto_self_test_result;

/*
 * What the module may call outside itself, and the one platform fact it takes
 * on trust. Nothing else is ever called. svsm_crypto_init copies the table;
 * it need not outlive the call.
 * get_noise fills out with raw samples of the entropy source (one sample per
 * byte) and returns 0, or returns non-zero if the source failed.
 * timestamp may be NULL; it only times the self-tests.
 * xcr0 is the value the OS wrote to XCR0: which register state it enabled and
 * preserves for the module (the module itself never executes XGETBV). The
 * module uses AVX code only when bits 1 and 2 are set, AVX-512 code only when
 * bits 5, 6 and 7 are set too; 0 confines it to SSE. Everything else it checks
 * itself with CPUID: that the CPU has each instruction-set extension, and that
 * CR4.OSXSAVE is set (CPUID.1:ECX[27]; without it xcr0 is ignored). A caller
 * that overstates xcr0 makes the module fault (#UD) or lose vector state.
 */
typedef struct svsm_crypto_callbacks {
    void *context;
    int32_t (*get_noise)(void *context, uint8_t *out, size_t len);
    uint64_t (*timestamp)(void *context);
    uint64_t xcr0;
} svsm_crypto_callbacks;

/* ---- Module control (available in every state) ------------------------ */

/* Runs the power-on self-tests; OK leaves the module operational. */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_init(const svsm_crypto_callbacks *callbacks);
SVSM_CRYPTO_API uint32_t svsm_crypto_state(void);
/* The failed self-test id, or -1 when none failed. */
SVSM_CRYPTO_API int32_t svsm_crypto_failed_self_test(void);
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_self_test_result_get(uint32_t id, svsm_crypto_self_test_result *out);
SVSM_CRYPTO_API const char *svsm_crypto_self_test_key(uint32_t id);  /* "integrity", ...; NULL if unknown */
SVSM_CRYPTO_API const char *svsm_crypto_self_test_name(uint32_t id);
SVSM_CRYPTO_API const char *svsm_crypto_version(void);
/* Destroys every SSP the module holds (its DRBG state, entropy pool). */
SVSM_CRYPTO_API void svsm_crypto_zeroize(void);

/* ---- Hashing ------------------------------------------------------------ */

enum svsm_crypto_hash_alg {
    SVSM_CRYPTO_SHA256 = 1,
    SVSM_CRYPTO_SHA384 = 2,
    SVSM_CRYPTO_SHA512 = 3
};
#define SVSM_CRYPTO_MAX_DIGEST_LEN 64
#define SVSM_CRYPTO_HASH_CTX_SIZE 512

typedef struct svsm_crypto_hash_ctx {
    _Alignas(16) uint8_t opaque[SVSM_CRYPTO_HASH_CTX_SIZE];
} svsm_crypto_hash_ctx;

/* digest_len must equal the algorithm's digest size. */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_hash(uint32_t alg, const uint8_t *msg, size_t msg_len,
                                    uint8_t *digest, size_t digest_len);
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_hash_init(svsm_crypto_hash_ctx *ctx, uint32_t alg);
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_hash_update(svsm_crypto_hash_ctx *ctx, const uint8_t *data,
                                           size_t len);
/* Finishes and cleanses the context. */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_hash_final(svsm_crypto_hash_ctx *ctx, uint8_t *digest,
                                          size_t digest_len);
SVSM_CRYPTO_API void svsm_crypto_hash_cleanse(svsm_crypto_hash_ctx *ctx);
/*
 * The state of a streaming hash as bytes, for a caller that keeps it outside
 * the module for a while (a TPM's saved hash sequence) and continues it
 * later: export leaves ctx as it is; import checks the bytes (a state of
 * algorithm alg, consistent lengths, unused bytes zero; SVSM_CRYPTO_ERR_ARG
 * and a zeroed ctx if they are not a state export could have written for
 * alg) and starts ctx from them. The
 * state holds what the hash has absorbed: as secret as that data. Its
 * layout is this module's (not portable to another implementation).
 */
#define SVSM_CRYPTO_HASH_STATE_LEN 224
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_hash_export(const svsm_crypto_hash_ctx *ctx,
                                           uint8_t *state, size_t state_len);
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_hash_import(svsm_crypto_hash_ctx *ctx, uint32_t alg,
                                           const uint8_t *state, size_t state_len);

/* ---- HMAC (keys shorter than 112 bits are a non-approved use) ------------ */

/* tag_len from 4 to the digest size (a truncated MAC keeps the left bytes). */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_hmac(uint32_t alg, const uint8_t *key, size_t key_len,
                                    const uint8_t *msg, size_t msg_len, uint8_t *tag,
                                    size_t tag_len);
/* Constant-time comparison; SVSM_CRYPTO_ERR_AUTH on mismatch. */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_hmac_verify(uint32_t alg, const uint8_t *key, size_t key_len,
                                           const uint8_t *msg, size_t msg_len,
                                           const uint8_t *tag, size_t tag_len);

/* ---- HKDF (SP 800-56C rev. 2, RFC 5869) ---------------------------------- */

SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_hkdf(uint32_t alg, const uint8_t *ikm, size_t ikm_len,
                                    const uint8_t *salt, size_t salt_len,
                                    const uint8_t *info, size_t info_len, uint8_t *okm,
                                    size_t okm_len);
/* prk_len must equal the digest size. */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_hkdf_extract(uint32_t alg, const uint8_t *salt,
                                            size_t salt_len, const uint8_t *ikm,
                                            size_t ikm_len, uint8_t *prk, size_t prk_len);
/* prk_len at least the digest size (RFC 5869 2.3); okm_len up to 255 digests. */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_hkdf_expand(uint32_t alg, const uint8_t *prk, size_t prk_len,
                                           const uint8_t *info, size_t info_len,
                                           uint8_t *okm, size_t okm_len);

/* ---- AES-GCM (SP 800-38D), 128- and 256-bit keys -------------------------- */

#define SVSM_CRYPTO_AES_GCM_CTX_SIZE 1280
#define SVSM_CRYPTO_AES_GCM_IV_LEN 12
#define SVSM_CRYPTO_AES_GCM_TAG_LEN 16

typedef struct svsm_crypto_aes_gcm_ctx {
    _Alignas(16) uint8_t opaque[SVSM_CRYPTO_AES_GCM_CTX_SIZE];
} svsm_crypto_aes_gcm_ctx;

SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_aes_gcm_init(svsm_crypto_aes_gcm_ctx *ctx, const uint8_t *key,
                                            size_t key_len);
/*
 * Seal with a caller-chosen IV: the caller cannot prove IV uniqueness to the
 * module, so this is a non-approved service (SVSM_CRYPTO_OK_NON_APPROVED).
 * tag_len is 4, 8 or 12 to 16.
 */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_aes_gcm_seal(svsm_crypto_aes_gcm_ctx *ctx, const uint8_t *iv,
                                            size_t iv_len, const uint8_t *aad, size_t aad_len,
                                            const uint8_t *plaintext, size_t len,
                                            uint8_t *ciphertext, uint8_t *tag, size_t tag_len);
/*
 * Seal with a 96-bit IV the module generates (SP 800-38D 8.2.1, deterministic
 * construction); approved. iv_out receives the IV: a fixed field of
 * SVSM_CRYPTO_AES_GCM_IV_FIXED_LEN bytes, drawn from the module's DRBG at the
 * context's first such seal, then the context's count of such seals
 * (big-endian, from 0). At most 2^32 such seals per context: the next is
 * SVSM_CRYPTO_ERR_LIMIT (load the key into a fresh context to continue).
 */
#define SVSM_CRYPTO_AES_GCM_IV_FIXED_LEN 8
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_aes_gcm_seal_generated_iv(
    svsm_crypto_aes_gcm_ctx *ctx, uint8_t *iv_out, size_t iv_len, const uint8_t *aad,
    size_t aad_len, const uint8_t *plaintext, size_t len, uint8_t *ciphertext, uint8_t *tag,
    size_t tag_len);
/* SVSM_CRYPTO_ERR_AUTH (and zeroed plaintext) when the tag does not verify. */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_aes_gcm_open(svsm_crypto_aes_gcm_ctx *ctx, const uint8_t *iv,
                                            size_t iv_len, const uint8_t *aad, size_t aad_len,
                                            const uint8_t *ciphertext, size_t len,
                                            const uint8_t *tag, size_t tag_len,
                                            uint8_t *plaintext);
SVSM_CRYPTO_API void svsm_crypto_aes_gcm_cleanse(svsm_crypto_aes_gcm_ctx *ctx);

/* ---- AES block cipher: ECB and CFB128 (SP 800-38A), 128- and 256-bit keys */

/*
 * svsm_crypto_aes_init expands the key (both directions) into ctx; the other
 * calls only read ctx, so one context may serve any number of calls. in and
 * out are the same buffer or disjoint. ECB takes a non-zero multiple of
 * SVSM_CRYPTO_AES_BLOCK_LEN bytes, CFB128 any non-zero length; both at most
 * 4 GiB - 1. CFB128 takes a full-block IV and keeps no state between calls.
 */
#define SVSM_CRYPTO_AES_BLOCK_LEN 16
#define SVSM_CRYPTO_AES_CTX_SIZE 2560

typedef struct svsm_crypto_aes_ctx {
    _Alignas(16) uint8_t opaque[SVSM_CRYPTO_AES_CTX_SIZE];
} svsm_crypto_aes_ctx;

SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_aes_init(svsm_crypto_aes_ctx *ctx, const uint8_t *key,
                                        size_t key_len);
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_aes_ecb_encrypt(const svsm_crypto_aes_ctx *ctx,
                                               const uint8_t *in, uint8_t *out, size_t len);
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_aes_ecb_decrypt(const svsm_crypto_aes_ctx *ctx,
                                               const uint8_t *in, uint8_t *out, size_t len);
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_aes_cfb128_encrypt(const svsm_crypto_aes_ctx *ctx,
                                                  const uint8_t *iv, size_t iv_len,
                                                  const uint8_t *in, uint8_t *out, size_t len);
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_aes_cfb128_decrypt(const svsm_crypto_aes_ctx *ctx,
                                                  const uint8_t *iv, size_t iv_len,
                                                  const uint8_t *in, uint8_t *out, size_t len);
SVSM_CRYPTO_API void svsm_crypto_aes_cleanse(svsm_crypto_aes_ctx *ctx);

/* ---- Key derivation: SP 800-108 counter mode, SP 800-56C one-step -------- */

/*
 * A byte string in pieces: the KDFs take their fixed data as the
 * concatenation of up to SVSM_CRYPTO_KDF_MAX_PARTS pieces (each valid when
 * non-NULL or empty), so a caller building, say, Label || 0x00 || Context ||
 * [L]_32 copies nothing. fixed may be NULL when n_fixed is 0. The whole
 * fixed data is at most 4 GiB - 1, out_len from 1 to 2^32 - 1 blocks of the
 * digest. A key (or Z) shorter than 112 bits is a non-approved use
 * (SVSM_CRYPTO_OK_NON_APPROVED), as for HMAC.
 */
typedef struct svsm_crypto_bytes {
    const uint8_t *ptr;
    size_t len;
} svsm_crypto_bytes;
#define SVSM_CRYPTO_KDF_MAX_PARTS 8

/*
 * SP 800-108r1 4.1, counter mode, PRF HMAC with alg, the 32-bit counter
 * before the fixed data: K(i) = HMAC(key, [i]_32 || FixedData) for i = 1, 2,
 * ...; out receives the first out_len bytes of K(1) || K(2) || ... (TPM 2.0
 * KDFa is FixedData = Label || 0x00 || Context || [L]_32).
 */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_kdf_counter_hmac(uint32_t alg, const uint8_t *key,
                                                size_t key_len,
                                                const svsm_crypto_bytes *fixed,
                                                size_t n_fixed, uint8_t *out,
                                                size_t out_len);
/*
 * SP 800-56C rev. 2 4.1 option 1, the one-step KDF with hash alg:
 * K(i) = H([i]_32 || Z || FixedInfo) for i = 1, 2, ...; out receives the
 * first out_len bytes (TPM 2.0 KDFe is FixedInfo = Label || 0x00 ||
 * PartyUInfo || PartyVInfo). z_len at least 1.
 */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_kdf_one_step(uint32_t alg, const uint8_t *z, size_t z_len,
                                            const svsm_crypto_bytes *fixed_info,
                                            size_t n_fixed, uint8_t *out, size_t out_len);

/* ---- CTR_DRBG with AES-256 and the derivation function (SP 800-90A rev. 1) -- */

#define SVSM_CRYPTO_DRBG_CTX_SIZE 256
#define SVSM_CRYPTO_DRBG_MAX_REQUEST 65536
#define SVSM_CRYPTO_DRBG_MAX_INPUT 4096 /* personalization, additional input */

typedef struct svsm_crypto_drbg_ctx {
    _Alignas(16) uint8_t opaque[SVSM_CRYPTO_DRBG_CTX_SIZE];
} svsm_crypto_drbg_ctx;

/* Seeded from the module's entropy source (256 bits of entropy + nonce). */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_drbg_instantiate(svsm_crypto_drbg_ctx *ctx,
                                                const uint8_t *personalization,
                                                size_t personalization_len);
/*
 * At most SVSM_CRYPTO_DRBG_MAX_REQUEST bytes. After 2^24 requests an instance
 * seeded from the entropy source reseeds itself first; one seeded with
 * caller entropy returns SVSM_CRYPTO_ERR_LIMIT until reseeded. Prediction
 * resistance: svsm_crypto_drbg_reseed, then generate without additional
 * input (SP 800-90A 9.3.1). SVSM_CRYPTO_ERR_INTERNAL (the mechanism failed
 * part-way) leaves the instance wiped: instantiate it again.
 */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_drbg_generate(svsm_crypto_drbg_ctx *ctx, uint8_t *out,
                                             size_t out_len, const uint8_t *additional,
                                             size_t additional_len);
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_drbg_reseed(svsm_crypto_drbg_ctx *ctx,
                                           const uint8_t *additional, size_t additional_len);
/* Zeroes the whole context. */
SVSM_CRYPTO_API void svsm_crypto_drbg_uninstantiate(svsm_crypto_drbg_ctx *ctx);
/*
 * Mechanism testing (CAVP/ACVP): the caller supplies the entropy input.
 * Output is not usable as random data, hence SVSM_CRYPTO_OK_NON_APPROVED.
 */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_drbg_instantiate_test(
    svsm_crypto_drbg_ctx *ctx, const uint8_t *entropy, size_t entropy_len,
    const uint8_t *nonce, size_t nonce_len, const uint8_t *personalization,
    size_t personalization_len);
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_drbg_reseed_test(svsm_crypto_drbg_ctx *ctx,
                                                const uint8_t *entropy, size_t entropy_len,
                                                const uint8_t *additional,
                                                size_t additional_len);
/* Random bytes from the module's own DRBG. */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_random(uint8_t *out, size_t len);

/* ---- ECDSA and ECDH on P-256 and P-384 ---------------------------------- */

enum svsm_crypto_curve {
    SVSM_CRYPTO_P256 = 1,
    SVSM_CRYPTO_P384 = 2
};
#define SVSM_CRYPTO_P256_SCALAR_LEN 32
#define SVSM_CRYPTO_P384_SCALAR_LEN 48
#define SVSM_CRYPTO_ECC_MAX_SCALAR_LEN 48

/*
 * Key pair generation (FIPS 186-5, from the module's DRBG) followed by a pairwise
 * consistency test; a failed PCT puts the module in the error state.
 * private_len = scalar length, public_len = 2 * scalar length.
 */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_ecc_keygen(uint32_t curve, uint8_t *private_key,
                                          size_t private_len, uint8_t *public_key,
                                          size_t public_len);
/* SP 800-56A rev. 3 5.6.2.3.3 full public-key validation. */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_ecc_public_key_validate(uint32_t curve,
                                                       const uint8_t *public_key,
                                                       size_t public_len);
/* Derives the public key of a private scalar (1 <= d < n). */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_ecc_public_key_derive(uint32_t curve, const uint8_t *private_key,
                                                     size_t private_len, uint8_t *public_key,
                                                     size_t public_len);
/*
 * signature = r || s, 2 * scalar length. digest_len from 1 to 64. An
 * all-zero digest is never signed (SVSM_CRYPTO_ERR_ARG) nor verified
 * (SVSM_CRYPTO_ERR_AUTH), as in wolfCrypt.
 */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_ecdsa_sign_digest(uint32_t curve, const uint8_t *private_key,
                                                 size_t private_len, const uint8_t *digest,
                                                 size_t digest_len, uint8_t *signature,
                                                 size_t signature_len);
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_ecdsa_verify_digest(uint32_t curve, const uint8_t *public_key,
                                                   size_t public_len, const uint8_t *digest,
                                                   size_t digest_len, const uint8_t *signature,
                                                   size_t signature_len);
/* ECC CDH primitive (SP 800-56A rev. 3 5.7.1.2) with full validation of the peer key. */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_ecdh_shared_secret(uint32_t curve, const uint8_t *private_key,
                                                  size_t private_len,
                                                  const uint8_t *peer_public_key,
                                                  size_t peer_public_len, uint8_t *shared_secret,
                                                  size_t shared_secret_len);

/*
 * A public key used repeatedly: svsm_crypto_ecc_public_key_load runs the full
 * validation (SP 800-56A rev. 3 5.6.2.3.3) once and keeps the key in ctx
 * (SVSM_CRYPTO_ERR_KEY, ctx zeroed, when it fails). Verification and ECDH
 * through the handle then re-check only range and curve membership (partial
 * validation, 5.6.2.3.4), which on these prime-order curves implies order n:
 * they skip the n*Q multiplication. A handle holds no secret; cleanse ends it.
 *
 * The size: an 8-byte tag (magic, curve), the point (96 bytes at most), a
 * 32-byte SHA-256 check value over them and the table, padding to 16, and
 * the key's precomputed table for the scalar multiplications (64 affine
 * points of the curve, 6144 bytes for P-384, 4096 used for P-256): each use
 * verifies the check value first and refuses a handle that was changed
 * since load (SVSM_CRYPTO_ERR_KEY), never loaded or cleansed
 * (SVSM_CRYPTO_ERR_ARG).
 */
#define SVSM_CRYPTO_ECC_PUBLIC_KEY_CTX_SIZE 6288
typedef struct svsm_crypto_ecc_public_key_ctx {
    _Alignas(16) uint8_t opaque[SVSM_CRYPTO_ECC_PUBLIC_KEY_CTX_SIZE];
} svsm_crypto_ecc_public_key_ctx;

SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_ecc_public_key_load(
    svsm_crypto_ecc_public_key_ctx *ctx, uint32_t curve, const uint8_t *public_key,
    size_t public_len);
/* As svsm_crypto_ecdsa_verify_digest, with the handle's key. */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_ecdsa_verify_digest_loaded(
    const svsm_crypto_ecc_public_key_ctx *ctx, const uint8_t *digest, size_t digest_len,
    const uint8_t *signature, size_t signature_len);
/* As svsm_crypto_ecdh_shared_secret, with the handle's key as the peer's. */
SVSM_CRYPTO_API svsm_crypto_status svsm_crypto_ecdh_shared_secret_loaded(
    const svsm_crypto_ecc_public_key_ctx *peer, const uint8_t *private_key, size_t private_len,
    uint8_t *shared_secret, size_t shared_secret_len);
SVSM_CRYPTO_API void svsm_crypto_ecc_public_key_cleanse(svsm_crypto_ecc_public_key_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* SVSM_CRYPTO_H */
