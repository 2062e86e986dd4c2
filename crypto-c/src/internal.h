/*
 * internal.h - what the module's own files share. Nothing here is exported.
 *
 * Layering inside the module:
 *   module.c      state machine, init, status
 *   cpu.c         CPU feature dispatch: CPUID and the caller's XCR0
 *   selftest.c    power-on self-tests (calls the *_op functions directly,
 *                 because services are closed while the module self-tests)
 *   integrity.c   HMAC over the module's own code and read-only data
 *   entropy.c     the caller's noise source behind SP 800-90B health tests
 *   drbg.c        SP 800-90A CTR_DRBG (AES-256); the module's DRBG feeds wolfCrypt
 *   hashing.c, aead.c, ecc_keys.c   services: gate, check, call wolfCrypt
 */
#ifndef SVSM_CRYPTO_INTERNAL_H
#define SVSM_CRYPTO_INTERNAL_H

#include "svsm_crypto.h"

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/types.h>

#include "ct_inverse.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- freestanding.c ---------------------------------------------------- */
/* Zeroes memory in a way the compiler cannot remove. */
void svsm_secure_zero(void *p, size_t n);
/* 1 when equal; time depends on n only. */
int svsm_ct_equal(const void *a, const void *b, size_t n);
/* 1 when in and out are the same buffer (in place) or disjoint over len bytes:
 * a partial overlap would corrupt the data. */
int buffers_overlap_ok(const uint8_t *in, const uint8_t *out, size_t len);

/* ---- module.c ------------------------------------------------------------ */
uint64_t module_timestamp(void);
/* Any critical failure (self-test, health test, PCT): no service from now on. */
void module_enter_error(void);

/*
 * Service gate. Every service lists its outputs first; while the module is
 * not operational, and on every failure, they are zeroed.
 */
typedef struct svc_out {
    void *ptr;
    size_t len;
} svc_out;
#define OUT(p, l) { (void *)(p), (l) }
#define NO_OUTPUT OUT(NULL, 0)
svsm_crypto_status svc_fail(svsm_crypto_status status, const svc_out *outs, size_t n);
int svc_operational(void);
#define SERVICE_OUTPUTS(...) const svc_out svc_outs_[] = { __VA_ARGS__ }
#define SERVICE_FAIL(status) return svc_fail((status), svc_outs_, ARRAY_LEN(svc_outs_))
#define SERVICE_ENTER()                  \
    do {                                 \
        if (!svc_operational())          \
            SERVICE_FAIL(SVSM_CRYPTO_ERR_STATE); \
    } while (0)
/* Ends a service with the status of its work (a static helper doing the
 * checks and the operation): zeroed outputs on failure. */
#define SERVICE_RETURN(status)             \
    do {                                   \
        svsm_crypto_status st_ = (status); \
        if (st_ < 0)                       \
            SERVICE_FAIL(st_);             \
        return st_;                        \
    } while (0)
/* A buffer argument is valid when it is non-NULL or empty. */
#define BUF_OK(p, len) ((p) != NULL || (len) == 0)

/* ---- cpu.c --------------------------------------------------------------- */
/* Chooses wolfCrypt's code paths from CPUID and the caller's XCR0; runs once,
 * in svsm_crypto_init, before any algorithm. */
void cpu_dispatch(uint64_t xcr0);

/* ---- hashing.c ------------------------------------------------------------ */
typedef struct hash_info {
    int wc_type;       /* enum wc_HashType / HMAC type */
    size_t digest_len;
} hash_info;
int hash_lookup(uint32_t alg, hash_info *out);
/* The indicator of a service keyed by key_len bytes (an HMAC key, a KDF key
 * or Z): under 112 bits (SP 800-131A) the use is not approved. */
svsm_crypto_status key_len_indicator(size_t key_len);
int hash_op(uint32_t alg, const uint8_t *msg, size_t len, uint8_t *digest);
int hmac_op(uint32_t alg, const uint8_t *key, size_t key_len, const uint8_t *msg,
            size_t msg_len, uint8_t *mac /* digest_len bytes */);
/* HMAC, or a hash, over the concatenation of parts. */
typedef svsm_crypto_bytes byte_span;
int hash_parts_op(uint32_t alg, const byte_span *parts, size_t n_parts,
                  uint8_t *digest /* digest_len bytes */);
int hmac_parts_op(uint32_t alg, const uint8_t *key, size_t key_len, const byte_span *parts,
                  size_t n_parts, uint8_t *mac /* digest_len bytes */);
int hkdf_op(uint32_t alg, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
            size_t salt_len, const uint8_t *info, size_t info_len, uint8_t *okm, size_t okm_len);

/* ---- aead.c --------------------------------------------------------------- */
int aes_gcm_seal_op(const uint8_t *key, size_t key_len, const uint8_t *iv, size_t iv_len,
                    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                    uint8_t *out, uint8_t *tag, size_t tag_len);
int aes_gcm_open_op(const uint8_t *key, size_t key_len, const uint8_t *iv, size_t iv_len,
                    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                    const uint8_t *tag, size_t tag_len, uint8_t *out);

/* ---- aes_modes.c ---------------------------------------------------------- */
/* The raw AES operations the services and the self-tests share. */
struct Aes;
int aes_schedule_op(struct Aes *aes, const uint8_t *key, size_t key_len, int dir);
void aes_schedule_free(struct Aes *aes);
int aes_ecb_op(const struct Aes *aes, int encrypt, const uint8_t *in, uint8_t *out, size_t len);
/* One CFB128 pass from iv over len bytes, on a copy of the encryption schedule. */
int aes_cfb128_op(const struct Aes *enc, int encrypt, const uint8_t *iv, const uint8_t *in,
                  uint8_t *out, size_t len);

/* ---- kdf.c ---------------------------------------------------------------- */
/* The two KDFs on checked arguments (the self-tests call them directly). */
int kdf_counter_hmac_op(uint32_t alg, const uint8_t *key, size_t key_len,
                        const byte_span *fixed, size_t n_fixed, uint8_t *out, size_t out_len);
int kdf_one_step_op(uint32_t alg, const uint8_t *z, size_t z_len, const byte_span *fixed,
                    size_t n_fixed, uint8_t *out, size_t out_len);

/* ---- entropy.c ------------------------------------------------------------ */
#define ENTROPY_STARTUP_SAMPLES 1024 /* SP 800-90B 4.3 */
/* Raw samples from the caller's callback, no health tests (module.c). */
int entropy_source_read(uint8_t *out, size_t len);
/* Feeds samples through the continuous health tests; 0 when they pass. */
int entropy_health_check(const uint8_t *samples, size_t n);
/* Health-tested samples; non-zero puts the module in the error state. */
int entropy_get(uint8_t *out, size_t n);
void entropy_zeroize(void);
/* Samples needed for `bits` of min-entropy. */
size_t entropy_samples_for(size_t bits);

/* ---- drbg.c --------------------------------------------------------------- */
#define DRBG_KEYLEN 32  /* AES-256 */
#define DRBG_SEEDLEN 48 /* keylen + blocklen: 384 bits for AES-256 CTR_DRBG */
#define DRBG_RESEED_INTERVAL ((uint64_t)1 << 24)
#define DRBG_NEEDS_RESEED 1

typedef struct drbg_state {
    uint32_t magic;
    uint32_t test_seeded; /* seeded with caller entropy: not for real use */
    uint64_t reseed_counter;
    uint8_t key[DRBG_KEYLEN];
    uint8_t v[16];
} drbg_state;

int drbg_instantiate_op(drbg_state *d, const uint8_t *entropy, size_t entropy_len,
                        const uint8_t *nonce, size_t nonce_len, const uint8_t *pers,
                        size_t pers_len);
int drbg_reseed_op(drbg_state *d, const uint8_t *entropy, size_t entropy_len,
                   const uint8_t *additional, size_t additional_len);
int drbg_generate_op(drbg_state *d, uint8_t *out, size_t out_len, const uint8_t *additional,
                     size_t additional_len);
void drbg_uninstantiate_op(drbg_state *d);
/* The module's own DRBG, seeded from the entropy source at init. */
int module_drbg_instantiate(void);
int module_random(uint8_t *out, size_t len);
void module_drbg_zeroize(void);

/* ---- ecc_keys.c ----------------------------------------------------------- */
int ecc_scalar_len(uint32_t curve); /* 0 for an unknown curve */
/* Marks len bytes at buf public by design for the constant-time check; each
 * caller says why they are (ecc_keys.c). svsm_ct_public_flag does so for a
 * 0/1 flag and returns it (also called by patches/ct-point-add.patch). */
void svsm_ct_public(void *buf, size_t len);
int svsm_ct_public_flag(int flag);
int ecdsa_sign_op(uint32_t curve, const uint8_t *priv, const uint8_t *digest,
                  size_t digest_len, const uint8_t *fixed_k, uint8_t *sig);
int ecdsa_verify_op(uint32_t curve, const uint8_t *pub, const uint8_t *digest,
                    size_t digest_len, const uint8_t *sig);
int ecdh_op(uint32_t curve, const uint8_t *priv, const uint8_t *peer_pub, uint8_t *z);
/* As ecdh_op for a peer key already known valid, through a handle on the
 * stack: the load (partial validation, the key's table, the check value)
 * and the use the loaded-key ECDH service makes. */
int ecdh_loaded_op(uint32_t curve, const uint8_t *priv, const uint8_t *peer_pub, uint8_t *z);

/* ---- integrity.c ---------------------------------------------------------- */
int integrity_check(void);

/* ---- selftest.c ----------------------------------------------------------- */
/* Runs every power-on self-test, recording results; 0 when all pass. */
int self_tests_run(svsm_crypto_self_test_result *results);

#endif /* SVSM_CRYPTO_INTERNAL_H */
