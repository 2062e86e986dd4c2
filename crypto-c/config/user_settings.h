/*
 * wolfCrypt configuration for the SVSM crypto module.
 *
 * The module is freestanding: no libc, no heap, no OS. wolfCrypt sees only the
 * algorithms the module offers, the x86_64 assembly paths (chosen at run time
 * from CPUID and the caller's XCR0, see src/cpu.c), and the module's own
 * memory and random-number functions. This file is also included by the .S files, so C
 * declarations stay behind __ASSEMBLER__.
 */
#ifndef SVSM_CRYPTO_USER_SETTINGS_H
#define SVSM_CRYPTO_USER_SETTINGS_H

/* ---- Environment -------------------------------------------------------- */
#define WOLFCRYPT_ONLY
#define SINGLE_THREADED
#define NO_FILESYSTEM
#define NO_WRITEV
#define NO_MAIN_DRIVER
#define NO_DEV_RANDOM
#define NO_STDIO_FILESYSTEM
#define WOLFSSL_NO_SOCK
#define WOLFSSL_USER_IO
#define WOLFSSL_USER_LOG(msg) do { } while (0)
#define NO_ERROR_STRINGS
#define WOLFSSL_IGNORE_FILE_WARN
#define NO_ASN_TIME
#define NO_CODING
#define NO_SIG_WRAPPER
#define WOLFSSL_NO_MALLOC
#define NO_WOLFSSL_MEMORY
#define WOLFSSL_X86_64_BUILD
#define WOLFSSL_NO_ASSERT_H
#define SIZEOF_LONG 8
#define SIZEOF_LONG_LONG 8

/*
 * Memory and string helpers are the module's own (crypto-c/src/freestanding.c):
 * gcc may emit calls to memcpy/memset/memmove/memcmp on its own, so the
 * module defines exactly those names (hidden, then localised) and wolfCrypt
 * uses them too.
 */
#define STRING_USER
#ifndef __ASSEMBLER__
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t svsm_mod_strlen(const char *s);
int svsm_mod_strncmp(const char *a, const char *b, size_t n);
/* Fills out from the module's CTR_DRBG (crypto-c/src/drbg.c). */
int svsm_mod_rng_block(unsigned char *out, unsigned int len);
#endif
#define XMEMCPY(d, s, l) memcpy((d), (s), (l))
#define XMEMMOVE(d, s, l) memmove((d), (s), (l))
#define XMEMSET(b, c, l) memset((b), (c), (l))
#define XMEMCMP(a, b, l) memcmp((a), (b), (l))
#define XSTRLEN(s) svsm_mod_strlen((s))
#define XSTRNCMP(a, b, n) svsm_mod_strncmp((a), (b), (n))
#define XSTRCASECMP(a, b) svsm_mod_strncmp((a), (b), (size_t)-1)
#define XSTRNCASECMP(a, b, n) svsm_mod_strncmp((a), (b), (n))
#define CTYPE_USER
#define XTOUPPER(c) (((c) >= 'a' && (c) <= 'z') ? (c) - 'a' + 'A' : (c))
#define XTOLOWER(c) (((c) >= 'A' && (c) <= 'Z') ? (c) - 'A' + 'a' : (c))

/* ---- Random numbers: the module owns the DRBG ---------------------------- */
/* wolfCrypt's WC_RNG draws from the module's SP 800-90A CTR_DRBG. */
#define CUSTOM_RAND_TYPE unsigned int
#define CUSTOM_RAND_GENERATE_BLOCK svsm_mod_rng_block

/* ---- Algorithms --------------------------------------------------------- */
#define NO_RSA
#define NO_DH
#define NO_DSA
#define NO_MD4
#define NO_MD5
#define NO_SHA
#define NO_DES3
#define NO_RC4
#define NO_PSK
#define NO_PWDBASED
#define NO_OLD_TLS
#define NO_AES_CBC
#define NO_AES_192
#define NO_ASN
#define WOLFSSL_NO_SHAKE128
#define WOLFSSL_NO_SHAKE256
#define WOLFSSL_AES_128
#define WOLFSSL_AES_256
#define HAVE_AESGCM
#define HAVE_AES_ECB                 /* single blocks and ECB (aes_modes.c) */
#define WOLFSSL_AES_CFB              /* CFB128: TPM parameter encryption */
/* The module's CTR_DRBG: bulk CTR keystream (wolfCrypt's wide AES-NI/VAES
 * CTR code) and single blocks for its derivation function. */
#define WOLFSSL_AES_COUNTER
#define WOLFSSL_AES_DIRECT
#define WOLFSSL_MIN_AUTH_TAG_SZ 4
#define WOLFSSL_SHA384
#define WOLFSSL_SHA512
#define WOLFSSL_NOSHA512_224
#define WOLFSSL_NOSHA512_256
#define HAVE_HKDF

#define HAVE_ECC
#define ECC_USER_CURVES
#define HAVE_ECC256
#define HAVE_ECC384
#define ECC_MIN_KEY_SZ 256
#define ECC_TIMING_RESISTANT
#define WOLFSSL_ECDSA_SET_K          /* fixed-k signature KAT */
/* ecc_sets holds the curve parameters as arrays, not pointers to strings:
 * the table then has no relocation and lies in the hashed range
 * (module.ld), like every other constant of the module. */
#define WOLFSSL_ECC_CURVE_STATIC
/* Full public-key validation on every import (SP 800-56A 5.6.2.3.3). Key
 * generation is checked by the module's own pairwise consistency test
 * (ecc_keys.c), not a second time by WOLFSSL_VALIDATE_ECC_KEYGEN. */
#define WOLFSSL_VALIDATE_ECC_IMPORT
#define HAVE_ECC_CHECK_KEY
#define WOLFSSL_PUBLIC_MP

/* Single-precision math for P-256/P-384 only, no heap. */
#define WOLFSSL_SP_MATH
#define WOLFSSL_HAVE_SP_ECC
#define WOLFSSL_SP_384
#define WOLFSSL_SP_NO_MALLOC
#define SP_INT_BITS 384
#define WOLFSSL_SP_X86_64
#define WOLFSSL_SP_X86_64_ASM

/* ---- x86_64 acceleration, selected at run time -------------------------- */
#define WOLFSSL_AESNI
#define USE_INTEL_SPEEDUP
#define HAVE_INTEL_AVX1
#define HAVE_INTEL_AVX2
#define WOLFSSL_AES_TOUCH_LINES      /* table-free timing in the C fallback */

#endif /* SVSM_CRYPTO_USER_SETTINGS_H */
