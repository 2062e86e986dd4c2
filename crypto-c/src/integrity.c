/*
 * integrity.c - the software integrity test.
 *
 * HMAC-SHA-256 over the module's code and read-only data, as they are in
 * memory: svsm_crypto_text_start .. svsm_crypto_text_end (module.ld). The
 * builder computes the expected value from the object (applying the
 * intra-section relocations the final link will apply) and writes it into
 * svsm_integrity_expected, which lives in the writable part, outside the
 * hashed range. The key is fixed and public, as in every FIPS module: the
 * test detects modification, it is not an authentication of the module.
 */
#include "internal.h"

extern const uint8_t svsm_crypto_text_start[];
extern const uint8_t svsm_crypto_text_end[];

/* Found by name by the builder; both symbols are local in the final object. */
const uint8_t svsm_integrity_key[32] = {
    0x53, 0x56, 0x53, 0x4d, 0x2d, 0x63, 0x72, 0x79, 0x70, 0x74, 0x6f, 0x2d,
    0x69, 0x6e, 0x74, 0x65, 0x67, 0x72, 0x69, 0x74, 0x79, 0x2d, 0x6b, 0x65,
    0x79, 0x2d, 0x76, 0x31, 0x2e, 0x30, 0x2e, 0x30,
};
__attribute__((section(".data.svsm_integrity"), used))
uint8_t svsm_integrity_expected[32] = { 0xde, 0xad };

int integrity_check(void)
{
    uint8_t mac[32];
    size_t len = (size_t)(svsm_crypto_text_end - svsm_crypto_text_start);
    int ok = hmac_op(SVSM_CRYPTO_SHA256, svsm_integrity_key, sizeof(svsm_integrity_key),
                     svsm_crypto_text_start, len, mac) == 0 &&
             svsm_ct_equal(mac, svsm_integrity_expected, sizeof(mac));
    svsm_secure_zero(mac, sizeof(mac));
    return ok ? 0 : -1;
}
