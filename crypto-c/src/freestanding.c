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

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d == s || n == 0)
        return dst;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n--)
        *d++ = (uint8_t)c;
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

void svsm_secure_zero(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
    __asm__ __volatile__("" : : "r"(p) : "memory");
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
