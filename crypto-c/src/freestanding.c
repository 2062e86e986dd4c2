/*
 * freestanding.c - the few C library routines the module needs, its own.
 *
 * gcc may emit calls to memcpy, memset, memmove and memcmp by itself, so the
 * module defines exactly those names (hidden here, localised in the final
 * object: they never meet the kernel's or libc's). This file is compiled with
 * -fno-builtin -fno-tree-loop-distribute-patterns so these loops are not
 * turned back into calls to themselves.
 */
#include "internal.h"

/* `rep movsb`/`rep stosb` are fast for all sizes on CPUs with ERMS and
 * correct everywhere; the direction flag is clear per the SysV ABI. */
void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    __asm__ __volatile__("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d <= s || d >= s + n)
        return memcpy(dst, src, n); /* a forward copy is safe */
    while (n--)
        d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    __asm__ __volatile__("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

size_t svsm_mod_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int svsm_mod_strncmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x != y)
            return x < y ? -1 : 1;
        if (x == 0)
            break;
    }
    return 0;
}

/* An asm statement with a memory clobber: the compiler can neither see
 * through it nor drop it as a dead store. */
void svsm_secure_zero(void *p, size_t n)
{
    void *d = p;
    __asm__ __volatile__("rep stosb" : "+D"(d), "+c"(n) : "a"(0) : "memory");
}

int svsm_ct_equal(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (uint8_t)(x[i] ^ y[i]);
    /* 1 when diff == 0, without a data-dependent branch. */
    return (int)(1 & (((uint32_t)diff - 1) >> 8));
}

int buffers_overlap_ok(const uint8_t *in, const uint8_t *out, size_t len)
{
    return in == out || len == 0 || in + len <= out || out + len <= in;
}
