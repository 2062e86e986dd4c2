/*
 * Force-included before every module source: every symbol, defined or only
 * declared, is hidden, so the compiler never routes a reference through a GOT
 * or PLT. Only the API (SVSM_CRYPTO_API in svsm_crypto.h) overrides this.
 */
#pragma GCC visibility push(hidden)
