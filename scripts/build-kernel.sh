#!/usr/bin/env bash
# Builds the kernel and prints the path of its ELF on stdout.
#
# Usage: scripts/build-kernel.sh [BREAK_ID]
#
# Without an id: the healthy kernel, target/x86_64-unknown-none/release/svsm-kernel.
# With one: the fault-injection variant whose crypto self-test BREAK_ID fails,
# built in its own cargo target directory (target/break-build/, shared by all
# ids so that switching ids only relinks) and copied to
# target/break/BREAK_ID/svsm-kernel. The healthy kernel is never overwritten by
# a broken one, so running it by hand always boots the real module.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=x86_64-unknown-none
id=${1:-}

if [ -z "$id" ]; then
    SVSM_CRYPTO_BREAK="" cargo build --release -q -p svsm-kernel --target "$target" >&2
    echo "$root/target/$target/release/svsm-kernel"
    exit 0
fi

case "$id" in
    */* | .* | *[!A-Za-z0-9._-]*) echo "build-kernel: bad BREAK id '$id'" >&2; exit 64 ;;
esac
SVSM_CRYPTO_BREAK="$id" CARGO_TARGET_DIR="$root/target/break-build" \
    cargo build --release -q -p svsm-kernel --target "$target" >&2
out="$root/target/break/$id"
mkdir -p "$out"
cp "$root/target/break-build/$target/release/svsm-kernel" "$out/svsm-kernel"
echo "$out/svsm-kernel"
