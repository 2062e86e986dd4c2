/*
 * entropy.c - the entropy source behind SP 800-90B health tests.
 *
 * The caller's get_noise callback delivers raw samples, one per byte. The
 * module credits each 8-bit sample with H = 4 bits of min-entropy (a
 * conservative claim for RDSEED/RDRAND output), and runs every sample through
 * the two continuous health tests of SP 800-90B 4.4 with alpha = 2^-20:
 *   Repetition Count Test: cutoff C = 1 + ceil(20 / H) = 6
 *   Adaptive Proportion Test: window W = 512, cutoff C = 62 (for H = 4)
 * Any failure is a critical error: the module enters the error state.
 */
#include "internal.h"

#define ENTROPY_BITS_PER_SAMPLE 4
#define RCT_CUTOFF 6
#define APT_WINDOW 512
#define APT_CUTOFF 62

static struct health_state {
    uint8_t rct_last;
    uint8_t apt_first;
    uint8_t rct_started;
    uint32_t rct_run;
    uint32_t apt_matches;
    uint32_t apt_position; /* 0 = start a new window */
} g_health;

size_t entropy_samples_for(size_t bits)
{
    return (bits + ENTROPY_BITS_PER_SAMPLE - 1) / ENTROPY_BITS_PER_SAMPLE;
}

/* All ones when a == b, else 0: no branch on the samples, which are secret. */
static uint32_t eq_mask(uint8_t a, uint8_t b)
{
    uint32_t diff = (uint32_t)(a ^ b); /* 0 .. 255, 0 iff equal */
    return (uint32_t)0 - ((diff - 1) >> 31);
}

/*
 * Feeds one sample to both tests; returns non-zero once either failed. The
 * samples are secret (they seed the DRBG), so neither test branches on them:
 * the comparisons are masks and the counts are updated arithmetically. Only
 * the window position, a public count of samples, steers the code.
 */
static uint32_t health_feed(uint8_t s)
{
    struct health_state *h = &g_health;
    uint32_t fail;

    /* Repetition Count Test: run length of the current value. */
    uint32_t same = eq_mask(s, h->rct_last) & ((uint32_t)0 - h->rct_started);
    h->rct_run = (same & (h->rct_run + 1)) | (~same & 1);
    h->rct_last = s;
    h->rct_started = 1;
    fail = (uint32_t)(h->rct_run >= RCT_CUTOFF);

    /* Adaptive Proportion Test: matches of the window's first sample. */
    if (h->apt_position == 0) {
        h->apt_first = s;
        h->apt_matches = 1;
        h->apt_position = 1;
    } else {
        h->apt_matches += eq_mask(s, h->apt_first) & 1;
        fail |= (uint32_t)(h->apt_matches >= APT_CUTOFF);
        if (++h->apt_position == APT_WINDOW)
            h->apt_position = 0;
    }
    return fail;
}

/*
 * The one place the tests' outcome is branched on: it is public by design (a
 * failure puts the module in its error state). The empty asm keeps the
 * compiler from turning the branch into arithmetic that would carry the
 * secret-derived value on to the callers.
 */
static __attribute__((noinline)) int health_outcome(uint32_t fail)
{
    if (fail != 0) {
        __asm__ volatile("");
        return -1;
    }
    return 0;
}

int entropy_health_check(const uint8_t *samples, size_t n)
{
    uint32_t fail = 0;
    for (size_t i = 0; i < n; i++)
        fail |= health_feed(samples[i]);
    return health_outcome(fail);
}

int entropy_get(uint8_t *out, size_t n)
{
    if (entropy_source_read(out, n) != 0 || entropy_health_check(out, n) != 0) {
        svsm_secure_zero(out, n);
        module_enter_error();
        return -1;
    }
    return 0;
}

void entropy_zeroize(void)
{
    svsm_secure_zero(&g_health, sizeof(g_health));
}
