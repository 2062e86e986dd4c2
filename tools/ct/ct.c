/*
 * ct.c - the constant-time check of the crypto module (make ct).
 *
 * Links the module object (the shipped svsm-crypto.o, or the ct-leak control
 * variant) and runs every secret-key service under valgrind memcheck with the
 * secrets marked undefined (the "ctgrind" method): memcheck then reports any
 * branch ("Conditional jump or move depends on uninitialised value") or memory
 * address ("Use of uninitialised value of size N") computed from a secret.
 *
 * Secrets: every key, scalar, IKM, PRK, plaintext and entropy input the
 * harness passes, and every noise sample the module's entropy source reads
 * (so the module's DRBG state, the ECDSA nonces and generated keys derived
 * from it are secret too). Outputs that are public by design (ciphertext,
 * tags, IVs, public keys, signatures, status codes) are marked defined again
 * before the harness looks at them; the harness itself never branches on a
 * secret.
 *
 * Usage: ct sse|avx
 *   sse  xcr0 = 0: the module's SSE code paths (AES-NI, PCLMULQDQ, SSE SHA)
 *   avx  xcr0 = the XCR0 of valgrind's CPU, masked to x87|SSE|AVX: the AVX
 *        and AVX2 paths (valgrind implements no AVX-512 and no VAES)
 * Prints one line per service with the number of memcheck errors it raised
 * (tools/ct/check.py gives the verdict) and exits 0, or 2 when not run under
 * valgrind (the check would be vacuous) or when a service does not work.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <valgrind/memcheck.h>

#include "svsm_crypto.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static unsigned g_total_errors;
static int g_broken;

/* The module's noise source: OS random bytes, secret from the moment read. */
static int32_t ct_noise(void *context, uint8_t *out, size_t len)
{
    (void)context;
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(out + done, len - done, 0);
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    SECRET(out, len);
    return 0;
}

/* A status is public by design: the caller acts on it. */
static void expect(const char *service, const char *what, svsm_crypto_status got,
                   svsm_crypto_status want)
{
    PUBLIC(&got, sizeof(got));
    if (got != want) {
        printf("ct: %s: %s returned %d, expected %d\n", service, what, got, want);
        g_broken = 1;
    }
}

static void fill_secret(uint8_t *buf, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seed + 31 * i);
    SECRET(buf, len);
}

/* Reports the memcheck errors raised since the previous report. */
static void report(const char *service)
{
    unsigned now = VALGRIND_COUNT_ERRORS;
    unsigned raised = now - g_total_errors;
    g_total_errors = now;
    /* The marker in valgrind's own report attributes the errors before it. */
    VALGRIND_PRINTF("ct-service %s\n", service);
    printf("ct: %-24s %u memcheck errors\n", service, raised);
}

static const uint32_t HASHES[] = {SVSM_CRYPTO_SHA256, SVSM_CRYPTO_SHA384, SVSM_CRYPTO_SHA512};
static const size_t DIGEST_LEN[] = {32, 48, 64};

static void check_hash(void)
{
    uint8_t msg[200], digest[64];
    for (size_t i = 0; i < 3; i++) {
        fill_secret(msg, sizeof(msg), (uint8_t)i);
        expect("hash", "hash", svsm_crypto_hash(HASHES[i], msg, sizeof(msg), digest, DIGEST_LEN[i]),
               SVSM_CRYPTO_OK);
    }
    report("hash");
}

static void check_hmac(void)
{
    uint8_t key[64], msg[150], tag[64], tag_copy[64];
    for (size_t i = 0; i < 3; i++) {
        size_t n = DIGEST_LEN[i];
        fill_secret(key, sizeof(key), 1);
        fill_secret(msg, sizeof(msg), 2);
        expect("hmac", "hmac", svsm_crypto_hmac(HASHES[i], key, sizeof(key), msg, sizeof(msg), tag, n),
               SVSM_CRYPTO_OK);
        PUBLIC(tag, n); /* a MAC is sent in the clear */
        expect("hmac", "verify (good tag)",
               svsm_crypto_hmac_verify(HASHES[i], key, sizeof(key), msg, sizeof(msg), tag, n),
               SVSM_CRYPTO_OK);
        memcpy(tag_copy, tag, n);
        tag_copy[n - 1] ^= 1;
        expect("hmac", "verify (bad tag)",
               svsm_crypto_hmac_verify(HASHES[i], key, sizeof(key), msg, sizeof(msg), tag_copy, n),
               SVSM_CRYPTO_ERR_AUTH);
    }
    report("hmac");
}

static void check_hkdf(void)
{
    uint8_t ikm[48], salt[32], info[20], okm[100], prk[64];
    memset(salt, 0x5a, sizeof(salt));
    memset(info, 0xa5, sizeof(info));
    for (size_t i = 0; i < 3; i++) {
        fill_secret(ikm, sizeof(ikm), 3);
        expect("hkdf", "hkdf",
               svsm_crypto_hkdf(HASHES[i], ikm, sizeof(ikm), salt, sizeof(salt), info, sizeof(info),
                                okm, sizeof(okm)),
               SVSM_CRYPTO_OK);
        expect("hkdf", "extract",
               svsm_crypto_hkdf_extract(HASHES[i], salt, sizeof(salt), ikm, sizeof(ikm), prk,
                                        DIGEST_LEN[i]),
               SVSM_CRYPTO_OK);
        expect("hkdf", "expand",
               svsm_crypto_hkdf_expand(HASHES[i], prk, DIGEST_LEN[i], info, sizeof(info), okm,
                                       sizeof(okm)),
               SVSM_CRYPTO_OK);
    }
    report("hkdf");
}

static void check_aes_gcm(void)
{
    static svsm_crypto_aes_gcm_ctx ctx;
    /* Both the short (one-block) and the wide (8-block) code paths. */
    static uint8_t pt[1000], ct[1000], back[1000];
    uint8_t key[32], iv[12], aad[24], tag[16];
    const size_t key_lens[] = {16, 32};
    memset(iv, 0x11, sizeof(iv));
    memset(aad, 0x22, sizeof(aad));
    for (size_t k = 0; k < 2; k++) {
        fill_secret(key, key_lens[k], 4);
        fill_secret(pt, sizeof(pt), 5);
        expect("aes-gcm", "init", svsm_crypto_aes_gcm_init(&ctx, key, key_lens[k]), SVSM_CRYPTO_OK);
        expect("aes-gcm", "seal",
               svsm_crypto_aes_gcm_seal(&ctx, iv, sizeof(iv), aad, sizeof(aad), pt, sizeof(pt), ct,
                                        tag, sizeof(tag)),
               SVSM_CRYPTO_OK_NON_APPROVED);
        PUBLIC(ct, sizeof(ct)); /* the ciphertext and tag go on the wire */
        PUBLIC(tag, sizeof(tag));
        expect("aes-gcm", "open (good tag)",
               svsm_crypto_aes_gcm_open(&ctx, iv, sizeof(iv), aad, sizeof(aad), ct, sizeof(ct), tag,
                                        sizeof(tag), back),
               SVSM_CRYPTO_OK);
        tag[0] ^= 1;
        expect("aes-gcm", "open (bad tag)",
               svsm_crypto_aes_gcm_open(&ctx, iv, sizeof(iv), aad, sizeof(aad), ct, sizeof(ct), tag,
                                        sizeof(tag), back),
               SVSM_CRYPTO_ERR_AUTH);
        expect("aes-gcm", "seal (generated IV)",
               svsm_crypto_aes_gcm_seal_generated_iv(&ctx, iv, sizeof(iv), aad, sizeof(aad), pt,
                                                     sizeof(pt), ct, tag, sizeof(tag)),
               SVSM_CRYPTO_OK);
        PUBLIC(iv, sizeof(iv));
        svsm_crypto_aes_gcm_cleanse(&ctx);
    }
    report("aes-gcm");
}

/*
 * CTR_DRBG: the derivation function over secret entropy and additional
 * input, the bulk keystream (4 KiB: wolfCrypt's multi-block CTR code, the
 * AES-NI one at sse, the AVX one at avx) with a partial last block, and the
 * closing Update.
 */
static void check_drbg(void)
{
    static svsm_crypto_drbg_ctx ctx;
    static uint8_t big[4096 + 5];
    uint8_t entropy[48], nonce[16], out[256], additional[32];
    memset(nonce, 0x33, sizeof(nonce));
    fill_secret(additional, sizeof(additional), 7);
    fill_secret(entropy, sizeof(entropy), 6);
    expect("drbg", "instantiate_test",
           svsm_crypto_drbg_instantiate_test(&ctx, entropy, 32, nonce, sizeof(nonce), NULL, 0),
           SVSM_CRYPTO_OK_NON_APPROVED);
    expect("drbg", "generate (test)", svsm_crypto_drbg_generate(&ctx, out, sizeof(out), NULL, 0),
           SVSM_CRYPTO_OK_NON_APPROVED);
    expect("drbg", "generate (test, 4 KiB + 5)",
           svsm_crypto_drbg_generate(&ctx, big, sizeof(big), NULL, 0),
           SVSM_CRYPTO_OK_NON_APPROVED);
    expect("drbg", "reseed_test",
           svsm_crypto_drbg_reseed_test(&ctx, entropy + 16, 32, additional, sizeof(additional)),
           SVSM_CRYPTO_OK_NON_APPROVED);
    expect("drbg", "generate (test, additional)",
           svsm_crypto_drbg_generate(&ctx, out, sizeof(out), additional, sizeof(additional)),
           SVSM_CRYPTO_OK_NON_APPROVED);
    svsm_crypto_drbg_uninstantiate(&ctx);
    report("drbg-test-entropy");

    expect("drbg", "instantiate", svsm_crypto_drbg_instantiate(&ctx, NULL, 0), SVSM_CRYPTO_OK);
    expect("drbg", "generate", svsm_crypto_drbg_generate(&ctx, out, sizeof(out), NULL, 0),
           SVSM_CRYPTO_OK);
    expect("drbg", "generate 4 KiB + 5", svsm_crypto_drbg_generate(&ctx, big, sizeof(big), NULL, 0),
           SVSM_CRYPTO_OK);
    expect("drbg", "reseed", svsm_crypto_drbg_reseed(&ctx, NULL, 0), SVSM_CRYPTO_OK);
    expect("drbg", "generate", svsm_crypto_drbg_generate(&ctx, out, sizeof(out), NULL, 0),
           SVSM_CRYPTO_OK);
    svsm_crypto_drbg_uninstantiate(&ctx);
    expect("drbg", "random", svsm_crypto_random(out, sizeof(out)), SVSM_CRYPTO_OK);
    report("drbg-noise");
}

static void check_ecc(uint32_t curve, size_t len, const char *name)
{
    uint8_t priv[48], pub[96], peer_priv[48], peer_pub[96], derived[96], sig[96], z[48];
    uint8_t digest[48];
    char service[32];
    memset(digest, 0x77, sizeof(digest));

    expect(name, "keygen", svsm_crypto_ecc_keygen(curve, priv, len, pub, 2 * len), SVSM_CRYPTO_OK);
    PUBLIC(pub, 2 * len);
    snprintf(service, sizeof(service), "%s-keygen", name);
    report(service);

    expect(name, "public_key_derive",
           svsm_crypto_ecc_public_key_derive(curve, priv, len, derived, 2 * len), SVSM_CRYPTO_OK);
    PUBLIC(derived, 2 * len);
    if (memcmp(derived, pub, 2 * len) != 0) {
        printf("ct: %s: derived public key differs from keygen's\n", name);
        g_broken = 1;
    }
    snprintf(service, sizeof(service), "%s-public-key-derive", name);
    report(service);

    expect(name, "sign", svsm_crypto_ecdsa_sign_digest(curve, priv, len, digest, len, sig, 2 * len),
           SVSM_CRYPTO_OK);
    PUBLIC(sig, 2 * len);
    snprintf(service, sizeof(service), "%s-ecdsa-sign", name);
    report(service);
    expect(name, "verify", svsm_crypto_ecdsa_verify_digest(curve, pub, 2 * len, digest, len, sig, 2 * len),
           SVSM_CRYPTO_OK);
    snprintf(service, sizeof(service), "%s-ecdsa-verify", name);
    report(service);

    expect(name, "peer keygen", svsm_crypto_ecc_keygen(curve, peer_priv, len, peer_pub, 2 * len),
           SVSM_CRYPTO_OK);
    PUBLIC(peer_pub, 2 * len);
    snprintf(service, sizeof(service), "%s-keygen-peer", name);
    report(service);
    expect(name, "ecdh", svsm_crypto_ecdh_shared_secret(curve, priv, len, peer_pub, 2 * len, z, len),
           SVSM_CRYPTO_OK);
    snprintf(service, sizeof(service), "%s-ecdh", name);
    report(service);

    /* The same agreement through a loaded (validated once) peer key. */
    svsm_crypto_ecc_public_key_ctx peer;
    expect(name, "public_key_load", svsm_crypto_ecc_public_key_load(&peer, curve, peer_pub, 2 * len),
           SVSM_CRYPTO_OK);
    expect(name, "ecdh loaded", svsm_crypto_ecdh_shared_secret_loaded(&peer, priv, len, z, len),
           SVSM_CRYPTO_OK);
    svsm_crypto_ecc_public_key_cleanse(&peer);
    snprintf(service, sizeof(service), "%s-ecdh-loaded", name);
    report(service);
}

/* XCR0 of the CPU we run on (valgrind's), read here, outside the module. */
static uint64_t host_xcr0(void)
{
    uint32_t eax, ebx, ecx, edx, lo, hi;
    __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
    if (!(ecx & (1u << 27)))
        return 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!RUNNING_ON_VALGRIND) {
        fprintf(stderr, "ct: must run under valgrind memcheck (tools/ct/run.sh)\n");
        return 2;
    }
    uint64_t xcr0;
    if (argc == 2 && strcmp(argv[1], "sse") == 0) {
        xcr0 = 0;
    } else if (argc == 2 && strcmp(argv[1], "avx") == 0) {
        xcr0 = host_xcr0() & 0x7; /* x87, SSE, AVX: valgrind has no AVX-512 */
        if (xcr0 != 0x7) {
            fprintf(stderr, "ct: valgrind's CPU reports no AVX state (xcr0 %#llx)\n",
                    (unsigned long long)xcr0);
            return 2;
        }
    } else {
        fprintf(stderr, "usage: ct sse|avx\n");
        return 2;
    }
    printf("ct: xcr0 = %#llx\n", (unsigned long long)xcr0);

    const svsm_crypto_callbacks callbacks = {
        .context = NULL, .get_noise = ct_noise, .timestamp = NULL, .xcr0 = xcr0};
    expect("init", "svsm_crypto_init", svsm_crypto_init(&callbacks), SVSM_CRYPTO_OK);
    report("init");
    if (g_broken)
        return 2;

    check_hash();
    check_hmac();
    check_hkdf();
    check_aes_gcm();
    check_drbg();
    check_ecc(SVSM_CRYPTO_P256, 32, "p256");
    check_ecc(SVSM_CRYPTO_P384, 48, "p384");

    if (g_broken) {
        printf("ct: FAILED: a service did not work\n");
        return 2;
    }
    /* Allowed or not, each error is check.py's to judge. */
    printf("ct: every service ran; %u memcheck errors raised\n", g_total_errors);
    return 0;
}
