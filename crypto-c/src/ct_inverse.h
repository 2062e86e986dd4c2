/*
 * ct_inverse.h - constant-time inversion modulo an odd prime group order
 * (Bernstein-Yang divsteps, ct_inverse.c). Self-contained (only stdint and
 * stddef) so a host test program can build ct_inverse.c on its own; the
 * module's files get it through internal.h, and patches/ct-inverse.patch
 * declares the two calls it makes in sp_x86_64.c.
 */
#ifndef SVSM_CT_INVERSE_H
#define SVSM_CT_INVERSE_H

#include <stddef.h>
#include <stdint.h>

/* The largest modulus served, in 64-bit words (P-384's group order). */
#define SVSM_CT_INV_MAX_WORDS 6

/* An odd modulus n: its words, the number of divsteps that provably
 * reaches g = 0 for any 0 <= g <= n, and the Montgomery constant of
 * wolfCrypt's arithmetic mod n. Values are little-endian arrays of `words` words. */
typedef struct svsm_ct_modulus {
    size_t words;                          /* 4 for P-256, 6 for P-384 */
    unsigned divsteps;                     /* proven bound for n's size (ct_inverse.c) */
    uint64_t n[SVSM_CT_INV_MAX_WORDS];     /* the modulus: odd, top bit set */
    uint64_t r2[SVSM_CT_INV_MAX_WORDS];    /* R^2 mod n, R = 2^(64 * words) */
} svsm_ct_modulus;

/* The group orders of P-256 and P-384. */
extern const svsm_ct_modulus svsm_ct_p256_order;
extern const svsm_ct_modulus svsm_ct_p384_order;

/* The inverse in Montgomery form, R = 2^(64 * words) (wolfCrypt's
 * sp_*_mont_inv_order contract): for in = a R mod n, out = a^-1 R mod n;
 * for in = 0 mod n, out = 0. Any in below 2^(64 * words) is accepted. Time
 * and memory accesses depend on m->words only; everything derived from in
 * is wiped before returning. out and in may be the same array. */
void svsm_ct_inverse_mont_mod_n(uint64_t *out, const uint64_t *in, const svsm_ct_modulus *m);

#endif
