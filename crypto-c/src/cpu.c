/*
 * cpu.c - which instruction-set paths wolfCrypt may take on this CPU.
 *
 * wolfCrypt asks cpuid_get_flags() once per algorithm and dispatches on the
 * answer. Upstream's cpuid.c computes it with CPUID and XGETBV; the module does
 * not compile that file and answers here instead, because XGETBV is not
 * available everywhere the module runs (nested KVM may fail to emulate it, and
 * it faults outright while CR4.OSXSAVE is clear).
 *
 * What the module checks itself, with CPUID: that the silicon has each unit,
 * and that the OS set CR4.OSXSAVE (CPUID.1:ECX[27]) before any state component
 * is considered at all.
 * What it takes from the caller (svsm_crypto_callbacks.xcr0): which register
 * state the OS enabled in XCR0 and therefore preserves across calls. AVX code
 * needs the SSE and AVX components (bits 1, 2), AVX-512 code also the opmask,
 * ZMM_Hi256 and Hi16_ZMM components (bits 5, 6, 7).
 * On top of that, two rules upstream lacks: the VAES GCM code also needs
 * VPCLMULQDQ (QEMU 7.2 TCG reports VAES without it), and AES-NI GCM needs
 * PCLMULQDQ.
 */
#include "internal.h"

#include <wolfssl/wolfcrypt/cpuid.h>

#define XCR0_AVX_STATE 0x06u     /* SSE | AVX */
#define XCR0_AVX512_STATE 0xe6u  /* SSE | AVX | opmask | ZMM_Hi256 | Hi16_ZMM */

enum cpuid_reg { EAX, EBX, ECX, EDX };

/* What a feature needs beyond its CPUID bit. */
enum os_state { NO_STATE, AVX_STATE, AVX512_STATE };

typedef struct cpu_feature {
    uint8_t leaf; /* 1 or 7 (sub-leaf 0) */
    uint8_t reg;  /* enum cpuid_reg */
    uint8_t bit;
    uint8_t state; /* enum os_state */
    cpuid_flags_t flag;
} cpu_feature;

/* Every flag wolfCrypt's cpuid.h defines for x86, from its CPUID bit. */
static const cpu_feature g_features[] = {
    { 1, ECX, 9, NO_STATE, CPUID_SSSE3 },
    { 1, ECX, 22, NO_STATE, CPUID_MOVBE },
    { 1, ECX, 25, NO_STATE, CPUID_AESNI },
    { 1, ECX, 28, AVX_STATE, CPUID_AVX1 },
    { 1, ECX, 30, NO_STATE, CPUID_RDRAND },
    { 7, EBX, 3, NO_STATE, CPUID_BMI1 },
    { 7, EBX, 5, AVX_STATE, CPUID_AVX2 },
    { 7, EBX, 8, NO_STATE, CPUID_BMI2 },
    { 7, EBX, 16, AVX512_STATE, CPUID_AVX512 },
    { 7, EBX, 17, AVX512_STATE, CPUID_AVX512_DQ },
    { 7, EBX, 18, NO_STATE, CPUID_RDSEED },
    { 7, EBX, 19, NO_STATE, CPUID_ADX },
    { 7, EBX, 21, AVX512_STATE, CPUID_AVX512_IFMA },
    { 7, EBX, 29, NO_STATE, CPUID_SHA },
    { 7, EBX, 30, AVX512_STATE, CPUID_AVX512_BW },
    { 7, EBX, 31, AVX512_STATE, CPUID_AVX512_VL },
    { 7, ECX, 1, AVX512_STATE, CPUID_AVX512_VBMI },
    { 7, ECX, 6, AVX512_STATE, CPUID_AVX512_VBMI2 },
    { 7, ECX, 9, AVX_STATE, CPUID_VAES },
};

#define LEAF1_ECX_PCLMULQDQ 1
#define LEAF1_ECX_OSXSAVE 27
#define LEAF7_ECX_VPCLMULQDQ 10

/* Set once by cpu_dispatch, before any algorithm runs; 0 means no acceleration. */
static cpuid_flags_t g_cpu_flags;

static void cpuid_leaf(uint32_t leaf, uint32_t regs[4])
{
    __asm__ __volatile__("cpuid"
                         : "=a"(regs[EAX]), "=b"(regs[EBX]), "=c"(regs[ECX]), "=d"(regs[EDX])
                         : "a"(leaf), "c"(0));
}

static int bit_set(uint32_t value, unsigned bit)
{
    return (value >> bit) & 1u;
}

/* The vendor string of leaf 0 is EBX, EDX, ECX. */
static int vendor_is(const uint32_t leaf0[4], const char name[12])
{
    return memcmp(&leaf0[EBX], name, 4) == 0 && memcmp(&leaf0[EDX], name + 4, 4) == 0 &&
           memcmp(&leaf0[ECX], name + 8, 4) == 0;
}

void cpu_dispatch(uint64_t xcr0)
{
    uint32_t leaf0[4], leaves[2][4] = { { 0 } }; /* leaf 1, leaf 7 */
    cpuid_flags_t flags = 0;
    int avx_state, avx512_state;

    cpuid_leaf(0, leaf0);
    if (vendor_is(leaf0, "GenuineIntel"))
        flags |= CPUID_INTEL;
    else if (vendor_is(leaf0, "AuthenticAMD"))
        flags |= CPUID_AMD;
    else {
        /* As upstream: feature bits are only trusted on Intel and AMD. */
        g_cpu_flags = 0;
        return;
    }
    cpuid_leaf(1, leaves[0]);
    if (leaf0[EAX] >= 7)
        cpuid_leaf(7, leaves[1]);

    /* XCR0 means nothing unless the OS turned XSAVE-managed state on. */
    if (!bit_set(leaves[0][ECX], LEAF1_ECX_OSXSAVE))
        xcr0 = 0;
    avx_state = (xcr0 & XCR0_AVX_STATE) == XCR0_AVX_STATE;
    avx512_state = (xcr0 & XCR0_AVX512_STATE) == XCR0_AVX512_STATE;

    for (size_t i = 0; i < ARRAY_LEN(g_features); i++) {
        const cpu_feature *f = &g_features[i];
        const uint32_t *regs = leaves[f->leaf == 7];
        int state_ok = f->state == NO_STATE || (f->state == AVX_STATE && avx_state) ||
                       (f->state == AVX512_STATE && avx512_state);
        if (state_ok && bit_set(regs[f->reg], f->bit))
            flags |= f->flag;
    }

    if (!bit_set(leaves[1][ECX], LEAF7_ECX_VPCLMULQDQ))
        flags &= ~(cpuid_flags_t)CPUID_VAES;
    if (!bit_set(leaves[0][ECX], LEAF1_ECX_PCLMULQDQ))
        flags &= ~(cpuid_flags_t)(CPUID_AESNI | CPUID_VAES);
    g_cpu_flags = flags;
}

/* wolfCrypt's query (declared in cpuid.h); the only cpuid_* symbol it uses. */
cpuid_flags_t cpuid_get_flags(void)
{
    return g_cpu_flags;
}
