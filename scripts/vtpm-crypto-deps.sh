#!/usr/bin/env bash
# The TPM engine (package svsm-vtpm) reaches cryptography only through the
# crypto module (issue 10): its normal dependency tree must not contain any
# other crypto crate. Dev-dependencies (the tests' independent references)
# are not part of that tree. Run by `make lint`.
#
#   scripts/vtpm-crypto-deps.sh [PACKAGE]
set -euo pipefail
pkg=${1:-svsm-vtpm}
cargo=${CARGO:-cargo}

# Crates that implement cryptography or pull it in (RustCrypto, ring,
# OpenSSL, AWS-LC, mbedTLS, wolfSSL, dalek, rand's generators ...).
deny=(
  sha1 sha2 sha3 md-5 md5 blake2 blake3 digest hmac hkdf pbkdf2 concat-kdf
  aes aes-gcm aes-gcm-siv cfb-mode ctr cbc ecb cipher chacha20 chacha20poly1305
  poly1305 ghash polyval universal-hash crypto-common
  p256 p384 p521 k256 ecdsa elliptic-curve primeorder crypto-bigint ed25519-dalek
  x25519-dalek curve25519-dalek rsa num-bigint-dig signature sec1 pkcs8 spki
  ring openssl openssl-sys aws-lc-rs aws-lc-sys mbedtls wolfssl wolfssl-sys boring
  rustls rand rand_core rand_chacha getrandom tss-esapi
)

tree=$("$cargo" tree -p "$pkg" -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u)
found=()
for crate in "${deny[@]}"; do
  if grep -qx -- "$crate" <<<"$tree"; then
    found+=("$crate")
  fi
done
if ((${#found[@]})); then
  echo "$pkg links crypto outside the module: ${found[*]}" >&2
  "$cargo" tree -p "$pkg" -e normal -i "${found[0]}" >&2 || true
  exit 1
fi
echo "$pkg: no crypto crate in its dependency tree ($(wc -l <<<"$tree") crates checked)"
