/*
 * module.c - the module's state machine and control services.
 *
 *   UNINITIALIZED --init--> SELF_TEST --all pass--> OPERATIONAL
 *                               |                        |
 *                               +--any failure--> ERROR <+-- health test or PCT failure
 *
 * ERROR is final until the module is reloaded: every cryptographic service
 * then returns SVSM_CRYPTO_ERR_STATE with zeroed outputs, while the control
 * services (state, self-test report, version, zeroize) keep working.
 */
#include "internal.h"

#include <wolfssl/version.h>

static uint32_t g_state = SVSM_CRYPTO_STATE_UNINITIALIZED;
static svsm_crypto_callbacks g_callbacks;
static svsm_crypto_self_test_result g_results[SVSM_CRYPTO_SELF_TEST_COUNT];

/*
 * Self-test keys and names as fixed-width arrays, not pointers to strings:
 * the tables then hold no relocation and lie in the hashed range (module.ld).
 */
#define SELF_TEST_KEY_MAX 24
#define SELF_TEST_NAME_MAX 64
#define SELF_TEST_KEY_(sym, key, name) key,
#define SELF_TEST_NAME_(sym, key, name) name,
#define SELF_TEST_FITS_(sym, key, name)                                             \
    _Static_assert(sizeof(key) <= SELF_TEST_KEY_MAX && sizeof(name) <= SELF_TEST_NAME_MAX, \
                   "self-test key or name too long: " key);
SVSM_CRYPTO_SELF_TEST_LIST(SELF_TEST_FITS_)
static const char g_test_keys[][SELF_TEST_KEY_MAX] = { SVSM_CRYPTO_SELF_TEST_LIST(SELF_TEST_KEY_) };
static const char g_test_names[][SELF_TEST_NAME_MAX] = {
    SVSM_CRYPTO_SELF_TEST_LIST(SELF_TEST_NAME_)
};

uint64_t module_timestamp(void)
{
    return g_callbacks.timestamp ? g_callbacks.timestamp(g_callbacks.context) : 0;
}

int entropy_source_read(uint8_t *out, size_t len)
{
    if (g_callbacks.get_noise == NULL)
        return -1;
    return g_callbacks.get_noise(g_callbacks.context, out, len) == 0 ? 0 : -1;
}

void module_enter_error(void)
{
    g_state = SVSM_CRYPTO_STATE_ERROR;
    module_drbg_zeroize();
    entropy_zeroize();
}

int svc_operational(void)
{
    return g_state == SVSM_CRYPTO_STATE_OPERATIONAL;
}

svsm_crypto_status svc_fail(svsm_crypto_status status, const svc_out *outs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (outs[i].ptr != NULL && outs[i].len != 0)
            svsm_secure_zero(outs[i].ptr, outs[i].len);
    }
    return status;
}

svsm_crypto_status svsm_crypto_init(const svsm_crypto_callbacks *callbacks)
{
    if (g_state != SVSM_CRYPTO_STATE_UNINITIALIZED)
        return SVSM_CRYPTO_ERR_ALREADY;
    if (callbacks == NULL || callbacks->get_noise == NULL)
        return SVSM_CRYPTO_ERR_ARG;
    g_callbacks = *callbacks;
    g_state = SVSM_CRYPTO_STATE_SELF_TEST;
    cpu_dispatch(callbacks->xcr0);

    if (self_tests_run(g_results) != 0) {
        module_enter_error();
        return SVSM_CRYPTO_ERR_SELF_TEST;
    }
    if (module_drbg_instantiate() != 0) {
        module_enter_error();
        return SVSM_CRYPTO_ERR_ENTROPY;
    }
    g_state = SVSM_CRYPTO_STATE_OPERATIONAL;
    return SVSM_CRYPTO_OK;
}

uint32_t svsm_crypto_state(void)
{
    return g_state;
}

int32_t svsm_crypto_failed_self_test(void)
{
    for (uint32_t i = 0; i < SVSM_CRYPTO_SELF_TEST_COUNT; i++) {
        if (g_results[i].outcome == SVSM_CRYPTO_TEST_FAILED)
            return (int32_t)i;
    }
    return -1;
}

svsm_crypto_status svsm_crypto_self_test_result_get(uint32_t id,
                                                    svsm_crypto_self_test_result *out)
{
    if (out == NULL || id >= SVSM_CRYPTO_SELF_TEST_COUNT)
        return SVSM_CRYPTO_ERR_ARG;
    *out = g_results[id];
    out->id = id;
    return SVSM_CRYPTO_OK;
}

const char *svsm_crypto_self_test_key(uint32_t id)
{
    return id < SVSM_CRYPTO_SELF_TEST_COUNT ? g_test_keys[id] : NULL;
}

const char *svsm_crypto_self_test_name(uint32_t id)
{
    return id < SVSM_CRYPTO_SELF_TEST_COUNT ? g_test_names[id] : NULL;
}

const char *svsm_crypto_version(void)
{
    return SVSM_CRYPTO_MODULE_NAME_VERSION " (wolfCrypt " LIBWOLFSSL_VERSION_STRING ")";
}

void svsm_crypto_zeroize(void)
{
    module_drbg_zeroize();
    entropy_zeroize();
}
