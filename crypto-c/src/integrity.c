/*
 * integrity.c - the software integrity test.
 *
 * HMAC-SHA-256 over every constant byte of the module as it is in memory:
 * svsm_crypto_text_start .. svsm_crypto_text_end (module.ld): code, read-only
 * data, wolfCrypt's assembly constant tables, the relocation-free self-test,
 * curve and ecc_sets tables, and an end sentinel. The few absolute pointers in
 * that range (wolfCrypt's AVX2 SHA-512 loop bounds) are hashed as offsets from
 * svsm_crypto_text_start, i.e. as if the module were linked at address 0, so
 * the value does not depend on where the final link puts the object; the
 * builder lists where they are in svsm_integrity_pointers, itself hashed.
 *
 * The builder computes the expected value from the object and writes it into
 * svsm_integrity_expected, which lives in the writable part, outside the
 * hashed range. The key is fixed and public, as in every FIPS module: the
 * test detects modification, it is not an authentication of the module.
 */
#include "internal.h"

extern const uint8_t svsm_crypto_text_start[];
extern const uint8_t svsm_crypto_text_end[];

/*
 * Found by name by the builder. Static, so that the object's FILE symbol
 * attributes them to this file (boundary.toml [[writable]] names the unit).
 */
__attribute__((used)) static const uint8_t svsm_integrity_key[32] = {
    0x53, 0x56, 0x53, 0x4d, 0x2d, 0x63, 0x72, 0x79, 0x70, 0x74, 0x6f, 0x2d,
    0x69, 0x6e, 0x74, 0x65, 0x67, 0x72, 0x69, 0x74, 0x79, 0x2d, 0x6b, 0x65,
    0x79, 0x2d, 0x76, 0x31, 0x2e, 0x30, 0x2e, 0x30,
};
__attribute__((section(".data.svsm_integrity"), used))
static uint8_t svsm_integrity_expected[32] = { 0xde, 0xad };

/*
 * Offsets from svsm_crypto_text_start of the 8-byte absolute pointers in the
 * hashed range, ascending, then INTEGRITY_NO_POINTER: written by the builder
 * (its capacity is the symbol's size), in the hashed range. Volatile: the
 * compiler must not fold the placeholder values.
 */
#define INTEGRITY_MAX_POINTERS 8
#define INTEGRITY_NO_POINTER 0xffffffffu
__attribute__((section(".rodata.svsm_integrity_pointers"), used))
static const volatile uint32_t svsm_integrity_pointers[INTEGRITY_MAX_POINTERS] = {
    [0 ... INTEGRITY_MAX_POINTERS - 1] = INTEGRITY_NO_POINTER,
};

int integrity_check(void)
{
    const uint8_t *base = svsm_crypto_text_start;
    size_t len = (size_t)(svsm_crypto_text_end - svsm_crypto_text_start), at = 0, n = 0;
    byte_span parts[2 * INTEGRITY_MAX_POINTERS + 1];
    uint64_t offsets[INTEGRITY_MAX_POINTERS];
    uint8_t mac[32];

    for (size_t i = 0; i < INTEGRITY_MAX_POINTERS; i++) {
        uint32_t off = svsm_integrity_pointers[i];
        if (off == INTEGRITY_NO_POINTER)
            break;
        if (off < at || len < 8 || off > len - 8)
            return -1;
        memcpy(&offsets[i], base + off, sizeof(offsets[i]));
        offsets[i] -= (uint64_t)(uintptr_t)base; /* little-endian, as the builder hashes it */
        parts[n++] = (byte_span){ base + at, off - at };
        parts[n++] = (byte_span){ (const uint8_t *)&offsets[i], sizeof(offsets[i]) };
        at = off + 8;
    }
    parts[n++] = (byte_span){ base + at, len - at };

    int ok = hmac_parts_op(SVSM_CRYPTO_SHA256, svsm_integrity_key, sizeof(svsm_integrity_key),
                           parts, n, mac) == 0 &&
             svsm_ct_equal(mac, svsm_integrity_expected, sizeof(mac));
    svsm_secure_zero(mac, sizeof(mac));
    return ok ? 0 : -1;
}
